//! `Idempotency-Key` for API calls that create: the first call with a key claims it, runs,
//! and stores its answer; a retry with the same key and the same request gets that answer
//! back instead of creating again. Stored in the control plane, so a retry that lands on
//! another instance, or after a restart, is answered the same. Keys are kept a day.

use serde_json::Value;
use sqlx::PgPool;

/// What a claim found.
pub enum Claim {
    /// The key is new: run the request, then [`store`] or [`release`].
    Fresh,
    /// The request ran before with this key: its answer.
    Replay {
        status: u16,
        body: Value,
        location: Option<String>,
    },
    /// A request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for `caller`'s request, whose `fingerprint` is a hash of what it sent.
pub async fn claim(
    db: &PgPool,
    caller: &str,
    key: &str,
    fingerprint: &[u8],
) -> sqlx::Result<Claim> {
    sqlx::query!("delete from api_idempotency_keys where created_at < now() - interval '1 day'")
        .execute(db)
        .await?;
    let claimed = sqlx::query!(
        "insert into api_idempotency_keys (caller, key, fingerprint) values ($1, $2, $3)
         on conflict (caller, key) do nothing",
        caller,
        key,
        fingerprint
    )
    .execute(db)
    .await?
    .rows_affected();
    if claimed == 1 {
        return Ok(Claim::Fresh);
    }
    let Some(row) = sqlx::query!(
        "select fingerprint, status, body, location from api_idempotency_keys
         where caller = $1 and key = $2",
        caller,
        key
    )
    .fetch_optional(db)
    .await?
    else {
        // Released between the two statements: this request may go ahead.
        return Box::pin(claim(db, caller, key, fingerprint)).await;
    };
    if row.fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(match (row.status, row.body) {
        (Some(status), Some(body)) => Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
            location: row.location,
        },
        _ => Claim::InProgress,
    })
}

/// Stores the answer of a claimed request that succeeded.
pub async fn store(
    db: &PgPool,
    caller: &str,
    key: &str,
    status: u16,
    body: &Value,
    location: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update api_idempotency_keys set status = $3, body = $4, location = $5
         where caller = $1 and key = $2",
        caller,
        key,
        i16::try_from(status).unwrap_or(200),
        body,
        location
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Lets go of a claimed key whose request was refused or failed, so a corrected retry
/// with the same key can run.
pub async fn release(db: &PgPool, caller: &str, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from api_idempotency_keys where caller = $1 and key = $2 and status is null",
        caller,
        key
    )
    .execute(db)
    .await
    .map(|_| ())
}
