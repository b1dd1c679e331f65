//! Extractors of the platform API: the token-authenticated caller, and JSON bodies and
//! query strings whose every refusal (malformed, wrong type, unknown field) is a problem
//! that names what was wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::guard::{PlatformAction, TokenScope, platform_allows, token_allows};
use crate::control::audit::Origin;
use crate::control::platform_tokens::{self, PlatformCaller};
use crate::state::AppState;
use crate::web::api::problem::Problem;
use crate::web::meta::RequestMeta;
use crate::web::tenant::api::bearer;

/// A call made with a valid platform token (`Authorization: Bearer tpl_…`).
pub struct PlatformApi {
    pub caller: PlatformCaller,
    pub origin: Origin,
}

impl PlatformApi {
    /// Whose `Idempotency-Key`s this call uses: its token's.
    pub fn idempotency_caller(&self) -> String {
        self.caller.token_id.to_string()
    }

    /// Refuses with 403 unless the token's staff member may do `action` (the console's
    /// rule) and the token's scope reaches it; the refusal says which of the two failed.
    pub fn require(&self, action: PlatformAction) -> Result<(), Problem> {
        let c = &self.caller;
        if token_allows(c.role, c.scope, action) {
            return Ok(());
        }
        let detail = if platform_allows(c.role, action) {
            format!(
                "This token's scope is {}; this needs a token with scope {}.",
                c.scope.as_str(),
                TokenScope::needed_for(action).as_str()
            )
        } else {
            format!(
                "This token acts as {} ({}), whose role does not allow this.",
                c.user.email,
                c.role.label()
            )
        };
        Err(Problem::new(StatusCode::FORBIDDEN, "forbidden", detail))
    }
}

impl FromRequestParts<AppState> for PlatformApi {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let refused = |detail: &str| {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail.to_owned())
        };
        let presented = bearer(&parts.headers)
            .ok_or_else(|| refused("Send a platform API token: Authorization: Bearer tpl_…"))?;
        let caller = platform_tokens::authenticate(&state.db, presented)
            .await?
            .ok_or_else(|| {
                refused("This token is not valid: unknown, revoked or expired, or its staff member was deactivated.")
            })?;
        let Ok(meta) = RequestMeta::from_request_parts(parts, state).await;
        Ok(Self {
            caller,
            origin: meta.origin,
        })
    }
}

/// A JSON body of type `T`. Refuses another media type (415), broken JSON (400), and
/// JSON that does not fit `T` — a wrong type, a missing or unknown field (422).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| Problem::from(crate::web::error::AppError::PayloadTooLarge))?;
        Self::from_bytes(&headers, &bytes)
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// A body already read (for handlers that also need its bytes).
    pub fn from_bytes(headers: &axum::http::HeaderMap, bytes: &[u8]) -> Result<Self, Problem> {
        let is_json = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| {
                let ct = ct.trim();
                ct.eq_ignore_ascii_case("application/json") || ct.ends_with("+json")
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send the body as JSON, with Content-Type: application/json.",
            ));
        }
        parse(bytes).map(ApiJson)
    }
}

/// Reads `bytes` as a `T`, with a problem naming what did not fit.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                format!("The body does not fit this request: {e}."),
            ),
            _ => Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                format!("The body is not valid JSON: {e}."),
            ),
        }
    })
}

/// A query string of type `T` (unknown parameters refused), or a 400 naming the fault.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    format!(
                        "The query string does not fit this request: {}.",
                        e.body_text()
                    ),
                )
            })
    }
}
