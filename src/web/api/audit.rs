//! `/api/v1/audit-events`: the platform's audit log for programs, newest first, in keyset
//! pages, with the console's filters and its rule (a super admin's token reads only the
//! events of their tenants).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

use crate::auth::guard::PlatformAction;
use crate::control::audit::{self, Event, Filter};
use crate::state::AppState;
use crate::web::api::extract::{ApiQuery, PlatformApi};
use crate::web::api::problem::{ApiResult, Problem};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit-events", get(audit_events_list))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's label (a staff email, `api-token:…`, `cli`, `system`).
    #[serde(default)]
    #[param(max_length = 200)]
    actor: String,
    /// An action name, exactly (`tenant.created`, `segment.deleted`, …).
    #[serde(default)]
    #[param(max_length = 200)]
    action: String,
    /// Events of the tenant with this slug.
    #[serde(default)]
    #[param(max_length = 200)]
    tenant: String,
    /// Events at or after this instant (RFC 3339).
    #[serde(default)]
    #[param(value_type = Option<String>, format = DateTime)]
    from: String,
    /// Events before this instant (RFC 3339).
    #[serde(default)]
    #[param(value_type = Option<String>, format = DateTime)]
    until: String,
    /// Events per page, 1 to 200.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    cursor: String,
}

/// One audited change.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    id: i64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// Who did it: a staff email, `api-token:<name> (<email>)`, `cli`, `system`, …
    actor: String,
    action: String,
    /// The slug of the tenant it concerns, if any.
    tenant: Option<String>,
    target: Option<String>,
    ip: Option<String>,
    request_id: Option<String>,
    /// What changed, as the action records it.
    details: serde_json::Value,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor_label,
            action: e.action,
            tenant: e.tenant,
            target: e.target,
            ip: e.ip,
            request_id: e.request_id,
            details: e.details,
        }
    }
}

/// One page of events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    events: Vec<EventOut>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 50;

fn bad_query(detail: &str) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "bad-query", detail.to_owned())
}

fn instant(value: &str, name: &str) -> ApiResult<Option<OffsetDateTime>> {
    if value.is_empty() {
        return Ok(None);
    }
    OffsetDateTime::parse(value, &Rfc3339)
        .map(Some)
        .map_err(|_| {
            bad_query(&format!(
                "{name} must be an RFC 3339 instant, such as 2026-12-01T09:30:00Z."
            ))
        })
}

/// The audit log, newest first, filtered; each page's next one is also in `Link`.
/// Events written while paging appear on no later page (they are newer), so a walk
/// sees each older event exactly once.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = EventPage, headers(("Link" = String, description = "rel=\"next\"")))))]
async fn audit_events_list(
    State(state): State<AppState>,
    api: PlatformApi,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    api.require(PlatformAction::ViewAudit)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=200).contains(&limit) {
        return Err(bad_query("limit must be between 1 and 200."));
    }
    if [&query.actor, &query.action, &query.tenant]
        .iter()
        .any(|s| s.len() > 200)
    {
        return Err(bad_query(
            "actor, action and tenant are limited to 200 bytes.",
        ));
    }
    let before = if query.cursor.is_empty() {
        None
    } else {
        let id = query.cursor.parse::<i64>().ok().filter(|id| *id > 0);
        Some(id.ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "cursor is not one this API gave out; start again without it.",
            )
        })?)
    };
    let filter = Filter {
        actor: query.actor.clone(),
        action: query.action.clone(),
        tenant: query.tenant.clone(),
        from: instant(&query.from, "from")?,
        until: instant(&query.until, "until")?,
        before,
    };
    let (events, more) = audit::page(&state.db, &filter, api.caller.tenant_scope(), limit).await?;
    let next_cursor = more
        .then(|| events.last().map(|e| e.id.to_string()))
        .flatten();
    let mut response = Json(EventPage {
        events: events.into_iter().map(EventOut::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let mut next = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &query.actor),
            ("action", &query.action),
            ("tenant", &query.tenant),
            ("from", &query.from),
            ("until", &query.until),
        ] {
            if !v.is_empty() {
                next.append_pair(k, v);
            }
        }
        next.append_pair("limit", &limit.to_string());
        next.append_pair("cursor", &cursor);
        let link = format!("</api/v1/audit-events?{}>; rel=\"next\"", next.finish());
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}
