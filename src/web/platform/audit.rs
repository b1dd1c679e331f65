//! The platform audit log: filter by tenant, actor, action and date range, newest first,
//! "load more" pages fetched with htmx. Super admins see only the events of the tenants
//! assigned to them; owners and support see every event.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use time::Date;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

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

/// The filters as typed; empty means "any".
#[derive(Clone, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    /// First day shown (`YYYY-MM-DD`, UTC).
    #[serde(default)]
    from: String,
    /// Last day shown, included (`YYYY-MM-DD`, UTC).
    #[serde(default)]
    to: String,
    before: Option<i64>,
}

impl AuditQuery {
    /// Trimmed and cut to sane lengths, as the form shows them again.
    fn cleaned(&self) -> Self {
        let cut = |s: &str, n: usize| s.trim().chars().take(n).collect::<String>();
        Self {
            tenant: cut(&self.tenant, 63).to_ascii_lowercase(),
            actor: cut(&self.actor, 254),
            action: cut(&self.action, 100),
            from: cut(&self.from, 10),
            to: cut(&self.to, 10),
            before: self.before,
        }
    }

    /// The service's filter, or what is wrong with the dates.
    fn filter(&self) -> Result<Filter, String> {
        let from = day(&self.from, "From")?;
        let to = day(&self.to, "To")?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err("The “From” date is after the “To” date.".into());
        }
        Ok(Filter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            tenant: self.tenant.clone(),
            from: from.map(|d| d.midnight().assume_utc()),
            // The "to" day is included: events before the next midnight.
            until: to
                .and_then(Date::next_day)
                .map(|d| d.midnight().assume_utc()),
            before: self.before,
        })
    }

    /// This page's filters with a new cursor, for "Load more".
    fn page_url(&self, before: i64) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("tenant", &self.tenant)
            .append_pair("actor", &self.actor)
            .append_pair("action", &self.action)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("before", &before.to_string())
            .finish();
        format!("/audit?{query}")
    }
}

/// A `YYYY-MM-DD` day, or `None` when empty.
fn day(text: &str, label: &str) -> Result<Option<Date>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| format!("“{label}” must be a date written like 2026-12-31."))
}

/// An event as the page shows it.
pub(crate) struct AuditRow {
    at: String,
    tenant: String,
    actor: String,
    action: String,
    target: String,
    ip: String,
    request_id: String,
    /// The event's details as people read them: "key: value" pairs.
    details: Vec<(String, String)>,
}

/// An event's details as (label, value) pairs: keys with their underscores as spaces,
/// strings without quotes, nested values as compact JSON.
fn readable(details: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    match details {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.replace('_', " "), text(v)))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![("details".to_owned(), text(other))],
    }
}

impl From<Event> for AuditRow {
    fn from(e: Event) -> Self {
        let details = readable(&e.details);
        Self {
            at: e.at.format(&Rfc3339).unwrap_or_default(),
            tenant: e.tenant.unwrap_or_default(),
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
    pub(crate) locale: crate::web::i18n::Locale,
    pub(crate) rows: Vec<AuditRow>,
    pub(crate) next_url: Option<String>,
    /// Whether rows name their tenant (the platform log spans tenants).
    pub(crate) show_tenant: bool,
    /// Why nothing is listed (filters that could not be read).
    pub(crate) notice: String,
}

impl AuditRows {
    /// Columns of a row, for cells that span the table.
    fn columns(&self) -> usize {
        if self.show_tenant { 7 } else { 6 }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/audit/list.html")]
struct AuditPage {
    layout: Layout,
    q: AuditQuery,
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
    let scope = staff.tenant_scope();
    let q = q.cleaned();
    let (list, status) = match q.filter() {
        Ok(filter) => {
            let (events, more) = audit::page(&state.db, &filter, scope, PAGE_SIZE).await?;
            let next_url = more
                .then(|| events.last().map(|e| q.page_url(e.id)))
                .flatten();
            let list = AuditRows {
                locale: staff.locale(),
                rows: events.into_iter().map(AuditRow::from).collect(),
                next_url,
                show_tenant: true,
                notice: String::new(),
            };
            (list, StatusCode::OK)
        }
        Err(notice) => {
            let list = AuditRows {
                locale: staff.locale(),
                rows: Vec::new(),
                next_url: None,
                show_tenant: true,
                notice,
            };
            (list, StatusCode::BAD_REQUEST)
        }
    };
    if crate::web::is_htmx(&headers) {
        return Ok((status, list).into_response());
    }
    let page = AuditPage {
        layout: Layout::staff(&staff, "audit", &staff.locale().t("title-audit-log")).await?,
        q,
        actions: audit::actions(&state.db, scope).await?,
        list,
    };
    Ok((status, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_pairs() {
        let pairs = readable(&serde_json::json!({ "tenant_id": "t1", "rows": 3, "ok": null }));
        assert!(pairs.contains(&("tenant id".to_owned(), "t1".to_owned())));
        assert!(pairs.contains(&("rows".to_owned(), "3".to_owned())));
        assert!(pairs.contains(&("ok".to_owned(), "—".to_owned())));
        assert!(readable(&serde_json::json!({})).is_empty());
    }
    use time::OffsetDateTime;
    use time::macros::datetime;

    type Range = (Option<OffsetDateTime>, Option<OffsetDateTime>);

    fn parse_range(from: &str, to: &str) -> Result<Range, String> {
        let q = AuditQuery {
            from: from.into(),
            to: to.into(),
            ..Default::default()
        };
        q.filter().map(|f| (f.from, f.until))
    }

    #[test]
    fn days_are_utc_and_the_last_one_is_included() {
        let (from, until) = parse_range("2026-12-01", "2026-12-01").unwrap();
        assert_eq!(from, Some(datetime!(2026-12-01 00:00 UTC)));
        assert_eq!(until, Some(datetime!(2026-12-02 00:00 UTC)));
        assert_eq!(parse_range("", "").unwrap(), (None, None));
    }

    #[test]
    fn bad_dates_and_reversed_ranges_are_refused_with_a_message() {
        for (from, to) in [("2026-13-01", ""), ("yesterday", ""), ("", "2026-02-30")] {
            let e = parse_range(from, to).unwrap_err();
            assert!(e.contains("must be a date"), "{from} {to}: {e}");
        }
        let e = parse_range("2026-12-02", "2026-12-01").unwrap_err();
        assert!(e.contains("after"), "{e}");
    }
}
