//! The per-token quota at the edge of every `/api/` call carrying a bearer token
//! (platform and tenant API alike): each answer says where the token stands in the IETF
//! draft's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds)
//! headers; over the quota the answer is a 429 problem with `Retry-After`.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::tenancy::api_rate::Standing;
use crate::web::api::problem::Problem;
use crate::web::error::is_api;
use crate::web::tenant::api::bearer;

/// The headers an error answer keeps (the error layer rebuilds the body).
pub const HEADERS: [&str; 3] = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let standing = match bearer(req.headers()) {
        Some(token) if is_api(req.uri().path()) => {
            state.api_rate.take(token, state.instance.live())
        }
        _ => return next.run(req).await,
    };
    let mut response = match standing {
        Ok(_) => next.run(req).await,
        Err(over) => {
            let seconds = over.reset.as_secs().max(1);
            let mut r = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!(
                    "This token may make {} calls a minute and has made them; try again in {seconds} s.",
                    over.limit
                ),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            r
        }
    };
    let (Ok(s) | Err(s)) = standing;
    announce(response.headers_mut(), s);
    response
}

fn announce(headers: &mut HeaderMap, s: Standing) {
    // Rounded up: a client that waits `reset` seconds finds the quota back.
    let reset = s.reset.as_secs() + u64::from(s.reset.subsec_nanos() > 0);
    for (name, value) in
        HEADERS
            .into_iter()
            .zip([u64::from(s.limit), u64::from(s.remaining), reset])
    {
        headers.insert(name, HeaderValue::from(value));
    }
}
