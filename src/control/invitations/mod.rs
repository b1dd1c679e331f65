//! Invitations to a tenant or to the platform's staff. The plain token goes out in an
//! email (queued in the outbox in the same transaction) and is never stored: only its
//! SHA-256. A token works once, until it expires, is revoked, or is replaced by a resend.
//!
//! [`issue`] invites (create, resend, revoke); [`accept`] turns a token into a member or
//! a staff member.

mod accept;
mod issue;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;
use validator::ValidateEmail;

use crate::control::users::PlatformRole;
use crate::mail::compose::Branding;

pub use accept::{AcceptError, Acceptor, Found, TokenState, accept, find};
pub use issue::{InviteError, create, resend, revoke};

crate::text_enum! {
    /// Where an invitation stands (a pending one past its expiry reads as expired).
    pub enum InvitationStatus {
        Pending = "pending",
        Accepted = "accepted",
        Revoked = "revoked",
        Expired = "expired",
    }
}

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
    /// Reads a role as forms submit it: `admin`, `member`, `role:<uuid>`, and on the
    /// platform `owner` (only owners manage staff, so only they can invite one),
    /// `super_admin`, `support`.
    pub fn parse(scope: Scope, s: &str) -> Option<Self> {
        match (scope, s) {
            (Scope::Tenant(_), "admin") => Some(Self::TenantAdmin),
            (Scope::Tenant(_), "member") => Some(Self::TenantMember),
            (Scope::Tenant(_), s) => s
                .strip_prefix("role:")
                .and_then(|id| Uuid::parse_str(id).ok())
                .map(Self::Custom),
            (Scope::Platform, "owner") => Some(Self::Staff(PlatformRole::Owner)),
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

/// An invitation as lists show it.
pub struct Listed {
    pub id: Uuid,
    pub email: String,
    pub role_label: String,
    pub status: InvitationStatus,
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
                       when 'owner' then 'Enterprise admin' when 'super_admin' then 'Super admin' when 'support' then 'Support' else i.role end) as "role_label!",
                  case when i.status = 'pending' and i.expires_at <= now() then 'expired' else i.status end as "status!: InvitationStatus",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_per_scope() {
        let t = Scope::Tenant(Uuid::nil());
        assert_eq!(Role::parse(t, "admin"), Some(Role::TenantAdmin));
        assert_eq!(Role::parse(t, "support"), None);
        assert_eq!(
            Role::parse(Scope::Platform, "owner"),
            Some(Role::Staff(PlatformRole::Owner))
        );
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
