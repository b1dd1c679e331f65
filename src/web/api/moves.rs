//! `POST /api/v1/tenants/{slug}/move`: queue a tenant's move to another database server
//! and/or tier (owners, as the Move form on the tenant's page). Answers at once; the move
//! is a job, followed at `GET /api/v1/tenants/{slug}/move` (its status and step).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::guard::PlatformAction;
use crate::state::AppState;
use crate::tenancy::moves::{self, MoveError};
use crate::web::api::extract::{ApiJson, PlatformApi};
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::api::tenants::{TierFilter, visible};
use crate::web::error::Refusal;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/tenants/{slug}/move",
        get(move_status).post(tenant_move),
    )
}

/// Where to move the tenant; at least one of the two differs from where it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    /// The database server's name (see `/api/v1/servers`); the one it is on when absent.
    #[schema(example = "pg-eu-2", max_length = 63)]
    to: Option<String>,
    /// The tier it is to have; the one it has when absent.
    #[schema(inline, value_type = Option<TierFilter>)]
    tier: Option<String>,
}

/// A queued move.
#[derive(Serialize, ToSchema)]
pub struct MoveOut {
    /// The move's job.
    job_id: i64,
    /// Where the tenant is.
    from: String,
    /// Where it goes.
    to: String,
}

/// Queues a move of the tenant: its data is copied while it is suspended, checked table by
/// table, and the tenant resumes in its new place (the old copy is kept for a grace
/// period). Refused before anything is queued when the target is draining, full,
/// unreachable, holds something in the tenant's place, or is where the tenant is.
#[utoipa::path(post, path = "/api/v1/tenants/{slug}/move", tag = "tenants", request_body = MoveIn,
    params(("slug" = String, Path)),
    responses((status = 202, body = MoveOut),
        (status = 409, description = "The tenant's status, a job in progress or the target refuses the move", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn tenant_move(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<MoveIn>,
) -> ApiResult<Response> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ManageServers)?;
    let queued = moves::request_move(
        &state.tenancy,
        &tenant,
        input.to.as_deref(),
        input.tier.as_deref(),
        &api.caller.actor(),
        &api.origin,
    )
    .await
    .map_err(|e| match e {
        MoveError::Db(e) => Problem::from(e),
        e => {
            let status = e.status().unwrap_or(StatusCode::CONFLICT);
            let kind = if status == StatusCode::CONFLICT {
                "state-conflict"
            } else {
                "invalid"
            };
            let detail = match e.field() {
                "" => e.message(),
                field => format!("{field}: {}", e.message()),
            };
            Problem::new(status, kind, detail)
        }
    })?;
    let plan = moves::latest(&state.db, tenant.id)
        .await?
        .and_then(|m| m.plan);
    let out = MoveOut {
        job_id: queued.job_id,
        from: plan.as_ref().map(|p| p.from.describe()).unwrap_or_default(),
        to: plan.as_ref().map(|p| p.to.describe()).unwrap_or_default(),
    };
    Ok((StatusCode::ACCEPTED, Json(out)).into_response())
}

/// The tenant's latest move.
#[derive(Serialize, ToSchema)]
pub struct MoveStatusOut {
    job_id: i64,
    /// `queued` (waiting or running), `done` or `failed`.
    status: String,
    /// The step running now (`check`, `target`, `suspend`, `copy`, `verify`, `cutover`),
    /// while queued.
    step: Option<String>,
    from: String,
    to: String,
    /// Why it failed.
    error: Option<String>,
    /// How long the tenant was suspended while its data was copied.
    suspended_ms: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    requested_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<time::OffsetDateTime>,
}

/// The tenant's latest move: its status, the step it is at, and how long the tenant was
/// suspended. 404 when it was never moved.
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/move", tag = "tenants",
    params(("slug" = String, Path)),
    responses((status = 200, body = MoveStatusOut)))]
pub(super) async fn move_status(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<MoveStatusOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    let last = moves::latest(&state.db, tenant.id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let running = last.status == "queued";
    Ok(Json(MoveStatusOut {
        job_id: last.job_id,
        step: tenant.progress_step.filter(|_| running),
        from: last
            .plan
            .as_ref()
            .map(|p| p.from.describe())
            .unwrap_or_default(),
        to: last
            .plan
            .as_ref()
            .map(|p| p.to.describe())
            .unwrap_or_default(),
        status: last.status,
        error: last.error,
        suspended_ms: last.suspended_ms,
        requested_at: last.requested_at,
        finished_at: last.finished_at,
    }))
}
