//! Backups of one tenant: asked for here (a durable job in the provisioning job table,
//! run by the same worker — [`jobs`]), listed, and restored into the same tenant (typed
//! confirmation; the tenant is suspended meanwhile) or into a new one (a clone).
//!
//! A backup is `pg_dump --format=custom` of the tenant's database (isolated) or schema
//! (pooled), taken as the tenant's own role ([`tools`]), sealed with the master key
//! ([`archive`]) and kept in the backup store ([`store`]) with its SHA-256 and size in
//! `tenant_backups`.

pub mod archive;
pub mod jobs;
pub mod schedule;
pub mod store;
pub mod tools;

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::status::{TenantStatus, Tier};
use crate::tenancy::tenants::{self, CreateError, NewTenant, Tenant};

/// Where backups go and where the client programs are.
#[derive(Clone, Debug)]
pub struct Settings {
    pub store: store::StoreConfig,
    /// `PG_BIN`: `pg_dump` and `pg_restore` are looked for as the server binaries are.
    pub pg_bin: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            store: store::StoreConfig::None,
            pg_bin: None,
        }
    }
}

crate::text_enum! {
    /// Where a backup stands.
    pub enum BackupStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
        /// Removed from the store with its purged tenant; the row stays as a record.
        Purged = "purged",
        /// Removed from the store when its plan's days to keep ran out.
        Expired = "expired",
    }
}

/// A `tenant_backups` row.
#[derive(Clone, Debug, Serialize)]
pub struct Backup {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub status: BackupStatus,
    pub step: Option<String>,
    pub tier: Tier,
    pub schema_name: Option<String>,
    pub schema_version: i64,
    pub modules: Vec<String>,
    #[serde(skip)]
    pub object_key: String,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// Why a backup or restore was not started; each names its reason.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    /// Only a tenant whose data is there and whose role can log in is copied.
    #[error("A tenant that is {0} cannot be backed up or restored.")]
    NotCopyable(TenantStatus),
    #[error("There is no backup {0} of this tenant.")]
    NotFound(String),
    #[error("Restoring replaces all of the tenant's data: type the slug “{0}” to confirm.")]
    ConfirmationNeeded(String),
    #[error("{0}")]
    Create(#[from] CreateError),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// A job that was queued: the CLI and pages follow it by its id.
#[derive(Clone, Copy, Debug)]
pub struct Queued {
    pub job_id: i64,
    pub backup_id: Uuid,
    pub tenant_id: Uuid,
}

/// Only a tenant whose database or schema is there and whose role can log in.
fn can_be_copied(tenant: &Tenant) -> Result<(), BackupError> {
    match tenant.status {
        TenantStatus::Active | TenantStatus::Suspended => Ok(()),
        status => Err(BackupError::NotCopyable(status)),
    }
}

/// Refuses a second backup or restore while one of the tenant's is waiting or running.
async fn none_in_progress(tx: &mut sqlx::PgConnection, tenant: Uuid) -> Result<(), BackupError> {
    // A backup taken across a move would record one place and dump another.
    if crate::tenancy::moves::job_in_progress(&mut *tx, tenant)
        .await?
        .as_deref()
        == Some("move")
    {
        return Err(BackupError::Refused(
            "The tenant is being moved; wait for the move to finish.".into(),
        ));
    }
    let busy = sqlx::query_scalar!(
        r#"select kind from provisioning_jobs
           where tenant_id = $1 and status = 'queued' and kind in ('backup', 'restore') limit 1"#,
        tenant
    )
    .fetch_optional(&mut *tx)
    .await?;
    match busy.as_deref() {
        None => Ok(()),
        Some(kind) => Err(BackupError::Refused(format!(
            "A {kind} of this tenant is already in progress; wait for it to finish."
        ))),
    }
}

/// Queues a backup of `tenant`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request_backup(
    t: &Tenancy,
    tenant: &Tenant,
    actor: &Actor,
    origin: &Origin,
) -> Result<Queued, BackupError> {
    can_be_copied(tenant)?;
    let modules = t.enabled_modules(tenant.id).await?;
    let mut tx = t.db.begin().await?;
    sqlx::query!("select id from tenants where id = $1 for update", tenant.id)
        .fetch_one(&mut *tx)
        .await?;
    none_in_progress(&mut tx, tenant.id).await?;
    let id = Uuid::now_v7();
    let key = format!("{}/{id}.tbk", tenant.id);
    sqlx::query!(
        "insert into tenant_backups (id, tenant_id, tier, schema_name, schema_version, modules, object_key, requested_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        tenant.id,
        tenant.tier.as_str(),
        tenant.schema_name,
        tenant.schema_version,
        &modules,
        key,
        actor.label
    )
    .execute(&mut *tx)
    .await?;
    let job_id = sqlx::query_scalar!(
        "insert into provisioning_jobs (tenant_id, kind, backup_id) values ($1, 'backup', $2) returning id",
        tenant.id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.backup_requested",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant.id, "backup_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    t.wake.notify_one();
    Ok(Queued {
        job_id,
        backup_id: id,
        tenant_id: tenant.id,
    })
}

/// A tenant's backups, newest first.
pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<Backup>> {
    sqlx::query_as!(
        Backup,
        r#"select id, tenant_id, status as "status: _", step, tier as "tier: _", schema_name, schema_version,
                  modules, object_key, size_bytes, sha256, error, requested_by, created_at, finished_at
           from tenant_backups where tenant_id = $1 order by created_at desc"#,
        tenant
    )
    .fetch_all(db)
    .await
}

/// One backup by id.
pub async fn get(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Backup>> {
    sqlx::query_as!(
        Backup,
        r#"select id, tenant_id, status as "status: _", step, tier as "tier: _", schema_name, schema_version,
                  modules, object_key, size_bytes, sha256, error, requested_by, created_at, finished_at
           from tenant_backups where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// The backup `id` (as typed) of `tenant`: another tenant's backup is not found here,
/// so it can never be restored into this one.
pub async fn of_tenant(db: &PgPool, tenant: &Tenant, id: &str) -> Result<Backup, BackupError> {
    let shown: String = id.chars().take(40).collect();
    let parsed = Uuid::parse_str(id.trim()).map_err(|_| BackupError::NotFound(shown.clone()))?;
    match get(db, parsed).await? {
        Some(b) if b.tenant_id == tenant.id => Ok(b),
        _ => Err(BackupError::NotFound(shown)),
    }
}

fn restorable(backup: &Backup) -> Result<(), BackupError> {
    if backup.status != BackupStatus::Done {
        return Err(BackupError::Refused(format!(
            "That backup is {}: only a finished backup can be restored.",
            backup.status
        )));
    }
    Ok(())
}

/// Queues a restore of `backup` (one of `tenant`'s own) over `tenant`'s data, after the
/// slug was typed to confirm.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request_restore(
    t: &Tenancy,
    tenant: &Tenant,
    backup: &Backup,
    confirm: Option<&str>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Queued, BackupError> {
    if backup.tenant_id != tenant.id {
        return Err(BackupError::Refused(
            "A backup can only be restored into its own tenant, or into a new one.".into(),
        ));
    }
    restorable(backup)?;
    can_be_copied(tenant)?;
    if backup.tier != tenant.tier {
        return Err(BackupError::Refused(format!(
            "That backup is of the {} tier and the tenant is now {}: restore it into a new tenant instead.",
            backup.tier, tenant.tier
        )));
    }
    if confirm.map(str::trim) != Some(tenant.slug.as_str()) {
        return Err(BackupError::ConfirmationNeeded(tenant.slug.clone()));
    }
    let mut tx = t.db.begin().await?;
    let status = sqlx::query_scalar!(
        r#"select status as "status: TenantStatus" from tenants where id = $1 for update"#,
        tenant.id
    )
    .fetch_one(&mut *tx)
    .await?;
    none_in_progress(&mut tx, tenant.id).await?;
    let job_id = sqlx::query_scalar!(
        "insert into provisioning_jobs (tenant_id, kind, backup_id, detail) values ($1, 'restore', $2, $3) returning id",
        tenant.id,
        backup.id,
        json!({ "previous": status })
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.restore_requested",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant.id, "backup_id": backup.id }),
        },
    )
    .await?;
    tx.commit().await?;
    t.wake.notify_one();
    Ok(Queued {
        job_id,
        backup_id: backup.id,
        tenant_id: tenant.id,
    })
}

/// Creates a new tenant `slug` (the source's name, plan, tier and modules) and queues,
/// after its provisioning, the restore of `backup` into it.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request_clone(
    t: &Tenancy,
    source: &Tenant,
    backup: &Backup,
    slug: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<Queued, BackupError> {
    if backup.tenant_id != source.id {
        return Err(BackupError::NotFound(backup.id.to_string()));
    }
    restorable(backup)?;
    let mut tx = t.db.begin().await?;
    let new = NewTenant {
        slug,
        name: &source.name,
        plan: &source.plan_id,
        tier: Some(backup.tier.as_str()),
    };
    let id = tenants::create_in(&mut tx, new, None, None, actor, origin)
        .await?
        .id;
    for module in &backup.modules {
        sqlx::query!(
            "insert into tenant_modules (tenant_id, module) values ($1, $2) on conflict do nothing",
            id,
            module
        )
        .execute(&mut *tx)
        .await?;
    }
    let job_id = sqlx::query_scalar!(
        "insert into provisioning_jobs (tenant_id, kind, backup_id, detail) values ($1, 'restore', $2, $3) returning id",
        id,
        backup.id,
        json!({ "previous": TenantStatus::Active, "clone_of": source.slug })
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.clone_requested",
            tenant: Some(source.id),
            target: Some(&source.slug),
            origin,
            details: json!({ "tenant_id": source.id, "backup_id": backup.id, "clone": slug }),
        },
    )
    .await?;
    tx.commit().await?;
    t.changed(id);
    t.wake.notify_one();
    Ok(Queued {
        job_id,
        backup_id: backup.id,
        tenant_id: id,
    })
}

/// Removes a purged tenant's archives from the store (the rows stay, marked purged).
/// Returns how many were removed.
pub async fn purge_all(t: &Tenancy, tenant: Uuid) -> anyhow::Result<usize> {
    let keys = sqlx::query!(
        "select id, object_key from tenant_backups where tenant_id = $1 and status <> 'purged'",
        tenant
    )
    .fetch_all(&t.db)
    .await?;
    if keys.is_empty() {
        return Ok(0);
    }
    let store = t.backup_settings.store.open()?;
    for b in &keys {
        store.delete(&b.object_key).await?;
        sqlx::query!(
            "update tenant_backups set status = 'purged', step = null where id = $1",
            b.id
        )
        .execute(&t.db)
        .await?;
    }
    Ok(keys.len())
}

/// How a job ended, for the CLI.
pub struct JobEnd {
    pub failed: Option<String>,
}

/// Waits for job `id` to finish, running the worker in this process meanwhile (so the
/// CLI works with or without `serve`); `progress` hears each step as it starts.
pub async fn wait(
    t: &Tenancy,
    id: i64,
    timeout: Duration,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<JobEnd> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        crate::tenancy::worker::run_next(t, None).await?;
        let job = sqlx::query!(
            r#"select j.status, j.last_error, coalesce(b.step, t.progress_step) as step
               from provisioning_jobs j join tenants t on t.id = j.tenant_id
               left join tenant_backups b on b.id = j.backup_id and j.kind = 'backup'
               where j.id = $1"#,
            id
        )
        .fetch_one(&t.db)
        .await?;
        match job.status.as_str() {
            "done" => return Ok(JobEnd { failed: None }),
            "failed" => {
                return Ok(JobEnd {
                    failed: Some(job.last_error.unwrap_or_else(|| "no error recorded".into())),
                });
            }
            _ => {}
        }
        if let Some(step) = job.step.as_deref() {
            progress(step);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the job is still running after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
