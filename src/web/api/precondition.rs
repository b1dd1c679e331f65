//! `ETag` and `If-Match` for every API update (platform and tenant API alike): an
//! answer carries the version it shows, an update must send back the version it last
//! read, so two writers cannot silently overwrite each other. The comparison itself is
//! the service's (in the statement that writes), this module only reads and writes the
//! headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::web::api::problem::{ApiResult, Problem};

/// Sets `ETag` to `version` (a strong tag).
pub fn tag(response: &mut Response, version: &str) {
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
}

/// The version an `If-Match` header names: 428 without one; `*` (any version, RFC 9110)
/// names `current`; a tag that cannot be a version is stale at once (412).
pub fn if_match(
    headers: &HeaderMap,
    what: &str,
    current: impl FnOnce() -> String,
) -> ApiResult<String> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            format!("Send If-Match with the ETag of the {what} as you last read it."),
        ));
    };
    if value.as_bytes().trim_ascii() == b"*" {
        return Ok(current());
    }
    value
        .to_str()
        .ok()
        .map(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_owned()
        })
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .ok_or_else(|| stale(what))
}

/// 412: what was read is no longer what is stored.
pub fn stale(what: &str) -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        "precondition-failed",
        format!("The {what} changed since you read it; read it again and reapply your change."),
    )
}
