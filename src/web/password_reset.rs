//! "Forgot your password?": `/forgot` asks for an email and always gives the same
//! answer; `/reset?token=…` sets a new password. Both exist on the platform host and on
//! every tenant host, and the mailed link leads back to the host it was asked on, in
//! that host's branding. Afterwards the person signs in again (every session of theirs
//! has ended).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use validator::Validate;

use crate::auth::password;
use crate::control::password_resets::{
    self, CompleteError, LIFETIME_MINUTES, Mail, RequestError, TokenState,
};
use crate::mail::compose::Branding;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::Result;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::place::Place;
use crate::web::sign_in::PASSWORD_RESET_DONE;

/// `/forgot` and `/reset` on the platform host (staff).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forgot", get(platform_forgot).post(platform_request))
        .route("/reset", get(platform_reset).post(platform_complete))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    /// The request went through: show the one answer everybody gets.
    sent: bool,
    minutes: i64,
    errors: FieldErrors,
}

impl ForgotPage {
    fn new(place: &Place, csrf: String) -> Self {
        Self {
            layout: place.layout("Reset your password", csrf),
            email: String::new(),
            sent: false,
            minutes: LIFETIME_MINUTES,
            errors: FieldErrors::default(),
        }
    }
}

async fn forgot_page(session: &Session, place: &Place) -> Result<ForgotPage> {
    Ok(ForgotPage::new(place, csrf::token(session).await?))
}

#[derive(Deserialize, Validate)]
struct ForgotForm {
    #[serde(default)]
    #[validate(
        length(max = 254, message = "That email address is too long."),
        email(message = "Enter a valid email address."),
        custom(function = "crate::rules::one_line")
    )]
    email: String,
}

/// Queues a link if the address belongs to someone who may sign in here; the answer is
/// the same either way.
async fn request(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    place: &Place,
    brand: &Branding,
    form: ForgotForm,
) -> Result<Response> {
    let mut page = ForgotPage::new(place, csrf::token(session).await?);
    page.email = form.email.trim().chars().take(254).collect();
    let trimmed = ForgotForm {
        email: form.email.trim().to_owned(),
    };
    if let Err(e) = trimmed.validate() {
        page.errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let mail = Mail {
        audience: place.audience,
        brand,
        base_url: &place.link_base,
    };
    match password_resets::request(&state.db, &trimmed.email, &mail, &meta.origin).await {
        Ok(()) => {}
        Err(RequestError::Email) => {
            page.errors.add("email", RequestError::Email.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e @ RequestError::TooManyFromAddress) => {
            page.errors.add("email", e.to_string());
            return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    page.email.clear();
    page.sent = true;
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    /// The account's email, for password managers.
    email: String,
    min_len: usize,
    errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset_closed.html")]
struct ClosedPage {
    layout: Layout,
    message: &'static str,
}

/// The page for a link that does not (or no longer) work.
fn closed(place: &Place, csrf: String, state: TokenState) -> Response {
    let (status, heading, message) = match state {
        TokenState::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "Reset links work for one hour, and only the newest one works. Ask for a new link.",
        ),
        TokenState::Used => (
            StatusCode::GONE,
            "This link has already been used",
            "Each reset link works once. If you changed your password with it, sign in with the new one; otherwise ask for a new link.",
        ),
        TokenState::Unknown | TokenState::Valid => (
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link from the email, on the site where you asked for it. If it still does not work, ask for a new link.",
        ),
    };
    let page = ClosedPage {
        layout: place.layout(heading, csrf),
        message,
    };
    private((status, page).into_response())
}

/// Pages reached with a token are not kept by browsers or proxies.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn reset_page(
    state: &AppState,
    session: &Session,
    place: &Place,
    token: &str,
) -> Result<Response> {
    let csrf = csrf::token(session).await?;
    let token = token.trim();
    let found = password_resets::find(&state.db, place.audience, token).await?;
    if found.state != TokenState::Valid {
        return Ok(closed(place, csrf, found.state));
    }
    let page = ResetPage {
        layout: place.layout("Choose a new password", csrf),
        token: token.to_owned(),
        email: found.email,
        min_len: password::MIN_LEN,
        errors: FieldErrors::default(),
    };
    Ok(private(page.into_response()))
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Sets the new password, then sends the person to sign in with it.
async fn complete(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    place: &Place,
    form: ResetForm,
) -> Result<Response> {
    let csrf = csrf::token(session).await?;
    let token = form.token.trim();
    let found = password_resets::find(&state.db, place.audience, token).await?;
    if found.state != TokenState::Valid {
        return Ok(closed(place, csrf, found.state));
    }
    let mut page = ResetPage {
        layout: place.layout("Choose a new password", csrf),
        token: token.to_owned(),
        email: found.email,
        min_len: password::MIN_LEN,
        errors: FieldErrors::default(),
    };
    if let Err(e) = password::check_strength(&form.password) {
        let message = e.message.map(|m| m.to_string()).unwrap_or_default();
        page.errors.add("password", message);
    }
    if form.password != form.password_confirm {
        page.errors
            .add("password_confirm", "The passwords do not match.");
    }
    if !page.errors.is_empty() {
        return Ok(private(
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        ));
    }
    let hash = password::hash(form.password).await?;
    let done =
        password_resets::complete(&state.db, place.audience, token, hash, &meta.origin).await;
    let refused = match done {
        Ok(()) => {
            let target = format!("{}/login?done={PASSWORD_RESET_DONE}", place.base);
            return Ok(Redirect::to(&target).into_response());
        }
        Err(e @ CompleteError::Db(_)) => return Err(e.into()),
        Err(CompleteError::Unknown) => TokenState::Unknown,
        Err(CompleteError::Expired) => TokenState::Expired,
        Err(CompleteError::Used) => TokenState::Used,
    };
    Ok(closed(place, page.layout.csrf_token, refused))
}

async fn platform_forgot(State(state): State<AppState>, session: Session) -> Result<ForgotPage> {
    forgot_page(&session, &Place::platform(&state.config)).await
}

async fn platform_request(
    State(state): State<AppState>,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<ForgotForm>,
) -> Result<Response> {
    let place = Place::platform(&state.config);
    request(&state, &session, &meta, &place, &Branding::platform(), form).await
}

async fn platform_reset(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    reset_page(&state, &session, &Place::platform(&state.config), &q.token).await
}

async fn platform_complete(
    State(state): State<AppState>,
    session: Session,
    meta: RequestMeta,
    Form(form): Form<ResetForm>,
) -> Result<Response> {
    complete(
        &state,
        &session,
        &meta,
        &Place::platform(&state.config),
        form,
    )
    .await
}

/// `/forgot` and `/reset` on a tenant's host (its members, and staff with access).
pub(crate) mod tenant {
    use super::*;
    use crate::web::tenant::{CurrentTenant, mail_branding};

    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/forgot", get(forgot).post(request_link))
            .route("/reset", get(reset).post(set_password))
    }

    async fn forgot(
        State(state): State<AppState>,
        current: CurrentTenant,
        session: Session,
    ) -> Result<ForgotPage> {
        forgot_page(&session, &Place::tenant(&state, &current).await?).await
    }

    async fn request_link(
        State(state): State<AppState>,
        current: CurrentTenant,
        session: Session,
        meta: RequestMeta,
        Form(form): Form<ForgotForm>,
    ) -> Result<Response> {
        let brand = mail_branding(&state, &current).await;
        request(
            &state,
            &session,
            &meta,
            &Place::tenant(&state, &current).await?,
            &brand,
            form,
        )
        .await
    }

    async fn reset(
        State(state): State<AppState>,
        current: CurrentTenant,
        session: Session,
        Query(q): Query<TokenQuery>,
    ) -> Result<Response> {
        reset_page(
            &state,
            &session,
            &Place::tenant(&state, &current).await?,
            &q.token,
        )
        .await
    }

    async fn set_password(
        State(state): State<AppState>,
        current: CurrentTenant,
        session: Session,
        meta: RequestMeta,
        Form(form): Form<ResetForm>,
    ) -> Result<Response> {
        let place = Place::tenant(&state, &current).await?;
        complete(&state, &session, &meta, &place, form).await
    }
}
