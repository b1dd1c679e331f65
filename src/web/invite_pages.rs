//! Accepting an invitation, on the host it leads to (the tenant's, or the platform's for
//! staff). A new person sets a name and password; an existing identity signs in, and its
//! email must be the invited one. Either way they end up signed in on that host.
//! Closed links (unknown, expired, revoked, used) each get their own page, and none says
//! anything about the tenant's members.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use crate::auth::login::{self, Attempt, Outcome};
use crate::auth::{AuthSession, Credentials, password};
use crate::control::invitations::{self, AcceptError, Acceptor, Found, TokenState};
use crate::control::users;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::place::Place;

/// `/invite` on the platform host (staff invitations).
pub fn router() -> Router<AppState> {
    Router::new().route("/invite", get(platform_page).post(platform_submit))
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    layout: Layout,
    token: String,
    place: String,
    email: String,
    role: String,
    /// The invited address has an account: sign in to accept.
    existing: bool,
    name: String,
    sign_in_email: String,
    notice: String,
    errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invite_closed.html")]
struct ClosedPage {
    layout: Layout,
    message: &'static str,
}

/// The page for a link that no longer (or never did) work.
fn closed(place: &Place, csrf: String, state: Option<TokenState>) -> Response {
    let (status, heading, message) = match state {
        None => (
            StatusCode::NOT_FOUND,
            "This invitation link is not valid",
            "Check that you opened the whole link from the email. If it still does not work, ask the person who invited you to send a new invitation.",
        ),
        Some(TokenState::Expired) => (
            StatusCode::GONE,
            "This invitation has expired",
            "Invitations work for a limited time. Ask the person who invited you to send it again.",
        ),
        Some(TokenState::Revoked) => (
            StatusCode::GONE,
            "This invitation was withdrawn",
            "The person who invited you withdrew it. Ask them if you think this is a mistake.",
        ),
        Some(TokenState::Used) | Some(TokenState::Open) => (
            StatusCode::GONE,
            "This invitation has already been used",
            "Each invitation link works once. If you accepted it, sign in with your email and password.",
        ),
    };
    let page = ClosedPage {
        layout: place.layout(heading, csrf),
        message,
    };
    (status, page).into_response()
}

/// Shows the form for an open invitation, or the page saying why it is closed.
pub(crate) async fn show(
    state: &AppState,
    session: &Session,
    place: &Place,
    token: &str,
) -> Result<Response> {
    let csrf = csrf::token(session).await?;
    let found = match invitations::find(&state.db, place.scope(), token.trim()).await? {
        Some(f) if f.state == TokenState::Open => f,
        other => return Ok(closed(place, csrf, other.map(|f| f.state))),
    };
    Ok(form_page(state, place, csrf, token, &found)
        .await?
        .into_response())
}

async fn form_page(
    state: &AppState,
    place: &Place,
    csrf: String,
    token: &str,
    found: &Found,
) -> Result<InvitePage> {
    let existing = users::find_active_by_email(&state.db, &found.email)
        .await?
        .is_some();
    Ok(InvitePage {
        layout: {
            let mut layout = place.layout("", csrf);
            layout.title = place.locale.t_with("auth-join", &[("name", place.name())]);
            layout
        },
        token: token.trim().to_owned(),
        place: place.name().to_owned(),
        email: found.email.clone(),
        role: found.role_label.clone(),
        existing,
        name: String::new(),
        sign_in_email: found.email.clone(),
        notice: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Validate)]
pub(crate) struct AcceptForm {
    #[serde(default)]
    token: String,
    /// New people: their name.
    #[serde(default)]
    #[validate(
        length(
            min = 1,
            max = 200,
            message = "Enter your name (at most 200 characters)."
        ),
        custom(function = "crate::rules::one_line")
    )]
    name: String,
    /// Existing identities: the email they sign in with.
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Accepts: creates the identity or checks the existing one, then signs in on this host.
pub(crate) async fn submit(
    state: &AppState,
    mut auth: AuthSession,
    session: &Session,
    meta: &RequestMeta,
    place: &Place,
    form: AcceptForm,
) -> Result<Response> {
    let csrf = csrf::token(session).await?;
    let token = form.token.trim().to_owned();
    let found = match invitations::find(&state.db, place.scope(), &token).await? {
        Some(f) if f.state == TokenState::Open => f,
        other => return Ok(closed(place, csrf, other.map(|f| f.state))),
    };
    let mut page = form_page(state, place, csrf, &token, &found).await?;
    let attempt = Attempt {
        ip: &meta.ip,
        host: &meta.host,
        origin: &meta.origin,
        audience: place.audience,
    };
    let user = if page.existing {
        page.sign_in_email = form.email.trim().chars().take(254).collect();
        if !invitations::valid_email(form.email.trim()) {
            page.errors.add("email", "Enter a valid email address.");
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        let creds = Credentials {
            email: page.sign_in_email.clone(),
            password: form.password,
        };
        match login::check_credentials(&state.db, &mut auth, creds, &attempt).await? {
            Outcome::SignedIn(user) => {
                let accepted = invitations::accept(
                    &state.db,
                    place.scope(),
                    &token,
                    Acceptor::Existing(&user),
                    &meta.origin,
                )
                .await;
                if let Err(e) = accepted {
                    return refused(place, page, e);
                }
                user
            }
            // `check_credentials` decides nothing about where the person may go.
            Outcome::Invalid | Outcome::ThroughPlatform => {
                page.notice = "Incorrect email or password.".into();
                return Ok((StatusCode::UNAUTHORIZED, page).into_response());
            }
            Outcome::Throttled { minutes } => {
                page.notice =
                    format!("Too many failed sign-in attempts. Try again in {minutes} min.");
                return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
            }
        }
    } else {
        page.name = form.name.trim().chars().take(200).collect();
        if let Err(e) = form.validate() {
            page.errors = e.into();
        }
        if let Err(e) = password::check_strength(&form.password) {
            page.errors.add(
                "password",
                e.message.map(|m| m.to_string()).unwrap_or_default(),
            );
        }
        if form.password != form.password_confirm {
            page.errors
                .add("password_confirm", "The passwords do not match.");
        }
        if !page.errors.is_empty() {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        let who = Acceptor::New {
            name: form.name.trim(),
            password_hash: password::hash(form.password).await?,
        };
        let accepted =
            invitations::accept(&state.db, place.scope(), &token, who, &meta.origin).await;
        let id = match accepted {
            Ok(id) => id,
            Err(e) => return refused(place, page, e),
        };
        users::find_active(&state.db, id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("accepted user vanished")))?
    };
    login::finish_sign_in(&state.db, &mut auth, session, &user, &attempt).await?;
    Ok(Redirect::to(&format!("{}/", place.base)).into_response())
}

/// The form again (or the closed page) for an acceptance that did not go through.
fn refused(place: &Place, mut page: InvitePage, e: AcceptError) -> Result<Response> {
    let state = match e {
        AcceptError::Db(_) => return Err(e.into()),
        AcceptError::WrongEmail => {
            page.notice = e.to_string();
            return Ok((StatusCode::FORBIDDEN, page).into_response());
        }
        AcceptError::MustSignIn => {
            page.existing = true;
            page.notice = e.to_string();
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        AcceptError::Unknown => None,
        AcceptError::Expired => Some(TokenState::Expired),
        AcceptError::Revoked => Some(TokenState::Revoked),
        AcceptError::Used => Some(TokenState::Used),
    };
    Ok(closed(place, page.layout.csrf_token, state))
}

async fn platform_page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    show(&state, &session, &Place::platform(&state.config), &q.token).await
}

async fn platform_submit(
    State(state): State<AppState>,
    auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<AcceptForm>,
) -> Result<Response> {
    submit(
        &state,
        auth,
        &session,
        &meta,
        &Place::platform(&state.config),
        form,
    )
    .await
}

/// `/invite` on a tenant's host.
pub(crate) mod tenant {
    use super::*;
    use crate::web::tenant::CurrentTenant;

    pub fn router() -> Router<AppState> {
        Router::new().route("/invite", get(page).post(accept))
    }

    async fn page(
        State(state): State<AppState>,
        current: CurrentTenant,
        session: Session,
        Query(q): Query<TokenQuery>,
    ) -> Result<Response> {
        show(
            &state,
            &session,
            &Place::tenant(&state, &current).await?,
            &q.token,
        )
        .await
    }

    async fn accept(
        State(state): State<AppState>,
        current: CurrentTenant,
        auth: AuthSession,
        session: Session,
        meta: RequestMeta,
        Form(form): Form<AcceptForm>,
    ) -> Result<Response> {
        submit(
            &state,
            auth,
            &session,
            &meta,
            &Place::tenant(&state, &current).await?,
            form,
        )
        .await
    }
}
