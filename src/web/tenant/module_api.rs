//! The modules' read-only JSON API, beside `/api/v1/customers`: `/api/v1/tasks`,
//! `/api/v1/products` and `/api/v1/invoices`, each with `q`, a filter and `page` (from
//! 0), answered from `READ ONLY` transactions, and 403 while the module is disabled.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::modules::{TenantDb, billing, inventory, tasks};
use crate::state::AppState;
use crate::web::tenant::api::{Api, ApiError};
use crate::web::tenant::tenant_db;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(tasks_list))
        .route("/api/v1/products", get(products_list))
        .route("/api/v1/invoices", get(invoices_list))
}

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: i64,
}

type Q = Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>;

/// The query, checked, and the tenant's data for a token (read only) when `module` is
/// enabled.
async fn open(
    state: &AppState,
    api: &Api,
    module: &str,
    query: Q,
    statuses: &[&str],
    usage: &'static str,
) -> Result<(ListQuery, TenantDb), ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError(StatusCode::BAD_REQUEST, usage));
    };
    let status_ok = query.status.is_empty() || statuses.contains(&query.status.as_str());
    if !status_ok || query.q.len() > 200 || !(0..=100_000).contains(&query.page) {
        return Err(ApiError(StatusCode::BAD_REQUEST, usage));
    }
    let tenant = api.current.tenant.id;
    let enabled = state.tenancy.modules_for_pages(tenant).await?;
    if !enabled.iter().any(|m| m == module) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "This module is not enabled for this tenant.",
        ));
    }
    Ok((query, tenant_db(state, tenant, true).await?))
}

fn page(query: &ListQuery, total: i64, key: &str, items: Value) -> Json<Value> {
    Json(json!({ "total": total, "page": query.page, "per_page": PER_PAGE, key: items }))
}

async fn tasks_list(
    State(state): State<AppState>,
    api: Api,
    query: Q,
) -> Result<Json<Value>, ApiError> {
    let usage = "Query parameters: q (text), status (todo, doing, done), page (from 0).";
    let (query, db) = open(&state, &api, "tasks", query, tasks::STATUSES, usage).await?;
    let zones = crate::pg::timezones::names(&state.db).await?;
    let filter = tasks::Filter {
        q: query.q.clone(),
        status: query.status.clone(),
        ..Default::default()
    };
    let (rows, total, _) = tasks::list(&db, &filter, zones, query.page, PER_PAGE).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id, "title": t.title, "description": t.description,
                "status": t.status, "priority": t.priority,
                "due_at": t.due_at.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
                "assignee_id": t.assignee_id, "customer_id": t.customer_id, "overdue": t.overdue,
            })
        })
        .collect();
    Ok(page(&query, total, "tasks", items.into()))
}

async fn products_list(
    State(state): State<AppState>,
    api: Api,
    query: Q,
) -> Result<Json<Value>, ApiError> {
    let usage = "Query parameters: q (text), status (active, inactive), page (from 0).";
    let statuses = &["active", "inactive"];
    let (query, db) = open(&state, &api, "inventory", query, statuses, usage).await?;
    let filter = inventory::Filter {
        q: query.q.clone(),
        status: query.status.clone(),
        low_stock: false,
    };
    let (rows, total, currency) = inventory::list(&db, &filter, query.page, PER_PAGE).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id, "sku": p.sku, "name": p.name,
                "unit_price_minor": p.unit_price, "currency": currency,
                "active": p.active, "on_hand": p.on_hand, "low_stock": p.low_stock(),
            })
        })
        .collect();
    Ok(page(&query, total, "products", items.into()))
}

async fn invoices_list(
    State(state): State<AppState>,
    api: Api,
    query: Q,
) -> Result<Json<Value>, ApiError> {
    let usage = "Query parameters: q (text), status (draft, issued, paid, void), page (from 0).";
    let (query, db) = open(&state, &api, "billing", query, billing::STATUSES, usage).await?;
    let filter = billing::Filter {
        q: query.q.clone(),
        status: query.status.clone(),
    };
    let (rows, total) = billing::list(&db, &filter, query.page, PER_PAGE).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|i| {
            json!({
                "id": i.id, "number": i.number, "status": i.status,
                "customer_id": i.customer_id, "customer": i.customer_name,
                "currency": i.currency, "subtotal_minor": i.subtotal, "tax_minor": i.tax,
                "total_minor": i.total, "issued_on": i.issued_on,
            })
        })
        .collect();
    Ok(page(&query, total, "invoices", items.into()))
}
