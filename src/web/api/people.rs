//! A tenant's people over the platform API: its members, its invitations, and inviting
//! someone (owners and the tenant's assigned super admins, as in the console).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::auth::guard::PlatformAction;
use crate::control::audit::{Actor, Origin};
use crate::control::invitations::{self, InviteError, NewInvitation, Role, Scope};
use crate::control::memberships::{self, MembershipError};
use crate::state::AppState;
use crate::web::api::extract::{ApiJson, PlatformApi};
use crate::web::api::idempotent;
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::api::tenants::visible;
use crate::web::error::Refusal;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tenants/{slug}/members", get(members_list))
        .route(
            "/api/v1/tenants/{slug}/invitations",
            get(invitations_list).post(invitation_create),
        )
        .route(
            "/api/v1/tenants/{slug}/invitations/{id}",
            delete(invitation_revoke),
        )
        .route(
            "/api/v1/tenants/{slug}/members/{user}",
            patch(member_update).delete(member_remove),
        )
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    /// The member's user id (what changing or removing a member names).
    id: uuid::Uuid,
    email: String,
    name: String,
    /// `admin`, `member` or `role:<id>` (a custom role).
    role: String,
    role_label: String,
    /// `active` or `deactivated`.
    status: String,
    #[serde(with = "time::serde::rfc3339::option")]
    last_login_at: Option<OffsetDateTime>,
}

#[derive(Serialize, ToSchema)]
pub struct MembersOut {
    members: Vec<MemberOut>,
}

/// The tenant's members, admins first.
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/members", tag = "people",
    params(("slug" = String, Path)), responses((status = 200, body = MembersOut)))]
async fn members_list(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<MembersOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    Ok(Json(members_of(&state, tenant.id).await?))
}

/// A tenant's members as the API shows them (the platform's and the tenant's own API).
pub(crate) async fn members_of(state: &AppState, tenant: uuid::Uuid) -> ApiResult<MembersOut> {
    let members = memberships::list(&state.db, tenant)
        .await?
        .into_iter()
        .map(|m| MemberOut {
            id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role_key,
            role_label: m.role_label,
            status: m.status,
            last_login_at: m.last_login_at,
        })
        .collect();
    Ok(MembersOut { members })
}

#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    id: uuid::Uuid,
    email: String,
    role_label: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    status: String,
    invited_by: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationsOut {
    pub(crate) invitations: Vec<InvitationOut>,
}

/// A tenant's invitations as the API shows them, newest first.
pub(crate) async fn invitations_of(
    state: &AppState,
    tenant: uuid::Uuid,
) -> ApiResult<Vec<InvitationOut>> {
    Ok(invitations::list(&state.db, Scope::Tenant(tenant))
        .await?
        .into_iter()
        .map(|i| InvitationOut {
            id: i.id,
            email: i.email,
            role_label: i.role_label,
            status: i.status.as_str().to_owned(),
            invited_by: i.invited_by,
            expires_at: i.expires_at,
            created_at: i.created_at,
        })
        .collect())
}

/// The tenant's invitations, newest first (the latest 200).
#[utoipa::path(get, path = "/api/v1/tenants/{slug}/invitations", tag = "people",
    params(("slug" = String, Path)), responses((status = 200, body = InvitationsOut)))]
async fn invitations_list(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(slug): Path<String>,
) -> ApiResult<Json<InvitationsOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    Ok(Json(InvitationsOut {
        invitations: invitations_of(&state, tenant.id).await?,
    }))
}

/// Whom to invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    #[schema(format = Email, max_length = 254, example = "ada@example.com")]
    email: String,
    /// `admin`, `member`, or `role:<id>` of one of the tenant's custom roles.
    #[schema(example = "member", max_length = 60)]
    role: String,
}

/// Invites someone into the tenant: the invitation email waits in the outbox (until the
/// tenant is active). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations", tag = "people",
    request_body = InvitationIn,
    params(("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = InvitationOut, headers(("Location" = String))),
        (status = 409, description = "Already a member or invited, or the plan's user limit is reached", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn invitation_create(
    State(state): State<AppState>,
    api: PlatformApi,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ManageTenantPeople)?;
    let what = format!("POST /api/v1/tenants/{}/invitations", tenant.slug);
    idempotent::once(
        &state,
        &api.idempotency_caller(),
        &headers,
        &what,
        &body,
        async {
            let ApiJson(input) = ApiJson::<InvitationIn>::from_bytes(&headers, &body)?;
            let to = Invitee {
                id: tenant.id,
                slug: &tenant.slug,
                name: &tenant.name,
            };
            let location = format!("/api/v1/tenants/{}/invitations", tenant.slug);
            invite(
                &state,
                &to,
                input,
                &api.caller.actor(),
                &api.origin,
                &location,
            )
            .await
        },
    )
    .await
}

/// The tenant an invitation is for.
pub(crate) struct Invitee<'a> {
    pub id: uuid::Uuid,
    pub slug: &'a str,
    pub name: &'a str,
}

/// Invites `input.email` into `to` and answers 201 with the invitation (the platform's
/// and the tenant's own API; both wrap it in their `Idempotency-Key` handling).
pub(crate) async fn invite(
    state: &AppState,
    to: &Invitee<'_>,
    input: InvitationIn,
    actor: &Actor,
    origin: &Origin,
    location: &str,
) -> ApiResult<Response> {
    let scope = Scope::Tenant(to.id);
    let role = Role::parse(scope, input.role.trim()).ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("role: {}", InviteError::UnknownRole),
        )
    })?;
    let brand = crate::web::tenant::mail_branding_for(state, to.id, to.name).await;
    let base_url = state.config.tenant_url(to.slug);
    let mail = invitations::Mail {
        brand: &brand,
        base_url: &base_url,
        days: state.config.invitation_days,
    };
    let new = NewInvitation {
        scope,
        email: &input.email,
        role,
    };
    let mut tx = state.db.begin().await?;
    let id = invitations::create(&mut tx, &new, &mail, actor, origin)
        .await
        .map_err(refused)?;
    tx.commit().await?;
    let created = invitations_of(state, to.id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(Problem::not_found)?;
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Revokes a pending invitation of `tenant`: its link stops working at once.
pub(crate) async fn uninvite(
    state: &AppState,
    tenant: uuid::Uuid,
    id: &str,
    actor: &Actor,
    origin: &Origin,
) -> ApiResult<StatusCode> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| Problem::not_found())?;
    invitations::revoke(&state.db, Scope::Tenant(tenant), id, actor, origin)
        .await
        .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation refused as a problem: `conflict` for a state in the way, `invalid` for
/// input, `not-found`, or our failure.
fn refused(e: InviteError) -> Problem {
    match e.status() {
        Some(StatusCode::CONFLICT) => Problem::new(StatusCode::CONFLICT, "conflict", e.message()),
        Some(StatusCode::NOT_FOUND) => Problem::not_found(),
        Some(status) => Problem::new(status, "invalid", e.message()),
        None => Problem::from(e),
    }
}

/// Revokes a pending invitation of the tenant.
#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/invitations/{id}", tag = "people",
    params(("slug" = String, Path), ("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Revoked"),
        (status = 409, description = "Not pending", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn invitation_revoke(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ManageTenantPeople)?;
    uninvite(&state, tenant.id, &id, &api.caller.actor(), &api.origin).await
}

/// A member's new role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    /// `admin`, `member`, or `role:<id>` of one of the tenant's custom roles.
    #[schema(example = "admin", max_length = 60)]
    role: String,
}

/// Gives a member of `tenant` another role and answers with the member as now listed
/// (the platform's and the tenant's own API). The last admin keeps their role.
pub(crate) async fn change_member_role(
    state: &AppState,
    tenant: uuid::Uuid,
    user: &str,
    input: MemberIn,
    actor: &Actor,
    origin: &Origin,
) -> ApiResult<Json<MemberOut>> {
    let user = uuid::Uuid::parse_str(user).map_err(|_| Problem::not_found())?;
    let role = Role::parse(Scope::Tenant(tenant), input.role.trim())
        .ok_or(MembershipError::UnknownRole)
        .map_err(member_refused)?;
    memberships::change_role(&state.db, tenant, user, role, actor, origin)
        .await
        .map_err(member_refused)?;
    members_of(state, tenant)
        .await?
        .members
        .into_iter()
        .find(|m| m.id == user)
        .map(Json)
        .ok_or_else(Problem::not_found)
}

/// Removes a member from `tenant` (their identity stays; the last admin stays).
pub(crate) async fn remove_member(
    state: &AppState,
    tenant: uuid::Uuid,
    user: &str,
    actor: &Actor,
    origin: &Origin,
) -> ApiResult<StatusCode> {
    let user = uuid::Uuid::parse_str(user).map_err(|_| Problem::not_found())?;
    memberships::remove(&state.db, tenant, user, actor, origin)
        .await
        .map_err(member_refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A membership change refused as a problem.
fn member_refused(e: MembershipError) -> Problem {
    match e {
        MembershipError::NotMember => Problem::not_found(),
        MembershipError::UnknownRole => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("role: {e}"),
        ),
        MembershipError::LastAdmin(_) => {
            Problem::new(StatusCode::CONFLICT, "conflict", e.to_string())
        }
        MembershipError::Db(e) => Problem::from(e),
    }
}

/// Gives a member of the tenant another role (refused for its last admin).
#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/members/{user}", tag = "people",
    request_body = MemberIn,
    params(("slug" = String, Path), ("user" = String, Path, format = Uuid)),
    responses((status = 200, body = MemberOut),
        (status = 409, description = "The tenant's last admin", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn member_update(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, user)): Path<(String, String)>,
    ApiJson(input): ApiJson<MemberIn>,
) -> ApiResult<Json<MemberOut>> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ManageTenantPeople)?;
    change_member_role(
        &state,
        tenant.id,
        &user,
        input,
        &api.caller.actor(),
        &api.origin,
    )
    .await
}

/// Removes a member from the tenant (refused for its last admin).
#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/members/{user}", tag = "people",
    params(("slug" = String, Path), ("user" = String, Path, format = Uuid)),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "The tenant's last admin", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn member_remove(
    State(state): State<AppState>,
    api: PlatformApi,
    Path((slug, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = visible(&state, &api, &slug).await?;
    api.require(PlatformAction::ManageTenantPeople)?;
    remove_member(&state, tenant.id, &user, &api.caller.actor(), &api.origin).await
}
