//! What both consoles share about signing in: the page, the form, the one handler body
//! that validates it, signs in for a console and answers, and [`signed_in`], the check
//! behind both consoles' extractors.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use crate::auth::login::{self, Attempt, Audience, Outcome};
use crate::auth::{AuthSession, Credentials};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, safe_next};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;

/// The sign-in form, shared by the platform console and the tenant consoles.
#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub(crate) struct LoginPage {
    pub(crate) layout: Layout,
    pub(crate) email: String,
    pub(crate) next: String,
    pub(crate) notice: String,
    /// Good news shown above the form (e.g. after a password reset).
    pub(crate) info: String,
    pub(crate) errors: FieldErrors,
    /// A link to the platform console shown with the notice (staff on a tenant host).
    pub(crate) platform_url: Option<String>,
}

/// `GET /logout`: a page with the sign-out button, so a link can lead there (an error
/// page's "Sign out"; a refused person must always be able to leave).
#[derive(Template, WebTemplate)]
#[template(path = "auth/logout.html")]
pub(crate) struct LogoutPage {
    pub(crate) layout: Layout,
    pub(crate) signed_in: bool,
}

/// `?done=` value of the sign-in page after a password reset.
pub(crate) const PASSWORD_RESET_DONE: &str = "password_reset";

/// `?done=` value of the platform's sign-in page when setup was already done.
pub(crate) const SETUP_DONE: &str = "setup_complete";

/// The sign-in page's message for `?done=` (fixed texts only: nothing from the URL is
/// shown).
pub(crate) fn login_info(done: Option<&str>) -> String {
    match done {
        Some(PASSWORD_RESET_DONE) => "Your password was changed. Sign in with the new one.".into(),
        Some(SETUP_DONE) => {
            "Setup is already complete: an enterprise admin exists. Sign in here.".into()
        }
        _ => String::new(),
    }
}

#[derive(Deserialize, Validate)]
pub(crate) struct LoginForm {
    #[validate(
        length(max = 254, message = "That email address is too long."),
        email(message = "Enter a valid email address.")
    )]
    email: String,
    #[validate(length(min = 1, max = 1024, message = "Enter your password."))]
    password: String,
    next: Option<String>,
}

/// Validates the form, signs in for `audience` and answers: a redirect to `next` (under
/// `base`), or the form again with the reason (same message for every failure).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn sign_in_with_form(
    state: &AppState,
    mut auth: AuthSession,
    session: &Session,
    meta: &RequestMeta,
    form: LoginForm,
    audience: Audience,
    layout: Layout,
    base: &str,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let mut page = LoginPage {
        layout,
        email: form.email.trim().to_owned(),
        next: next.clone(),
        notice: String::new(),
        info: String::new(),
        errors: FieldErrors::default(),
        platform_url: None,
    };
    if let Err(e) = form.validate() {
        page.errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let creds = Credentials {
        email: page.email.clone(),
        password: form.password,
    };
    let attempt = Attempt {
        ip: &meta.ip,
        host: &meta.host,
        origin: &meta.origin,
        audience,
    };
    match login::sign_in(&state.db, &mut auth, session, creds, attempt).await? {
        Outcome::SignedIn(_) => Ok(Redirect::to(&format!("{base}{next}")).into_response()),
        Outcome::Invalid => {
            page.notice = "Incorrect email or password.".into();
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Outcome::ThroughPlatform => {
            page.notice = "Platform staff open a tenant's console from the platform: \
                Tenants, then the tenant, then \"Open console\" with a reason."
                .into();
            page.platform_url = Some(state.config.admin_url());
            Ok((StatusCode::FORBIDDEN, page).into_response())
        }
        Outcome::Throttled { minutes } => {
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            page.notice =
                format!("Too many failed sign-in attempts. Try again in {minutes} {unit}.");
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
    }
}

/// The signed-in user and their session, if the session was made for `audience` on this
/// very host: a cookie copied to another host (or console) is no session there.
pub async fn signed_in<S: Send + Sync>(
    parts: &mut axum::http::request::Parts,
    state: &S,
    audience: Audience,
) -> Result<(crate::control::users::User, Session)> {
    use axum::extract::FromRequestParts;
    let auth = AuthSession::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("auth layer missing")))?;
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("session layer missing")))?;
    let user = auth.user.ok_or(AppError::Unauthenticated)?;
    let bound: Option<String> = session.get(login::SESSION_HOST_KEY).await?;
    let here = crate::web::meta::request_host(parts).map(|h| audience.binding(&h));
    if bound.is_none() || bound != here {
        return Err(AppError::Unauthenticated);
    }
    tracing::Span::current().record("user_id", tracing::field::display(user.id));
    Ok((user, session))
}
