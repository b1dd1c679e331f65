//! Invitations to a tenant or to the platform's staff. The plain token goes out in an
//! email (queued in the outbox in the same transaction) and is never stored: only its
//! SHA-256. A token works once, until it expires, is revoked, or is replaced by a resend.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;
use validator::ValidateEmail;

use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::outbox::{self, Kind};
use crate::control::users::{PlatformRole, User};
use crate::mail::compose::{self, Branding};
use crate::pg::constraint::OnConstraint;

/// Where an invitation leads: into a tenant, or onto the platform's staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Tenant(Uuid),
    Platform,
}

impl Scope {
    fn tenant(self) -> Option<Uuid> {
        match self {
            Self::Tenant(id) => Some(id),
            Self::Platform => None,
        }
    }
}

/// The role an invitation grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    TenantAdmin,
    TenantMember,
    /// A custom role of the inviting tenant.
    Custom(Uuid),
    Staff(PlatformRole),
}

impl Role {
    /// Reads a role as forms submit it: `admin`, `member`, `role:<uuid>`, `super_admin`,
    /// `support`. Owners are never invited (they are created from the shell).
    pub fn parse(scope: Scope, s: &str) -> Option<Self> {
        match (scope, s) {
            (Scope::Tenant(_), "admin") => Some(Self::TenantAdmin),
            (Scope::Tenant(_), "member") => Some(Self::TenantMember),
            (Scope::Tenant(_), s) => s
                .strip_prefix("role:")
                .and_then(|id| Uuid::parse_str(id).ok())
                .map(Self::Custom),
            (Scope::Platform, "super_admin") => Some(Self::Staff(PlatformRole::SuperAdmin)),
            (Scope::Platform, "support") => Some(Self::Staff(PlatformRole::Support)),
            (Scope::Platform, _) => None,
        }
    }

    /// The `role` and `role_id` columns.
    fn columns(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::TenantAdmin => ("admin", None),
            Self::TenantMember => ("member", None),
            Self::Custom(id) => ("custom", Some(id)),
            Self::Staff(r) => (r.as_str(), None),
        }
    }
}

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
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What the invitation email needs: who sends it and where its link points.
pub struct Mail<'a> {
    pub brand: &'a Branding,
    /// The console's base URL (the tenant's host, or the platform's).
    pub base_url: &'a str,
    pub days: u32,
}

/// A new invitation.
pub struct NewInvitation<'a> {
    pub scope: Scope,
    pub email: &'a str,
    pub role: Role,
}

/// Checks an address typed into a form; one line, at most 254 characters.
pub fn valid_email(email: &str) -> bool {
    email.len() <= 254 && !email.chars().any(char::is_control) && email.validate_email()
}

/// Invites someone: the invitation, its email in the outbox and the audit event commit
/// together, inside the caller's transaction.
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
        (Scope::Platform, Role::Staff(r)) if r != PlatformRole::Owner => r.label().into(),
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
    let expires = format!(
        "{} {:02}:{:02} UTC",
        expires_at.date(),
        expires_at.hour(),
        expires_at.minute()
    );
    let inviter = if actor.id.is_some() {
        actor.label.as_str()
    } else {
        "The platform team"
    };
    let composed = compose::invitation(&compose::Invitation {
        brand: mail.brand,
        inviter,
        role: role_label,
        link: &link,
        expires: &expires,
    })?;
    outbox::enqueue(tx, Kind::Invitation, scope.tenant(), email, &composed).await?;
    tracing::debug!(invitation = %id, "invitation queued");
    Ok(())
}

/// An invitation as lists show it.
pub struct Listed {
    pub id: Uuid,
    pub email: String,
    pub role_label: String,
    pub status: String,
    pub invited_by: String,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

/// Invitations of a scope, newest first (pending ones past expiry show as expired).
pub async fn list(db: &PgPool, scope: Scope) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as!(
        Listed,
        r#"select i.id, i.email,
                  coalesce(r.name, case i.role when 'admin' then 'Admin' when 'member' then 'Member'
                       when 'super_admin' then 'Super admin' when 'support' then 'Support' else i.role end) as "role_label!",
                  case when i.status = 'pending' and i.expires_at <= now() then 'expired' else i.status end as "status!",
                  coalesce(u.email, 'the platform') as "invited_by!",
                  i.expires_at, i.created_at
           from invitations i
           left join tenant_roles r on r.id = i.role_id
           left join users u on u.id = i.invited_by
           where i.tenant_id is not distinct from $1
           order by i.created_at desc
           limit 200"#,
        scope.tenant()
    )
    .fetch_all(db)
    .await
}

/// Revokes a pending invitation of `scope`: its link stops working at once.
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
        "select email, status from invitations where id = $1 and tenant_id is not distinct from $2 for update",
        id,
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(InviteError::NotFound)?;
    if row.status != "pending" {
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
        r#"select i.email, i.status, i.role,
                  coalesce(r.name, case i.role when 'admin' then 'Admin' when 'member' then 'Member'
                       when 'super_admin' then 'Super admin' else 'Support' end) as "role_label!"
           from invitations i left join tenant_roles r on r.id = i.role_id
           where i.id = $1 and i.tenant_id is not distinct from $2 for update of i"#,
        id,
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(InviteError::NotFound)?;
    if row.status != "pending" && row.status != "expired" {
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
            target: Some(&row.email),
            origin,
            details: json!({ "invitation_id": id, "tenant_id": scope.tenant(), "role": row.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a token leads to, as the accept page needs it.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: Uuid,
    pub scope: Scope,
    pub email: String,
    pub role_label: String,
    pub state: TokenState,
}

/// Why a token does or does not work. Each has its own page; none names the members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Open,
    Expired,
    Revoked,
    Used,
}

/// Looks a token up in `scope` (a tenant's token on another host is unknown there).
pub async fn find(db: &PgPool, scope: Scope, plain: &str) -> sqlx::Result<Option<Found>> {
    let hash = token::hash(plain);
    let row = sqlx::query!(
        r#"select i.id, i.email, i.status, i.expires_at <= now() as "expired!",
                  coalesce(r.name, case i.role when 'admin' then 'Admin' when 'member' then 'Member'
                       when 'super_admin' then 'Super admin' else 'Support' end) as "role_label!"
           from invitations i left join tenant_roles r on r.id = i.role_id
           where i.token_hash = $1 and i.tenant_id is not distinct from $2"#,
        &hash[..],
        scope.tenant()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Found {
        id: r.id,
        scope,
        email: r.email,
        role_label: r.role_label,
        state: match r.status.as_str() {
            "accepted" => TokenState::Used,
            "revoked" => TokenState::Revoked,
            "expired" => TokenState::Expired,
            _ if r.expired => TokenState::Expired,
            _ => TokenState::Open,
        },
    }))
}

/// Who accepts: a new person (name and an already hashed password), or an identity that
/// has just proven itself by signing in.
pub enum Acceptor<'a> {
    New {
        name: &'a str,
        password_hash: String,
    },
    Existing(&'a User),
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("This invitation link is not valid.")]
    Unknown,
    #[error("This invitation has expired. Ask for a new one.")]
    Expired,
    #[error("This invitation was withdrawn.")]
    Revoked,
    #[error("This invitation has already been used.")]
    Used,
    #[error("This invitation was sent to a different email address.")]
    WrongEmail,
    #[error("An account with this email already exists: sign in to accept.")]
    MustSignIn,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Accepts the invitation behind `plain`: creates the identity if needed, grants the
/// membership or staff role, uses the token up. Returns the user to sign in.
pub async fn accept(
    db: &PgPool,
    scope: Scope,
    plain: &str,
    who: Acceptor<'_>,
    origin: &Origin,
) -> Result<Uuid, AcceptError> {
    let hash = token::hash(plain);
    let mut tx = db.begin().await?;
    let inv = sqlx::query!(
        r#"select id, email, role, role_id, status, expires_at <= now() as "expired!"
           from invitations where token_hash = $1 and tenant_id is not distinct from $2 for update"#,
        &hash[..],
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AcceptError::Unknown)?;
    match inv.status.as_str() {
        "accepted" => return Err(AcceptError::Used),
        "revoked" => return Err(AcceptError::Revoked),
        "expired" => return Err(AcceptError::Expired),
        _ if inv.expired => return Err(AcceptError::Expired),
        _ => {}
    }
    let user_id = match who {
        Acceptor::Existing(user) => {
            if !user.email.eq_ignore_ascii_case(&inv.email) {
                return Err(AcceptError::WrongEmail);
            }
            user.id
        }
        Acceptor::New {
            name,
            password_hash,
        } => {
            let id = Uuid::now_v7();
            let inserted = sqlx::query!(
                "insert into users (id, email, name, password_hash) values ($1, $2, $3, $4)",
                id,
                inv.email,
                name,
                password_hash
            )
            .execute(&mut *tx)
            .await;
            inserted.on_constraint("users_email_key", || AcceptError::MustSignIn)?;
            id
        }
    };
    match scope {
        Scope::Tenant(tenant) => {
            sqlx::query!(
                "insert into memberships (user_id, tenant_id, role, role_id) values ($1, $2, $3, $4)
                 on conflict (user_id, tenant_id) do nothing",
                user_id,
                tenant,
                inv.role,
                inv.role_id
            )
            .execute(&mut *tx)
            .await?;
        }
        Scope::Platform => {
            // Staff roles are only ever granted to someone without one.
            sqlx::query!(
                "update users set platform_role = $2 where id = $1 and platform_role is null",
                user_id,
                inv.role
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query!(
        "update invitations set status = 'accepted', accepted_by = $2, accepted_at = now(), updated_at = now()
         where id = $1",
        inv.id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::user(user_id, &inv.email),
            action: "invitation.accepted",
            target: Some(&inv.email),
            origin,
            details: json!({ "invitation_id": inv.id, "tenant_id": scope.tenant(), "role": inv.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_per_scope() {
        let t = Scope::Tenant(Uuid::nil());
        assert_eq!(Role::parse(t, "admin"), Some(Role::TenantAdmin));
        assert_eq!(Role::parse(t, "support"), None);
        assert_eq!(Role::parse(Scope::Platform, "owner"), None);
        assert_eq!(Role::parse(Scope::Platform, "admin"), None);
        let id = Uuid::now_v7();
        assert_eq!(
            Role::parse(t, &format!("role:{id}")),
            Some(Role::Custom(id))
        );
        assert_eq!(Role::parse(t, "role:nope"), None);
    }

    #[test]
    fn emails_are_one_line() {
        assert!(valid_email("ada@acme.test"));
        assert!(!valid_email("ada@acme.test\r\nBcc: x@evil.test"));
        assert!(!valid_email(&format!("{}@acme.test", "a".repeat(300))));
    }
}
