//! The tenant transaction guard: the only way tenant SQL reaches a connection.
//!
//! A [`TenantTx`] owns its pooled connection from `begin` to `commit`/`rollback`. If it
//! is dropped before one of them has *finished* — an early `?` return, or, the case that
//! poisoned sqlx's pool under load, a request future cancelled because its client went
//! away — the connection is not handed back as it is: a spawned task rolls it back and
//! returns it to the pool only once PostgreSQL has answered the `rollback` (so the
//! connection is outside any transaction, and `SET LOCAL` role and search_path are gone);
//! if that fails or takes too long, the connection is closed.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::time::Duration;

use sqlx::{Executor, PgConnection};

use super::keyed::PooledConn;

/// How long the rollback of an abandoned transaction may take before its connection is
/// closed instead (a cancelled long query finishes first).
const RECOVER_TIMEOUT: Duration = Duration::from_secs(5);

/// A boxed `Send` future: naming `Send` at the box spares callers a rustc limitation with
/// higher-ranked lifetimes of `&mut PgConnection` executors in nested futures.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a tenant transaction starts: the tier's switch and the access level.
#[derive(Clone, Debug)]
pub(super) enum Switch {
    /// The tenant's own login role and database: nothing to switch.
    Isolated,
    /// The gateway's shared connection: `role` and `search_path` for this transaction.
    Pooled { role: String, search_path: String },
}

/// A transaction on one tenant's data; derefs to the [`PgConnection`], so
/// `query.execute(&mut *tx)` works as with sqlx's `Transaction`.
pub struct TenantTx {
    conn: Option<PooledConn>,
}

impl TenantTx {
    /// Begins: `begin` (read only if asked), and for the pooled tier, in the same round
    /// trip, one statement that sets role and search_path with `set_config(…, true)`
    /// (`SET LOCAL`), so both revert at commit or rollback.
    pub(super) fn begin(
        conn: PooledConn,
        switch: &Switch,
        read_only: bool,
    ) -> BoxFuture<'_, sqlx::Result<Self>> {
        Box::pin(async move {
            // Owned from the first await: a cancelled or failed begin is recovered like
            // any unfinished transaction.
            let mut tx = Self { conn: Some(conn) };
            let begin = if read_only {
                "begin transaction read only"
            } else {
                "begin"
            };
            let conn: &mut PgConnection = &mut tx;
            match switch {
                Switch::Isolated => {
                    conn.execute(begin).await?;
                }
                Switch::Pooled { role, search_path } => {
                    // One round trip: the simple-query protocol carries `begin` and the
                    // switch together. Both values are validated identifiers (a role
                    // `[a-z0-9_]`, a double-quoted schema), checked again here, so neither
                    // can close the string literal it sits in.
                    let literal_safe = |v: &str| !v.contains(['\'', '\\', '\0']);
                    if !(literal_safe(role) && literal_safe(search_path)) {
                        return Err(sqlx::Error::Protocol(
                            "a tenant role or search path is not a plain identifier".into(),
                        ));
                    }
                    let sql = format!(
                        "{begin}; select set_config('role', '{role}', true), \
                         set_config('search_path', '{search_path}', true)"
                    );
                    conn.execute(sql.as_str()).await?;
                }
            }
            Ok(tx)
        })
    }

    /// Commits, and gives the connection back to the pool.
    pub fn commit(self) -> BoxFuture<'static, sqlx::Result<()>> {
        self.finish("commit")
    }

    /// Rolls back, and gives the connection back to the pool.
    pub fn rollback(self) -> BoxFuture<'static, sqlx::Result<()>> {
        self.finish("rollback")
    }

    fn finish(mut self, statement: &'static str) -> BoxFuture<'static, sqlx::Result<()>> {
        Box::pin(async move {
            let conn: &mut PgConnection = &mut self;
            conn.execute(statement).await?;
            // Finished: the connection is idle again and goes back to the pool.
            self.conn.take();
            Ok(())
        })
    }
}

impl Deref for TenantTx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        // ok: only `commit`, `rollback` and `drop` take the connection, and each consumes
        // the guard.
        self.conn
            .as_deref()
            .expect("a tenant transaction owns its connection")
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_deref_mut()
            .expect("a tenant transaction owns its connection")
    }
}

impl std::fmt::Debug for TenantTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTx").finish_non_exhaustive()
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        conn.count_recovery();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            conn.set_reusable(false);
            return;
        };
        runtime.spawn(async move {
            // sqlx first drains whatever the cancelled future left unread, then sends the
            // rollback; `Ok` means PostgreSQL answered it, so the session is idle.
            let pg: &mut PgConnection = &mut conn;
            let rolled_back = tokio::time::timeout(RECOVER_TIMEOUT, pg.execute("rollback"))
                .await
                .is_ok_and(|done| done.is_ok());
            if !rolled_back {
                tracing::debug!("an abandoned tenant transaction could not be rolled back; closing its connection");
                conn.set_reusable(false);
            }
        });
    }
}
