//! A tenant's export as a durable job. Asking queues it and gives the single-use link
//! (only its hash is kept); the worker builds the archive ([`export::write`]) and keeps it
//! in the backup store, sealed with the master key; the link downloads it once it is
//! ready — once, within [`export::LINK_MINUTES`] of being ready — and the stored copy
//! goes with that download or at expiry. A crash mid-way leaves the job queued: the next
//! run builds the archive again from the start (nothing is visible before it is whole).

use std::path::Path;

use serde_json::json;
use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::backup::archive;
use crate::tenancy::export;
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::{self, Tenant};
use crate::tenancy::worker::JobOutcome;

/// How long a link waits for its export to be built before it is of no use.
const BUILD_HOURS: i32 = 24;

/// A queued export.
pub struct Requested {
    pub job_id: i64,
    pub export_id: Uuid,
    /// The link's token, shown once.
    pub token: String,
}

/// Queues an export of `tenant` (active or suspended: its role must log in).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request(
    t: &Tenancy,
    tenant: &Tenant,
    actor: &Actor,
    origin: &Origin,
) -> anyhow::Result<Requested> {
    if !matches!(
        tenant.status,
        TenantStatus::Active | TenantStatus::Suspended
    ) {
        anyhow::bail!(
            "A tenant that is {} cannot be exported: its data is not there to read.",
            tenant.status
        );
    }
    let (token, hash) = crate::auth::token::generate();
    let export_id = Uuid::now_v7();
    let mut tx = t.db.begin().await?;
    sqlx::query(
        "insert into tenant_exports (id, tenant_id, token_hash, created_by, status, expires_at)
         values ($1, $2, $3, $4, 'queued', now() + make_interval(hours => $5))",
    )
    .bind(export_id)
    .bind(tenant.id)
    .bind(&hash[..])
    .bind(actor.id)
    .bind(BUILD_HOURS)
    .execute(&mut *tx)
    .await?;
    let job_id: i64 = sqlx::query_scalar(
        "insert into provisioning_jobs (tenant_id, kind, detail) values ($1, 'export', $2) returning id",
    )
    .bind(tenant.id)
    .bind(json!({ "export_id": export_id }))
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.export_requested",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant.id, "export_id": export_id }),
        },
    )
    .await?;
    tx.commit().await?;
    t.wake.notify_one();
    Ok(Requested {
        job_id,
        export_id,
        token,
    })
}

fn object_key(tenant: Uuid, export_id: Uuid) -> String {
    format!("exports/{tenant}/{export_id}.tbk")
}

/// Runs a claimed export job and records how it ended in `claim`. `stop_after` is the
/// test hook of every job: stop after that many steps (building, storing) as a crash would.
pub async fn run(
    t: &Tenancy,
    mut claim: Transaction<'static, Postgres>,
    job_id: i64,
    tenant_id: Uuid,
    detail: &serde_json::Value,
    stop_after: Option<usize>,
) -> anyhow::Result<JobOutcome> {
    let export_id: Uuid = detail["export_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("export job {job_id} names no export"))?;
    let tenant = tenants::get(&t.db, tenant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {job_id} names a missing tenant"))?;
    let key = object_key(tenant.id, export_id);
    let built = match build(t, &tenant, export_id, &key, stop_after).await {
        Ok(None) => {
            claim.rollback().await?;
            return Ok(JobOutcome::Interrupted { tenant_id });
        }
        Ok(Some(size)) => Ok(size),
        Err(e) => Err(format!("{e:#}")),
    };
    let (action, details) = match &built {
        Ok(size) => {
            sqlx::query(
                "update tenant_exports set status = 'ready', object_key = $2, size_bytes = $3,
                        ready_at = now(), expires_at = now() + make_interval(mins => $4)
                 where id = $1",
            )
            .bind(export_id)
            .bind(&key)
            .bind(size)
            .bind(export::LINK_MINUTES as i32)
            .execute(&mut *claim)
            .await?;
            (
                "tenant.export_ready",
                json!({ "tenant_id": tenant_id, "export_id": export_id, "size_bytes": size }),
            )
        }
        Err(message) => {
            tracing::error!(tenant = %tenant.slug, error = %message, "export failed");
            sqlx::query("update tenant_exports set status = 'failed', error = $2 where id = $1")
                .bind(export_id)
                .bind(message)
                .execute(&mut *claim)
                .await?;
            (
                "tenant.export_failed",
                json!({ "tenant_id": tenant_id, "export_id": export_id, "error": message }),
            )
        }
    };
    sqlx::query(
        "update provisioning_jobs set status = $2, last_error = $3, finished_at = now(),
                attempts = attempts + 1 where id = $1",
    )
    .bind(job_id)
    .bind(if built.is_ok() { "done" } else { "failed" })
    .bind(built.as_ref().err())
    .execute(&mut *claim)
    .await?;
    audit::record(
        &mut *claim,
        NewEvent {
            actor: &Actor::system(),
            action,
            tenant: Some(tenant_id),
            target: Some(&tenant.slug),
            origin: &Origin::default(),
            details,
        },
    )
    .await?;
    claim.commit().await?;
    Ok(match built {
        Ok(_) => JobOutcome::Done { tenant_id },
        Err(_) => JobOutcome::Failed { tenant_id },
    })
}

/// Builds the archive and stores it sealed at `key`: its sealed size, or `None` when
/// the test hook stopped it.
async fn build(
    t: &Tenancy,
    tenant: &Tenant,
    export_id: Uuid,
    key: &str,
    stop_after: Option<usize>,
) -> anyhow::Result<Option<i64>> {
    if stop_after == Some(0) {
        return Ok(None);
    }
    let work = tempfile::Builder::new()
        .prefix("tenantry-export-")
        .tempdir()?;
    let tar = work.path().join("export.tar");
    export::write(t, tenant, &tar, &Actor::system(), &Origin::default()).await?;
    if stop_after == Some(1) {
        return Ok(None);
    }
    let store = t.backup_settings.store.open()?;
    let mut plain = tokio::fs::File::open(&tar).await?;
    let sealed = store
        .put_sealed(key, &t.key, export_id, tenant.id, &mut plain)
        .await?;
    Ok(Some(i64::try_from(sealed.size)?))
}

/// What a link leads to.
pub enum Redeemed {
    /// Spent now: the export to download (see [`fetch`]).
    Ready(Ready),
    /// Still being built: the link is not spent; ask again in a moment.
    Preparing,
    /// Its job failed, with why.
    Failed(String),
    /// Unknown, used or expired (all the same to the caller).
    Gone,
}

pub struct Ready {
    pub export_id: Uuid,
    pub tenant_id: Uuid,
    key: String,
}

/// Where a link's export stands, without spending the link.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkState {
    Preparing,
    Ready,
    Failed(String),
    /// Unknown, used or expired.
    Gone,
}

/// Looks a link up: its export's id (when known and unspent) and where it stands.
async fn look(t: &Tenancy, plain: &str) -> sqlx::Result<(Option<Uuid>, LinkState)> {
    let hash = crate::auth::token::hash(plain);
    let Some(row) = sqlx::query(
        "select id, status, error, used_at is not null or expires_at <= now() as spent
         from tenant_exports where token_hash = $1",
    )
    .bind(&hash[..])
    .fetch_optional(&t.db)
    .await?
    else {
        return Ok((None, LinkState::Gone));
    };
    if row.try_get::<bool, _>("spent")? {
        return Ok((None, LinkState::Gone));
    }
    let status: String = row.try_get("status")?;
    let state = match status.as_str() {
        "queued" => LinkState::Preparing,
        "failed" => LinkState::Failed(row.try_get("error")?),
        "ready" => LinkState::Ready,
        _ => LinkState::Gone,
    };
    Ok((Some(row.try_get("id")?), state))
}

/// Where the link's export stands (the page polls this while it is prepared).
pub async fn state(t: &Tenancy, plain: &str) -> sqlx::Result<LinkState> {
    Ok(look(t, plain).await?.1)
}

/// Follows a link: spends it only when its export is ready.
pub async fn redeem(t: &Tenancy, plain: &str) -> sqlx::Result<Redeemed> {
    let id = match look(t, plain).await? {
        (Some(id), LinkState::Ready) => id,
        (_, LinkState::Preparing) => return Ok(Redeemed::Preparing),
        (_, LinkState::Failed(error)) => return Ok(Redeemed::Failed(error)),
        _ => return Ok(Redeemed::Gone),
    };
    let spent = sqlx::query(
        "update tenant_exports set used_at = now()
         where id = $1 and used_at is null and expires_at > now() and object_key is not null
         returning tenant_id, object_key",
    )
    .bind(id)
    .fetch_optional(&t.db)
    .await?;
    Ok(match spent {
        Some(r) => Redeemed::Ready(Ready {
            export_id: id,
            tenant_id: r.try_get("tenant_id")?,
            key: r.try_get("object_key")?,
        }),
        None => Redeemed::Gone,
    })
}

/// Writes the spent export `ready` as the plain tar archive to `out` (checked as it is
/// unsealed), records who took it, then removes the stored copy: a link downloads once.
pub async fn fetch(
    t: &Tenancy,
    ready: &Ready,
    out: &Path,
    actor: &Actor,
    origin: &Origin,
) -> anyhow::Result<u64> {
    let store = t.backup_settings.store.open()?;
    let work = tempfile::Builder::new()
        .prefix("tenantry-export-")
        .tempdir()?;
    let sealed_path = work.path().join("sealed");
    let mut sealed = tokio::fs::File::create(&sealed_path).await?;
    store.download(&ready.key, &mut sealed).await?;
    drop(sealed);
    let mut sealed = tokio::fs::File::open(&sealed_path).await?;
    let mut plain = tokio::fs::File::create(out).await?;
    let size = archive::open(
        &t.key,
        ready.export_id,
        ready.tenant_id,
        &mut sealed,
        &mut plain,
    )
    .await
    .map_err(|e| anyhow::anyhow!("the stored export cannot be read: {e}"))?;
    tokio::io::AsyncWriteExt::flush(&mut plain).await?;
    audit::record(
        &t.db,
        NewEvent {
            actor,
            action: "tenant.export_downloaded",
            tenant: Some(ready.tenant_id),
            target: None,
            origin,
            details: json!({ "tenant_id": ready.tenant_id, "export_id": ready.export_id, "bytes": size }),
        },
    )
    .await?;
    forget(t, ready.export_id, &ready.key).await?;
    Ok(size)
}

/// Removes an export's stored copy and marks it gone.
async fn forget(t: &Tenancy, export_id: Uuid, key: &str) -> anyhow::Result<()> {
    t.backup_settings.store.open()?.delete(key).await?;
    sqlx::query("update tenant_exports set status = 'gone', object_key = null where id = $1")
        .bind(export_id)
        .execute(&t.db)
        .await?;
    Ok(())
}

/// Removes the stored copies of exports whose link expired unused (run with the other
/// sweeps, about once a minute); how many.
pub async fn sweep_expired(t: &Tenancy) -> anyhow::Result<usize> {
    let expired = sqlx::query(
        "select id, object_key from tenant_exports
         where status = 'ready' and object_key is not null and expires_at <= now()
         order by expires_at limit 100",
    )
    .fetch_all(&t.db)
    .await?;
    for row in &expired {
        forget(t, row.try_get("id")?, row.try_get("object_key")?).await?;
    }
    Ok(expired.len())
}
