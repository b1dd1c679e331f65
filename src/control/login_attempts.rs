//! Sign-in attempts and the throttle built on them: after five failures in fifteen
//! minutes, for one email or from one address, sign-in is refused without checking the
//! password until the oldest of those failures is fifteen minutes old.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

/// Failures allowed in the window before sign-in is refused.
pub const MAX_FAILURES: usize = 5;
/// Length of the throttling window.
pub const WINDOW: Duration = Duration::minutes(15);

/// When sign-in may be tried again, if it is throttled now.
pub async fn throttled_until(
    db: &PgPool,
    email: &str,
    ip: &str,
) -> sqlx::Result<Option<OffsetDateTime>> {
    // Per email: failures since the last success, so a user who got in starts afresh.
    let by_email = sqlx::query_scalar!(
        r#"select at from login_attempts
           where lower(email) = lower($1) and not succeeded and at > now() - interval '15 minutes'
             and at > coalesce((select max(at) from login_attempts
                                where lower(email) = lower($1) and succeeded), '-infinity')
           order by at desc limit 5"#,
        email
    )
    .fetch_all(db)
    .await?;
    let by_ip = sqlx::query_scalar!(
        r#"select at from login_attempts
           where ip = $1 and not succeeded and at > now() - interval '15 minutes'
           order by at desc limit 5"#,
        ip
    )
    .fetch_all(db)
    .await?;
    let until = |failures: &[OffsetDateTime]| {
        (failures.len() >= MAX_FAILURES).then(|| failures[MAX_FAILURES - 1] + WINDOW)
    };
    Ok(until(&by_email).max(until(&by_ip)))
}

/// Records an attempt's outcome.
pub async fn record(db: &PgPool, email: &str, ip: &str, succeeded: bool) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into login_attempts (email, ip, succeeded) values ($1, $2, $3)",
        email,
        ip,
        succeeded
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whole minutes until `until`, rounded up, at least one: what the page tells the user.
pub fn minutes_left(until: OffsetDateTime) -> i64 {
    let secs = (until - OffsetDateTime::now_utc()).whole_seconds().max(1);
    (secs + 59) / 60
}

/// Forgets attempts older than a day; called by the housekeeping task.
pub async fn prune(db: &PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from login_attempts where at < now() - interval '1 day'")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
