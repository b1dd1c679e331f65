//! The platform console (on `TENANTRY_ADMIN_HOST`): one file per page family.

mod api_tokens;
pub(crate) mod audit;
pub mod dashboard;
mod extract;
mod modules;
mod outbox;
mod plans;
mod segments;
mod servers;
pub mod sign_in;
mod staff;
mod system;
mod tenant_admin;
mod tenants;
mod usage;

use axum::Router;

use crate::state::AppState;

pub use extract::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(crate::web::language::platform_router())
        .merge(audit::router())
        .merge(tenants::router())
        .merge(servers::router())
        .merge(staff::router())
        .merge(system::router())
        .merge(modules::router())
        .merge(tenant_admin::router())
        .merge(outbox::router())
        .merge(segments::router())
        .merge(plans::router())
        .merge(usage::router())
        .merge(api_tokens::router())
}
