//! Tenant settings (admins edit; others read) and the tenant's branding stylesheet.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::json;
use validator::Validate;

use crate::auth::guard::TenantAccess;
use crate::control::audit::{self, Actor, NewEvent};
use crate::control::billing::{self, BillingDetails};
use crate::control::changes::Change;
use crate::modules::settings::{self, TenantSettings};
use crate::pg::timezones;
use crate::state::AppState;
use crate::tenancy::tenants;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::{CurrentTenant, Member, tenant_db};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page).post(settings_save))
        // A refresh or a typed address after saving billing details lands on the form.
        .route("/settings/billing", get(to_billing).post(billing_save))
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
    timezones: &'static [String],
    can_edit: bool,
    errors: FieldErrors,
    billing_errors: FieldErrors,
}

impl SettingsPage {
    async fn load(state: &AppState, member: &Member) -> Result<Self> {
        let db = tenant_db(state, member.current.tenant.id, true).await?;
        let mut s = settings::get(&db).await?;
        // The name is the tenant's one name, kept in the control plane.
        s.name = member.current.tenant.name.clone();
        Ok(Self {
            layout: Layout::tenant(member, "settings", &member.locale.t("title-settings")).await?,
            s,
            billing: billing::get(&state.db, member.current.tenant.id)
                .await?
                .unwrap_or_default(),
            timezones: timezones::names(&state.db).await?,
            can_edit: can_edit(&member.access),
            errors: FieldErrors::default(),
            billing_errors: FieldErrors::default(),
        })
    }
}

async fn settings_page(State(state): State<AppState>, member: Member) -> Result<SettingsPage> {
    SettingsPage::load(&state, &member).await
}

async fn to_billing(member: Member) -> Redirect {
    Redirect::to(&format!("{}/settings#billing", member.current.base))
}

async fn billing_save(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(input): Form<BillingDetails>,
) -> Result<Response> {
    if !can_edit(&member.access) {
        return Err(AppError::Forbidden(
            member.locale.t("msg-admins-billing-details"),
        ));
    }
    if let Err(e) = input.validate() {
        let mut page = SettingsPage::load(&state, &member).await?;
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
    flash::success(
        &member.session,
        &member.locale.t("msg-billing-details-saved"),
    )
    .await?;
    let target = format!("{}/settings#billing", member.current.base);
    Ok(crate::web::redirect_after_post(&headers, &target))
}

async fn settings_save(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(input): Form<TenantSettings>,
) -> Result<Response> {
    if !can_edit(&member.access) {
        return Err(AppError::Forbidden(member.locale.t("msg-admins-settings")));
    }
    let mut errors: FieldErrors = input.validate().err().map(Into::into).unwrap_or_default();
    if !errors.has("timezone") && !timezones::is_known(&state.db, &input.timezone).await? {
        errors.add("timezone", member.locale.t("msg-choose-time-zone"));
    }
    if !errors.is_empty() {
        let mut page = SettingsPage::load(&state, &member).await?;
        page.s = input;
        page.s.name = page.s.name.chars().take(200).collect();
        page.s.logo_url = page.s.logo_url.chars().take(2048).collect();
        page.errors = errors;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let tenant = &member.current.tenant;
    let actor = Actor::user(member.user.id, &member.user.email);
    let db = tenant_db(&state, tenant.id, false).await?;
    settings::save(&db, &input).await?;
    tenants::rename(&state.db, tenant.id, &input.name, &actor, &meta.origin).await?;
    tenants::set_language(&state.db, tenant.id, &input.language).await?;
    // This instance answers the redirect with the new name at once; the others hear of
    // it through the change notification.
    state.tenancy.apply(&Change::Tenant(tenant.id));
    crate::control::onboarding::profile_saved(&state.db, tenant.id).await?;
    audit::record(
        &state.db,
        NewEvent {
            actor: &actor,
            action: "tenant.settings_updated",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin: &meta.origin,
            details: json!({ "timezone": input.timezone, "currency": input.currency, "language": input.language }),
        },
    )
    .await?;
    flash::success(&member.session, &member.locale.t("msg-settings-saved")).await?;
    let target = format!("{}/settings", member.current.base);
    Ok(crate::web::redirect_after_post(&headers, &target))
}

/// `GET /brand.css`: the theme colour and logo as CSS. Revalidated on every page (an
/// ETag makes that a 304), so a saved colour shows on the very next page.
async fn brand_css(
    State(state): State<AppState>,
    current: CurrentTenant,
    headers: HeaderMap,
) -> Result<Response> {
    let db = tenant_db(&state, current.tenant.id, true).await?;
    let css = settings::brand_css(&settings::get(&db).await?);
    let etag = format!("\"{}\"", hex::encode(&crate::auth::token::hash(&css)[..8]));
    let cache = [
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        (header::ETAG, etag.clone()),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        css,
    )
        .into_response())
}
