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

/// A member as the Members page lists them.
pub struct MemberRow {
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub last_login_at: Option<time::OffsetDateTime>,
}

/// The tenant's members, admins first.
pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as!(
        MemberRow,
        "select u.email, u.name, m.role, u.status, u.last_login_at
         from memberships m join users u on u.id = m.user_id
         where m.tenant_id = $1 order by m.role, lower(u.email)",
        tenant
    )
    .fetch_all(db)
    .await
}
