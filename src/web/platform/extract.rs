//! The extractor platform pages use to require a signed-in staff member, on the host
//! their session was made on. What each role may do is the guard's decision
//! ([`crate::auth::guard::platform_allows`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::auth::AuthSession;
use crate::auth::guard::{PlatformAction, platform_allows};
use crate::auth::login::{Audience, SESSION_HOST_KEY};
use crate::control::users::{PlatformRole, User};
use crate::web::error::AppError;
use crate::web::meta::request_host;

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
        // A cookie copied to another host (or console) is no session there.
        let bound: Option<String> = session.get(SESSION_HOST_KEY).await?;
        let here = request_host(parts).map(|h| Audience::Platform.binding(&h));
        if bound.is_none() || bound != here {
            return Err(AppError::Unauthenticated);
        }
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        let role = user.platform_role.ok_or(AppError::Unauthenticated)?;
        Ok(Self {
            user,
            role,
            session,
        })
    }
}
