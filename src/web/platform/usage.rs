//! Fleet usage (staff; super admins see their tenants only): the last 30 days of the
//! fleet's totals as charts, this month's busiest tenants, and tenants at 80 % or more of
//! a plan limit.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::guard::PlatformAction;
use crate::control::usage::{self, TenantMonth};
use crate::state::AppState;
use crate::web::chart::{self, Point};
use crate::web::error::Result;
use crate::web::format::{human_bytes, thousands};
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new().route("/usage", get(fleet_usage))
}

struct Chart {
    id: &'static str,
    title: &'static str,
    svg: String,
}

/// A tenant near or over its limits, as the list shows it.
struct Near {
    tenant: TenantMonth,
    limits: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/usage.html")]
struct FleetPage {
    layout: Layout,
    charts: Vec<Chart>,
    top: Vec<TenantMonth>,
    near: Vec<Near>,
    total_pages: String,
    total_api: String,
}

async fn fleet_usage(State(state): State<AppState>, staff: Staff) -> Result<FleetPage> {
    staff.require(PlatformAction::ViewTenants)?;
    let scope = staff.tenant_scope();
    let to = time::OffsetDateTime::now_utc().date();
    let days = usage::fleet_daily(&state.db, scope, to - time::Duration::days(29), to).await?;
    let chart_of = |id, title, value: fn(&usage::Period) -> i64, show: fn(i64) -> String| {
        let points: Vec<Point> = days
            .iter()
            .map(|p| Point {
                label: p.start.to_string(),
                value: value(p),
            })
            .collect();
        Chart {
            id,
            title,
            svg: chart::bars(title, &points, None, show),
        }
    };
    let charts = vec![
        chart_of(
            "fleet-page_requests",
            "Page requests",
            |p| p.page_requests,
            thousands,
        ),
        chart_of("fleet-api_calls", "API calls", |p| p.api_calls, thousands),
        chart_of(
            "fleet-records_written",
            "Records written",
            |p| p.records_written,
            thousands,
        ),
        chart_of(
            "fleet-storage_bytes",
            "Storage",
            |p| p.storage_bytes,
            human_bytes,
        ),
    ];
    let month = usage::fleet_month(&state.db, scope).await?;
    let near = month
        .iter()
        .filter_map(|t| {
            let over = t.near_limits();
            (!over.is_empty()).then(|| Near {
                limits: over
                    .iter()
                    .map(|(what, p)| format!("{what} {p} %"))
                    .collect::<Vec<_>>()
                    .join(", "),
                tenant: t.clone(),
            })
        })
        .collect();
    Ok(FleetPage {
        layout: Layout::staff(&staff, "usage", "Usage").await?,
        charts,
        total_pages: thousands(month.iter().map(|t| t.page_requests).sum()),
        total_api: thousands(month.iter().map(|t| t.api_calls).sum()),
        top: month.into_iter().take(10).collect(),
        near,
    })
}
