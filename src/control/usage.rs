//! A tenant's use of its plan: people, modules and API calls this month, each beside
//! the plan's limit (`None`: unlimited). Storage is measured on the tenant's server
//! (`tenancy::stats::tenant_size`).

use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug)]
pub struct TenantUsage {
    pub plan: String,
    pub members: i64,
    /// Pending invitations count against the user limit too.
    pub pending_invitations: i64,
    pub max_users: Option<i32>,
    pub modules: i64,
    pub max_modules: Option<i32>,
    pub api_calls: i64,
    pub max_api_calls: Option<i64>,
    pub max_storage_bytes: Option<i64>,
}

pub async fn of_tenant(db: &PgPool, tenant: Uuid) -> sqlx::Result<TenantUsage> {
    sqlx::query_as!(
        TenantUsage,
        r#"select p.name as plan,
                  (select count(*) from memberships where tenant_id = t.id) as "members!",
                  (select count(*) from invitations
                    where tenant_id = t.id and status = 'pending' and expires_at > now()) as "pending_invitations!",
                  p.max_users,
                  (select count(*) from tenant_modules where tenant_id = t.id) as "modules!",
                  p.max_modules,
                  coalesce((select calls from api_usage
                             where tenant_id = t.id
                               and month = date_trunc('month', now() at time zone 'utc')::date), 0) as "api_calls!",
                  p.max_api_calls_per_month as max_api_calls,
                  p.max_storage_bytes
           from tenants t join plans p on p.id = t.plan_id where t.id = $1"#,
        tenant
    )
    .fetch_one(db)
    .await
}
