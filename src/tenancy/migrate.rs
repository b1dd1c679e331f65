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
/// One round trip reads what is applied (under the tenant's lock) and refuses a changed
/// migration; a tenant at its target (an isolated copy of a current template) stops
/// there. A new tenant (nothing applied) gets all of its migrations and their records in
/// one more round trip, one implicit transaction: all or nothing, and one commit. If that
/// batch fails, the migrations run again one statement at a time in one transaction,
/// under the lock: that names the one that fails, and sees a process that applied them
/// in between. An existing tenant gets each missing migration in its own transaction, so
/// one that fails leaves those before it applied.
pub async fn apply(
    pool: &PgPool,
    scope: &Scope<'_>,
    modules: &[String],
) -> Result<i64, MigrateError> {
    let plan = plan(modules);
    let target = plan.last().map_or(0, |(_, m)| m.version);
    let mut conn = pool.acquire().await?;
    let applied = read_applied(&mut conn, scope).await?;
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
        return Ok(target);
    }
    if applied.is_empty()
        && let Some(batch) = batch(scope, &missing)
    {
        match conn.execute(batch.as_str()).await {
            Ok(_) => return Ok(target),
            // The one-by-one run below says which migration fails, if one does.
            Err(e) => {
                tracing::info!(error = %e, "a new tenant's migrations as one batch failed; running them one by one")
            }
        }
    }
    for (module, m) in missing {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        enter(&mut tx, scope).await?;
        // Another process may have applied it since the first read (the lock is ours now).
        let done: Option<Vec<u8>> = sqlx::query_scalar(
            "select checksum::bytea from tenantry_migrations where version = $1",
        )
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

/// What is applied, read in one round trip that also enters the tenant's scope and makes
/// sure of the bookkeeping table (one implicit transaction, simple protocol).
async fn read_applied(
    conn: &mut PgConnection,
    scope: &Scope<'_>,
) -> Result<Vec<(i64, Vec<u8>)>, MigrateError> {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    let sql = format!(
        "{} select version, checksum::bytea from tenantry_migrations",
        enter_sql(scope)
    );
    let mut applied = Vec::new();
    let mut results = conn.fetch_many(sql.as_str());
    while let Some(result) = results.try_next().await? {
        // The lock's `select` answers a row too; ours are the ones with a version.
        if let sqlx::Either::Right(row) = result
            && row.try_column("version").is_ok()
        {
            applied.push((row.try_get(0)?, row.try_get(1)?));
        }
    }
    Ok(applied)
}

/// Everything a new tenant with `modules` needs, as statements led by entering its scope
/// (see [`batch`]; empty when nothing is missing), and the version it reaches: all of its
/// migrations, or (`from_template`, a copy of the template database) those beyond the
/// base set. Provisioning sends this inside a new tenant's one transaction.
pub fn new_tenant_batch(
    scope: &Scope<'_>,
    modules: &[String],
    from_template: bool,
) -> Option<(String, i64)> {
    let plan = plan(modules);
    let target = plan.last().map_or(0, |(_, m)| m.version);
    let missing: Vec<_> = plan
        .iter()
        .filter(|(module, _)| !(from_template && *module == "base"))
        .collect();
    if missing.is_empty() {
        return Some((String::new(), target));
    }
    Some((batch(scope, &missing)?, target))
}

/// A new tenant's migrations and their records as one batch, or `None` when a record
/// would need more than plain characters written into SQL (then they run one by one).
fn batch(scope: &Scope<'_>, missing: &[&(&str, &Migration)]) -> Option<String> {
    let mut sql = enter_sql(scope);
    let mut records = Vec::with_capacity(missing.len());
    for (module, m) in missing {
        sql.push_str(m.sql.as_ref());
        sql.push_str(";\n");
        records.push(format!(
            "({}, {}, {}, decode('{}', 'hex'))",
            m.version,
            plain_literal(module)?,
            plain_literal(&m.description)?,
            hex::encode(&m.checksum)
        ));
    }
    sql.push_str(&format!(
        "insert into tenantry_migrations (version, module, description, checksum) values {};",
        records.join(", ")
    ));
    Some(sql)
}

/// `s` as a string literal when it holds only letters, digits, spaces and `_.-`: safe
/// whatever the server's `standard_conforming_strings`.
fn plain_literal(s: &str) -> Option<String> {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " _.-".contains(c))
        .then(|| format!("'{s}'"))
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
    tx.execute(enter_sql(scope).as_str()).await?;
    Ok(())
}

/// The statements [`enter`] runs, to lead a batch.
fn enter_sql(scope: &Scope<'_>) -> String {
    let search_path = scope
        .schema
        .map(Ident::to_string)
        .unwrap_or_else(|| "public".into());
    // Identifiers are validated and quoted by `Ident`; nothing here comes from a user.
    // The bookkeeping table's columns are bounded, so PostgreSQL gives it no TOAST table
    // and index: two files fewer for every new tenant, about a fifth of a pooled tenant's
    // DDL. Its checksum is text (`\x` and hex), read as `checksum::bytea`, which is also
    // how tenants made before this read (their column is `bytea`); both take a `bytea`
    // written into them.
    format!(
        "set local role {role}; set local search_path = {search_path}; set local lock_timeout = '5s';
         select pg_advisory_xact_lock(hashtext('tenantry.migrate.' || current_schema()));
         create table if not exists tenantry_migrations (
             version bigint primary key, module varchar(64) not null,
             description varchar(200) not null, checksum varchar(130) not null,
             applied_at timestamptz not null default now());\n",
        role = scope.role,
    )
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

    #[test]
    fn a_new_tenants_batch_records_every_migration_and_writes_only_plain_text() {
        let role = Ident::new("tr_acme").expect("a valid role");
        let schema = Ident::new("t_acme").expect("a valid schema");
        let scope = Scope {
            role: &role,
            schema: Some(&schema),
        };
        let plan = plan(&["crm".into()]);
        let missing: Vec<_> = plan.iter().collect();
        let sql = batch(&scope, &missing).expect("plain descriptions");
        assert!(sql.starts_with("set local role \"tr_acme\"; set local search_path = \"t_acme\""));
        for (_, m) in &plan {
            assert!(sql.contains(&format!("({}, ", m.version)), "{}", m.version);
        }
        assert_eq!(plain_literal("add contacts"), Some("'add contacts'".into()));
        assert_eq!(plain_literal("it's"), None);
        assert_eq!(plain_literal("a\\b"), None);
    }
}
