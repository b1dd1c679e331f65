//! Provisioning and purging steps. Every step looks at the catalog first and does only
//! what is missing, so a job interrupted anywhere (process killed, server restarted)
//! finishes on the next run with nothing duplicated or leaked.
//!
//! Isolated tier: role → database (copied from a template database already at the base
//! schema version, then handed to the tenant's role) → privileges → migrations → seed.
//! Pooled tier: role → shared database → schema → migrations → seed.

use std::future::Future;
use std::pin::Pin;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sqlx::{Executor, PgPool};

use crate::pg::ident::Ident;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::migrate::{self, Scope};
use crate::tenancy::scram;
use crate::tenancy::servers::ServerAdmin;
use crate::tenancy::tenants::{Tenant, Tier};

/// A provisioning step, in the order it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Role,
    Database,
    SharedDatabase,
    Schema,
    Privileges,
    Migrations,
    Seed,
}

impl Step {
    pub fn key(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::Database => "database",
            Self::SharedDatabase => "shared_database",
            Self::Schema => "schema",
            Self::Privileges => "privileges",
            Self::Migrations => "migrations",
            Self::Seed => "seed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Role => "Creating the tenant's role",
            Self::Database => "Creating its database",
            Self::SharedDatabase => "Opening the shared database",
            Self::Schema => "Creating its schema",
            Self::Privileges => "Locking down privileges",
            Self::Migrations => "Running migrations",
            Self::Seed => "Writing initial settings",
        }
    }
}

pub const ISOLATED_STEPS: &[Step] = &[
    Step::Role,
    Step::Database,
    Step::Privileges,
    Step::Migrations,
    Step::Seed,
];
pub const POOLED_STEPS: &[Step] = &[
    Step::Role,
    Step::SharedDatabase,
    Step::Schema,
    Step::Migrations,
    Step::Seed,
];

pub fn steps(tier: Tier) -> &'static [Step] {
    match tier {
        Tier::Isolated => ISOLATED_STEPS,
        Tier::Pooled => POOLED_STEPS,
    }
}

/// The role that owns the template database's objects until a copy hands them over.
const TEMPLATE_OWNER: &str = "tenantry_template_owner";

/// What a step needs.
pub struct Context {
    pub db: PgPool,
    pub key: MasterKey,
    pub servers: ServerAdmin,
    pub tenant: Tenant,
    pub modules: Vec<String>,
    pub pool_size: i32,
    /// One admin connection to the tenant's database, shared by the job's steps
    /// (connecting costs more than most steps).
    tenant_conn: tokio::sync::OnceCell<PgPool>,
    /// Whether the tenant's server is the control plane's own (see [`seed`]).
    on_primary: tokio::sync::OnceCell<bool>,
}

impl Context {
    pub fn new(
        t: &crate::tenancy::Tenancy,
        tenant: Tenant,
        modules: Vec<String>,
        pool_size: i32,
    ) -> Self {
        Self {
            db: t.db.clone(),
            key: t.key.clone(),
            servers: t.servers.clone(),
            tenant,
            modules,
            pool_size,
            tenant_conn: tokio::sync::OnceCell::new(),
            on_primary: tokio::sync::OnceCell::new(),
        }
    }

    /// Records what the caller read already: whether the tenant's server is the
    /// control plane's own.
    pub fn on_primary(self, primary: bool) -> Self {
        let _ = self.on_primary.set(primary);
        self
    }

    /// Closes the job's connection to an isolated tenant's database (shared databases
    /// keep their cached admin pool).
    pub async fn finish(&self) {
        if self.tenant.tier() == Tier::Isolated
            && let Some(pool) = self.tenant_conn.get()
        {
            pool.close().await;
        }
    }

    /// Whether the tenant's server is the control plane's own.
    async fn primary(&self) -> anyhow::Result<bool> {
        Ok(*self
            .on_primary
            .get_or_try_init(|| {
                sqlx::query_scalar!(
                    "select is_primary from db_servers where id = $1",
                    self.tenant.db_server_id
                )
                .fetch_one(&self.db)
            })
            .await?)
    }

    fn role(&self) -> anyhow::Result<Ident> {
        Ok(Ident::new(&self.tenant.role_name)?)
    }

    fn database(&self) -> anyhow::Result<Ident> {
        Ok(Ident::new(&self.tenant.database_name)?)
    }

    fn schema(&self) -> anyhow::Result<Option<Ident>> {
        Ok(self
            .tenant
            .schema_name
            .as_deref()
            .map(Ident::new)
            .transpose()?)
    }

    async fn maintenance(&self) -> anyhow::Result<PgPool> {
        self.servers
            .pool(self.tenant.db_server_id, "postgres")
            .await
    }

    /// The job's admin connection to the tenant's database: for an isolated tenant, one
    /// connection opened on first use and kept for the job's steps (closed by
    /// [`Context::finish`]); for a pooled tenant, the server's cached admin pool on its
    /// shared database (no new connection at all).
    async fn tenant_db(&self) -> anyhow::Result<PgPool> {
        let pool = self
            .tenant_conn
            .get_or_try_init(|| async {
                match self.tenant.tier() {
                    Tier::Isolated => {
                        self.servers
                            .single(self.tenant.db_server_id, &self.tenant.database_name)
                            .await
                    }
                    Tier::Pooled => {
                        self.servers
                            .pool(self.tenant.db_server_id, &self.tenant.database_name)
                            .await
                    }
                }
            })
            .await?;
        Ok(pool.clone())
    }
}

/// A boxed step future. Boxing here (with `Send` named) also spares callers a rustc
/// limitation with higher-ranked lifetimes in deeply nested sqlx futures.
pub type StepFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// Runs SQL built only from validated, quoted identifiers (simple protocol, so several
/// statements may be sent at once).
async fn exec(pool: &PgPool, sql: &str) -> sqlx::Result<()> {
    pool.execute(sql).await?;
    Ok(())
}

/// Runs one step; returns the schema version when the step is `Migrations`.
pub fn run<'a>(step: Step, cx: &'a Context) -> StepFuture<'a, Option<i64>> {
    Box::pin(async move {
        match step {
            Step::Role => ensure_role(cx).await?,
            Step::Database => ensure_database(cx).await?,
            Step::SharedDatabase => ensure_shared_database(cx).await?,
            Step::Schema => ensure_schema(cx).await?,
            Step::Privileges => lock_down(cx).await?,
            Step::Migrations => return Ok(Some(migrate_tenant(cx).await?)),
            Step::Seed => seed(cx).await?,
        }
        Ok(None)
    })
}

/// A tenant no run has started on, made in as few round trips as its tier allows; the
/// schema version it reached, or `None` when this does not apply. It does what the steps
/// do, and an error leaves only what the steps check for and finish (the caller then
/// runs them).
pub async fn new_tenant_at_once(cx: &Context) -> anyhow::Result<Option<i64>> {
    let name = text_value(&cx.tenant.name);
    match cx.tenant.tier() {
        Tier::Pooled => new_pooled_tenant(cx, &name).await,
        Tier::Isolated => new_isolated_tenant(cx, &name).await,
    }
}

/// Pooled tier: one transaction on the shared database (one round trip instead of a
/// dozen) holds the role with its memberships, the schema, the migrations as the
/// tenant's role, the seed, and CONNECT for the role and the gateway. All or nothing: a
/// failure leaves no trace. The first tenant of a new shared database always takes the
/// steps, which make the database.
async fn new_pooled_tenant(cx: &Context, name: &str) -> anyhow::Result<Option<i64>> {
    let Some(schema) = cx.schema()? else {
        return Ok(None);
    };
    let (role, database) = (cx.role()?, cx.database()?);
    let scope = Scope {
        role: &role,
        schema: Some(&schema),
    };
    let Some((migrations, version)) = migrate::new_tenant_batch(&scope, &cx.modules, false) else {
        return Ok(None);
    };
    let server = cx.tenant.db_server_id;
    let superuser = cx.servers.admin_is_superuser(server).await?;
    let members = role_members(cx, superuser).await?;
    let gateway = cx.servers.gateway(server, database.as_str()).await?.role;
    let login = role_login(cx).await?;
    let sync = seed_commit(cx).await?;
    // The ACL change last, so its lock (see `shared_acl_change`) is held only to commit.
    let sql = format!(
        "create role {role} {login}{members};
         create schema {schema} authorization {role};
         {migrations}
         insert into tenant_settings (name) values ({name});
         reset role;
         select set_config('synchronous_commit', '{sync}', true);
         select pg_advisory_xact_lock(hashtext('tenantry.pooled_db'));
         grant connect on database {database} to {role}, {gateway};"
    );
    exec(&cx.tenant_db().await?, &sql).await?;
    Ok(Some(version))
}

/// Isolated tier: the role, then the copy of the template (neither can share a
/// transaction with the other: `CREATE DATABASE` runs alone), then one transaction in the
/// new database: ownership handed over, privileges locked down, the enabled modules'
/// migrations, the seed. The template is trusted to hold the base set at its version (it
/// is named after it and built by the steps when missing: a failure here for want of it
/// sends the caller to them).
async fn new_isolated_tenant(cx: &Context, name: &str) -> anyhow::Result<Option<i64>> {
    let (role, database) = (cx.role()?, cx.database()?);
    let scope = Scope {
        role: &role,
        schema: None,
    };
    let Some((migrations, version)) = migrate::new_tenant_batch(&scope, &cx.modules, true) else {
        return Ok(None);
    };
    let superuser = cx
        .servers
        .admin_is_superuser(cx.tenant.db_server_id)
        .await?;
    let members = role_members(cx, superuser).await?;
    let login = role_login(cx).await?;
    let admin = cx.maintenance().await?;
    exec(&admin, &format!("create role {role} {login}{members}")).await?;
    let template = template_name()?;
    exec(
        &admin,
        &format!("create database {database} owner {role} template {template}"),
    )
    .await?;
    let sync = seed_commit(cx).await?;
    let owner = Ident::new(TEMPLATE_OWNER)?;
    let sql = format!(
        "reassign owned by {owner} to {role}; drop owned by {owner};
         revoke all on database {database} from public;
         grant connect, temporary on database {database} to {role};
         revoke all on schema public from public;
         {migrations}
         insert into public.tenant_settings (name) values ({name});
         reset role;
         select set_config('synchronous_commit', '{sync}', true);"
    );
    exec(&cx.tenant_db().await?, &sql).await?;
    Ok(Some(version))
}

/// `s` as an SQL expression that never puts its characters into the statement (no user
/// text is ever concatenated into SQL): its UTF-8 bytes in hex, decoded by the server.
fn text_value(s: &str) -> String {
    format!("convert_from(decode('{}', 'hex'), 'UTF8')", hex::encode(s))
}

/// The login role with a random password, set as a SCRAM verifier so the plain password
/// never appears in a statement. The sealed password is stored before the role exists,
/// so a crash in between leaves a password we can still set. A new role gets its
/// memberships in the statement that creates it; a resumed job grants them again (each
/// grant idempotent).
async fn ensure_role(cx: &Context) -> anyhow::Result<()> {
    let login = role_login(cx).await?;
    let role = cx.role()?;
    let admin = cx.maintenance().await?;
    let (exists, superuser): (bool, bool) = sqlx::query_as(
        "select exists(select 1 from pg_roles where rolname = $1),
                (select rolsuper from pg_roles where rolname = current_user)",
    )
    .bind(role.as_str())
    .fetch_one(&admin)
    .await?;
    if !exists {
        let members = role_members(cx, superuser).await?;
        exec(&admin, &format!("create role {role} {login}{members}")).await?;
        return Ok(());
    }
    exec(&admin, &format!("alter role {role} {login}")).await?;
    grant_membership(&admin, &role, superuser).await?;
    if cx.tenant.tier() == Tier::Pooled {
        cx.servers
            .grant_gateway_role(cx.tenant.db_server_id, &cx.tenant.database_name, &role)
            .await?;
    }
    Ok(())
}

/// `CREATE ROLE`'s clause naming who must be a member of the tenant's role (empty when
/// nobody): a non-superuser admin (CREATEROLE), to hand it objects; a shared database's
/// gateway, which switches to its pooled tenants' roles per transaction.
async fn role_members(cx: &Context, superuser: bool) -> anyhow::Result<String> {
    let mut members = Vec::new();
    if !superuser {
        members.push("current_user".to_owned());
    }
    if cx.tenant.tier() == Tier::Pooled {
        let gateway = cx
            .servers
            .gateway(cx.tenant.db_server_id, &cx.tenant.database_name)
            .await?;
        members.push(gateway.role.to_string());
    }
    Ok(if members.is_empty() {
        String::new()
    } else {
        format!(" role {}", members.join(", "))
    })
}

/// The role's login clause: its password as a SCRAM verifier, and a connection limit.
/// One round trip stores a fresh password only if the tenant has none yet. No flush
/// needed: if this commit were lost, the next run stores another and sets it on the
/// existing role.
async fn role_login(cx: &Context) -> anyhow::Result<String> {
    let fresh = URL_SAFE_NO_PAD.encode({
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        bytes
    });
    let sealed = sqlx::query_scalar!(
        "update tenants set role_password_enc = coalesce(role_password_enc, $2)
         where id = $1 and set_config('synchronous_commit', 'off', true) = 'off'
         returning role_password_enc as \"sealed!\"",
        cx.tenant.id,
        cx.key.seal(fresh.as_bytes())
    )
    .fetch_one(&cx.db)
    .await?;
    let password = cx.key.open_string(&sealed)?;
    let verifier = scram::verifier(password.expose());
    anyhow::ensure!(
        !verifier.contains('\''),
        "unexpected character in a SCRAM verifier"
    );
    // Headroom over the pool size for migrations and the odd admin session.
    let limit = cx.pool_size + 3;
    Ok(format!(
        "login password '{verifier}' connection limit {limit}"
    ))
}

/// A non-superuser admin (CREATEROLE) must be a member of a role to hand it objects.
async fn grant_membership(admin: &PgPool, role: &Ident, superuser: bool) -> anyhow::Result<()> {
    if !superuser {
        exec(admin, &format!("grant {role} to current_user")).await?;
    }
    Ok(())
}

async fn database_exists(admin: &PgPool, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(admin)
        .await
}

/// Isolated tier: copy the template, then hand its objects to the tenant's role.
async fn ensure_database(cx: &Context) -> anyhow::Result<()> {
    let admin = cx.maintenance().await?;
    let database = cx.database()?;
    if !database_exists(&admin, database.as_str()).await? {
        let template = ensure_template(cx, &admin).await?;
        let created = exec(
            &admin,
            &format!(
                "create database {database} owner {} template {template}",
                cx.role()?
            ),
        )
        .await;
        // Another worker may have won the race between our check and the create.
        if let Err(e) = created
            && !database_exists(&admin, database.as_str()).await?
        {
            return Err(e.into());
        }
    }
    let conn = cx.tenant_db().await?;
    let owner_exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
            .bind(TEMPLATE_OWNER)
            .fetch_one(&conn)
            .await?;
    if owner_exists {
        exec(
            &conn,
            &format!(
                "reassign owned by {TEMPLATE_OWNER} to {role}; drop owned by {TEMPLATE_OWNER};",
                role = cx.role()?
            ),
        )
        .await?;
    }
    Ok(())
}

/// The template database's name: one per base schema version.
fn template_name() -> anyhow::Result<Ident> {
    Ok(Ident::new(&format!(
        "tenantry_template_{}",
        migrate::base_version()
    ))?)
}

/// The template database at the base schema version, built once per version: its
/// objects are owned by a NOLOGIN role and it accepts no connections, so copies are
/// never blocked by a session on it.
async fn ensure_template(cx: &Context, admin: &PgPool) -> anyhow::Result<Ident> {
    let template = template_name()?;
    if database_exists(admin, template.as_str()).await? {
        return Ok(template);
    }
    let mut lock = admin.acquire().await?;
    sqlx::query("select pg_advisory_lock(hashtext('tenantry.template'))")
        .execute(&mut *lock)
        .await?;
    let built = build_template(cx, admin, &template).await;
    sqlx::query("select pg_advisory_unlock(hashtext('tenantry.template'))")
        .execute(&mut *lock)
        .await?;
    built.map(|()| template)
}

async fn build_template(cx: &Context, admin: &PgPool, template: &Ident) -> anyhow::Result<()> {
    if database_exists(admin, template.as_str()).await? {
        return Ok(());
    }
    let owner = Ident::new(TEMPLATE_OWNER)?;
    let owner_exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
            .bind(TEMPLATE_OWNER)
            .fetch_one(admin)
            .await?;
    if !owner_exists {
        exec(admin, &format!("create role {owner} nologin")).await?;
    }
    let superuser = crate::tenancy::servers::is_superuser(admin).await?;
    grant_membership(admin, &owner, superuser).await?;
    let building = Ident::new("tenantry_template_building")?;
    exec(
        admin,
        &format!("drop database if exists {building} with (force)"),
    )
    .await?;
    exec(admin, &format!("create database {building}")).await?;
    {
        let conn = cx
            .servers
            .single(cx.tenant.db_server_id, building.as_str())
            .await?;
        exec(&conn, &format!("grant create on schema public to {owner}")).await?;
        migrate::apply(
            &conn,
            &Scope {
                role: &owner,
                schema: None,
            },
            &[],
        )
        .await?;
        exec(
            &conn,
            &format!("revoke create on schema public from {owner}"),
        )
        .await?;
        conn.close().await;
    }
    exec(
        admin,
        &format!("alter database {building} rename to {template}"),
    )
    .await?;
    exec(
        admin,
        &format!("alter database {template} with is_template true allow_connections false"),
    )
    .await?;
    tracing::info!(
        template = template.as_str(),
        "built the tenant template database"
    );
    Ok(())
}

/// Pooled tier: the shared database, closed to PUBLIC, and CONNECT on it for this
/// tenant and the database's gateway (one round trip when all is in place).
async fn ensure_shared_database(cx: &Context) -> anyhow::Result<()> {
    let admin = cx.maintenance().await?;
    let database = cx.database()?;
    let gateway = cx
        .servers
        .gateway(cx.tenant.db_server_id, database.as_str())
        .await?;
    let role = cx.role()?;
    let found: Option<(bool, bool)> = sqlx::query_as(
        "select has_database_privilege($2, d.oid, 'connect'), has_database_privilege($3, d.oid, 'connect')
         from pg_database d where d.datname = $1",
    )
    .bind(database.as_str())
    .bind(role.as_str())
    .bind(gateway.role.as_str())
    .fetch_optional(&admin)
    .await?;
    let (tenant_may, gateway_may) = match found {
        Some(may) => may,
        None => {
            let mut lock = admin.acquire().await?;
            sqlx::query("select pg_advisory_lock(hashtext('tenantry.pooled_db'))")
                .execute(&mut *lock)
                .await?;
            let created = create_shared_database(cx, &admin, &database).await;
            sqlx::query("select pg_advisory_unlock(hashtext('tenantry.pooled_db'))")
                .execute(&mut *lock)
                .await?;
            created?;
            (false, false)
        }
    };
    if !tenant_may {
        let grant = format!("grant connect on database {database} to {role}");
        shared_acl_change(&admin, &grant).await?;
    }
    if !gateway_may {
        cx.servers
            .grant_gateway_connect(cx.tenant.db_server_id, &database)
            .await?;
    }
    Ok(())
}

/// Changes the shared database's ACL. GRANT and REVOKE rewrite its one `pg_database`
/// row, and two jobs doing so at once fail with "tuple concurrently updated": one at a
/// time, under the same lock that guards its creation.
/// One round trip: both statements in one implicit transaction (simple protocol), so
/// the lock is held until the change commits.
pub(crate) async fn shared_acl_change(admin: &PgPool, sql: &str) -> sqlx::Result<()> {
    exec(
        admin,
        &format!("select pg_advisory_xact_lock(hashtext('tenantry.pooled_db')); {sql}"),
    )
    .await
}

async fn create_shared_database(
    cx: &Context,
    admin: &PgPool,
    database: &Ident,
) -> anyhow::Result<()> {
    if database_exists(admin, database.as_str()).await? {
        return Ok(());
    }
    exec(admin, &format!("create database {database}")).await?;
    exec(
        admin,
        &format!("revoke all on database {database} from public"),
    )
    .await?;
    let conn = cx.tenant_db().await?;
    exec(&conn, "revoke all on schema public from public").await?;
    Ok(())
}

/// Pooled tier: the tenant's schema, owned by its role; nobody else gets USAGE.
async fn ensure_schema(cx: &Context) -> anyhow::Result<()> {
    let schema = cx
        .schema()?
        .ok_or_else(|| anyhow::anyhow!("pooled tenant without a schema"))?;
    let pool = cx
        .servers
        .pool(cx.tenant.db_server_id, &cx.tenant.database_name)
        .await?;
    exec(
        &pool,
        &format!(
            "create schema if not exists {schema} authorization {}",
            cx.role()?
        ),
    )
    .await?;
    Ok(())
}

/// Isolated tier: only the tenant's role may connect; `public` schema closed to PUBLIC.
async fn lock_down(cx: &Context) -> anyhow::Result<()> {
    let admin = cx.maintenance().await?;
    let (database, role) = (cx.database()?, cx.role()?);
    exec(&admin, &format!(
        "revoke all on database {database} from public; grant connect, temporary on database {database} to {role};"
    ))
    .await?;
    let conn = cx.tenant_db().await?;
    exec(&conn, "revoke all on schema public from public").await?;
    Ok(())
}

/// Brings the tenant to the version of its modules, as its own role.
async fn migrate_tenant(cx: &Context) -> anyhow::Result<i64> {
    let role = cx.role()?;
    let schema = cx.schema()?;
    let scope = Scope {
        role: &role,
        schema: schema.as_ref(),
    };
    let conn = cx.tenant_db().await?;
    Ok(migrate::apply(&conn, &scope, &cx.modules).await?)
}

/// The seed's `synchronous_commit`. Its commit makes the job's earlier (unflushed) DDL
/// durable before the tenant is recorded active. On the control plane's own server the
/// activating commit flushes the same WAL, so there it need not wait.
async fn seed_commit(cx: &Context) -> anyhow::Result<&'static str> {
    Ok(if cx.primary().await? { "off" } else { "on" })
}

async fn seed(cx: &Context) -> anyhow::Result<()> {
    let search_path = cx
        .schema()?
        .map(|s| s.to_string())
        .unwrap_or_else(|| "public".into());
    let sync = seed_commit(cx).await?;
    // One statement, one round trip: the admin (a superuser, or a member of the tenant's
    // role) writes the row, the setting lasting for this statement's own transaction.
    let conn = cx.tenant_db().await?;
    sqlx::query(&format!(
        "insert into {search_path}.tenant_settings (name)
         select $1 where set_config('synchronous_commit', $2, true) is not null
         on conflict (id) do nothing"
    ))
    .bind(&cx.tenant.name)
    .bind(sync)
    .persistent(false)
    .execute(&conn)
    .await?;
    Ok(())
}

/// Purge: terminate the role's sessions, drop the database or schema, drop the role.
/// Each part is idempotent too.
pub fn purge<'a>(cx: &'a Context) -> StepFuture<'a, ()> {
    Box::pin(purge_inner(cx))
}

async fn purge_inner(cx: &Context) -> anyhow::Result<()> {
    let admin = cx.maintenance().await?;
    let (database, role) = (cx.database()?, cx.role()?);
    sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where usename = $1")
        .bind(role.as_str())
        .execute(&admin)
        .await?;
    match cx.tenant.tier() {
        Tier::Isolated => {
            exec(
                &admin,
                &format!("drop database if exists {database} with (force)"),
            )
            .await?;
        }
        Tier::Pooled => {
            if database_exists(&admin, database.as_str()).await? {
                let schema = cx
                    .schema()?
                    .ok_or_else(|| anyhow::anyhow!("pooled tenant without a schema"))?;
                let pool = cx
                    .servers
                    .pool(cx.tenant.db_server_id, database.as_str())
                    .await?;
                exec(&pool, &format!("drop schema if exists {schema} cascade")).await?;
                let exists: bool =
                    sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
                        .bind(role.as_str())
                        .fetch_one(&admin)
                        .await?;
                if exists {
                    let revoke = format!("revoke all on database {database} from {role}");
                    shared_acl_change(&admin, &revoke).await?;
                }
            }
        }
    }
    exec(&admin, &format!("drop role if exists {role}")).await?;
    Ok(())
}

/// Soft delete and restore: the role may no longer (or may again) log in.
pub fn set_login<'a>(cx: &'a Context, login: bool) -> StepFuture<'a, ()> {
    Box::pin(set_login_inner(cx, login))
}

async fn set_login_inner(cx: &Context, login: bool) -> anyhow::Result<()> {
    let admin = cx.maintenance().await?;
    let role = cx.role()?;
    let verb = if login { "login" } else { "nologin" };
    exec(&admin, &format!("alter role {role} {verb}")).await?;
    if !login {
        sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where usename = $1")
            .bind(role.as_str())
            .execute(&admin)
            .await?;
    }
    Ok(())
}
