//! Static files (the built Tailwind CSS, vendored htmx) embedded in the binary. URLs carry
//! a content hash (`?v=`) so browsers may cache them for a year; ETags cover the rest.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use serde::Deserialize;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// Hex SHA-256 prefixes of the embedded files, computed once per file.
static VERSIONS: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

fn version(name: &str) -> Option<String> {
    let mut cache = VERSIONS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(v) = cache.get(name) {
        return Some(v.clone());
    }
    let file = Static::get(name)?;
    let v = hex::encode(&file.metadata.sha256_hash()[..6]);
    cache.insert(name.to_owned(), v.clone());
    Some(v)
}

/// The cache-busting URL of an embedded file, for templates.
pub fn url(name: &str) -> String {
    match version(name) {
        Some(v) => format!("/static/{name}?v={v}"),
        None => format!("/static/{name}"),
    }
}

#[derive(Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /static/{*path}`.
pub async fn serve(
    Path(path): Path<String>,
    Query(q): Query<AssetQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = Static::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    // A versioned URL names one exact content forever; a bare one must revalidate.
    let cache = if q.v.is_some() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut out = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = file.data.into_owned().into_response();
        if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
            r.headers_mut().insert(header::CONTENT_TYPE, mime);
        }
        r
    };
    let h = out.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    out
}
