//! Fleet usage (staff; super admins see their tenants only): the last 30 days of the
//! fleet's totals as charts, this month's busiest tenants, and tenants at 80 % or more of
//! a plan limit.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::usage::{self, TenantMonth};
use crate::state::AppState;
use crate::web::chart::{self, Point};
use crate::web::error::{AppError, Result};
use crate::web::format::csv_field;
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/usage", get(fleet_usage))
        .route("/usage.csv", get(fleet_csv))
}

/// The figures the busiest-tenants table ranks by: (key in `?by=`, heading's text id).
const RANKS: &[(&str, &str)] = &[
    ("page_requests", "usage-page-requests"),
    ("api_calls", "usage-api-calls"),
    ("users", "pf-users"),
    ("storage", "usage-storage"),
];

#[derive(Deserialize)]
struct RankQuery {
    #[serde(default)]
    by: String,
}

/// The ranking asked for (page requests when none); an unknown one is refused naming
/// the ones there are.
fn rank(q: &RankQuery, locale: &crate::web::i18n::Locale) -> Result<&'static str> {
    if q.by.is_empty() {
        return Ok("page_requests");
    }
    RANKS
        .iter()
        .map(|(key, _)| *key)
        .find(|key| *key == q.by)
        .ok_or_else(|| {
            let keys = RANKS.iter().map(|(key, _)| *key).collect::<Vec<_>>();
            AppError::BadRequest(locale.t_with("msg-ranked-by", &[("names", &keys.join(", "))]))
        })
}

fn ranked(mut month: Vec<TenantMonth>, by: &str) -> Vec<TenantMonth> {
    let figure = |t: &TenantMonth| match by {
        "api_calls" => t.api_calls,
        "users" => t.users,
        "storage" => t.storage_bytes,
        _ => t.page_requests,
    };
    month.sort_by(|a, b| figure(b).cmp(&figure(a)).then_with(|| a.slug.cmp(&b.slug)));
    month
}

struct Chart {
    id: &'static str,
    title: String,
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
    /// What `top` is ranked by, and the rankings offered.
    by: &'static str,
    ranks: &'static [(&'static str, &'static str)],
    near: Vec<Near>,
    total_pages: String,
    total_api: String,
}

async fn fleet_usage(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RankQuery>,
) -> Result<FleetPage> {
    staff.require(PlatformAction::ViewTenants)?;
    let locale = staff.locale();
    let by = rank(&q, &locale)?;
    let scope = staff.tenant_scope();
    let to = time::OffsetDateTime::now_utc().date();
    let days = usage::fleet_daily(&state.db, scope, to - time::Duration::days(29), to).await?;
    let chart_of = |id, title: &str, value: fn(&usage::Period) -> i64, bytes: bool| {
        let title = locale.t(title);
        let points: Vec<Point> = days
            .iter()
            .map(|p| Point {
                label: locale.date(p.start),
                value: value(p),
            })
            .collect();
        let show = |n| {
            if bytes {
                locale.bytes(n)
            } else {
                locale.number(n)
            }
        };
        Chart {
            id,
            svg: chart::bars(&title, &points, None, show),
            title,
        }
    };
    let charts = vec![
        chart_of(
            "fleet-page_requests",
            "usage-page-requests",
            |p| p.page_requests,
            false,
        ),
        chart_of("fleet-api_calls", "usage-api-calls", |p| p.api_calls, false),
        chart_of(
            "fleet-records_written",
            "usage-records-written",
            |p| p.records_written,
            false,
        ),
        chart_of(
            "fleet-storage_bytes",
            "usage-storage",
            |p| p.storage_bytes,
            true,
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
                    .map(|(what, p)| format!("{} {} %", locale.message(what), locale.number(*p)))
                    .collect::<Vec<_>>()
                    .join(", "),
                tenant: t.clone(),
            })
        })
        .collect();
    Ok(FleetPage {
        layout: Layout::staff(&staff, "usage", &staff.locale().t("title-usage")).await?,
        charts,
        total_pages: locale.number(month.iter().map(|t| t.page_requests).sum()),
        total_api: locale.number(month.iter().map(|t| t.api_calls).sum()),
        top: ranked(month, by).into_iter().take(10).collect(),
        by,
        ranks: RANKS,
        near,
    })
}

/// `GET /usage.csv`: this month's figures of every tenant the staff member sees.
async fn fleet_csv(State(state): State<AppState>, staff: Staff) -> Result<Response> {
    staff.require(PlatformAction::ViewTenants)?;
    let month = usage::fleet_month(&state.db, staff.tenant_scope()).await?;
    let mut csv = String::from(
        "slug,plan,page_requests,api_calls,max_api_calls,users,max_users,storage_bytes,max_storage_bytes,modules,max_modules\n",
    );
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for t in &month {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            t.slug,
            csv_field(&t.plan),
            t.page_requests,
            t.api_calls,
            opt(t.max_api_calls),
            t.users,
            opt(t.max_users.map(i64::from)),
            t.storage_bytes,
            opt(t.max_storage_bytes),
            t.modules,
            opt(t.max_modules.map(i64::from)),
        ));
    }
    let day = time::OffsetDateTime::now_utc().date();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"fleet-usage-{day}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
