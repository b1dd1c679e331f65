//! The tenant console, served on `<slug>.<TENANTRY_BASE_DOMAIN>`, verified custom domains
//! and `/t/<slug>/…`: one file per page family; [`resolution`] finds the tenant around
//! the whole router, [`member`] is who may use it.

pub mod api;
mod api_crm;
pub mod api_docs;
mod api_people;
mod audit;
mod billing;
mod crm;
mod dashboard;
mod inventory;
pub mod limits;
mod member;
mod members;
mod module_api;
mod module_user;
mod modules;
mod resolution;
mod roles;
mod settings;
mod sign_in;
mod tasks;
mod tokens;
mod usage;

use axum::Router;

use crate::state::AppState;

pub use member::{Member, mail_branding, mail_branding_for, tenant_db};
pub use resolution::{CurrentTenant, resolve_tenant};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sign_in::router())
        .merge(api::router())
        .merge(api_crm::router())
        .merge(api_people::router())
        .merge(api_docs::router())
        .merge(module_api::router())
        .merge(tokens::router())
        .merge(usage::router())
        .merge(crate::web::invite_pages::tenant::router())
        .merge(crate::web::password_reset::tenant::router())
        .merge(dashboard::router())
        .merge(crate::web::language::tenant_router())
        .merge(modules::router())
        .merge(members::router())
        .merge(roles::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(crm::router())
        .merge(tasks::router())
        .merge(inventory::router())
        .merge(billing::router())
}
