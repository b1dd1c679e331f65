//! The tenant lifecycle: `pending → provisioning → active ⇄ suspended → deleted → purged`.
//! One function decides which transitions are allowed and performs them, audited in the
//! same transaction as the status change.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::provision::{self, Context};
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::Tenant;

crate::text_enum! {
    /// What staff (or the CLI) can do to a tenant; the word is the form's and the verb's.
    pub enum Action {
        Suspend = "suspend",
        Activate = "activate",
        Delete = "delete",
        Restore = "restore",
        Purge = "purge",
        Retry = "retry",
    }
}

impl Action {
    fn audit_action(self) -> &'static str {
        match self {
            Self::Suspend => "tenant.suspended",
            Self::Activate => "tenant.reactivated",
            Self::Delete => "tenant.deleted",
            Self::Restore => "tenant.restored",
            Self::Purge => "tenant.purge_requested",
            Self::Retry => "tenant.provisioning_retried",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("{0}")]
    Refused(Refused),
    #[error("The retention period has not ended: type the slug “{0}” to purge now.")]
    ConfirmationNeeded(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

/// Why the lifecycle refuses an action. The words here are the CLI's and the English
/// fallback; the consoles say each reason in the reader's language from its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("The tenant is {0}: delete it before purging it.")]
    DeleteBeforePurge(TenantStatus),
    #[error("The tenant has been purged; nothing can be done with it.")]
    Purged,
    #[error("The tenant is being set up; wait for it to finish (or retry a failed step).")]
    BeingSetUp,
    #[error("There is no failed job to retry.")]
    NoFailedJob,
    #[error("A tenant that is {status} cannot be {}.", past_tense(*.action))]
    NotFrom {
        status: TenantStatus,
        action: Action,
    },
    #[error("A backup is being restored into this tenant; wait for it to finish.")]
    Restoring,
    #[error("The tenant is being moved to another place; wait for the move to finish.")]
    Moving,
}

/// Whether `action` may be applied to a tenant in `status` (with a failed job or not).
pub fn allowed(status: TenantStatus, action: Action, has_failed_job: bool) -> Result<(), Refused> {
    use TenantStatus::*;
    let ok = match action {
        Action::Suspend => status == Active,
        Action::Activate => status == Suspended,
        Action::Delete => matches!(status, Active | Suspended),
        Action::Restore | Action::Purge => status == Deleted,
        Action::Retry => has_failed_job,
    };
    if ok {
        return Ok(());
    }
    Err(match (action, status) {
        (Action::Purge, Active | Suspended) => Refused::DeleteBeforePurge(status),
        (_, Purged) => Refused::Purged,
        (_, Pending | Provisioning) => Refused::BeingSetUp,
        (Action::Retry, _) => Refused::NoFailedJob,
        _ => Refused::NotFrom { status, action },
    })
}

/// The actions [`allowed`] for a tenant in `status`, in the order pages show them.
pub fn available(status: TenantStatus, has_failed_job: bool) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| allowed(status, *a, has_failed_job).is_ok())
        .collect()
}

fn past_tense(action: Action) -> &'static str {
    match action {
        Action::Suspend => "suspended",
        Action::Activate => "activated",
        Action::Delete => "deleted",
        Action::Restore => "restored",
        Action::Purge => "purged",
        Action::Retry => "retried",
    }
}

/// Applies `action` to `tenant`. `confirm` is the slug typed to purge early.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn apply(
    t: &Tenancy,
    tenant: &Tenant,
    action: Action,
    confirm: Option<&str>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), LifecycleError> {
    let failed_job = sqlx::query_scalar!(
        "select id from provisioning_jobs where tenant_id = $1 and status = 'failed'
         and kind in ('provision', 'purge')
         and not exists (select 1 from provisioning_jobs q where q.tenant_id = $1 and q.status = 'queued')
         order by id desc limit 1",
        tenant.id
    )
    .fetch_optional(&t.db)
    .await?;
    allowed(tenant.status, action, failed_job.is_some()).map_err(LifecycleError::Refused)?;
    // A restore suspends the tenant and gives it its status back when it ends.
    if matches!(action, Action::Activate | Action::Delete | Action::Purge)
        && sqlx::query_scalar!(
            r#"select exists(select 1 from provisioning_jobs
                             where tenant_id = $1 and kind = 'restore' and status = 'queued') as "e!""#,
            tenant.id
        )
        .fetch_one(&t.db)
        .await?
    {
        return Err(LifecycleError::Refused(Refused::Restoring));
    }
    // A move suspends the tenant and gives it its status back when it ends.
    if action != Action::Retry && crate::tenancy::moves::moving(&t.db, tenant.id).await? {
        return Err(LifecycleError::Refused(Refused::Moving));
    }
    if action == Action::Purge {
        let retention_ends = tenant.deleted_at.unwrap_or(OffsetDateTime::now_utc())
            + Duration::days(i64::from(t.retention_days));
        if OffsetDateTime::now_utc() < retention_ends
            && confirm.map(str::trim) != Some(tenant.slug.as_str())
        {
            return Err(LifecycleError::ConfirmationNeeded(tenant.slug.clone()));
        }
    }

    // Pools go first, so nothing keeps serving a tenant that is being switched off.
    if matches!(action, Action::Suspend | Action::Delete | Action::Purge) {
        t.pools.evict(tenant.id).await;
    }
    let mut tx = t.db.begin().await?;
    // Re-read under a row lock: two staff clicking at once must not both win.
    let status = sqlx::query_scalar!(
        r#"select status as "status: TenantStatus" from tenants where id = $1 for update"#,
        tenant.id
    )
    .fetch_one(&mut *tx)
    .await?;
    allowed(status, action, failed_job.is_some()).map_err(LifecycleError::Refused)?;
    match action {
        Action::Suspend => {
            set_status(
                &mut tx,
                tenant,
                TenantStatus::Suspended,
                "suspended_at = now()",
            )
            .await?
        }
        Action::Activate => {
            set_status(&mut tx, tenant, TenantStatus::Active, "suspended_at = null").await?
        }
        Action::Delete => {
            set_status(&mut tx, tenant, TenantStatus::Deleted, "deleted_at = now()").await?;
            crate::auth::sessions::end_for_tenant(&mut tx, tenant.id).await?;
            provision::set_login(&context(t, tenant)?, false).await?;
        }
        Action::Restore => {
            set_status(&mut tx, tenant, TenantStatus::Active, "deleted_at = null").await?;
            provision::set_login(&context(t, tenant)?, true).await?;
        }
        Action::Purge => {
            sqlx::query!(
                "insert into provisioning_jobs (tenant_id, kind) values ($1, 'purge')",
                tenant.id
            )
            .execute(&mut *tx)
            .await?;
        }
        Action::Retry => {
            sqlx::query!(
                "update provisioning_jobs set status = 'queued', finished_at = null where id = $1",
                failed_job
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: action.audit_action(),
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant.id, "from": status }),
        },
    )
    .await?;
    tx.commit().await?;
    t.changed(tenant.id);
    if matches!(action, Action::Purge | Action::Retry) {
        t.wake.notify_one();
    }
    Ok(())
}

async fn set_status(
    tx: &mut sqlx::PgConnection,
    tenant: &Tenant,
    status: TenantStatus,
    stamp: &str,
) -> sqlx::Result<()> {
    // `stamp` is one of the fixed assignments above, never user input.
    let sql = format!("update tenants set status = $2, {stamp}, updated_at = now() where id = $1");
    sqlx::query(&sql)
        .bind(tenant.id)
        .bind(status)
        .execute(tx)
        .await?;
    Ok(())
}

fn context(t: &Tenancy, tenant: &Tenant) -> anyhow::Result<Context> {
    Ok(Context::new(t, tenant.clone(), Vec::new(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table() {
        assert!(allowed(TenantStatus::Active, Action::Suspend, false).is_ok());
        assert!(allowed(TenantStatus::Suspended, Action::Activate, false).is_ok());
        assert!(allowed(TenantStatus::Deleted, Action::Purge, false).is_ok());
        let refused = allowed(TenantStatus::Active, Action::Purge, false).unwrap_err();
        assert!(
            refused.to_string().contains("delete it before purging"),
            "{refused}"
        );
        assert_eq!(
            allowed(TenantStatus::Purged, Action::Activate, false),
            Err(Refused::Purged)
        );
        assert_eq!(
            allowed(TenantStatus::Suspended, Action::Suspend, false)
                .unwrap_err()
                .to_string(),
            "A tenant that is suspended cannot be suspended."
        );
        assert!(allowed(TenantStatus::Active, Action::Activate, false).is_err());
        assert!(allowed(TenantStatus::Provisioning, Action::Retry, true).is_ok());
        assert!(allowed(TenantStatus::Provisioning, Action::Suspend, false).is_err());
    }
}
