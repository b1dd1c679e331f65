//! The HTTP layer: routers per console, the middleware stack, errors and layout.

pub mod alert_view;
pub mod api;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod error;
pub mod flash;
pub mod form;
pub mod format;
pub mod health;
pub mod i18n;
pub mod input;
pub mod invite_pages;
pub mod job_error;
pub mod language;
pub mod layout;
pub mod meta;
pub mod middleware;
pub mod password_reset;
pub mod place;
pub mod platform;
pub mod sign_in;
pub mod tenant;
pub mod usage_view;

use axum::Router;
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum_login::AuthManagerLayerBuilder;
use time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::Backend;
use crate::state::AppState;
use crate::web::error::AppError;

/// Whether the request was made by htmx (which wants partials and `HX-*` headers).
pub fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Sends the browser to `target`: a 303 for a plain request; for htmx (which would
/// follow a redirect inside its request and swap the result in place) a 204 with
/// `HX-Redirect`, so the browser navigates.
pub fn redirect(htmx: bool, target: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    if htmx {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(target) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        axum::response::Redirect::to(target).into_response()
    }
}

/// Where a successful form post goes next (see [`redirect`]). An htmx post whose target
/// is the page it came from (a fragment apart) reloads it instead: the browser treats a
/// move to the same address with a `#fragment` as a scroll, not a load, and the page
/// would keep showing what the post just changed.
pub fn redirect_after_post(
    headers: &axum::http::HeaderMap,
    target: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let htmx = is_htmx(headers);
    if htmx && same_page(headers, target) {
        return (StatusCode::NO_CONTENT, [("hx-refresh", "true")]).into_response();
    }
    redirect(htmx, target)
}

/// Whether `target` (a path, maybe with `#fragment`) names the page htmx says it is on.
fn same_page(headers: &axum::http::HeaderMap, target: &str) -> bool {
    let here = headers
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(path_of_url);
    here.as_deref() == target.split('#').next()
}

/// The path and query of an absolute URL (`HX-Current-URL`), if it has one.
pub(crate) fn path_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let at = rest.find('/')?;
    let path = rest[at..].split('#').next().unwrap_or("/");
    Some(path.to_owned())
}

/// Name of the session cookie (host-only: no Domain attribute is ever set).
pub const SESSION_COOKIE: &str = "tenantry_session";

/// Builds the whole application: probes and assets on any host; the platform console on
/// `TENANTRY_ADMIN_HOST`; every other host goes to the tenant console, which resolves
/// its tenant first.
pub fn router(state: AppState) -> Router {
    let platform: Router = Router::new()
        .merge(platform::sign_in::router())
        .merge(invite_pages::router())
        .merge(password_reset::router())
        .merge(platform::router())
        .merge(api::router())
        .fallback(|| async { AppError::NotFound })
        .route_layer(from_fn(middleware::expose_matched_path))
        .with_state(state.clone());
    let tenant_routes: Router = tenant::router()
        .fallback(|| async { AppError::NotFound })
        .route_layer(from_fn(middleware::expose_matched_path))
        .with_state(state.clone());
    // Resolution wraps the tenant router itself, so `/t/<slug>/…` is rewritten before routing.
    let tenant: Router = Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(from_fn_with_state(state.clone(), tenant::resolve_tenant))
            .layer(from_fn_with_state(state.clone(), tenant::limits::enforce))
            .service(tenant_routes),
    );
    let consoles = middleware::Consoles { platform, tenant };

    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(Duration::hours(
            state.config.session_idle_hours,
        )));
    let auth = AuthManagerLayerBuilder::new(
        Backend::new(state.db.clone(), state.access.clone()),
        sessions,
    )
    .build();

    let request_id = HeaderName::from_static("x-request-id");
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/{*path}", get(assets::serve))
        .route_layer(from_fn(middleware::expose_matched_path))
        .fallback(middleware::dispatch_by_host)
        .layer(axum::Extension(consoles))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::forget_after_writes,
        ))
        .layer(from_fn_with_state(state.clone(), csrf::verify))
        .layer(from_fn_with_state(state.clone(), input::refuse_nul))
        .layer(from_fn(middleware::keep_sessions_alive))
        .layer(CsrfLayer::new())
        .layer(auth)
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout(),
        ))
        .layer(from_fn(meta::refuse_ambiguous_host))
        .layer(from_fn_with_state(state.clone(), api::rate::limit))
        .layer(CatchPanicLayer::new())
        .layer(from_fn(error::render_error_pages))
        .layer(CompressionLayer::new());
    for header in middleware::security_headers(&state.config.base_domain) {
        app = app.layer(header);
    }
    app.layer(from_fn(middleware::track_metrics))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let request_id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    // Filled in once routing has matched (see `expose_matched_path`).
                    route = tracing::field::Empty,
                    request_id,
                    tenant = tracing::field::Empty,
                    user_id = tracing::field::Empty,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` resolves, then finishes in-flight
/// requests before returning (`tenantry serve` and the tests both use it).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (meter, db) = (state.meter.clone(), state.db.clone());
    let app = router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    // What the last requests counted is written before the process lets go.
    if let Err(e) = meter.flush(&db).await {
        tracing::warn!(error = %e, "the last usage flush failed; its counts are lost");
    }
    served
}
