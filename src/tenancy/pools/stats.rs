//! Live figures of the tenant pools, for the system page and `/metrics`.

use std::collections::BTreeMap;

use uuid::Uuid;

/// Figures of one db server's tenant pools, or of all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolFigures {
    /// The connection budget (`TENANTRY_TENANT_CONNECTIONS` per server).
    pub budget: u32,
    /// Pools that may be handed out.
    pub pools: u32,
    /// Sum of those pools' maximum sizes.
    pub max_connections: u32,
    /// Budget held: live pools plus closing ones whose connections are not all gone yet.
    pub reserved: u32,
    /// Connections open (idle or in use).
    pub open: u32,
    /// Connections checked out (`size - idle`).
    pub in_use: u32,
    /// Pool creations that had to wait for budget.
    pub waits: u64,
    /// Pools closed: idle, reclaimed for another tenant, or evicted explicitly.
    pub evictions: u64,
    /// Pools created.
    pub creations: u64,
}

impl PoolFigures {
    fn add(&mut self, other: &PoolFigures) {
        self.budget += other.budget;
        self.pools += other.pools;
        self.max_connections += other.max_connections;
        self.reserved += other.reserved;
        self.open += other.open;
        self.in_use += other.in_use;
        self.waits += other.waits;
        self.evictions += other.evictions;
        self.creations += other.creations;
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
    }
}
