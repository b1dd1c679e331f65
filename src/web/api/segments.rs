//! Segments and assignments over the platform API: which tenants a super admin manages,
//! directly or through a named group. Owners only, as on the console's Segments page;
//! the edits go through the same services (and their audit events).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::assignments;
use crate::control::segments::{self, SegmentError};
use crate::state::AppState;
use crate::web::api::extract::{ApiJson, PlatformApi};
use crate::web::api::idempotent;
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::api::tenants::visible;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/segments", get(segments_list).post(segment_create))
        .route(
            "/api/v1/segments/{id}",
            get(segment_get)
                .patch(segment_update)
                .delete(segment_delete),
        )
        .route(
            "/api/v1/segments/{id}/tenants/{slug}",
            put(segment_tenant_add).delete(segment_tenant_remove),
        )
        .route(
            "/api/v1/segments/{id}/super-admins/{user}",
            put(segment_super_admin_assign).delete(segment_super_admin_unassign),
        )
        .route(
            "/api/v1/tenants/{slug}/super-admins",
            get(tenant_super_admins),
        )
        .route(
            "/api/v1/tenants/{slug}/super-admins/{user}",
            put(tenant_super_admin_assign).delete(tenant_super_admin_unassign),
        )
}

/// A segment on the list, with how many tenants and active super admins it links.
#[derive(Serialize, ToSchema)]
pub struct SegmentSummary {
    id: Uuid,
    name: String,
    description: String,
    tenants: i64,
    super_admins: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentsOut {
    segments: Vec<SegmentSummary>,
}

/// A tenant in a segment.
#[derive(Serialize, ToSchema)]
pub struct SegmentTenantOut {
    slug: String,
    name: String,
    status: String,
}

/// A super admin, and whether they are assigned (to the segment or tenant asked about).
#[derive(Serialize, ToSchema)]
pub struct SuperAdminOut {
    id: Uuid,
    email: String,
    assigned: bool,
}

/// A segment with its tenants and every active super admin (assigned or not).
#[derive(Serialize, ToSchema)]
pub struct SegmentOut {
    id: Uuid,
    name: String,
    description: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    tenants: Vec<SegmentTenantOut>,
    super_admins: Vec<SuperAdminOut>,
}

#[derive(Serialize, ToSchema)]
pub struct SuperAdminsOut {
    super_admins: Vec<SuperAdminOut>,
}

/// A segment's refusal as a problem; its sentence is the console's.
fn segment_problem(e: SegmentError) -> Problem {
    let detail = e.to_string();
    let (status, kind) = match e {
        SegmentError::Db(db) => return Problem::from(db),
        SegmentError::Name | SegmentError::Description | SegmentError::SlugMissing => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        SegmentError::NameTaken(_) => (StatusCode::CONFLICT, "name-taken"),
        SegmentError::AlreadyIn(_) => (StatusCode::CONFLICT, "conflict"),
        SegmentError::UnknownTenant(_)
        | SegmentError::NotIn(_)
        | SegmentError::NotSuperAdmin
        | SegmentError::NotFound => (StatusCode::NOT_FOUND, "not-found"),
    };
    Problem::new(status, kind, detail)
}

/// A UUID named in the path; anything else names nothing (404).
fn path_uuid(id: &str) -> ApiResult<Uuid> {
    Uuid::try_parse(id).map_err(|_| Problem::not_found())
}

async fn segment_out(state: &AppState, id: Uuid) -> ApiResult<SegmentOut> {
    let segment = segments::get(&state.db, id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let tenants = segments::tenants_of(&state.db, id)
        .await?
        .into_iter()
        .map(|t| SegmentTenantOut {
            slug: t.slug,
            name: t.name,
            status: t.status,
        })
        .collect();
    let super_admins = super_admins(segments::super_admins_for(&state.db, id).await?);
    Ok(SegmentOut {
        id: segment.id,
        name: segment.name,
        description: segment.description,
        created_at: segment.created_at,
        tenants,
        super_admins,
    })
}

fn super_admins(rows: Vec<(Uuid, String, bool)>) -> Vec<SuperAdminOut> {
    rows.into_iter()
        .map(|(id, email, assigned)| SuperAdminOut {
            id,
            email,
            assigned,
        })
        .collect()
}

/// Every segment by name.
#[utoipa::path(get, path = "/api/v1/segments", tag = "assignments",
    responses((status = 200, body = SegmentsOut)))]
async fn segments_list(
    State(state): State<AppState>,
    api: PlatformApi,
) -> ApiResult<Json<SegmentsOut>> {
    api.require(PlatformAction::ViewAssignments)?;
    let segments = segments::list(&state.db)
        .await?
        .into_iter()
        .map(|s| SegmentSummary {
            id: s.id,
            name: s.name,
            description: s.description,
            tenants: s.tenants,
            super_admins: s.super_admins,
        })
        .collect();
    Ok(Json(SegmentsOut { segments }))
}

/// A new segment's name and description.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentIn {
    /// 1 to 60 characters once trimmed, no control characters; unique.
    #[schema(example = "EU customers", min_length = 1, max_length = 60)]
    name: String,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// Creates a segment. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/segments", tag = "assignments", request_body = SegmentIn,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = SegmentOut, headers(("Location" = String))),
        (status = 409, description = "A segment has this name, or the idempotency key is in use", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn segment_create(
    State(state): State<AppState>,
    api: PlatformApi,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    api.require(PlatformAction::ManageStaff)?;
    idempotent::once(
        &state,
        &api.idempotency_caller(),
        &headers,
        "POST /api/v1/segments",
        &body,
        async {
            let ApiJson(input) = ApiJson::<SegmentIn>::from_bytes(&headers, &body)?;
            let segment = segments::create(
                &state.db,
                &input.name,
                input.description.as_deref().unwrap_or_default(),
                &api.caller.actor(),
                &api.origin,
            )
            .await
            .map_err(segment_problem)?;
            let out = segment_out(&state, segment.id).await?;
            let mut response = (StatusCode::CREATED, Json(out)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/segments/{}", segment.id)) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            Ok(response)
        },
    )
    .await
}

/// A segment, its tenants and the super admins (with whether each is assigned).
#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "assignments",
    params(("id" = Uuid, Path)), responses((status = 200, body = SegmentOut)))]
async fn segment_get(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(id): Path<String>,
) -> ApiResult<Json<SegmentOut>> {
    api.require(PlatformAction::ViewAssignments)?;
    Ok(Json(segment_out(&state, path_uuid(&id)?).await?))
}

/// What may change about a segment (absent: unchanged).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    #[schema(min_length = 1, max_length = 60)]
    name: Option<String>,
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// Renames a segment and/or changes its description.
#[utoipa::path(patch, path = "/api/v1/segments/{id}", tag = "assignments",
    request_body = SegmentPatch, params(("id" = Uuid, Path)),
    responses((status = 200, body = SegmentOut),
        (status = 409, description = "Another segment has this name", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn segment_update(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<SegmentPatch>,
) -> ApiResult<Json<SegmentOut>> {
    api.require(PlatformAction::ManageStaff)?;
    let id = path_uuid(&id)?;
    let current = segments::get(&state.db, id)
        .await?
        .ok_or_else(Problem::not_found)?;
    segments::update(
        &state.db,
        id,
        patch.name.as_deref().unwrap_or(&current.name),
        patch.description.as_deref().unwrap_or(&current.description),
        &api.caller.actor(),
        &api.origin,
    )
    .await
    .map_err(segment_problem)?;
    Ok(Json(segment_out(&state, id).await?))
}

/// Deletes a segment; its tenants and super admins stay, the access it granted ends.
#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "assignments",
    params(("id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn segment_delete(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    api.require(PlatformAction::ManageStaff)?;
    segments::delete(&state.db, path_uuid(&id)?, &api.caller.actor(), &api.origin)
        .await
        .map_err(segment_problem)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a tenant in the segment (already in: nothing changes).
#[utoipa::path(put, path = "/api/v1/segments/{id}/tenants/{slug}", tag = "assignments",
    params(("id" = Uuid, Path), ("slug" = String, Path)), responses((status = 200, body = SegmentOut)))]
async fn segment_tenant_add(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<Json<SegmentOut>> {
    api.require(PlatformAction::ManageStaff)?;
    let id = path_uuid(&id)?;
    let actor = api.caller.actor();
    match segments::add_tenant(&state.db, id, &slug, &actor, &api.origin).await {
        // PUT is idempotent: a tenant already in the segment is where it was asked to be.
        Ok(_) | Err(SegmentError::AlreadyIn(_)) => {}
        Err(SegmentError::SlugMissing) => return Err(Problem::not_found()),
        Err(e) => return Err(segment_problem(e)),
    }
    Ok(Json(segment_out(&state, id).await?))
}

/// Takes a tenant out of the segment.
#[utoipa::path(delete, path = "/api/v1/segments/{id}/tenants/{slug}", tag = "assignments",
    params(("id" = Uuid, Path), ("slug" = String, Path)), responses((status = 204, description = "Removed")))]
async fn segment_tenant_remove(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    api.require(PlatformAction::ManageStaff)?;
    let id = path_uuid(&id)?;
    segments::remove_tenant(&state.db, id, &slug, &api.caller.actor(), &api.origin)
        .await
        .map_err(segment_problem)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn segment_super_admin_set(
    state: &AppState,
    api: &PlatformApi,
    id: &str,
    user: &str,
    assigned: bool,
) -> ApiResult<Uuid> {
    api.require(PlatformAction::ManageStaff)?;
    let (id, user) = (path_uuid(id)?, path_uuid(user)?);
    segments::set_super_admin(
        &state.db,
        id,
        user,
        assigned,
        &api.caller.actor(),
        &api.origin,
    )
    .await
    .map_err(segment_problem)?;
    Ok(id)
}

/// Assigns an active super admin to the segment: they manage its tenants.
#[utoipa::path(put, path = "/api/v1/segments/{id}/super-admins/{user}", tag = "assignments",
    params(("id" = Uuid, Path), ("user" = Uuid, Path, description = "The super admin's id")),
    responses((status = 200, body = SegmentOut)))]
async fn segment_super_admin_assign(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<Json<SegmentOut>> {
    let id = segment_super_admin_set(&state, &api, &id, &user, true).await?;
    Ok(Json(segment_out(&state, id).await?))
}

/// Unassigns a super admin from the segment.
#[utoipa::path(delete, path = "/api/v1/segments/{id}/super-admins/{user}", tag = "assignments",
    params(("id" = Uuid, Path), ("user" = Uuid, Path, description = "The super admin's id")),
    responses((status = 204, description = "Unassigned")))]
async fn segment_super_admin_unassign(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    segment_super_admin_set(&state, &api, &id, &user, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every active super admin and whether they are assigned to this tenant directly
/// (a segment may assign them too: see the segments).
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/super-admins", tag = "assignments",
    params(("slug" = String, Path)), responses((status = 200, body = SuperAdminsOut)))]
async fn tenant_super_admins(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<SuperAdminsOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ViewAssignments)?;
    let rows = assignments::super_admins_for(&state.db, tenant.id).await?;
    Ok(Json(SuperAdminsOut {
        super_admins: super_admins(rows),
    }))
}

async fn tenant_super_admin_set(
    state: &AppState,
    api: &PlatformApi,
    slug: &str,
    user: &str,
    assigned: bool,
) -> ApiResult<Vec<SuperAdminOut>> {
    let tenant = visible(state, api, slug).await?;
    api.require(PlatformAction::ManageStaff)?;
    let user = path_uuid(user)?;
    let actor = api.caller.actor();
    if !assignments::set(
        &state.db,
        tenant.id,
        &tenant.slug,
        user,
        assigned,
        &actor,
        &api.origin,
    )
    .await?
    {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            SegmentError::NotSuperAdmin.to_string(),
        ));
    }
    let rows = assignments::super_admins_for(&state.db, tenant.id).await?;
    Ok(super_admins(rows))
}

/// Assigns an active super admin to the tenant.
#[utoipa::path(put, path = "/api/v1/tenants/{slug}/super-admins/{user}", tag = "assignments",
    params(("slug" = String, Path), ("user" = Uuid, Path, description = "The super admin's id")),
    responses((status = 200, body = SuperAdminsOut)))]
async fn tenant_super_admin_assign(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, user)): Path<(String, String)>,
) -> ApiResult<Json<SuperAdminsOut>> {
    let super_admins = tenant_super_admin_set(&state, &api, &slug, &user, true).await?;
    Ok(Json(SuperAdminsOut { super_admins }))
}

/// Unassigns a super admin from the tenant (a segment may still assign them).
#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/super-admins/{user}", tag = "assignments",
    params(("slug" = String, Path), ("user" = Uuid, Path, description = "The super admin's id")),
    responses((status = 204, description = "Unassigned")))]
async fn tenant_super_admin_unassign(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    tenant_super_admin_set(&state, &api, &slug, &user, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
