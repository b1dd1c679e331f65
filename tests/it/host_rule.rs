//! One host per request: a repeated `Host` header, or an absolute-form request whose
//! authority differs from its `Host`, is refused (400) before any tenant is resolved —
//! a proxy in front could have picked the other host. Sent over raw TCP, since HTTP
//! clients will not send such requests.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Sends `head` (request line and headers, `\r\n`-separated, without the blank line) and
/// returns the status and the whole response.
async fn raw(app: &TestApp, head: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        let request = format!("{head}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request sent");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("response read");
        response
    };
    // A deadline against a hang, not a timing claim.
    let response = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .expect("the app answers");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {text}"));
    (status, text)
}

#[tokio::test]
async fn a_repeated_host_header_is_refused_before_any_tenant_is_chosen() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    let port = app.addr.port();
    let (a, g) = (
        format!("{}.localhost:{port}", acme.slug),
        format!("{}.localhost:{port}", globex.slug),
    );

    // One host: acme's sign-in page.
    let (status, page) = raw(&app, &format!("GET /login HTTP/1.1\r\nHost: {a}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Sign in to acme"));

    for hosts in [
        vec![a.as_str(), g.as_str()],
        vec![g.as_str(), a.as_str()],
        vec![a.as_str(), a.as_str()],
        vec![a.as_str(), ADMIN_HOST],
    ] {
        let headers: String = hosts.iter().map(|h| format!("\r\nHost: {h}")).collect();
        let (status, page) = raw(&app, &format!("GET /login HTTP/1.1{headers}")).await;
        assert_eq!(status, 400, "{hosts:?}: {page}");
        assert!(page.contains("names its host more than once"), "{page}");
        assert!(!page.contains("Sign in to"), "no console answered");
    }
    let (status, page) = raw(&app, &format!("GET /login HTTP/1.1\r\nHost: {a}, {g}")).await;
    assert_eq!(status, 400, "a list in one header: {page}");

    // The API's refusal is a JSON problem, like every API answer.
    let (status, answer) = raw(
        &app,
        &format!("GET /api/v1/tenant HTTP/1.1\r\nHost: {a}\r\nHost: {g}\r\nAccept: */*"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("\"status\":400") && answer.contains("names its host more than once"));
}

#[tokio::test]
async fn an_absolute_address_must_name_the_host_its_header_names() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    let port = app.addr.port();
    let a = format!("{}.localhost:{port}", acme.slug);
    let g = format!("{}.localhost:{port}", globex.slug);

    // The same host both ways (any case) is one host.
    let (status, page) = raw(
        &app,
        &format!(
            "GET http://{}/login HTTP/1.1\r\nHost: {a}",
            a.to_uppercase()
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Sign in to acme"));

    for (target, host) in [
        (format!("http://{g}/login"), a.clone()),
        (format!("http://{a}/login"), g.clone()),
        (format!("http://{ADMIN_HOST}:{port}/login"), a.clone()),
        (format!("http://x@{a}/login"), a.clone()),
    ] {
        let (status, page) = raw(&app, &format!("GET {target} HTTP/1.1\r\nHost: {host}")).await;
        assert_eq!(status, 400, "{target} with Host {host}: {page}");
        assert!(page.contains("names its host more than once"));
        assert!(!page.contains("Sign in to"), "no console answered");
    }
    let (status, answer) = raw(
        &app,
        &format!("GET http://{g}/api/v1/tenant HTTP/1.1\r\nHost: {a}"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer.contains("\"status\":400"), "{answer}");
}
