//! The API tokens page: admins create tokens (shown once) and revoke them; support staff
//! may look; members may not.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::TokenScope;
use crate::control::api_tokens::{self, ApiToken};
use crate::control::audit::Actor;
use crate::control::usage::{self, TenantUsage};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api-tokens", get(page).post(create))
        .route("/api-tokens/{id}/revoke", post(revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/api_tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<ApiToken>,
    usage: TenantUsage,
    can_manage: bool,
    slug: String,
    /// A token just created: shown this once.
    created: String,
    name: String,
    errors: FieldErrors,
}

impl TokensPage {
    async fn load(state: &AppState, member: &Member) -> Result<Self> {
        let can_manage = member.access.administers();
        if !can_manage && !member.access.read_only() {
            return Err(AppError::Forbidden(member.locale.t("msg-admins-tokens")));
        }
        Ok(Self {
            layout: Layout::tenant(member, "settings", &member.locale.t("title-api-tokens"))
                .await?,
            tokens: api_tokens::list(&state.db, member.current.tenant.id).await?,
            usage: usage::of_tenant(&state.db, member.current.tenant.id).await?,
            can_manage,
            slug: member.current.tenant.slug.clone(),
            created: String::new(),
            name: String::new(),
            errors: FieldErrors::default(),
        })
    }
}

fn require_manager(member: &Member) -> Result<()> {
    if member.access.administers() {
        Ok(())
    } else {
        Err(AppError::Forbidden(member.locale.t("msg-admins-tokens")))
    }
}

async fn page(State(state): State<AppState>, member: Member) -> Result<TokensPage> {
    let mut page = TokensPage::load(&state, &member).await?;
    // A token created by the POST that redirected here: shown in the page, this once.
    if let Some(i) = page.layout.flashes.iter().position(|f| f.secret.is_some()) {
        let flash = page.layout.flashes.remove(i);
        page.created = flash.secret.unwrap_or_default();
    }
    Ok(page)
}

#[derive(Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
    /// `read` (the default), `write` or `admin`.
    #[serde(default)]
    scope: String,
}

async fn create(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<NewToken>,
) -> Result<Response> {
    require_manager(&member)?;
    let mut page = TokensPage::load(&state, &member).await?;
    let name = form.name.trim();
    let problem = if name.is_empty() || name.chars().count() > 60 {
        Some(&member.locale.t("msg-token-name"))
    } else if name.chars().any(char::is_control) {
        Some(&member.locale.t("msg-single-line"))
    } else {
        None
    };
    let scope = match form.scope.as_str() {
        "" => Some(TokenScope::Read),
        other => TokenScope::parse(other),
    };
    let Some(scope) = scope else {
        page.name = form.name.chars().take(60).collect();
        page.errors
            .add("scope", member.locale.t("msg-choose-scope"));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    if let Some(message) = problem {
        page.name = form.name.chars().take(60).collect();
        page.errors.add("name", message);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let actor = Actor::user(member.user.id, &member.user.email);
    let token = api_tokens::create_scoped(
        &state.db,
        member.current.tenant.id,
        name,
        scope,
        &actor,
        &meta.origin,
    )
    .await?;
    // Redirected, so a refresh makes no second token; the token waits in the session
    // (never in a URL) for the one page that shows it.
    flash::secret(
        &member.session,
        member.locale.t_with("msg-token-created", &[("name", name)]),
        token,
    )
    .await?;
    let target = format!("{}/api-tokens", member.current.base);
    Ok(crate::web::redirect_after_post(&headers, &target))
}

async fn revoke(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    require_manager(&member)?;
    let actor = Actor::user(member.user.id, &member.user.email);
    if !api_tokens::revoke(
        &state.db,
        member.current.tenant.id,
        id,
        &actor,
        &meta.origin,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let text = &member.locale.t("msg-token-revoked");
    flash::success(&member.session, text).await?;
    let target = format!("{}/api-tokens", member.current.base);
    Ok(crate::web::redirect_after_post(&headers, &target))
}
