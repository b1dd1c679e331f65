//! The platform webhook's queue: events waiting to be POSTed to
//! `TENANTRY_ALERT_WEBHOOK_URL`. Queued in the transaction of what they announce;
//! delivered by `crate::mail::webhook` with the claim and mark queries below, retried
//! with backoff like mail.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Queues `event` with its `payload`; sent when the caller's transaction commits.
pub async fn enqueue(conn: &mut PgConnection, event: &str, payload: &Value) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "insert into webhook_deliveries (id, event, payload) values ($1, $2, $3)",
        id,
        event,
        payload
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// A delivery claimed by a worker.
#[derive(Debug)]
pub struct Claimed {
    pub id: Uuid,
    pub event: String,
    pub payload: Value,
    pub attempts: i32,
}

/// Locks the next due delivery, skipping rows another worker holds and `skip` (handled
/// in this run). The lock lasts until the caller's transaction ends.
pub async fn claim_due(conn: &mut PgConnection, skip: &[Uuid]) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as!(
        Claimed,
        "select id, event, payload, attempts from webhook_deliveries
         where status = 'pending' and next_attempt_at <= now() and id <> all($1)
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
        "update webhook_deliveries set status = 'sent', sent_at = now(), attempts = attempts + 1,
                last_error = null
         where id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: tried again after `retry_in`, or given up on with `retry_in`
/// `None`.
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_in: Option<std::time::Duration>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update webhook_deliveries
         set attempts = attempts + 1, last_error = $2,
             status = case when $3::float8 is null then 'failed' else 'pending' end,
             next_attempt_at = now() + make_interval(secs => coalesce($3, 0))
         where id = $1",
        id,
        error,
        retry_in.map(|d| d.as_secs_f64()),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery as tests and the System page read it.
#[derive(Debug)]
pub struct Delivery {
    pub id: Uuid,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The newest deliveries first.
pub async fn recent(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query_as!(
        Delivery,
        "select id, event, status, attempts, last_error from webhook_deliveries
         order by id desc limit $1",
        limit
    )
    .fetch_all(db)
    .await
}
