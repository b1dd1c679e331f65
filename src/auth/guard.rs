//! The access guard: the one place that decides what platform staff may do, and the
//! extractor that platform pages use to require a signed-in staff member.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::auth::AuthSession;
use crate::auth::login::SESSION_HOST_KEY;
use crate::control::users::{PlatformRole, User};
use crate::web::error::AppError;
use crate::web::meta::request_host;

/// Things platform staff do in the platform console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformAction {
    ViewDashboard,
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
}

/// DESIGN.md's access table, platform side.
pub fn platform_allows(role: PlatformRole, action: PlatformAction) -> bool {
    use PlatformAction::*;
    use PlatformRole::*;
    match action {
        ViewDashboard => true,
        // The platform-wide log spans every tenant: owners, and support who read all.
        ViewAudit => matches!(role, Owner | Support),
        ViewTenants => true,
        SuspendTenant => matches!(role, Owner | SuperAdmin),
        ManageStaff | CreateTenant | ManageTenantLifecycle | ManageServers => role == Owner,
    }
}

/// A signed-in platform staff member, on the host their session was made on.
pub struct Staff {
    pub user: User,
    pub role: PlatformRole,
    pub session: Session,
}

impl Staff {
    /// Whose tenants this staff member sees: `None` = all, `Some(id)` = assigned to `id`.
    pub fn tenant_scope(&self) -> Option<uuid::Uuid> {
        (self.role == PlatformRole::SuperAdmin).then_some(self.user.id)
    }

    /// Refuses with 403 unless the role allows `action`.
    pub fn require(&self, action: PlatformAction) -> Result<(), AppError> {
        if platform_allows(self.role, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden("Your role does not allow this.".into()))
        }
    }

    pub fn can(&self, action: PlatformAction) -> bool {
        platform_allows(self.role, action)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let auth = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("auth layer missing")))?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("session layer missing")))?;
        let user = auth.user.ok_or(AppError::Unauthenticated)?;
        // A cookie copied to another host is no session there.
        let bound: Option<String> = session.get(SESSION_HOST_KEY).await?;
        if bound.is_none() || bound != request_host(parts) {
            return Err(AppError::Unauthenticated);
        }
        let role = user.platform_role.ok_or(AppError::Unauthenticated)?;
        Ok(Self {
            user,
            role,
            session,
        })
    }
}
