//! Modules: the catalog, and enabling or disabling one for a tenant. Enabling runs the
//! module's migrations in the tenant's database (as the tenant's role) and enables its
//! missing dependencies when asked to; every refusal says why.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::provision::{self, Context, Step};
use crate::tenancy::tenants;

#[derive(Clone, Debug)]
pub struct Module {
    pub id: String,
    pub name: String,
    pub description: String,
    pub depends_on: Vec<String>,
    pub plans: Vec<String>,
    pub needs_billing_details: bool,
}

pub async fn catalog(db: &PgPool) -> sqlx::Result<Vec<Module>> {
    sqlx::query_as!(
        Module,
        "select id, name, description, depends_on, plans, needs_billing_details from modules order by sort_order, id"
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error("There is no module “{0}”.")]
    Unknown(String),
    #[error("{module} is not included in the {plan} plan.")]
    NotInPlan { module: String, plan: String },
    #[error("The {plan} plan allows {max} module(s) at once: disable one or change the plan.")]
    OverPlanLimit { plan: String, max: i32 },
    #[error("{module} needs {missing} enabled first.")]
    MissingDependency { module: String, missing: String },
    #[error("{0} needs your billing details: add them in Settings first.")]
    NeedsBillingDetails(String),
    #[error("{module} is needed by {dependent}: disable that first.")]
    NeededBy { module: String, dependent: String },
    #[error("{0} is already enabled.")]
    AlreadyEnabled(String),
    #[error("{0} is not enabled.")]
    NotEnabled(String),
    #[error("Disable {0} before purging its data.")]
    StillEnabled(String),
    #[error("Type “{0}” to confirm: its data cannot be recovered.")]
    ConfirmPurge(String),
    #[error(
        "{dependent} still keeps data that refers to {module}'s: purge {dependent}'s data first."
    )]
    DependentData { module: String, dependent: String },
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Data(#[from] crate::tenancy::DataError),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

/// Who is enabling: tenant admins stay within their plan; owners and assigned super
/// admins may enable any module for any plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    TenantAdmin,
    Platform,
}

/// Enables `module` (and, with `with_dependencies`, the missing modules it depends on).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn enable(
    t: &Tenancy,
    tenant_id: Uuid,
    module: &str,
    with_dependencies: bool,
    authority: Authority,
    actor: &Actor,
    origin: &Origin,
) -> Result<Vec<String>, ModuleError> {
    let catalog = catalog(&t.db).await?;
    let tenant = tenants::get(&t.db, tenant_id)
        .await?
        .ok_or_else(|| ModuleError::Unknown(module.to_owned()))?;
    let enabled = t.enabled_modules(tenant_id).await?;
    let find = |id: &str| catalog.iter().find(|m| m.id == id);
    let target =
        find(module).ok_or_else(|| ModuleError::Unknown(module.chars().take(40).collect()))?;
    if enabled.contains(&target.id) {
        return Err(ModuleError::AlreadyEnabled(target.name.clone()));
    }
    // The module first, then what it needs, in dependency order.
    let mut to_enable: Vec<&Module> = Vec::new();
    let mut stack = vec![target];
    while let Some(m) = stack.pop() {
        if enabled.contains(&m.id) || to_enable.iter().any(|x| x.id == m.id) {
            continue;
        }
        if m.id != target.id && !with_dependencies {
            return Err(ModuleError::MissingDependency {
                module: target.name.clone(),
                missing: m.name.clone(),
            });
        }
        to_enable.push(m);
        for dep in &m.depends_on {
            stack.push(find(dep).ok_or_else(|| ModuleError::Unknown(dep.clone()))?);
        }
    }
    for m in &to_enable {
        if authority == Authority::TenantAdmin && !m.plans.contains(&tenant.plan_id) {
            return Err(ModuleError::NotInPlan {
                module: m.name.clone(),
                plan: tenant.plan_id.clone(),
            });
        }
        if m.needs_billing_details && !has_billing_details(&t.db, tenant_id).await? {
            return Err(ModuleError::NeedsBillingDetails(m.name.clone()));
        }
    }

    // The plan's module limit binds everyone, staff included.
    let plan = sqlx::query!(
        "select p.name, p.max_modules from tenants t join plans p on p.id = t.plan_id where t.id = $1",
        tenant_id
    )
    .fetch_one(&t.db)
    .await?;
    if let Some(max) = plan.max_modules
        && enabled.len() + to_enable.len() > usize::try_from(max).unwrap_or(0)
    {
        return Err(ModuleError::OverPlanLimit {
            plan: plan.name,
            max,
        });
    }
    let ids: Vec<String> = to_enable.iter().rev().map(|m| m.id.clone()).collect();
    let mut modules = enabled.clone();
    modules.extend(ids.iter().cloned());
    // Migrations first: if they fail, nothing is recorded as enabled.
    let cx = Context::new(t, tenant.clone(), modules.clone(), 1);
    let migrated = provision::run(Step::Migrations, &cx).await;
    cx.finish().await;
    let version = migrated?.unwrap_or(tenant.schema_version);

    let mut tx = t.db.begin().await?;
    for id in &ids {
        sqlx::query!(
            "insert into tenant_modules (tenant_id, module) values ($1, $2) on conflict do nothing",
            tenant_id,
            id
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            NewEvent {
                actor,
                action: "module.enabled",
                tenant: Some(tenant_id),
                target: Some(&tenant.slug),
                origin,
                details: json!({ "tenant_id": tenant_id, "module": id }),
            },
        )
        .await?;
    }
    sqlx::query!(
        "update tenants set schema_version = $2, updated_at = now() where id = $1",
        tenant_id,
        version
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    t.changed(tenant_id);
    Ok(ids)
}

/// Disables a module: its pages disappear, its data stays.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn disable(
    t: &Tenancy,
    tenant_id: Uuid,
    module: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), ModuleError> {
    let catalog = catalog(&t.db).await?;
    let enabled = t.enabled_modules(tenant_id).await?;
    let target = catalog
        .iter()
        .find(|m| m.id == module)
        .ok_or_else(|| ModuleError::Unknown(module.chars().take(40).collect()))?;
    if !enabled.contains(&target.id) {
        return Err(ModuleError::NotEnabled(target.name.clone()));
    }
    if let Some(dependent) = catalog
        .iter()
        .find(|m| enabled.contains(&m.id) && m.depends_on.contains(&target.id))
    {
        return Err(ModuleError::NeededBy {
            module: target.name.clone(),
            dependent: dependent.name.clone(),
        });
    }
    let tenant = tenants::get(&t.db, tenant_id)
        .await?
        .ok_or_else(|| ModuleError::Unknown(module.to_owned()))?;
    let mut tx = t.db.begin().await?;
    sqlx::query!(
        "delete from tenant_modules where tenant_id = $1 and module = $2",
        tenant_id,
        target.id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "module.disabled",
            tenant: Some(tenant_id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant_id, "module": target.id, "data": "kept" }),
        },
    )
    .await?;
    tx.commit().await?;
    t.changed(tenant_id);
    Ok(())
}

async fn has_billing_details(db: &PgPool, tenant_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from tenant_billing where tenant_id = $1) as "e!""#,
        tenant_id
    )
    .fetch_one(db)
    .await
}

/// Tenants (not purged) with each module enabled.
/// Counts only tenants in `scope` (`Some(super admin)`: their assigned tenants).
pub async fn usage(db: &PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"select m.module, count(*) as "n!" from tenant_modules m join tenants t on t.id = m.tenant_id
           where t.status <> 'purged' and ($1::uuid is null or tenantry_assigned($1, t.id))
           group by m.module"#,
        scope
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.module, r.n)).collect())
}

/// Tables each module owns, dropped by a purge (children first).
/// Every module in the catalog has an entry (a test checks it).
pub const MODULE_TABLES: &[(&str, &[&str])] = &[
    ("crm", &["interactions", "contacts", "customers"]),
    ("tasks", &["tasks", "task_statuses"]),
    (
        "inventory",
        &["stock_movements", "stock_locations", "products"],
    ),
    (
        "billing",
        &[
            "invoice_lines",
            "invoices",
            "invoice_counters",
            "tax_rates",
            "invoice_settings",
        ],
    ),
];

/// Drops a disabled module's data from the tenant's database (and forgets its
/// migrations, so enabling it again starts empty). `confirm` must repeat the module id.
pub async fn purge_data(
    t: &Tenancy,
    tenant_id: Uuid,
    module: &str,
    confirm: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), ModuleError> {
    let catalog = catalog(&t.db).await?;
    let target = catalog
        .iter()
        .find(|m| m.id == module)
        .ok_or_else(|| ModuleError::Unknown(module.chars().take(40).collect()))?;
    if t.enabled_modules(tenant_id).await?.contains(&target.id) {
        return Err(ModuleError::StillEnabled(target.name.clone()));
    }
    if confirm.trim() != target.id {
        return Err(ModuleError::ConfirmPurge(target.id.clone()));
    }
    // A disabled module that depends on this one may keep rows pointing at its rows
    // (invoices at customers): dropping these tables would leave them dangling, and
    // ids handed out again after a re-enable would point them at other records.
    let dependents: Vec<&Module> = catalog
        .iter()
        .filter(|m| m.depends_on.contains(&target.id))
        .collect();
    if !dependents.is_empty() {
        let pool = t.pool(tenant_id).await?;
        let mut tx = pool.begin().await?;
        for dependent in dependents {
            let has_data: bool = sqlx::query_scalar(
                "select exists(select 1 from tenantry_migrations where module = $1)",
            )
            .bind(&dependent.id)
            .fetch_one(&mut *tx)
            .await?;
            if has_data {
                return Err(ModuleError::DependentData {
                    module: target.name.clone(),
                    dependent: dependent.name.clone(),
                });
            }
        }
        tx.rollback().await?;
    }
    let tenant = tenants::get(&t.db, tenant_id)
        .await?
        .ok_or_else(|| ModuleError::Unknown(module.to_owned()))?;
    let tables = MODULE_TABLES
        .iter()
        .find(|(m, _)| *m == target.id)
        .map(|(_, t)| *t)
        .unwrap_or(&[]);
    let pool = t.pool(tenant_id).await?;
    let mut tx = pool.begin().await?;
    for table in tables {
        // Table names come from the constant above, never from input.
        sqlx::query(&format!("drop table if exists {table} cascade"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("delete from tenantry_migrations where module = $1")
        .bind(&target.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // The tenant is now at the version of the modules it still has.
    let version = crate::tenancy::migrate::target_version(&t.enabled_modules(tenant_id).await?);
    let mut control = t.db.begin().await?;
    sqlx::query!(
        "update tenants set schema_version = $2, updated_at = now() where id = $1",
        tenant_id,
        version
    )
    .execute(&mut *control)
    .await?;
    audit::record(
        &mut *control,
        NewEvent {
            actor,
            action: "module.data_purged",
            tenant: Some(tenant_id),
            target: Some(&tenant.slug),
            origin,
            details: json!({ "tenant_id": tenant_id, "module": target.id, "tables": tables }),
        },
    )
    .await?;
    control.commit().await?;
    t.changed(tenant_id);
    Ok(())
}
