//! Live figures of the tenant connections, for the system page and `/metrics`. The
//! budget is counted per connection, so most figures count connections; `pools` counts
//! the login targets (an isolated tenant, or a pooled tier's shared database) that hold
//! any.

use std::collections::BTreeMap;

use uuid::Uuid;

/// Figures of one db server's tenant pools, or of all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolFigures {
    /// The connection budget (`TENANTRY_TENANT_CONNECTIONS` per server).
    pub budget: u32,
    /// Login targets holding at least one connection (isolated tenants, shared databases).
    pub pools: u32,
    /// Budget slots taken: connections open, being opened or being closed (never above
    /// `budget`, except for a moment while a reclaimed connection closes for a waiter).
    pub max_connections: u32,
    /// Same as `max_connections` (kept for the System page's column).
    pub reserved: u32,
    /// Connections open (idle or in use).
    pub open: u32,
    /// Connections checked out.
    pub in_use: u32,
    /// Connections idle in the pool.
    pub idle: u32,
    /// Acquires that had to wait (the budget full and nothing idle to reclaim).
    pub waits: u64,
    /// Connections closed: idle timeout, reclaimed for another target, evicted, broken.
    pub evictions: u64,
    /// Of those, idle connections closed to make room for another target (LRU).
    pub reclaimed: u64,
    /// Connections opened.
    pub creations: u64,
    /// Transactions abandoned unfinished (a cancelled request) whose connection was
    /// rolled back in the background or closed.
    pub recoveries: u64,
}

impl PoolFigures {
    fn add(&mut self, other: &PoolFigures) {
        self.budget += other.budget;
        self.pools += other.pools;
        self.max_connections += other.max_connections;
        self.reserved += other.reserved;
        self.open += other.open;
        self.in_use += other.in_use;
        self.idle += other.idle;
        self.waits += other.waits;
        self.evictions += other.evictions;
        self.reclaimed += other.reclaimed;
        self.creations += other.creations;
        self.recoveries += other.recoveries;
    }
}

/// What [`super::TenantPools::stats`] reports: totals and figures per db server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub total: PoolFigures,
    pub servers: BTreeMap<Uuid, PoolFigures>,
}

impl PoolStats {
    pub(super) fn from_servers(servers: impl IntoIterator<Item = (Uuid, PoolFigures)>) -> Self {
        let servers: BTreeMap<Uuid, PoolFigures> = servers.into_iter().collect();
        let mut total = PoolFigures::default();
        for figures in servers.values() {
            total.add(figures);
        }
        Self { total, servers }
    }

    /// Sets the gauges (counters are counted where things happen).
    pub(super) fn publish(&self) {
        metrics::gauge!("tenantry_tenant_pools").set(f64::from(self.total.pools));
        metrics::gauge!("tenantry_tenant_connections", "state" => "open")
            .set(f64::from(self.total.open));
        metrics::gauge!("tenantry_tenant_connections", "state" => "in_use")
            .set(f64::from(self.total.in_use));
        metrics::gauge!("tenantry_tenant_connections", "state" => "idle")
            .set(f64::from(self.total.idle));
    }
}
