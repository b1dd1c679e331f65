//! The Roles page: a tenant's custom roles, each a name and a level per catalog module.
//! Only those who administer the tenant see it (its admins; owners and assigned super
//! admins acting for them); members, custom roles and support are refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use uuid::Uuid;

use crate::control::audit::Actor;
use crate::control::roles::{self, Permissions, Role, RoleError};
use crate::state::AppState;
use crate::tenancy::modules::{self, Module};
use crate::web::error::{AppError, Refusal, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/roles", get(roles_page).post(role_create))
        .route("/roles/{id}", get(role_edit).post(role_update))
        .route("/roles/{id}/delete", post(role_delete))
}

/// The choices of each module's select: the submitted value and its label's text id.
const LEVELS: &[(&str, &str)] = &[
    ("", "roles-level-none"),
    ("read", "roles-level-read"),
    ("write", "roles-level-write"),
    ("admin", "roles-level-admin"),
];

/// One module's select in the role form.
struct ModuleChoice {
    id: String,
    name: String,
    field: String,
    selected: String,
}

/// The create or edit form (an htmx partial, also part of the page).
#[derive(Template, WebTemplate)]
#[template(path = "tenant/roles_form.html")]
struct RoleForm {
    locale: Locale,
    base: String,
    csrf_token: String,
    /// The role being edited; `None` for a new one.
    id: Option<Uuid>,
    name: String,
    modules: Vec<ModuleChoice>,
    levels: &'static [(&'static str, &'static str)],
    errors: FieldErrors,
    error: String,
}

impl RoleForm {
    async fn new(member: &Member, catalog: &[Module], role: Option<&Role>) -> Result<Self> {
        let modules = catalog
            .iter()
            .map(|m| ModuleChoice {
                id: m.id.clone(),
                name: m.name.clone(),
                field: format!("perm.{}", m.id),
                selected: role
                    .and_then(|r| r.permissions.get(&m.id))
                    .map(|l| l.as_str().to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Self {
            locale: member.locale.clone(),
            base: member.current.base.clone(),
            csrf_token: crate::web::csrf::token(&member.session).await?,
            id: role.map(|r| r.id),
            name: role.map(|r| r.name.clone()).unwrap_or_default(),
            modules,
            levels: LEVELS,
            errors: FieldErrors::default(),
            error: String::new(),
        })
    }

    /// Where the form posts: the role's address, or the list's for a new one.
    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("{}/roles/{id}", self.base),
            None => format!("{}/roles", self.base),
        }
    }

    /// The form as it was submitted (cut to a sensible length), to show with its errors.
    fn refill(&mut self, fields: &[(String, String)]) {
        let value = |key: &str| {
            fields
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        self.name = value("name").trim().chars().take(100).collect();
        for m in &mut self.modules {
            m.selected = value(&m.field).chars().take(20).collect();
        }
    }

    /// Puts a refusal next to its field; storage failures are not the form's business.
    fn show(&mut self, e: RoleError) -> Result<()> {
        match e {
            RoleError::NameEmpty
            | RoleError::NameTooLong
            | RoleError::NameControl
            | RoleError::Duplicate(_) => self.errors.add("name", e.message_in(&self.locale)),
            RoleError::UnknownLevel { ref module, .. } => self
                .errors
                .add(&format!("perm.{module}"), e.message_in(&self.locale)),
            RoleError::UnknownModule(_) | RoleError::InUse { .. } => {
                self.error = e.message_in(&self.locale)
            }
            e @ (RoleError::NotFound | RoleError::Db(_)) => return Err(e.into()),
        }
        Ok(())
    }
}

/// A role as the list shows it.
struct RoleRow {
    id: Uuid,
    name: String,
    /// (module name, level) in catalog order.
    grants: Vec<(String, &'static str)>,
    members: i64,
    invitations: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/roles.html")]
struct RolesPage {
    layout: Layout,
    error: String,
    rows: Vec<RoleRow>,
    form: RoleForm,
}

impl RolesPage {
    async fn load(
        state: &AppState,
        member: &Member,
        catalog: &[Module],
        form: RoleForm,
    ) -> Result<Self> {
        let rows = roles::list(&state.db, member.current.tenant.id)
            .await?
            .into_iter()
            .map(|r| RoleRow {
                grants: catalog
                    .iter()
                    .filter_map(|m| {
                        let level = r.role.permissions.get(&m.id)?;
                        Some((m.name.clone(), level.as_str()))
                    })
                    .collect(),
                id: r.role.id,
                name: r.role.name,
                members: r.members,
                invitations: r.invitations,
            })
            .collect();
        Ok(Self {
            layout: Layout::tenant(member, "roles", &member.locale.t("title-roles")).await?,
            error: String::new(),
            rows,
            form,
        })
    }
}

/// Refuses anyone who does not administer this tenant.
fn require_admin(member: &Member) -> Result<()> {
    if member.access.administers() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            member.locale.t("msg-admins-manage-roles"),
        ))
    }
}

fn actor(member: &Member) -> Actor {
    Actor::user(member.user.id, &member.user.email)
}

async fn roles_page(State(state): State<AppState>, member: Member) -> Result<RolesPage> {
    require_admin(&member)?;
    let catalog = modules::catalog(&state.db).await?;
    let form = RoleForm::new(&member, &catalog, None).await?;
    RolesPage::load(&state, &member, &catalog, form).await
}

/// `GET /roles/{id}`: the page with the role's form (htmx: the form alone).
async fn role_edit(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    require_admin(&member)?;
    let role = roles::get(&state.db, member.current.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalog = modules::catalog(&state.db).await?;
    let form = RoleForm::new(&member, &catalog, Some(&role)).await?;
    if crate::web::is_htmx(&headers) {
        return Ok(form.into_response());
    }
    Ok(RolesPage::load(&state, &member, &catalog, form)
        .await?
        .into_response())
}

/// The form's permissions, checked against the catalog.
fn permissions(fields: &[(String, String)], catalog: &[Module]) -> Result<Permissions, RoleError> {
    let ids: Vec<&str> = catalog.iter().map(|m| m.id.as_str()).collect();
    Permissions::parse(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &ids)
}

fn name_of(fields: &[(String, String)]) -> &str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn role_create(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    require_admin(&member)?;
    let tenant = &member.current.tenant;
    let catalog = modules::catalog(&state.db).await?;
    let saved = match permissions(&fields, &catalog) {
        Ok(p) => {
            roles::create(
                &state.db,
                tenant.id,
                &tenant.slug,
                name_of(&fields),
                &p,
                &actor(&member),
                &meta.origin,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => done(&member, &headers, &member.locale.t("msg-role-created")).await,
        Err(e) => refused(&state, &member, &headers, &catalog, None, &fields, e).await,
    }
}

async fn role_update(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    require_admin(&member)?;
    let tenant = &member.current.tenant;
    let role = roles::get(&state.db, tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalog = modules::catalog(&state.db).await?;
    let saved = match permissions(&fields, &catalog) {
        Ok(p) => {
            roles::update(
                &state.db,
                tenant.id,
                &tenant.slug,
                id,
                name_of(&fields),
                &p,
                &actor(&member),
                &meta.origin,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => {
            let text = &member.locale.t("msg-role-saved");
            done(&member, &headers, text).await
        }
        Err(e) => refused(&state, &member, &headers, &catalog, Some(&role), &fields, e).await,
    }
}

/// Deletion asks for confirmation through htmx; a refusal then shows as a toast.
async fn role_delete(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    require_admin(&member)?;
    let tenant = &member.current.tenant;
    match roles::delete(
        &state.db,
        tenant.id,
        &tenant.slug,
        id,
        &actor(&member),
        &meta.origin,
    )
    .await
    {
        Ok(_) => done(&member, &headers, &member.locale.t("msg-role-deleted")).await,
        Err(e @ (RoleError::NotFound | RoleError::Db(_))) => Err(e.into()),
        Err(e) if crate::web::is_htmx(&headers) => Err(e.into()),
        Err(e) => {
            let catalog = modules::catalog(&state.db).await?;
            let form = RoleForm::new(&member, &catalog, None).await?;
            let mut page = RolesPage::load(&state, &member, &catalog, form).await?;
            page.error = e.message_in(&member.locale);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

/// Back to the roles page, saying there what was done.
async fn done(member: &Member, headers: &HeaderMap, text: &str) -> Result<Response> {
    flash::success(&member.session, text).await?;
    let target = format!("{}/roles", member.current.base);
    Ok(crate::web::redirect_after_post(headers, &target))
}

/// The form again with the refusal shown: alone for htmx, else within the page.
async fn refused(
    state: &AppState,
    member: &Member,
    headers: &HeaderMap,
    catalog: &[Module],
    role: Option<&Role>,
    fields: &[(String, String)],
    e: RoleError,
) -> Result<Response> {
    let mut form = RoleForm::new(member, catalog, role).await?;
    form.refill(fields);
    form.show(e)?;
    if crate::web::is_htmx(headers) {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, form).into_response());
    }
    let page = RolesPage::load(state, member, catalog, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::roles::Level;

    #[test]
    fn every_level_has_a_choice() {
        for level in Level::ALL {
            assert!(LEVELS.iter().any(|(v, _)| *v == level.as_str()));
        }
    }
}
