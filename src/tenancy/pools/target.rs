//! Where a tenant's connections go: the control plane's row for an active tenant, its
//! plan's pool size, its server's address and its role's unsealed password; and the
//! connect options of a tenant role (isolated tier) or of a server's gateway (pooled).

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};
use tracing::log::LevelFilter;
use uuid::Uuid;

use super::PoolError;
use crate::secret::Secret;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::servers::Gateway;

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
    /// Connect options for the tenant's own role, `application_name = tenantry:<slug>`.
    pub fn tenant_options(&self) -> PgConnectOptions {
        options(
            &self.host,
            self.port,
            &self.database,
            &self.role,
            &self.password,
        )
        .application_name(&format!("tenantry:{}", self.slug))
    }

    /// Connect options for the gateway of the tenant's shared database,
    /// `application_name = tenantry:gateway`. The session has no `search_path` of use and
    /// no privileges: each transaction switches to a tenant.
    pub fn gateway_options(&self, gateway: &Gateway) -> PgConnectOptions {
        options(
            &self.host,
            self.port,
            &self.database,
            gateway.role.as_str(),
            &gateway.password,
        )
        .application_name("tenantry:gateway")
    }
}

fn options(
    host: &str,
    port: u16,
    database: &str,
    role: &str,
    password: &Secret,
) -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .host(host)
        .port(port)
        .username(role)
        .password(password.expose())
        .database(database)
        .log_statements(LevelFilter::Debug)
        .log_slow_statements(LevelFilter::Warn, Duration::from_secs(1))
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
pub fn split_address(address: &str) -> Option<(String, u16)> {
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
    fn tenants_and_gateways_log_in_as_themselves() {
        let target = TenantTarget {
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
        let options = target.tenant_options();
        assert_eq!(options.get_username(), "tr_acme");
        assert_eq!(options.get_application_name(), Some("tenantry:acme"));
        assert_eq!(options.get_options(), None, "no startup search_path");
        let gateway = Gateway {
            role: crate::tenancy::servers::gateway_role(Uuid::nil(), "tenants_pooled_1"),
            password: Secret::new("gw"),
        };
        let options = target.gateway_options(&gateway);
        // One gateway per shared database: the server's id, then a hash of the database.
        assert!(
            options
                .get_username()
                .starts_with("tenantry_gw_00000000000000000000000000000000_"),
            "{}",
            options.get_username()
        );
        assert_ne!(
            gateway.role.as_str(),
            crate::tenancy::servers::gateway_role(Uuid::nil(), "tenants_pooled_2").as_str()
        );
        assert_eq!(options.get_database(), Some("tenants_pooled_1"));
        assert_eq!(options.get_application_name(), Some("tenantry:gateway"));
    }
}
