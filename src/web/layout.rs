//! What every page's base layout needs: the CSRF token, the signed-in staff member, the
//! navigation (only links the role may follow) and asset URLs.

use crate::auth::guard::PlatformAction;
use crate::web::assets;
use crate::web::platform::Staff;

/// A navigation entry of the platform console.
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

const fn nav(key: &'static str, label: &'static str, href: &'static str) -> NavItem {
    NavItem { key, label, href }
}

/// Platform console pages that exist, with the permission each needs. Staff, Plans and
/// Outbox join this list as they are built (pages that don't exist are not linked).
#[rustfmt::skip]
const PLATFORM_NAV: &[(NavItem, PlatformAction)] = &[
    (nav("dashboard", "Dashboard", "/"), PlatformAction::ViewDashboard),
    (nav("tenants", "Tenants", "/tenants"), PlatformAction::ViewTenants),
    (nav("usage", "Usage", "/usage"), PlatformAction::ViewTenants),
    (nav("modules", "Modules", "/modules"), PlatformAction::ViewTenants),
    (nav("staff", "Staff", "/staff"), PlatformAction::ManageStaff),
    (nav("segments", "Segments", "/segments"), PlatformAction::ManageStaff),
    (nav("plans", "Plans", "/plans"), PlatformAction::ManagePlans),
    (nav("servers", "Database servers", "/servers"), PlatformAction::ManageServers),
    (nav("api-tokens", "API tokens", "/api-tokens"), PlatformAction::ManageStaff),
    (nav("audit", "Audit", "/audit"), PlatformAction::ViewAudit),
    (nav("outbox", "Outbox", "/outbox"), PlatformAction::ViewOutbox),
    (nav("system", "System", "/system"), PlatformAction::ViewDashboard),
];

/// Who sees an entry of the tenant console's navigation.
#[derive(Clone, Copy)]
enum Shown {
    ToEveryone,
    /// When the tenant has enabled this module and the person's access reaches it.
    WithModule(&'static str),
    /// To those who administer the tenant.
    ToAdministrators,
    /// To those who may read the tenant's records (usage, audit).
    ToRecordReaders,
}

/// The tenant console's pages, in navigation order (links are under the tenant's base).
#[rustfmt::skip]
const TENANT_NAV: &[(NavItem, Shown)] = &[
    (nav("dashboard", "Dashboard", "/"), Shown::ToEveryone),
    (nav("crm", "Customers", "/crm"), Shown::WithModule("crm")),
    (nav("tasks", "Tasks", "/tasks"), Shown::WithModule("tasks")),
    (nav("inventory", "Products", "/inventory"), Shown::WithModule("inventory")),
    (nav("billing", "Invoices", "/billing"), Shown::WithModule("billing")),
    (nav("members", "Members", "/members"), Shown::ToEveryone),
    (nav("roles", "Roles", "/roles"), Shown::ToAdministrators),
    (nav("modules", "Modules", "/modules"), Shown::ToEveryone),
    (nav("settings", "Settings", "/settings"), Shown::ToEveryone),
    (nav("usage", "Usage", "/usage"), Shown::ToRecordReaders),
    (nav("audit", "Audit", "/audit"), Shown::ToRecordReaders),
];

pub struct Layout {
    pub title: String,
    /// Path prefix of the tenant console (`/t/<slug>` when resolved from the path).
    pub base: String,
    /// The tenant console's name, empty on the platform console.
    pub tenant_name: String,
    /// On a tenant console opened by platform staff: who is looking, shown on every page.
    pub viewing_as: Option<String>,
    /// A plan limit that refuses this tenant's writes, said on every page.
    pub limit_notice: Option<String>,
    pub csrf_token: String,
    /// Messages left by the POST that redirected here (shown once, as toasts).
    pub flashes: Vec<crate::web::flash::Flash>,
    pub active: &'static str,
    /// The navigation entries this person may follow (tenant console: under `base`).
    pub nav: Vec<&'static NavItem>,
    pub user_email: String,
    pub user_role: String,
    pub css: String,
    pub js: String,
    /// Our few lines of script (toasts, confirmations, copy buttons, the menu).
    pub app_js: String,
    pub favicon: String,
    pub version: &'static str,
    /// The reader's language: texts, numbers and dates (`web::i18n`).
    pub locale: crate::web::i18n::Locale,
    /// Where the language menu posts (under the tenant's base on a tenant console).
    pub language_action: String,
}

impl Layout {
    /// A navigation entry's label in the reader's language.
    pub fn nav_label(&self, item: &NavItem) -> String {
        self.locale.t(&format!("nav-{}", item.key))
    }

    /// The console's text `key` in the reader's language.
    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// The languages the menu offers: (code, name, selected).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        let current = self.locale.texts();
        crate::web::i18n::LANGUAGES
            .iter()
            .map(|(code, name)| (*code, *name, *code == current))
            .collect()
    }

    /// Layout for a signed-in staff page; `active` names the current navigation entry.
    pub async fn staff(
        staff: &Staff,
        active: &'static str,
        title: &str,
    ) -> Result<Self, tower_sessions::session::Error> {
        let nav = PLATFORM_NAV
            .iter()
            .filter(|(_, action)| staff.can(*action))
            .map(|(item, _)| item)
            .collect();
        Ok(Self {
            title: title.to_owned(),
            csrf_token: crate::web::csrf::token(&staff.session).await?,
            flashes: crate::web::flash::take(&staff.session).await?,
            active,
            nav,
            user_email: staff.user.email.clone(),
            user_role: staff.locale().message(staff.role.label()),
            locale: staff.locale(),
            language_action: "/language".into(),
            ..Self::bare(title, String::new())
        })
    }

    /// Layout for a tenant console page.
    pub async fn tenant(
        member: &crate::web::tenant::Member,
        active: &'static str,
        title: &str,
    ) -> Result<Self, tower_sessions::session::Error> {
        let modules = member.visible_modules();
        let nav = TENANT_NAV
            .iter()
            .filter(|(_, shown)| match shown {
                Shown::ToEveryone => true,
                Shown::WithModule(module) => modules.iter().any(|m| m == module),
                Shown::ToAdministrators => member.access.administers(),
                Shown::ToRecordReaders => member.access.sees_records(),
            })
            .map(|(item, _)| item)
            .collect();
        Ok(Self {
            nav,
            base: member.current.base.clone(),
            tenant_name: member.current.tenant.name.clone(),
            viewing_as: member.access.staff_role().map(|role| {
                let mode = if member.access.read_only() {
                    "read only"
                } else {
                    "changes are audited"
                };
                format!(
                    "You are viewing {} as {}: {mode}.",
                    member.current.tenant.name,
                    role.label()
                )
            }),
            limit_notice: member.limit_notice.clone(),
            csrf_token: crate::web::csrf::token(&member.session).await?,
            flashes: crate::web::flash::take(&member.session).await?,
            active,
            user_email: member.user.email.clone(),
            user_role: member.locale.access(&member.access),
            locale: member.locale.clone(),
            language_action: format!("{}/language", member.current.base),
            ..Self::bare(title, String::new())
        })
    }

    /// Layout for pages seen before sign-in.
    pub fn public(title: &str, csrf_token: String) -> Self {
        Self::bare(title, csrf_token)
    }

    fn bare(title: &str, csrf_token: String) -> Self {
        Self {
            title: title.to_owned(),
            base: String::new(),
            tenant_name: String::new(),
            viewing_as: None,
            limit_notice: None,
            csrf_token,
            flashes: Vec::new(),
            active: "",
            nav: Vec::new(),
            user_email: String::new(),
            user_role: String::new(),
            css: assets::url("app.css"),
            js: assets::url("htmx.min.js"),
            app_js: assets::url("app.js"),
            favicon: assets::url("favicon.svg"),
            version: env!("CARGO_PKG_VERSION"),
            locale: crate::web::i18n::Locale::default(),
            language_action: String::new(),
        }
    }
}
