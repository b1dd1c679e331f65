//! Issuing invitations: a new one (checked against membership, pending invitations and
//! the plan's user limit), sending one again with a new token, and revoking one.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::outbox::{self, Kind};
use crate::mail::compose::{self};
use crate::pg::constraint::OnConstraint;

use super::{InvitationStatus, Mail, NewInvitation, Role, Scope, valid_email};

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("Enter a valid email address.")]
    Email,
    #[error("That role does not exist here.")]
    UnknownRole,
    #[error("{0} is already a member.")]
    AlreadyMember(String),
    #[error("{0} is already on the platform staff.")]
    AlreadyStaff(String),
    #[error("{0} already has a pending invitation: resend it from the list instead.")]
    AlreadyInvited(String),
    #[error("The {plan} plan allows {limit} users, counting pending invitations.")]
    UserLimit { plan: String, limit: i32 },
    #[error("There is no such invitation.")]
    NotFound,
    #[error("Only a pending invitation can be {0}.")]
    NotPending(&'static str),
    #[error(transparent)]
    Mail(#[from] askama::Error),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Invites someone: the invitation, its email in the outbox and the audit event commit
/// together, inside the caller's transaction.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn create(
    tx: &mut PgConnection,
    new: &NewInvitation<'_>,
    mail: &Mail<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Uuid, InviteError> {
    let email = new.email.trim();
    if !valid_email(email) {
        return Err(InviteError::Email);
    }
    let role_label = check_role(tx, new.scope, new.role).await?;
    // Serialises invitations per scope, so the user limit cannot be raced past.
    let lock_key = new.scope.tenant().unwrap_or_default().to_string();
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('tenantry.invite'), hashtext($1))",
        lock_key
    )
    .execute(&mut *tx)
    .await?;
    expire_stale(tx).await?;
    match new.scope {
        Scope::Tenant(tenant) => check_tenant_room(tx, tenant, email).await?,
        Scope::Platform => {
            let staff = sqlx::query_scalar!(
                "select platform_role from users where lower(email) = lower($1)",
                email
            )
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
            if staff.is_some() {
                return Err(InviteError::AlreadyStaff(email.to_owned()));
            }
        }
    }
    let id = Uuid::now_v7();
    let (plain, hash) = token::generate();
    let (role, role_id) = new.role.columns();
    let inserted = sqlx::query_scalar!(
        "insert into invitations (id, tenant_id, email, role, role_id, token_hash, invited_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8))
         returning expires_at",
        id,
        new.scope.tenant(),
        email,
        role,
        role_id,
        &hash[..],
        actor.id,
        mail.days as i32,
    )
    .fetch_one(&mut *tx)
    .await;
    let expires_at = inserted.on_constraint("invitations_pending_key", || {
        InviteError::AlreadyInvited(email.to_owned())
    })?;
    send(
        tx,
        id,
        new.scope,
        email,
        &role_label,
        &plain,
        expires_at,
        mail,
        actor,
    )
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "invitation.created",
            tenant: new.scope.tenant(),
            target: Some(email),
            origin,
            details: json!({ "invitation_id": id, "tenant_id": new.scope.tenant(), "role": role_label }),
        },
    )
    .await?;
    Ok(id)
}

/// What the role is called, after checking it exists in this scope.
async fn check_role(
    tx: &mut PgConnection,
    scope: Scope,
    role: Role,
) -> Result<String, InviteError> {
    Ok(match (scope, role) {
        (Scope::Tenant(_), Role::TenantAdmin) => "Admin".into(),
        (Scope::Tenant(_), Role::TenantMember) => "Member".into(),
        // The share lock keeps the role from being deleted before this commits.
        (Scope::Tenant(tenant), Role::Custom(id)) => sqlx::query_scalar!(
            "select name from tenant_roles where id = $1 and tenant_id = $2 for key share",
            id,
            tenant
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(InviteError::UnknownRole)?,
        (Scope::Platform, Role::Staff(r)) => r.label().into(),
        _ => return Err(InviteError::UnknownRole),
    })
}

/// Refuses members and addresses beyond the plan's user limit (pending invitations
/// count: each may become a member).
async fn check_tenant_room(
    tx: &mut PgConnection,
    tenant: Uuid,
    email: &str,
) -> Result<(), InviteError> {
    let room = sqlx::query!(
        r#"select p.name as plan, p.max_users,
                  exists(select 1 from memberships m join users u on u.id = m.user_id
                          where m.tenant_id = t.id and lower(u.email) = lower($2)) as "member!",
                  exists(select 1 from invitations
                          where tenant_id = t.id and lower(email) = lower($2) and status = 'pending') as "invited!",
                  (select count(*) from memberships where tenant_id = t.id)
                + (select count(*) from invitations where tenant_id = t.id and status = 'pending') as "used!"
           from tenants t join plans p on p.id = t.plan_id where t.id = $1"#,
        tenant,
        email
    )
    .fetch_one(&mut *tx)
    .await?;
    if room.member {
        return Err(InviteError::AlreadyMember(email.to_owned()));
    }
    // Before the limit: a second invitation to the same address would take no room.
    if room.invited {
        return Err(InviteError::AlreadyInvited(email.to_owned()));
    }
    if let Some(limit) = room.max_users
        && room.used >= i64::from(limit)
    {
        return Err(InviteError::UserLimit {
            plan: room.plan,
            limit,
        });
    }
    Ok(())
}

/// Marks pending invitations past their expiry as expired.
async fn expire_stale(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!(
        "update invitations set status = 'expired', updated_at = now()
         where status = 'pending' and expires_at <= now()"
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Composes the invitation email and queues it.
#[allow(clippy::too_many_arguments)]
async fn send(
    tx: &mut PgConnection,
    id: Uuid,
    scope: Scope,
    email: &str,
    role_label: &str,
    plain: &str,
    expires_at: OffsetDateTime,
    mail: &Mail<'_>,
    actor: &Actor,
) -> Result<(), InviteError> {
    let link = format!(
        "{}/invite?token={plain}",
        mail.base_url.trim_end_matches('/')
    );
    // The platform itself (no person) is named by the message, in its language.
    let inviter = if actor.id.is_some() {
        actor.label.as_str()
    } else {
        ""
    };
    let composed = compose::invitation(&compose::Invitation {
        brand: mail.brand,
        inviter,
        role: role_label,
        link: &link,
        expires: expires_at,
    })?;
    outbox::enqueue(tx, Kind::Invitation, scope.tenant(), email, &composed).await?;
    tracing::debug!(invitation = %id, "invitation queued");
    Ok(())
}

/// Revokes a pending invitation of `scope`: its link stops working at once.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn revoke(
    db: &PgPool,
    scope: Scope,
    id: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), InviteError> {
    let mut tx = db.begin().await?;
    expire_stale(&mut tx).await?;
    let row = sqlx::query!(
        r#"select email, status as "status: InvitationStatus" from invitations where id = $1 and tenant_id is not distinct from $2 for update"#,
        id,
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(InviteError::NotFound)?;
    if row.status != InvitationStatus::Pending {
        return Err(InviteError::NotPending("revoked"));
    }
    sqlx::query!(
        "update invitations set status = 'revoked', revoked_at = now(), updated_at = now() where id = $1",
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "invitation.revoked",
            tenant: scope.tenant(),
            target: Some(&row.email),
            origin,
            details: json!({ "invitation_id": id, "tenant_id": scope.tenant() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a pending (or expired) invitation again with a new token and a new expiry; the
/// old link stops working.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn resend(
    db: &PgPool,
    scope: Scope,
    id: Uuid,
    mail: &Mail<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), InviteError> {
    let mut tx = db.begin().await?;
    let row = sqlx::query!(
        r#"select i.email, i.status as "status: InvitationStatus", i.role,
                  coalesce(r.name, case i.role when 'admin' then 'Admin' when 'member' then 'Member'
                       when 'owner' then 'Enterprise admin' when 'super_admin' then 'Super admin' else 'Support' end) as "role_label!"
           from invitations i left join tenant_roles r on r.id = i.role_id
           where i.id = $1 and i.tenant_id is not distinct from $2 for update of i"#,
        id,
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(InviteError::NotFound)?;
    if !matches!(
        row.status,
        InvitationStatus::Pending | InvitationStatus::Expired
    ) {
        return Err(InviteError::NotPending("resent"));
    }
    let (plain, hash) = token::generate();
    let updated = sqlx::query_scalar!(
        "update invitations set token_hash = $2, status = 'pending', updated_at = now(),
                expires_at = now() + make_interval(days => $3)
         where id = $1 returning expires_at",
        id,
        &hash[..],
        mail.days as i32,
    )
    .fetch_one(&mut *tx)
    .await;
    // An expired one whose address was invited again since.
    let expires_at = updated.on_constraint("invitations_pending_key", || {
        InviteError::AlreadyInvited(row.email.clone())
    })?;
    send(
        &mut tx,
        id,
        scope,
        &row.email,
        &row.role_label,
        &plain,
        expires_at,
        mail,
        actor,
    )
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "invitation.resent",
            tenant: scope.tenant(),
            target: Some(&row.email),
            origin,
            details: json!({ "invitation_id": id, "tenant_id": scope.tenant(), "role": row.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
