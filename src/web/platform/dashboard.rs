//! The platform dashboard: the fleet at a glance (tenants by status, the newest ones,
//! failed jobs) for those who see tenants, and the platform's own health.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::guard::PlatformAction;
use crate::control::{system, users};
use crate::state::AppState;
use crate::tenancy::{alerts, tenants};
use crate::web::error::Result;
use crate::web::format::human_duration;
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    staff_count: i64,
    /// `None` for staff who do not see tenants.
    fleet: Option<Fleet>,
    can_create: bool,
    db_ok: bool,
    db_name: String,
    db_size: String,
    db_version: String,
    uptime: String,
}

/// The tenants this staff member sees: how many in each status, the newest, and the
/// latest failed jobs.
struct Fleet {
    total: i64,
    by_status: Vec<(String, i64)>,
    newest: Vec<tenants::Tenant>,
    failed: Vec<tenants::FailedJob>,
    /// Limits passed, failures and servers nearly full, as alerts announced them.
    alerts: Vec<alerts::Active>,
}

async fn fleet(state: &AppState, staff: &Staff) -> Result<Option<Fleet>> {
    if !staff.can(PlatformAction::ViewTenants) {
        return Ok(None);
    }
    let scope = staff.tenant_scope();
    let by_status = tenants::counts_by_status(&state.db, scope).await?;
    let filter = tenants::ListFilter {
        sort: "-created".into(),
        per_page: 5,
        assigned_to: scope,
        ..Default::default()
    };
    let (newest, _) = tenants::list(&state.db, &filter).await?;
    Ok(Some(Fleet {
        total: by_status.iter().map(|(_, n)| n).sum(),
        by_status,
        newest,
        failed: tenants::failed_jobs(&state.db, scope, 5).await?,
        alerts: alerts::active(&state.db, scope).await?,
    }))
}

async fn dashboard(State(state): State<AppState>, staff: Staff) -> Result<DashboardPage> {
    staff.require(PlatformAction::ViewDashboard)?;
    let fleet = fleet(&state, &staff).await?;
    let staff_count = users::staff_count(&state.db).await?;
    let stats = system::db_stats(&state.db).await;
    let (db_ok, db_name, db_size, db_version) = match stats {
        Ok(s) => (
            true,
            s.database,
            staff.locale().bytes(s.size_bytes),
            s.server_version,
        ),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: control-plane statistics unavailable");
            (false, String::new(), "—".into(), String::new())
        }
    };
    Ok(DashboardPage {
        layout: Layout::staff(&staff, "dashboard", &staff.locale().t("title-dashboard")).await?,
        staff_count,
        fleet,
        can_create: staff.can(PlatformAction::CreateTenant),
        db_ok,
        db_name,
        db_size,
        db_version,
        uptime: human_duration(state.started_at.elapsed().as_secs()),
    })
}
