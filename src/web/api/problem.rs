//! What an API handler returns when it refuses: an [`AppError`] (so the error layer
//! renders it as the one RFC 9457 shape, request id included), optionally with a precise
//! problem `type`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::web::error::{AppError, ProblemType};

pub struct Problem {
    error: AppError,
    kind: Option<&'static str>,
}

impl Problem {
    /// A refusal with its status, stable `type` and the sentence the caller reads.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            error: AppError::Refused {
                status,
                message: detail.into(),
            },
            kind: Some(kind),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "There is no such resource.",
        )
    }
}

impl<E: Into<AppError>> From<E> for Problem {
    fn from(e: E) -> Self {
        Self {
            error: e.into(),
            kind: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = match &self.error {
            AppError::Refused { status, .. } => Some(*status),
            AppError::Unauthenticated => Some(StatusCode::UNAUTHORIZED),
            _ => None,
        };
        let mut response = self.error.into_response();
        if let Some(kind) = self.kind {
            response.extensions_mut().insert(ProblemType(kind));
        }
        if status == Some(StatusCode::UNAUTHORIZED) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, Problem>;
