//! One db server's connection budget and the live pools that hold parts of it.
//!
//! The budget is a semaphore with one permit per connection. A pool holds `max_size`
//! permits from its creation until its `close()` has finished, so the sum of the maximum
//! sizes of the pools that may hold connections on a server never exceeds its budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use uuid::Uuid;

use super::PoolError;
use super::stats::PoolFigures;

/// A pool handed out this recently is never reclaimed for another tenant: its caller may
/// not have checked a connection out yet.
const HANDOUT_GRACE: Duration = Duration::from_millis(10);

/// How often the task reclaiming room for waiters looks again for idle pools.
const RECLAIM_TICK: Duration = Duration::from_millis(5);

/// Why a pool was closed (the `reason` label of the evictions counter).
#[derive(Clone, Copy, Debug)]
pub(super) enum Reason {
    /// Unused for the idle timeout.
    Idle,
    /// Its budget was needed for another tenant's pool on the same server.
    Budget,
    /// [`super::TenantPools::evict`].
    Explicit,
    /// The manager itself was dropped.
    Shutdown,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Reason::Idle => "idle",
            Reason::Budget => "budget",
            Reason::Explicit => "explicit",
            Reason::Shutdown => "shutdown",
        }
    }
}

/// Closes `pool` and returns once it has no connection left.
///
/// `Pool::close()` alone can return with a connection still open (sqlx issue #3217): one
/// released while it drained the idle queue lands there afterwards, and its permit count
/// can let it stop waiting early. Closing again until the size is zero settles both.
pub(super) async fn close_completely(pool: &PgPool) {
    let mut pause = Duration::from_millis(1);
    loop {
        pool.close().await;
        if pool.size() == 0 {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A db server's budget, its live pools and its counters.
pub(super) struct Server {
    pub id: Uuid,
    pub budget: u32,
    permits: Arc<Semaphore>,
    /// Held by the one waiter that reclaims room for all of them.
    reclaim: tokio::sync::Mutex<()>,
    /// Pools holding permits (live, or closing), by serial number.
    live: Mutex<HashMap<u64, Arc<LivePool>>>,
    /// Permits wanted by the creations now waiting.
    wanted: AtomicU32,
    /// Permits of closed-down pools that come back once their `close()` finishes.
    closing: AtomicU32,
    waits: AtomicU64,
    evictions: AtomicU64,
    creations: AtomicU64,
}

impl Server {
    pub fn new(id: Uuid, budget: u32) -> Self {
        Self {
            id,
            budget,
            permits: Arc::new(Semaphore::new(budget as usize)),
            reclaim: tokio::sync::Mutex::new(()),
            live: Mutex::new(HashMap::new()),
            wanted: AtomicU32::new(0),
            closing: AtomicU32::new(0),
            waits: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            creations: AtomicU64::new(0),
        }
    }

    /// Takes `size` permits, reclaiming idle pools of this server (least recently handed
    /// out first) when they are short, and gives up with [`PoolError::Busy`] after
    /// `timeout`.
    pub async fn reserve(
        &self,
        size: u32,
        timeout: Duration,
    ) -> Result<OwnedSemaphorePermit, PoolError> {
        if let Ok(permit) = self.permits.clone().try_acquire_many_owned(size) {
            return Ok(permit);
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("tenantry_tenant_pool_waits_total").increment(1);
        let _wanted = Wanted::register(self, size);
        // One acquire for the whole wait keeps this waiter's place in the (fair) queue.
        let acquire = self.permits.clone().acquire_many_owned(size);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(acquire, deadline);
        loop {
            let reclaimer = tokio::select! {
                biased;
                permit = &mut acquire => return permit.map_err(|_| PoolError::Busy),
                () = &mut deadline => return Err(PoolError::Busy),
                guard = self.reclaim.lock() => guard,
            };
            self.make_room();
            let granted = tokio::select! {
                biased;
                permit = &mut acquire => Some(permit),
                () = &mut deadline => return Err(PoolError::Busy),
                () = tokio::time::sleep(RECLAIM_TICK) => None,
            };
            drop(reclaimer);
            if let Some(permit) = granted {
                return permit.map_err(|_| PoolError::Busy);
            }
        }
    }

    /// Closes idle pools, least recently handed out first, until the permits coming back
    /// cover what the waiters want.
    fn make_room(&self) {
        let available = self.permits.available_permits() as u64;
        let coming = u64::from(self.closing.load(Ordering::Acquire));
        let wanted = u64::from(self.wanted.load(Ordering::Acquire));
        let Some(mut short) = wanted.checked_sub(available + coming).filter(|n| *n > 0) else {
            return;
        };
        let mut candidates: Vec<(Instant, Arc<LivePool>)> = lock(&self.live)
            .values()
            .filter_map(|live| live.reclaimable().map(|at| (at, live.clone())))
            .collect();
        candidates.sort_by_key(|(at, _)| *at);
        for (_, live) in candidates {
            if short == 0 {
                break;
            }
            if live.retire_if_idle() {
                short = short.saturating_sub(u64::from(live.size));
            }
        }
    }

    /// Runs `admit` under the lock of the live set: evictions scan that set under the same
    /// lock, so a pool is either seen by them or admitted after they have looked.
    pub fn admit(&self, live: Arc<LivePool>, admit: impl FnOnce() -> bool) -> bool {
        let mut pools = lock(&self.live);
        if !admit() {
            return false;
        }
        pools.insert(live.serial, live);
        drop(pools);
        self.creations.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("tenantry_tenant_pool_creations_total").increment(1);
        true
    }

    /// The tenant's pools on this server, closing ones included.
    pub fn pools_of(&self, tenant_id: Uuid) -> Vec<Arc<LivePool>> {
        lock(&self.live)
            .values()
            .filter(|live| live.tenant_id == tenant_id)
            .cloned()
            .collect()
    }

    /// Closes this server's pools that nobody asked for in `idle_for` and that have no
    /// connection checked out.
    pub fn retire_idle(&self, idle_for: Duration) {
        let pools: Vec<Arc<LivePool>> = lock(&self.live).values().cloned().collect();
        for live in pools {
            if live
                .reclaimable()
                .is_some_and(|at| at.elapsed() >= idle_for)
            {
                live.retire(Reason::Idle);
            }
        }
    }

    /// Closes every pool of this server.
    pub fn retire_all(&self, reason: Reason) {
        let pools: Vec<Arc<LivePool>> = lock(&self.live).values().cloned().collect();
        for live in pools {
            live.retire(reason);
        }
    }

    /// This server's figures right now.
    pub fn figures(&self) -> PoolFigures {
        let mut figures = PoolFigures {
            budget: self.budget,
            reserved: self
                .budget
                .saturating_sub(u32::try_from(self.permits.available_permits()).unwrap_or(0)),
            waits: self.waits.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            creations: self.creations.load(Ordering::Relaxed),
            ..PoolFigures::default()
        };
        for live in lock(&self.live).values() {
            let open = live.pool.size();
            figures.open += open;
            figures.in_use += live.in_use();
            if !live.is_retiring() {
                figures.pools += 1;
                figures.max_connections += live.size;
            }
        }
        figures
    }
}

/// Counts a waiter's permits in [`Server::wanted`] while it waits.
struct Wanted<'a> {
    server: &'a Server,
    size: u32,
}

impl<'a> Wanted<'a> {
    fn register(server: &'a Server, size: u32) -> Self {
        server.wanted.fetch_add(size, Ordering::AcqRel);
        Self { server, size }
    }
}

impl Drop for Wanted<'_> {
    fn drop(&mut self) {
        self.server.wanted.fetch_sub(self.size, Ordering::AcqRel);
    }
}

/// One tenant's pool and the share of its server's budget that it holds.
pub(super) struct LivePool {
    pub serial: u64,
    pub tenant_id: Uuid,
    pub pool: PgPool,
    /// The pool's `max_connections`, and the permits it holds.
    pub size: u32,
    server: Arc<Server>,
    lease: Mutex<Lease>,
    closed: watch::Sender<bool>,
}

struct Lease {
    last_handout: Instant,
    /// Set once: the pool is never handed out again.
    retiring: bool,
    /// `None` once the close has started.
    permit: Option<OwnedSemaphorePermit>,
}

impl LivePool {
    pub fn new(
        serial: u64,
        tenant_id: Uuid,
        pool: PgPool,
        server: Arc<Server>,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            serial,
            tenant_id,
            size: permit.num_permits() as u32,
            pool,
            server,
            lease: Mutex::new(Lease {
                last_handout: Instant::now(),
                retiring: false,
                permit: Some(permit),
            }),
            closed: watch::Sender::new(false),
        }
    }

    /// Records a handout; `false` if the pool is closing and must not be used.
    pub fn hand_out(&self) -> bool {
        let mut lease = lock(&self.lease);
        if lease.retiring {
            return false;
        }
        lease.last_handout = Instant::now();
        true
    }

    pub fn is_retiring(&self) -> bool {
        lock(&self.lease).retiring
    }

    /// Connections checked out right now.
    pub fn in_use(&self) -> u32 {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        self.pool.size().saturating_sub(idle)
    }

    /// When it was last handed out, if it could be closed right now without taking a
    /// connection from anyone.
    fn reclaimable(&self) -> Option<Instant> {
        let lease = lock(&self.lease);
        self.idle(&lease).then_some(lease.last_handout)
    }

    fn idle(&self, lease: &Lease) -> bool {
        !lease.retiring && self.in_use() == 0 && lease.last_handout.elapsed() >= HANDOUT_GRACE
    }

    /// Closes the pool for another tenant's budget if it is still reclaimable, deciding
    /// under the same lock as [`LivePool::hand_out`].
    fn retire_if_idle(self: &Arc<Self>) -> bool {
        self.retire_when(Reason::Budget, |lease| self.idle(lease))
    }

    /// Stops handing the pool out and closes it in the background; its permits return
    /// once the close has finished. Idempotent.
    pub fn retire(self: &Arc<Self>, reason: Reason) {
        self.retire_when(reason, |_| true);
    }

    fn retire_when(self: &Arc<Self>, reason: Reason, now: impl FnOnce(&Lease) -> bool) -> bool {
        let mut lease = lock(&self.lease);
        if !now(&lease) {
            return false;
        }
        lease.retiring = true;
        let permit = lease.permit.take();
        drop(lease);
        if let Some(permit) = permit {
            self.start_close(permit, reason);
        }
        true
    }

    fn start_close(self: &Arc<Self>, permit: OwnedSemaphorePermit, reason: Reason) {
        let server = &self.server;
        server.closing.fetch_add(self.size, Ordering::AcqRel);
        server.evictions.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("tenantry_tenant_pool_evictions_total", "reason" => reason.label())
            .increment(1);
        tracing::debug!(
            tenant_id = %self.tenant_id,
            server_id = %server.id,
            reason = reason.label(),
            "closing a tenant pool"
        );
        let live = self.clone();
        let finish = async move {
            close_completely(&live.pool).await;
            lock(&live.server.live).remove(&live.serial);
            drop(permit);
            live.server.closing.fetch_sub(live.size, Ordering::AcqRel);
            live.closed.send_replace(true);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(finish);
            }
            Err(_) => {
                // No runtime left to close on (process shutdown): dropping the pool drops
                // its connections, and the budget no longer matters.
                tracing::warn!(
                    tenant_id = %self.tenant_id,
                    "tenant pool dropped without a graceful close"
                );
                lock(&self.server.live).remove(&self.serial);
                self.server.closing.fetch_sub(self.size, Ordering::AcqRel);
                self.closed.send_replace(true);
            }
        }
    }

    /// Resolves once a close started by [`LivePool::retire`] has finished.
    pub async fn closed(&self) {
        let mut closed = self.closed.subscribe();
        // An error means the sender is gone, and with it the pool.
        let _ = closed.wait_for(|done| *done).await;
    }
}
