//! The tenant's usage against its plan (its **Usage** page and CSV), for those who see
//! the tenant's records (admins, and staff with access). What it shows is built in
//! `web::usage_view`, shared with the platform's tenant usage page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;
use crate::tenancy::tenants;
use crate::web::error::{AppError, Result};
use crate::web::layout::Layout;
use crate::web::tenant::Member;
use crate::web::usage_view::{self, RangeQuery, UsageView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/usage", get(usage_page))
        .route("/usage.csv", get(usage_csv))
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/usage.html")]
struct UsagePage {
    layout: Layout,
    v: UsageView,
}

fn sees_usage(member: &Member) -> Result<()> {
    if member.access.sees_records() {
        Ok(())
    } else {
        Err(AppError::Forbidden(member.locale.t("msg-admins-usage")))
    }
}

async fn usage_csv(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<RangeQuery>,
) -> Result<Response> {
    sees_usage(&member)?;
    let tenant = &member.current.tenant;
    usage_view::csv(&state, tenant.id, &tenant.slug, &q, &member.locale).await
}

async fn usage_page(State(state): State<AppState>, member: Member) -> Result<UsagePage> {
    sees_usage(&member)?;
    // The record as stored now (the request's copy may predate a storage sample).
    let tenant = tenants::get(&state.db, member.current.tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let csv = format!("{}/usage.csv", member.current.base);
    Ok(UsagePage {
        layout: Layout::tenant(&member, "usage", &member.locale.t("title-usage")).await?,
        v: UsageView::load(&state, &tenant, csv, &member.locale).await?,
    })
}
