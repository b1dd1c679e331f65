//! Which tenants a super admin manages (owners assign them).

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};

/// Super admins (email, id) and whether each is assigned to `tenant`.
pub async fn super_admins_for(
    db: &PgPool,
    tenant: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, bool)>> {
    let rows = sqlx::query!(
        r#"select u.id, u.email,
                  exists(select 1 from staff_assignments a where a.user_id = u.id and a.tenant_id = $1) as "assigned!"
           from users u where u.platform_role = 'super_admin' and u.status = 'active' order by lower(u.email)"#,
        tenant
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.email, r.assigned))
        .collect())
}

/// Assigns or unassigns a super admin; false when `user` is not an active super admin.
pub async fn set(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    user: Uuid,
    assigned: bool,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let email = sqlx::query_scalar!(
        "select email from users where id = $1 and platform_role = 'super_admin' and status = 'active'",
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(email) = email else { return Ok(false) };
    if assigned {
        sqlx::query!("insert into staff_assignments (user_id, tenant_id) values ($1, $2) on conflict do nothing", user, tenant)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query!(
            "delete from staff_assignments where user_id = $1 and tenant_id = $2",
            user,
            tenant
        )
        .execute(&mut *tx)
        .await?;
    }
    let action = if assigned {
        "tenant.super_admin_assigned"
    } else {
        "tenant.super_admin_unassigned"
    };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action,
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "super_admin": email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
