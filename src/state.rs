//! The application's shared state: the services a request may need, built once at start.
//! It depends only on the services (never on `web`), so any layer above may hold it.

use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::auth::cached::AccessCache;
use crate::auth::sessions::Sessions;
use crate::config::Config;
use crate::control::changes;
use crate::control::metering::Meter;
use crate::pg::control_db::ControlDb;
use crate::tenancy::Tenancy;
use crate::tenancy::api_rate::ApiRate;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::instances::Instance;
use crate::tenancy::pools::{PoolSettings, TenantPools};
use crate::tenancy::resolve::{Resolver, Strategy};
use crate::tenancy::servers;
use crate::tenancy::throttle::Throttle;

/// Everything a handler may need. Extractors clone the state for every request, so it
/// is one `Arc`: a clone is one atomic increment, not one per pool and cache inside.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    /// The control-plane pool.
    pub db: PgPool,
    pub config: Arc<Config>,
    pub started_at: Instant,
    pub metrics: PrometheusHandle,
    pub tenancy: Tenancy,
    pub resolver: Resolver,
    /// Who is signed in and what they may do, cached until a change notification.
    pub access: AccessCache,
    /// Sessions in PostgreSQL, cached under the same rule.
    pub sessions: Sessions,
    /// This process in the fleet of instances sharing each db server's budget.
    pub instance: Instance,
    /// Usage counted in memory, flushed every few seconds and at shutdown.
    pub meter: Meter,
    /// Requests a second per tenant and per API token.
    pub throttle: Throttle,
    /// Calls a minute per API token.
    pub api_rate: ApiRate,
    /// Tells the usage flusher to write its last counts and stop.
    pub stop_meter: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// Loads the master key, registers the control plane's server as the primary tenant
    /// server, and assembles the services.
    pub async fn build(control: &ControlDb, config: Config) -> anyhow::Result<Self> {
        let tenancy = tenancy(
            control,
            &config.db,
            config.retention_days,
            config.tenant_connections,
        )
        .await?;
        let order = Strategy::parse_list(&config.resolution).map_err(anyhow::Error::msg)?;
        let resolver = Resolver::new(
            control.pool.clone(),
            &tenancy.freshness,
            &config.base_domain,
            config.dev,
            order,
        );
        resolver.follow_changes(tenancy.changes.subscribe());
        let access = AccessCache::new(&tenancy.freshness);
        let sessions = Sessions::new(control.pool.clone(), &tenancy.freshness);
        // Changes made by any process (another instance, the CLI, psql) reach these caches.
        let (t, a, s) = (tenancy.clone(), access.clone(), sessions.clone());
        tokio::spawn(changes::follow(
            control.pool.clone(),
            tenancy.freshness.clone(),
            move |change| {
                t.apply(change);
                a.apply(change);
                s.apply(change);
            },
        ));
        // Registered and given its first share before it serves anything, so a newcomer
        // never opens past what the other instances left.
        let instance = Instance::register(
            &control.pool,
            tenancy.pools.clone(),
            config.tenant_connections,
        )
        .await?;
        instance.beat().await?;
        tokio::spawn(instance.clone().run());
        let meter = Meter::new();
        let (stop_meter, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(meter.clone().run_forever(
            control.pool.clone(),
            std::time::Duration::from_secs(config.usage_flush_secs),
            stopped,
        ));
        Ok(Self(Arc::new(Services {
            throttle: Throttle::new(config.token_rate_percent),
            api_rate: ApiRate::new(config.api_rate_limit),
            meter,
            stop_meter,
            instance,
            resolver,
            access,
            sessions,
            db: control.pool.clone(),
            config: Arc::new(config),
            started_at: Instant::now(),
            metrics: crate::telemetry::metrics(),
            tenancy,
        })))
    }
}

/// The tenancy services on an open control plane (CLI commands use it too).
pub async fn tenancy(
    control: &ControlDb,
    db: &crate::config::DbArgs,
    retention_days: u32,
    tenant_connections: u32,
) -> anyhow::Result<Tenancy> {
    let key = MasterKey::load(db.master_key.as_ref(), &db.data_dir)?;
    servers::ensure_primary(&control.pool, &key, &control.admin_url).await?;
    let settings = PoolSettings {
        budget_per_server: tenant_connections,
        ..PoolSettings::default()
    };
    let pools = TenantPools::new(control.pool.clone(), key.clone(), settings);
    let mut tenancy = Tenancy::new(control.pool.clone(), key, pools, retention_days);
    tenancy.move_grace = std::time::Duration::from_secs(u64::from(db.move_grace_hours) * 3600);
    tenancy.backup_settings = std::sync::Arc::new(crate::tenancy::backup::Settings {
        store: backup_store(db),
        pg_bin: db.pg_bin.clone(),
    });
    Ok(tenancy)
}

/// The backup store the settings name: an S3 bucket when one is given, else the backup
/// directory.
fn backup_store(db: &crate::config::DbArgs) -> crate::tenancy::backup::store::StoreConfig {
    use crate::tenancy::backup::store::{S3Config, StoreConfig};
    match &db.backup_s3_bucket {
        Some(bucket) => StoreConfig::S3(S3Config {
            bucket: bucket.clone(),
            endpoint: db.backup_s3_endpoint.clone(),
            region: db.backup_s3_region.clone(),
            access_key_id: db.backup_s3_access_key_id.clone(),
            secret_access_key: db.backup_s3_secret_access_key.clone(),
        }),
        None => StoreConfig::Dir(
            db.backup_dir
                .clone()
                .unwrap_or_else(|| db.data_dir.join("backups")),
        ),
    }
}
