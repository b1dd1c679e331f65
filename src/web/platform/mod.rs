//! The platform console (on `TENANTRY_ADMIN_HOST`): one file per page family.

mod audit;
mod dashboard;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(audit::router())
}
