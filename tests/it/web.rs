//! What every response carries, and how bad requests are answered.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in ["/login", "/no-such-page", "/healthz"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_get_the_styled_404_page_with_a_request_id() {
    let app = spawn_app().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        r.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Not Found") && html.contains("There is nothing here"));
    assert!(html.contains(&id), "the page quotes the request id");
}

#[tokio::test]
async fn other_hosts_do_not_reach_the_platform_console() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("http://other.localhost:{}/login", app.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let forged = app
        .client
        .get(app.url("/login"))
        .header("host", "admin.localhost\"><script>")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_clear_pages() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let huge = "a".repeat(300 * 1024);
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", huge.as_str()),
            ("password", "x"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("too large"));

    // A form missing a field the handler needs: a 400 page, not a panic.
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("could not be read"));
    // Still alive.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn probes_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.get("/login").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("route=\"/login\""),
        "requests are labelled by route"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "latency histogram"
    );
}

#[tokio::test]
async fn healthz_says_unavailable_when_the_control_plane_is_gone() {
    let mut app = spawn_app().await;
    app.db.close().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.stop().await;
}

#[tokio::test]
async fn static_assets_are_cached_by_content_hash() {
    let app = spawn_app().await;
    let html = app.get("/login").await.text().await.unwrap();
    let start = html.find("/static/app.css?v=").expect("versioned css link");
    let href = &html[start..html[start..].find('"').map(|e| start + e).unwrap()];
    let css = app.get(href).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(
        css.headers().get("cache-control").unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = css.headers().get("etag").unwrap().clone();
    let again = app
        .client
        .get(app.url("/static/htmx.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let cached = app
        .client
        .get(app.url(href))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
}
