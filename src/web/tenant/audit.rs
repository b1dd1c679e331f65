//! The tenant's own audit log: every event that carries this tenant's id, newest first
//! (never chosen by the free-text target). Tenant admins and staff with access see it;
//! members do not.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::control::audit;
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::layout::Layout;
use crate::web::platform::audit::{AuditRow, AuditRows};
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(tenant_audit))
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/audit.html")]
struct TenantAuditPage {
    layout: Layout,
    list: AuditRows,
}

async fn tenant_audit(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    if !member.access.sees_records() {
        return Err(AppError::Forbidden(
            member.locale.t("msg-audit-admins-only"),
        ));
    }
    let (events, more) =
        audit::tenant_page(&state.db, member.current.tenant.id, q.before, 50).await?;
    let next_url = more
        .then(|| {
            events
                .last()
                .map(|e| format!("{}/audit?before={}", member.current.base, e.id))
        })
        .flatten();
    let list = AuditRows {
        locale: member.locale.clone(),
        rows: events.into_iter().map(AuditRow::from).collect(),
        next_url,
        show_tenant: false,
        notice: String::new(),
    };
    if crate::web::is_htmx(&headers) {
        return Ok(list.into_response());
    }
    Ok(TenantAuditPage {
        layout: Layout::tenant(&member, "audit", &member.locale.t("title-audit-log")).await?,
        list,
    }
    .into_response())
}
