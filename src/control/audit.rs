//! The audit log: every state change and every sign-in attempt, newest first. An event
//! about a tenant carries that tenant's id, and a tenant's own log is chosen by that id
//! alone, never by the free-text target (a token may be *named* like another tenant).

use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who did something: a signed-in user, the shell, or the system itself.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    pub fn user(id: Uuid, email: &str) -> Self {
        Self {
            id: Some(id),
            label: email.to_owned(),
        }
    }

    /// An anonymous caller, labelled with what they claimed to be (e.g. a typed email).
    pub fn anonymous(label: &str) -> Self {
        Self {
            id: None,
            label: label.to_owned(),
        }
    }

    pub fn cli() -> Self {
        Self {
            id: None,
            label: "cli".to_owned(),
        }
    }

    pub fn system() -> Self {
        Self {
            id: None,
            label: "system".to_owned(),
        }
    }
}

/// Where a request came from, recorded beside each event.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// One event to append.
pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    /// The tenant the event is about (or whose host it happened on): decides whose log
    /// shows it. `None` for platform events (staff, servers, segments).
    pub tenant: Option<Uuid>,
    pub target: Option<&'a str>,
    pub origin: &'a Origin,
    pub details: Value,
}

/// Appends an event. Pass the transaction that makes the change, so both commit together.
pub async fn record(db: impl PgExecutor<'_>, event: NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into audit_events (actor_id, actor_label, action, tenant_id, target, ip, request_id, details)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        event.actor.id,
        event.actor.label,
        event.action,
        event.tenant,
        event.target,
        event.origin.ip,
        event.origin.request_id,
        event.details,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_label: String,
    pub action: String,
    /// The slug of the tenant the event belongs to.
    pub tenant: Option<String>,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
}

/// Filters of the platform log; empty strings and `None` mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Case-insensitive substring of the actor's label.
    pub actor: String,
    /// Exact action name.
    pub action: String,
    /// Events of the tenant(s) with this slug, any case (a purged tenant's slug may have
    /// been taken again: both are meant).
    pub tenant: String,
    /// Events at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Events before this instant.
    pub until: Option<OffsetDateTime>,
    /// Keyset cursor: only events older than this id.
    pub before: Option<i64>,
}

/// One page of the platform log matching `filter`, newest first, plus whether more
/// follow. `scope` = a super admin's id: only events of tenants assigned to them
/// (directly or through a segment); `None` = every event.
pub async fn page(
    db: &PgPool,
    filter: &Filter,
    scope: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<(Vec<Event>, bool)> {
    let actor_pattern = format!("%{}%", escape_like(filter.actor.trim()));
    let rows = sqlx::query_as!(
        Event,
        r#"select e.id, e.at, e.actor_label, e.action, t.slug as "tenant?", e.target, e.ip,
                  e.request_id, e.details
           from audit_events e
           left join tenants t on t.id = e.tenant_id
           where ($1 = '%%' or e.actor_label ilike $1)
             and ($2 = '' or e.action = $2)
             and ($3::bigint is null or e.id < $3)
             and ($5 = '' or lower(t.slug) = lower($5))
             and ($6::timestamptz is null or e.at >= $6)
             and ($7::timestamptz is null or e.at < $7)
             and ($8::uuid is null or (e.tenant_id is not null and tenantry_assigned($8, e.tenant_id)))
           order by e.id desc
           limit $4"#,
        actor_pattern,
        filter.action.trim(),
        filter.before,
        limit + 1,
        filter.tenant.trim(),
        filter.from,
        filter.until,
        scope,
    )
    .fetch_all(db)
    .await?;
    Ok(split_page(rows, limit))
}

/// One page of a tenant's own log: the events carrying its id, and nothing else.
pub async fn tenant_page(
    db: &PgPool,
    tenant: Uuid,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<(Vec<Event>, bool)> {
    let rows = sqlx::query_as!(
        Event,
        r#"select id, at, actor_label, action, null::text as "tenant?", target, ip, request_id,
                  details
           from audit_events
           where tenant_id = $1 and ($2::bigint is null or id < $2)
           order by id desc
           limit $3"#,
        tenant,
        before,
        limit + 1,
    )
    .fetch_all(db)
    .await?;
    Ok(split_page(rows, limit))
}

fn split_page(mut rows: Vec<Event>, limit: i64) -> (Vec<Event>, bool) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// The distinct action names in `scope` (see [`page`]), for the filter's drop-down.
pub async fn actions(db: &PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select distinct action as "action!" from audit_events
           where $1::uuid is null or (tenant_id is not null and tenantry_assigned($1, tenant_id))
           order by 1"#,
        scope
    )
    .fetch_all(db)
    .await
}

/// `%` and `_` typed by a user are literal characters, not wildcards.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
