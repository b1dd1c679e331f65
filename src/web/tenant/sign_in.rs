//! Sign-in and sign-out on a tenant's host: members of the tenant, and staff who may
//! reach it. The session is bound to this host and this tenant.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::auth::AuthSession;
use crate::auth::login::{self, Audience};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form, safe_next};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::sign_in::{LoginForm, LoginPage, LogoutPage, login_info, sign_in_with_form};
use crate::web::tenant::CurrentTenant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", get(logout_page).post(logout))
        .route("/handoff", get(handoff))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

/// The tenant's own sign-in pages: its name, logo and colour, under its base path, in
/// its language.
async fn layout(state: &AppState, current: &CurrentTenant, csrf: String) -> Result<Layout> {
    let locale = crate::web::place::tenant_locale(state, current).await?;
    let mut layout = Layout::public(
        &locale.t_with("auth-sign-in-to", &[("name", &current.tenant.name)]),
        csrf,
    );
    layout.base = current.base.clone();
    layout.tenant_name = current.tenant.name.clone();
    layout.locale = locale;
    Ok(layout)
}

async fn login_page(
    State(state): State<AppState>,
    current: CurrentTenant,
    session: Session,
    Query(q): Query<NextQuery>,
) -> Result<LoginPage> {
    Ok(LoginPage {
        layout: layout(&state, &current, csrf::token(&session).await?).await?,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: String::new(),
        info: login_info(q.done.as_deref()),
        errors: FieldErrors::default(),
        platform_url: None,
    })
}

async fn login_submit(
    State(state): State<AppState>,
    current: CurrentTenant,
    auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let layout = layout(&state, &current, csrf::token(&session).await?).await?;
    let audience = Audience::Tenant(current.tenant.id);
    sign_in_with_form(
        &state,
        auth,
        &session,
        &meta,
        form,
        audience,
        layout,
        &current.base,
    )
    .await
}

async fn logout_page(
    State(state): State<AppState>,
    current: CurrentTenant,
    auth: AuthSession,
    session: Session,
) -> Result<LogoutPage> {
    let mut layout = layout(&state, &current, csrf::token(&session).await?).await?;
    layout.title = layout
        .locale
        .t_with("auth-sign-out-of", &[("name", &current.tenant.name)]);
    Ok(LogoutPage {
        layout,
        signed_in: auth.user.is_some(),
    })
}

async fn logout(
    State(state): State<AppState>,
    current: CurrentTenant,
    mut auth: AuthSession,
    meta: RequestMeta,
) -> Result<Redirect> {
    let audience = Audience::Tenant(current.tenant.id);
    login::sign_out(&state.db, &mut auth, &meta.origin, audience).await?;
    Ok(Redirect::to(&format!("{}/login", current.base)))
}

#[derive(Deserialize)]
struct HandoffQuery {
    #[serde(default)]
    token: String,
}

/// `GET /handoff?token=…`: staff arriving from "Open console". The token is single-use,
/// a minute long and for this tenant only; the session is bound to this host.
async fn handoff(
    State(state): State<AppState>,
    current: CurrentTenant,
    mut auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Query(q): Query<HandoffQuery>,
) -> Result<Response> {
    let refused = || {
        AppError::Forbidden(
            "This link is not valid any more. Open the console again from the platform.".into(),
        )
    };
    let handoff = crate::control::handoff::consume(&state.db, q.token.trim(), current.tenant.id)
        .await?
        .ok_or_else(refused)?;
    let user = crate::control::users::find_active(&state.db, handoff.user_id)
        .await?
        .ok_or_else(refused)?;
    // Access is checked now, not when the link was made: a role may have changed.
    crate::auth::guard::tenant_access(&state.db, &user, current.tenant.id)
        .await?
        .ok_or_else(refused)?;
    login::start_session(
        &mut auth,
        &session,
        &user,
        &Audience::Tenant(current.tenant.id).binding(&meta.host),
    )
    .await?;
    let actor = crate::control::audit::Actor::user(user.id, &user.email);
    crate::control::audit::record(
        &state.db,
        crate::control::audit::NewEvent {
            actor: &actor,
            action: "tenant.console_opened",
            tenant: Some(current.tenant.id),
            target: Some(&current.tenant.slug),
            origin: &meta.origin,
            details: serde_json::json!({ "tenant_id": current.tenant.id, "reason": handoff.reason }),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("{}/", current.base)).into_response())
}
