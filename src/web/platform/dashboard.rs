//! The platform dashboard: figures that exist now.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::app::AppState;
use crate::auth::guard::{PlatformAction, Staff};
use crate::control::{system, users};
use crate::web::error::Result;
use crate::web::layout::Layout;

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

/// `1536` → `1.5 KiB`.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `3725` → `1h 2m`.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanises() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(8 * 1024 * 1024), "8.0 MiB");
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(3725), "1h 2m");
        assert_eq!(human_duration(90_000), "1d 1h");
    }
}
