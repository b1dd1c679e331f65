//! Tenant settings (admins edit; others read) and the tenant's branding stylesheet.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use validator::Validate;

use crate::auth::guard::TenantAccess;
use crate::control::audit::{self, Actor, NewEvent};
use crate::control::billing::{self, BillingDetails};
use crate::modules::settings::{self, TenantSettings};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::{CurrentTenant, Member, tenant_db};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page).post(settings_save))
        .route("/settings/billing", post(billing_save))
        .route("/brand.css", get(brand_css))
}

/// Tenant admins, and owners or assigned super admins acting for them, may edit.
fn can_edit(access: &TenantAccess) -> bool {
    access.administers()
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/settings.html")]
struct SettingsPage {
    layout: Layout,
    s: TenantSettings,
    billing: BillingDetails,
    can_edit: bool,
    saved: bool,
    billing_saved: bool,
    errors: FieldErrors,
    billing_errors: FieldErrors,
}

impl SettingsPage {
    async fn load(state: &AppState, member: &Member) -> Result<Self> {
        let db = tenant_db(state, member.current.tenant.id, true).await?;
        Ok(Self {
            layout: Layout::tenant(member, "settings", "Settings").await?,
            s: settings::get(&db).await?,
            billing: billing::get(&state.db, member.current.tenant.id)
                .await?
                .unwrap_or_default(),
            can_edit: can_edit(&member.access),
            saved: false,
            billing_saved: false,
            errors: FieldErrors::default(),
            billing_errors: FieldErrors::default(),
        })
    }
}

async fn settings_page(State(state): State<AppState>, member: Member) -> Result<SettingsPage> {
    SettingsPage::load(&state, &member).await
}

async fn billing_save(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    Form(input): Form<BillingDetails>,
) -> Result<Response> {
    if !can_edit(&member.access) {
        return Err(AppError::Forbidden(
            "Only admins can change billing details.".into(),
        ));
    }
    let mut page = SettingsPage::load(&state, &member).await?;
    if let Err(e) = input.validate() {
        page.billing = input;
        page.billing_errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let tenant = &member.current.tenant;
    let actor = Actor::user(member.user.id, &member.user.email);
    billing::save(
        &state.db,
        tenant.id,
        &tenant.slug,
        &input,
        &actor,
        &meta.origin,
    )
    .await?;
    page.billing = input;
    page.billing_saved = true;
    Ok(page.into_response())
}

async fn settings_save(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    Form(input): Form<TenantSettings>,
) -> Result<Response> {
    if !can_edit(&member.access) {
        return Err(AppError::Forbidden(
            "Only admins can change settings.".into(),
        ));
    }
    let mut page = SettingsPage {
        layout: Layout::tenant(&member, "settings", "Settings").await?,
        s: input.clone(),
        billing: billing::get(&state.db, member.current.tenant.id)
            .await?
            .unwrap_or_default(),
        can_edit: true,
        saved: false,
        billing_saved: false,
        errors: FieldErrors::default(),
        billing_errors: FieldErrors::default(),
    };
    if let Err(e) = input.validate() {
        page.errors = e.into();
        page.s.name = page.s.name.chars().take(200).collect();
        page.s.logo_url = page.s.logo_url.chars().take(2048).collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let db = tenant_db(&state, member.current.tenant.id, false).await?;
    settings::save(&db, &input).await?;
    crate::control::onboarding::profile_saved(&state.db, member.current.tenant.id).await?;
    let actor = Actor::user(member.user.id, &member.user.email);
    audit::record(
        &state.db,
        NewEvent {
            actor: &actor,
            action: "tenant.settings_updated",
            tenant: Some(member.current.tenant.id),
            target: Some(&member.current.tenant.slug),
            origin: &meta.origin,
            details: json!({ "timezone": input.timezone, "currency": input.currency, "language": input.language }),
        },
    )
    .await?;
    page.saved = true;
    Ok(page.into_response())
}

/// `GET /brand.css`: the theme colour and logo as CSS, short-cached.
async fn brand_css(State(state): State<AppState>, current: CurrentTenant) -> Result<Response> {
    let db = tenant_db(&state, current.tenant.id, true).await?;
    let css = settings::brand_css(&settings::get(&db).await?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        css,
    )
        .into_response())
}
