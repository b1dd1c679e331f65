//! The outbox: mail waiting to be sent. A request only inserts here, in the same
//! transaction as what the message announces; the mail worker (`crate::mail::worker`)
//! delivers it with the claim and mark queries below. Owners read it in the platform
//! console and may send a message again.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::mail::compose::Composed;

/// The channel `enqueue` notifies, so a listening worker wakes at once.
pub const CHANNEL: &str = "tenantry_outbox";

/// What a message is about (shown in the outbox, used in metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    PasswordReset,
    Alert,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
            Self::Alert => "alert",
        }
    }
}

/// Queues `mail` for `recipient`. With `tenant` set, the message waits until that tenant
/// is active (a first admin's invitation waits for provisioning).
pub async fn enqueue(
    conn: &mut PgConnection,
    kind: Kind,
    tenant: Option<Uuid>,
    recipient: &str,
    mail: &Composed,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "insert into outbox (id, kind, tenant_id, recipient, subject, body_text, body_html, link)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        kind.as_str(),
        tenant,
        recipient,
        mail.subject,
        mail.text,
        mail.html,
        mail.link,
    )
    .execute(&mut *conn)
    .await?;
    // Delivered when the caller's transaction commits; a rollback sends nothing.
    sqlx::query!("select pg_notify($1, '')", CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

crate::text_enum! {
    /// A message's delivery state.
    pub enum Status {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
}

/// A message as the outbox list shows it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The tenant the message waits for, while that tenant is not active.
    pub held_for: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// One page of messages, newest first (ids are time-ordered), optionally of one status;
/// `before` is the last id of the previous page. Returns whether more follow.
pub async fn list(
    db: &PgPool,
    status: Option<Status>,
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<(Vec<Listed>, bool)> {
    let mut rows = sqlx::query_as!(
        Listed,
        r#"select o.id, o.kind, o.recipient, o.subject, o.status as "status: _", o.attempts, o.last_error,
                  case when t.status is distinct from 'active' then t.slug end as held_for,
                  o.created_at, o.sent_at
           from outbox o left join tenants t on t.id = o.tenant_id
           where ($1::text is null or o.status = $1)
             and ($2::uuid is null or o.id < $2)
           order by o.id desc
           limit $3"#,
        status.map(Status::as_str),
        before,
        limit + 1,
    )
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    Ok((rows, more))
}

/// Messages per status, for the list's filter.
pub async fn counts(db: &PgPool) -> sqlx::Result<Vec<(String, i64)>> {
    Ok(sqlx::query!(
        r#"select status, count(*) as "n!" from outbox group by status order by status"#
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.status, r.n))
    .collect())
}

/// A whole message, for its detail page.
#[derive(Clone, Debug)]
pub struct Detail {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub held_for: Option<String>,
    pub next_attempt_at: OffsetDateTime,
    pub link_logged_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

pub async fn get(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Detail>> {
    sqlx::query_as!(
        Detail,
        r#"select o.id, o.kind, o.recipient, o.subject, o.body_text, o.status as "status: _", o.attempts,
                  o.last_error,
                  case when t.status is distinct from 'active' then t.slug end as held_for,
                  o.next_attempt_at, o.link_logged_at, o.created_at, o.sent_at
           from outbox o left join tenants t on t.id = o.tenant_id
           where o.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// A message's HTML body, for the outbox's preview.
pub async fn html_body(db: &PgPool, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select body_html from outbox where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("There is no such message.")]
    NotFound,
    #[error("This message was already sent.")]
    AlreadySent,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Puts a failed (or still pending) message back in line: pending, due now, attempts and
/// error cleared, and its link logged again if no SMTP server is configured.
pub async fn resend(
    db: &PgPool,
    id: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), ResendError> {
    let mut tx = db.begin().await?;
    // Locks the row; a worker sending it right now keeps its lock until it has marked it.
    let row = sqlx::query!(
        r#"select kind, tenant_id, recipient, status as "status: Status", attempts from outbox where id = $1 for update"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ResendError::NotFound)?;
    if row.status == Status::Sent {
        return Err(ResendError::AlreadySent);
    }
    sqlx::query!(
        "update outbox set status = 'pending', attempts = 0, last_error = null,
                next_attempt_at = now(), link_logged_at = null
         where id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "outbox.resent",
            tenant: row.tenant_id,
            target: Some(&row.recipient),
            origin,
            details: json!({
                "message_id": id,
                "kind": row.kind,
                "was": row.status,
                "attempts": row.attempts,
            }),
        },
    )
    .await?;
    sqlx::query!("select pg_notify($1, '')", CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A message claimed for delivery.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: Uuid,
    pub kind: String,
    /// The tenant the message is sent for, if any.
    pub tenant_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
}

/// Locks the next due message, skipping rows another worker holds and messages whose
/// tenant is not active yet; `skip` are ids this run already handled. The lock lasts
/// until the caller's transaction ends.
pub async fn claim_due(conn: &mut PgConnection, skip: &[Uuid]) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as!(
        Claimed,
        "select id, kind, tenant_id, recipient, subject, body_text, body_html, attempts
         from outbox o
         where status = 'pending' and next_attempt_at <= now() and id <> all($1)
           and (tenant_id is null
                or exists (select 1 from tenants t where t.id = o.tenant_id and t.status = 'active'))
         order by next_attempt_at, id
         limit 1
         for update skip locked",
        skip
    )
    .fetch_optional(conn)
    .await
}

pub async fn mark_sent(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update outbox set status = 'sent', sent_at = now(), attempts = attempts + 1,
                last_error = null
         where id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt; the message is tried again after `retry_in`.
pub async fn mark_retry(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_in: std::time::Duration,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update outbox set attempts = attempts + 1, last_error = $2,
                next_attempt_at = now() + make_interval(secs => $3)
         where id = $1",
        id,
        error,
        retry_in.as_secs_f64(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the last failed attempt: the message is given up on (an owner may resend it).
pub async fn mark_failed(conn: &mut PgConnection, id: Uuid, error: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update outbox set status = 'failed', attempts = attempts + 1, last_error = $2
         where id = $1",
        id,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A message whose link is to be logged because no SMTP server is configured.
pub struct Unlogged {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub link: Option<String>,
}

/// Marks up to `limit` deliverable, not yet logged messages as logged and returns them;
/// one statement, so each is returned to exactly one caller, once.
pub async fn take_unlogged(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Unlogged>> {
    sqlx::query_as!(
        Unlogged,
        "update outbox set link_logged_at = now()
         where id in (
             select id from outbox o
             where status = 'pending' and link_logged_at is null
               and (tenant_id is null
                    or exists (select 1 from tenants t where t.id = o.tenant_id and t.status = 'active'))
             order by id
             limit $1
             for update skip locked)
         returning id, kind, recipient, subject, link",
        limit
    )
    .fetch_all(db)
    .await
}
