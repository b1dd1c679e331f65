//! HTTP fuzzing: generated garbage — random bytes and unicode in the Host, path, query,
//! headers, cookies, form and JSON bodies; oversized, truncated and malformed requests —
//! sent to every route the source declares (each `.route(` in `src/web`), as a visitor
//! signed out, a member, a tenant admin, an API token, and platform staff (owner and
//! support). The claim: no answer is a 5xx, nothing panics (the server's log is read),
//! and the app still answers afterwards.
//!
//! The generator is seeded: the seed is printed, and `TENANTRY_FUZZ_SEED=<seed>` replays
//! the same requests (`TENANTRY_FUZZ_CASES` sets how many per route and identity). Every
//! failure prints the raw request that caused it; each fixed one is kept as a case in
//! [`REGRESSIONS`].

mod requests;
mod source;
mod values;

use std::time::Duration;

use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use self::requests::{Case, generate};
use self::source::{declared_fields, declared_routes};
use self::values::{Known, MODES};
use crate::faults::{Serve, add_member, create_api_token, sign_in};
use crate::helpers::*;

/// Requests found to fail once (issue 11's 500s from input), kept so they stay fixed.
/// Placeholders: `{tenant}` (the tenant's host), `{slug}`, `{admin}` and `{owner}` (their
/// session cookies), `{admin_csrf}`, `{token}` (an API token). With the status each
/// must get (`None`: anything but a 5xx).
const REGRESSIONS: &[(&str, Option<u16>, &str)] = &[
    (
        "a NUL in the CRM search",
        Some(400),
        "GET /crm?q=a%00b HTTP/1.1\r\nhost: {tenant}\r\ncookie: {admin}\r\n",
    ),
    (
        "a NUL in the CRM search, htmx partial",
        Some(400),
        "GET /crm?q=%00 HTTP/1.1\r\nhost: {tenant}\r\ncookie: {admin}\r\nhx-request: true\r\n",
    ),
    (
        "a NUL in the API's search",
        Some(400),
        "GET /api/v1/customers?q=%00 HTTP/1.1\r\nhost: api.localhost\r\nauthorization: Bearer {token}\r\nx-tenant-slug: {slug}\r\n",
    ),
    (
        "a NUL in a customer's notes",
        Some(400),
        "POST /crm HTTP/1.1\r\nhost: {tenant}\r\ncookie: {admin}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {length}\r\n\r\nname=N&status=active&notes=a%00b&csrf_token={admin_csrf}",
    ),
    (
        "a page number past i64's offset",
        Some(200),
        "GET /crm?page=99999999999999999 HTTP/1.1\r\nhost: {tenant}\r\ncookie: {admin}\r\n",
    ),
    (
        "a page number past i64's offset, htmx partial",
        Some(200),
        "GET /crm?page=9223372036854775807 HTTP/1.1\r\nhost: {tenant}\r\ncookie: {admin}\r\nhx-request: true\r\n",
    ),
    (
        "a NUL in the platform's tenant search",
        Some(400),
        "GET /tenants?q=%00 HTTP/1.1\r\nhost: admin.localhost\r\ncookie: {owner}\r\n",
    ),
    (
        "a page number past i64's offset on the platform's tenant list",
        Some(200),
        "GET /tenants?page=99999999999999999 HTTP/1.1\r\nhost: admin.localhost\r\ncookie: {owner}\r\n",
    ),
    (
        "a NUL in the audit actor filter",
        Some(400),
        "GET /audit?actor=%00 HTTP/1.1\r\nhost: admin.localhost\r\ncookie: {owner}\r\n",
    ),
    (
        "two Host headers",
        None,
        "GET / HTTP/1.1\r\nhost: {tenant}\r\nhost: admin.localhost\r\ncookie: {admin}\r\n",
    ),
];

/// Who sends a request.
#[derive(Clone, Debug)]
pub(super) struct Identity {
    pub(super) name: &'static str,
    pub(super) host: String,
    /// `tenantry_session=…`, signed in (or a signed-out visitor's session).
    pub(super) cookie: Option<String>,
    pub(super) csrf: Option<String>,
    pub(super) bearer: Option<String>,
}

/// Sends one raw request on its own connection; the status code of the answer, or `None`
/// if the server closed the connection without one.
/// A malformed request is followed by the end of the stream (the server sees the
/// truncation at once instead of waiting for the rest until its timeout).
async fn send(
    addr: std::net::SocketAddr,
    bytes: &[u8],
    malformed: bool,
) -> std::io::Result<Option<u16>> {
    let mut stream = TcpStream::connect(addr).await?;
    // The server may answer (and close) before reading everything, e.g. a 413.
    let _ = stream.write_all(bytes).await;
    if malformed {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(90), async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no answer within 90 s",
        ));
    }
    let line = answer.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = std::str::from_utf8(line)
        .ok()
        .and_then(|l| {
            l.strip_prefix("HTTP/1.1 ")
                .or_else(|| l.strip_prefix("HTTP/1.0 "))
        })
        .and_then(|l| l.get(..3))
        .and_then(|c| c.parse().ok());
    Ok(status)
}

/// The session cookie a signed-in client holds for its host.
fn session_of(jar: &reqwest::cookie::Jar, base: &str) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = base.parse().ok()?;
    let header = jar.cookies(&url)?;
    header
        .to_str()
        .ok()?
        .split("; ")
        .find(|kv| kv.starts_with("tenantry_session="))
        .map(str::to_owned)
}

async fn identity(serve: &Serve, name: &'static str, host: &str, email: Option<&str>) -> Identity {
    let (client, jar) = serve.client_with_jar(host);
    if host == "localhost" {
        // No tenant on this host: no page to take a token from.
        return Identity {
            name,
            host: host.to_owned(),
            cookie: None,
            csrf: None,
            bearer: None,
        };
    }
    let csrf = client.token("/login").await;
    if let Some(email) = email {
        sign_in(&client, email).await;
    }
    // The token as the signed-in session holds it (renewed at sign-in).
    let csrf = if email.is_some() {
        let page = client.get("/").await.text().await.expect("page");
        extract_csrf(&page).unwrap_or(csrf)
    } else {
        csrf
    };
    Identity {
        name,
        host: host.to_owned(),
        cookie: session_of(&jar, &client.base),
        csrf: Some(csrf),
        bearer: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_garbage_to_every_route_as_everyone_gets_no_5xx_and_no_panic() {
    let seed: u64 = std::env::var("TENANTRY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    let per_route: usize = std::env::var("TENANTRY_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    eprintln!("fuzz seed: {seed} (replay with TENANTRY_FUZZ_SEED={seed})");
    let max_body = 65_536;

    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("fuzz", "pooled").await;
    let other = app.provisioned_tenant("fuzzo", "isolated").await;
    let serve = Serve::start(
        &[
            "--database-url",
            &app.db_url,
            "--max-body-bytes",
            &max_body.to_string(),
        ],
        &[],
    )
    .await;
    app.create_owner("owner@fuzz.test").await;
    app.create_staff("support@fuzz.test", "support").await;
    add_member(&app.db, &tenant.slug, "admin@fuzz.test", "admin").await;
    add_member(&app.db, &tenant.slug, "member@fuzz.test", "member").await;
    let tenant_host = format!("{}.localhost", tenant.slug);
    let admin = identity(
        &serve,
        "tenant admin",
        &tenant_host,
        Some("admin@fuzz.test"),
    )
    .await;
    // The admin turns the modules on and makes an API token, so their pages have data.
    {
        let client = TenantClient {
            client: crate::helpers::http_client()
                .redirect(reqwest::redirect::Policy::none())
                .resolve(&tenant_host, serve.addr)
                .build()
                .expect("client"),
            base: format!("http://{tenant_host}:{}", serve.addr.port()),
        };
        let with = |r: reqwest::RequestBuilder| {
            r.header("cookie", admin.cookie.clone().expect("cookie"))
                .header("x-csrf-token", admin.csrf.clone().expect("token"))
        };
        // The other modules too (billing with billing details on file), so their pages
        // are fuzzed past the "not enabled" 404.
        sqlx::query(
            "insert into tenant_billing (tenant_id, company, address) values ($1, 'Fuzz SA', 'Fuzz Street')",
        )
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .expect("billing details");
        for module in ["crm", "tasks", "inventory", "billing"] {
            let r = with(
                client
                    .client
                    .post(format!("{}/modules/{module}/enable", client.base)),
            )
            .form(&[("with_dependencies", "on")])
            .send()
            .await
            .expect("enable");
            assert!(r.status().is_redirection(), "{}", r.status());
        }
        let r = with(client.client.post(format!("{}/crm", client.base)))
            .form(&[("name", "Fuzzed Customer"), ("status", "active")])
            .send()
            .await
            .expect("customer");
        assert!(r.status().is_redirection(), "{}", r.status());
    }
    let token = {
        let (client, jar) = serve.client_with_jar(&tenant_host);
        let url: reqwest::Url = client.base.parse().expect("url");
        jar.add_cookie_str(admin.cookie.as_deref().expect("cookie"), &url);
        create_api_token(&client, "fuzz").await
    };
    let identities = vec![
        identity(&serve, "a visitor on the admin host", ADMIN_HOST, None).await,
        identity(&serve, "a visitor on a tenant host", &tenant_host, None).await,
        identity(&serve, "a visitor on another host", "localhost", None).await,
        identity(&serve, "a member", &tenant_host, Some("member@fuzz.test")).await,
        admin.clone(),
        Identity {
            name: "an API token",
            host: "api.localhost".into(),
            cookie: None,
            csrf: None,
            bearer: Some(token),
        },
        identity(&serve, "the owner", ADMIN_HOST, Some("owner@fuzz.test")).await,
        identity(
            &serve,
            "support staff",
            ADMIN_HOST,
            Some("support@fuzz.test"),
        )
        .await,
    ];
    let ids: Vec<String> = sqlx::query_scalar(
        "select id::text from users union all select id::text from tenants
         union all select id::text from outbox union all select id::text from invitations",
    )
    .fetch_all(&app.db)
    .await
    .expect("ids");
    let known = Known {
        slug: tenant.slug.clone(),
        other_slug: other.slug.clone(),
        ids,
        fields: declared_fields().into_iter().collect(),
        max_body,
    };
    let routes = declared_routes();
    assert!(
        routes.len() >= 60 && known.fields.len() >= 20,
        "the source scan found {} routes and {} fields",
        routes.len(),
        known.fields.len()
    );

    // Generated up front from the seed, then sent eight at a time.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut cases = Vec::new();
    for route in &routes {
        for identity in &identities {
            // Every kind of garbage at least once per route and identity.
            for i in 0..per_route {
                let mode = MODES[i % MODES.len()];
                let case = generate(&mut rng, identity, route, &known, mode);
                // Signing out ends the identity for the rest of the run: it keeps its
                // garbage, but not a valid token.
                let ends_session = route.path.ends_with("/logout")
                    && identity
                        .csrf
                        .as_ref()
                        .is_some_and(|t| case.bytes.windows(t.len()).any(|w| w == t.as_bytes()));
                if !ends_session {
                    cases.push(case);
                }
            }
        }
    }
    let owner = &identities[6];
    for (what, expect, raw) in REGRESSIONS {
        let raw = raw
            .replace("{tenant}", &tenant_host)
            .replace("{slug}", &tenant.slug)
            .replace("{admin}", admin.cookie.as_deref().unwrap_or_default())
            .replace("{owner}", owner.cookie.as_deref().unwrap_or_default())
            .replace("{admin_csrf}", admin.csrf.as_deref().unwrap_or_default())
            .replace(
                "{token}",
                identities[5].bearer.as_deref().unwrap_or_default(),
            );
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let head = head.trim_end().replace("{length}", &body.len().to_string());
        let raw = format!("{head}\r\nconnection: close\r\n\r\n{body}");
        cases.push(Case {
            description: format!("regression, {what}:\n{raw}"),
            bytes: raw.into_bytes(),
            malformed: false,
            expect: *expect,
        });
    }
    let total = cases.len();
    let addr = serve.addr;
    let failures: Vec<String> = futures_util::stream::iter(cases)
        .map(|case| async move {
            let sent = send(addr, &case.bytes, case.malformed).await;
            match sent {
                Ok(Some(status)) if status >= 500 => Some(format!("{status} {}", case.description)),
                Ok(Some(status)) if case.expect.is_some_and(|e| e != status) => Some(format!(
                    "{status}, not {:?}: {}",
                    case.expect, case.description
                )),
                Ok(None) if !case.malformed => Some(format!("no answer to {}", case.description)),
                Err(e) => Some(format!("{e}: {}", case.description)),
                _ => None,
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async { f })
        .collect()
        .await;
    let shown: Vec<&String> = failures.iter().take(15).collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {total} requests failed; the first:\n{}",
        failures.len(),
        shown
            .iter()
            .map(|f| f.chars().take(1500).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n---\n")
    );

    // Still answering, and the owner still signed in (sign-in itself may now be
    // throttled for this address: the fuzz failed many).
    let probe = serve.client(ADMIN_HOST);
    assert_eq!(
        probe.get("/healthz").await.status(),
        reqwest::StatusCode::OK
    );
    let dashboard = probe
        .client
        .get(format!("{}/", probe.base))
        .header("cookie", owner.cookie.clone().expect("cookie"))
        .send()
        .await
        .expect("dashboard");
    assert_eq!(dashboard.status(), reqwest::StatusCode::OK);
    serve.assert_no_panic();
    let log = serve.log();
    assert!(
        !log.contains("request failed"),
        "seed {seed}: a 500 was logged:\n{log}"
    );
    eprintln!("fuzz: {total} requests, seed {seed}, no 5xx");
}
