//! Memberships: who belongs to which tenant, and as what.

use sqlx::PgPool;
use uuid::Uuid;

pub async fn count_for_tenant(db: &PgPool, tenant: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from memberships where tenant_id = $1"#,
        tenant
    )
    .fetch_one(db)
    .await
}

/// The user's other active tenants (slug, name), for the tenant switcher.
pub async fn other_tenants(
    db: &PgPool,
    user: Uuid,
    except: Uuid,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select t.slug, t.name from memberships m join tenants t on t.id = m.tenant_id
         where m.user_id = $1 and t.id <> $2 and t.status = 'active' order by t.name",
        user,
        except
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.name)).collect())
}
