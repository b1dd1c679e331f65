//! Tenant resolution around the tenant router: finds the tenant (host, header with a
//! valid API token, `/t/<slug>` path, dev query) and answers for its status — unknown
//! and deleted the same 404, being set up 503, suspended 403 — before any page runs.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::control::api_tokens;
use crate::state::AppState;
use crate::tenancy::resolve::{self, ResolvedTenant};
use crate::tenancy::status::TenantStatus;
use crate::web::error::AppError;
use crate::web::meta::request_host;
use crate::web::tenant::api;

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
    let (tenant, strategy, rewritten) = resolved;
    // A token naming another tenant in the header learns nothing about it, not even
    // that it exists or its state: the same 404 as an unknown slug.
    if strategy == resolve::Strategy::Header
        && caller.as_ref().is_some_and(|c| c.tenant_id != tenant.id)
    {
        return AppError::NotFound.into_response();
    }
    match tenant.status {
        TenantStatus::Active if tenant.quarantined => {
            let mut r = AppError::Unavailable(
                "This workspace is unavailable while an upgrade of it is fixed. The platform's operators know; try again later."
                    .into(),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
            return r;
        }
        TenantStatus::Active => {}
        TenantStatus::Pending | TenantStatus::Provisioning => {
            let mut r = AppError::Unavailable(
                "This workspace is being set up. This page will work in a moment; try again shortly."
                    .into(),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
        // Signing out still works, so nobody is stuck in a session they cannot leave.
        TenantStatus::Suspended
            if rewritten
                .as_deref()
                .unwrap_or(parts.uri.path())
                .split('?')
                .next()
                == Some("/logout") => {}
        // The name is not said: whoever asks may know nothing about this workspace.
        TenantStatus::Suspended => {
            return AppError::Forbidden(
                "This workspace is suspended. Contact your administrator or the platform's support."
                    .into(),
            )
            .into_response();
        }
        TenantStatus::Deleted | TenantStatus::Purged => return AppError::NotFound.into_response(),
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
