//! Backups on each plan's schedule, and their end: a sweep (run by the worker about once
//! a minute, by one instance at a time) queues a backup of every active tenant whose
//! plan asks for one every N hours and whose latest backup — good or failed, so a failing
//! tenant is retried once per period, not in a loop — or, before its first, whose
//! creation is older than that; and removes
//! from the store the backups older than the plan's days to keep, except each tenant's
//! newest good one and any a restore is about to read. A removed backup's row stays,
//! marked `expired`, and the removal is audited.

use serde_json::json;
use uuid::Uuid;

use super::{BackupError, store::StoreConfig};
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::tenants;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub queued: usize,
    pub expired: usize,
}

/// Tenants queued per sweep: the next sweep takes the rest, so a fleet whose plans all
/// start a schedule at once is spread over minutes rather than queued in one go.
const PER_SWEEP: i64 = 20;

/// Runs one sweep; does nothing without a backup store or when another instance holds
/// the sweep.
#[tracing::instrument(skip_all, err)]
pub async fn sweep(t: &Tenancy) -> anyhow::Result<Swept> {
    if matches!(t.backup_settings.store, StoreConfig::None) {
        return Ok(Swept::default());
    }
    let mut lock = t.db.begin().await?;
    let ours = sqlx::query_scalar!(
        r#"select pg_try_advisory_xact_lock(hashtext('tenantry.backup_schedule')) as "ours!""#
    )
    .fetch_one(&mut *lock)
    .await?;
    if !ours {
        return Ok(Swept::default());
    }
    let swept = Swept {
        queued: queue_due(t).await?,
        expired: expire_old(t).await?,
    };
    lock.commit().await?;
    if swept != Swept::default() {
        tracing::info!(
            queued = swept.queued,
            expired = swept.expired,
            "backup schedule"
        );
    }
    Ok(swept)
}

/// Queues the backups that are due; returns how many.
async fn queue_due(t: &Tenancy) -> anyhow::Result<usize> {
    let due = sqlx::query_scalar!(
        r#"select t.id from tenants t join plans p on p.id = t.plan_id
           where t.status = 'active' and p.backup_every_hours is not null
             and coalesce((select max(b.created_at) from tenant_backups b
                           where b.tenant_id = t.id and b.status in ('queued', 'running', 'done', 'failed')),
                          t.created_at) < now() - make_interval(hours => p.backup_every_hours)
           order by t.created_at
           limit $1"#,
        PER_SWEEP
    )
    .fetch_all(&t.db)
    .await?;
    let scheduler = Actor {
        id: None,
        label: "backup schedule".to_owned(),
    };
    let mut queued = 0;
    for id in due {
        let Some(tenant) = tenants::get(&t.db, id).await? else {
            continue;
        };
        match super::request_backup(t, &tenant, &scheduler, &Origin::default()).await {
            Ok(_) => queued += 1,
            // Another backup, restore or a state change got there first: next period.
            Err(why @ (BackupError::Refused(_) | BackupError::NotCopyable(_))) => {
                tracing::debug!(tenant = %tenant.slug, %why, "scheduled backup skipped");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(queued)
}

/// Removes the backups past their plan's days to keep; returns how many.
async fn expire_old(t: &Tenancy) -> anyhow::Result<usize> {
    let old = sqlx::query!(
        r#"select b.id, b.tenant_id, b.object_key, t.slug, p.backup_keep_days
           from tenant_backups b
           join tenants t on t.id = b.tenant_id
           join plans p on p.id = t.plan_id
           where b.status in ('done', 'failed')
             and b.created_at < now() - make_interval(days => p.backup_keep_days)
             and b.id is distinct from (select n.id from tenant_backups n
                                        where n.tenant_id = b.tenant_id and n.status = 'done'
                                        order by n.created_at desc limit 1)
             and not exists (select 1 from provisioning_jobs j
                             where j.backup_id = b.id and j.status = 'queued')
           order by b.created_at
           limit 100"#
    )
    .fetch_all(&t.db)
    .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let store = t.backup_settings.store.open()?;
    for b in &old {
        // Store first: a crash between the two leaves a row that the next sweep expires
        // again (deleting a missing object is fine), never a row without its object
        // that still says `done`.
        store.delete(&b.object_key).await?;
        expired(t, b.id, b.tenant_id, &b.slug, b.backup_keep_days).await?;
    }
    Ok(old.len())
}

async fn expired(
    t: &Tenancy,
    id: Uuid,
    tenant: Uuid,
    slug: &str,
    keep_days: i32,
) -> sqlx::Result<()> {
    let mut tx = t.db.begin().await?;
    sqlx::query!(
        "update tenant_backups set status = 'expired', step = null where id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::system(),
            action: "tenant.backup_expired",
            tenant: Some(tenant),
            target: Some(slug),
            origin: &Origin::default(),
            details: json!({ "tenant_id": tenant, "backup_id": id, "keep_days": keep_days }),
        },
    )
    .await?;
    tx.commit().await
}
