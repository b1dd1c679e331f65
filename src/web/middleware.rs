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

/// Session key of the last time a request pushed the session's expiry forward.
const SEEN_KEY: &str = "seen_at";
/// How often an active session's expiry is pushed forward (one store write at most).
const KEEP_ALIVE_EVERY_SECS: i64 = 15 * 60;

/// Whether a session last pushed forward at `seen` (Unix seconds) is due again at `now`.
fn keep_alive_due(seen: Option<i64>, now: i64) -> bool {
    seen.is_none_or(|seen| now - seen >= KEEP_ALIVE_EVERY_SECS || seen > now)
}

/// Keeps active sessions alive: the session layer writes a session (and so moves its
/// idle expiry) only when its data changes, so someone who only reads would be signed
/// out `TENANTRY_SESSION_IDLE_HOURS` after signing in. Touching a timestamp at most every
/// 15 minutes makes the expiry follow activity at the cost of one write per quarter hour.
pub async fn keep_sessions_alive(
    session: tower_sessions::Session,
    req: Request,
    next: Next,
) -> Response {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Visitors without a session get none: nothing is created here.
    if let Ok(seen) = session.get::<i64>(SEEN_KEY).await
        && !session.is_empty().await
        && keep_alive_due(seen, now)
        && let Err(e) = session.insert(SEEN_KEY, now).await
    {
        tracing::debug!(error = %e, "could not mark the session as seen");
    }
    next.run(req).await
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

#[cfg(test)]
mod tests {
    use super::keep_alive_due;

    #[test]
    fn an_active_session_is_pushed_forward_at_most_every_quarter_hour() {
        assert!(keep_alive_due(None, 1_000));
        assert!(!keep_alive_due(Some(1_000), 1_000 + 60));
        assert!(keep_alive_due(Some(1_000), 1_000 + 15 * 60));
        assert!(keep_alive_due(Some(5_000), 1_000), "a clock that went back");
    }
}
