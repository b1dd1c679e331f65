//! Accepting an invitation: what a token leads to, and using it up to create the identity
//! (if new) and grant the membership or staff role, all in one transaction.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::users::User;
use crate::pg::constraint::OnConstraint;

use super::{InvitationStatus, Scope};

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
        r#"select i.id, i.email, i.status as "status: InvitationStatus", i.expires_at <= now() as "expired!",
                  coalesce(r.name, case i.role when 'admin' then 'Admin' when 'member' then 'Member'
                       when 'owner' then 'Enterprise admin' when 'super_admin' then 'Super admin' else 'Support' end) as "role_label!"
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
        state: match r.status {
            InvitationStatus::Accepted => TokenState::Used,
            InvitationStatus::Revoked => TokenState::Revoked,
            InvitationStatus::Expired => TokenState::Expired,
            InvitationStatus::Pending if r.expired => TokenState::Expired,
            InvitationStatus::Pending => TokenState::Open,
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
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Accepts the invitation behind `plain`: creates the identity if needed, grants the
/// membership or staff role, uses the token up. Returns the user to sign in.
#[tracing::instrument(skip_all, err(level = "debug"))]
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
        r#"select id, email, role, role_id, status as "status: InvitationStatus", expires_at <= now() as "expired!"
           from invitations where token_hash = $1 and tenant_id is not distinct from $2 for update"#,
        &hash[..],
        scope.tenant()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AcceptError::Unknown)?;
    match inv.status {
        InvitationStatus::Accepted => return Err(AcceptError::Used),
        InvitationStatus::Revoked => return Err(AcceptError::Revoked),
        InvitationStatus::Expired => return Err(AcceptError::Expired),
        InvitationStatus::Pending if inv.expired => return Err(AcceptError::Expired),
        InvitationStatus::Pending => {}
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
            tenant: scope.tenant(),
            target: Some(&inv.email),
            origin,
            details: json!({ "invitation_id": inv.id, "tenant_id": scope.tenant(), "role": inv.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}
