//! A keyed pool of [`PgConnection`]s under one budget per db server, counted per
//! connection.
//!
//! A key is a login target (server, database, role): each isolated tenant is one key, and
//! a pooled tier's shared database is one key shared by all of its tenants. The server's
//! budget counts slots: a connection takes one from just before it is opened until it has
//! been closed, so the server never sees more of our connections than the budget.
//! An acquire takes, in this order:
//!
//! 1. the key's most recently returned idle connection (pinged first if it has been idle
//!    longer than [`CHECK_AFTER_IDLE`], dropped if it has been idle past the idle timeout)
//!    — with an [`Affinity`], the most recent one that last served the same bucket, and
//!    while the key may still open one, a new one rather than another bucket's;
//! 2. a free slot, to open a new connection (unless the key is at its own limit);
//! 3. for a key holding none, the slot of the least recently used idle connection of
//!    *any* key on the server, which is closed first — PgBouncer's `max_db_connections`,
//!    per connection (a key whose own connections are all busy waits for one instead);
//! 4. otherwise it waits for a connection to come back, and gives up with
//!    [`PoolError::Busy`] at the acquire timeout: never a hang.
//!
//! sqlx's `PgPool` cannot do 3 (one pool cannot close another pool's idle connection),
//! hence this module. A [`PooledConn`] goes back to the idle list when dropped, unless it
//! was marked as not reusable, in which case it is closed; the transaction guard in
//! `super::tx` decides which. The guards that keep the slot counts right under
//! cancellation are in [`conn`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::Notify;
use tokio::time::Instant;
use uuid::Uuid;

mod conn;

pub use self::conn::PooledConn;
use self::conn::{Checkout, Closing};
use super::PoolError;
use super::stats::PoolFigures;
pub use crate::pg::pool::CHECK_AFTER_IDLE;

/// How long a key whose connections are all in use waits for one of them, at a full
/// budget, before closing another key's idle connection to open one more: a few
/// transactions' time, much less than opening a backend.
const OWN_PATIENCE: Duration = Duration::from_millis(20);

/// How long an acquire waits before trying again when PostgreSQL refused a new
/// connection for want of slots (the role's or the server's, held by another process).
const FULL_RETRY: Duration = Duration::from_millis(10);

/// Whether `opened` failed because PostgreSQL has no slot left for it right now (SQLSTATE
/// 53300: another instance, or an operator's session, holds the role's connection limit
/// or the server's `max_connections`). That passes as they close theirs: after a short
/// pause (taken here) the acquire tries again, until its deadline.
async fn refused_for_now(opened: &Result<PooledConn, PoolError>, deadline: Instant) -> bool {
    let Err(PoolError::Db(e)) = opened else {
        return false;
    };
    let full = e
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "53300");
    if !full || Instant::now() + FULL_RETRY >= deadline {
        return false;
    }
    tracing::debug!(error = %e, "no connection slot on the server for now; trying again");
    tokio::time::sleep(FULL_RETRY).await;
    true
}

/// How long closing a connection may take before it is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Locks a mutex whose data stays consistent even if a holder panicked.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a connection logs in: one key per (server, database, role).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct LoginKey {
    pub server_id: Uuid,
    pub database: String,
    pub role: String,
}

/// Why a connection was closed (the `reason` label of the evictions counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reason {
    /// Idle past the idle timeout.
    Idle,
    /// Its slot was needed for another key on the same server (least recently used).
    Budget,
    /// [`ServerPool::evict_key`]: the tenant was suspended, deleted, rotated…
    Explicit,
    /// Failed its ping, or was given back in an unknown state that could not be repaired.
    Broken,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Reason::Idle => "idle",
            Reason::Budget => "budget",
            Reason::Explicit => "explicit",
            Reason::Broken => "broken",
        }
    }
}

/// The timing every server pool shares.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timing {
    pub idle_timeout: Duration,
    pub acquire_timeout: Duration,
}

/// One db server's connections: its budget, idle lists per key and counters.
pub(super) struct ServerPool {
    pub id: Uuid,
    /// This instance's share of the server's budget ([`crate::tenancy::instances`]); it
    /// can shrink below the slots taken, which then drain as connections come back.
    budget: AtomicU32,
    /// Live instances sharing the server: a key's limit is divided among them, because
    /// a login role's `connection limit` counts every instance's connections.
    instances: AtomicU32,
    timing: Timing,
    state: Mutex<State>,
    /// Woken when a slot is freed, the budget changes, or a connection comes back that
    /// no waiter of its own key takes (see [`KeyState::own`]).
    returned: Notify,
    waits: AtomicU64,
    evictions: AtomicU64,
    reclaimed: AtomicU64,
    creations: AtomicU64,
    recoveries: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Slots taken: connections open, being opened or being closed.
    slots: u32,
    /// Connections checked out (or being opened for a caller).
    in_use: u32,
    /// Keys holding at least one slot.
    keys: HashMap<Arc<LoginKey>, KeyState>,
    /// Acquires waiting on `returned` for anything (a slot, any idle connection).
    waiting: u32,
}

#[derive(Default)]
struct KeyState {
    /// Slots this key holds (idle, in use, opening, closing).
    slots: u32,
    /// Least recently returned at the front.
    idle: VecDeque<Idle>,
    /// Bumped by an eviction: connections checked out before it are closed on return.
    generation: u64,
    /// The key's limit across instances, as of its last acquire.
    limit: u32,
    /// Woken once per connection of this key that comes back while some of its own
    /// acquires wait for one: handing it to one waiter, not waking every waiter of every
    /// key (at 64 requests on one tenant's 5 connections that herd was most of the
    /// pool's time).
    own: Arc<Notify>,
    /// Acquires of this key waiting on `own`.
    waiting: u32,
}

struct Idle {
    conn: PgConnection,
    since: Instant,
    /// The bucket of the last checkout that used it.
    affinity: Affinity,
}

/// Which of a shared key's connections a checkout prefers: pooled-tier tenants are
/// spread over buckets, and a connection keeps serving the bucket it last served. A
/// PostgreSQL backend caches the catalog entries (and plans) of the tables it has
/// touched; one that serves every schema of a shared database in turn rebuilds them on
/// nearly every transaction, one that serves a bucket's few tenants finds them warm.
/// `None`: no preference (an isolated tenant's key serves one tenant anyway).
pub type Affinity = Option<u32>;

impl KeyState {
    /// The idle connection a checkout with `affinity` takes: the most recently returned
    /// one of its bucket; else none while the key `may_open` (the bucket gets one of its
    /// own); else the most recently returned.
    fn take_idle(&mut self, affinity: Affinity, may_open: bool) -> Option<Idle> {
        if affinity.is_some() {
            if let Some(at) = self.idle.iter().rposition(|i| i.affinity == affinity) {
                return self.idle.remove(at);
            }
            if may_open {
                return None;
            }
        }
        self.idle.pop_back()
    }
}

impl State {
    /// Takes a slot for `key`; the key's generation.
    fn take_slot(&mut self, key: &Arc<LoginKey>, limit: u32) -> u64 {
        self.slots += 1;
        let state = self.keys.entry(key.clone()).or_default();
        state.slots += 1;
        state.limit = limit;
        state.generation
    }

    /// Gives a slot back; forgets the key when it holds none.
    fn free_slot(&mut self, key: &LoginKey) {
        self.slots = self.slots.saturating_sub(1);
        if let Some(state) = self.keys.get_mut(key) {
            state.slots = state.slots.saturating_sub(1);
            self.forget_if_unused(key);
        }
    }

    /// Forgets `key` when it holds no slot and nobody waits on its [`KeyState::own`].
    fn forget_if_unused(&mut self, key: &LoginKey) {
        if self
            .keys
            .get(key)
            .is_some_and(|k| k.slots == 0 && k.idle.is_empty() && k.waiting == 0)
        {
            self.keys.remove(key);
        }
    }

    fn idle_count(&self) -> u32 {
        self.keys.values().map(|k| k.idle.len() as u32).sum()
    }

    /// Removes the least recently used idle connection of any key; its slot stays taken
    /// (by its old key) until the caller frees it.
    fn take_lru(&mut self) -> Option<(Arc<LoginKey>, PgConnection)> {
        let key = self
            .keys
            .iter()
            .filter_map(|(key, state)| state.idle.front().map(|idle| (idle.since, key)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, key)| key.clone())?;
        let idle = self.keys.get_mut(&key)?.idle.pop_front()?;
        Some((key, idle.conn))
    }
}

/// What an acquire decided under the lock (with the key's generation at that moment).
enum Step {
    Reuse(Idle, u64),
    Open(u64),
    Replace(Arc<LoginKey>, PgConnection, u64),
    Shrink(Arc<LoginKey>, PgConnection),
    /// Wait for one of the key's own connections (its `own` notify) or a freed slot.
    WaitOwn(Arc<Notify>),
    /// Wait for anything: a freed slot, or an idle connection of any key.
    Wait,
}

/// Registers an acquire as a waiter for `key`'s own connections (under the state lock).
fn own_wait(state: &mut State, key: &Arc<LoginKey>) -> Step {
    let k = state.keys.entry(key.clone()).or_default();
    k.waiting += 1;
    Step::WaitOwn(k.own.clone())
}

/// Counts an acquire among the waiters (of its key, or of the server) while it waits,
/// including when its future is dropped mid-wait.
struct Waiting<'a> {
    server: &'a ServerPool,
    /// `Some`: waiting on this key's `own`.
    key: Option<&'a Arc<LoginKey>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.server.state);
        match self.key {
            Some(key) => {
                if let Some(k) = state.keys.get_mut(key.as_ref()) {
                    k.waiting = k.waiting.saturating_sub(1);
                }
                state.forget_if_unused(key);
            }
            None => state.waiting = state.waiting.saturating_sub(1),
        }
    }
}

impl ServerPool {
    pub fn new(id: Uuid, budget: u32, timing: Timing) -> Self {
        Self {
            id,
            budget: AtomicU32::new(budget.max(1)),
            instances: AtomicU32::new(1),
            timing,
            state: Mutex::new(State::default()),
            returned: Notify::new(),
            waits: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            reclaimed: AtomicU64::new(0),
            creations: AtomicU64::new(0),
            recoveries: AtomicU64::new(0),
        }
    }

    /// A connection for `key` (at most `limit` of them at once), opened with `options`
    /// when none is idle, preferring one that last served `affinity`.
    /// [`PoolError::Busy`] after the acquire timeout.
    pub async fn acquire(
        self: &Arc<Self>,
        key: &Arc<LoginKey>,
        limit: u32,
        options: &PgConnectOptions,
        affinity: Affinity,
    ) -> Result<PooledConn, PoolError> {
        let key_limit = limit;
        let limit = self.key_limit(key_limit);
        let deadline = Instant::now() + self.timing.acquire_timeout;
        let mut counted_wait = false;
        // Until when a key whose connections are all busy waits for one of its own.
        let mut patience: Option<Instant> = None;
        loop {
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            let step = {
                let mut state = lock(&self.state);
                let state = &mut *state;
                let room = state.slots < self.budget();
                let mut key_state = state.keys.get_mut(key);
                if let Some(k) = key_state.as_deref_mut() {
                    k.limit = key_limit;
                }
                let key_slots = key_state.as_ref().map_or(0, |k| k.slots);
                let may_open = room && key_slots < limit.max(1);
                if let Some((idle, generation)) =
                    key_state.and_then(|k| Some((k.take_idle(affinity, may_open)?, k.generation)))
                {
                    state.in_use += 1;
                    Step::Reuse(idle, generation)
                } else if key_slots >= limit.max(1) {
                    own_wait(state, key)
                } else if state.slots < self.budget() {
                    let generation = state.take_slot(key, key_limit);
                    state.in_use += 1;
                    Step::Open(generation)
                } else if state.slots > self.budget()
                    && let Some((old_key, conn)) = state.take_lru()
                {
                    // Over a budget that shrank: close an idle one, open nothing.
                    Step::Shrink(old_key, conn)
                } else if key_slots > 0
                    && *patience.get_or_insert_with(|| Instant::now() + OWN_PATIENCE)
                        > Instant::now()
                {
                    // The key's own connections are busy and usually back within a
                    // transaction's time; opening one more would cost a new backend and
                    // another tenant's warm connection. Past the patience (a key that
                    // needs more, or a caller holding one while asking for another),
                    // it takes the least recently used idle one after all.
                    own_wait(state, key)
                } else if let Some((old_key, conn)) = state.take_lru() {
                    // The old key's slot is freed once the old connection is closed; until
                    // then both are counted, so nobody else opens past the budget.
                    let generation = state.take_slot(key, key_limit);
                    state.in_use += 1;
                    Step::Replace(old_key, conn, generation)
                } else {
                    state.waiting += 1;
                    Step::Wait
                }
            };
            // From here on, the slot taken above is given back if this future is dropped.
            match step {
                Step::Reuse(idle, generation) => {
                    let checkout = Checkout::new(self, key, generation, affinity);
                    let idle_for = idle.since.elapsed();
                    let mut conn = idle.conn;
                    if idle_for >= self.timing.idle_timeout {
                        checkout.close(conn, Reason::Idle).await;
                        continue;
                    }
                    if idle_for >= CHECK_AFTER_IDLE
                        && let Err(e) = conn.ping().await
                    {
                        tracing::debug!(server_id = %self.id, error = %e, "an idle tenant connection failed its ping");
                        checkout.close(conn, Reason::Broken).await;
                        continue;
                    }
                    return Ok(checkout.into_conn(conn));
                }
                Step::Open(generation) => {
                    let checkout = Checkout::new(self, key, generation, affinity);
                    let opened = checkout.open(options, deadline).await;
                    if !refused_for_now(&opened, deadline).await {
                        return opened;
                    }
                }
                Step::Replace(old_key, old, generation) => {
                    let checkout = Checkout::new(self, key, generation, affinity);
                    self.reclaimed.fetch_add(1, Ordering::Relaxed);
                    let closing = self.closing(old_key, old);
                    closing.close(Reason::Budget).await;
                    let opened = checkout.open(options, deadline).await;
                    if !refused_for_now(&opened, deadline).await {
                        return opened;
                    }
                }
                Step::Shrink(old_key, old) => {
                    self.close_now(old_key, old, Reason::Budget).await;
                    continue;
                }
                Step::Wait | Step::WaitOwn(_) => {
                    let (own, _waiting) = match step {
                        Step::WaitOwn(own) => (
                            Some(own),
                            Waiting {
                                server: self,
                                key: Some(key),
                            },
                        ),
                        _ => (
                            None,
                            Waiting {
                                server: self,
                                key: None,
                            },
                        ),
                    };
                    if !counted_wait {
                        counted_wait = true;
                        self.waits.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!("tenantry_tenant_pool_waits_total").increment(1);
                    }
                    let own_returned = async {
                        match &own {
                            Some(own) => own.notified().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = &mut returned => {}
                        () = own_returned => {}
                        () = tokio::time::sleep_until(patience.unwrap_or(deadline).min(deadline)),
                            if patience.is_some_and(|p| p > Instant::now()) => {}
                        () = tokio::time::sleep_until(deadline) => {
                            tracing::warn!(
                                server_id = %self.id,
                                budget = self.budget(),
                                "no tenant connection within the acquire timeout"
                            );
                            return Err(PoolError::Busy);
                        }
                    }
                }
            }
        }
    }

    /// Closes `conn` (whose slot `key` holds) and frees the slot once it is closed.
    /// The slot is freed even if this future is dropped part-way (the connection is then
    /// dropped, which closes its socket).
    async fn close_now(&self, key: Arc<LoginKey>, conn: PgConnection, reason: Reason) {
        self.closing(key, conn).close(reason).await;
    }

    /// Must not be dropped while the state lock is held.
    fn closing(&self, key: Arc<LoginKey>, conn: PgConnection) -> Closing<'_> {
        Closing {
            server: self,
            key,
            conn: Some(conn),
        }
    }

    fn count_eviction(&self, reason: Reason) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("tenantry_tenant_pool_evictions_total", "reason" => reason.label())
            .increment(1);
    }

    /// Takes a connection back into the key's idle list, or closes it if the key was
    /// evicted since it was checked out.
    fn put_back(
        self: &Arc<Self>,
        key: Arc<LoginKey>,
        generation: u64,
        affinity: Affinity,
        conn: PgConnection,
    ) {
        let stale = {
            let mut state = lock(&self.state);
            let over_budget = state.slots > self.budget();
            let anyone_waits = state.waiting > 0;
            match state.keys.get_mut(&key) {
                // A key over its part of the limit (more instances came) keeps no more
                // idle ones, so the others can open theirs.
                Some(key_state)
                    if key_state.generation == generation
                        && !over_budget
                        && key_state.slots <= self.key_limit(key_state.limit) =>
                {
                    key_state.idle.push_back(Idle {
                        conn,
                        since: Instant::now(),
                        affinity,
                    });
                    // One of the key's own waiters takes it; else anyone waiting may
                    // (a key holding none closes the least recently used idle one).
                    let wake = if key_state.waiting > 0 {
                        Some(key_state.own.clone())
                    } else {
                        None
                    };
                    state.in_use = state.in_use.saturating_sub(1);
                    Ok((wake, anyone_waits))
                }
                _ => Err(conn),
            }
        };
        match stale {
            Err(conn) => self.discard(key, conn, Reason::Explicit),
            Ok((Some(own), _)) => own.notify_one(),
            Ok((None, true)) => self.returned.notify_waiters(),
            Ok((None, false)) => {}
        }
    }

    /// Closes a checked-out connection in the background (or drops it, with no runtime)
    /// and frees its slot once it is gone.
    fn discard(self: &Arc<Self>, key: Arc<LoginKey>, conn: PgConnection, reason: Reason) {
        {
            let mut state = lock(&self.state);
            state.in_use = state.in_use.saturating_sub(1);
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let server = self.clone();
                runtime.spawn(async move { server.close_now(key, conn, reason).await });
            }
            Err(_) => {
                // No runtime left (process shutdown): dropping closes the socket.
                drop(conn);
                self.count_eviction(reason);
                lock(&self.state).free_slot(&key);
                self.returned.notify_waiters();
            }
        }
    }

    /// Closes the idle connections of `key` (a tenant suspended, deleted or with a new
    /// password); connections in use are closed when they come back (`retired`).
    pub async fn evict_key(&self, key: &LoginKey) {
        let idle: Vec<(Arc<LoginKey>, PgConnection)> = {
            let mut state = lock(&self.state);
            let shared = state.keys.get_key_value(key).map(|(k, _)| k.clone());
            match (shared, state.keys.get_mut(key)) {
                (Some(shared), Some(k)) => {
                    k.generation += 1;
                    k.idle.drain(..).map(|i| (shared.clone(), i.conn)).collect()
                }
                _ => Vec::new(),
            }
        };
        // Each becomes a `Closing` before any await, so a cancelled evict frees every slot.
        let closing: Vec<Closing<'_>> = idle
            .into_iter()
            .map(|(key, conn)| self.closing(key, conn))
            .collect();
        for one in closing {
            one.close(Reason::Explicit).await;
        }
    }

    /// Closes every connection idle past the idle timeout.
    pub async fn close_expired(&self) {
        let now = Instant::now();
        let expired: Vec<(Arc<LoginKey>, PgConnection)> = {
            let mut state = lock(&self.state);
            let mut expired = Vec::new();
            for (key, k) in state.keys.iter_mut() {
                while k
                    .idle
                    .front()
                    .is_some_and(|i| now.duration_since(i.since) >= self.timing.idle_timeout)
                {
                    if let Some(idle) = k.idle.pop_front() {
                        expired.push((key.clone(), idle.conn));
                    }
                }
            }
            expired
        };
        let closing: Vec<Closing<'_>> = expired
            .into_iter()
            .map(|(key, conn)| self.closing(key, conn))
            .collect();
        for one in closing {
            one.close(Reason::Idle).await;
        }
    }

    /// This instance's share of the server's budget right now.
    pub fn budget(&self) -> u32 {
        self.budget.load(Ordering::Acquire)
    }

    /// This instance's part of a key's `limit`: together they stay within the role's
    /// connection limit.
    fn key_limit(&self, limit: u32) -> u32 {
        crate::tenancy::instances::part(limit, self.instances.load(Ordering::Acquire))
    }

    /// Sets this instance's share of the server's budget, among `instances` live ones.
    /// Lowered, idle connections past it are closed now and connections in use are
    /// closed as they come back; raised, waiters may open at once.
    pub async fn set_share(&self, budget: u32, instances: u32) {
        self.instances.store(instances.max(1), Ordering::Release);
        let before = self.budget.swap(budget, Ordering::AcqRel);
        if budget < before {
            loop {
                let lru = {
                    let mut state = lock(&self.state);
                    if state.slots <= budget {
                        break;
                    }
                    state.take_lru()
                };
                match lru {
                    Some((key, conn)) => self.close_now(key, conn, Reason::Budget).await,
                    None => break,
                }
            }
        }
        self.returned.notify_waiters();
    }

    /// Connections this instance holds on the server (open, opening or closing).
    pub fn slots(&self) -> u32 {
        lock(&self.state).slots
    }

    /// This server's figures right now.
    pub fn figures(&self) -> PoolFigures {
        let state = lock(&self.state);
        let idle = state.idle_count();
        PoolFigures {
            budget: self.budget(),
            pools: state.keys.len() as u32,
            max_connections: state.slots,
            reserved: state.slots,
            open: state.in_use + idle,
            in_use: state.in_use,
            idle,
            waits: self.waits.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            reclaimed: self.reclaimed.load(Ordering::Relaxed),
            creations: self.creations.load(Ordering::Relaxed),
            recoveries: self.recoveries.load(Ordering::Relaxed),
        }
    }
}
