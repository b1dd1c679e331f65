//! Test fixtures for the pool manager: a control plane whose one db server is the test
//! cluster, tenants made on it (login roles `tr_<tag>_<n>`, databases `tenant_<tag>_<n>`
//! owned by them, or schemas `t_<tag>_<n>` in a shared database), and the queries that
//! watch their backends.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tenantry::pg::ident::Ident;
use tenantry::tenancy::crypto::MasterKey;
use tenantry::tenancy::pools::{PoolSettings, TenantPools};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::helpers::{fresh_database, server_base_url};

/// A control plane with one db server (the test cluster) and the tenants made on it.
pub struct Fixture {
    /// Superuser pool on the `postgres` database, for DDL and `pg_stat_activity`.
    admin: PgPool,
    pub control: PgPool,
    control_db: String,
    pub key: MasterKey,
    pub server_id: Uuid,
    /// Makes this test's names unique on the shared cluster.
    tag: String,
}

/// One tenant made by the fixture.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub role: String,
    pub database: String,
}

impl Fixture {
    pub async fn new() -> Self {
        let (control_url, control_db) = fresh_database().await;
        let control = PgPoolOptions::new()
            .max_connections(5)
            .connect(&control_url)
            .await
            .expect("control plane");
        tenantry::pg::control_db::migrate(&control)
            .await
            .expect("control-plane migrations");
        let base = server_base_url();
        let admin_url = format!("{base}/postgres");
        let admin = PgPoolOptions::new()
            .max_connections(6)
            .connect(&admin_url)
            .await
            .expect("superuser");
        let mut key_bytes = Vec::with_capacity(32);
        key_bytes.extend_from_slice(Uuid::new_v4().as_bytes());
        key_bytes.extend_from_slice(Uuid::new_v4().as_bytes());
        let key = MasterKey::from_bytes(&key_bytes).expect("key");
        let tag = Uuid::new_v4().simple().to_string()[..8].to_owned();
        let server_id = add_server(&control, &key, &format!("test-{tag}")).await;
        Self {
            admin,
            control,
            control_db,
            key,
            server_id,
            tag,
        }
    }

    /// Registers the test cluster once more, as a second db server with its own budget,
    /// and moves `tenant` there.
    pub async fn move_to_another_server(&self, tenant: &Tenant) -> Uuid {
        let server_id = add_server(&self.control, &self.key, &format!("other-{}", self.tag)).await;
        sqlx::query("update tenants set db_server_id = $1 where id = $2")
            .bind(server_id)
            .bind(tenant.id)
            .execute(&self.control)
            .await
            .expect("tenant moved");
        server_id
    }

    pub fn pools(&self, budget: u32, acquire_timeout: Duration) -> TenantPools {
        self.pools_with(PoolSettings {
            budget_per_server: budget,
            idle_timeout: Duration::from_secs(30),
            acquire_timeout,
        })
    }

    pub fn pools_with(&self, settings: PoolSettings) -> TenantPools {
        TenantPools::new(self.control.clone(), self.key.clone(), settings)
    }

    fn role_name(&self, n: usize) -> String {
        format!("tr_{}_{n}", self.tag)
    }

    /// A login role with a random password; the password is returned.
    async fn create_role(&self, role: &str) -> String {
        // Hex only: safe as a literal, which is the only way DDL takes a password.
        let password = Uuid::new_v4().simple().to_string();
        let role = Ident::new(role).expect("role name");
        sqlx::query(&format!("create role {role} login password '{password}'"))
            .execute(&self.admin)
            .await
            .expect("create role");
        password
    }

    /// An isolated tenant on the `free` plan (pool size 2) with its own role and database.
    pub async fn isolated_tenant(&self, n: usize) -> Tenant {
        let role = self.role_name(n);
        let password = self.create_role(&role).await;
        let database = format!("tenant_{}_{n}", self.tag);
        sqlx::query(&format!(
            "create database {} owner {}",
            Ident::new(&database).expect("database name"),
            Ident::new(&role).expect("role name"),
        ))
        .execute(&self.admin)
        .await
        .expect("create database");
        self.register(n, &role, &password, "isolated", &database, None)
            .await
    }

    /// `count` isolated tenants, made a few at a time.
    pub async fn isolated_tenants(self: &Arc<Self>, count: usize) -> Vec<Tenant> {
        let mut made = JoinSet::new();
        let mut tenants = Vec::with_capacity(count);
        for n in 0..count {
            let fixture = self.clone();
            made.spawn(async move { fixture.isolated_tenant(n).await });
            if made.len() >= 6
                && let Some(tenant) = made.join_next().await
            {
                tenants.push(tenant.expect("tenant made"));
            }
        }
        while let Some(tenant) = made.join_next().await {
            tenants.push(tenant.expect("tenant made"));
        }
        tenants
    }

    /// A pooled-tier tenant: its own schema `t_<tag>_0` in a shared database.
    pub async fn pooled_tenant(&self) -> (Tenant, String) {
        self.pooled_tenants(1)
            .await
            .pop()
            .expect("one pooled tenant")
    }

    /// `count` pooled-tier tenants in one shared database `tenants_pooled_<tag>`, each
    /// with its schema `t_<tag>_<n>` owned by its role and a table `notes` holding one
    /// row: its own slug. With their schema names.
    pub async fn pooled_tenants(&self, count: usize) -> Vec<(Tenant, String)> {
        let database = format!("tenants_pooled_{}", self.tag);
        self.pooled_tenants_in(&database, 0..count).await
    }

    /// Pooled-tier tenants numbered `numbers` (as [`Fixture::pooled_tenants`] makes them)
    /// in shared database `database`, made if missing.
    pub async fn pooled_tenants_in(
        &self,
        database: &str,
        numbers: std::ops::Range<usize>,
    ) -> Vec<(Tenant, String)> {
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(database)
                .fetch_one(&self.admin)
                .await
                .expect("pg_database");
        if !exists {
            let name = Ident::new(database).expect("name");
            sqlx::query(&format!("create database {name}"))
                .execute(&self.admin)
                .await
                .expect("create shared database");
            sqlx::query(&format!("revoke all on database {name} from public"))
                .execute(&self.admin)
                .await
                .expect("revoke");
        }
        let mut conn = PgConnection::connect(&format!("{}/{database}", server_base_url()))
            .await
            .expect("connect to the shared database");
        sqlx::query("revoke all on schema public from public")
            .execute(&mut conn)
            .await
            .expect("revoke");
        let mut tenants = Vec::with_capacity(numbers.len());
        for n in numbers {
            let role = self.role_name(n);
            let password = self.create_role(&role).await;
            let schema = format!("t_{}_{n}", self.tag);
            let (role_ident, schema_ident) = (
                Ident::new(&role).expect("name"),
                Ident::new(&schema).expect("name"),
            );
            sqlx::query(&format!(
                "grant connect on database {} to {role_ident}",
                Ident::new(database).expect("name")
            ))
            .execute(&self.admin)
            .await
            .expect("grant connect");
            sqlx::query(&format!(
                "create schema {schema_ident} authorization {role_ident}"
            ))
            .execute(&mut conn)
            .await
            .expect("create schema");
            let tenant = self
                .register(n, &role, &password, "pooled", database, Some(&schema))
                .await;
            // As the tenant's role, so the table is its own.
            let mut tx = conn.begin().await.expect("begin");
            sqlx::raw_sql(&format!(
                "set local role {role_ident}; \
                 create table {schema_ident}.notes (body text not null); \
                 insert into {schema_ident}.notes values ('{}')",
                tenant.slug
            ))
            .execute(&mut *tx)
            .await
            .expect("notes table");
            tx.commit().await.expect("commit");
            tenants.push((tenant, schema));
        }
        conn.close().await.ok();
        tenants
    }

    /// A table `notes` (one row: the slug) in an isolated tenant's database, owned by its
    /// role.
    pub async fn notes_table(&self, tenant: &Tenant) {
        let mut conn = PgConnection::connect(&format!("{}/{}", server_base_url(), tenant.database))
            .await
            .expect("connect to the tenant database");
        let role = Ident::new(&tenant.role).expect("name");
        sqlx::raw_sql(&format!(
            "set role {role}; create table notes (body text not null); \
             insert into notes values ('{}'); reset role",
            tenant.slug
        ))
        .execute(&mut conn)
        .await
        .expect("notes table");
        conn.close().await.ok();
    }

    /// A second shared database's name (for tenants made with
    /// [`Fixture::pooled_tenants_in`]).
    pub fn second_shared_database(&self) -> String {
        format!("tenants_pooled_{}_b", self.tag)
    }

    /// The gateway role's name for this fixture's shared database on its first server.
    pub fn gateway_role(&self) -> String {
        let database = format!("tenants_pooled_{}", self.tag);
        tenantry::tenancy::servers::gateway_role(self.server_id, &database)
            .as_str()
            .to_owned()
    }

    /// The tenant's control-plane row, `active`, its password sealed.
    async fn register(
        &self,
        n: usize,
        role: &str,
        password: &str,
        tier: &str,
        database: &str,
        schema: Option<&str>,
    ) -> Tenant {
        let id = Uuid::now_v7();
        let slug = format!("t{}-{n}", self.tag);
        sqlx::query(
            "insert into tenants (id, slug, name, status, plan_id, tier, db_server_id, \
                                  database_name, schema_name, role_name, role_password_enc) \
             values ($1, $2, $3, 'active', 'free', $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&slug)
        .bind(format!("Tenant {n}"))
        .bind(tier)
        .bind(self.server_id)
        .bind(database)
        .bind(schema)
        .bind(role)
        .bind(self.key.seal(password.as_bytes()))
        .execute(&self.control)
        .await
        .expect("tenant row");
        Tenant {
            id,
            slug,
            role: role.to_owned(),
            database: database.to_owned(),
        }
    }

    /// Backends of the given tenant roles, as the server sees them.
    pub async fn backends(&self, roles: &[String]) -> i64 {
        count_backends(&self.admin, roles).await
    }

    /// Polls the server until `roles` have no backend left, for at most 5 s (a backend
    /// leaves `pg_stat_activity` a moment after its client has closed the socket).
    pub async fn backends_gone(&self, roles: &[String]) -> bool {
        eventually(|| async { self.backends(roles).await == 0 }).await
    }

    /// Drops this test's databases and roles, and its control plane.
    pub async fn cleanup(self) {
        let servers: Vec<Uuid> = sqlx::query_scalar("select id from db_servers")
            .fetch_all(&self.control)
            .await
            .expect("servers");
        let tag_pattern = format!("%\\_{}%", self.tag);
        let databases: Vec<String> =
            sqlx::query_scalar("select datname::text from pg_database where datname like $1")
                .bind(&tag_pattern)
                .fetch_all(&self.admin)
                .await
                .expect("databases");
        // A few at a time: each drop waits for a checkpoint, and concurrent ones share it;
        // more than the admin pool holds would only queue on it (and time out when the
        // machine is busy).
        let all: Vec<String> = databases
            .into_iter()
            .chain([self.control_db.clone()])
            .collect();
        for batch in all.chunks(3) {
            let mut drops = JoinSet::new();
            for database in batch {
                let admin = self.admin.clone();
                let database = Ident::new(database).expect("name");
                drops.spawn(async move {
                    sqlx::query(&format!("drop database if exists {database} with (force)"))
                        .execute(&admin)
                        .await
                        .expect("drop database");
                });
            }
            while let Some(dropped) = drops.join_next().await {
                dropped.expect("database dropped");
            }
        }
        let roles: Vec<String> =
            sqlx::query_scalar("select rolname::text from pg_roles where rolname like $1")
                .bind(&tag_pattern)
                .fetch_all(&self.admin)
                .await
                .expect("roles");
        for role in roles {
            let role = Ident::new(&role).expect("name");
            sqlx::query(&format!("drop role if exists {role}"))
                .execute(&self.admin)
                .await
                .expect("drop role");
        }
        for server in servers {
            // Every shared database's gateway on that server.
            let gateways: Vec<String> = sqlx::query_scalar(
                "select rolname::text from pg_roles where starts_with(rolname, $1)",
            )
            .bind(format!("tenantry_gw_{}_", server.simple()))
            .fetch_all(&self.admin)
            .await
            .expect("gateway roles");
            for gateway in gateways {
                let gateway = Ident::new(&gateway).expect("name");
                sqlx::query(&format!("drop role if exists {gateway}"))
                    .execute(&self.admin)
                    .await
                    .expect("drop gateway role");
            }
        }
        self.control.close().await;
        self.admin.close().await;
    }
}

/// A `db_servers` row for the test cluster; its id.
async fn add_server(control: &PgPool, key: &MasterKey, name: &str) -> Uuid {
    let base = server_base_url();
    let port = PgConnectOptions::from_str(&base).expect("url").get_port();
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into db_servers (id, name, admin_dsn_enc, address, capacity) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(name)
    .bind(key.seal(format!("{base}/postgres").as_bytes()))
    .bind(format!("127.0.0.1:{port}"))
    .bind(1000)
    .execute(control)
    .await
    .expect("db server row");
    id
}

/// Polls `check` until it holds, for at most 5 s.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..250 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

pub async fn count_backends<'c>(db: impl sqlx::PgExecutor<'c>, roles: &[String]) -> i64 {
    sqlx::query_scalar(
        "select count(*) from pg_stat_activity \
         where application_name like 'tenantry:%' and usename::text = any($1)",
    )
    .bind(roles)
    .fetch_one(db)
    .await
    .expect("pg_stat_activity")
}
