//! Sign-in, sign-out and first-run setup pages of the platform console.

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

use crate::auth::login::{self, Audience};
use crate::auth::{AuthSession, password};
use crate::control::audit::Actor;
use crate::control::setup_tokens;
use crate::control::users::{self, CreateOwnerError, NewOwner, OwnerGrant};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form, safe_next};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::sign_in::{
    LoginForm, LoginPage, LogoutPage, SETUP_DONE, login_info, sign_in_with_form,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", get(logout_page).post(logout))
        .route("/setup", get(setup_page).post(setup_submit))
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
        platform_url: None,
    }
    .into_response())
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

async fn logout_page(auth: AuthSession, session: Session) -> Result<LogoutPage> {
    Ok(LogoutPage {
        layout: Layout::public(
            "Sign out of the platform console",
            csrf::token(&session).await?,
        ),
        signed_in: auth.user.is_some(),
    })
}

async fn logout(
    State(state): State<AppState>,
    mut auth: AuthSession,
    meta: RequestMeta,
) -> Result<Redirect> {
    login::sign_out(&state.db, &mut auth, &meta.origin, Audience::Platform).await?;
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
        CreateOwnerError::SetupComplete => AppError::Forbidden(
            "Setup is already complete: an enterprise admin exists. Sign in instead.".into(),
        ),
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
) -> Result<Response> {
    let token = q.token.unwrap_or_default();
    if users::owner_exists(&state.db).await? {
        // Nothing to set up: the way on is to sign in.
        return Ok(Redirect::to(&format!("/login?done={SETUP_DONE}")).into_response());
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
    }
    .into_response())
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
            // Setting up signs the first admin in: that is their first sign-in.
            users::touch_last_login(&state.db, user.id).await?;
            Ok(Redirect::to("/").into_response())
        }
        Err(CreateOwnerError::EmailTaken) => {
            page.errors
                .add("email", "A user with this email already exists.");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e @ CreateOwnerError::Db(_)) => Err(e.into()),
        Err(e) => Err(setup_refusal(&e)),
    }
}
