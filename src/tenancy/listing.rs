//! The tenants list for programs: keyset pages in creation order (ids are UUIDv7), so a
//! client walking the pages while tenants are created sees every tenant once — no
//! duplicates, no gaps — which offset pages cannot promise. Filters as in the console.

use sqlx::PgPool;
use uuid::Uuid;

use crate::tenancy::tenants::{ListFilter, Tenant};

/// Up to `limit` tenants matching `f` (its `q`, `status`, `plan`, `tier`, `server` and
/// `assigned_to`; sort and page are the console's and are ignored) whose id comes after
/// `after`, in id order; one more than `limit` is read to tell whether a next page exists.
pub async fn after(
    db: &PgPool,
    f: &ListFilter,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<(Vec<Tenant>, bool)> {
    let pattern = format!(
        "%{}%",
        f.q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let limit = limit.clamp(1, 200);
    let mut rows = sqlx::query_as!(
        Tenant,
        r#"select t.id, t.slug, t.name, t.status as "status: _", t.plan_id, t.tier as "tier: _", t.db_server_id, s.name as server_name,
                  t.database_name, t.schema_name, t.role_name, t.schema_version, t.progress_step, t.last_error,
                  t.created_at, t.activated_at, t.deleted_at
           from tenants t join db_servers s on s.id = t.db_server_id
           where (t.slug ilike $1 or t.name ilike $1)
             and (($2 = '' and t.status <> 'purged') or t.status = $2)
             and ($3 = '' or t.plan_id = $3)
             and ($4 = '' or t.tier = $4)
             and ($5 = '' or s.name = $5)
             and ($6::uuid is null or tenantry_assigned($6, t.id))
             and ($7::uuid is null or t.id > $7)
           order by t.id
           limit $8"#,
        pattern,
        f.status,
        f.plan,
        f.tier,
        f.server,
        f.assigned_to,
        after,
        limit + 1,
    )
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
