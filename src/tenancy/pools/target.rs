//! What a tenant's pool is built from: the control plane's row for an active tenant, its
//! plan's pool size, its server's address and its role's unsealed password.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};
use tracing::log::LevelFilter;
use uuid::Uuid;

use super::PoolError;
use crate::pg::ident::Ident;
use crate::secret::Secret;
use crate::tenancy::crypto::MasterKey;

/// How to reach one tenant: what a pool is built from.
#[derive(Clone, Debug)]
pub struct TenantTarget {
    pub tenant_id: Uuid,
    pub slug: String,
    pub server_id: Uuid,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// `Some` for the pooled tier: the tenant's schema in a shared database.
    pub schema: Option<String>,
    pub role: String,
    pub password: Secret,
    /// The plan's maximum number of connections for this tenant.
    pub pool_size: u32,
}

impl TenantTarget {
    /// Connect options for the tenant's own role: `application_name = tenantry:<slug>`
    /// and, for the pooled tier, `search_path` set to the tenant's schema at connect time.
    pub fn connect_options(&self) -> Result<PgConnectOptions, PoolError> {
        let mut options = PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .username(&self.role)
            .password(self.password.expose())
            .database(&self.database)
            .application_name(&format!("tenantry:{}", self.slug))
            .log_statements(LevelFilter::Debug)
            .log_slow_statements(LevelFilter::Warn, Duration::from_secs(1));
        if let Some(schema) = &self.schema {
            // Validated and quoted, so the startup option cannot carry anything else.
            let schema = Ident::new(schema)
                .map_err(|e| PoolError::Db(sqlx::Error::Configuration(Box::new(e))))?;
            options = options.options([("search_path", schema.to_string())]);
        }
        Ok(options)
    }
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    slug: String,
    db_server_id: Uuid,
    address: String,
    database_name: String,
    schema_name: Option<String>,
    role_name: String,
    role_password_enc: Option<Vec<u8>>,
    pool_size: i32,
}

/// Loads a [`TenantTarget`] from the control plane: `tenants ⋈ plans ⋈ db_servers` for an
/// `active` tenant; host and port from `db_servers.address`; the password unsealed with
/// `key`. `None` when the tenant does not exist, is not active, or has no role password yet.
pub async fn load_target(
    control: &PgPool,
    key: &MasterKey,
    tenant_id: Uuid,
) -> Result<Option<TenantTarget>, PoolError> {
    let row: Option<TargetRow> = sqlx::query_as(
        "select t.slug, t.db_server_id, s.address, t.database_name, t.schema_name, \
                t.role_name, t.role_password_enc, p.pool_size \
         from tenants t \
         join plans p on p.id = t.plan_id \
         join db_servers s on s.id = t.db_server_id \
         where t.id = $1 and t.status = 'active'",
    )
    .bind(tenant_id)
    .fetch_optional(control)
    .await
    .map_err(PoolError::Db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let Some(sealed) = row.role_password_enc else {
        tracing::warn!(%tenant_id, "an active tenant has no role password; not serving it");
        return Ok(None);
    };
    let password = key.open_string(&sealed)?;
    let (host, port) = split_address(&row.address).ok_or_else(|| {
        PoolError::Db(sqlx::Error::Configuration(
            format!("db server address {:?} is not host:port", row.address).into(),
        ))
    })?;
    Ok(Some(TenantTarget {
        tenant_id,
        slug: row.slug,
        server_id: row.db_server_id,
        host,
        port,
        database: row.database_name,
        schema: row.schema_name,
        role: row.role_name,
        password,
        // The plans table allows 1..=50; anything else would be a broken row.
        pool_size: u32::try_from(row.pool_size).unwrap_or(1).max(1),
    }))
}

/// `host:port`, `[v6]:port` or a bare host (port 5432).
fn split_address(address: &str) -> Option<(String, u16)> {
    let address = address.trim();
    if let Some(rest) = address.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None if tail.is_empty() => 5432,
            None => return None,
        };
        return (!host.is_empty()).then(|| (host.to_owned(), port));
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            Some((host.to_owned(), port.parse().ok()?))
        }
        Some(_) => None,
        None => (!address.is_empty()).then(|| (address.to_owned(), 5432)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_server_addresses() {
        let ok = |h: &str, p: u16| Some((h.to_owned(), p));
        assert_eq!(split_address("127.0.0.1:5433"), ok("127.0.0.1", 5433));
        assert_eq!(split_address("db.internal"), ok("db.internal", 5432));
        assert_eq!(split_address("[::1]:6432"), ok("::1", 6432));
        assert_eq!(split_address("[::1]"), ok("::1", 5432));
        for bad in ["", ":5432", "host:port", "::1:5432", "[::1]x", "host:99999"] {
            assert_eq!(split_address(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn pooled_targets_set_their_search_path_and_refuse_odd_schemas() {
        let mut target = TenantTarget {
            tenant_id: Uuid::nil(),
            slug: "acme".into(),
            server_id: Uuid::nil(),
            host: "127.0.0.1".into(),
            port: 5432,
            database: "tenants_pooled_1".into(),
            schema: Some("t_acme".into()),
            role: "tr_acme".into(),
            password: Secret::new("pw"),
            pool_size: 2,
        };
        let options = target.connect_options().expect("valid target");
        assert_eq!(options.get_options(), Some("-c search_path=\"t_acme\""));
        assert_eq!(options.get_application_name(), Some("tenantry:acme"));
        target.schema = Some("t_acme; reset role".into());
        assert!(target.connect_options().is_err());
    }
}
