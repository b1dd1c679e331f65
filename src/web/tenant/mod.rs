//! The tenant console, served on `<slug>.<TENANTRY_BASE_DOMAIN>`, verified custom domains
//! and `/t/<slug>/…`. A middleware resolves the tenant around the whole router (so the
//! path form can be rewritten before routing) and turns its status into the right page.

pub mod api;
mod audit;
mod auth;
mod dashboard;
mod members;
mod modules;
mod roles;
mod settings;
mod tokens;
mod usage;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::app::AppState;
use crate::auth::AuthSession;
use crate::auth::guard::{TenantAccess, tenant_access};
use crate::auth::login::{Audience, SESSION_HOST_KEY};
use crate::control::api_tokens;
use crate::control::users::User;
use crate::tenancy::resolve::{self, ResolvedTenant};
use crate::web::error::AppError;
use crate::web::meta::request_host;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(api::router())
        .merge(tokens::router())
        .merge(usage::router())
        .merge(crate::web::invite_pages::tenant::router())
        .merge(crate::web::password_reset::tenant::router())
        .merge(dashboard::router())
        .merge(modules::router())
        .merge(members::router())
        .merge(roles::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(crate::modules::crm::pages::router())
}

/// The tenant this request is for, and the path prefix its links need (`/t/<slug>` when
/// it was resolved from the path, else empty).
#[derive(Clone)]
pub struct CurrentTenant {
    pub tenant: Arc<ResolvedTenant>,
    pub base: String,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentTenant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CurrentTenant>()
            .cloned()
            .ok_or(AppError::NotFound)
    }
}

/// Resolves the tenant, or answers for it: unknown and deleted → the same 404; being set
/// up → 503; suspended → 403.
pub async fn resolve_tenant(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let host = request_host(&parts).unwrap_or_default();
    let header_slug = parts
        .headers
        .get("x-tenant-slug")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    // A bearer token must be valid; only then may the header name the tenant.
    let caller = match api::bearer(&parts.headers) {
        Some(presented) => match api_tokens::authenticate(&state.db, presented).await {
            Ok(Some(caller)) => Some(caller),
            Ok(None) => {
                return api::ApiError(StatusCode::UNAUTHORIZED, "That API token is not valid.")
                    .into_response();
            }
            Err(e) => return AppError::from(e).into_response(),
        },
        None => None,
    };
    let lookup = resolve::Request {
        host: &host,
        path: parts.uri.path(),
        query: parts.uri.query(),
        header_slug: header_slug.as_deref(),
        api_token: caller.is_some(),
    };
    let resolved = match state.resolver.resolve(&lookup).await {
        Ok(Some(r)) => r,
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let (tenant, _strategy, rewritten) = resolved;
    match tenant.status.as_str() {
        "active" => {}
        "pending" | "provisioning" => {
            let mut r = AppError::Unavailable(format!(
                "{} is being set up. This page will work in a moment; try again shortly.",
                tenant.name
            ))
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
        "suspended" => {
            return AppError::Forbidden(format!(
                "{} is suspended. Contact your administrator or the platform's support.",
                tenant.name
            ))
            .into_response();
        }
        _ => return AppError::NotFound.into_response(),
    }
    let mut base = String::new();
    if let Some(rest) = rewritten {
        base = format!("/t/{}", tenant.slug);
        // `rest` is the path after `/t/<slug>`; keep the query string.
        let query = path_and_query
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        let rest = rest
            .split_once('?')
            .map(|(p, _)| p.to_owned())
            .unwrap_or(rest);
        match format!("{rest}{query}").parse::<Uri>() {
            Ok(uri) => parts.uri = uri,
            Err(_) => return AppError::NotFound.into_response(),
        }
    }
    if let Some(caller) = caller {
        // However the tenant was named, a token serves its own tenant only.
        if caller.tenant_id != tenant.id {
            return api::ApiError(
                StatusCode::FORBIDDEN,
                "This API token belongs to another tenant.",
            )
            .into_response();
        }
        parts.extensions.insert(caller);
    }
    tracing::Span::current().record("tenant", tenant.slug.as_str());
    parts.extensions.insert(CurrentTenant { tenant, base });
    req = Request::from_parts(parts, body);
    next.run(req).await
}

/// A signed-in user who may use this tenant's console, on the host (and tenant) their
/// session was made for.
pub struct Member {
    pub user: User,
    /// Modules the tenant has enabled (navigation shows their pages).
    pub modules: std::sync::Arc<Vec<String>>,
    pub access: TenantAccess,
    pub current: CurrentTenant,
    pub session: Session,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let current = CurrentTenant::from_request_parts(parts, state).await?;
        let auth = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("auth layer missing")))?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("session layer missing")))?;
        let user = auth.user.ok_or(AppError::Unauthenticated)?;
        let bound: Option<String> = session.get(SESSION_HOST_KEY).await?;
        let here = request_host(parts).map(|h| Audience::Tenant(current.tenant.id).binding(&h));
        if bound.is_none() || bound != here {
            return Err(AppError::Unauthenticated);
        }
        // Checked on every request: a removed membership ends access at once.
        let access = tenant_access(&state.db, &user, current.tenant.id)
            .await?
            .ok_or_else(|| {
                AppError::Forbidden("You no longer have access to this workspace.".into())
            })?;
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        let modules = state.tenancy.modules_for_pages(current.tenant.id).await?;
        Ok(Self {
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
    use crate::tenancy::pools::PoolError;
    let pool =
        state
            .tenancy
            .pool(tenant)
            .await
            .map_err(|e| match e.downcast_ref::<PoolError>() {
                Some(PoolError::Busy) => AppError::Unavailable(
                    "This workspace is very busy right now. Try again in a moment.".into(),
                ),
                Some(PoolError::NotServable) => AppError::NotFound,
                _ => AppError::Internal(e),
            })?;
    Ok(crate::modules::TenantDb::new(pool, read_only))
}

/// The tenant's branding for its mail: its settings, or its name alone if they can't be
/// read (mail still goes out when the tenant's database is busy).
pub async fn mail_branding(
    state: &AppState,
    current: &CurrentTenant,
) -> crate::mail::compose::Branding {
    use crate::mail::compose::Branding;
    let tenant = &current.tenant;
    let settings = match tenant_db(state, tenant.id, true).await {
        Ok(db) => crate::modules::settings::get(&db).await.ok(),
        Err(_) => None,
    };
    match settings {
        Some(s) if !s.name.trim().is_empty() => {
            Branding::tenant(&s.name, &s.logo_url, &s.theme_color)
        }
        Some(s) => Branding::tenant(&tenant.name, &s.logo_url, &s.theme_color),
        None => Branding::tenant(&tenant.name, "", ""),
    }
}
