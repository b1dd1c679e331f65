//! Live figures read from the database servers for the console: a tenant's size, a
//! server's health and connections.

use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::tenancy::Tenancy;
use crate::tenancy::tenants::{Tenant, Tier};

/// Bytes the tenant's data takes: its database, or its schema's relations.
pub async fn tenant_size(t: &Tenancy, tenant: &Tenant) -> anyhow::Result<i64> {
    match tenant.tier() {
        Tier::Isolated => {
            let admin = t.servers.pool(tenant.db_server_id, "postgres").await?;
            Ok(sqlx::query_scalar(
                "select coalesce(pg_database_size(datname), 0) from pg_database where datname = $1",
            )
            .bind(&tenant.database_name)
            .fetch_optional(&admin)
            .await?
            .unwrap_or(0))
        }
        Tier::Pooled => {
            let shared = t
                .servers
                .pool(tenant.db_server_id, &tenant.database_name)
                .await?;
            Ok(sqlx::query_scalar(
                "select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = $1 and c.relkind in ('r', 'm')",
            )
            .bind(&tenant.schema_name)
            .fetch_one(&shared)
            .await?)
        }
    }
}

/// What the Database servers page shows per server.
#[derive(Debug, Default)]
pub struct ServerHealth {
    pub reachable: bool,
    pub latency_ms: f64,
    pub version: String,
    /// Sessions of tenant roles (`tr_*`).
    pub tenant_connections: i64,
    pub total_connections: i64,
    pub max_connections: i64,
    pub error: String,
}

/// Pings a server (2 s at most) and counts its connections.
pub async fn server_health(t: &Tenancy, server: Uuid) -> ServerHealth {
    let probe = async {
        let admin = t.servers.pool(server, "postgres").await?;
        let started = Instant::now();
        let row: (String, i64, i64, i64) = sqlx::query_as(
            "select current_setting('server_version'),
                    (select count(*) from pg_stat_activity where usename like 'tr\\_%'),
                    (select count(*) from pg_stat_activity where backend_type = 'client backend'),
                    current_setting('max_connections')::bigint",
        )
        .fetch_one(&admin)
        .await?;
        anyhow::Ok((started.elapsed(), row))
    };
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok((latency, (version, tenant_connections, total_connections, max_connections)))) => {
            ServerHealth {
                reachable: true,
                latency_ms: latency.as_secs_f64() * 1000.0,
                version,
                tenant_connections,
                total_connections,
                max_connections,
                error: String::new(),
            }
        }
        Ok(Err(e)) => ServerHealth {
            error: format!("{e:#}"),
            ..Default::default()
        },
        Err(_) => ServerHealth {
            error: "no answer within 2 s".into(),
            ..Default::default()
        },
    }
}

/// Measures every active tenant's storage and records it as today's sample (the
/// storage limit and the usage charts read it). Returns how many were measured.
pub async fn sample_storage(t: &Tenancy) -> anyhow::Result<usize> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar!("select id from tenants where status = 'active' order by id")
            .fetch_all(&t.db)
            .await?;
    let mut measured = 0;
    for id in ids {
        let Some(tenant) = crate::tenancy::tenants::get(&t.db, id).await? else {
            continue;
        };
        match tenant_size(t, &tenant).await {
            Ok(bytes) => {
                crate::control::metering::storage_sample(&t.db, id, bytes).await?;
                t.changed(id);
                measured += 1;
            }
            Err(e) => {
                tracing::warn!(tenant = %tenant.slug, error = %format!("{e:#}"), "storage sample failed")
            }
        }
    }
    Ok(measured)
}
