//! The guards of the keyed pool: a slot being filled for an acquire ([`Checkout`]), a
//! checked-out connection ([`PooledConn`]) and a connection on its way out ([`Closing`]).
//! Each gives its slot back when dropped, so a cancelled future never leaks budget.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::time::Instant;

use super::{Affinity, CLOSE_TIMEOUT, LoginKey, Reason, ServerPool, lock};
use crate::tenancy::pools::PoolError;

/// A connection on its way out. Its slot is freed when this is dropped, closed or not.
pub(super) struct Closing<'a> {
    pub(super) server: &'a ServerPool,
    pub(super) key: Arc<LoginKey>,
    pub(super) conn: Option<PgConnection>,
}

impl Closing<'_> {
    pub(super) async fn close(mut self, reason: Reason) {
        self.server.count_eviction(reason);
        if let Some(conn) = self.conn.take() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
        }
    }
}

impl Drop for Closing<'_> {
    fn drop(&mut self) {
        drop(self.conn.take());
        lock(&self.server.state).free_slot(&self.key);
        self.server.returned.notify_waiters();
    }
}

/// A slot (and an in-use count) taken for a caller of [`ServerPool::acquire`]; both are
/// given back if the acquire ends (or is cancelled) before a connection is handed out.
pub(super) struct Checkout<'a> {
    server: &'a Arc<ServerPool>,
    key: &'a Arc<LoginKey>,
    generation: u64,
    affinity: Affinity,
    armed: bool,
}

impl<'a> Checkout<'a> {
    pub(super) fn new(
        server: &'a Arc<ServerPool>,
        key: &'a Arc<LoginKey>,
        generation: u64,
        affinity: Affinity,
    ) -> Self {
        Self {
            server,
            key,
            generation,
            affinity,
            armed: true,
        }
    }

    /// Closes a connection that cannot be handed out; the slot is freed afterwards.
    pub(super) async fn close(self, conn: PgConnection, reason: Reason) {
        self.server.count_eviction(reason);
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
    }

    /// Opens a new connection in the slot, until the deadline at most.
    pub(super) async fn open(
        self,
        options: &PgConnectOptions,
        deadline: Instant,
    ) -> Result<PooledConn, PoolError> {
        match tokio::time::timeout_at(deadline, options.connect()).await {
            Ok(Ok(conn)) => {
                self.server.creations.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("tenantry_tenant_pool_creations_total").increment(1);
                Ok(self.into_conn(conn))
            }
            Ok(Err(e)) => Err(PoolError::Db(e)),
            Err(_) => {
                tracing::warn!(server_id = %self.server.id, "opening a tenant connection timed out");
                Err(PoolError::Busy)
            }
        }
    }

    pub(super) fn into_conn(mut self, conn: PgConnection) -> PooledConn {
        self.armed = false;
        PooledConn {
            conn: Some(conn),
            generation: self.generation,
            affinity: self.affinity,
            key: self.key.clone(),
            server: self.server.clone(),
            reusable: true,
        }
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        {
            let mut state = lock(&self.server.state);
            state.in_use = state.in_use.saturating_sub(1);
            state.free_slot(self.key);
        }
        self.server.returned.notify_waiters();
    }
}

/// A checked-out connection; goes back to its key's idle list when dropped, or is closed
/// if marked not reusable (or its key was evicted meanwhile).
pub struct PooledConn {
    conn: Option<PgConnection>,
    key: Arc<LoginKey>,
    generation: u64,
    affinity: Affinity,
    server: Arc<ServerPool>,
    reusable: bool,
}

impl PooledConn {
    /// Where this connection is logged in.
    pub fn key(&self) -> &LoginKey {
        &self.key
    }

    /// Whether it goes back to the pool when dropped (`true` unless told otherwise).
    pub fn set_reusable(&mut self, reusable: bool) {
        self.reusable = reusable;
    }

    /// Counts a connection given back in an unknown state that was repaired or closed.
    pub(in crate::tenancy::pools) fn count_recovery(&self) {
        self.server.recoveries.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("tenantry_tenant_pool_recoveries_total").increment(1);
    }
}

impl Deref for PooledConn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        // Only `drop` takes the connection out.
        self.conn
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.reusable {
            self.server
                .put_back(self.key.clone(), self.generation, self.affinity, conn);
        } else {
            self.server.discard(self.key.clone(), conn, Reason::Broken);
        }
    }
}

impl std::fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledConn")
            .field("key", &self.key)
            .field("reusable", &self.reusable)
            .finish_non_exhaustive()
    }
}
