//! Module pages and their data, one folder per module. Module data lives in the tenant's
//! own database and is reached only through [`TenantDb`], which comes from the pool
//! manager: a module query cannot be run on the control plane's pool by mistake.

pub mod crm;
pub mod settings;

use sqlx::{PgPool, Postgres, Transaction};

/// A connection source for one tenant's data, from `TenantPools`. Read-only access
/// (support staff, a role that only reads) gets a read-only one: every transaction is
/// `READ ONLY`, so PostgreSQL itself refuses writes.
#[derive(Clone)]
pub struct TenantDb {
    pool: PgPool,
    read_only: bool,
}

impl TenantDb {
    pub fn new(pool: PgPool, read_only: bool) -> Self {
        Self { pool, read_only }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// A transaction on the tenant's database; `READ ONLY` for read-only access.
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        if self.read_only {
            sqlx::query("set transaction read only")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}
