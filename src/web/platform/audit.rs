//! The platform audit log: filter by actor and action, newest first, "load more" pages
//! fetched with htmx.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

use crate::auth::guard::PlatformAction;
use crate::control::audit::{self, Event, Filter};
use crate::state::AppState;
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::platform::Staff;

const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_list))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    before: Option<i64>,
}

/// An event as the page shows it.
pub(crate) struct AuditRow {
    at: String,
    actor: String,
    action: String,
    target: String,
    ip: String,
    request_id: String,
    details: String,
}

impl From<Event> for AuditRow {
    fn from(e: Event) -> Self {
        let details = match &e.details {
            serde_json::Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        };
        Self {
            at: e.at.format(&Rfc3339).unwrap_or_default(),
            actor: e.actor_label,
            action: e.action,
            target: e.target.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
            request_id: e.request_id.unwrap_or_default(),
            details,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/audit/rows.html")]
pub(crate) struct AuditRows {
    pub(crate) rows: Vec<AuditRow>,
    pub(crate) next_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/audit/list.html")]
struct AuditPage {
    layout: Layout,
    actor: String,
    action: String,
    actions: Vec<String>,
    list: AuditRows,
}

async fn audit_list(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    staff.require(PlatformAction::ViewAudit)?;
    let filter = Filter {
        actor: q.actor.chars().take(254).collect(),
        action: q.action.chars().take(100).collect(),
        before: q.before,
        target: None,
    };
    let (events, more) = audit::page(&state.db, &filter, PAGE_SIZE).await?;
    let next_url = more
        .then(|| events.last().map(|e| next_page_url(&filter, e.id)))
        .flatten();
    let list = AuditRows {
        rows: events.into_iter().map(AuditRow::from).collect(),
        next_url,
    };
    if crate::web::is_htmx(&headers) {
        return Ok(list.into_response());
    }
    Ok(AuditPage {
        layout: Layout::staff(&staff, "audit", "Audit log").await?,
        actor: filter.actor,
        action: filter.action,
        actions: audit::actions(&state.db).await?,
        list,
    }
    .into_response())
}

fn next_page_url(filter: &Filter, before: i64) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("actor", &filter.actor)
        .append_pair("action", &filter.action)
        .append_pair("before", &before.to_string())
        .finish();
    format!("/audit?{query}")
}
