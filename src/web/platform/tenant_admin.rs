//! Owner-only administration on a tenant's page: which super admins manage it, and its
//! custom domains (added, shown with the DNS records to create, marked verified).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::assignments;
use crate::control::audit::Actor;
use crate::control::domains::{self};
use crate::state::AppState;
use crate::tenancy::tenants::{self, Tenant};
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::form::Form;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;
use crate::web::redirect_after_post;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants/{slug}/assignments", post(assignment_set))
        .route("/tenants/{slug}/domains", post(domain_add))
        .route("/tenants/{slug}/domains/state", post(domain_set))
}

async fn owned_tenant(state: &AppState, staff: &Staff, slug: &str) -> Result<Tenant> {
    staff.require(PlatformAction::ManageStaff)?;
    tenants::find_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
struct AssignmentForm {
    user_id: Uuid,
    #[serde(default)]
    assigned: String,
}

async fn assignment_set(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response> {
    let tenant = owned_tenant(&state, &staff, &slug).await?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let assigned = form.assigned == "1";
    if !assignments::set(
        &state.db,
        tenant.id,
        &tenant.slug,
        form.user_id,
        assigned,
        &actor,
        &meta.origin,
    )
    .await?
    {
        return Err(AppError::BadRequest(
            staff
                .locale()
                .message("That person is not an active super admin."),
        ));
    }
    Ok(redirect_after_post(
        &headers,
        &format!("/tenants/{}", tenant.slug),
    ))
}

#[derive(Deserialize)]
struct DomainForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    verify: String,
}

async fn domain_add(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<DomainForm>,
) -> Result<Response> {
    let tenant = owned_tenant(&state, &staff, &slug).await?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let cfg = &state.config;
    let hosts = domains::PlatformHosts {
        base_domain: &cfg.base_domain,
        admin_host: &cfg.admin_host,
    };
    match domains::add_domain(
        &state.db,
        (tenant.id, &tenant.slug),
        &form.domain,
        hosts,
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(()) => Ok(redirect_after_post(
            &headers,
            &format!("/tenants/{}", tenant.slug),
        )),
        Err(e) => Err(AppError::BadRequest(e.into_message_in(&staff.locale())?)),
    }
}

async fn domain_set(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<DomainForm>,
) -> Result<Response> {
    let tenant = owned_tenant(&state, &staff, &slug).await?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let verify = form.verify == "1";
    if !domains::set_domain(
        &state.db,
        tenant.id,
        &tenant.slug,
        form.domain.trim(),
        verify,
        &actor,
        &meta.origin,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    // Resolution caches (including "unknown host") are dropped at once.
    state.tenancy.changed(tenant.id);
    Ok(redirect_after_post(
        &headers,
        &format!("/tenants/{}", tenant.slug),
    ))
}
