//! Database servers that host tenants: registration (checked by connecting), capacity,
//! draining, placement of new tenants, admin connections for provisioning, and each
//! shared database's gateway role (the pooled tier's login there).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint::OnConstraint;
use crate::pg::ident::Ident;
use crate::secret::Secret;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::scram;

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
    /// Its tenant-connection budget when set on its row (`None`: the configured default).
    pub tenant_connections: Option<i32>,
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
                  count(t.id) as "tenants!", s.tenant_connections
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
    #[error("{0}")]
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
            tenant: None,
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
        tenant_connections: None,
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
            tenant: None,
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
    lock_placement(&mut *tx).await?;
    Ok(place_locked(tx).await?.map(|placed| placed.server))
}

/// Takes the lock that serialises placements, held until the transaction ends.
pub async fn lock_placement(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("select pg_advisory_xact_lock(hashtext('tenantry.placement'))")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Where [`place_locked`] puts a new tenant.
pub struct Placed {
    pub server: Uuid,
    /// Pooled tenants already on it (which names the shared database a new one joins).
    pub pooled: i64,
}

/// [`place`] under the placement lock the caller holds (taken by an earlier statement of
/// its transaction, so this one sees every placement committed before).
pub async fn place_locked(tx: &mut PgConnection) -> sqlx::Result<Option<Placed>> {
    let placed = sqlx::query!(
        r#"select s.id, count(t.id) filter (where t.tier = 'pooled') as "pooled!"
           from db_servers s
           left join tenants t on t.db_server_id = s.id and t.status <> 'purged'
           where s.status = 'active'
           group by s.id
           having count(t.id) < s.capacity
           order by s.capacity - count(t.id) desc, s.is_primary desc, s.created_at
           limit 1"#
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(placed.map(|p| Placed {
        server: p.id,
        pooled: p.pooled,
    }))
}

/// Why a named server cannot take a new tenant.
#[derive(Debug, PartialEq, Eq)]
pub enum PinRefused {
    Unknown,
    Draining,
    Full,
}

/// The server named `name` for a new tenant pinned to it, inside the creating
/// transaction (under the same lock as [`place`]): it must exist, be active and have room.
pub async fn pinned(tx: &mut PgConnection, name: &str) -> sqlx::Result<Result<Uuid, PinRefused>> {
    lock_placement(&mut *tx).await?;
    let Some(row) = sqlx::query!(
        r#"select s.id, s.status, s.capacity,
                  (select count(*) from tenants t where t.db_server_id = s.id and t.status <> 'purged') as "used!"
           from db_servers s where lower(s.name) = lower($1)"#,
        name
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(PinRefused::Unknown));
    };
    Ok(if row.status != "active" {
        Err(PinRefused::Draining)
    } else if row.used >= i64::from(row.capacity) {
        Err(PinRefused::Full)
    } else {
        Ok(row.id)
    })
}

/// Whether the role `admin` connects as is a superuser, read from the catalog.
pub async fn is_superuser(admin: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("select rolsuper from pg_roles where rolname = current_user")
        .fetch_one(admin)
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
    /// Gateways made sure of by this process (role, password, grants), per server and
    /// shared database.
    gateways: Arc<Mutex<HashMap<(Uuid, String), Gateway>>>,
    /// Whether each server's admin role is a superuser, as first read by this process.
    superuser: Arc<Mutex<HashMap<Uuid, bool>>>,
    /// Each server's admin connect options, opened once (see [`ServerAdmin::options`]).
    options: Arc<Mutex<HashMap<Uuid, PgConnectOptions>>>,
}

/// A shared database's gateway: the login role through which the pooled tier reaches the
/// schemas of the tenants in that database (`NOINHERIT`, no privileges of its own; a
/// member of each of their roles, so a transaction can `SET LOCAL role` to it). One per
/// shared database, not per server: PostgreSQL 15 rebuilds a session's list of its roles
/// after any membership change in the cluster, in time quadratic in the list's length
/// (about 0.15 s at 8,000), and one database holds at most 500 tenants.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub role: Ident,
    pub password: Secret,
}

/// The gateway role's name for shared `database` on server `id`: unique per registered
/// server, so two control planes (or two registrations) sharing one cluster never fight
/// over one password; the database by a hash of its name, which keeps it short.
pub fn gateway_role(id: Uuid, database: &str) -> Ident {
    use sha2::Digest;
    let hash = hex::encode(&sha2::Sha256::digest(database.as_bytes())[..4]);
    // ok: `tenantry_gw_`, 32 hex digits, `_` and 8 more match the identifier pattern.
    Ident::new(&format!("tenantry_gw_{}_{hash}", id.simple())).expect("a valid role name")
}

/// A boxed `Send` future (see `provision::StepFuture`: it spares callers a rustc
/// limitation with higher-ranked lifetimes in nested sqlx futures).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Serialises gateway DDL on a server (role changes, membership and CONNECT grants); the
/// same key as the shared databases' ACL changes, whose `pg_database` row it touches.
const GATEWAY_LOCK: &str = "select pg_advisory_xact_lock(hashtext('tenantry.pooled_db'))";

impl ServerAdmin {
    pub fn new(db: PgPool, key: MasterKey) -> Self {
        Self {
            db,
            key,
            pools: Arc::default(),
            gateways: Arc::default(),
            superuser: Arc::default(),
            options: Arc::default(),
        }
    }

    /// Whether server `id`'s admin role is a superuser, read once per process. A hint for
    /// building statements: an operator changing it later makes those statements fail,
    /// and provisioning then falls back to its steps, which read the catalog.
    pub async fn admin_is_superuser(&self, id: Uuid) -> anyhow::Result<bool> {
        if let Some(known) = self.superuser.lock().await.get(&id) {
            return Ok(*known);
        }
        let superuser = is_superuser(&self.pool(id, "postgres").await?).await?;
        self.superuser.lock().await.insert(id, superuser);
        Ok(superuser)
    }

    /// The gateway of shared `database` on server `id`, made sure of once per process: the
    /// server's gateway password (random, made and sealed on first use), the role with
    /// that password (as a SCRAM verifier), `NOINHERIT` and nothing else, and — for the
    /// database's pooled tenants that existed before it or before this version —
    /// membership in their roles and CONNECT on the database (once it exists).
    /// Idempotent, and safe with several processes at once.
    pub fn gateway<'a>(
        &'a self,
        id: Uuid,
        database: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Gateway>> {
        Box::pin(self.gateway_inner(id, database))
    }

    async fn gateway_inner(&self, id: Uuid, database: &str) -> anyhow::Result<Gateway> {
        let key = (id, database.to_owned());
        if let Some(gateway) = self.gateways.lock().await.get(&key) {
            return Ok(gateway.clone());
        }
        let gateway = Gateway {
            role: gateway_role(id, database),
            password: self.gateway_password(id).await?,
        };
        let verifier = scram::verifier(gateway.password.expose());
        anyhow::ensure!(
            !verifier.contains('\''),
            "unexpected character in a SCRAM verifier"
        );
        let admin = self.pool(id, "postgres").await?;
        let mut tx = admin.begin().await?;
        sqlx::query(GATEWAY_LOCK).execute(&mut *tx).await?;
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
                .bind(gateway.role.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let verb = if exists { "alter" } else { "create" };
        let role = &gateway.role;
        let ddl = format!(
            "{verb} role {role} login noinherit nosuperuser nocreatedb nocreaterole \
             noreplication nobypassrls password '{verifier}'"
        );
        (&mut *tx).execute(ddl.as_str()).await?;
        // Pooled tenants of this database whose role the gateway lacks.
        let roles: Vec<String> = sqlx::query_scalar(
            "select role_name from tenants \
             where db_server_id = $1 and database_name = $2 and tier = 'pooled' and status <> 'purged'",
        )
        .bind(id)
        .bind(database)
        .fetch_all(&self.db)
        .await?;
        let missing_roles: Vec<String> = sqlx::query_scalar(
            "select r.rolname::text from pg_roles r \
             where r.rolname = any($1) and not pg_has_role($2, r.oid, 'member')",
        )
        .bind(&roles)
        .bind(role.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for chunk in missing_roles.chunks(500) {
            let names = chunk
                .iter()
                .map(|r| Ident::new(r).map(|r| r.to_string()))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ");
            let ddl = format!("grant {names} to {role}");
            (&mut *tx).execute(ddl.as_str()).await?;
        }
        // CONNECT on its database, once the database exists and if it lacks it.
        let lacks_connect: bool = sqlx::query_scalar(
            "select exists(select 1 from pg_database d \
             where d.datname = $1 and not has_database_privilege($2, d.oid, 'connect'))",
        )
        .bind(database)
        .bind(role.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if lacks_connect {
            let database = Ident::new(database)?;
            let ddl = format!("grant connect on database {database} to {role}");
            (&mut *tx).execute(ddl.as_str()).await?;
        }
        tx.commit().await?;
        self.gateways.lock().await.insert(key, gateway.clone());
        Ok(gateway)
    }

    /// Grants the gateway of shared `database` on server `id` membership in a pooled
    /// tenant's role (provisioning calls this once the role exists; idempotent).
    pub fn grant_gateway_role<'a>(
        &'a self,
        id: Uuid,
        database: &'a str,
        role: &'a Ident,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let gateway = self.gateway(id, database).await?;
            let grant = format!("grant {role} to {}", gateway.role);
            self.gateway_grant(
                id,
                "select pg_has_role($1, $2, 'member')",
                role,
                &grant,
                &gateway,
            )
            .await
        })
    }

    /// Grants the gateway of server `id` CONNECT on a shared `database` (idempotent).
    pub fn grant_gateway_connect<'a>(
        &'a self,
        id: Uuid,
        database: &'a Ident,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let gateway = self.gateway(id, database.as_str()).await?;
            let grant = format!("grant connect on database {database} to {}", gateway.role);
            self.gateway_grant(
                id,
                "select has_database_privilege($1, $2, 'connect')",
                database,
                &grant,
                &gateway,
            )
            .await
        })
    }

    /// Runs `grant` unless `held` (a check taking the gateway and `object`) says it is
    /// held already, under the gateway lock.
    async fn gateway_grant(
        &self,
        id: Uuid,
        held: &'static str,
        object: &Ident,
        grant: &str,
        gateway: &Gateway,
    ) -> anyhow::Result<()> {
        let admin = self.pool(id, "postgres").await?;
        let mut tx = admin.begin().await?;
        sqlx::query(GATEWAY_LOCK).execute(&mut *tx).await?;
        let held: bool = sqlx::query_scalar(held)
            .bind(gateway.role.as_str())
            .bind(object.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if !held {
            (&mut *tx).execute(grant).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The gateway's password, made and sealed on first use (under a row lock, so
    /// concurrent processes agree on one).
    async fn gateway_password(&self, id: Uuid) -> anyhow::Result<Secret> {
        let mut tx = self.db.begin().await?;
        let sealed: Option<Option<Vec<u8>>> = sqlx::query_scalar(
            "select gateway_password_enc from db_servers where id = $1 for update",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let sealed =
            sealed.ok_or_else(|| anyhow::anyhow!("database server {id} is not registered"))?;
        if let Some(sealed) = sealed {
            return Ok(self.key.open_string(&sealed)?);
        }
        let password = scram::random_password();
        sqlx::query("update db_servers set gateway_password_enc = $2 where id = $1")
            .bind(id)
            .bind(self.key.seal(password.as_bytes()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Secret::new(password))
    }

    /// Admin connect options for `database` on server `id`. A server's admin URL is
    /// written once, when it is registered, so each process opens it once.
    pub async fn options(&self, id: Uuid, database: &str) -> anyhow::Result<PgConnectOptions> {
        if let Some(known) = self.options.lock().await.get(&id) {
            return Ok(known.clone().database(database));
        }
        let sealed = sqlx::query_scalar!("select admin_dsn_enc from db_servers where id = $1", id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("database server {id} is not registered"))?;
        let dsn = self.key.open_string(&sealed)?;
        // Provisioning steps are idempotent and re-checked on resume, so their commits
        // need not wait for a disk flush: the seed step (on the control plane's own
        // server, the activating commit) flushes them all, WAL being sequential, before
        // the tenant is recorded as active.
        let options = PgConnectOptions::from_str(dsn.expose())?
            .application_name("tenantry:provisioning")
            .options([("synchronous_commit", "off")])
            .log_statements(log::LevelFilter::Debug);
        self.options.lock().await.insert(id, options.clone());
        Ok(options.database(database))
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
