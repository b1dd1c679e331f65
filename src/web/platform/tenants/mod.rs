//! Tenants in the platform console: the list ([`list`]), the New tenant form ([`new`]),
//! a tenant's page with live provisioning progress and lifecycle actions ([`detail`]),
//! "Open console" ([`console`]) and its usage ([`usage`]).

mod backups;
mod console;
mod detail;
mod export;
mod list;
mod moves;
mod new;
mod usage;

use axum::Router;

use crate::auth::guard::PlatformAction;
use crate::state::AppState;
use crate::tenancy::tenants::{self, Tenant};
use crate::web::error::{AppError, Result};
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(list::router())
        .merge(new::router())
        .merge(detail::router())
        .merge(console::router())
        .merge(usage::router())
        .merge(backups::router())
        .merge(export::router())
        .merge(moves::router())
}

/// The tenant named in the path, if this staff member may see it; otherwise the same 404
/// as an unknown slug, so slugs cannot be probed.
async fn visible_tenant(state: &AppState, staff: &Staff, slug: &str) -> Result<Tenant> {
    staff.require(PlatformAction::ViewTenants)?;
    let tenant = tenants::find_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !tenants::in_scope(&state.db, tenant.id, staff.tenant_scope()).await? {
        return Err(AppError::NotFound);
    }
    Ok(tenant)
}
