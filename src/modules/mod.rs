//! Module pages and their data, one folder per module. Module data lives in the tenant's
//! own database or schema and is reached only through [`TenantDb`], which comes from the
//! pool manager: a module query cannot be run on the control plane's pool by mistake, and
//! runs only inside a [`TenantTx`], which switches to the tenant at its start (pooled
//! tier) and never returns a connection to the pool mid-transaction.

pub mod billing;
pub mod clock;
pub mod crm;
pub mod inventory;
pub mod money;
pub mod settings;
pub mod tasks;

use crate::tenancy::pools::TenantPool;
pub use crate::tenancy::pools::TenantTx;

/// A connection source for one tenant's data, from `TenantPools`. Read-only access
/// (support staff, a role that only reads) gets a read-only one: every transaction is
/// `READ ONLY`, so PostgreSQL itself refuses writes.
#[derive(Clone, Debug)]
pub struct TenantDb {
    pool: TenantPool,
    read_only: bool,
}

impl TenantDb {
    pub fn new(pool: TenantPool, read_only: bool) -> Self {
        Self { pool, read_only }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// A transaction on the tenant's data; `READ ONLY` for read-only access. Use it as a
    /// connection (`.execute(&mut *tx)`) and end it with `commit` or `rollback`; dropped
    /// unfinished, it is rolled back in the background.
    pub async fn begin(&self) -> sqlx::Result<TenantTx> {
        self.pool.begin_with(self.read_only).await
    }
}

/// The records each module counts on the usage pages: (module, table, what a row is).
/// Table names are constants here, never input.
pub const RECORDS: &[(&str, &str, &str)] = &[
    ("crm", "customers", "Customers"),
    ("crm", "contacts", "Contacts"),
    ("crm", "interactions", "Timeline entries"),
    ("tasks", "tasks", "Tasks"),
    ("inventory", "products", "Products"),
    ("inventory", "stock_movements", "Stock movements"),
    ("billing", "invoices", "Invoices"),
];

/// How many records each of the `enabled` modules holds, in [`RECORDS`]' order, read in
/// one transaction (one snapshot).
pub async fn record_counts(
    db: &TenantDb,
    enabled: &[String],
) -> sqlx::Result<Vec<(&'static str, i64)>> {
    let mut tx = db.begin().await?;
    let mut counts = Vec::new();
    for (module, table, label) in RECORDS {
        if enabled.iter().any(|m| m == module) {
            let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
                .fetch_one(&mut *tx)
                .await?;
            counts.push((*label, n));
        }
    }
    tx.commit().await?;
    Ok(counts)
}
