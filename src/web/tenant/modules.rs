//! The tenant's Modules page: what the catalog offers, what is enabled, and the switches
//! (tenant admins within their plan; owners and assigned super admins for any plan).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::TenantAccess;
use crate::control::audit::Actor;
use crate::control::users::PlatformRole;
use crate::state::AppState;
use crate::tenancy::modules::{self, Authority, ModuleError};
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/modules", get(modules_page))
        .route("/modules/{id}/enable", post(module_enable))
        .route("/modules/{id}/disable", post(module_disable))
        .route("/modules/{id}/purge", post(module_purge))
}

/// Who may switch modules here, and within what.
fn authority(access: &TenantAccess) -> Option<Authority> {
    match access {
        TenantAccess::Member(_) if access.is_tenant_admin() => Some(Authority::TenantAdmin),
        TenantAccess::Staff {
            role: PlatformRole::Owner | PlatformRole::SuperAdmin,
        } => Some(Authority::Platform),
        _ => None,
    }
}

struct ModuleRow {
    id: String,
    name: String,
    description: String,
    enabled: bool,
    in_plan: bool,
    depends_on: String,
    /// What it needs that is not enabled yet (enabling asks to enable these too).
    missing: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/modules.html")]
struct ModulesPage {
    layout: Layout,
    rows: Vec<ModuleRow>,
    can_change: bool,
    plan: String,
}

async fn modules_page(State(state): State<AppState>, member: Member) -> Result<ModulesPage> {
    let tenant = &member.current.tenant;
    let enabled = &member.modules;
    let catalog = modules::catalog(&state.db).await?;
    let names: Vec<(String, String)> = catalog
        .iter()
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect();
    let rows = catalog
        .into_iter()
        .map(|m| ModuleRow {
            enabled: enabled.contains(&m.id),
            in_plan: m.plans.contains(&tenant.plan_id),
            depends_on: m.depends_on.join(", "),
            missing: m
                .depends_on
                .iter()
                .filter(|d| !enabled.contains(d))
                .map(|d| name_of(&names, d))
                .collect::<Vec<_>>()
                .join(", "),
            id: m.id,
            name: m.name,
            description: m.description,
        })
        .collect();
    Ok(ModulesPage {
        layout: Layout::tenant(&member, "modules", &member.locale.t("title-modules")).await?,
        rows,
        can_change: authority(&member.access).is_some(),
        plan: tenant.plan_id.clone(),
    })
}

#[derive(Deserialize)]
struct EnableForm {
    #[serde(default)]
    with_dependencies: Option<String>,
}

async fn module_enable(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(form): Form<EnableForm>,
) -> Result<Response> {
    let authority = authority(&member.access)
        .ok_or_else(|| AppError::Forbidden(member.locale.t("msg-admins-change-modules")))?;
    let actor = Actor::user(member.user.id, &member.user.email);
    let result = modules::enable(
        &state.tenancy,
        member.current.tenant.id,
        &id,
        form.with_dependencies.is_some(),
        authority,
        &actor,
        &meta.origin,
    )
    .await;
    let names = module_names(&state).await?;
    let done = result.map(|enabled| {
        let list: Vec<String> = enabled
            .iter()
            .map(|id| member.locale.module_name(id, name_of(&names, id)))
            .collect();
        member.locale.t_with(
            "msg-modules-enabled",
            &[("names", list.join(", ").as_str())],
        )
    });
    finish(done, &member, &headers).await
}

async fn module_disable(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response> {
    authority(&member.access)
        .ok_or_else(|| AppError::Forbidden(member.locale.t("msg-admins-change-modules")))?;
    let actor = Actor::user(member.user.id, &member.user.email);
    let result = modules::disable(
        &state.tenancy,
        member.current.tenant.id,
        &id,
        &actor,
        &meta.origin,
    )
    .await;
    let name = member
        .locale
        .module_name(&id, name_of(&module_names(&state).await?, &id));
    let done = result.map(|()| {
        member
            .locale
            .t_with("msg-module-disabled", &[("name", name.as_str())])
    });
    finish(done, &member, &headers).await
}

/// The catalog's (id, name) pairs, for messages that name modules as the page does.
async fn module_names(state: &AppState) -> Result<Vec<(String, String)>> {
    let catalog = modules::catalog(&state.db).await?;
    Ok(catalog.into_iter().map(|m| (m.id, m.name)).collect())
}

fn name_of<'a>(names: &'a [(String, String)], id: &'a str) -> &'a str {
    names
        .iter()
        .find(|(known, _)| known == id)
        .map_or(id, |(_, name)| name.as_str())
}

/// Back to the Modules page, which says what happened: the change, or why it was
/// refused (a refresh repeats nothing).
async fn finish(
    result: Result<String, ModuleError>,
    member: &Member,
    headers: &HeaderMap,
) -> Result<Response> {
    match result {
        Ok(done) => flash::success(&member.session, done).await?,
        Err(e @ ModuleError::Unknown(_)) => return Err(e.into()),
        Err(e) => flash::refusal(&member.session, e.into_message_in(&member.locale)?).await?,
    }
    let target = format!("{}/modules", member.current.base);
    Ok(crate::web::redirect_after_post(headers, &target))
}

#[derive(Deserialize)]
struct PurgeForm {
    #[serde(default)]
    confirm: String,
}

async fn module_purge(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(form): Form<PurgeForm>,
) -> Result<Response> {
    authority(&member.access)
        .ok_or_else(|| AppError::Forbidden(member.locale.t("msg-admins-change-modules")))?;
    let actor = Actor::user(member.user.id, &member.user.email);
    let result = modules::purge_data(
        &state.tenancy,
        member.current.tenant.id,
        &id,
        &form.confirm,
        &actor,
        &meta.origin,
    )
    .await;
    let name = member
        .locale
        .module_name(&id, name_of(&module_names(&state).await?, &id));
    let done = result.map(|()| format!("{name}: its data is purged."));
    finish(done, &member, &headers).await
}
