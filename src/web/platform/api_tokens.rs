//! The platform's API tokens page (owners): create a token that acts as a staff member
//! with a scope and an expiry — shown once, with a copy button — see when each was last
//! used, and revoke them.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::{PlatformAction, TokenScope};
use crate::control::audit::Actor;
use crate::control::platform_tokens::{self, NewToken, PlatformToken, TokenError};
use crate::control::users::{self, StaffRow};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api-tokens", get(tokens_page).post(token_create))
        .route("/api-tokens/{id}/revoke", post(token_revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/api_tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<PlatformToken>,
    /// Active staff a token may act as.
    staff: Vec<StaffRow>,
    /// A token just created: shown this once.
    created: String,
    name: String,
    scope: String,
    acts_as: String,
    expires_days: String,
    errors: FieldErrors,
}

impl TokensPage {
    async fn load(state: &AppState, staff: &Staff) -> Result<Self> {
        staff.require(PlatformAction::ManageStaff)?;
        Ok(Self {
            layout: Layout::staff(staff, "api-tokens", &staff.locale().t("title-api-tokens"))
                .await?,
            tokens: platform_tokens::list(&state.db).await?,
            staff: users::list_staff(&state.db)
                .await?
                .into_iter()
                .filter(|s| s.status == "active")
                .collect(),
            created: String::new(),
            name: String::new(),
            scope: "read".into(),
            acts_as: staff.user.id.to_string(),
            expires_days: "90".into(),
            errors: FieldErrors::default(),
        })
    }
}

async fn tokens_page(State(state): State<AppState>, staff: Staff) -> Result<TokensPage> {
    let mut page = TokensPage::load(&state, &staff).await?;
    // The token the POST that redirected here created: shown in the page, this once.
    if let Some(i) = page.layout.flashes.iter().position(|f| f.secret.is_some()) {
        let flash = page.layout.flashes.remove(i);
        page.created = flash.secret.unwrap_or_default();
    }
    Ok(page)
}

#[derive(Deserialize)]
struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    acts_as: String,
    /// Empty: never expires.
    #[serde(default)]
    expires_days: String,
}

async fn token_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<NewTokenForm>,
) -> Result<Response> {
    let mut page = TokensPage::load(&state, &staff).await?;
    let scope = TokenScope::parse(&form.scope);
    let days = match form.expires_days.trim() {
        "" => Ok(None),
        d => d.parse::<u32>().map(Some).map_err(|_| ()),
    };
    let user = Uuid::parse_str(form.acts_as.trim()).ok();
    let l = staff.locale();
    let days_refused = || {
        l.t_with(
            "err-token-days",
            &[("n", &platform_tokens::MAX_DAYS.to_string())],
        )
    };
    let outcome = match (scope, days, user) {
        (None, _, _) => Err(("scope", l.t("msg-choose-token-scope"))),
        (_, Err(()), _) => Err(("expires_days", days_refused())),
        (_, _, None) => Err(("acts_as", l.message(&TokenError::NotStaff.to_string()))),
        (Some(scope), Ok(expires_days), Some(user)) => {
            let new = NewToken {
                name: &form.name,
                scope,
                user,
                expires_days,
            };
            let actor = Actor::user(staff.user.id, &staff.user.email);
            match platform_tokens::create(&state.db, &new, &actor, &meta.origin).await {
                Ok(token) => Ok(token),
                Err(TokenError::Db(e)) => return Err(e.into()),
                Err(e @ TokenError::Name) => Err(("name", l.message(&e.to_string()))),
                Err(TokenError::Days) => Err(("expires_days", days_refused())),
                Err(e @ TokenError::NotStaff) => Err(("acts_as", l.message(&e.to_string()))),
            }
        }
    };
    match outcome {
        Ok(token) => {
            // Redirected, so a refresh makes no second token; the token waits in the
            // session (never in a URL) for the one page that shows it.
            let name = form.name.trim();
            let text = l.t_with("msg-token-created", &[("name", name)]);
            flash::secret(&staff.session, text, token).await?;
            Ok(crate::web::redirect_after_post(&headers, "/api-tokens"))
        }
        Err((field, message)) => {
            page.errors.add(field, message);
            page.name = form.name.chars().take(60).collect();
            page.scope = form.scope.chars().take(10).collect();
            page.acts_as = form.acts_as.chars().take(40).collect();
            page.expires_days = form.expires_days.chars().take(10).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    if !platform_tokens::revoke(&state.db, id, &actor, &meta.origin).await? {
        return Err(AppError::NotFound);
    }
    let text = staff.locale().t("msg-token-revoked");
    flash::success(&staff.session, text).await?;
    Ok(crate::web::redirect_after_post(&headers, "/api-tokens"))
}
