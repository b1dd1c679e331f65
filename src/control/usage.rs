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

/// The fleet's (or a super admin's tenants') use per day from `from` to today.
pub async fn fleet_daily(
    db: &PgPool,
    scope: Option<Uuid>,
    from: time::Date,
    to: time::Date,
) -> sqlx::Result<Vec<Period>> {
    sqlx::query_as!(
        Period,
        r#"select d::date as "start!",
                  coalesce(sum(u.page_requests), 0)::int8 as "page_requests!",
                  coalesce(sum(u.api_calls), 0)::int8 as "api_calls!",
                  coalesce(sum(u.mail_sent), 0)::int8 as "mail_sent!",
                  coalesce(sum(u.records_written), 0)::int8 as "records_written!",
                  coalesce(sum(u.active_users), 0)::int8 as "active_users!",
                  coalesce(sum(u.storage_bytes), 0)::int8 as "storage_bytes!"
           from generate_series($2::date, $3::date, interval '1 day') d
           left join usage_daily u on u.day = d::date
                and ($1::uuid is null or tenantry_assigned($1, u.tenant_id))
           group by d order by d"#,
        scope,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// A tenant's figures this month beside its plan's limits, for the fleet page.
#[derive(Clone, Debug)]
pub struct TenantMonth {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub page_requests: i64,
    pub api_calls: i64,
    pub max_api_calls: Option<i64>,
    pub users: i64,
    pub max_users: Option<i32>,
    pub storage_bytes: i64,
    pub max_storage_bytes: Option<i64>,
    pub modules: i64,
    pub max_modules: Option<i32>,
}

/// One limit of a plan beside what a tenant uses of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitUse {
    /// Stable key (alerts, webhooks): `users`, `modules`, `api_calls`, `storage`.
    pub metric: &'static str,
    /// What people read: "users", "API calls this month"…
    pub label: &'static str,
    pub used: i64,
    pub max: i64,
}

impl LimitUse {
    pub fn percent(&self) -> i64 {
        self.used.saturating_mul(100) / self.max.max(1)
    }
}

impl TenantMonth {
    /// Every limit the plan sets (unlimited ones are left out), with this month's use.
    pub fn limits(&self) -> Vec<LimitUse> {
        let limit = |metric, label, used, max: Option<i64>| {
            max.filter(|m| *m > 0).map(|max| LimitUse {
                metric,
                label,
                used,
                max,
            })
        };
        [
            limit("users", "users", self.users, self.max_users.map(i64::from)),
            limit(
                "modules",
                "modules",
                self.modules,
                self.max_modules.map(i64::from),
            ),
            limit(
                "api_calls",
                "API calls this month",
                self.api_calls,
                self.max_api_calls,
            ),
            limit(
                "storage",
                "storage",
                self.storage_bytes,
                self.max_storage_bytes,
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The limits this tenant uses 80 % or more of: (what, percent).
    pub fn near_limits(&self) -> Vec<(&'static str, i64)> {
        self.limits()
            .into_iter()
            .filter(|l| l.percent() >= 80)
            .map(|l| (l.label, l.percent()))
            .collect()
    }
}

/// Every active tenant in `scope` with this month's use, busiest first.
pub async fn fleet_month(db: &PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<TenantMonth>> {
    sqlx::query_as!(
        TenantMonth,
        r#"select t.id, t.slug, t.name, p.name as plan,
                  coalesce((select sum(page_requests) from usage_daily u where u.tenant_id = t.id
                             and u.day >= date_trunc('month', now() at time zone 'utc')::date), 0)::int8 as "page_requests!",
                  coalesce((select calls from api_usage a where a.tenant_id = t.id
                             and a.month = date_trunc('month', now() at time zone 'utc')::date), 0) as "api_calls!",
                  p.max_api_calls_per_month as max_api_calls,
                  (select count(*) from memberships m where m.tenant_id = t.id)
                    + (select count(*) from invitations i where i.tenant_id = t.id and i.status = 'pending'
                        and i.expires_at > now()) as "users!",
                  p.max_users,
                  coalesce((select storage_bytes from usage_daily u where u.tenant_id = t.id
                             and u.storage_bytes > 0 order by day desc limit 1), 0) as "storage_bytes!",
                  p.max_storage_bytes,
                  (select count(*) from tenant_modules tm where tm.tenant_id = t.id) as "modules!",
                  p.max_modules
           from tenants t join plans p on p.id = t.plan_id
           where t.status = 'active' and ($1::uuid is null or tenantry_assigned($1, t.id))
           order by 5 desc, t.slug"#,
        scope
    )
    .fetch_all(db)
    .await
}
