//! Opens the control-plane database: on the embedded cluster (created on first start) or
//! on the server named by `DATABASE_URL`, and brings its schema up to date.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};

use crate::config::DbArgs;
use crate::pg::embedded::{ClusterOptions, EmbeddedCluster};
use crate::secret::Secret;

/// The control plane's pool and, when we run it, the embedded cluster behind it.
pub struct ControlDb {
    pub pool: PgPool,
    /// Admin URL of the server behind the control plane: it becomes the first database
    /// server tenants are placed on.
    pub admin_url: Secret,
    /// `Some` when the control plane lives on the embedded cluster.
    pub cluster: Option<EmbeddedCluster>,
}

impl ControlDb {
    /// Connects (starting the embedded cluster when no `DATABASE_URL` is set), creates the
    /// control-plane database if needed and runs the control-plane migrations.
    pub async fn open(args: &DbArgs) -> anyhow::Result<Self> {
        let (url, cluster) = match &args.database_url {
            Some(url) => (url.expose().to_owned(), None),
            None => {
                let cluster = EmbeddedCluster::start(ClusterOptions {
                    data_dir: args.data_dir.clone(),
                    pg_bin: args.pg_bin.clone(),
                    settings: Vec::new(),
                })
                .await?;
                ensure_database(&cluster.url("postgres"), &args.database_name).await?;
                (cluster.url(&args.database_name), Some(cluster))
            }
        };
        let pool = connect(&url, 10).await?;
        migrate(&pool).await?;
        if cluster.is_none() {
            warn_on_missing_privileges(&pool).await?;
        }
        let admin_url = match &cluster {
            Some(c) => Secret::new(c.url("postgres")),
            None => Secret::new(url),
        };
        Ok(Self {
            pool,
            admin_url,
            cluster,
        })
    }

    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster
            && let Err(e) = cluster.stop().await
        {
            tracing::error!(error = %e, "embedded PostgreSQL did not stop cleanly");
        }
    }
}

/// A pool on `url` that logs only slow statements (not every one).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")?
        .application_name("tenantry")
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    // Where, for the message (never the password).
    let target = format!(
        "{}:{} (database {}, user {})",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("-"),
        options.get_username()
    );
    let failed = || format!("could not connect to the control-plane database at {target}");
    // A refused connection is retried until the acquire timeout (a server starting up).
    match crate::pg::pool::options()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await
    {
        Ok(pool) => Ok(pool),
        // The timeout hides why: one more attempt names the reason (refused, no such
        // host, wrong password…).
        // (One line: the driver's message already names its cause.)
        Err(sqlx::Error::PoolTimedOut) => match options.connect().await {
            Err(reason) => anyhow::bail!("{}: {reason}", failed()),
            Ok(conn) => {
                let _ = sqlx::Connection::close(conn).await;
                anyhow::bail!("{}: no connection within 5 s", failed())
            }
        },
        Err(e) => anyhow::bail!("{}: {e}", failed()),
    }
}

/// Runs the embedded control-plane migrations (`migrations/control/`).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    migrator()
        .run(pool)
        .await
        .context("control-plane migrations failed")
}

/// The control-plane migrations embedded in this binary.
pub fn migrator() -> &'static sqlx::migrate::Migrator {
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/control");
    &MIGRATOR
}

/// Creates the control-plane database on the embedded cluster on first start.
async fn ensure_database(maintenance_url: &str, name: &str) -> anyhow::Result<()> {
    let ident = crate::pg::ident::Ident::database(name)?;
    let pool = connect(maintenance_url, 1).await?;
    let exists = sqlx::query_scalar!(
        "select exists(select 1 from pg_database where datname = $1) as \"exists!\"",
        name
    )
    .fetch_one(&pool)
    .await?;
    if !exists {
        sqlx::query(&format!("create database {ident}"))
            .execute(&pool)
            .await
            .with_context(|| format!("could not create database {name}"))?;
        tracing::info!(database = name, "created the control-plane database");
    }
    pool.close().await;
    Ok(())
}

/// Provisioning needs CREATEDB and CREATEROLE; say so at start rather than at the first
/// tenant.
async fn warn_on_missing_privileges(pool: &PgPool) -> anyhow::Result<()> {
    let row = sqlx::query!(
        r#"select rolsuper as "superuser!", rolcreatedb as "createdb!", rolcreaterole as "createrole!"
           from pg_roles where rolname = current_user"#
    )
    .fetch_one(pool)
    .await?;
    if !(row.superuser || (row.createdb && row.createrole)) {
        tracing::warn!(
            createdb = row.createdb,
            createrole = row.createrole,
            "the DATABASE_URL role lacks CREATEDB and/or CREATEROLE: the consoles work, but tenants cannot be provisioned on this server until it is granted both"
        );
    }
    Ok(())
}
