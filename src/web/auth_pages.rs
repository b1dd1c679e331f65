//! Sign-in, sign-out and first-run setup pages of the platform console.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use crate::app::AppState;
use crate::auth::login::{self, Attempt, Audience, Outcome};
use crate::auth::{AuthSession, Credentials, csrf, password};
use crate::control::audit::Actor;
use crate::control::setup_tokens;
use crate::control::users::{self, CreateOwnerError, NewOwner, OwnerGrant};
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form, safe_next};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup_submit))
}

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
}

/// `?done=` value of the sign-in page after a password reset.
pub(crate) const PASSWORD_RESET_DONE: &str = "password_reset";

/// The sign-in page's message for `?done=` (fixed texts only: nothing from the URL is
/// shown).
pub(crate) fn login_info(done: Option<&str>) -> String {
    match done {
        Some(PASSWORD_RESET_DONE) => "Your password was changed. Sign in with the new one.".into(),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

async fn login_page(
    auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Query(q): Query<NextQuery>,
) -> Result<Response> {
    let bound: Option<String> = session.get(login::SESSION_HOST_KEY).await?;
    if auth.user.is_some() && bound == Some(Audience::Platform.binding(&meta.host)) {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    Ok(LoginPage {
        layout: Layout::public("Sign in", csrf::token(&session).await?),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: String::new(),
        info: login_info(q.done.as_deref()),
        errors: FieldErrors::default(),
    }
    .into_response())
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

async fn login_submit(
    State(state): State<AppState>,
    auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let layout = Layout::public("Sign in", csrf::token(&session).await?);
    sign_in_with_form(
        &state,
        auth,
        &session,
        &meta,
        form,
        Audience::Platform,
        layout,
        "",
    )
    .await
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
    };
    match login::sign_in(&state.db, &mut auth, session, creds, attempt, audience).await? {
        Outcome::SignedIn(_) => Ok(Redirect::to(&format!("{base}{next}")).into_response()),
        Outcome::Invalid => {
            page.notice = "Incorrect email or password.".into();
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Outcome::Throttled { minutes } => {
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            page.notice =
                format!("Too many failed sign-in attempts. Try again in {minutes} {unit}.");
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    mut auth: AuthSession,
    meta: RequestMeta,
) -> Result<Redirect> {
    login::sign_out(&state.db, &mut auth, &meta.origin).await?;
    Ok(Redirect::to("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    email: String,
    name: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

/// Why the setup form is not offered.
fn setup_refusal(e: &CreateOwnerError) -> AppError {
    match e {
        CreateOwnerError::SetupComplete => {
            AppError::Forbidden("Setup is already complete: an enterprise admin exists. Sign in instead.".into())
        }
        _ => AppError::Forbidden(
            "This setup link is not valid or was already used. Use the link from the latest server log, or run `tenantry admin create`."
                .into(),
        ),
    }
}

async fn setup_page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SetupQuery>,
) -> Result<SetupPage> {
    let token = q.token.unwrap_or_default();
    if users::owner_exists(&state.db).await? {
        return Err(setup_refusal(&CreateOwnerError::SetupComplete));
    }
    if !setup_tokens::is_valid(&state.db, &token).await? {
        return Err(setup_refusal(&CreateOwnerError::BadSetupToken));
    }
    Ok(SetupPage {
        layout: Layout::public(
            "Create the first enterprise admin",
            csrf::token(&session).await?,
        ),
        token,
        email: String::new(),
        name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Validate)]
struct SetupForm {
    token: String,
    #[validate(
        length(max = 254, message = "That email address is too long."),
        email(message = "Enter a valid email address.")
    )]
    email: String,
    #[validate(
        length(max = 200, message = "Use at most 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    name: String,
    #[validate(custom(function = "password::check_strength"))]
    password: String,
    password_confirm: String,
}

async fn setup_submit(
    State(state): State<AppState>,
    mut auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<SetupForm>,
) -> Result<Response> {
    let mut page = SetupPage {
        layout: Layout::public(
            "Create the first enterprise admin",
            csrf::token(&session).await?,
        ),
        token: form.token.clone(),
        email: form.email.trim().to_owned(),
        name: form.name.trim().to_owned(),
        errors: FieldErrors::default(),
    };
    if let Err(e) = form.validate() {
        page.errors = e.into();
    }
    if form.password != form.password_confirm {
        page.errors
            .add("password_confirm", "The passwords do not match.");
    }
    if !page.errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let new = NewOwner {
        email: &page.email,
        name: &page.name,
        password_hash: password::hash(form.password).await?,
    };
    let actor = Actor::anonymous(&page.email);
    match users::create_owner(
        &state.db,
        new,
        OwnerGrant::SetupToken(&form.token),
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(user) => {
            login::start_session(
                &mut auth,
                &session,
                &user,
                &Audience::Platform.binding(&meta.host),
            )
            .await?;
            Ok(Redirect::to("/").into_response())
        }
        Err(CreateOwnerError::EmailTaken) => {
            page.errors
                .add("email", "A user with this email already exists.");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CreateOwnerError::Db(e)) => Err(e.into()),
        Err(e) => Err(setup_refusal(&e)),
    }
}
