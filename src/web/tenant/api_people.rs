//! The tenant's people over its own API, for admin-scoped tokens: the members, the
//! invitations, inviting someone and revoking an invitation — what the tenant's admins
//! do on the Members page. Shapes and rules are the platform API's (`web::api::people`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, patch};

use crate::auth::guard::TokenScope;
use crate::state::AppState;
use crate::web::api::extract::ApiJson;
use crate::web::api::idempotent;
use crate::web::api::people::{
    self, InvitationIn, InvitationOut, InvitationsOut, Invitee, MemberIn, MemberOut, MembersOut,
};
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::meta::RequestMeta;
use crate::web::tenant::api::Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/members", get(members_list))
        .route(
            "/api/v1/invitations",
            get(invitations_list).post(invitation_create),
        )
        .route("/api/v1/invitations/{id}", delete(invitation_revoke))
        .route(
            "/api/v1/members/{user}",
            patch(member_update).delete(member_remove),
        )
}

/// People are the tenant admins' business: only an `admin` token reaches them.
fn require_admin(api: &Api) -> ApiResult<()> {
    if api.caller.scope >= TokenScope::Admin {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!(
            "This token's scope is {}; members and invitations need a token with scope admin.",
            api.caller.scope.as_str()
        ),
    ))
}

/// The tenant's members, admins first.
#[utoipa::path(get, path = "/api/v1/members", tag = "people",
    responses((status = 200, body = MembersOut)))]
pub(super) async fn members_list(
    State(state): State<AppState>,
    api: Api,
) -> ApiResult<Json<MembersOut>> {
    require_admin(&api)?;
    Ok(Json(
        people::members_of(&state, api.current.tenant.id).await?,
    ))
}

/// The tenant's invitations, newest first (the latest 200).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "people",
    responses((status = 200, body = InvitationsOut)))]
pub(super) async fn invitations_list(
    State(state): State<AppState>,
    api: Api,
) -> ApiResult<Json<InvitationsOut>> {
    require_admin(&api)?;
    Ok(Json(InvitationsOut {
        invitations: people::invitations_of(&state, api.current.tenant.id).await?,
    }))
}

/// Invites someone into the tenant: the invitation email waits in the outbox. Send
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "people",
    request_body = InvitationIn,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = InvitationOut, headers(("Location" = String))),
        (status = 409, description = "Already a member or invited, or the plan's user limit is reached", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn invitation_create(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    require_admin(&api)?;
    idempotent::once(
        &state,
        &api.idempotency_caller(),
        &headers,
        "POST /api/v1/invitations",
        &body,
        async {
            let ApiJson(input) = ApiJson::<InvitationIn>::from_bytes(&headers, &body)?;
            let tenant = &api.current.tenant;
            let to = Invitee {
                id: tenant.id,
                slug: &tenant.slug,
                name: &tenant.name,
            };
            let actor = api.actor();
            people::invite(
                &state,
                &to,
                input,
                &actor,
                &meta.origin,
                "/api/v1/invitations",
            )
            .await
        },
    )
    .await
}

/// Revokes a pending invitation: its link stops working at once.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "people",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Revoked"),
        (status = 409, description = "Not pending", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn invitation_revoke(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_admin(&api)?;
    let actor = api.actor();
    people::uninvite(&state, api.current.tenant.id, &id, &actor, &meta.origin).await
}

/// Gives a member another role (refused for the tenant's last admin).
#[utoipa::path(patch, path = "/api/v1/members/{user}", tag = "people",
    request_body = MemberIn,
    params(("user" = String, Path, format = Uuid)),
    responses((status = 200, body = MemberOut),
        (status = 409, description = "The tenant's last admin", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn member_update(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(user): Path<String>,
    ApiJson(input): ApiJson<MemberIn>,
) -> ApiResult<Json<MemberOut>> {
    require_admin(&api)?;
    let actor = api.actor();
    people::change_member_role(
        &state,
        api.current.tenant.id,
        &user,
        input,
        &actor,
        &meta.origin,
    )
    .await
}

/// Removes a member from the tenant (refused for its last admin); their identity stays.
#[utoipa::path(delete, path = "/api/v1/members/{user}", tag = "people",
    params(("user" = String, Path, format = Uuid)),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "The tenant's last admin", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn member_remove(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(user): Path<String>,
) -> ApiResult<StatusCode> {
    require_admin(&api)?;
    let actor = api.actor();
    people::remove_member(&state, api.current.tenant.id, &user, &actor, &meta.origin).await
}
