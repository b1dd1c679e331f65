//! How every pool checks its connections (sqlx pools here, and the tenant connections'
//! keyed pool with the same [`CHECK_AFTER_IDLE`]). sqlx pings a connection on every checkout by
//! default: one extra round trip per query on the hot path. Like PgBouncer's
//! `server_check_delay`, we check only a connection that has been idle a while, when
//! it may have died unnoticed (a server restart, a terminated backend); one in use a
//! moment ago is trusted, and if it did die the query fails and the connection is
//! dropped, not reused.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgPoolOptions;

/// Idle longer than this, a connection is pinged before it is handed out.
pub const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Pool options with that check; callers add sizes and timeouts.
pub fn options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
