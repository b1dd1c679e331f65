//! Memberships: who belongs to which tenant, and as what. A tenant always keeps at
//! least one admin: changing or removing the last one is refused.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::invitations::Role;

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
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// `admin`, `member` or `role:<id>`: the value the role select submits.
    pub role_key: String,
    pub role_label: String,
    pub status: String,
    /// Their last sign-in to this tenant (not to any other).
    pub last_login_at: Option<time::OffsetDateTime>,
}

/// Records a member's sign-in to this tenant.
pub async fn touch_last_login(db: &PgPool, user: Uuid, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update memberships set last_login_at = now() where user_id = $1 and tenant_id = $2",
        user,
        tenant
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The tenant's members, admins first.
pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as!(
        MemberRow,
        r#"select u.id as user_id, u.email, u.name,
                  case m.role when 'custom' then 'role:' || m.role_id::text else m.role end as "role_key!",
                  coalesce(r.name, case m.role when 'admin' then 'Admin' else 'Member' end) as "role_label!",
                  u.status, m.last_login_at
           from memberships m join users u on u.id = m.user_id
           left join tenant_roles r on r.id = m.role_id
           where m.tenant_id = $1
           order by m.role = 'admin' desc, lower(u.email)"#,
        tenant
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("That person is not a member here.")]
    NotMember,
    #[error("That role does not exist here.")]
    UnknownRole,
    #[error("{0} is the last admin: make someone else an admin first.")]
    LastAdmin(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Gives a member another role (refused for the last admin).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn change_role(
    db: &PgPool,
    tenant: Uuid,
    user: Uuid,
    role: Role,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), MembershipError> {
    let (role_col, role_id) = match role {
        Role::TenantAdmin => ("admin", None),
        Role::TenantMember => ("member", None),
        Role::Custom(id) => ("custom", Some(id)),
        Role::Staff(_) => return Err(MembershipError::UnknownRole),
    };
    let mut tx = db.begin().await?;
    let email = lock_member(&mut tx, tenant, user).await?;
    if let Some(id) = role_id {
        // Only this tenant's roles; the share lock keeps the role until this commits.
        sqlx::query_scalar!(
            "select id from tenant_roles where id = $1 and tenant_id = $2 for key share",
            id,
            tenant
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(MembershipError::UnknownRole)?;
    }
    if role_col != "admin" {
        keep_an_admin(&mut tx, tenant, user, &email).await?;
    }
    sqlx::query!(
        "update memberships set role = $3, role_id = $4 where tenant_id = $1 and user_id = $2",
        tenant,
        user,
        role_col,
        role_id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "member.role_changed",
            tenant: Some(tenant),
            target: Some(&email),
            origin,
            details: json!({ "tenant_id": tenant, "user_id": user, "role": role_col, "role_id": role_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from the tenant (their identity stays; refused for the last admin).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn remove(
    db: &PgPool,
    tenant: Uuid,
    user: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), MembershipError> {
    let mut tx = db.begin().await?;
    let email = lock_member(&mut tx, tenant, user).await?;
    keep_an_admin(&mut tx, tenant, user, &email).await?;
    sqlx::query!(
        "delete from memberships where tenant_id = $1 and user_id = $2",
        tenant,
        user
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "member.removed",
            tenant: Some(tenant),
            target: Some(&email),
            origin,
            details: json!({ "tenant_id": tenant, "user_id": user }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Locks the tenant's memberships (so two admins demoting each other at once cannot
/// leave none) and returns the member's email.
async fn lock_member(
    tx: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
) -> Result<String, MembershipError> {
    sqlx::query!(
        "select user_id from memberships where tenant_id = $1 for update",
        tenant
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query_scalar!(
        "select u.email from memberships m join users u on u.id = m.user_id
         where m.tenant_id = $1 and m.user_id = $2",
        tenant,
        user
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(MembershipError::NotMember)
}

/// Refuses when `user` is the tenant's only admin.
async fn keep_an_admin(
    tx: &mut PgConnection,
    tenant: Uuid,
    user: Uuid,
    email: &str,
) -> Result<(), MembershipError> {
    let others = sqlx::query_scalar!(
        r#"select count(*) as "n!" from memberships
           where tenant_id = $1 and role = 'admin' and user_id <> $2"#,
        tenant,
        user
    )
    .fetch_one(&mut *tx)
    .await?;
    let is_admin = sqlx::query_scalar!(
        r#"select role = 'admin' as "a!" from memberships where tenant_id = $1 and user_id = $2"#,
        tenant,
        user
    )
    .fetch_one(&mut *tx)
    .await?;
    if is_admin && others == 0 {
        return Err(MembershipError::LastAdmin(email.to_owned()));
    }
    Ok(())
}
