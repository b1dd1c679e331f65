//! One error type for the HTTP layer, and the middleware that turns every error response
//! (ours, axum's rejections, the CSRF layer's, a timeout, a panic) into a styled page —
//! or, for htmx requests, a small toast — that carries the request id.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::assets;
use crate::web::i18n::{Locale, ReaderLocale};

mod refusal;
pub use refusal::Refusal;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request is understood but the resource's state refuses it (409).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A service's refusal, with the status [`Refusal`] gives it.
    #[error("refused ({status}): {message}")]
    Refused { status: StatusCode, message: String },
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// What a person reads while the database cannot be reached.
pub const UNAVAILABLE: &str = "The service is temporarily unavailable: its database cannot be reached. Try again in a moment.";

/// What a person reads when the database behind the page is gone.
pub const STORAGE_MISSING: &str = "This workspace's data cannot be reached: its database is missing. \
    The platform's operators have been alerted and can see the problem on their System page.";

/// A failure on our side, unless it is the database being unreachable (a 503, try again,
/// logged as a warning) or a database dropped behind the app's back (a 503 saying so,
/// logged as an error for the operators): neither is a bug in the request.
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        use crate::pg::outage;
        if outage::is_unavailable(e.as_ref()) {
            tracing::warn!(error = %format!("{e:#}"), "database unavailable");
            return Self::Unavailable(UNAVAILABLE.into());
        }
        if outage::is_missing_storage(e.as_ref()) {
            tracing::error!(error = %format!("{e:#}"), "database missing (see the System page)");
            return Self::Unavailable(STORAGE_MISSING.into());
        }
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// Attached to an error response; [`render_error_pages`] turns it into HTML.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, default_message(StatusCode::NOT_FOUND).to_owned()),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Go back, reload the page and try again.".to_owned(),
            ),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "Please sign in.".to_owned()),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            Self::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                default_message(StatusCode::PAYLOAD_TOO_LARGE).to_owned(),
            ),
            Self::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m.clone()),
            Self::Refused { status, message } => (*status, message.clone()),
            Self::Internal(e) => {
                // Logged once, inside the request's span (which carries the request id).
                tracing::error!(error = ?e, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, default_message(StatusCode::INTERNAL_SERVER_ERROR).to_owned())
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// Why a form posted from another site (or with a forged origin) was refused.
const CROSS_SITE: &str = "This form was sent from another site, so it was refused. Open the page on this site and send it from there.";

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request could not be understood. Check the form and try again.",
        401 => "Please sign in.",
        403 => "You do not have access to this page.",
        404 => "There is nothing here. Check the address, or go back to the dashboard.",
        405 => "This address does not accept that kind of request.",
        408 => "The request took too long and was stopped. Try again.",
        413 => "What you sent is too large.",
        415 | 422 => "The form could not be read. Reload the page and try again.",
        429 => "Too many requests. Wait a moment and try again.",
        503 => "The service is temporarily unavailable. Try again shortly.",
        _ if status.is_server_error() => {
            "Something went wrong on our side. It has been logged; try again, and quote the request id if it persists."
        }
        _ => "The request could not be completed.",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "errors/page.html")]
struct ErrorPageTemplate<'a> {
    locale: &'a Locale,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
    css: &'a str,
    ways: Vec<WayOut>,
}

/// A link an error page offers. Never one that leads back to the same error: a page
/// that fails at the console's start offers no "dashboard", and a refusal offers to sign
/// out (someone removed from a workspace must still be able to leave it).
struct WayOut {
    /// The label's text id.
    label: &'static str,
    href: String,
    primary: bool,
}

fn ways_out(status: StatusCode, path: &str, method_is_get: bool) -> Vec<WayOut> {
    let (base, rest) = match crate::tenancy::resolve::split_tenant_path(path) {
        Some((slug, rest)) => (format!("/t/{slug}"), rest),
        None => (String::new(), path),
    };
    let at_start = rest
        .split(['?', '#'])
        .next()
        .is_none_or(|p| p.is_empty() || p == "/");
    let mut ways = Vec::new();
    if status.is_server_error() && method_is_get {
        ways.push(WayOut {
            label: "error-try-again",
            href: path.to_owned(),
            primary: true,
        });
    }
    if !at_start {
        let primary = ways.is_empty();
        ways.push(WayOut {
            label: "error-go-to-dashboard",
            href: format!("{base}/"),
            primary,
        });
    }
    if status == StatusCode::FORBIDDEN {
        let primary = ways.is_empty();
        ways.push(WayOut {
            label: "sign-out",
            href: format!("{base}/logout"),
            primary,
        });
    }
    ways
}

#[derive(Template, WebTemplate)]
#[template(path = "errors/_toast.html")]
struct ErrorToast<'a> {
    locale: &'a Locale,
    message: &'a str,
    request_id: &'a str,
}

/// Renders error responses that have no HTML body of their own, in the reader's language
/// when the request learned it ([`ReaderLocale`]), else in the one `Accept-Language`
/// prefers among ours, else English.
pub async fn render_error_pages(mut req: Request, next: Next) -> Response {
    let reader = ReaderLocale::default();
    req.extensions_mut().insert(reader.clone());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Before anyone is known (a sign-in page's 404, a suspended workspace's 403), the
    // browser's own preference says which language to answer in.
    let asked = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    let is_htmx = crate::web::is_htmx(req.headers());
    let is_get = req.method() == axum::http::Method::GET;
    let is_unsafe = !req.method().is_safe();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // An htmx request's own path is a fragment's; after signing in, the person goes back
    // to the page they were on.
    let current_page = is_htmx
        .then(|| req.headers().get("hx-current-url"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(crate::web::path_of_url)
        .unwrap_or_else(|| path.clone());
    let (response, unreachable) = crate::pg::outage::watch(next.run(req)).await;
    let mut status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut page = response.extensions().get::<ErrorPage>().cloned();
    // The session and sign-in layers answer a failed store with a bare 500; when the
    // store could not reach the database, that is an outage: a 503, try again.
    if status == StatusCode::INTERNAL_SERVER_ERROR && unreachable {
        status = StatusCode::SERVICE_UNAVAILABLE;
        page = Some(ErrorPage {
            message: UNAVAILABLE.to_owned(),
        });
    }
    if page.is_none() && has_own_body(&response) {
        return response;
    }
    let message = match page {
        Some(p) => p.message,
        // A bare 403 to a form's post comes from tower-http's cross-site check
        // (Sec-Fetch-Site / Origin): say so, not "no access".
        None if status == StatusCode::FORBIDDEN && is_unsafe => CROSS_SITE.to_owned(),
        None => default_message(status).to_owned(),
    };
    if is_api(&path) {
        return problem(status, &message, &request_id, &response);
    }
    // Messages are written in English where their rule lives; a reader known to the
    // request reads them in their language (a text already theirs is left as it is),
    // anyone else in the one their browser asks for.
    let locale = reader.get().or(asked).unwrap_or_default();
    let message = locale.message(&message);
    if status == StatusCode::UNAUTHORIZED {
        return sign_in_redirect(&current_page, is_htmx);
    }
    let mut out = if is_htmx {
        let mut r = ErrorToast {
            locale: &locale,
            message: &message,
            request_id: &request_id,
        }
        .into_response();
        // Errors go to the toast area, whatever the request targeted.
        r.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#toasts"));
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("beforeend"));
        r
    } else {
        let english = status.canonical_reason().unwrap_or("Error");
        let title = locale
            .try_t(&format!("error-title-{}", status.as_u16()))
            .unwrap_or_else(|| english.to_owned());
        ErrorPageTemplate {
            locale: &locale,
            status: status.as_u16(),
            title: &title,
            message: &message,
            request_id: &request_id,
            css: &assets::url("app.css"),
            ways: ways_out(status, &path, is_get),
        }
        .into_response()
    };
    *out.status_mut() = status;
    if let Some(matched) = response.extensions().get::<axum::extract::MatchedPath>() {
        out.extensions_mut().insert(matched.clone());
    }
    // Keep headers that matter to the client, such as Allow on a 405.
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// Whether `path` (with or without `/t/<slug>`) is under `/api/`: those callers are
/// programs, and every answer they get is JSON.
pub(crate) fn is_api(path: &str) -> bool {
    let path = crate::tenancy::resolve::split_tenant_path(path).map_or(path, |(_, rest)| rest);
    path == "/api" || path.starts_with("/api/") || path.starts_with("/api?")
}

/// The stable `type` of an API error, attached to an error response by the handler that
/// knows what went wrong (`precondition-failed`, `idempotency-key-reused`, …). Without one
/// the type follows from the status ([`problem_kind`]).
#[derive(Clone, Copy, Debug)]
pub struct ProblemType(pub &'static str);

/// Where every problem type lives: `urn:tenantry:problem:<kind>`, documented on the API
/// reference page.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:tenantry:problem:";

/// The problem type an error of `status` has when nothing more precise was said.
pub fn problem_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "timeout",
        409 => "conflict",
        412 => "precondition-failed",
        413 => "body-too-large",
        415 => "unsupported-media-type",
        422 => "invalid",
        428 => "precondition-required",
        429 => "rate-limited",
        503 => "unavailable",
        _ if status.is_server_error() => "internal",
        _ => "refused",
    }
}

/// An RFC 9457 problem (with `error` too, the field the API's own errors carry).
fn problem(status: StatusCode, message: &str, request_id: &str, from: &Response) -> Response {
    let kind = from
        .extensions()
        .get::<ProblemType>()
        .map_or_else(|| problem_kind(status), |t| t.0);
    let body = serde_json::json!({
        "type": format!("{PROBLEM_TYPE_PREFIX}{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": message,
        "error": message,
        "request_id": request_id,
    });
    let mut out = (status, axum::Json(body)).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = from.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    for name in crate::web::api::rate::HEADERS {
        if let Some(v) = from.headers().get(name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// A response that already speaks for itself (an HTML page we rendered, JSON from the
/// health endpoints) is left alone.
fn has_own_body(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
}

/// Where an unauthenticated request goes: the sign-in page of the same console — under
/// `/t/<slug>` when the path named the tenant — and then back here.
fn sign_in_redirect(path: &str, is_htmx: bool) -> Response {
    let (base, rest) = match crate::tenancy::resolve::split_tenant_path(path) {
        Some((slug, rest)) => (format!("/t/{slug}"), rest),
        None => (String::new(), path),
    };
    let next = form_urlencoded::byte_serialize(rest.as_bytes()).collect::<String>();
    crate::web::redirect(is_htmx, &format!("{base}/login?next={next}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(status: StatusCode, path: &str) -> Vec<String> {
        ways_out(status, path, true)
            .into_iter()
            .map(|w| w.href)
            .collect()
    }

    #[test]
    fn an_error_page_never_offers_the_way_back_into_the_same_error() {
        // At the console's start, "the dashboard" is this very page.
        assert!(hrefs(StatusCode::NOT_FOUND, "/").is_empty());
        assert_eq!(hrefs(StatusCode::NOT_FOUND, "/crm/9"), ["/"]);
        assert_eq!(hrefs(StatusCode::FORBIDDEN, "/"), ["/logout"]);
        assert_eq!(
            hrefs(StatusCode::FORBIDDEN, "/t/acme/roles"),
            ["/t/acme/", "/t/acme/logout"]
        );
        assert_eq!(
            hrefs(StatusCode::INTERNAL_SERVER_ERROR, "/crm?page=2"),
            ["/crm?page=2", "/"]
        );
    }

    #[test]
    fn the_current_page_is_read_from_htmx_s_header() {
        assert_eq!(
            crate::web::path_of_url("http://acme.localhost:3000/crm?page=2#row-4").as_deref(),
            Some("/crm?page=2")
        );
        assert_eq!(
            crate::web::path_of_url("http://acme.localhost:3000").as_deref(),
            None
        );
        assert_eq!(crate::web::path_of_url("/crm").as_deref(), None);
    }
}
