//! `/api/v1/tenants`: the platform's tenants for programs, through the same services
//! and the same access rule as the console (a super admin's token sees their tenants).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::auth::guard::{PlatformAction, lifecycle_needs};
use crate::state::AppState;
use crate::tenancy::lifecycle::{self, Action};
use crate::tenancy::plan_change::{self, TenantUpdate};
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::{self, CreateError, FirstAdmin, ListFilter, NewTenant, Tenant};
use crate::tenancy::{listing, progress};
use crate::web::api::extract::{ApiJson, ApiQuery, PlatformApi};
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::api::{idempotent, precondition};
use crate::web::error::Refusal;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tenants", get(tenants_list).post(tenant_create))
        .route(
            "/api/v1/tenants/{slug}",
            get(tenant_get).patch(tenant_update),
        )
        .route("/api/v1/tenants/{slug}/progress", get(tenant_progress))
        .route("/api/v1/tenants/{slug}/usage", get(tenant_usage))
        .route("/api/v1/tenants/{slug}/{action}", post(tenant_action))
}

/// A tenant as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct TenantOut {
    /// DNS-safe name, unique among tenants not purged.
    #[schema(example = "acme")]
    pub slug: String,
    pub name: String,
    /// `pending`, `provisioning`, `active`, `suspended`, `deleted` or `purged`.
    pub status: String,
    pub plan: String,
    /// `isolated` (own database) or `pooled` (own schema in a shared database).
    pub tier: String,
    /// The database server it lives on.
    pub server: String,
    pub schema_version: i64,
    /// Why the last provisioning step failed, if it did.
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
}

impl From<&Tenant> for TenantOut {
    fn from(t: &Tenant) -> Self {
        Self {
            slug: t.slug.clone(),
            name: t.name.clone(),
            status: t.status.as_str().to_owned(),
            plan: t.plan_id.clone(),
            tier: t.tier.as_str().to_owned(),
            server: t.server_name.clone(),
            schema_version: t.schema_version,
            last_error: t.last_error.clone(),
            created_at: t.created_at,
            activated_at: t.activated_at,
            deleted_at: t.deleted_at,
        }
    }
}

/// The tenant as JSON with its `ETag` (what `If-Match` must send back to change it).
fn tenant_response(status: StatusCode, tenant: &Tenant) -> Response {
    let mut response = (status, Json(TenantOut::from(tenant))).into_response();
    precondition::tag(&mut response, &plan_change::version(tenant));
    response
}

/// The tenant named in the path if the token's staff member may see it; otherwise the
/// same 404 as an unknown slug, so slugs cannot be probed.
pub(super) async fn visible(state: &AppState, api: &PlatformApi, slug: &str) -> ApiResult<Tenant> {
    api.require(PlatformAction::ViewTenants)?;
    let tenant = tenants::find_by_slug(&state.db, slug)
        .await?
        .ok_or_else(Problem::not_found)?;
    if !tenants::in_scope(&state.db, tenant.id, api.caller.tenant_scope()).await? {
        return Err(Problem::not_found());
    }
    Ok(tenant)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the slug or name.
    #[serde(default)]
    #[param(max_length = 200)]
    q: String,
    /// Only tenants in this status (purged ones are listed only when asked for).
    #[serde(default)]
    #[param(inline, value_type = Option<StatusFilter>)]
    status: String,
    #[serde(default)]
    #[param(max_length = 200)]
    plan: String,
    #[serde(default)]
    #[param(inline, value_type = Option<TierFilter>)]
    tier: String,
    /// Name of a database server.
    #[serde(default)]
    #[param(max_length = 200)]
    server: String,
    /// Tenants per page, 1 to 200.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[param(pattern = "^[0-9a-f]{32}$")]
    cursor: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StatusFilter {
    Pending,
    Provisioning,
    Active,
    Suspended,
    Deleted,
    Purged,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TierFilter {
    Isolated,
    Pooled,
}

/// One page of tenants in creation order.
#[derive(Serialize, ToSchema)]
pub struct TenantPage {
    tenants: Vec<TenantOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 50;

/// Lists tenants, newest last, with keyset pages: walking the pages while tenants are
/// created shows each existing tenant exactly once. The next page is also in `Link`.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", params(ListQuery),
    responses((status = 200, body = TenantPage, headers(("Link" = String, description = "rel=\"next\"")))))]
async fn tenants_list(
    State(state): State<AppState>,
    api: PlatformApi,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    api.require(PlatformAction::ViewTenants)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=200).contains(&limit) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "limit must be between 1 and 200.",
        ));
    }
    if !query.status.is_empty() && TenantStatus::parse(&query.status).is_none() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "status must be pending, provisioning, active, suspended, deleted or purged.",
        ));
    }
    if !query.tier.is_empty() && !matches!(query.tier.as_str(), "isolated" | "pooled") {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "tier must be isolated or pooled.",
        ));
    }
    if [&query.q, &query.plan, &query.server]
        .iter()
        .any(|s| s.len() > 200)
    {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "q, plan and server are limited to 200 bytes.",
        ));
    }
    let after = if query.cursor.is_empty() {
        None
    } else {
        Some(decode_cursor(&query.cursor).ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "cursor is not one this API gave out; start again without it.",
            )
        })?)
    };
    let filter = ListFilter {
        q: query.q.clone(),
        status: query.status.clone(),
        plan: query.plan.clone(),
        tier: query.tier.clone(),
        server: query.server.clone(),
        assigned_to: api.caller.tenant_scope(),
        ..ListFilter::default()
    };
    let (rows, more) = listing::after(&state.db, &filter, after, limit).await?;
    let next_cursor = more
        .then(|| rows.last().map(|t| encode_cursor(t.id)))
        .flatten();
    let mut response = Json(TenantPage {
        tenants: rows.iter().map(TenantOut::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let mut next = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &query.q),
            ("status", &query.status),
            ("plan", &query.plan),
            ("tier", &query.tier),
            ("server", &query.server),
        ] {
            if !v.is_empty() {
                next.append_pair(k, v);
            }
        }
        next.append_pair("limit", &limit.to_string());
        next.append_pair("cursor", &cursor);
        let link = format!("</api/v1/tenants?{}>; rel=\"next\"", next.finish());
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

fn encode_cursor(id: uuid::Uuid) -> String {
    id.simple().to_string()
}

fn decode_cursor(cursor: &str) -> Option<uuid::Uuid> {
    (cursor.len() == 32)
        .then(|| uuid::Uuid::try_parse(cursor).ok())
        .flatten()
}

/// What creating a tenant takes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantIn {
    /// Lower-case letters, digits and hyphens; some words (admin, api, www, …) are reserved.
    #[schema(example = "acme", pattern = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$")]
    slug: String,
    /// One line (no control characters), 1 to 200 characters once trimmed.
    #[schema(example = "Acme Inc", min_length = 1, max_length = 200)]
    name: String,
    /// A plan id (`free`, `starter`, `pro`, `enterprise` or one an owner made); `free`
    /// when absent. An unknown plan is refused with 422.
    #[schema(example = "pro", max_length = 40)]
    plan: Option<String>,
    /// The plan's default tier when absent.
    #[schema(inline, value_type = Option<TierFilter>)]
    tier: Option<String>,
    /// Invited as the tenant's admin once it is active.
    #[schema(format = Email, max_length = 254)]
    first_admin_email: Option<String>,
    /// The database server to put it on (its name, see `/api/v1/servers`); placement
    /// picks the active server with the most room when absent. An unknown, draining or
    /// full server is refused with 422.
    #[schema(example = "pg-eu-1", max_length = 63)]
    server: Option<String>,
}

/// Creates a tenant and queues its provisioning; answers at once with the tenant
/// `pending` (follow it at `/progress`). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenantIn,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = TenantOut, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The slug is taken, no database server has room, or the idempotency key is in use", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn tenant_create(
    State(state): State<AppState>,
    api: PlatformApi,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    api.require(PlatformAction::CreateTenant)?;
    idempotent::once(
        &state,
        &api.idempotency_caller(),
        &headers,
        "POST /api/v1/tenants",
        &body,
        async {
            let ApiJson(input) = ApiJson::<NewTenantIn>::from_bytes(&headers, &body)?;
            let slug = input.slug.trim().to_ascii_lowercase();
            let base_url = state.config.tenant_url(&slug);
            let admin = input.first_admin_email.as_deref().map(str::trim);
            let first_admin = admin.filter(|e| !e.is_empty()).map(|email| FirstAdmin {
                email,
                base_url: &base_url,
                days: state.config.invitation_days,
            });
            let new = NewTenant {
                slug: input.slug.trim(),
                name: &input.name,
                plan: input.plan.as_deref().unwrap_or("free"),
                tier: input.tier.as_deref(),
            };
            match state
                .tenancy
                .create_on(
                    new,
                    input.server.as_deref().map(str::trim),
                    first_admin.as_ref(),
                    &api.caller.actor(),
                    &api.origin,
                )
                .await
            {
                Ok(tenant) => {
                    let mut response = tenant_response(StatusCode::CREATED, &tenant);
                    if let Ok(v) =
                        HeaderValue::from_str(&format!("/api/v1/tenants/{}", tenant.slug))
                    {
                        response.headers_mut().insert(header::LOCATION, v);
                    }
                    Ok(response)
                }
                Err(e @ CreateError::Db(_)) => Err(e.into()),
                Err(e) => Err(create_problem(e)),
            }
        },
    )
    .await
}

fn create_problem(e: CreateError) -> Problem {
    let kind = match &e {
        CreateError::SlugTaken(_) => "slug-taken",
        CreateError::NoCapacity => "no-capacity",
        _ => "invalid",
    };
    let status = e.status().unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let detail = match e.field() {
        "" => e.to_string(),
        field => format!("{field}: {e}"),
    };
    Problem::new(status, kind, detail)
}

/// A tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{slug}", tag = "tenants",
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantOut, headers(("ETag" = String)))))]
async fn tenant_get(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let tenant = visible(&state, &api, &slug).await?;
    Ok(tenant_response(StatusCode::OK, &tenant))
}

/// What may change about a tenant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    /// Apply a plan the tenant's use exceeds (the excess is audited); without it such
    /// a downgrade is refused with 409 naming each limit.
    allow_over: Option<bool>,
    /// A plan id; an unknown plan is refused with 422.
    #[schema(example = "pro", max_length = 40)]
    plan: Option<String>,
    /// One line (no control characters), 1 to 200 characters once trimmed.
    #[schema(example = "Acme Inc", min_length = 1, max_length = 200)]
    name: Option<String>,
}

/// Changes a tenant's plan and/or name. `If-Match` must carry the `ETag` last read, so
/// two writers cannot silently overwrite each other: a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/tenants/{slug}", tag = "tenants", request_body = TenantPatch,
    params(("slug" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the tenant as last read (required: 428 without it; `*` matches any version).")),
    responses((status = 200, body = TenantOut, headers(("ETag" = String))),
        (status = 409, description = "The tenant's use is over the new plan's limits", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json"),
        (status = 412, description = "The tenant changed since it was read", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn tenant_update(
    State(state): State<AppState>,
    api: PlatformApi,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiJson(patch): ApiJson<TenantPatch>,
) -> ApiResult<Response> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ChangeTenantPlan)?;
    let expected = precondition::if_match(&headers, "tenant", || plan_change::version(&tenant))?;
    let change = TenantUpdate {
        plan: patch.plan.as_deref(),
        name: patch.name.as_deref(),
        allow_over: patch.allow_over.unwrap_or(false),
    };
    let actor = api.caller.actor();
    plan_change::update_if_version(
        &state.tenancy,
        &tenant,
        &change,
        &expected,
        &actor,
        &api.origin,
    )
    .await
    .map_err(|e| {
        let kind = match &e {
            plan_change::UpdateError::Stale => "precondition-failed",
            plan_change::UpdateError::OverLimits { .. } => "over-plan-limits",
            _ => "invalid",
        };
        match e.status() {
            Some(status) => Problem::new(status, kind, e.message()),
            None => Problem::from(e),
        }
    })?;
    let tenant = tenants::get(&state.db, tenant.id)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(tenant_response(StatusCode::OK, &tenant))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// To purge before the retention period ends: the tenant's slug, typed to confirm.
    confirm: Option<String>,
}

/// Applies a lifecycle action: `suspend`, `activate`, `delete`, `restore`, `purge` (a
/// job) or `retry` (a failed provisioning or purge step).
#[utoipa::path(post, path = "/api/v1/tenants/{slug}/{action}", tag = "tenants",
    params(("slug" = String, Path), ("action" = inline(ActionName), Path), ActionQuery),
    responses((status = 200, body = TenantOut, headers(("ETag" = String))),
        (status = 409, description = "The tenant's status does not allow this action", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn tenant_action(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, action)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ActionQuery>,
) -> ApiResult<Response> {
    let action = Action::parse(&action).ok_or_else(Problem::not_found)?;
    let tenant = visible(&state, &api, &slug).await?;
    api.require(lifecycle_needs(action))?;
    lifecycle::apply(
        &state.tenancy,
        &tenant,
        action,
        query.confirm.as_deref(),
        &api.caller.actor(),
        &api.origin,
    )
    .await
    .map_err(|e| match e.status() {
        Some(_) => Problem::new(StatusCode::CONFLICT, "state-conflict", e.message()),
        None => Problem::from(e),
    })?;
    let tenant = tenants::get(&state.db, tenant.id)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(tenant_response(StatusCode::OK, &tenant))
}

/// A lifecycle action.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ActionName {
    Suspend,
    Activate,
    Delete,
    Restore,
    Purge,
    Retry,
}

/// A tenant's provisioning as it stands.
#[derive(Serialize, ToSchema)]
pub struct ProgressOut {
    status: String,
    /// Steps in order, each `done`, `running`, `failed` or `waiting`.
    steps: Vec<StepOut>,
    percent: usize,
    last_error: Option<String>,
    /// Whether the job is still running (poll again).
    settling: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    key: String,
    label: String,
    state: String,
}

/// The tenant's provisioning job: each step's state and the share done.
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/progress", tag = "tenants",
    params(("slug" = String, Path)), responses((status = 200, body = ProgressOut)))]
async fn tenant_progress(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<ProgressOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    let (steps, percent) = progress::of(&tenant);
    Ok(Json(ProgressOut {
        status: tenant.status.as_str().to_owned(),
        steps: steps
            .into_iter()
            .map(|s| StepOut {
                key: s.step.key().to_owned(),
                label: s.step.label().to_owned(),
                state: s.state.to_owned(),
            })
            .collect(),
        percent,
        last_error: tenant.last_error.clone(),
        settling: tenant.status.is_settling() && tenant.last_error.is_none(),
    }))
}

/// A tenant's use this month beside its plan's limits (`null`: unlimited).
#[derive(Serialize, ToSchema)]
pub struct UsageOut {
    plan: String,
    members: i64,
    pending_invitations: i64,
    max_users: Option<i32>,
    modules: i64,
    max_modules: Option<i32>,
    api_calls: i64,
    max_api_calls: Option<i64>,
    max_storage_bytes: Option<i64>,
}

/// A tenant's usage against its plan.
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/usage", tag = "tenants",
    params(("slug" = String, Path)), responses((status = 200, body = UsageOut)))]
async fn tenant_usage(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<UsageOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    let u = crate::control::usage::of_tenant(&state.db, tenant.id).await?;
    Ok(Json(UsageOut {
        plan: u.plan,
        members: u.members,
        pending_invitations: u.pending_invitations,
        max_users: u.max_users,
        modules: u.modules,
        max_modules: u.max_modules,
        api_calls: u.api_calls,
        max_api_calls: u.max_api_calls,
        max_storage_bytes: u.max_storage_bytes,
    }))
}
