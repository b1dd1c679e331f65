//! The tenant lifecycle: `pending → provisioning → active ⇄ suspended → deleted → purged`.
//! One function decides which transitions are allowed and performs them, audited in the
//! same transaction as the status change.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::provision::{self, Context};
use crate::tenancy::tenants::Tenant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Suspend,
    Activate,
    Delete,
    Restore,
    Purge,
    Retry,
}

impl Action {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "suspend" => Self::Suspend,
            "activate" => Self::Activate,
            "delete" => Self::Delete,
            "restore" => Self::Restore,
            "purge" => Self::Purge,
            "retry" => Self::Retry,
            _ => return None,
        })
    }

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
    Refused(String),
    #[error("The retention period has not ended: type the slug “{0}” to purge now.")]
    ConfirmationNeeded(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Whether `action` may be applied to a tenant in `status` (with a failed job or not).
pub fn allowed(status: &str, action: Action, has_failed_job: bool) -> Result<(), String> {
    let ok = match action {
        Action::Suspend => status == "active",
        Action::Activate => status == "suspended",
        Action::Delete => matches!(status, "active" | "suspended"),
        Action::Restore => status == "deleted",
        Action::Purge => status == "deleted",
        Action::Retry => has_failed_job,
    };
    if ok {
        return Ok(());
    }
    Err(match (action, status) {
        (Action::Purge, "active" | "suspended") => {
            format!("The tenant is {status}: delete it before purging it.")
        }
        (_, "purged") => "The tenant has been purged; nothing can be done with it.".to_owned(),
        (_, "pending" | "provisioning") => {
            "The tenant is being set up; wait for it to finish (or retry a failed step).".to_owned()
        }
        (Action::Retry, _) => "There is no failed job to retry.".to_owned(),
        _ => format!(
            "A tenant that is {status} cannot be {}.",
            past_tense(action)
        ),
    })
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
         and not exists (select 1 from provisioning_jobs q where q.tenant_id = $1 and q.status = 'queued')
         order by id desc limit 1",
        tenant.id
    )
    .fetch_optional(&t.db)
    .await?;
    allowed(&tenant.status, action, failed_job.is_some()).map_err(LifecycleError::Refused)?;
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
        "select status from tenants where id = $1 for update",
        tenant.id
    )
    .fetch_one(&mut *tx)
    .await?;
    allowed(&status, action, failed_job.is_some()).map_err(LifecycleError::Refused)?;
    match action {
        Action::Suspend => set_status(&mut tx, tenant, "suspended", "suspended_at = now()").await?,
        Action::Activate => set_status(&mut tx, tenant, "active", "suspended_at = null").await?,
        Action::Delete => {
            set_status(&mut tx, tenant, "deleted", "deleted_at = now()").await?;
            provision::set_login(&context(t, tenant)?, false).await?;
        }
        Action::Restore => {
            set_status(&mut tx, tenant, "active", "deleted_at = null").await?;
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
    status: &str,
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
        assert!(allowed("active", Action::Suspend, false).is_ok());
        assert!(allowed("suspended", Action::Activate, false).is_ok());
        assert!(allowed("deleted", Action::Purge, false).is_ok());
        let refused = allowed("active", Action::Purge, false).unwrap_err();
        assert!(refused.contains("delete it before purging"), "{refused}");
        assert!(
            allowed("purged", Action::Activate, false)
                .unwrap_err()
                .contains("purged")
        );
        assert!(allowed("active", Action::Activate, false).is_err());
        assert!(allowed("provisioning", Action::Retry, true).is_ok());
        assert!(allowed("provisioning", Action::Suspend, false).is_err());
    }
}
