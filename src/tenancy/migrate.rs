//! Tenant migrations: the base set (`migrations/tenant/`) and each module's
//! (`migrations/modules/<module>/`), embedded in the binary and recorded per tenant
//! database or schema in `tenantry_migrations`. They run as the tenant's role (so the
//! tenant owns what it creates), under a per-tenant advisory lock and a short
//! `lock_timeout`, so a migration never queues behind a long transaction.

use sqlx::migrate::{Migration, Migrator};
use sqlx::{Executor, PgConnection, PgPool};

use crate::pg::ident::Ident;

static BASE: Migrator = sqlx::migrate!("./migrations/tenant");
static CRM: Migrator = sqlx::migrate!("./migrations/modules/crm");
static TASKS: Migrator = sqlx::migrate!("./migrations/modules/tasks");
static INVENTORY: Migrator = sqlx::migrate!("./migrations/modules/inventory");
static BILLING: Migrator = sqlx::migrate!("./migrations/modules/billing");

/// Modules that carry migrations.
pub const MODULES: &[(&str, &Migrator)] = &[
    ("crm", &CRM),
    ("tasks", &TASKS),
    ("inventory", &INVENTORY),
    ("billing", &BILLING),
];

/// Where and as whom a tenant's migrations run.
pub struct Scope<'a> {
    /// The role that will own the objects (`SET LOCAL ROLE`).
    pub role: &'a Ident,
    /// Pooled tier: the tenant's schema; isolated tier: `None` (the `public` schema).
    pub schema: Option<&'a Ident>,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration {version} ({description}) was changed after it was applied")]
    Changed { version: i64, description: String },
    #[error("migration {version} ({description}) failed: {source}")]
    Failed {
        version: i64,
        description: String,
        source: sqlx::Error,
    },
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl MigrateError {
    /// Lock timeouts are worth retrying; a broken migration is not.
    pub fn is_lock_timeout(&self) -> bool {
        let e = match self {
            Self::Failed { source, .. } | Self::Db(source) => source,
            Self::Changed { .. } => return false,
        };
        e.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "55P03")
    }
}

/// The migrations a tenant with `modules` enabled must have, in version order.
pub fn plan(modules: &[String]) -> Vec<(&'static str, &'static Migration)> {
    let mut all: Vec<(&'static str, &'static Migration)> =
        BASE.iter().map(|m| ("base", m)).collect();
    for (name, migrator) in MODULES {
        if modules.iter().any(|m| m == name) {
            all.extend(migrator.iter().map(|m| (*name, m)));
        }
    }
    all.retain(|(_, m)| !m.migration_type.is_down_migration());
    all.sort_by_key(|(_, m)| m.version);
    all
}

/// The version a tenant with `modules` is at when fully migrated.
pub fn target_version(modules: &[String]) -> i64 {
    plan(modules).last().map(|(_, m)| m.version).unwrap_or(0)
}

/// The base set's latest version (what the template database holds).
pub fn base_version() -> i64 {
    target_version(&[])
}

/// Applies what is missing; returns the version reached.
///
/// One transaction first reads what is applied (under the tenant's lock) and refuses a
/// changed migration. A tenant at its target (an isolated copy of a current template)
/// stops there. A new tenant (nothing applied) gets all of its migrations in that same
/// transaction: all or nothing, and one commit. An existing tenant gets each missing one
/// in its own transaction, so one that fails leaves those before it applied.
pub async fn apply(
    conn: &PgPool,
    scope: &Scope<'_>,
    modules: &[String],
) -> Result<i64, MigrateError> {
    let plan = plan(modules);
    let target = plan.last().map_or(0, |(_, m)| m.version);
    let mut tx = conn.begin().await?;
    enter(&mut tx, scope).await?;
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("select version, checksum from tenantry_migrations")
            .fetch_all(&mut *tx)
            .await?;
    for (_, m) in &plan {
        if applied
            .iter()
            .any(|(v, sum)| *v == m.version && sum[..] != *m.checksum)
        {
            return Err(changed(m));
        }
    }
    let missing: Vec<_> = plan
        .iter()
        .filter(|(_, m)| !applied.iter().any(|(v, _)| *v == m.version))
        .collect();
    if missing.is_empty() {
        tx.commit().await?;
        return Ok(target);
    }
    if applied.is_empty() {
        for (module, m) in missing {
            run_one(&mut tx, module, m).await?;
        }
        tx.commit().await?;
        return Ok(target);
    }
    tx.commit().await?;
    for (module, m) in missing {
        let mut tx = conn.begin().await?;
        enter(&mut tx, scope).await?;
        // Another process may have applied it since the first read (the lock is ours now).
        let done: Option<Vec<u8>> =
            sqlx::query_scalar("select checksum from tenantry_migrations where version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        match done {
            Some(sum) if sum == *m.checksum => {}
            Some(_) => return Err(changed(m)),
            None => run_one(&mut tx, module, m).await?,
        }
        tx.commit().await?;
    }
    Ok(target)
}

fn changed(m: &Migration) -> MigrateError {
    MigrateError::Changed {
        version: m.version,
        description: m.description.to_string(),
    }
}

/// Runs one migration and records it, in the caller's transaction.
async fn run_one(tx: &mut PgConnection, module: &str, m: &Migration) -> Result<(), MigrateError> {
    (&mut *tx)
        .execute(m.sql.as_ref())
        .await
        .map_err(|source| MigrateError::Failed {
            version: m.version,
            description: m.description.to_string(),
            source,
        })?;
    sqlx::query("insert into tenantry_migrations (version, module, description, checksum) values ($1, $2, $3, $4)")
        .bind(m.version)
        .bind(module)
        .bind(m.description.as_ref())
        .bind(m.checksum.as_ref())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sets role, search path, lock timeout and the per-tenant lock for one transaction, and
/// makes sure the bookkeeping table exists.
async fn enter(tx: &mut PgConnection, scope: &Scope<'_>) -> sqlx::Result<()> {
    let search_path = scope
        .schema
        .map(Ident::to_string)
        .unwrap_or_else(|| "public".into());
    // Identifiers are validated and quoted by `Ident`; nothing here comes from a user.
    let sql = format!(
        "set local role {role}; set local search_path = {search_path}; set local lock_timeout = '5s';
         select pg_advisory_xact_lock(hashtext('tenantry.migrate.' || current_schema()));
         create table if not exists tenantry_migrations (
             version bigint primary key, module text not null, description text not null,
             checksum bytea not null, applied_at timestamptz not null default now());",
        role = scope.role,
    );
    tx.execute(sql.as_str()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_base_then_enabled_modules_in_version_order() {
        let base = plan(&[]);
        assert!(!base.is_empty() && base.iter().all(|(m, _)| *m == "base"));
        let with_crm = plan(&["crm".into()]);
        assert!(with_crm.len() > base.len());
        assert!(with_crm.windows(2).all(|w| w[0].1.version < w[1].1.version));
        assert!(target_version(&["crm".into()]) > base_version());
        assert_eq!(plan(&["no-such-module".into()]).len(), base.len());
    }
}
