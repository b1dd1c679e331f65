//! Facts about the request that services record: client address, host, request id.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::control::audit::Origin;

/// The request's host (lower-case, port removed), client address and request id.
pub struct RequestMeta {
    pub host: String,
    /// `:<port>` when the request named a port in its Host, for links to other hosts.
    pub port_suffix: String,
    pub ip: String,
    pub origin: Origin,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let port_suffix = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.rsplit_once(':'))
            .filter(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, p)| format!(":{p}"))
            .unwrap_or_default();
        Ok(Self {
            host: request_host(parts).unwrap_or_default(),
            port_suffix,
            origin: Origin {
                ip: Some(ip.clone()),
                request_id,
            },
            ip,
        })
    }
}

/// The host a request was sent to, normalised; `None` when missing or malformed (a forged
/// Host header with odd characters is treated as no host at all).
pub fn request_host(parts: &Parts) -> Option<String> {
    let raw = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())?;
    let host = match raw.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => raw,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then_some(host)
}
