//! The tenant pool manager: one sqlx [`PgPool`] per live tenant, under a strict connection
//! budget per db server.
//!
//! Ten thousand tenants cannot each keep connections open: a PostgreSQL server serves a
//! few hundred at most, and past `max_connections` every newcomer (tenant or platform)
//! gets "too many clients". So tenants share a bounded number of connections per server
//! (`TENANTRY_TENANT_CONNECTIONS`) and the pools come and go with traffic:
//!
//! - A pool is created on a tenant's first request, with the tenant's own role,
//!   `application_name = tenantry:<slug>` and `min_connections = 0`, and lives in a moka
//!   cache keyed by tenant id. Creation is single-flight (`try_get_with`): a burst of first
//!   requests makes one pool. Pools unused for the idle timeout expire, and the eviction
//!   listener closes them.
//! - Each server's budget is a semaphore with one permit per connection. A pool takes its
//!   maximum size in permits before it exists and gives them back only after its
//!   `close()` has finished, so the sum of the maximum sizes of the pools that may hold
//!   connections on a server never exceeds the budget, not even while one closes and
//!   another opens.
//! - When permits are short, the creation closes the server's idle pools (no connection
//!   checked out), least recently handed out first, and waits for their permits up to the
//!   acquire timeout; then it fails with [`PoolError::Busy`] (a 503), never a hang.
//!   Reclaimed pools are marked closing under the same lock that hands pools out, so a
//!   pool is never closed between its handout and its caller's first checkout.
//!
//! A moka weigher with a global capacity is deliberately not used: the budget is per
//! server, and a size-bounded cache may reject or evict a pool it has just handed out.
//!
//! Callers should check one connection (or a transaction) out for a unit of work: a pool
//! whose connections are all idle may be closed for another tenant, and a closed pool
//! refuses new checkouts (`sqlx::Error::PoolClosed`); `get` again to get a fresh one.

mod budget;
mod stats;
mod target;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use sqlx::PgPool;
use uuid::Uuid;

use self::budget::{LivePool, Reason, Server, close_completely, lock};
pub use self::stats::{PoolFigures, PoolStats};
pub use self::target::{TenantTarget, load_target};
use crate::tenancy::crypto::{MasterKey, OpenError};

/// How the tenant pools are sized and timed.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// Connections all tenant pools together may hold on one db server
    /// (`TENANTRY_TENANT_CONNECTIONS`).
    pub budget_per_server: u32,
    /// A connection idle this long is closed, and a pool nobody asked for this long is
    /// closed and forgotten.
    pub idle_timeout: Duration,
    /// How long a request may wait for budget (creating a pool) or for a connection.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            budget_per_server: 60,
            idle_timeout: Duration::from_secs(30),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a tenant's pool cannot be handed out.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The tenant does not exist or is not active.
    #[error("the tenant does not exist or is not active")]
    NotServable,
    /// No capacity on the tenant's db server within the acquire timeout (a 503).
    #[error("no database capacity for this tenant right now")]
    Busy,
    #[error("tenant pool database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("tenant credentials could not be unsealed: {0}")]
    Secret(#[from] OpenError),
}

impl PoolError {
    /// The error of a single-flight creation, as each of its waiters receives it.
    fn from_shared(shared: Arc<PoolError>) -> Self {
        match Arc::try_unwrap(shared) {
            Ok(error) => error,
            Err(shared) => match &*shared {
                PoolError::NotServable => PoolError::NotServable,
                PoolError::Busy => PoolError::Busy,
                PoolError::Secret(_) => PoolError::Secret(OpenError),
                // `sqlx::Error` is not `Clone`: the other waiters get the shared error as
                // the source of an I/O error.
                PoolError::Db(_) => PoolError::Db(sqlx::Error::Io(std::io::Error::other(shared))),
            },
        }
    }
}

/// The per-tenant pools; cheap to clone.
#[derive(Clone)]
pub struct TenantPools {
    inner: Arc<Inner>,
}

struct Inner {
    control: PgPool,
    key: MasterKey,
    settings: PoolSettings,
    cache: Cache<Uuid, Arc<LivePool>>,
    servers: Mutex<HashMap<Uuid, Arc<Server>>>,
    /// Creations under way, by serial: tenant and "evicted meanwhile" flag.
    creating: Mutex<HashMap<u64, (Uuid, Arc<AtomicBool>)>>,
    serial: AtomicU64,
    janitor: AtomicBool,
}

impl std::fmt::Debug for TenantPools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPools")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl TenantPools {
    /// Pools of the tenants registered in `control`, whose role passwords `key` unseals.
    pub fn new(control: PgPool, key: MasterKey, settings: PoolSettings) -> Self {
        let cache = Cache::builder()
            .name("tenant-pools")
            .time_to_idle(settings.idle_timeout)
            .eviction_listener(|_tenant_id, live: Arc<LivePool>, cause| {
                let reason = match cause {
                    RemovalCause::Explicit => Reason::Explicit,
                    RemovalCause::Expired | RemovalCause::Replaced | RemovalCause::Size => {
                        Reason::Idle
                    }
                };
                live.retire(reason);
            })
            .build();
        Self {
            inner: Arc::new(Inner {
                control,
                key,
                settings,
                cache,
                servers: Mutex::new(HashMap::new()),
                creating: Mutex::new(HashMap::new()),
                serial: AtomicU64::new(0),
                janitor: AtomicBool::new(false),
            }),
        }
    }

    /// The tenant's pool, created on first use.
    ///
    /// [`PoolError::NotServable`] for a tenant that does not exist or is not active;
    /// [`PoolError::Busy`] when its server's budget has no room within the acquire
    /// timeout, because every other pool there has a connection checked out.
    pub async fn get(&self, tenant_id: Uuid) -> Result<PgPool, PoolError> {
        self.start_janitor();
        let inner = &self.inner;
        let deadline = Instant::now() + inner.settings.acquire_timeout;
        loop {
            let live = inner
                .cache
                .try_get_with(tenant_id, inner.clone().create(tenant_id))
                .await
                .map_err(PoolError::from_shared)?;
            if live.hand_out() {
                return Ok(live.pool.clone());
            }
            // It is closing: forget it (unless a new one replaced it already), look again.
            inner
                .cache
                .entry(tenant_id)
                .and_compute_with(|entry| {
                    let op = match entry {
                        Some(entry) if Arc::ptr_eq(entry.value(), &live) => Op::Remove,
                        _ => Op::Nop,
                    };
                    std::future::ready(op)
                })
                .await;
            if Instant::now() >= deadline {
                return Err(PoolError::Busy);
            }
        }
    }

    /// Closes and forgets the tenant's pool (suspend/delete/purge/credential rotation call
    /// this first); waits until its connections are closed. A creation already under way
    /// for this tenant is not published: the next `get` loads the target again.
    pub async fn evict(&self, tenant_id: Uuid) {
        let inner = &self.inner;
        for (creating, evicted) in lock(&inner.creating).values() {
            if *creating == tenant_id {
                evicted.store(true, Ordering::SeqCst);
            }
        }
        let servers: Vec<Arc<Server>> = lock(&inner.servers).values().cloned().collect();
        let mut closing = Vec::new();
        for server in servers {
            for live in server.pools_of(tenant_id) {
                live.retire(Reason::Explicit);
                closing.push(live);
            }
        }
        inner
            .cache
            .entry(tenant_id)
            .and_compute_with(|entry| {
                let op = match entry {
                    Some(entry) if entry.value().is_retiring() => Op::Remove,
                    _ => Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
        for live in closing {
            live.closed().await;
        }
    }

    /// Live figures, totals and per db server; also sets the `metrics` gauges.
    pub fn stats(&self) -> PoolStats {
        let stats = self.inner.stats();
        stats.publish();
        stats
    }

    /// Starts, once, the task that closes idle pools when no request comes to trigger
    /// the cache's own housekeeping, and refreshes the gauges.
    fn start_janitor(&self) {
        if self.inner.janitor.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.inner.janitor.store(false, Ordering::Release);
            return;
        };
        let inner = Arc::downgrade(&self.inner);
        let every = (self.inner.settings.idle_timeout / 2)
            .clamp(Duration::from_millis(100), Duration::from_secs(5));
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(inner) = inner.upgrade() else {
                    break;
                };
                inner.sweep().await;
            }
        });
    }
}

impl Inner {
    /// Builds the tenant's pool: its target, then its budget, then a lazy pool.
    #[tracing::instrument(skip_all, fields(%tenant_id))]
    async fn create(self: Arc<Self>, tenant_id: Uuid) -> Result<Arc<LivePool>, PoolError> {
        loop {
            let serial = self.serial.fetch_add(1, Ordering::Relaxed);
            let creation = Creation::register(&self, serial, tenant_id);
            let target = load_target(&self.control, &self.key, tenant_id)
                .await?
                .ok_or(PoolError::NotServable)?;
            let options = target.connect_options()?;
            let server = self.server(target.server_id);
            if target.pool_size > server.budget {
                tracing::warn!(
                    pool_size = target.pool_size,
                    budget = server.budget,
                    "the plan's pool size exceeds the server's connection budget; capped"
                );
            }
            let size = target.pool_size.min(server.budget);
            let permit = match server.reserve(size, self.settings.acquire_timeout).await {
                Ok(permit) => permit,
                Err(e) => {
                    tracing::warn!(
                        server_id = %server.id,
                        budget = server.budget,
                        "no connection budget for a tenant pool within the acquire timeout"
                    );
                    return Err(e);
                }
            };
            let pool = crate::pg::pool::options()
                .min_connections(0)
                .max_connections(size)
                .idle_timeout(self.settings.idle_timeout)
                .acquire_timeout(self.settings.acquire_timeout)
                .connect_lazy_with(options);
            let live = Arc::new(LivePool::new(
                serial,
                tenant_id,
                pool,
                server.clone(),
                permit,
            ));
            if server.admit(live.clone(), || !creation.evicted()) {
                return Ok(live);
            }
            // Evicted while we were building it: its target may be out of date. The pool
            // never had a connection; its permits return as it drops.
            close_completely(&live.pool).await;
        }
    }

    /// The server's budget, created on first use.
    fn server(&self, id: Uuid) -> Arc<Server> {
        lock(&self.servers)
            .entry(id)
            .or_insert_with(|| Arc::new(Server::new(id, self.settings.budget_per_server.max(1))))
            .clone()
    }

    fn stats(&self) -> PoolStats {
        let servers: Vec<Arc<Server>> = lock(&self.servers).values().cloned().collect();
        PoolStats::from_servers(servers.iter().map(|server| (server.id, server.figures())))
    }

    /// Closes pools idle past the timeout (including any the cache no longer holds) and
    /// refreshes the gauges.
    async fn sweep(&self) {
        self.cache.run_pending_tasks().await;
        let servers: Vec<Arc<Server>> = lock(&self.servers).values().cloned().collect();
        for server in &servers {
            server.retire_idle(self.settings.idle_timeout);
        }
        self.stats().publish();
    }
}

impl Drop for Inner {
    /// Closes every pool (in the background), which also ends the references between
    /// the servers and their pools.
    fn drop(&mut self) {
        for server in lock(&self.servers).values() {
            server.retire_all(Reason::Shutdown);
        }
    }
}

/// A creation under way, known to [`TenantPools::evict`] until it ends.
struct Creation<'a> {
    inner: &'a Inner,
    serial: u64,
    evicted: Arc<AtomicBool>,
}

impl<'a> Creation<'a> {
    fn register(inner: &'a Inner, serial: u64, tenant_id: Uuid) -> Self {
        let evicted = Arc::new(AtomicBool::new(false));
        lock(&inner.creating).insert(serial, (tenant_id, evicted.clone()));
        Self {
            inner,
            serial,
            evicted,
        }
    }

    fn evicted(&self) -> bool {
        self.evicted.load(Ordering::SeqCst)
    }
}

impl Drop for Creation<'_> {
    fn drop(&mut self) {
        lock(&self.inner.creating).remove(&self.serial);
    }
}
