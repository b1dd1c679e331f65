//! Raw HTTP/1.1 requests, generated: a route's path with its parameters filled, a query,
//! headers and a body, with garbage somewhere, and sometimes broken framing.

use rand::Rng;
use rand::rngs::StdRng;

use super::Identity;
use super::source::Route;
use super::values::*;

/// One generated request.
pub(super) struct Case {
    pub(super) description: String,
    pub(super) bytes: Vec<u8>,
    /// Deliberately broken framing: the server may close without answering.
    pub(super) malformed: bool,
    /// The status it must get (else: anything but a 5xx).
    pub(super) expect: Option<u16>,
}

/// A path from the route's pattern, its parameters filled with plausible or hostile values.
pub(super) fn path_for(rng: &mut StdRng, pattern: &str, known: &Known) -> String {
    let mut out = String::new();
    for segment in pattern.split('/').skip(1) {
        out.push('/');
        if segment.starts_with('{') {
            let v = if segment.starts_with("{*") && rng.random_bool(0.5) {
                pick(
                    rng,
                    &["app.css", "htmx.min.js", "../Cargo.toml", "x/../../y"],
                )
                .to_string()
            } else {
                value(rng, known)
            };
            // Mostly encoded; sometimes sent raw, as a careless or hostile client would.
            if rng.random_bool(0.85) {
                out.push_str(&encode(&v).replace('+', "%20"));
            } else {
                out.push_str(&v);
            }
        } else {
            out.push_str(segment);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

pub(super) fn query(rng: &mut StdRng, known: &Known, mode: Mode) -> String {
    if rng.random_bool(0.1) {
        return String::new();
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    if rng.random_bool(0.7) {
        // Every field any handler reads, so the page at hand finds its own.
        for (key, ty) in &known.fields {
            let v: String = typed_value(rng, ty, known, mode)
                .chars()
                .take(500)
                .collect();
            q.append_pair(key, &v);
        }
        return format!("?{}", q.finish());
    }
    for _ in 0..rng.random_range(1..5) {
        if rng.random_bool(0.8) {
            let (key, ty) = pick(rng, &known.fields);
            q.append_pair(key, &typed_value(rng, ty, known, mode));
        } else {
            q.append_pair(&value(rng, known), &value(rng, known));
        }
    }
    let q = q.finish();
    if rng.random_bool(0.1) {
        // Malformed percent-encoding and stray separators.
        format!("?{q}&%zz=%&&=&%E2%28")
    } else {
        format!("?{q}")
    }
}

/// A body: its content type, its bytes, and whether it is past the body limit (the
/// server may then answer before reading it and close: the answer can be lost).
pub(super) fn body(
    rng: &mut StdRng,
    identity: &Identity,
    known: &Known,
    wild: bool,
    mode: Mode,
) -> (Option<&'static str>, Vec<u8>, bool) {
    match if wild {
        rng.random_range(0..10)
    } else {
        rng.random_range(0..7)
    } {
        0..=5 => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            if rng.random_bool(0.5) {
                // Every field any form reads, so the form at hand finds all of its own
                // and its handler runs on their values.
                for (key, ty) in &known.fields {
                    form.append_pair(key, &typed_value(rng, ty, known, mode));
                }
            } else {
                for _ in 0..rng.random_range(0..8) {
                    let (key, ty) = pick(rng, &known.fields);
                    form.append_pair(key, &typed_value(rng, ty, known, mode));
                }
            }
            for _ in 0..rng.random_range(0..3) {
                let key = if rng.random_bool(0.8) {
                    pick(rng, &known.fields).0.clone()
                } else {
                    value(rng, known)
                };
                form.append_pair(&key, &value(rng, known));
            }
            match (
                &identity.csrf,
                if wild { rng.random_range(0..10) } else { 0 },
            ) {
                (Some(token), 0..=6) => {
                    form.append_pair("csrf_token", token);
                }
                (_, 7) => {
                    form.append_pair("csrf_token", &value(rng, known));
                }
                _ => {}
            }
            (
                Some("application/x-www-form-urlencoded"),
                form.finish().into_bytes(),
                false,
            )
        }
        6 => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.random_range(0..6) {
                let v = match rng.random_range(0..4) {
                    0 => serde_json::json!(value(rng, known)),
                    1 => serde_json::json!(rng.random::<i64>()),
                    2 => serde_json::json!([value(rng, known), null, true]),
                    _ => serde_json::json!({ "nested": value(rng, known) }),
                };
                map.insert(pick(rng, &known.fields).0.clone(), v);
            }
            (
                Some("application/json"),
                serde_json::to_vec(&map).expect("json"),
                false,
            )
        }
        7 => {
            let len = rng.random_range(0..2000);
            let bytes = (0..len).map(|_| rng.random::<u8>()).collect();
            let ct = pick(
                rng,
                &[
                    "application/x-www-form-urlencoded",
                    "application/json",
                    "multipart/form-data; boundary=x",
                    "text/plain",
                    "application/x-www-form-urlencoded; charset=\u{ff}",
                ],
            );
            (Some(*ct), bytes, false)
        }
        8 => {
            // Past the body limit.
            let len = known.max_body + rng.random_range(1..4096);
            (
                Some("application/x-www-form-urlencoded"),
                vec![b'a'; len],
                true,
            )
        }
        _ => (None, Vec::new(), false),
    }
}

/// One request from `identity` to one of `route`'s methods, with garbage somewhere.
pub(super) fn generate(
    rng: &mut StdRng,
    identity: &Identity,
    route: &Route,
    known: &Known,
    mode: Mode,
) -> Case {
    let method = if route.methods.is_empty() || rng.random_bool(0.05) {
        pick(
            rng,
            &[
                "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "FOO",
            ],
        )
        .to_string()
    } else {
        pick(rng, &route.methods).to_ascii_uppercase()
    };
    let mut path = path_for(rng, &route.path, known);
    if rng.random_bool(0.1) && !identity.host.starts_with("admin.") {
        // Path-based resolution from a host that names no tenant.
        path = format!("/t/{}{path}", known.slug);
    }
    let target = format!("{path}{}", query(rng, known, mode));
    // Most requests carry the identity's own host, cookie and token, so the garbage in
    // their path, query and body gets past sign-in and CSRF into the handlers; the rest
    // have garbage in their headers and framing too.
    let wild = rng.random_bool(0.3);
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let host = match if wild { rng.random_range(0..20) } else { 19 } {
        0 => value(rng, known),
        1 => format!("{}.localhost", known.other_slug),
        2 => identity.host.to_ascii_uppercase(),
        3 => format!("{}.:99999", identity.host),
        4 => String::new(),
        _ => identity.host.clone(),
    };
    headers.push(("host".into(), host.into_bytes()));
    if wild && rng.random_bool(0.1) {
        headers.push(("host".into(), b"admin.localhost".to_vec()));
    }
    match (
        &identity.cookie,
        if wild { rng.random_range(0..10) } else { 0 },
    ) {
        (Some(c), 0..=7) => headers.push(("cookie".into(), c.clone().into_bytes())),
        (_, 8) => headers.push((
            "cookie".into(),
            format!("tenantry_session={}", encode(&value(rng, known))).into_bytes(),
        )),
        _ => {}
    }
    if let Some(token) = &identity.bearer
        && (!wild || rng.random_bool(0.8))
    {
        headers.push((
            "authorization".into(),
            format!("Bearer {token}").into_bytes(),
        ));
    } else if wild && rng.random_bool(0.2) {
        headers.push((
            "authorization".into(),
            format!("Bearer tnt_{}", encode(&value(rng, known))).into_bytes(),
        ));
    }
    if rng.random_bool(if identity.bearer.is_some() { 0.9 } else { 0.15 }) {
        let slug = if rng.random_bool(0.7) {
            known.slug.clone()
        } else {
            value(rng, known)
        };
        headers.push(("x-tenant-slug".into(), encode(&slug).into_bytes()));
    }
    if rng.random_bool(0.2) {
        headers.push(("hx-request".into(), b"true".to_vec()));
    }
    if let Some(token) = &identity.csrf
        && rng.random_bool(0.2)
    {
        headers.push(("x-csrf-token".into(), token.clone().into_bytes()));
    }
    if wild && rng.random_bool(0.2) {
        headers.push(("sec-fetch-site".into(), b"cross-site".to_vec()));
        headers.push(("origin".into(), b"https://evil.test".to_vec()));
    }
    if wild && rng.random_bool(0.4) {
        // A header of garbage: obs-text bytes are legal in a value.
        let name = pick(
            rng,
            &[
                "x-forwarded-for",
                "x-request-id",
                "accept",
                "accept-language",
                "referer",
                "user-agent",
                "x-junk",
            ],
        );
        let bytes: Vec<u8> = (0..rng.random_range(0..300))
            .map(|_| match rng.random::<u8>() {
                b if b < 0x20 || b == 0x7f => b'?',
                b => b,
            })
            .collect();
        headers.push((name.to_string(), bytes));
    }
    let has_body = method != "GET" && method != "HEAD" || rng.random_bool(0.05);
    let (content_type, payload, oversize) = if has_body {
        body(rng, identity, known, wild, mode)
    } else {
        (None, Vec::new(), false)
    };
    if let Some(ct) = content_type {
        headers.push(("content-type".into(), ct.as_bytes().to_vec()));
    }
    let mut draft = Draft {
        method,
        target: target.clone().into_bytes(),
        headers,
        content_length: Some(payload.len()),
        payload,
        malformed: oversize,
    };
    match if wild { rng.random_range(0..15) } else { 99 } {
        // Truncated: more announced than sent.
        0 => {
            draft.content_length = Some(draft.payload.len() + rng.random_range(1..100));
            draft.malformed = true;
        }
        // A request target with raw bytes no client should send.
        1 => {
            let junk: Vec<u8> = (0..rng.random_range(1..30))
                .map(|_| rng.random_range(0x21u8..=0xff))
                .collect();
            draft.target = path.into_bytes();
            draft.target.extend(junk);
            draft.malformed = true;
        }
        // Cut off in the middle of the body.
        2 if draft.payload.len() > 2 => {
            let half = draft.payload.len() / 2;
            draft.payload.truncate(half);
            draft.malformed = true;
        }
        // The absolute form, naming another host than the Host header.
        3 => {
            let other = pick(rng, &["admin.localhost", "localhost", "evil.test"]);
            draft.target = format!("http://{other}{target}").into_bytes();
        }
        // A chunked body with a broken chunk.
        4 => {
            draft.content_length = None;
            draft
                .headers
                .push(("transfer-encoding".into(), b"chunked".to_vec()));
            draft.payload = b"zz\r\nabc\r\n0\r\n\r\n".to_vec();
            draft.malformed = true;
        }
        // Both framings at once (request smuggling's raw material).
        5 => {
            draft
                .headers
                .push(("transfer-encoding".into(), b"chunked".to_vec()));
            draft.malformed = true;
        }
        _ => {}
    }
    finish(identity, mode, draft)
}

/// A request before it is written out.
pub(super) struct Draft {
    pub(super) method: String,
    pub(super) target: Vec<u8>,
    pub(super) headers: Vec<(String, Vec<u8>)>,
    pub(super) payload: Vec<u8>,
    /// The `Content-Length` to announce (`None`: none).
    pub(super) content_length: Option<usize>,
    pub(super) malformed: bool,
}

pub(super) fn finish(identity: &Identity, mode: Mode, mut draft: Draft) -> Case {
    draft.headers.push(("connection".into(), b"close".to_vec()));
    if let Some(length) = draft.content_length
        && (length > 0 || draft.method == "POST")
    {
        draft
            .headers
            .push(("content-length".into(), length.to_string().into_bytes()));
    }
    let mut bytes = Vec::new();
    bytes.extend_from_slice(draft.method.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(&draft.target);
    bytes.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in &draft.headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    let head = String::from_utf8_lossy(&bytes).into_owned();
    bytes.extend_from_slice(&draft.payload);
    let shown = &draft.payload[..draft.payload.len().min(400)];
    Case {
        description: format!(
            "as {} ({mode:?}):\n{head}{}",
            identity.name,
            String::from_utf8_lossy(shown)
        ),
        bytes,
        malformed: draft.malformed,
        expect: None,
    }
}
