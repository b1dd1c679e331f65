//! Changing a tenant's plan and name (its platform page, `tenantry tenants update`).
//! A downgrade the tenant's current use exceeds is refused, naming each limit it is
//! over, and nothing is changed — unless the caller confirms it (`allow_over`): then it
//! is applied, the excess is recorded in the audit event, and the alerts flag the
//! limits passed on both consoles until the tenant is back under them. An applied change is audited in its transaction and
//! announced by the `tenants` trigger: every process drops the tenant's cached record
//! and closes its connections, so the next request sees the new limits and the pool is
//! reopened at the new plan's size.

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::plans::{self, Plan};
use crate::control::usage;
use crate::tenancy::Tenancy;
use crate::tenancy::stats;
use crate::tenancy::tenants::{self, Tenant};
use serde_json::json;

/// What to change; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct TenantUpdate<'a> {
    pub plan: Option<&'a str>,
    pub name: Option<&'a str>,
    /// Apply a plan the tenant's use exceeds (after the person saw what is over).
    pub allow_over: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("There is no plan “{0}”.")]
    UnknownPlan(String),
    #[error("Enter a name of 1 to 200 characters on one line.")]
    Name,
    /// The tenant uses more than the new plan allows: one line per limit.
    #[error("{} is over the {plan} plan's limits: {}.", .tenant, join(.over))]
    OverLimits {
        tenant: String,
        plan: String,
        over: Vec<Excess>,
    },
    #[error("The tenant was changed since it was read; read it again and retry.")]
    Stale,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl UpdateError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownPlan(_) | Self::OverLimits { .. } => "plan",
            Self::Name => "name",
            Self::Stale | Self::Db(_) => "",
        }
    }
}

/// A limit of a plan that current use can exceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Users,
    Modules,
    ApiCalls,
    Storage,
}

/// One limit the tenant's use exceeds: how much is used and how much is allowed (the
/// values stay apart so each console can say them in its reader's language).
#[derive(Clone, Debug)]
pub struct Excess {
    pub limit: Limit,
    pub used: i64,
    pub allowed: i64,
}

impl std::fmt::Display for Excess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (used, allowed) = (self.used, self.allowed);
        match self.limit {
            Limit::Users => write!(f, "{used} users and pending invitations, {allowed} allowed"),
            Limit::Modules => write!(f, "{used} modules enabled, {allowed} allowed"),
            Limit::ApiCalls => write!(f, "{used} API calls this month, {allowed} allowed"),
            Limit::Storage => write!(
                f,
                "{} of storage, {} allowed",
                plans::storage_text(used),
                plans::storage_text(allowed)
            ),
        }
    }
}

fn join(over: &[Excess]) -> String {
    over.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the tenant uses beyond `plan`'s limits.
pub async fn excess(t: &Tenancy, tenant: &Tenant, plan: &Plan) -> Result<Vec<Excess>, UpdateError> {
    let u = usage::of_tenant(&t.db, tenant.id).await?;
    let mut over = Vec::new();
    let mut exceeds = |limit, used, allowed| {
        if used > allowed {
            over.push(Excess {
                limit,
                used,
                allowed,
            });
        }
    };
    if let Some(max) = plan.max_users {
        exceeds(
            Limit::Users,
            u.members + u.pending_invitations,
            i64::from(max),
        );
    }
    if let Some(max) = plan.max_modules {
        exceeds(Limit::Modules, u.modules, i64::from(max));
    }
    if let Some(max) = plan.max_api_calls_per_month {
        exceeds(Limit::ApiCalls, u.api_calls, max);
    }
    if let Some(max) = plan.max_storage_bytes
        && tenant.status.has_data()
    {
        match stats::tenant_size(t, tenant).await {
            Ok(bytes) if bytes > max => exceeds(Limit::Storage, bytes, max),
            Ok(_) => {}
            // Unmeasurable storage does not block a plan change; the sampler checks it
            // again and the storage limit is enforced from its samples.
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "tenant size unavailable"),
        }
    }
    Ok(over)
}

/// Applies `change` to `tenant`: checks the new plan against current use, then writes
/// the plan and the name in one transaction with their audit events.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn update(
    t: &Tenancy,
    tenant: &Tenant,
    change: &TenantUpdate<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), UpdateError> {
    apply(t, tenant, change, None, actor, origin).await
}

/// [`update`], only while the tenant is still at `expected` (a [`version`] its caller
/// read): checked under the row's lock, so of two writers that read the same version
/// only the first changes anything and the second gets [`UpdateError::Stale`].
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn update_if_version(
    t: &Tenancy,
    tenant: &Tenant,
    change: &TenantUpdate<'_>,
    expected: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), UpdateError> {
    apply(t, tenant, change, Some(expected), actor, origin).await
}

/// A tenant's version as writers see it: changes whenever its name, plan or status does.
pub fn version(tenant: &Tenant) -> String {
    version_of(
        tenant.id,
        &tenant.name,
        &tenant.plan_id,
        tenant.status.as_str(),
    )
}

fn version_of(id: uuid::Uuid, name: &str, plan: &str, status: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(id.as_bytes())
        .chain_update([0])
        .chain_update(name)
        .chain_update([0])
        .chain_update(plan)
        .chain_update([0])
        .chain_update(status)
        .finalize();
    hex::encode(&digest[..12])
}

async fn apply(
    t: &Tenancy,
    tenant: &Tenant,
    change: &TenantUpdate<'_>,
    expected: Option<&str>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), UpdateError> {
    let name = match change.name.map(str::trim) {
        Some(name) if !tenants::valid_name(name) => return Err(UpdateError::Name),
        Some(name) if name != tenant.name => Some(name),
        _ => None,
    };
    let plan = match change.plan.map(str::trim).filter(|p| !p.is_empty()) {
        Some(key) => {
            let plan = plans::find(&t.db, key)
                .await?
                .ok_or_else(|| UpdateError::UnknownPlan(key.chars().take(40).collect()))?;
            (plan.id != tenant.plan_id).then_some(plan)
        }
        None => None,
    };
    let mut over = Vec::new();
    if let Some(plan) = &plan {
        over = excess(t, tenant, plan).await?;
        if !over.is_empty() && !change.allow_over {
            return Err(UpdateError::OverLimits {
                tenant: tenant.name.clone(),
                plan: plan.name.clone(),
                over,
            });
        }
    }
    if plan.is_none() && name.is_none() && expected.is_none() {
        return Ok(());
    }
    let mut tx = t.db.begin().await?;
    if let Some(expected) = expected {
        let now = sqlx::query!(
            "select name, plan_id, status from tenants where id = $1 for update",
            tenant.id
        )
        .fetch_one(&mut *tx)
        .await?;
        if version_of(tenant.id, &now.name, &now.plan_id, &now.status) != expected {
            return Err(UpdateError::Stale);
        }
    }
    if plan.is_none() && name.is_none() {
        return Ok(());
    }
    if let Some(plan) = &plan {
        sqlx::query!(
            "update tenants set plan_id = $2, updated_at = now() where id = $1",
            tenant.id,
            plan.id
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            NewEvent {
                actor,
                action: "tenant.plan_changed",
                tenant: Some(tenant.id),
                target: Some(&tenant.slug),
                origin,
                details: json!({ "tenant_id": tenant.id, "from": tenant.plan_id, "to": plan.id,
                                 "over_limits": over.iter().map(ToString::to_string).collect::<Vec<_>>() }),
            },
        )
        .await?;
    }
    if let Some(name) = name {
        tenants::rename_in(&mut tx, tenant.id, name, actor, origin).await?;
    }
    tx.commit().await?;
    t.changed(tenant.id);
    Ok(())
}
