//! Facts about the request that services record: client address, host, request id; and
//! the one rule that says which host a request is for.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::control::audit::Origin;
use crate::web::error::AppError;

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
        let port_suffix = named_host(&parts.headers, &parts.uri)
            .ok()
            .flatten()
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
    let raw = named_host(&parts.headers, &parts.uri).ok()??;
    // An authority may carry user information (`user@host`); a Host header may not.
    let raw = raw.rsplit_once('@').map_or(raw, |(_, h)| h);
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

/// Told to a client whose request does not name one host.
const AMBIGUOUS_HOST: &str = "This request names its host more than once (a repeated Host \
    header, or an absolute address whose host differs from the Host header). Send it with \
    one host.";

/// The authority a request names (`host[:port]`): its one `Host` header, or the URI's
/// authority (HTTP/2's `:authority`, HTTP/1.1's absolute form) when there is no header.
/// `Err` when it names more than one: a repeated `Host`, a list in one, or an authority
/// that differs from the header. A proxy in front may pick the other one, so such a
/// request cannot be said to be for any one tenant.
fn named_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Result<Option<&'a str>, ()> {
    let mut values = headers.get_all(header::HOST).iter();
    let header = values.next();
    if values.next().is_some() {
        return Err(());
    }
    let header = header.map(|v| v.to_str().map_err(|_| ())).transpose()?;
    let authority = uri.authority().map(|a| a.as_str());
    match (header, authority) {
        (Some(h), _) if h.contains(',') => Err(()),
        (Some(h), Some(a)) if !h.eq_ignore_ascii_case(a) => Err(()),
        (Some(h), _) => Ok(Some(h)),
        (None, a) => Ok(a),
    }
}

/// Refuses (400) a request that names more than one host, before anything — tenant
/// resolution, the session, the console — looks at its host.
pub async fn refuse_ambiguous_host(req: Request, next: Next) -> Response {
    if named_host(req.headers(), req.uri()).is_err() {
        return AppError::BadRequest(AMBIGUOUS_HOST.into()).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn named(hosts: &[&str], uri: &str) -> Result<Option<String>, ()> {
        let mut headers = HeaderMap::new();
        for h in hosts {
            headers.append(header::HOST, HeaderValue::from_str(h).unwrap());
        }
        let uri: Uri = uri.parse().unwrap();
        named_host(&headers, &uri).map(|h| h.map(str::to_owned))
    }

    #[test]
    fn one_host_is_named_once() {
        assert_eq!(
            named(&["acme.localhost"], "/"),
            Ok(Some("acme.localhost".into()))
        );
        assert_eq!(
            named(&[], "http://acme.localhost:3000/x"),
            Ok(Some("acme.localhost:3000".into()))
        );
        assert_eq!(
            named(&["ACME.localhost:3000"], "http://acme.localhost:3000/"),
            Ok(Some("ACME.localhost:3000".into())),
            "the same host, in another case"
        );
        assert_eq!(named(&[], "/"), Ok(None));
    }

    #[test]
    fn a_second_host_is_ambiguous() {
        assert!(named(&["acme.localhost", "globex.localhost"], "/").is_err());
        assert!(named(&["acme.localhost", "acme.localhost"], "/").is_err());
        assert!(named(&["acme.localhost, globex.localhost"], "/").is_err());
        assert!(named(&["acme.localhost"], "http://globex.localhost/").is_err());
        assert!(named(&["acme.localhost"], "http://acme.localhost:8080/").is_err());
        assert!(named(&["acme.localhost"], "http://user@acme.localhost/").is_err());
    }
}
