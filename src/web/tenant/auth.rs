//! Sign-in and sign-out on a tenant's host: members of the tenant, and staff who may
//! reach it. The session is bound to this host and this tenant.

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
use crate::auth::{AuthSession, Credentials, csrf};
use crate::web::error::Result;
use crate::web::form::{FieldErrors, Form, safe_next};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::CurrentTenant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    notice: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn layout(current: &CurrentTenant, csrf: String) -> Layout {
    let mut layout = Layout::public(&format!("Sign in to {}", current.tenant.name), csrf);
    layout.base = current.base.clone();
    layout
}

async fn login_page(
    current: CurrentTenant,
    session: Session,
    Query(q): Query<NextQuery>,
) -> Result<LoginPage> {
    Ok(LoginPage {
        layout: layout(&current, csrf::token(&session).await?),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Validate)]
struct LoginForm {
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
    current: CurrentTenant,
    mut auth: AuthSession,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let mut page = LoginPage {
        layout: layout(&current, csrf::token(&session).await?),
        email: form.email.trim().to_owned(),
        next: next.clone(),
        notice: String::new(),
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
    let audience = Audience::Tenant(current.tenant.id);
    match login::sign_in(&state.db, &mut auth, &session, creds, attempt, audience).await? {
        Outcome::SignedIn(_) => {
            Ok(Redirect::to(&format!("{}{next}", current.base)).into_response())
        }
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
    current: CurrentTenant,
    mut auth: AuthSession,
    meta: RequestMeta,
) -> Result<Redirect> {
    login::sign_out(&state.db, &mut auth, &meta.origin).await?;
    Ok(Redirect::to(&format!("{}/login", current.base)))
}
