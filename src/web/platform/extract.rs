//! The extractor platform pages use to require a signed-in staff member, on the host
//! their session was made on. What each role may do is the guard's decision
//! ([`crate::auth::guard::platform_allows`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::auth::guard::{PlatformAction, platform_allows};
use crate::auth::login::Audience;
use crate::control::users::{PlatformRole, User};
use crate::web::error::AppError;
use crate::web::sign_in::signed_in;

/// A signed-in platform staff member, on the host their session was made on.
pub struct Staff {
    pub user: User,
    pub role: PlatformRole,
    pub session: Session,
}

impl Staff {
    /// The language staff read the platform console in: their own choice, else English
    /// (the platform has no tenant whose default would apply).
    pub fn locale(&self) -> crate::web::i18n::Locale {
        crate::web::i18n::Locale::pick(self.user.language.as_deref(), None)
    }

    /// Whose tenants this staff member sees: `None` = all, `Some(id)` = assigned to `id`.
    pub fn tenant_scope(&self) -> Option<uuid::Uuid> {
        (self.role == PlatformRole::SuperAdmin).then_some(self.user.id)
    }

    /// Refuses with 403 unless the role allows `action`.
    pub fn require(&self, action: PlatformAction) -> Result<(), AppError> {
        if platform_allows(self.role, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                self.locale().t("msg-role-does-not-allow"),
            ))
        }
    }

    pub fn can(&self, action: PlatformAction) -> bool {
        platform_allows(self.role, action)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let (user, session) = signed_in(parts, state, Audience::Platform).await?;
        let role = user.platform_role.ok_or(AppError::Unauthenticated)?;
        let staff = Self {
            user,
            role,
            session,
        };
        crate::web::i18n::ReaderLocale::record(&parts.extensions, &staff.locale());
        Ok(staff)
    }
}
