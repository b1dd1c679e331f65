//! The platform API under `/api/v1/` on the admin host: JSON only, errors as RFC 9457
//! problems, authenticated by platform tokens, described by the OpenAPI document it
//! serves. Handlers stay thin: they call the same services as the console and the CLI.

mod audit;
pub mod docs;
pub mod extract;
pub mod idempotent;
mod moves;
pub(crate) mod people;
pub mod precondition;
pub mod problem;
pub mod rate;
mod segments;
mod servers;
mod tenants;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(docs::router())
        .merge(tenants::router())
        .merge(moves::router())
        .merge(people::router())
        .merge(segments::router())
        .merge(servers::router())
        .merge(audit::router())
}
