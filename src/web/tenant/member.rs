//! Who is using a tenant's console: the [`Member`] extractor (signed in, on the host and
//! tenant the session was made for, with access the guard grants), and the tenant's data
//! for them through the pool manager.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::auth::guard::TenantAccess;
use crate::auth::login::Audience;
use crate::control::users::User;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::sign_in::signed_in;
use crate::web::tenant::CurrentTenant;

/// A signed-in user who may use this tenant's console, on the host (and tenant) their
/// session was made for.
pub struct Member {
    pub user: User,
    /// Modules the tenant has enabled (navigation shows their pages).
    pub modules: std::sync::Arc<Vec<String>>,
    pub access: TenantAccess,
    pub current: CurrentTenant,
    pub session: Session,
    /// Why this tenant's writes are refused (its plan's storage), shown on every page.
    pub limit_notice: Option<String>,
    /// Their language: their own choice, else the tenant's.
    pub locale: crate::web::i18n::Locale,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let current = CurrentTenant::from_request_parts(parts, state).await?;
        let (user, session) = signed_in(parts, state, Audience::Tenant(current.tenant.id)).await?;
        let tenant_language = state.tenancy.limits(current.tenant.id).await?;
        let locale = crate::web::i18n::Locale::pick(
            user.language.as_deref(),
            Some(&tenant_language.language),
        );
        crate::web::i18n::ReaderLocale::record(&parts.extensions, &locale);
        // Cached until a change notification: a removed membership ends access on the
        // next request after it arrives, in every instance.
        let access = state
            .access
            .tenant_access(&state.db, &user, current.tenant.id)
            .await?
            .ok_or_else(|| AppError::Forbidden(locale.t("msg-no-longer-access")))?;
        let modules = state.tenancy.modules_for_pages(current.tenant.id).await?;
        if access.staff_role().is_none() {
            state.meter.active_user(current.tenant.id, user.id);
        }
        let limit_notice = parts
            .extensions
            .get::<crate::web::tenant::limits::LimitNotice>()
            .map(|n| n.0.clone());
        Ok(Self {
            limit_notice,
            locale,
            user,
            modules,
            access,
            current,
            session,
        })
    }
}

impl Member {
    /// How far this person may go in `module`: `None` when the tenant has not enabled it
    /// or their access does not reach it (the guard decides the latter).
    pub fn module_level(&self, module: &str) -> Option<crate::control::roles::Level> {
        if self.modules.iter().any(|m| m == module) {
            self.access.module_level(module)
        } else {
            None
        }
    }

    /// The enabled modules this person may open (navigation and dashboard show these).
    pub fn visible_modules(&self) -> Vec<String> {
        self.modules
            .iter()
            .filter(|m| self.access.module_level(m).is_some())
            .cloned()
            .collect()
    }
}

/// The tenant's data through the pool manager; a full budget is a clear 503.
pub async fn tenant_db(
    state: &AppState,
    tenant: uuid::Uuid,
    read_only: bool,
) -> Result<crate::modules::TenantDb, AppError> {
    let pool = state.tenancy.pool(tenant).await?;
    Ok(crate::modules::TenantDb::new(pool, read_only))
}

/// The tenant's branding for its mail: its settings (name, logo, colour, language), or
/// its name and language alone if they can't be read (mail still goes out when the
/// tenant's database is busy).
pub async fn mail_branding(
    state: &AppState,
    current: &CurrentTenant,
) -> crate::mail::compose::Branding {
    mail_branding_for(state, current.tenant.id, &current.tenant.name).await
}

/// [`mail_branding`] for a tenant known by id and name (the platform API's invitations).
pub async fn mail_branding_for(
    state: &AppState,
    tenant: uuid::Uuid,
    name: &str,
) -> crate::mail::compose::Branding {
    use crate::mail::compose::Branding;
    let settings = match tenant_db(state, tenant, true).await {
        Ok(db) => crate::modules::settings::get(&db).await.ok(),
        Err(_) => None,
    };
    // The name is the control plane's (the one name shown everywhere); the language is
    // the tenant's Settings', else the control plane's copy of it.
    match settings {
        Some(s) => Branding::tenant(name, &s.logo_url, &s.theme_color).speaking(&s.language),
        None => {
            let language = match state.tenancy.limits(tenant).await {
                Ok(limits) => limits.language.clone(),
                Err(_) => String::new(),
            };
            Branding::tenant(name, "", "").speaking(&language)
        }
    }
}
