//! Rules every request's input meets before any handler sees it, so no page can forget
//! them: PostgreSQL's text cannot hold a NUL character, so a NUL anywhere in the path,
//! the query string or a form or JSON body is refused here with a 400 that says so,
//! instead of reaching a query as a 500.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::web::error::AppError;

const NUL_REFUSED: &str = "Text cannot contain a NUL character (\\0). Remove it and try again.";

/// Refuses NUL characters in the path, query and text bodies (400).
pub async fn refuse_nul(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri = req.uri();
    if has_encoded_nul(uri.path()) || uri.query().is_some_and(has_encoded_nul) {
        return AppError::BadRequest(NUL_REFUSED.into()).into_response();
    }
    let text_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/x-www-form-urlencoded") || ct.contains("json")
        });
    if !text_body {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    if bytes.contains(&0) || has_encoded_nul_bytes(&bytes) || has_json_nul(&bytes) {
        return AppError::BadRequest(NUL_REFUSED.into()).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The whole body, up to `limit` bytes: 413 past it, 400 when the client broke off or
/// sent a malformed body (a truncated chunk is no "too large").
pub async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, AppError> {
    to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::iter::successors(std::error::Error::source(&e), |s| s.source())
            .any(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(
                "The request's body could not be read (it was cut short or malformed).".into(),
            )
        }
    })
}

/// `%00` (any case) in a percent-encoded string.
fn has_encoded_nul(s: &str) -> bool {
    has_encoded_nul_bytes(s.as_bytes()) || s.contains('\0')
}

fn has_encoded_nul_bytes(b: &[u8]) -> bool {
    b.windows(3).any(|w| w == b"%00")
}

/// `\u0000` in a JSON text (`\\u0000`, an escaped backslash, is not one).
fn has_json_nul(b: &[u8]) -> bool {
    b.windows(6).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"\\u0000")
            && b[..i].iter().rev().take_while(|c| **c == b'\\').count() % 2 == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_too_large_and_a_broken_body_are_told_apart() {
        let large = read_body(Body::from(vec![b'a'; 100]), 10).await;
        assert!(matches!(large, Err(AppError::PayloadTooLarge)));
        let broken = Body::from_stream(futures_util::stream::iter([
            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"abc")),
            Err(std::io::Error::other("connection reset")),
        ]));
        assert!(matches!(
            read_body(broken, 10).await,
            Err(AppError::BadRequest(_))
        ));
        let fine = read_body(Body::from("abc"), 10).await.expect("read");
        assert_eq!(&fine[..], b"abc");
    }

    #[test]
    fn finds_nul_in_every_encoding() {
        assert!(has_encoded_nul("q=a%00b"));
        assert!(has_encoded_nul("/crm/%00"));
        assert!(!has_encoded_nul("q=100%25"));
        assert!(has_json_nul(br#"{"q":"a\u0000"}"#));
        assert!(!has_json_nul(br#"{"q":"a\\u0000"}"#));
        assert!(has_json_nul(br#"{"q":"a\\\u0000"}"#));
    }
}
