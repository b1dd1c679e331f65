//! "Open console": staff give a reason, it is audited, and they are sent to the tenant's
//! host with a single-use hand-off token.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;

use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::status::TenantStatus;
use crate::web::error::{AppError, Result};
use crate::web::form::Form;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

use super::visible_tenant;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/tenants/{slug}/open-console", post(open_console))
}

#[derive(Deserialize)]
struct OpenConsoleForm {
    #[serde(default)]
    reason: String,
}

/// "Open console": asks staff why, audits it, and sends them to the tenant's host with a
/// single-use hand-off token.
async fn open_console(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<OpenConsoleForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    if tenant.status != TenantStatus::Active {
        return Err(AppError::Conflict(
            "Only an active tenant's console can be opened.".into(),
        ));
    }
    let reason = form.reason.trim();
    if reason.chars().count() < 3
        || reason.chars().count() > 500
        || reason.chars().any(char::is_control)
    {
        return Err(AppError::BadRequest(
            "Give a reason of 3 to 500 characters on one line.".into(),
        ));
    }
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let token = crate::control::handoff::issue(
        &state.db,
        &actor,
        staff.user.id,
        tenant.id,
        &tenant.slug,
        reason,
        &meta.origin,
    )
    .await?;
    let scheme = if state.config.secure_cookies() {
        "https"
    } else {
        "http"
    };
    let target = format!(
        "{scheme}://{}.{}{}/handoff?token={token}",
        tenant.slug, state.config.base_domain, meta.port_suffix
    );
    Ok(crate::web::redirect_after_post(&headers, &target))
}
