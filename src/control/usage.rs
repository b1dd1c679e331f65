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

/// A tenant's metered use in one day or month (`start` is its first day).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Period {
    pub start: time::Date,
    pub page_requests: i64,
    pub api_calls: i64,
    pub mail_sent: i64,
    pub records_written: i64,
    pub active_users: i64,
    pub storage_bytes: i64,
}

/// Every day from `from` to `to` (inclusive), days without use as zeros.
pub async fn daily(
    db: &PgPool,
    tenant: Uuid,
    from: time::Date,
    to: time::Date,
) -> sqlx::Result<Vec<Period>> {
    sqlx::query_as!(
        Period,
        r#"select d::date as "start!",
                  coalesce(u.page_requests, 0) as "page_requests!", coalesce(u.api_calls, 0) as "api_calls!",
                  coalesce(u.mail_sent, 0) as "mail_sent!", coalesce(u.records_written, 0) as "records_written!",
                  coalesce(u.active_users, 0) as "active_users!", coalesce(u.storage_bytes, 0) as "storage_bytes!"
           from generate_series($2::date, $3::date, interval '1 day') d
           left join usage_daily u on u.tenant_id = $1 and u.day = d::date
           order by d"#,
        tenant,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// Every month from `from`'s to `to`'s: rolled-up months and the days not rolled up yet.
pub async fn monthly(
    db: &PgPool,
    tenant: Uuid,
    from: time::Date,
    to: time::Date,
) -> sqlx::Result<Vec<Period>> {
    sqlx::query_as!(
        Period,
        r#"with months as (
               select month, page_requests, api_calls, mail_sent, records_written, active_users, storage_bytes
               from usage_monthly where tenant_id = $1
               union all
               select date_trunc('month', day)::date, page_requests, api_calls, mail_sent, records_written,
                      active_users, storage_bytes
               from usage_daily where tenant_id = $1)
           select m::date as "start!",
                  coalesce(sum(x.page_requests), 0)::int8 as "page_requests!",
                  coalesce(sum(x.api_calls), 0)::int8 as "api_calls!",
                  coalesce(sum(x.mail_sent), 0)::int8 as "mail_sent!",
                  coalesce(sum(x.records_written), 0)::int8 as "records_written!",
                  coalesce(max(x.active_users), 0)::int8 as "active_users!",
                  coalesce(max(x.storage_bytes), 0)::int8 as "storage_bytes!"
           from generate_series(date_trunc('month', $2::date), date_trunc('month', $3::date), interval '1 month') m
           left join months x on x.month = m::date
           group by m order by m"#,
        tenant,
        from,
        to
    )
    .fetch_all(db)
    .await
}
