//! The tenant dashboard.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::control::memberships;
use crate::control::onboarding::{self, Checklist};
use crate::state::AppState;
use crate::tenancy::alerts;
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    tenant_name: String,
    plan: String,
    access: String,
    members: i64,
    modules: Vec<String>,
    other_tenants: Vec<(String, String)>,
    /// Shown to those who administer the tenant until every step is done.
    checklist: Option<Checklist>,
    /// Invoiced this month, when Billing is enabled and open to this person.
    revenue: Option<String>,
    /// Limits passed, for those who administer the tenant.
    alerts: Vec<alerts::Active>,
}

/// What was invoiced this month, formatted; `None` (and a warning in the log) when the
/// tenant's data cannot be read now: the dashboard still answers.
async fn revenue_this_month(
    state: &AppState,
    tenant: uuid::Uuid,
    locale: &crate::web::i18n::Locale,
) -> Option<String> {
    let read = async {
        let db = crate::web::tenant::tenant_db(state, tenant, true).await?;
        let zones = crate::pg::timezones::names(&state.db).await?;
        let (total, currency) = crate::modules::billing::revenue_this_month(&db, zones).await?;
        Ok::<_, crate::web::error::AppError>(locale.money(total, &currency))
    };
    match read.await {
        Ok(revenue) => Some(revenue),
        Err(e) => {
            tracing::warn!(error = %e, "the month's revenue could not be read");
            None
        }
    }
}

async fn dashboard(
    State(state): State<AppState>,
    meta: RequestMeta,
    member: Member,
) -> Result<DashboardPage> {
    let tenant = &member.current.tenant;
    let members = memberships::count_for_tenant(&state.db, tenant.id).await?;
    let other_tenants = memberships::other_tenants(&state.db, member.user.id, tenant.id)
        .await?
        .into_iter()
        .map(|(slug, name)| {
            (
                format!("{slug}.{}{}", state.config.base_domain, meta.port_suffix),
                name,
            )
        })
        .collect();
    let (checklist, alerts) = if member.access.administers() {
        (
            Some(onboarding::checklist(&state.db, tenant.id).await?).filter(|c| !c.complete()),
            alerts::active_for_tenant(&state.db, tenant.id).await?,
        )
    } else {
        (None, Vec::new())
    };
    let revenue = match member.module_level("billing") {
        Some(_) => revenue_this_month(&state, tenant.id, &member.locale).await,
        None => None,
    };
    Ok(DashboardPage {
        revenue,
        layout: Layout::tenant(&member, "dashboard", &member.locale.t("title-dashboard")).await?,
        tenant_name: tenant.name.clone(),
        plan: tenant.plan_id.clone(),
        access: member.locale.access(&member.access),
        members,
        modules: member.visible_modules(),
        other_tenants,
        checklist,
        alerts,
    })
}
