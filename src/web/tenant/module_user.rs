//! Who is using a module's pages: [`ModuleUser`] (the module is enabled, the guard's
//! `module_level` reaches it, and `db` is the tenant's data — `READ ONLY` below write),
//! and one extractor per module built on it, so every module's pages ask the same
//! questions the same way: read to see, write to change records, admin for settings.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::control::audit::{self, Actor, NewEvent};
use crate::control::roles::Level;
use crate::modules::TenantDb;
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

pub struct ModuleUser {
    pub member: Member,
    pub level: Level,
    pub db: TenantDb,
}

impl ModuleUser {
    /// The user of `module` (named `name` in refusals); 404 when the tenant has not
    /// enabled it, 403 when this person's access does not reach it.
    pub async fn extract(
        parts: &mut Parts,
        state: &AppState,
        module: &str,
        name: &str,
    ) -> Result<Self> {
        let member = Member::from_request_parts(parts, state).await?;
        if !member.modules.iter().any(|m| m == module) {
            return Err(AppError::NotFound);
        }
        let level = member.module_level(module).ok_or_else(|| {
            AppError::Forbidden(member.locale.t_with(
                "msg-role-excludes-module",
                &[("name", &member.locale.module_name(module, name))],
            ))
        })?;
        let db =
            crate::web::tenant::tenant_db(state, member.current.tenant.id, level < Level::Write)
                .await?;
        Ok(Self { member, level, db })
    }

    /// Whether this person may create, change and delete records.
    pub fn can_write(&self) -> bool {
        self.level >= Level::Write && !self.db.read_only()
    }

    /// Whether this person may change the module's own settings.
    pub fn can_administer(&self) -> bool {
        self.level >= Level::Admin && !self.db.read_only()
    }

    pub fn writable(&self) -> Result<()> {
        if self.can_write() {
            Ok(())
        } else {
            Err(AppError::Forbidden(self.member.locale.t("msg-read-only")))
        }
    }

    pub fn administrable(&self) -> Result<()> {
        if self.can_administer() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                self.member.locale.t("msg-module-admins-only"),
            ))
        }
    }

    /// Whether this person also sees `module`'s pages (for links between modules).
    pub fn sees(&self, module: &str) -> bool {
        self.member.module_level(module).is_some()
    }

    pub async fn audit(
        &self,
        state: &AppState,
        meta: &RequestMeta,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let actor = Actor::user(self.member.user.id, &self.member.user.email);
        audit::record(
            &state.db,
            NewEvent {
                actor: &actor,
                action,
                tenant: Some(self.member.current.tenant.id),
                target: Some(&self.member.current.tenant.slug),
                origin: &meta.origin,
                details,
            },
        )
        .await?;
        Ok(())
    }

    /// After a successful POST: says `text` on the next page and goes to `path` (under
    /// the tenant's base), reloading it if the post came from there.
    pub async fn done(
        &self,
        headers: &axum::http::HeaderMap,
        text: impl Into<String>,
        path: &str,
    ) -> Result<axum::response::Response> {
        crate::web::flash::success(&self.member.session, text).await?;
        Ok(crate::web::redirect_after_post(headers, &self.url(path)))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.member.current.base)
    }

    pub fn base(&self) -> String {
        self.member.current.base.clone()
    }
}

/// An extractor for one module's pages: `module_user!(TasksUser, "tasks", "Tasks");`.
macro_rules! module_user {
    ($name:ident, $module:literal, $label:literal) => {
        pub struct $name(pub crate::web::tenant::module_user::ModuleUser);

        impl axum::extract::FromRequestParts<crate::state::AppState> for $name {
            type Rejection = crate::web::error::AppError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &crate::state::AppState,
            ) -> Result<Self, Self::Rejection> {
                crate::web::tenant::module_user::ModuleUser::extract(parts, state, $module, $label)
                    .await
                    .map(Self)
            }
        }

        impl std::ops::Deref for $name {
            type Target = crate::web::tenant::module_user::ModuleUser;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}
pub(crate) use module_user;
