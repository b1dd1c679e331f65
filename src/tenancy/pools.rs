//! The tenant pool manager: thousands of tenants through a fixed number of connections
//! per db server.
//!
//! - **Pooled tier**: the tenants of a shared database share its connections, logged in
//!   as that database's gateway role (`NOINHERIT`, no privileges of its own, a member of
//!   the role of each tenant in it). Every transaction starts with one statement that sets `role`
//!   and `search_path` with `set_config(…, true)` — `SET LOCAL` — so both revert at
//!   commit or rollback, and a connection back in the pool can read nothing. (The model
//!   is PostgREST's authenticator role.)
//! - **Isolated tier**: a connection belongs to one tenant database and role. The budget
//!   (`TENANTRY_TENANT_CONNECTIONS` per server) counts connections, not pools: a tenant
//!   holds only the connections in use or idle, and when the budget is full the least
//!   recently used idle connection of any tenant on that server is closed to make room.
//!
//! Both tiers share one [`keyed`] pool per server (a shared database is one key), so one
//! budget covers both. An acquire that finds no room within the acquire timeout fails with
//! [`PoolError::Busy`] (a 503), never a hang. Tenant SQL runs only in a [`TenantTx`],
//! which never hands a connection back in an unknown transaction state.
//!
//! Where a tenant's connections go (its [`Route`]) is cached for the idle timeout at most;
//! [`TenantPools::evict`] forgets it at once and closes the tenant's own connections.

mod keyed;
mod stats;
pub(crate) mod target;
mod tx;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::future::Cache;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

pub use self::keyed::PooledConn;
use self::keyed::{LoginKey, ServerPool, Timing, lock};
pub use self::stats::{PoolFigures, PoolStats};
pub use self::target::{TenantTarget, load_target};
use self::tx::Switch;
pub use self::tx::TenantTx;
use crate::pg::ident::Ident;
use crate::tenancy::crypto::{MasterKey, OpenError};
use crate::tenancy::servers::ServerAdmin;

/// How the tenant connections are budgeted and timed.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// Connections all tenants together may hold on one db server
    /// (`TENANTRY_TENANT_CONNECTIONS`).
    pub budget_per_server: u32,
    /// An idle connection is closed after this long; a tenant's route is reloaded after
    /// this long.
    pub idle_timeout: Duration,
    /// How long an acquire may wait for a connection (or its opening may take).
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

/// Why a tenant's data cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The tenant does not exist or is not active.
    #[error("the tenant does not exist or is not active")]
    NotServable,
    /// No connection on the tenant's db server within the acquire timeout (a 503).
    #[error("no database capacity for this tenant right now")]
    Busy,
    #[error("tenant pool database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("tenant credentials could not be unsealed: {0}")]
    Secret(#[from] OpenError),
    #[error("tenant pool set-up failed: {0}")]
    Setup(String),
}

impl PoolError {
    /// The error of a single-flight route load, as each of its waiters receives it.
    fn from_shared(shared: Arc<PoolError>) -> Self {
        match Arc::try_unwrap(shared) {
            Ok(error) => error,
            Err(shared) => match &*shared {
                PoolError::NotServable => PoolError::NotServable,
                PoolError::Busy => PoolError::Busy,
                PoolError::Secret(_) => PoolError::Secret(OpenError),
                PoolError::Setup(e) => PoolError::Setup(e.clone()),
                // `sqlx::Error` is not `Clone`: the other waiters get the shared error as
                // the source of an I/O error.
                PoolError::Db(_) => PoolError::Db(sqlx::Error::Io(std::io::Error::other(shared))),
            },
        }
    }
}

/// Tenant data functions return `sqlx::Result`: a full budget reads as sqlx's own pool
/// timeout (which the web layer answers with a 503), a tenant gone as a closed pool.
impl From<PoolError> for sqlx::Error {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => sqlx::Error::PoolTimedOut,
            PoolError::NotServable => sqlx::Error::PoolClosed,
            PoolError::Db(e) => e,
            other => sqlx::Error::Configuration(Box::new(other)),
        }
    }
}

/// The tenant connection manager; cheap to clone.
#[derive(Clone)]
pub struct TenantPools {
    inner: Arc<Inner>,
}

struct Inner {
    control: PgPool,
    key: MasterKey,
    admin: ServerAdmin,
    settings: PoolSettings,
    routes: Cache<Uuid, Arc<Route>>,
    servers: Mutex<HashMap<Uuid, Arc<ServerPool>>>,
    janitor: AtomicBool,
}

/// Where one tenant's transactions go.
struct Route {
    server: Arc<ServerPool>,
    key: Arc<LoginKey>,
    options: PgConnectOptions,
    /// Most connections of this key at once: the plan's pool size for an isolated tenant,
    /// the whole budget for a shared database.
    limit: u32,
    switch: Switch,
}

impl std::fmt::Debug for TenantPools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPools")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl TenantPools {
    /// Connections for the tenants registered in `control`, whose role passwords `key`
    /// unseals.
    pub fn new(control: PgPool, key: MasterKey, settings: PoolSettings) -> Self {
        let routes = Cache::builder()
            .name("tenant-routes")
            .time_to_live(settings.idle_timeout)
            .build();
        Self {
            inner: Arc::new(Inner {
                admin: ServerAdmin::new(control.clone(), key.clone()),
                control,
                key,
                settings,
                routes,
                servers: Mutex::new(HashMap::new()),
                janitor: AtomicBool::new(false),
            }),
        }
    }

    /// The tenant's connection source; loads (once, single-flight) where its
    /// transactions go. Opens no connection.
    ///
    /// [`PoolError::NotServable`] for a tenant that does not exist or is not active.
    pub async fn get(&self, tenant_id: Uuid) -> Result<TenantPool, PoolError> {
        self.start_janitor();
        let inner = &self.inner;
        let route = inner
            .routes
            .try_get_with(tenant_id, inner.clone().route(tenant_id))
            .await
            .map_err(PoolError::from_shared)?;
        Ok(TenantPool {
            route,
            tenant_id,
            _pools: self.clone(),
        })
    }

    /// Forgets where the tenant's transactions go (the next `get` reads the control plane
    /// again) and closes its own connections (isolated tier): idle ones now, those in use
    /// when they come back. Suspend/delete/purge/credential rotation call this first.
    /// Pooled tenants own no connection: their transactions switch role per transaction,
    /// and a transaction under way finishes.
    pub async fn evict(&self, tenant_id: Uuid) {
        let inner = &self.inner;
        inner.routes.invalidate(&tenant_id).await;
        let row: Option<(Uuid, String, String)> = match sqlx::query_as(
            "select db_server_id, database_name, role_name from tenants where id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&inner.control)
        .await
        {
            Ok(row) => row,
            Err(e) => {
                tracing::warn!(%tenant_id, error = %e, "could not look a tenant up to close its connections");
                return;
            }
        };
        let Some((server_id, database, role)) = row else {
            return;
        };
        let server = lock(&inner.servers).get(&server_id).cloned();
        if let Some(server) = server {
            server
                .evict_key(&LoginKey {
                    server_id,
                    database,
                    role,
                })
                .await;
        }
    }

    /// Forgets where every tenant's transactions go (a plan's pool size changed, or change
    /// notifications may have been missed); the next `get` reads the control plane again.
    pub fn forget_routes(&self) {
        self.inner.routes.invalidate_all();
    }

    /// Sets this instance's share of a db server's budget, one of `instances` live ones
    /// (see [`crate::tenancy::instances`]); lowered, idle connections past it close now.
    pub async fn set_share(&self, server_id: Uuid, limit: u32, instances: u32) {
        self.inner
            .server(server_id)
            .set_share(limit, instances)
            .await;
    }

    /// Connections this instance holds on a db server (open, opening or closing).
    pub fn open_on(&self, server_id: Uuid) -> u32 {
        lock(&self.inner.servers)
            .get(&server_id)
            .map_or(0, |server| server.slots())
    }

    /// Live figures, totals and per db server; also sets the `metrics` gauges.
    pub fn stats(&self) -> PoolStats {
        let stats = self.inner.stats();
        stats.publish();
        stats
    }

    /// Starts, once, the task that closes expired idle connections and refreshes the
    /// gauges.
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
            .clamp(Duration::from_millis(50), Duration::from_secs(5));
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
    /// Loads where the tenant's transactions go: its target, its server's pool, and for
    /// the pooled tier its shared database's gateway.
    #[tracing::instrument(skip_all, fields(%tenant_id))]
    async fn route(self: Arc<Self>, tenant_id: Uuid) -> Result<Arc<Route>, PoolError> {
        let target = load_target(&self.control, &self.key, tenant_id)
            .await?
            .ok_or(PoolError::NotServable)?;
        let server = self.server(target.server_id);
        let route = match &target.schema {
            None => {
                if target.pool_size > server.budget() {
                    tracing::warn!(
                        pool_size = target.pool_size,
                        budget = server.budget(),
                        "the plan's pool size exceeds the server's connection budget; capped"
                    );
                }
                Route {
                    key: Arc::new(LoginKey {
                        server_id: target.server_id,
                        database: target.database.clone(),
                        role: target.role.clone(),
                    }),
                    options: target.tenant_options(),
                    // The server's budget caps the sum; this caps one tenant.
                    limit: target.pool_size,
                    switch: Switch::Isolated,
                    server,
                }
            }
            Some(schema) => {
                let setup = |e: &dyn std::fmt::Display| PoolError::Setup(e.to_string());
                let schema = Ident::new(schema).map_err(|e| setup(&e))?;
                let role = Ident::new(&target.role).map_err(|e| setup(&e))?;
                let gateway = self
                    .admin
                    .gateway(target.server_id, &target.database)
                    .await
                    .map_err(|e| setup(&e))?;
                Route {
                    key: Arc::new(LoginKey {
                        server_id: target.server_id,
                        database: target.database.clone(),
                        role: gateway.role.as_str().to_owned(),
                    }),
                    options: target.gateway_options(&gateway),
                    // All of the server's budget: its tenants share these connections.
                    limit: u32::MAX,
                    switch: Switch::Pooled {
                        role: role.as_str().to_owned(),
                        search_path: schema.to_string(),
                    },
                    server,
                }
            }
        };
        Ok(Arc::new(route))
    }

    /// The server's pool, created on first use.
    fn server(&self, id: Uuid) -> Arc<ServerPool> {
        let timing = Timing {
            idle_timeout: self.settings.idle_timeout,
            acquire_timeout: self.settings.acquire_timeout,
        };
        lock(&self.servers)
            .entry(id)
            .or_insert_with(|| {
                Arc::new(ServerPool::new(id, self.settings.budget_per_server, timing))
            })
            .clone()
    }

    fn stats(&self) -> PoolStats {
        let servers: Vec<Arc<ServerPool>> = lock(&self.servers).values().cloned().collect();
        PoolStats::from_servers(servers.iter().map(|server| (server.id, server.figures())))
    }

    /// Closes idle connections past the timeout and refreshes the gauges.
    async fn sweep(&self) {
        self.routes.run_pending_tasks().await;
        let servers: Vec<Arc<ServerPool>> = lock(&self.servers).values().cloned().collect();
        for server in &servers {
            server.close_expired().await;
        }
        self.stats().publish();
    }
}

/// One tenant's connection source, from [`TenantPools::get`]: cheap to clone, holds no
/// connection itself.
#[derive(Clone)]
pub struct TenantPool {
    route: Arc<Route>,
    tenant_id: Uuid,
    _pools: TenantPools,
}

impl std::fmt::Debug for TenantPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPool")
            .field("tenant_id", &self.tenant_id)
            .field("key", &self.route.key)
            .finish_non_exhaustive()
    }
}

impl TenantPool {
    /// A read-write transaction on the tenant's data.
    pub async fn begin(&self) -> sqlx::Result<TenantTx> {
        self.begin_with(false).await
    }

    /// A transaction on the tenant's data; `READ ONLY` if asked, so PostgreSQL itself
    /// refuses writes. [`PoolError::Busy`] arrives as `sqlx::Error::PoolTimedOut`.
    pub async fn begin_with(&self, read_only: bool) -> sqlx::Result<TenantTx> {
        let conn = self.acquire().await?;
        TenantTx::begin(conn, &self.route.switch, read_only).await
    }

    /// A bare connection, outside any transaction. For the pooled tier this is the
    /// gateway, which can read no tenant's data; use [`TenantPool::begin`].
    pub async fn acquire(&self) -> Result<PooledConn, PoolError> {
        let route = &self.route;
        let affinity = self.is_pooled().then(|| {
            // As many buckets as the server has connections for us: each backend of the
            // shared database serves about 1/budget of its schemas.
            let buckets = u128::from(route.server.budget().max(1));
            (self.tenant_id.as_u128() % buckets) as u32
        });
        route
            .server
            .acquire(&route.key, route.limit, &route.options, affinity)
            .await
    }

    /// Whether the tenant is reached through its shared database's gateway (pooled tier).
    pub fn is_pooled(&self) -> bool {
        matches!(self.route.switch, Switch::Pooled { .. })
    }
}
