//! A tenant's page: where it lives, its size and usage beside its plan, live
//! provisioning progress (polled by htmx), and the lifecycle actions the tenant's status
//! allows and the staff member's role reaches.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::lifecycle::{self, Action};
use crate::tenancy::plan_change::{self, TenantUpdate};
use crate::tenancy::stats;
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::Tenant;
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

use super::visible_tenant;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants/{slug}", get(tenant_detail))
        .route("/tenants/{slug}/progress", get(tenant_progress))
        .route("/tenants/{slug}/actions", post(tenant_action))
        .route("/tenants/{slug}/plan", post(tenant_update))
}

/// One provisioning step as the progress list shows it.
struct StepView {
    label: &'static str,
    state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/progress.html")]
struct Progress {
    locale: crate::web::i18n::Locale,
    slug: String,
    status: TenantStatus,
    steps: Vec<StepView>,
    percent: usize,
    last_error: String,
    polling: bool,
}

impl Progress {
    fn of(tenant: &Tenant, locale: crate::web::i18n::Locale) -> Self {
        let (states, percent) = crate::tenancy::progress::of(tenant);
        let failed = tenant.last_error.is_some();
        Self {
            locale,
            slug: tenant.slug.clone(),
            status: tenant.status,
            steps: states
                .into_iter()
                .map(|s| StepView {
                    label: s.step.label(),
                    state: s.state,
                })
                .collect(),
            percent,
            last_error: tenant.last_error.clone().unwrap_or_default(),
            polling: tenant.status.is_settling() && !failed,
        }
    }
}

/// What a staff member's role must allow to apply `action` (the guard decides roles).
fn needed(action: Action) -> PlatformAction {
    crate::auth::guard::lifecycle_needs(action)
}

/// A lifecycle button on the tenant's page.
struct Button {
    action: Action,
    /// The label's text id.
    label: &'static str,
    /// The text id of the question the browser asks before posting.
    confirm: &'static str,
}

impl Button {
    fn of(action: Action) -> Self {
        let (label, confirm) = match action {
            Action::Suspend => ("pf-action-suspend", "pf-confirm-suspend"),
            Action::Activate => ("pf-action-reactivate", "pf-confirm-reactivate"),
            Action::Delete => ("common-delete", "pf-confirm-delete"),
            Action::Restore => ("pf-action-restore", "pf-confirm-restore"),
            Action::Purge => ("pf-action-purge", "pf-confirm-purge"),
            Action::Retry => ("pf-action-retry", "pf-confirm-retry"),
        };
        Self {
            action,
            label,
            confirm,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/detail.html")]
struct TenantPage {
    layout: Layout,
    tenant: Tenant,
    host: String,
    location: String,
    size: String,
    created: String,
    activated: String,
    progress: Progress,
    actions: Vec<Button>,
    can_purge: bool,
    retention_days: u32,
    /// Owner-only sections: assigned super admins and custom domains.
    can_manage: bool,
    super_admins: Vec<(uuid::Uuid, String, bool)>,
    domains: Vec<crate::control::domains::Domain>,
    /// Segments holding this tenant (id, name): their super admins manage it too.
    segments: Vec<(uuid::Uuid, String)>,
    usage: crate::control::usage::TenantUsage,
    /// The plan's storage limit, readable (empty: unlimited).
    storage_limit: String,
    /// The plan and name form (owners and assigned super admins): plans (id, name), the
    /// values shown, and why a change was refused.
    can_change_plan: bool,
    plans: Vec<(String, String)>,
    plan_input: String,
    name_input: String,
    plan_error: String,
    /// The refusal was "over the new plan's limits": offer to apply it anyway.
    plan_over: bool,
    /// Limits passed, as the alerts announced them.
    alerts: Vec<crate::tenancy::alerts::Active>,
    /// The Backups card (tenants whose data exists).
    backups: Option<super::backups::BackupsCard>,
    /// The Placement card: where it lives, its moves (tenants whose data exists).
    placement: Option<super::moves::MoveCard>,
}

async fn tenant_detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<TenantPage> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    TenantPage::load(&state, &staff, tenant).await
}

impl TenantPage {
    async fn load(state: &AppState, staff: &Staff, tenant: Tenant) -> Result<Self> {
        let locale = staff.locale();
        let size = if tenant.status.has_data() {
            match stats::tenant_size(&state.tenancy, &tenant).await {
                Ok(bytes) => locale.bytes(bytes),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "tenant size unavailable");
                    locale.t("usage-unavailable")
                }
            }
        } else {
            "—".into()
        };
        // A failed step can be retried while the tenant settles or after a failed purge.
        let has_failed = tenant.last_error.is_some()
            && (tenant.status.is_settling() || tenant.status == TenantStatus::Deleted);
        let actions = lifecycle::available(tenant.status, has_failed)
            .into_iter()
            // Purge has its own form (typed confirmation).
            .filter(|a| *a != Action::Purge && staff.can(needed(*a)))
            .map(Button::of)
            .collect();
        let usage = crate::control::usage::of_tenant(&state.db, tenant.id).await?;
        let location = match &tenant.schema_name {
            Some(schema) => locale.t_with(
                "pf-stored-in-schema",
                &[("name", schema), ("location", &tenant.database_name)],
            ),
            None => locale.t_with("pf-stored-in-database", &[("name", &tenant.database_name)]),
        };
        let mut page = TenantPage {
            layout: Layout::staff(staff, "tenants", &tenant.name).await?,
            can_change_plan: staff.can(PlatformAction::ChangeTenantPlan),
            plans: crate::control::plans::list(&state.db)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            plan_input: tenant.plan_id.clone(),
            name_input: tenant.name.clone(),
            plan_error: String::new(),
            plan_over: false,
            alerts: crate::tenancy::alerts::active_for_tenant(&state.db, tenant.id).await?,
            host: format!("{}.{}", tenant.slug, state.config.base_domain),
            location,
            size,
            created: locale.date(tenant.created_at.date()),
            activated: tenant
                .activated_at
                .map(|d| locale.date(d.date()))
                .unwrap_or_else(|| "—".into()),
            progress: Progress::of(&tenant, locale.clone()),
            can_purge: staff.can(needed(Action::Purge))
                && lifecycle::allowed(tenant.status, Action::Purge, has_failed).is_ok(),
            retention_days: state.tenancy.retention_days,
            can_manage: staff.can(PlatformAction::ManageStaff),
            super_admins: crate::control::assignments::super_admins_for(&state.db, tenant.id)
                .await?,
            domains: crate::control::domains::list(&state.db, tenant.id).await?,
            segments: crate::control::segments::for_tenant(&state.db, tenant.id).await?,
            storage_limit: usage
                .max_storage_bytes
                .map(|b| locale.bytes(b))
                .unwrap_or_default(),
            backups: if tenant.status.has_data() {
                Some(super::backups::BackupsCard::load(state, staff, &tenant).await?)
            } else {
                None
            },
            placement: if tenant.status.has_data() {
                Some(super::moves::MoveCard::load(state, staff, &tenant).await?)
            } else {
                None
            },
            usage,
            actions,
            tenant,
        };
        if let Some(card) = page.backups.as_mut() {
            card.take_export_link(state, staff, &mut page.layout.flashes)
                .await?;
        }
        Ok(page)
    }
}

#[derive(Deserialize)]
struct UpdateForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    name: String,
    /// Ticked after a refusal: apply the plan although the tenant is over its limits.
    #[serde(default)]
    allow_over: Option<String>,
}

/// `POST /tenants/{slug}/plan`: a new plan and/or name. A refusal (a downgrade the
/// tenant's use exceeds, a bad name) is shown beside the form and nothing changes.
async fn tenant_update(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    staff.require(PlatformAction::ChangeTenantPlan)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let change = TenantUpdate {
        plan: Some(&form.plan),
        name: Some(&form.name),
        allow_over: form.allow_over.is_some(),
    };
    match plan_change::update(&state.tenancy, &tenant, &change, &actor, &meta.origin).await {
        Ok(()) => {
            flash::success(&staff.session, staff.locale().t("msg-plan-and-name-saved")).await?;
            Ok(crate::web::redirect_after_post(
                &headers,
                &format!("/tenants/{}", tenant.slug),
            ))
        }
        Err(e) => {
            let over = matches!(e, plan_change::UpdateError::OverLimits { .. });
            let message = e.into_message_in(&staff.locale())?;
            let mut page = TenantPage::load(&state, &staff, tenant).await?;
            page.plan_error = message;
            page.plan_over = over;
            page.plan_input = form.plan.chars().take(40).collect();
            page.name_input = form.name.chars().take(200).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `GET /tenants/{slug}/progress` (htmx polling while the tenant is being set up); when
/// it settles, the page reloads to show the tenant's actions.
async fn tenant_progress(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let progress = Progress::of(&tenant, staff.locale());
    let settled = !progress.polling;
    let mut response = progress.into_response();
    if settled {
        response
            .headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    action: String,
    confirm: Option<String>,
}

async fn tenant_action(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let action = Action::parse(&form.action)
        .ok_or_else(|| AppError::BadRequest(staff.locale().t("msg-unknown-action")))?;
    staff.require(needed(action))?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match lifecycle::apply(
        &state.tenancy,
        &tenant,
        action,
        form.confirm.as_deref(),
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(()) => {}
        // Both refusals answer 409 here: the tenant's state refuses the button pressed.
        Err(e) => return Err(AppError::Conflict(e.into_message_in(&staff.locale())?)),
    }
    Ok(crate::web::redirect_after_post(
        &headers,
        &format!("/tenants/{}", tenant.slug),
    ))
}
