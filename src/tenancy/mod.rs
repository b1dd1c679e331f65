//! Tenancy: slugs, database servers, tenant records, provisioning (steps and the durable
//! worker), the lifecycle, tenant migrations and the per-tenant pool manager.

pub mod alerts;
pub mod api_rate;
pub mod backup;
pub mod crypto;
pub mod export;
pub mod export_jobs;
pub mod fleet;
pub mod health;
pub mod instances;
pub mod lifecycle;
pub mod listing;
pub mod migrate;
pub mod modules;
pub mod moves;
pub mod plan_change;
pub mod pools;
pub mod progress;
pub mod provision;
pub mod resolve;
pub mod retention;
pub mod scram;
pub mod servers;
pub mod slug;
pub mod stats;
pub mod status;
pub mod tenants;
pub mod throttle;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Notify, broadcast};

use uuid::Uuid;

use crate::cache::{Fresh, Freshness};
use crate::control::audit::{Actor, Origin};
use crate::control::changes::Change;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::pools::TenantPools;
use crate::tenancy::servers::ServerAdmin;
use crate::tenancy::tenants::{CreateError, FirstAdmin, NewTenant, Tenant};

/// Safety net only: change notifications drop entries long before this.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// Why a tenant's data cannot be reached right now.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Not servable, or no connection within the acquire timeout.
    #[error("{0}")]
    Pool(#[from] pools::PoolError),
    /// The tenant was behind this binary's schema and could not be brought up to it.
    #[error("migrating the tenant before its first use failed: {0}")]
    Migrate(anyhow::Error),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// The tenancy services, cheap to clone, shared by the web layer, the CLI and the worker.
#[derive(Clone)]
pub struct Tenancy {
    pub db: PgPool,
    pub key: MasterKey,
    pub servers: ServerAdmin,
    pub pools: TenantPools,
    /// Wakes the provisioning worker when a job is queued.
    pub wake: Arc<Notify>,
    /// Tenant ids whose record changed (status, plan…): caches listen to drop them.
    pub changes: broadcast::Sender<Uuid>,
    pub retention_days: u32,
    /// How long the copy a move leaves behind is kept before it is dropped.
    pub move_grace: Duration,
    /// Where backups go and where `pg_dump`/`pg_restore` are.
    pub backup_settings: Arc<backup::Settings>,
    /// Whether this process's caches may be trusted (a `serve` process listens for
    /// change notifications; the CLI does not, so it always reads the tables).
    pub freshness: Freshness,
    /// Tenants known to be at this binary's schema, so the page path skips the version
    /// check; dropped on every change of the tenant.
    current: Fresh<Uuid, ()>,
    /// Enabled modules per tenant for the page path (navigation, module pages), dropped
    /// on every change of the tenant. Decisions that change modules read the table.
    page_modules: Fresh<Uuid, Arc<Vec<String>>>,
    /// Plan limits per tenant for the request path (rate, storage). Dropped on every
    /// change of the tenant or a plan; storage samples reach it within a minute.
    limits: Fresh<Uuid, Arc<crate::control::plans::TenantLimits>>,
}

impl Tenancy {
    pub fn new(db: PgPool, key: MasterKey, pools: TenantPools, retention_days: u32) -> Self {
        let servers = ServerAdmin::new(db.clone(), key.clone());
        let freshness = Freshness::new();
        Self {
            db,
            key,
            servers,
            pools,
            wake: Arc::new(Notify::new()),
            changes: broadcast::channel(1024).0,
            retention_days,
            move_grace: Duration::from_secs(24 * 3600),
            backup_settings: Arc::new(backup::Settings::default()),
            current: Fresh::new(&freshness, 100_000, CACHE_TTL),
            page_modules: Fresh::new(&freshness, 100_000, CACHE_TTL),
            limits: Fresh::new(&freshness, 100_000, Duration::from_secs(60)),
            freshness,
        }
    }

    /// Creates a tenant and wakes the worker to provision it.
    pub async fn create(
        &self,
        new: NewTenant<'_>,
        first_admin: Option<&FirstAdmin<'_>>,
        actor: &Actor,
        origin: &Origin,
    ) -> Result<Tenant, CreateError> {
        self.create_on(new, None, first_admin, actor, origin).await
    }

    /// [`Self::create`] on the database server named `server` (`None`: placement decides).
    pub async fn create_on(
        &self,
        new: NewTenant<'_>,
        server: Option<&str>,
        first_admin: Option<&FirstAdmin<'_>>,
        actor: &Actor,
        origin: &Origin,
    ) -> Result<Tenant, CreateError> {
        let tenant = tenants::create_on(&self.db, new, server, first_admin, actor, origin).await?;
        self.wake.notify_one();
        Ok(tenant)
    }

    /// Modules the tenant has enabled (their migrations run in its database).
    pub async fn enabled_modules(&self, tenant_id: Uuid) -> sqlx::Result<Vec<String>> {
        sqlx::query_scalar!(
            "select module from tenant_modules where tenant_id = $1 order by module",
            tenant_id
        )
        .fetch_all(&self.db)
        .await
    }

    /// [`Self::enabled_modules`] for pages, from the cache when it has them. Decisions
    /// that change modules read the table itself.
    pub async fn modules_for_pages(&self, tenant_id: Uuid) -> sqlx::Result<Arc<Vec<String>>> {
        self.page_modules
            .get_or_load(tenant_id, async {
                Ok(Arc::new(self.enabled_modules(tenant_id).await?))
            })
            .await
    }

    /// The tenant's plan limits for the request path, from the cache when it has them.
    pub async fn limits(
        &self,
        tenant_id: Uuid,
    ) -> sqlx::Result<Arc<crate::control::plans::TenantLimits>> {
        self.limits
            .get_or_load(tenant_id, async {
                Ok(Arc::new(
                    crate::control::plans::limits_of(&self.db, tenant_id).await?,
                ))
            })
            .await
    }

    /// The tenant's connection source, after bringing the tenant to this binary's schema if it is
    /// behind (a fleet migration that has not reached it yet): tenant queries never run
    /// against an older schema. Concurrent callers serialise on the per-tenant advisory
    /// lock inside the migration.
    pub async fn pool(&self, tenant_id: Uuid) -> Result<pools::TenantPool, DataError> {
        self.current
            .get_or_load(tenant_id, self.bring_current(tenant_id))
            .await?;
        Ok(self.pools.get(tenant_id).await?)
    }

    /// Migrates an active tenant that is behind this binary's schema.
    async fn bring_current(&self, tenant_id: Uuid) -> Result<(), DataError> {
        let tenant = tenants::get(&self.db, tenant_id)
            .await?
            .ok_or(pools::PoolError::NotServable)?;
        let modules = self.enabled_modules(tenant_id).await?;
        if tenant.status != status::TenantStatus::Active
            || tenant.schema_version >= migrate::target_version(&modules)
        {
            return Ok(());
        }
        let cx = provision::Context::new(self, tenant.clone(), modules, 1);
        let migrated = provision::run(provision::Step::Migrations, &cx).await;
        cx.finish().await;
        if let Some(version) = migrated.map_err(DataError::Migrate)? {
            sqlx::query!(
                "update tenants set schema_version = greatest(schema_version, $2), updated_at = now() where id = $1",
                tenant_id,
                version
            )
            .execute(&self.db)
            .await?;
            tracing::info!(tenant = %tenant.slug, version, "migrated a tenant before its first use");
        }
        Ok(())
    }

    /// Tells listeners (caches, pages polling progress) that a tenant changed.
    pub fn changed(&self, tenant_id: Uuid) {
        self.forget(tenant_id);
        let _ = self.changes.send(tenant_id);
    }

    /// Drops what this process caches about a tenant.
    fn forget(&self, tenant_id: Uuid) {
        self.current.invalidate(&tenant_id);
        self.page_modules.invalidate(&tenant_id);
        self.limits.invalidate(&tenant_id);
    }

    /// Applies a change notification (from any process): a changed tenant is forgotten
    /// and its connections closed, so a suspension or deletion made anywhere is honoured
    /// here on the next request.
    pub fn apply(&self, change: &Change) {
        match *change {
            Change::Tenant(id) => {
                self.forget(id);
                let pools = self.pools.clone();
                tokio::spawn(async move { pools.evict(id).await });
                let _ = self.changes.send(id);
            }
            Change::Plan | Change::Everything => {
                self.current.clear();
                self.page_modules.clear();
                self.limits.clear();
                self.pools.forget_routes();
                let _ = self.changes.send(Uuid::nil());
            }
            Change::Member { .. }
            | Change::Roles(_)
            | Change::User(_)
            | Change::Staff
            | Change::Session(_) => {}
        }
    }

    /// Waits until the tenant's job has finished (active, purged, or failed), running the
    /// worker in this process meanwhile, so the CLI works with or without `serve`.
    pub async fn settle(&self, tenant_id: Uuid, timeout: Duration) -> anyhow::Result<Tenant> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            worker::run_next(self, None).await?;
            let tenant = tenants::get(&self.db, tenant_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("tenant {tenant_id} disappeared"))?;
            let queued: bool = sqlx::query_scalar!(
                r#"select exists(select 1 from provisioning_jobs where tenant_id = $1 and status = 'queued') as "e!""#,
                tenant_id
            )
            .fetch_one(&self.db)
            .await?;
            if !queued {
                return Ok(tenant);
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!(
                    "tenant {} is still being worked on after {timeout:?}",
                    tenant.slug
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
