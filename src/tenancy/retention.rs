//! When a deleted tenant's retention period ends, it is purged: a sweep (run by the
//! worker about once a minute, by one instance at a time) queues the purge job, which
//! drops its data and role and then its backups.

use serde_json::json;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;

/// Queues a purge for every deleted tenant whose retention has ended; returns how many.
#[tracing::instrument(skip_all, err)]
pub async fn sweep(t: &Tenancy) -> sqlx::Result<u64> {
    let mut tx = t.db.begin().await?;
    // One sweeper at a time across instances; the others skip this round.
    let ours = sqlx::query_scalar!(
        r#"select pg_try_advisory_xact_lock(hashtext('tenantry.retention')) as "ours!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if !ours {
        return Ok(0);
    }
    let due = sqlx::query!(
        r#"select id, slug, deleted_at as "deleted_at!" from tenants
           where status = 'deleted' and deleted_at is not null
             and deleted_at + make_interval(days => $1) <= now()
             and not exists (select 1 from provisioning_jobs j
                             where j.tenant_id = tenants.id and j.kind = 'purge' and j.status in ('queued', 'failed'))
           order by deleted_at
           limit 100"#,
        i32::try_from(t.retention_days).unwrap_or(i32::MAX)
    )
    .fetch_all(&mut *tx)
    .await?;
    let system = Actor::system();
    let origin = Origin::default();
    for tenant in &due {
        sqlx::query!(
            "insert into provisioning_jobs (tenant_id, kind) values ($1, 'purge')",
            tenant.id
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            NewEvent {
                actor: &system,
                action: "tenant.retention_ended",
                tenant: Some(tenant.id),
                target: Some(&tenant.slug),
                origin: &origin,
                details: json!({
                    "tenant_id": tenant.id,
                    "retention_days": t.retention_days,
                    "deleted_at": tenant.deleted_at.unix_timestamp(),
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if !due.is_empty() {
        tracing::info!(
            count = due.len(),
            "retention ended: purges queued for deleted tenants"
        );
        t.wake.notify_one();
    }
    Ok(due.len() as u64)
}
