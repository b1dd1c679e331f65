//! The New tenant form: the slug checked as it is typed, the plan's default tier, an
//! optional first admin to invite; creation queues provisioning and returns at once.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::tenants::{self, CreateError, FirstAdmin, NewTenant};
use crate::web::error::Refusal;
use crate::web::error::Result;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants", post(tenant_create))
        .route("/tenants/new", get(tenant_new))
        .route("/tenants/check-slug", get(slug_check))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/new.html")]
struct NewTenantPage {
    layout: Layout,
    slug: String,
    name: String,
    plan: String,
    tier: String,
    first_admin_email: String,
    plans: Vec<(String, String, String)>,
    /// Pinning: the server chosen (empty: placement decides) and the active ones.
    server: String,
    servers: Vec<String>,
    errors: FieldErrors,
}

/// Names of the servers a new tenant may be pinned to.
async fn active_servers(state: &AppState) -> Result<Vec<String>> {
    Ok(crate::tenancy::servers::list(&state.db)
        .await?
        .into_iter()
        .filter(|s| s.status == "active")
        .map(|s| s.name)
        .collect())
}

async fn tenant_new(State(state): State<AppState>, staff: Staff) -> Result<NewTenantPage> {
    staff.require(PlatformAction::CreateTenant)?;
    Ok(NewTenantPage {
        layout: Layout::staff(&staff, "tenants", &staff.locale().t("title-new-tenant")).await?,
        slug: String::new(),
        name: String::new(),
        plan: "free".into(),
        tier: String::new(),
        first_admin_email: String::new(),
        plans: tenants::plans(&state.db).await?,
        server: String::new(),
        servers: active_servers(&state).await?,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
struct SlugQuery {
    #[serde(default)]
    slug: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/slug_check.html")]
struct SlugCheck {
    ok: bool,
    message: String,
}

/// `GET /tenants/check-slug?slug=…` (htmx, as the slug is typed).
async fn slug_check(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SlugQuery>,
) -> Result<SlugCheck> {
    staff.require(PlatformAction::CreateTenant)?;
    let slug: String = q.slug.chars().take(64).collect();
    if slug.is_empty() {
        return Ok(SlugCheck {
            ok: false,
            message: String::new(),
        });
    }
    Ok(match tenants::check_slug(&state.db, &slug).await {
        Ok(s) => SlugCheck {
            ok: true,
            message: staff.locale().t_with(
                "pf-slug-available",
                &[
                    ("name", s.as_str()),
                    ("location", &format!("{s}.{}", state.config.base_domain)),
                ],
            ),
        },
        Err(e) => SlugCheck {
            ok: false,
            message: e.into_message_in(&staff.locale())?,
        },
    })
}

#[derive(Deserialize)]
struct NewTenantForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    tier: String,
    /// Optional: invited as the tenant's admin once it is active.
    #[serde(default)]
    first_admin_email: String,
    /// Optional: the database server to pin it to.
    #[serde(default)]
    server: String,
}

async fn tenant_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Form(form): Form<NewTenantForm>,
) -> Result<Response> {
    staff.require(PlatformAction::CreateTenant)?;
    let new = NewTenant {
        slug: form.slug.trim(),
        name: &form.name,
        plan: &form.plan,
        tier: Some(form.tier.as_str()),
    };
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let slug = form.slug.trim().to_ascii_lowercase();
    let base_url = state.config.tenant_url(&slug);
    let admin_email = form.first_admin_email.trim();
    let first_admin = (!admin_email.is_empty()).then_some(FirstAdmin {
        email: admin_email,
        base_url: &base_url,
        days: state.config.invitation_days,
    });
    match state
        .tenancy
        .create_on(
            new,
            Some(form.server.as_str()),
            first_admin.as_ref(),
            &actor,
            &meta.origin,
        )
        .await
    {
        Ok(tenant) => Ok(Redirect::to(&format!("/tenants/{}", tenant.slug)).into_response()),
        Err(e @ CreateError::Db(_)) => Err(e.into()),
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add(e.field(), e.message_in(&staff.locale()));
            let page = NewTenantPage {
                layout: Layout::staff(&staff, "tenants", &staff.locale().t("title-new-tenant"))
                    .await?,
                slug: form.slug.chars().take(64).collect(),
                name: form.name.chars().take(200).collect(),
                plan: form.plan,
                tier: form.tier,
                first_admin_email: form.first_admin_email.chars().take(254).collect(),
                plans: tenants::plans(&state.db).await?,
                server: form.server.chars().take(63).collect(),
                servers: active_servers(&state).await?,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
