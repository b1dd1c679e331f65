//! Where a page seen before sign-in is served — the platform's host or a tenant's — and
//! what follows from it: whose sessions it makes, the path prefix of its links, the name
//! it shows, and where mailed links point. Invitation and password-reset pages share it.

use crate::auth::login::Audience;
use crate::config::Config;
use crate::control::invitations::Scope;
use crate::state::AppState;
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::tenant::CurrentTenant;

pub struct Place {
    pub audience: Audience,
    /// Path prefix of links (`/t/<slug>` when the tenant was named in the path).
    pub base: String,
    /// The tenant's name; empty on the platform.
    pub tenant_name: String,
    /// Base URL of links in mail.
    pub link_base: String,
    /// The language of its pages: the tenant's (Settings) on a tenant's host; nobody is
    /// signed in to have a choice of their own.
    pub locale: Locale,
}

impl Place {
    pub fn platform(config: &Config) -> Self {
        Self {
            audience: Audience::Platform,
            base: String::new(),
            tenant_name: String::new(),
            link_base: config.admin_url(),
            locale: Locale::default(),
        }
    }

    pub async fn tenant(state: &AppState, current: &CurrentTenant) -> sqlx::Result<Self> {
        Ok(Self {
            audience: Audience::Tenant(current.tenant.id),
            base: current.base.clone(),
            tenant_name: current.tenant.name.clone(),
            link_base: state.config.tenant_url(&current.tenant.slug),
            locale: tenant_locale(state, current).await?,
        })
    }

    /// Whose invitations are accepted here.
    pub fn scope(&self) -> Scope {
        match self.audience {
            Audience::Tenant(id) => Scope::Tenant(id),
            Audience::Platform => Scope::Platform,
        }
    }

    /// Who people are welcomed to.
    pub fn name(&self) -> &str {
        if self.tenant_name.is_empty() {
            "the platform team"
        } else {
            &self.tenant_name
        }
    }

    /// The sign-in-style layout, with this place's prefix, name and language (`title`
    /// is English, shown in the place's language).
    pub fn layout(&self, title: &str, csrf: String) -> Layout {
        let mut layout = Layout::public(&self.locale.message(title), csrf);
        layout.base = self.base.clone();
        layout.tenant_name = self.tenant_name.clone();
        layout.locale = self.locale.clone();
        layout
    }
}

/// The language of a tenant's pages before anyone signs in: its Settings' language.
pub async fn tenant_locale(state: &AppState, current: &CurrentTenant) -> sqlx::Result<Locale> {
    let limits = state.tenancy.limits(current.tenant.id).await?;
    Ok(Locale::new(&limits.language))
}
