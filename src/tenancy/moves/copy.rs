//! The database side of a move: fencing writes off the source, copying it with
//! `pg_dump`/`pg_restore` as the tenant's own role (renaming its schema when the tier
//! changes), counting rows table by table on both sides, and dropping what a move leaves
//! behind. Identifiers reaching DDL are validated and quoted ([`Ident`]).

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::{Executor, PgPool};
use uuid::Uuid;

use super::{OldCopy, Place, Plan};
use crate::pg::ident::Ident;
use crate::tenancy::Tenancy;
use crate::tenancy::backup::jobs::private_database_on;
use crate::tenancy::backup::tools::{Login, Tools};
use crate::tenancy::status::Tier;
use crate::tenancy::tenants::Tenant;

async fn exec(pool: &PgPool, sql: &str) -> sqlx::Result<()> {
    pool.execute(sql).await?;
    Ok(())
}

/// The schema holding the tenant's tables in `place`: its own (pooled) or `public`.
fn schema_of(place: &Place) -> anyhow::Result<Ident> {
    Ok(Ident::new(place.schema.as_deref().unwrap_or("public"))?)
}

async fn database_exists(admin: &PgPool, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(admin)
        .await
}

async fn schema_exists(pool: &PgPool, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from pg_namespace where nspname = $1)")
        .bind(name)
        .fetch_one(pool)
        .await
}

/// Runs `sql` in the database of `place`: a one-off connection to an isolated tenant's
/// database, the kept admin pool of a shared one.
async fn in_place(t: &Tenancy, place: &Place, sql: &str) -> anyhow::Result<()> {
    match place.tier() {
        Tier::Isolated => {
            let conn = t.servers.single(place.server_id, &place.database).await?;
            let done = exec(&conn, sql).await;
            conn.close().await;
            done?;
        }
        Tier::Pooled => {
            let shared = t.servers.pool(place.server_id, &place.database).await?;
            exec(&shared, sql).await?;
        }
    }
    Ok(())
}

/// Whether something holds `to` other than one of the tenant's own old copies (which the
/// move drops first: moving back replaces it).
pub async fn occupied(t: &Tenancy, tenant: &Tenant, to: &Place) -> anyhow::Result<bool> {
    let admin = t.servers.pool(to.server_id, "postgres").await?;
    let exists = match &to.schema {
        None => database_exists(&admin, &to.database).await?,
        Some(schema) => {
            database_exists(&admin, &to.database).await? && {
                let shared = t.servers.pool(to.server_id, &to.database).await?;
                schema_exists(&shared, schema).await?
            }
        }
    };
    if !exists {
        return Ok(false);
    }
    let ours = super::old_copies(&t.db, tenant.id)
        .await?
        .iter()
        .any(|c| c.place().same_location(to));
    Ok(!ours)
}

impl Place {
    /// Same server, database and schema (the tier follows from them).
    pub fn same_location(&self, other: &Place) -> bool {
        self.server_id == other.server_id
            && self.database == other.database
            && self.schema == other.schema
    }
}

/// Keeps every write out of `from` from here on. The tenant's role loses INSERT, UPDATE,
/// DELETE and TRUNCATE on its tables (an owner's own privileges can be revoked, and each
/// statement checks them when it starts, after taking its table locks), and every session
/// holding a lock on them — a transaction begun before the suspension — is ended, so its
/// writes roll back instead of landing after the copy was taken. Reads stay allowed: the
/// copy is made as that role.
pub async fn fence(t: &Tenancy, from: &Place, role: &Ident) -> anyhow::Result<()> {
    let schema = schema_of(from)?;
    in_place(
        t,
        from,
        &format!(
            "revoke insert, update, delete, truncate on all tables in schema {schema} from {role}"
        ),
    )
    .await?;
    match from.tier() {
        Tier::Isolated => {
            // Only the tenant's role connects to its database: end every session there.
            let admin = t.servers.pool(from.server_id, "postgres").await?;
            sqlx::query(
                "select pg_terminate_backend(pid) from pg_stat_activity
                 where datname = $1 and pid <> pg_backend_pid()",
            )
            .bind(&from.database)
            .execute(&admin)
            .await?;
        }
        Tier::Pooled => {
            // The shared database serves other tenants: end only the sessions holding a
            // lock on this tenant's relations.
            let shared = t.servers.pool(from.server_id, &from.database).await?;
            sqlx::query(
                "select pg_terminate_backend(pid) from (
                     select distinct l.pid from pg_locks l
                     join pg_class c on c.oid = l.relation
                     join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = $1 and l.pid <> pg_backend_pid()
                       and l.database = (select oid from pg_database where datname = current_database())
                 ) holders",
            )
            .bind(schema.as_str())
            .execute(&shared)
            .await?;
        }
    }
    Ok(())
}

/// Gives the tenant's role its write privileges back on `from` (a failed move).
pub async fn unfence(t: &Tenancy, from: &Place, role: &Ident) -> anyhow::Result<()> {
    let schema = schema_of(from)?;
    in_place(
        t,
        from,
        &format!(
            "grant insert, update, delete, truncate on all tables in schema {schema} to {role}"
        ),
    )
    .await
}

/// A scratch database on the target, for re-dumping an isolated tenant's `public` schema
/// under its pooled schema's name. Named after the tenant and the job.
fn scratch_name(to: &Place, job: i64) -> anyhow::Result<Ident> {
    Ok(Ident::new(&format!("{}_m{job}", schema_of(to)?.as_str()))?)
}

/// The scratch database a move from an isolated database to the pooled tier renamed the
/// schema in, if it is still there: the cut-over hands it to the old-copy sweep.
pub async fn leftover_scratch(t: &Tenancy, plan: &Plan, job: i64) -> anyhow::Result<Option<Ident>> {
    if plan.from.tier() != Tier::Isolated || plan.to.tier() != Tier::Pooled {
        return Ok(None);
    }
    let scratch = scratch_name(&plan.to, job)?;
    let admin = t.servers.pool(plan.to.server_id, "postgres").await?;
    Ok(database_exists(&admin, scratch.as_str())
        .await?
        .then_some(scratch))
}

/// Copies the tenant's data from `plan.from` into `plan.to`, rebuilt from nothing on
/// every run (so a crash here leaves only a partial target, which the next run drops).
pub async fn copy_data(
    t: &Tenancy,
    tenant: &Tenant,
    plan: &Plan,
    job: i64,
    work: &Path,
) -> anyhow::Result<()> {
    let (from, to) = (&plan.from, &plan.to);
    let tools = Tools::find(t.backup_settings.pg_bin.as_deref())?;
    let source = Login::on(&t.db, &t.key, tenant.id, from.server_id).await?;
    let target = Login::on(&t.db, &t.key, tenant.id, to.server_id).await?;
    let role = Ident::new(&tenant.role_name)?;
    let admin = t.servers.pool(to.server_id, "postgres").await?;
    let dump = work.join("dump");
    tools
        .dump(&source, &from.database, from.schema.as_deref(), &dump)
        .await?;
    match to.tier() {
        Tier::Isolated => {
            let database = Ident::new(&to.database)?;
            private_database_on(t, to.server_id, &role, &admin, &database).await?;
            tools.restore(&target, &to.database, &dump, None).await?;
            if from.tier() == Tier::Pooled {
                // The tables arrive in the schema they had in the shared database; an
                // isolated tenant's are in `public`.
                let source_schema = schema_of(from)?;
                in_place(
                    t,
                    to,
                    &format!(
                        "drop schema public cascade; alter schema {source_schema} rename to public;
                         revoke all on schema public from public;"
                    ),
                )
                .await?;
            }
        }
        Tier::Pooled => {
            let schema = schema_of(to)?;
            let staged = match from.tier() {
                Tier::Pooled => {
                    anyhow::ensure!(
                        from.schema == to.schema,
                        "a pooled tenant keeps its schema's name when it moves"
                    );
                    dump
                }
                Tier::Isolated => {
                    // The tables are in `public`: restored into a scratch database on the
                    // target, renamed there, and dumped again under the schema's name.
                    let scratch = scratch_name(to, job)?;
                    private_database_on(t, to.server_id, &role, &admin, &scratch).await?;
                    tools
                        .restore(&target, scratch.as_str(), &dump, None)
                        .await?;
                    let conn = t.servers.single(to.server_id, scratch.as_str()).await?;
                    let renamed =
                        exec(&conn, &format!("alter schema public rename to {schema}")).await;
                    conn.close().await;
                    renamed?;
                    let staged = work.join("staged");
                    tools
                        .dump(&target, scratch.as_str(), Some(schema.as_str()), &staged)
                        .await?;
                    // Dropped after the cut-over, by the old-copy sweep (see
                    // [`leftover_scratch`]): `DROP DATABASE` checkpoints, and that
                    // write-out must not lengthen the tenant's suspension.
                    staged
                }
            };
            // Every entry but the schema itself, which is created for the role here (it
            // has no CREATE on the shared database).
            let contents = tools.contents(&staged).await?;
            let list: String = contents
                .lines()
                .filter(|l| !l.contains(" SCHEMA - "))
                .map(|l| format!("{l}\n"))
                .collect();
            let list_path = work.join("restore.list");
            tokio::fs::write(&list_path, list).await?;
            in_place(
                t,
                to,
                &format!(
                    "drop schema if exists {schema} cascade; create schema {schema} authorization {role}"
                ),
            )
            .await?;
            tools
                .restore(&target, &to.database, &staged, Some(&list_path))
                .await?;
        }
    }
    Ok(())
}

/// Exact row counts of every table of the tenant in `place`, by table name.
pub async fn row_counts(t: &Tenancy, place: &Place) -> anyhow::Result<BTreeMap<String, i64>> {
    // One round trip: each table counted by a query built with `format('%I')`.
    const SQL: &str = "select c.relname::text,
               (xpath('/row/n/text()', query_to_xml(
                   format('select count(*) as n from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind in ('r', 'p')
        order by 1";
    let schema = schema_of(place)?;
    let rows: Vec<(String, i64)> = match place.tier() {
        Tier::Isolated => {
            let conn = t.servers.single(place.server_id, &place.database).await?;
            let rows = sqlx::query_as::<_, (String, i64)>(SQL)
                .bind(schema.as_str())
                .fetch_all(&conn)
                .await;
            conn.close().await;
            rows?
        }
        Tier::Pooled => {
            let shared = t.servers.pool(place.server_id, &place.database).await?;
            sqlx::query_as::<_, (String, i64)>(SQL)
                .bind(schema.as_str())
                .fetch_all(&shared)
                .await?
        }
    };
    Ok(rows.into_iter().collect())
}

/// Drops what a failed move built on the target. Only ever the target: it is never where
/// the tenant lives (a move to the same place is refused before it is queued).
pub async fn discard_target(t: &Tenancy, plan: &Plan, job: i64) -> anyhow::Result<()> {
    let to = &plan.to;
    anyhow::ensure!(
        !to.same_location(&plan.from),
        "the target is the tenant's own place"
    );
    let admin = t.servers.pool(to.server_id, "postgres").await?;
    match to.tier() {
        Tier::Isolated => {
            let database = Ident::new(&to.database)?;
            exec(
                &admin,
                &format!("drop database if exists {database} with (force)"),
            )
            .await?;
        }
        Tier::Pooled => {
            let scratch = scratch_name(to, job)?;
            exec(
                &admin,
                &format!("drop database if exists {scratch} with (force)"),
            )
            .await?;
            if database_exists(&admin, &to.database).await? {
                let schema = schema_of(to)?;
                in_place(t, to, &format!("drop schema if exists {schema} cascade")).await?;
            }
        }
    }
    Ok(())
}

/// Drops an old copy left by a move: its database or schema; in a shared database the
/// role's CONNECT when the tenant no longer lives there; and the role itself on a server
/// the tenant has left (unless another of its old copies there still needs it). Never the
/// place where the tenant lives now, whatever the record says.
pub async fn drop_old_copy(t: &Tenancy, copy: &OldCopy) -> anyhow::Result<()> {
    let current: Option<(Uuid, String, Option<String>, String)> = sqlx::query_as(
        "select db_server_id, database_name, schema_name, status from tenants where id = $1",
    )
    .bind(copy.tenant_id)
    .fetch_optional(&t.db)
    .await?;
    let live = current
        .as_ref()
        .filter(|(.., status)| status != "purged")
        .map(|(server, database, schema, _)| (*server, database.clone(), schema.clone()));
    let place = copy.place();
    if live.as_ref().is_some_and(|(s, d, sc)| {
        *s == place.server_id && *d == place.database && *sc == place.schema
    }) {
        return Ok(());
    }
    let admin = t.servers.pool(copy.server_id, "postgres").await?;
    let role = Ident::new(&copy.role)?;
    let database = Ident::new(&copy.database)?;
    let role_exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
            .bind(role.as_str())
            .fetch_one(&admin)
            .await?;
    match &copy.schema {
        None => {
            exec(
                &admin,
                &format!("drop database if exists {database} with (force)"),
            )
            .await?
        }
        Some(schema) => {
            if database_exists(&admin, database.as_str()).await? {
                let schema = Ident::new(schema)?;
                in_place(
                    t,
                    &place,
                    &format!("drop schema if exists {schema} cascade"),
                )
                .await?;
                let still_there = live
                    .as_ref()
                    .is_some_and(|(s, d, _)| *s == copy.server_id && *d == copy.database);
                if role_exists && !still_there {
                    crate::tenancy::provision::shared_acl_change(
                        &admin,
                        &format!("revoke all on database {database} from {role}"),
                    )
                    .await?;
                }
            }
        }
    }
    let on_server_now = live.as_ref().is_some_and(|(s, ..)| *s == copy.server_id);
    let others_here: bool = sqlx::query_scalar(
        "select exists(select 1 from tenant_old_copies
                       where tenant_id = $1 and db_server_id = $2 and dropped_at is null and id <> $3)",
    )
    .bind(copy.tenant_id)
    .bind(copy.server_id)
    .bind(copy.id)
    .fetch_one(&t.db)
    .await?;
    if role_exists && !on_server_now && !others_here {
        exec(&admin, &format!("drop role if exists {role}")).await?;
    }
    Ok(())
}
