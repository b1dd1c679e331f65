//! The synchronizer token: one random token per session, sent back by every form as the
//! `csrf_token` field or by htmx as the `X-CSRF-Token` header. This is the second layer
//! beside tower-http's `CsrfLayer` (Sec-Fetch-Site/Origin), and the only one that also
//! protects clients that send neither header.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::auth::token;
use crate::state::AppState;
use crate::web::error::AppError;

use crate::auth::login::CSRF_SESSION_KEY as SESSION_KEY;
/// Form field carrying the token.
pub const FIELD: &str = "csrf_token";
/// Header carrying the token (htmx requests).
pub const HEADER: &str = "x-csrf-token";

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(SESSION_KEY).await? {
        return Ok(t);
    }
    let (t, _) = token::generate();
    session.insert(SESSION_KEY, &t).await?;
    Ok(t)
}

/// Refuses unsafe requests whose token is missing or wrong (403), before any handler.
pub async fn verify(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() || is_token_call(&req) {
        return next.run(req).await;
    }
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(t) => t,
        Err(e) => return AppError::from(e).into_response(),
    };
    let (parts, body) = req.into_parts();
    let (sent, body) = match parts.headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(h) => (Some(h.to_owned()), body),
        None if is_form(&parts.headers) => {
            let bytes = match crate::web::input::read_body(body, state.config.max_body_bytes).await
            {
                Ok(b) => b,
                Err(e) => return e.into_response(),
            };
            let sent = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            (sent, Body::from(bytes))
        }
        None => (None, body),
    };
    match (expected, sent) {
        (Some(e), Some(s)) if token::equals(&e, &s) => {
            next.run(Request::from_parts(parts, body)).await
        }
        _ => AppError::Csrf.into_response(),
    }
}

/// An API call: API handlers authenticate by bearer token only and never read the
/// session, so a forged cross-site request carries nothing they would honour (a browser
/// cannot add an `Authorization` header cross-site without CORS, which we never grant).
/// Refusing here would also answer a call without a token with 403 instead of 401.
fn is_token_call(req: &Request) -> bool {
    crate::web::error::is_api(req.uri().path())
}

fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}
