//! The platform dashboard: figures that exist now.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::guard::PlatformAction;
use crate::control::{system, users};
use crate::state::AppState;
use crate::web::error::Result;
use crate::web::format::{human_bytes, human_duration};
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
    db_ok: bool,
    db_name: String,
    db_size: String,
    db_version: String,
    uptime: String,
}

async fn dashboard(State(state): State<AppState>, staff: Staff) -> Result<DashboardPage> {
    staff.require(PlatformAction::ViewDashboard)?;
    let staff_count = users::staff_count(&state.db).await?;
    let stats = system::db_stats(&state.db).await;
    let (db_ok, db_name, db_size, db_version) = match stats {
        Ok(s) => (
            true,
            s.database,
            human_bytes(s.size_bytes),
            s.server_version,
        ),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: control-plane statistics unavailable");
            (false, String::new(), "—".into(), String::new())
        }
    };
    Ok(DashboardPage {
        layout: Layout::staff(&staff, "dashboard", "Dashboard").await?,
        staff_count,
        db_ok,
        db_name,
        db_size,
        db_version,
        uptime: human_duration(state.started_at.elapsed().as_secs()),
    })
}
