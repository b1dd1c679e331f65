//! The audit log: every state change and every sign-in attempt, newest first.

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
    pub target: Option<&'a str>,
    pub origin: &'a Origin,
    pub details: Value,
}

/// Appends an event. Pass the transaction that makes the change, so both commit together.
pub async fn record(db: impl PgExecutor<'_>, event: NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into audit_events (actor_id, actor_label, action, target, ip, request_id, details)
         values ($1, $2, $3, $4, $5, $6, $7)",
        event.actor.id,
        event.actor.label,
        event.action,
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
    pub target: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
}

/// Filters of the audit page; empty strings mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Case-insensitive substring of the actor's label.
    pub actor: String,
    /// Exact action name.
    pub action: String,
    /// Keyset cursor: only events older than this id.
    pub before: Option<i64>,
    /// Only events about this target (a tenant's slug, for the tenant's own log).
    pub target: Option<String>,
}

/// One page of events matching `filter`, newest first, plus whether more follow.
pub async fn page(db: &PgPool, filter: &Filter, limit: i64) -> sqlx::Result<(Vec<Event>, bool)> {
    let actor_pattern = format!("%{}%", escape_like(filter.actor.trim()));
    let mut rows = sqlx::query_as!(
        Event,
        r#"select id, at, actor_label, action, target, ip, request_id, details
           from audit_events
           where ($1 = '%%' or actor_label ilike $1)
             and ($2 = '' or action = $2)
             and ($3::bigint is null or id < $3)
             and ($5::text is null or target = $5)
           order by id desc
           limit $4"#,
        actor_pattern,
        filter.action.trim(),
        filter.before,
        limit + 1,
        filter.target,
    )
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The distinct action names, for the filter's drop-down.
pub async fn actions(db: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(r#"select distinct action as "action!" from audit_events order by 1"#)
        .fetch_all(db)
        .await
}

/// `%` and `_` typed by a user are literal characters, not wildcards.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
