//! The access guard: the one place that decides what platform staff may do and how far
//! each kind of tenant access reaches (including custom roles' module levels).

use crate::control::roles::{Level, Permissions};
use crate::control::users::PlatformRole;

/// Things platform staff do in the platform console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformAction {
    ViewDashboard,
    /// Read the audit log (super admins: only the events of their tenants).
    ViewAudit,
    ManageStaff,
    /// See the tenants list and details (super admins: only their assigned tenants).
    ViewTenants,
    CreateTenant,
    /// Suspend and reactivate (super admins: their assigned tenants).
    SuspendTenant,
    /// Delete, restore, purge, retry provisioning.
    ManageTenantLifecycle,
    ManageServers,
    /// Read the database servers (owners; the API's read side of `ManageServers`).
    ViewServers,
    /// Read segments and who is assigned to which tenant (owners; the API's read side of
    /// `ManageStaff`).
    ViewAssignments,
    /// Create, edit and delete plans.
    ManagePlans,
    /// Change a tenant's plan and name (super admins: their assigned tenants).
    ChangeTenantPlan,
    /// Read the outbox (message bodies carry invitation links) and resend messages.
    ViewOutbox,
    /// Invite and remove a tenant's users (super admins: their assigned tenants).
    ManageTenantPeople,
    /// Take a backup of a tenant (super admins: their assigned tenants). Restoring one
    /// is part of the lifecycle (owners).
    BackupTenant,
}

/// DESIGN.md's access table, platform side.
pub fn platform_allows(role: PlatformRole, action: PlatformAction) -> bool {
    use PlatformAction::*;
    use PlatformRole::*;
    match action {
        ViewDashboard => true,
        // Every staff role reads the log; a super admin only their tenants' events
        // (the page passes `Staff::tenant_scope` to the query).
        ViewAudit => true,
        ViewTenants => true,
        SuspendTenant | ChangeTenantPlan | ManageTenantPeople | BackupTenant => {
            matches!(role, Owner | SuperAdmin)
        }
        ManageStaff
        | CreateTenant
        | ManageTenantLifecycle
        | ManageServers
        | ViewServers
        | ViewAssignments
        | ManagePlans
        | ViewOutbox => role == Owner,
    }
}

/// What a staff member's role must allow to apply a lifecycle `action` to a tenant.
pub fn lifecycle_needs(action: crate::tenancy::lifecycle::Action) -> PlatformAction {
    use crate::tenancy::lifecycle::Action;
    match action {
        Action::Suspend | Action::Activate => PlatformAction::SuspendTenant,
        _ => PlatformAction::ManageTenantLifecycle,
    }
}

/// How far an API token reaches; each scope includes the ones before it. A platform
/// token's scope sits on top of its staff member's role: `read` only looks, `write` also
/// creates and changes tenants (plan, name, suspension, invitations), `admin` also
/// deletes, restores and purges them. A tenant token's: `read` only reads (its
/// transactions are READ ONLY), `write` also changes module records, `admin` also manages
/// the tenant's members and invitations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenScope {
    Read,
    Write,
    Admin,
}

impl TokenScope {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Whether a tenant token's transactions may write (below `write` they are READ ONLY).
    pub fn writes(self) -> bool {
        self >= Self::Write
    }

    /// The least scope `action` needs.
    pub fn needed_for(action: PlatformAction) -> Self {
        use PlatformAction::*;
        match action {
            ViewDashboard | ViewAudit | ViewTenants | ViewOutbox | ViewServers
            | ViewAssignments => Self::Read,
            CreateTenant | SuspendTenant | ChangeTenantPlan | ManageTenantPeople | BackupTenant => {
                Self::Write
            }
            ManageStaff | ManageTenantLifecycle | ManageServers | ManagePlans => Self::Admin,
        }
    }
}

/// What a platform token may do: its staff member's role must allow `action` (the same
/// rule as the console) and its scope must reach that far.
pub fn token_allows(role: PlatformRole, scope: TokenScope, action: PlatformAction) -> bool {
    platform_allows(role, action) && scope >= TokenScope::needed_for(action)
}

/// How someone may use a tenant's console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantAccess {
    /// A member of the tenant, with their tenant role.
    Member(MemberRole),
    /// Platform staff: owners and assigned super admins administer; support only reads.
    Staff { role: PlatformRole },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberRole {
    Admin,
    Member,
    /// A role the tenant defined, as it stands now.
    Custom(CustomRole),
}

/// A tenant's custom role, read with the membership on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRole {
    pub id: uuid::Uuid,
    pub name: String,
    pub permissions: Permissions,
}

impl TenantAccess {
    /// Whether writes are refused everywhere (support staff read any tenant, change
    /// nothing).
    pub fn read_only(&self) -> bool {
        matches!(
            self,
            Self::Staff {
                role: PlatformRole::Support
            }
        )
    }

    /// The platform role through which staff see this tenant (`None` for members).
    pub fn staff_role(&self) -> Option<PlatformRole> {
        match self {
            Self::Staff { role } => Some(*role),
            Self::Member(_) => None,
        }
    }

    pub fn is_tenant_admin(&self) -> bool {
        matches!(self, Self::Member(MemberRole::Admin))
    }

    /// Whether this person administers the tenant (settings, people, roles, modules):
    /// its admins, and owners or assigned super admins acting for them.
    pub fn administers(&self) -> bool {
        matches!(
            self,
            Self::Member(MemberRole::Admin)
                | Self::Staff {
                    role: PlatformRole::Owner | PlatformRole::SuperAdmin
                }
        )
    }

    /// Whether the tenant's records — its usage and its audit log — are open to this
    /// person (DESIGN.md's "view tenant detail, users, usage, audit" row): those who
    /// administer it, and support (who read everything).
    pub fn sees_records(&self) -> bool {
        self.administers() || self.read_only()
    }

    /// How far this person may go in an enabled `module`'s pages; `None` hides it.
    /// DESIGN.md's access table: admins administer, members write, support reads, a
    /// custom role grants what it names; owners and super admins run the tenant from
    /// the platform and do not use its module pages.
    pub fn module_level(&self, module: &str) -> Option<Level> {
        match self {
            Self::Member(MemberRole::Admin) => Some(Level::Admin),
            Self::Member(MemberRole::Member) => Some(Level::Write),
            Self::Member(MemberRole::Custom(role)) => role.permissions.get(module),
            Self::Staff {
                role: PlatformRole::Support,
            } => Some(Level::Read),
            Self::Staff {
                role: PlatformRole::Owner | PlatformRole::SuperAdmin,
            } => None,
        }
    }

    pub fn label(&self) -> &str {
        match self {
            Self::Member(MemberRole::Admin) => "Admin",
            Self::Member(MemberRole::Member) => "Member",
            Self::Member(MemberRole::Custom(role)) => &role.name,
            Self::Staff { role } => role.label(),
        }
    }
}

/// The one place that decides who may use a tenant's console: a membership, or a staff
/// role that reaches this tenant (owners and support: all; super admins: assigned).
pub async fn tenant_access(
    db: &sqlx::PgPool,
    user: &crate::control::users::User,
    tenant: uuid::Uuid,
) -> sqlx::Result<Option<TenantAccess>> {
    let membership = sqlx::query!(
        r#"select m.role, m.role_id, r.name as "role_name?", r.permissions as "permissions?"
           from memberships m
           left join tenant_roles r on r.id = m.role_id and r.tenant_id = m.tenant_id
           where m.user_id = $1 and m.tenant_id = $2"#,
        user.id,
        tenant
    )
    .fetch_optional(db)
    .await?;
    if let Some(m) = membership {
        let role = match (m.role.as_str(), m.role_id) {
            ("admin", _) => MemberRole::Admin,
            ("custom", Some(id)) => MemberRole::Custom(CustomRole {
                id,
                // A role that can't be read grants nothing.
                name: m.role_name.unwrap_or_else(|| "Custom role".into()),
                permissions: m
                    .permissions
                    .map(|p| Permissions::from_json(&p))
                    .unwrap_or_default(),
            }),
            _ => MemberRole::Member,
        };
        return Ok(Some(TenantAccess::Member(role)));
    }
    Ok(match user.platform_role {
        Some(role @ (PlatformRole::Owner | PlatformRole::Support)) => {
            Some(TenantAccess::Staff { role })
        }
        Some(PlatformRole::SuperAdmin) => {
            crate::tenancy::tenants::in_scope(db, tenant, Some(user.id))
                .await?
                .then_some(TenantAccess::Staff {
                    role: PlatformRole::SuperAdmin,
                })
        }
        None => None,
    })
}
