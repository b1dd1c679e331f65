//! Form input: a `Form` extractor whose rejections become our error pages, and field
//! errors for re-rendering a form with each message next to its field.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use validator::ValidationErrors;

use crate::web::error::AppError;

/// `application/x-www-form-urlencoded` body; malformed → 400 page, too large → 413 page.
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Self(v)),
            Err(e) => Err(rejection(e)),
        }
    }
}

fn rejection(e: FormRejection) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest("The form could not be read. Reload the page and try again.".into())
    }
}

/// The highest page number a list accepts (0-based): past it the list is empty anyway,
/// and the offset (`page × per page`) must never overflow on its way to PostgreSQL.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page number from a query string, within `0..=MAX_PAGE`.
pub fn page_number(raw: i64) -> i64 {
    raw.clamp(0, MAX_PAGE)
}

/// The 0-based index of a page the console's URLs number from 1 (`?page=1` is the first;
/// missing, zero or negative is the first too), within `0..=MAX_PAGE`.
pub fn page_index(one_based: i64) -> i64 {
    one_based.saturating_sub(1).clamp(0, MAX_PAGE)
}

/// "Showing 21–23 of 23" (in the reader's language) for page `index` (0-based) of `total`
/// rows, `per_page` a page.
pub fn showing(
    locale: &crate::web::i18n::Locale,
    index: i64,
    per_page: i64,
    rows: usize,
    total: i64,
) -> String {
    if rows == 0 {
        return locale.t_nums("common-showing-none", &[("total", total)]);
    }
    let first = index.saturating_mul(per_page) + 1;
    let last = first + rows as i64 - 1;
    locale.t_nums(
        "common-showing",
        &[("first", first), ("last", last), ("total", total)],
    )
}

/// Messages per field, for templates: `{% if errors.has("email") %}{{ errors.get("email") }}`.
#[derive(Default, Debug)]
pub struct FieldErrors(HashMap<String, String>);

impl FieldErrors {
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ValidationErrors> for FieldErrors {
    fn from(errors: ValidationErrors) -> Self {
        let mut out = Self::default();
        for (field, errs) in errors.field_errors() {
            if let Some(first) = errs.first() {
                let message = first
                    .message
                    .as_deref()
                    .unwrap_or("This value is not valid.");
                out.add(field.as_ref(), message);
            }
        }
        out
    }
}

/// A `next=` target is followed only if it is a path on this site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{page_index, safe_next, showing};

    #[test]
    fn pages_are_numbered_from_one_in_urls() {
        assert_eq!(page_index(1), 0);
        assert_eq!(page_index(0), 0);
        assert_eq!(page_index(-5), 0);
        assert_eq!(page_index(3), 2);
        assert_eq!(page_index(i64::MAX), super::MAX_PAGE);
        let en = crate::web::i18n::Locale::default();
        assert_eq!(showing(&en, 1, 20, 3, 23), "Showing 21–23 of 23");
        assert_eq!(showing(&en, 0, 20, 0, 0), "Showing 0 of 0");
        let fr = crate::web::i18n::Locale::new("fr");
        assert_eq!(showing(&fr, 1, 20, 3, 23), "Affichage de 21 à 23 sur 23");
    }

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/audit?x=1")), "/audit?x=1");
        for bad in [
            "//evil.test",
            "https://evil.test",
            "/\\evil.test",
            "audit",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
