//! Probes for orchestrators and scrapers: `/healthz`, `/readyz`, `/metrics`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::token;
use crate::control::system;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::meta::request_host;

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

/// Prometheus text exposition: on the admin host only (a tenant host is a customer's
/// address), and with `TENANTRY_METRICS_TOKEN` as a bearer token when one is set.
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if request_host(&parts).as_deref() != Some(state.config.admin_host.as_str()) {
        return AppError::NotFound.into_response();
    }
    if let Some(expected) = &state.config.metrics_token {
        let sent = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !token::equals(sent, expected.expose()) {
            let mut refused = (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "Send the metrics token as a bearer token." })),
            )
                .into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return refused;
        }
    }
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
