//! A tenant's usage on the platform console (`/tenants/{slug}/usage` and its CSV): the
//! same figures and charts its admins see, for staff who see the tenant.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;

use super::visible_tenant;
use crate::state::AppState;
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::platform::Staff;
use crate::web::usage_view::{self, RangeQuery, UsageView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants/{slug}/usage", get(usage_page))
        .route("/tenants/{slug}/usage.csv", get(usage_csv))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/usage.html")]
struct UsagePage {
    layout: Layout,
    slug: String,
    name: String,
    v: UsageView,
}

async fn usage_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<UsagePage> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let csv = format!("/tenants/{}/usage.csv", tenant.slug);
    let title = format!("{} · {}", tenant.name, staff.locale().t("title-usage"));
    let layout = Layout::staff(&staff, "tenants", &title).await?;
    Ok(UsagePage {
        v: UsageView::load(&state, &tenant, csv, &layout.locale).await?,
        layout,
        slug: tenant.slug,
        name: tenant.name,
    })
}

async fn usage_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    usage_view::csv(&state, tenant.id, &tenant.slug, &q, &staff.locale()).await
}
