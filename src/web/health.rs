//! Probes for orchestrators and scrapers: `/healthz`, `/readyz`, `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::control::system;
use crate::state::AppState;

/// 200 when the control plane answers a query.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match system::ping(&state.db).await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: control plane unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

/// 200 when the control plane answers and its schema is at this binary's version.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ready = system::schema_current(&state.db).await;
    match ready {
        Ok(true) => Json(json!({ "status": "ready" })).into_response(),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "migrating" })),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        )
            .into_response(),
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    publish_gauges(&state);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Gauges that are read on scrape rather than counted as they happen.
fn publish_gauges(state: &AppState) {
    metrics::gauge!("tenantry_uptime_seconds").set(state.started_at.elapsed().as_secs_f64());
    metrics::gauge!("tenantry_control_pool_connections").set(f64::from(state.db.size()));
    metrics::gauge!("tenantry_control_pool_idle").set(state.db.num_idle() as f64);
    // The pool manager publishes its own gauges when asked for its figures.
    let _ = state.tenancy.pools.stats();
}
