//! `Idempotency-Key` on creating POSTs: the handler's work runs once per key; a retry
//! with the same key and request gets the stored first answer (marked
//! `Idempotent-Replayed: true`). The keys live in the control plane
//! ([`crate::control::idempotency`]), so retries across instances and restarts agree.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::control::idempotency::{self, Claim};
use crate::state::AppState;
use crate::web::api::problem::{ApiResult, Problem};

const HEADER: &str = "idempotency-key";

/// Runs `work` unless this key already ran the same request. `caller` names whose keys
/// these are (a token: two tokens never share a key).
pub async fn once(
    state: &AppState,
    caller: &str,
    headers: &HeaderMap,
    what: &str,
    body: &[u8],
    work: impl Future<Output = ApiResult<Response>>,
) -> ApiResult<Response> {
    let Some(key) = headers.get(HEADER) else {
        return work.await;
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-idempotency-key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )
        })?;
    let fingerprint = Sha256::new()
        .chain_update(what)
        .chain_update([0])
        .chain_update(body)
        .finalize();
    match idempotency::claim(&state.db, caller, key, &fingerprint).await? {
        Claim::Fresh => {}
        Claim::Replay {
            status,
            body,
            location,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, Json(body)).into_response();
            if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(response);
        }
        Claim::InProgress => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "idempotency-key-in-use",
                "A request with this Idempotency-Key is still running; retry in a moment.",
            ));
        }
        Claim::Mismatch => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "This Idempotency-Key was used for a different request; use a new key.",
            ));
        }
    }
    let outcome = work.await;
    let response = match outcome {
        Ok(r) if r.status().is_success() => r,
        other => {
            idempotency::release(&state.db, caller, key).await?;
            return other;
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| Problem::from(anyhow::anyhow!("reading our own answer: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let location = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    idempotency::store(
        &state.db,
        caller,
        key,
        parts.status.as_u16(),
        &value,
        location,
    )
    .await?;
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}
