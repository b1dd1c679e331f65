//! Cross-cutting request handling: host routing, metrics and security headers.

use std::time::Instant;

use axum::Router;
use axum::extract::{Extension, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;
use crate::web::meta::request_host;

/// The two consoles, picked per request by host.
#[derive(Clone)]
pub struct Consoles {
    pub platform: Router,
    pub tenant: Router,
}

/// `TENANTRY_ADMIN_HOST` gets the platform console; every other host the tenant console
/// (which answers 404 for a host that names no tenant).
pub async fn dispatch_by_host(
    State(state): State<AppState>,
    Extension(consoles): Extension<Consoles>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let is_admin = request_host(&parts).as_deref() == Some(state.config.admin_host.as_str());
    let req = Request::from_parts(parts, body);
    let console = if is_admin {
        consoles.platform
    } else {
        consoles.tenant
    };
    match console.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Copies the matched route onto the response, so the outer metrics layer can label by
/// route (consoles are routed inside the fallback, after outer layers ran).
pub async fn expose_matched_path(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    if let Some(m) = &matched {
        // The request span names the route (low cardinality), not the raw path.
        tracing::Span::current().record("route", m.as_str());
    }
    let mut response = next.run(req).await;
    if let Some(m) = matched {
        response.extensions_mut().insert(m);
    }
    response
}

/// Read your own writes: after a change made through this instance, its access caches
/// are emptied at once instead of when the change's notification comes back (the other
/// instances still learn of it by notification). Changes are rare; reads stay cached.
pub async fn forget_after_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let writes = !req.method().is_safe();
    let response = next.run(req).await;
    if writes && (response.status().is_success() || response.status().is_redirection()) {
        state
            .access
            .apply(&crate::control::changes::Change::Everything);
    }
    response
}

/// Counts requests by route and status and records their latency.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Content-Security-Policy: no inline script or style anywhere (htmx's own indicator
/// style is switched off in the layout's htmx-config). Forms may post to this host and,
/// because "Open console" answers with a redirect to the tenant's host (which Chromium
/// checks against `form-action` too), to the tenants' hosts under the base domain.
fn content_security_policy(base_domain: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self' http://*.{base_domain}:* https://*.{base_domain}:*; frame-ancestors 'none'"
    )
}

/// The security headers every response carries (unless a handler set its own).
pub fn security_headers(base_domain: &str) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let csp = HeaderValue::from_str(&content_security_policy(base_domain))
        .expect("the base domain is validated at start-up as a host name");
    let pairs: [(HeaderName, HeaderValue); 6] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ];
    pairs
        .into_iter()
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, value))
        .collect()
}
