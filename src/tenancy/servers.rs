//! Database servers that host tenants: registration (checked by connecting), capacity,
//! draining, placement of new tenants, and admin connections for provisioning.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint::OnConstraint;
use crate::secret::Secret;
use crate::tenancy::crypto::MasterKey;

/// Tenants a newly registered server takes unless told otherwise.
pub const DEFAULT_CAPACITY: i32 = 5000;

#[derive(Debug, Clone)]
pub struct DbServer {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub capacity: i32,
    pub status: String,
    pub is_primary: bool,
    pub tenants: i64,
}

/// Registers (or refreshes) the server behind the control plane as the primary one, so
/// a fresh install can place tenants at once. Its address is refreshed at every start
/// because the embedded cluster may come back on another port.
pub async fn ensure_primary(
    db: &PgPool,
    key: &MasterKey,
    admin_url: &Secret,
) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(admin_url.expose())?;
    let address = address_of(&options);
    let sealed = key.seal(admin_url.expose().as_bytes());
    sqlx::query!(
        "insert into db_servers (id, name, admin_dsn_enc, address, capacity, is_primary)
         values ($1, 'primary', $2, $3, $4, true)
         on conflict (is_primary) where is_primary
         do update set admin_dsn_enc = excluded.admin_dsn_enc, address = excluded.address",
        Uuid::now_v7(),
        sealed,
        address,
        DEFAULT_CAPACITY,
    )
    .execute(db)
    .await?;
    Ok(())
}

fn address_of(options: &PgConnectOptions) -> String {
    format!("{}:{}", options.get_host(), options.get_port())
}

/// Every server with the number of tenants placed on it (purged ones excluded).
pub async fn list(db: &PgPool) -> sqlx::Result<Vec<DbServer>> {
    sqlx::query_as!(
        DbServer,
        r#"select s.id, s.name, s.address, s.capacity, s.status, s.is_primary,
                  count(t.id) as "tenants!"
           from db_servers s
           left join tenants t on t.db_server_id = s.id and t.status <> 'purged'
           group by s.id
           order by s.is_primary desc, s.name"#
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("Use 1 to 63 letters, digits, hyphens or underscores.")]
    BadName,
    #[error("A server with this name is already registered.")]
    NameTaken,
    #[error("There is no such server.")]
    NotFound,
    #[error("Capacity must be between 1 and 100000 tenants.")]
    BadCapacity,
    #[error("This is not a PostgreSQL URL (postgres://user:password@host:port/database).")]
    BadDsn,
    #[error("Could not connect: {0}")]
    Unreachable(String),
    #[error(
        "The role in this URL needs CREATEDB and CREATEROLE (or superuser) to provision tenants."
    )]
    MissingPrivileges,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Registers a server after checking that its DSN connects with enough privileges.
pub async fn register(
    db: &PgPool,
    key: &MasterKey,
    name: &str,
    dsn: &Secret,
    capacity: i32,
    actor: &Actor,
    origin: &Origin,
) -> Result<DbServer, RegisterError> {
    let name = name.trim();
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return Err(RegisterError::BadName);
    }
    if !(1..=100_000).contains(&capacity) {
        return Err(RegisterError::BadCapacity);
    }
    let options = PgConnectOptions::from_str(dsn.expose()).map_err(|_| RegisterError::BadDsn)?;
    let mut conn = tokio::time::timeout(Duration::from_secs(5), options.clone().connect())
        .await
        .map_err(|_| RegisterError::Unreachable("timed out after 5 s".into()))?
        // The driver's message names host and cause, never the password.
        .map_err(|e| RegisterError::Unreachable(e.to_string()))?;
    let privileged: bool = sqlx::query_scalar!(
        r#"select (rolsuper or (rolcreatedb and rolcreaterole)) as "ok!" from pg_roles where rolname = current_user"#
    )
    .fetch_one(&mut conn)
    .await?;
    let _ = conn.close().await;
    if !privileged {
        return Err(RegisterError::MissingPrivileges);
    }

    let mut tx = db.begin().await?;
    let id = Uuid::now_v7();
    let address = address_of(&options);
    let inserted = sqlx::query!(
        "insert into db_servers (id, name, admin_dsn_enc, address, capacity) values ($1, $2, $3, $4, $5)",
        id,
        name,
        key.seal(dsn.expose().as_bytes()),
        address,
        capacity
    )
    .execute(&mut *tx)
    .await;
    inserted.on_constraint("db_servers_name_key", || RegisterError::NameTaken)?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "db_server.registered",
            target: Some(name),
            origin,
            details: json!({ "address": address, "capacity": capacity }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DbServer {
        id,
        name: name.to_owned(),
        address,
        capacity,
        status: "active".into(),
        is_primary: false,
        tenants: 0,
    })
}

/// Drains a server (no new tenants) or makes it active again; sets its capacity.
pub async fn update(
    db: &PgPool,
    id: Uuid,
    draining: bool,
    capacity: i32,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), RegisterError> {
    if !(1..=100_000).contains(&capacity) {
        return Err(RegisterError::BadCapacity);
    }
    let status = if draining { "draining" } else { "active" };
    let mut tx = db.begin().await?;
    let name = sqlx::query_scalar!(
        "update db_servers set status = $2, capacity = $3 where id = $1 returning name",
        id,
        status,
        capacity
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(RegisterError::NotFound)?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "db_server.updated",
            target: Some(&name),
            origin,
            details: json!({ "status": status, "capacity": capacity }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The active server with the most free capacity, inside the creating transaction (an
/// advisory lock serialises placements so two creations cannot both take the last slot).
pub async fn place(tx: &mut PgConnection) -> sqlx::Result<Option<Uuid>> {
    sqlx::query!("select pg_advisory_xact_lock(hashtext('tenantry.placement'))")
        .execute(&mut *tx)
        .await?;
    sqlx::query_scalar!(
        r#"select s.id from db_servers s
           left join tenants t on t.db_server_id = s.id and t.status <> 'purged'
           where s.status = 'active'
           group by s.id
           having count(t.id) < s.capacity
           order by s.capacity - count(t.id) desc, s.is_primary desc, s.created_at
           limit 1"#
    )
    .fetch_optional(&mut *tx)
    .await
}

/// Admin connections to the database servers, for provisioning. Pools are kept for the
/// maintenance database and shared pooled databases; tenant databases get one-off
/// connections so thousands of tenants never mean thousands of admin pools.
#[derive(Clone)]
pub struct ServerAdmin {
    db: PgPool,
    key: MasterKey,
    pools: Arc<Mutex<HashMap<(Uuid, String), PgPool>>>,
}

impl ServerAdmin {
    pub fn new(db: PgPool, key: MasterKey) -> Self {
        Self {
            db,
            key,
            pools: Arc::default(),
        }
    }

    /// Admin connect options for `database` on server `id`.
    pub async fn options(&self, id: Uuid, database: &str) -> anyhow::Result<PgConnectOptions> {
        let sealed = sqlx::query_scalar!("select admin_dsn_enc from db_servers where id = $1", id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("database server {id} is not registered"))?;
        let dsn = self.key.open_string(&sealed)?;
        // Provisioning steps are idempotent and re-checked on resume, so their commits
        // need not wait for a disk flush: the seed step (on the control plane's own
        // server, the activating commit) flushes them all, WAL being sequential, before
        // the tenant is recorded as active.
        Ok(PgConnectOptions::from_str(dsn.expose())?
            .database(database)
            .application_name("tenantry:provisioning")
            .options([("synchronous_commit", "off")])
            .log_statements(log::LevelFilter::Debug))
    }

    /// A small shared admin pool on `database` (the maintenance DB or a pooled DB).
    pub async fn pool(&self, id: Uuid, database: &str) -> anyhow::Result<PgPool> {
        let key = (id, database.to_owned());
        if let Some(pool) = self.pools.lock().await.get(&key) {
            return Ok(pool.clone());
        }
        let options = self.options(id, database).await?;
        let pool = crate::pg::pool::options()
            .max_connections(4)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options);
        self.pools.lock().await.entry(key).or_insert(pool.clone());
        Ok(pool)
    }

    /// A one-connection admin pool on `database` (a tenant database), not kept: the
    /// caller closes it.
    pub async fn single(&self, id: Uuid, database: &str) -> anyhow::Result<PgPool> {
        let options = self.options(id, database).await?;
        Ok(crate::pg::pool::options()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options))
    }

    /// Closes the admin pool on `database`, before it is dropped.
    pub async fn forget(&self, id: Uuid, database: &str) {
        if let Some(pool) = self.pools.lock().await.remove(&(id, database.to_owned())) {
            pool.close().await;
        }
    }
}
