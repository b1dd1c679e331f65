//! Tenant storage the control plane names but the servers lack: a tenant database,
//! pooled schema or login role dropped behind the app's back. Such a tenant's pages answer
//! 503 ("its database is missing"); the System page lists what is missing, so operators
//! see why.

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use crate::tenancy::Tenancy;

/// Something a live tenant needs that its server does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub slug: String,
    pub server: String,
    /// e.g. `database tenant_acme`, `schema t_acme in tenants_pooled_1`, `role tr_acme`.
    pub what: String,
}

/// What the check found: missing storage, and servers it could not look at.
#[derive(Debug, Default)]
pub struct StorageCheck {
    pub missing: Vec<Missing>,
    /// (server, why) for each server or shared database that could not be read.
    pub unchecked: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct Row {
    slug: String,
    db_server_id: Uuid,
    server: String,
    tier: String,
    database_name: String,
    schema_name: Option<String>,
    role_name: String,
}

/// Compares active and suspended tenants with their servers' catalogs: a few catalog
/// queries per server and per shared database, whatever the number of tenants.
pub async fn check_storage(t: &Tenancy) -> sqlx::Result<StorageCheck> {
    let rows: Vec<Row> = sqlx::query_as(
        "select t.slug, t.db_server_id, s.name as server, t.tier, t.database_name, t.schema_name,
                t.role_name
         from tenants t join db_servers s on s.id = t.db_server_id
         where t.status in ('active', 'suspended')
         order by t.slug",
    )
    .fetch_all(&t.db)
    .await?;
    let mut by_server: BTreeMap<Uuid, Vec<Row>> = BTreeMap::new();
    for row in rows {
        by_server.entry(row.db_server_id).or_default().push(row);
    }
    let mut check = StorageCheck::default();
    for (server_id, rows) in by_server {
        let name = rows[0].server.clone();
        if let Err(e) = check_server(t, server_id, &rows, &mut check.missing).await {
            check.unchecked.push((name, format!("{e:#}")));
        }
    }
    Ok(check)
}

async fn check_server(
    t: &Tenancy,
    server_id: Uuid,
    rows: &[Row],
    missing: &mut Vec<Missing>,
) -> anyhow::Result<()> {
    let admin = t.servers.pool(server_id, "postgres").await?;
    let roles: Vec<String> = rows.iter().map(|r| r.role_name.clone()).collect();
    let roles: HashSet<String> =
        sqlx::query_scalar("select rolname::text from pg_roles where rolname = any($1)")
            .bind(&roles)
            .fetch_all(&admin)
            .await?
            .into_iter()
            .collect();
    let databases: Vec<String> = rows.iter().map(|r| r.database_name.clone()).collect();
    let databases: HashSet<String> =
        sqlx::query_scalar("select datname::text from pg_database where datname = any($1)")
            .bind(&databases)
            .fetch_all(&admin)
            .await?
            .into_iter()
            .collect();
    let mut pooled: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        let mut gone = |what: String| {
            missing.push(Missing {
                slug: row.slug.clone(),
                server: row.server.clone(),
                what,
            })
        };
        if !roles.contains(&row.role_name) {
            gone(format!("role {}", row.role_name));
        }
        if !databases.contains(&row.database_name) {
            gone(format!("database {}", row.database_name));
        } else if row.tier == "pooled" {
            pooled
                .entry(row.database_name.as_str())
                .or_default()
                .push(row);
        }
    }
    for (database, rows) in pooled {
        let shared = t.servers.pool(server_id, database).await?;
        let schemas: Vec<String> = rows.iter().filter_map(|r| r.schema_name.clone()).collect();
        let present: HashSet<String> =
            sqlx::query_scalar("select nspname::text from pg_namespace where nspname = any($1)")
                .bind(&schemas)
                .fetch_all(&shared)
                .await?
                .into_iter()
                .collect();
        for row in rows {
            if let Some(schema) = &row.schema_name
                && !present.contains(schema)
            {
                missing.push(Missing {
                    slug: row.slug.clone(),
                    server: row.server.clone(),
                    what: format!("schema {schema} in {database}"),
                });
            }
        }
    }
    Ok(())
}
