//! The backup and restore jobs, run by the provisioning worker under its claim.
//!
//! A backup reads only (`pg_dump` as the tenant's role), so a crash anywhere leaves the
//! tenant as it was and the job, claimed again, starts over and overwrites the same key.
//!
//! A restore checks the whole archive (checksum, seal, table of contents) before it
//! changes anything, then builds the restored copy *beside* the live data (a staging
//! database, or a staging schema in the shared database), and swaps the two in one
//! transaction while the tenant is suspended. Every step looks at the catalog first, so
//! a job claimed again after a crash resumes: before the swap it rebuilds the staging
//! copy, after it only finishes; the live data is never half-replaced.

use std::path::Path;

use serde_json::{Value, json};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::tools::{Login, Tools};
use super::{Backup, archive, get};
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::ident::Ident;
use crate::tenancy::Tenancy;
use crate::tenancy::provision::{self, Context, Step};
use crate::tenancy::status::{TenantStatus, Tier};
use crate::tenancy::tenants::{self, Tenant};
use crate::tenancy::worker::JobOutcome;

/// The job row the worker claimed.
pub struct Job {
    pub id: i64,
    pub tenant_id: Uuid,
    pub kind: String,
    pub backup_id: Option<Uuid>,
    pub detail: Value,
}

/// The steps of a backup, in order (the key is what pages and the CLI show).
pub const BACKUP_STEPS: &[(&str, &str)] = &[
    ("dump", "Dumping the tenant's data"),
    ("seal", "Sealing and storing the archive"),
];

/// The steps of a restore, in order.
pub const RESTORE_STEPS: &[(&str, &str)] = &[
    ("verify", "Checking the archive"),
    ("suspend", "Suspending the tenant"),
    ("stage", "Restoring beside the live data"),
    ("swap", "Switching to the restored data"),
    ("migrate", "Bringing it to the current schema"),
];

/// A label for a step key, for pages and the CLI.
pub fn step_label(key: &str) -> &'static str {
    BACKUP_STEPS
        .iter()
        .chain(RESTORE_STEPS)
        .find(|(k, _)| *k == key)
        .map(|(_, label)| *label)
        .unwrap_or("Working")
}

enum End {
    Finished(Option<i64>),
    Interrupted,
}

/// Runs a claimed backup or restore job and records how it ended in `claim`.
pub async fn run(
    t: &Tenancy,
    mut claim: Transaction<'static, Postgres>,
    job: Job,
    stop_after: Option<usize>,
) -> anyhow::Result<JobOutcome> {
    let backup_id = job
        .backup_id
        .ok_or_else(|| anyhow::anyhow!("job {} names no backup", job.id))?;
    let backup = get(&t.db, backup_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {} names a missing backup", job.id))?;
    let tenant = tenants::get(&t.db, job.tenant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {} names a missing tenant", job.id))?;
    let result = if job.kind == "backup" {
        take(t, &tenant, &backup, stop_after).await
    } else {
        restore(t, &tenant, &backup, &job, stop_after).await
    };
    let tenant_id = tenant.id;
    let system = Actor::system();
    let origin = Origin::default();
    let outcome = match result {
        Ok(End::Interrupted) => {
            // As a crash would: the claim ends, the job stays queued.
            claim.rollback().await?;
            return Ok(JobOutcome::Interrupted { tenant_id });
        }
        Ok(End::Finished(done)) => {
            sqlx::query!(
                "update provisioning_jobs set status = 'done', finished_at = now(), attempts = attempts + 1 where id = $1",
                job.id
            )
            .execute(&mut *claim)
            .await?;
            let (action, details) = if job.kind == "backup" {
                finish_backup(&mut claim, &backup).await?
            } else {
                keep_set_aside(t, &mut claim, &tenant, &job).await?;
                finish_restore(&mut claim, &tenant, &backup, &job, done).await?
            };
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action,
                    tenant: Some(tenant_id),
                    target: Some(&tenant.slug),
                    origin: &origin,
                    details,
                },
            )
            .await?;
            JobOutcome::Done { tenant_id }
        }
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(tenant = %tenant.slug, kind = %job.kind, error = %message, "backup job failed");
            sqlx::query!(
                "update provisioning_jobs set status = 'failed', last_error = $2, finished_at = now(), attempts = attempts + 1 where id = $1",
                job.id,
                message
            )
            .execute(&mut *claim)
            .await?;
            let action = if job.kind == "backup" {
                sqlx::query!(
                    "update tenant_backups set status = 'failed', error = $2, step = null, finished_at = now() where id = $1",
                    backup.id,
                    message
                )
                .execute(&mut *claim)
                .await?;
                "tenant.backup_failed"
            } else {
                roll_back_restore(t, &mut claim, &tenant, &job).await;
                "tenant.restore_failed"
            };
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action,
                    tenant: Some(tenant_id),
                    target: Some(&tenant.slug),
                    origin: &origin,
                    details: json!({ "tenant_id": tenant_id, "backup_id": backup.id, "error": message }),
                },
            )
            .await?;
            JobOutcome::Failed { tenant_id }
        }
    };
    claim.commit().await?;
    t.changed(tenant_id);
    Ok(outcome)
}

/// Progress is informational: no need to wait for a disk flush.
async fn progress(db: &PgPool, sql: &str, id: impl ToString, step: &str) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("set local synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // `sql` is one of the two fixed statements below.
    sqlx::query(sql)
        .bind(id.to_string())
        .bind(step)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

async fn backup_step(t: &Tenancy, backup: &Backup, step: &str) -> sqlx::Result<()> {
    progress(
        &t.db,
        "update tenant_backups set status = 'running', step = $2 where id = $1::uuid",
        backup.id,
        step,
    )
    .await
}

async fn restore_step(t: &Tenancy, tenant: &Tenant, step: &str) -> sqlx::Result<()> {
    progress(
        &t.db,
        "update tenants set progress_step = $2, updated_at = now() where id = $1::uuid",
        tenant.id,
        step,
    )
    .await?;
    t.changed(tenant.id);
    Ok(())
}

fn work_dir() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new()
        .prefix("tenantry-backup-")
        .tempdir()?)
}

/// Takes the backup: dump as the tenant's role, then seal into the store.
async fn take(
    t: &Tenancy,
    tenant: &Tenant,
    backup: &Backup,
    stop_after: Option<usize>,
) -> anyhow::Result<End> {
    let work = work_dir()?;
    let dump = work.path().join("dump");
    for (i, (step, _)) in BACKUP_STEPS.iter().enumerate() {
        if stop_after == Some(i) {
            return Ok(End::Interrupted);
        }
        backup_step(t, backup, step).await?;
        match *step {
            "dump" => {
                let tools = Tools::find(t.backup_settings.pg_bin.as_deref())?;
                let login = Login::of(&t.db, &t.key, tenant.id).await?;
                tools
                    .dump(
                        &login,
                        &tenant.database_name,
                        tenant.schema_name.as_deref(),
                        &dump,
                    )
                    .await?;
            }
            _ => seal_into_store(t, tenant, backup, &dump).await?,
        }
    }
    if stop_after == Some(BACKUP_STEPS.len()) {
        return Ok(End::Interrupted);
    }
    Ok(End::Finished(None))
}

async fn seal_into_store(
    t: &Tenancy,
    tenant: &Tenant,
    backup: &Backup,
    dump: &Path,
) -> anyhow::Result<()> {
    let store = t.backup_settings.store.open()?;
    let mut plain = tokio::fs::File::open(dump).await?;
    let sealed = store
        .put_sealed(&backup.object_key, &t.key, backup.id, tenant.id, &mut plain)
        .await?;
    sqlx::query!(
        "update tenant_backups set size_bytes = $2, sha256 = $3 where id = $1",
        backup.id,
        i64::try_from(sealed.size)?,
        sealed.sha256
    )
    .execute(&t.db)
    .await?;
    Ok(())
}

async fn finish_backup(
    claim: &mut Transaction<'static, Postgres>,
    backup: &Backup,
) -> anyhow::Result<(&'static str, Value)> {
    let size = sqlx::query_scalar!(
        "update tenant_backups set status = 'done', step = null, error = null, finished_at = now()
         where id = $1 returning size_bytes",
        backup.id
    )
    .fetch_one(&mut **claim)
    .await?;
    Ok((
        "tenant.backup_taken",
        json!({ "tenant_id": backup.tenant_id, "backup_id": backup.id, "size_bytes": size }),
    ))
}

/// The names a restore works with: the live copy, the staging copy built beside it, the
/// old copy during the swap, and (pooled) the scratch database where the dump's schema is
/// renamed.
struct Names {
    live: Ident,
    stage: Ident,
    old: Ident,
    scratch: Ident,
}

impl Names {
    fn of(tenant: &Tenant, job: i64) -> anyhow::Result<Self> {
        let base = match tenant.tier() {
            Tier::Isolated => tenant.database_name.clone(),
            Tier::Pooled => tenant
                .schema_name
                .clone()
                .ok_or_else(|| anyhow::anyhow!("pooled tenant without a schema"))?,
        };
        Ok(Self {
            live: Ident::new(&base)?,
            stage: Ident::new(&format!("{base}_r{job}"))?,
            old: Ident::new(&format!("{base}_o{job}"))?,
            // Named after the tenant, not only the job: job ids are per control plane, and
            // two control planes may share a server.
            scratch: Ident::new(&format!("{base}_s{job}"))?,
        })
    }
}

async fn exec(pool: &PgPool, sql: &str) -> sqlx::Result<()> {
    pool.execute(sql).await?;
    Ok(())
}

async fn database_exists(admin: &PgPool, name: &Ident) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
        .bind(name.as_str())
        .fetch_one(admin)
        .await
}

async fn schema_exists(pool: &PgPool, name: &Ident) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from pg_namespace where nspname = $1)")
        .bind(name.as_str())
        .fetch_one(pool)
        .await
}

/// Ends every session of the tenant's role and on the named databases.
async fn disconnect(admin: &PgPool, role: &str, databases: &[&Ident]) -> sqlx::Result<()> {
    let names: Vec<&str> = databases.iter().map(|d| d.as_str()).collect();
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where pid <> pg_backend_pid() and (usename = $1 or datname = any($2))",
    )
    .bind(role)
    .bind(&names)
    .execute(admin)
    .await?;
    Ok(())
}

/// An empty database owned by the tenant's role, closed to everyone else.
async fn create_private_database(
    t: &Tenancy,
    tenant: &Tenant,
    admin: &PgPool,
    name: &Ident,
) -> anyhow::Result<()> {
    let role = Ident::new(&tenant.role_name)?;
    private_database_on(t, tenant.db_server_id, &role, admin, name).await
}

/// An empty database `name` on server `server` (whose maintenance pool is `admin`),
/// owned by `role` and closed to everyone else; any database of that name is dropped
/// first. Restores and moves build their copies in one.
pub(crate) async fn private_database_on(
    t: &Tenancy,
    server: Uuid,
    role: &Ident,
    admin: &PgPool,
    name: &Ident,
) -> anyhow::Result<()> {
    exec(
        admin,
        &format!("drop database if exists {name} with (force)"),
    )
    .await?;
    exec(
        admin,
        &format!("create database {name} owner {role} template template0"),
    )
    .await?;
    exec(admin, &format!("revoke all on database {name} from public; grant connect, temporary on database {name} to {role};")).await?;
    let conn = t.servers.single(server, name.as_str()).await?;
    let revoked = exec(&conn, "revoke all on schema public from public").await;
    conn.close().await;
    revoked?;
    Ok(())
}

/// Restores `backup` into `tenant` (its own tenant, or a clone made from it).
async fn restore(
    t: &Tenancy,
    tenant: &Tenant,
    backup: &Backup,
    job: &Job,
    stop_after: Option<usize>,
) -> anyhow::Result<End> {
    let work = work_dir()?;
    let dump = work.path().join("dump");
    let names = Names::of(tenant, job.id)?;
    let mut version = None;
    for (i, (step, _)) in RESTORE_STEPS.iter().enumerate() {
        if stop_after == Some(i) {
            return Ok(End::Interrupted);
        }
        restore_step(t, tenant, step).await?;
        match *step {
            "verify" => verify(t, tenant, backup, &dump).await?,
            "suspend" => suspend(t, tenant).await?,
            "stage" => stage(t, tenant, backup, &names, &dump, work.path()).await?,
            "swap" => swap(t, tenant, &names).await?,
            _ => version = Some(migrate(t, tenant).await?),
        }
    }
    if stop_after == Some(RESTORE_STEPS.len()) {
        return Ok(End::Interrupted);
    }
    Ok(End::Finished(version))
}

/// The archive, whole: its checksum, its seal (this backup of this tenant, this master
/// key) and a readable table of contents. Nothing has changed yet when this refuses.
async fn verify(t: &Tenancy, tenant: &Tenant, backup: &Backup, dump: &Path) -> anyhow::Result<()> {
    if !matches!(
        tenant.status,
        TenantStatus::Active | TenantStatus::Suspended
    ) {
        anyhow::bail!(
            "the tenant is {}: nothing was restored into it",
            tenant.status
        );
    }
    if backup.tier != tenant.tier {
        anyhow::bail!(
            "the backup is of the {} tier and the tenant is {}",
            backup.tier,
            tenant.tier
        );
    }
    let store = t.backup_settings.store.open()?;
    let sealed_path = dump.with_extension("sealed");
    let mut sealed = tokio::fs::File::create(&sealed_path).await?;
    store.download(&backup.object_key, &mut sealed).await?;
    drop(sealed);
    let sum = sha256_of(&sealed_path).await?;
    if Some(sum.as_str()) != backup.sha256.as_deref() {
        anyhow::bail!(
            "the archive's checksum does not match the one recorded when it was taken: it is corrupt or was replaced; nothing was restored"
        );
    }
    let mut input = tokio::fs::File::open(&sealed_path).await?;
    let mut out = tokio::fs::File::create(dump).await?;
    archive::open(&t.key, backup.id, backup.tenant_id, &mut input, &mut out)
        .await
        .map_err(|e| anyhow::anyhow!("{e}; nothing was restored"))?;
    out.flush().await?;
    drop(out);
    tokio::fs::remove_file(&sealed_path).await?;
    let tools = Tools::find(t.backup_settings.pg_bin.as_deref())?;
    tools.contents(dump).await?;
    Ok(())
}

async fn sha256_of(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(hex::encode(hash.finalize()));
        }
        hash.update(&buf[..n]);
    }
}

/// The tenant's users are kept out until the restore ends (its status goes back then).
async fn suspend(t: &Tenancy, tenant: &Tenant) -> anyhow::Result<()> {
    t.pools.evict(tenant.id).await;
    sqlx::query!(
        "update tenants set status = 'suspended', suspended_at = coalesce(suspended_at, now()), updated_at = now()
         where id = $1 and status = 'active'",
        tenant.id
    )
    .execute(&t.db)
    .await?;
    t.changed(tenant.id);
    t.pools.evict(tenant.id).await;
    Ok(())
}

/// Builds the restored copy beside the live data, as the tenant's role. Rebuilt from
/// nothing on every run, so a crash here leaves only a staging copy to throw away.
async fn stage(
    t: &Tenancy,
    tenant: &Tenant,
    backup: &Backup,
    names: &Names,
    dump: &Path,
    work: &Path,
) -> anyhow::Result<()> {
    let admin = t.servers.pool(tenant.db_server_id, "postgres").await?;
    let tools = Tools::find(t.backup_settings.pg_bin.as_deref())?;
    let login = Login::of(&t.db, &t.key, tenant.id).await?;
    match tenant.tier() {
        Tier::Isolated => {
            create_private_database(t, tenant, &admin, &names.stage).await?;
            tools
                .restore(&login, names.stage.as_str(), dump, None)
                .await?;
        }
        Tier::Pooled => {
            let shared = t
                .servers
                .pool(tenant.db_server_id, &tenant.database_name)
                .await?;
            // The dump's schema has the source's name; it is renamed in a scratch
            // database, dumped again, and restored into the shared one under the staging
            // name (created by us, so the role needs no CREATE on the shared database).
            let source = Ident::new(
                backup
                    .schema_name
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("the pooled backup names no schema"))?,
            )?;
            create_private_database(t, tenant, &admin, &names.scratch).await?;
            tools
                .restore(&login, names.scratch.as_str(), dump, None)
                .await?;
            let scratch = t
                .servers
                .single(tenant.db_server_id, names.scratch.as_str())
                .await?;
            let renamed = exec(
                &scratch,
                &format!("alter schema {source} rename to {}", names.stage),
            )
            .await;
            scratch.close().await;
            renamed?;
            let staged = work.join("staged");
            tools
                .dump(
                    &login,
                    names.scratch.as_str(),
                    Some(names.stage.as_str()),
                    &staged,
                )
                .await?;
            // The scratch database is dropped after the restore, by the old-copy sweep
            // ([`keep_set_aside`]): its `DROP DATABASE` checkpoints.
            // Every entry but the schema itself, which we create for the role.
            let contents = tools.contents(&staged).await?;
            let list: String = contents
                .lines()
                .filter(|l| !l.contains(" SCHEMA - "))
                .map(|l| format!("{l}\n"))
                .collect();
            let list_path = work.join("staged.list");
            tokio::fs::write(&list_path, list).await?;
            exec(
                &shared,
                &format!(
                    "drop schema if exists {stage} cascade; create schema {stage} authorization {role}",
                    stage = names.stage,
                    role = Ident::new(&tenant.role_name)?
                ),
            )
            .await?;
            tools
                .restore(&login, &tenant.database_name, &staged, Some(&list_path))
                .await?;
        }
    }
    Ok(())
}

/// Puts the staging copy in place of the live one in one transaction. Resumable: with no
/// staging copy left, the swap has happened. An isolated tenant's old database is not
/// dropped here: `DROP DATABASE` makes PostgreSQL checkpoint, which flushes everything
/// just restored and took most of a large restore's time while the tenant was still
/// suspended. The job's end hands it to the old-copy sweep instead ([`keep_set_aside`]),
/// which drops it once the tenant is back (the same path as the copies moves leave).
async fn swap(t: &Tenancy, tenant: &Tenant, names: &Names) -> anyhow::Result<()> {
    let admin = t.servers.pool(tenant.db_server_id, "postgres").await?;
    t.pools.evict(tenant.id).await;
    match tenant.tier() {
        Tier::Isolated => {
            if database_exists(&admin, &names.stage).await? {
                exec(
                    &admin,
                    &format!("drop database if exists {} with (force)", names.old),
                )
                .await?;
                disconnect(
                    &admin,
                    &tenant.role_name,
                    &[&names.live, &names.stage, &names.old],
                )
                .await?;
                let mut tx = admin.begin().await?;
                tx.execute(
                    format!(
                        "alter database {live} rename to {old}; alter database {stage} rename to {live};",
                        live = names.live,
                        old = names.old,
                        stage = names.stage
                    )
                    .as_str(),
                )
                .await?;
                tx.commit().await?;
            }
        }
        Tier::Pooled => {
            let shared = t
                .servers
                .pool(tenant.db_server_id, &tenant.database_name)
                .await?;
            if schema_exists(&shared, &names.stage).await? {
                let mut tx = shared.begin().await?;
                tx.execute(
                    format!(
                        "drop schema if exists {old} cascade; alter schema {live} rename to {old}; alter schema {stage} rename to {live}; drop schema {old} cascade;",
                        live = names.live,
                        old = names.old,
                        stage = names.stage
                    )
                    .as_str(),
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(())
}

/// Records the database a restore set aside, for the worker's old-copy sweep to drop at
/// its next round: an isolated tenant's old database (if the swap got that far), a pooled
/// tenant's scratch database. In the job's claim transaction, so it commits with the
/// job's end.
async fn keep_set_aside(
    t: &Tenancy,
    claim: &mut sqlx::PgConnection,
    tenant: &Tenant,
    job: &Job,
) -> anyhow::Result<()> {
    let names = Names::of(tenant, job.id)?;
    let aside = match tenant.tier() {
        Tier::Isolated => &names.old,
        Tier::Pooled => &names.scratch,
    };
    let admin = t.servers.pool(tenant.db_server_id, "postgres").await?;
    if !database_exists(&admin, aside).await? {
        return Ok(());
    }
    crate::tenancy::moves::set_aside(claim, tenant, job.id, tenant.db_server_id, aside.as_str())
        .await?;
    Ok(())
}

/// The restored data may be older than this binary: migrate it (and, isolated, lock its
/// database down as provisioning does).
async fn migrate(t: &Tenancy, tenant: &Tenant) -> anyhow::Result<i64> {
    let modules = t.enabled_modules(tenant.id).await?;
    let cx = Context::new(t, tenant.clone(), modules, 1);
    let result = async {
        if tenant.tier() == Tier::Isolated {
            provision::run(Step::Privileges, &cx).await?;
        }
        provision::run(Step::Migrations, &cx).await
    }
    .await;
    cx.finish().await;
    result?.ok_or_else(|| anyhow::anyhow!("migrations reported no version"))
}

/// The status the tenant had when the restore was asked for.
fn previous(job: &Job) -> TenantStatus {
    job.detail
        .get("previous")
        .and_then(Value::as_str)
        .and_then(TenantStatus::parse)
        .unwrap_or(TenantStatus::Active)
}

async fn finish_restore(
    claim: &mut Transaction<'static, Postgres>,
    tenant: &Tenant,
    backup: &Backup,
    job: &Job,
    version: Option<i64>,
) -> anyhow::Result<(&'static str, Value)> {
    let back = previous(job);
    sqlx::query!(
        "update tenants set status = case when status = 'suspended' then $2 else status end,
                suspended_at = case when $2 = 'active' then null else suspended_at end,
                schema_version = coalesce($3, schema_version), progress_step = null, last_error = null,
                updated_at = now()
         where id = $1",
        tenant.id,
        back.as_str(),
        version
    )
    .execute(&mut **claim)
    .await?;
    Ok((
        "tenant.backup_restored",
        json!({
            "tenant_id": tenant.id,
            "backup_id": backup.id,
            "from_tenant": backup.tenant_id,
            "clone_of": job.detail.get("clone_of"),
        }),
    ))
}

/// A failed restore: the staging copies go, the tenant gets its status back. Best effort
/// (what cannot be dropped now is dropped by the next attempt, which starts afresh).
async fn roll_back_restore(
    t: &Tenancy,
    claim: &mut Transaction<'static, Postgres>,
    tenant: &Tenant,
    job: &Job,
) {
    let cleaned: anyhow::Result<()> = async {
        // A failure after the swap (in the migration) leaves the old database aside.
        if tenant.tier() == Tier::Isolated {
            keep_set_aside(t, claim, tenant, job).await?;
        }
        let names = Names::of(tenant, job.id)?;
        let admin = t.servers.pool(tenant.db_server_id, "postgres").await?;
        match tenant.tier() {
            Tier::Isolated => {
                exec(
                    &admin,
                    &format!("drop database if exists {} with (force)", names.stage),
                )
                .await?
            }
            Tier::Pooled => {
                exec(
                    &admin,
                    &format!("drop database if exists {} with (force)", names.scratch),
                )
                .await?;
                let shared = t
                    .servers
                    .pool(tenant.db_server_id, &tenant.database_name)
                    .await?;
                exec(
                    &shared,
                    &format!("drop schema if exists {} cascade", names.stage),
                )
                .await?;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = cleaned {
        tracing::warn!(tenant = %tenant.slug, error = %format!("{e:#}"), "restore clean-up failed");
    }
    let back = previous(job);
    let restored = sqlx::query!(
        "update tenants set status = case when status = 'suspended' then $2 else status end,
                suspended_at = case when $2 = 'active' then null else suspended_at end,
                progress_step = null, updated_at = now()
         where id = $1",
        tenant.id,
        back.as_str()
    )
    .execute(&mut **claim)
    .await;
    if let Err(e) = restored {
        tracing::warn!(tenant = %tenant.slug, error = %e, "could not give the tenant its status back");
    }
}
