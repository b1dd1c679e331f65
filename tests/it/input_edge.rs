//! Input is validated at the edge: a NUL character anywhere (path, query, form, JSON) and
//! page numbers far past the end never reach PostgreSQL as a 500, and whatever `/api/`
//! answers — errors included — is JSON.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;

use crate::helpers::*;

#[tokio::test]
async fn nul_characters_are_refused_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("nul", "pooled").await;
    app.create_member("nia@nul.test", tenant.id, "admin").await;
    let nia = TenantClient::signed_in(&app, &tenant.slug, "nia@nul.test").await;
    assert!(
        nia.post("/modules/crm/enable", &[])
            .await
            .status()
            .is_redirection()
    );
    app.login_as_new_owner("olga@nul.test").await;

    for path in ["/crm?q=a%00b", "/crm?q=%00&page=1", "/crm/%00"] {
        let response = nia.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = response.text().await.expect("body");
        assert!(body.contains("NUL character"), "{path}: {body}");
    }
    for path in ["/tenants?q=%00", "/audit?actor=a%00"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }

    for fields in [
        vec![("name", "Nul\0Corp"), ("status", "lead")],
        vec![("name", "Fine"), ("status", "lead"), ("notes", "a\0b")],
    ] {
        let response = nia.post("/crm", &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let page = nia.get("/crm").await.text().await.expect("body");
    assert!(
        !page.contains("Nul") && !page.contains("Fine"),
        "nothing was stored"
    );
}

#[tokio::test]
async fn page_numbers_past_the_end_are_an_empty_page_not_an_error() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("pages", "pooled").await;
    app.create_member("pia@pages.test", tenant.id, "admin")
        .await;
    let pia = TenantClient::signed_in(&app, &tenant.slug, "pia@pages.test").await;
    assert!(
        pia.post("/modules/crm/enable", &[])
            .await
            .status()
            .is_redirection()
    );
    app.login_as_new_owner("olga@pages.test").await;

    for path in ["/crm?page=99999999999999999", "/crm?page=-5"] {
        assert_eq!(pia.get(path).await.status(), StatusCode::OK, "{path}");
    }
    let partial = pia
        .client
        .get(format!("{}/crm?page=99999999999999999", pia.base))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("request");
    assert_eq!(partial.status(), StatusCode::OK);
    assert_eq!(
        app.get("/tenants?page=99999999999999999").await.status(),
        StatusCode::OK
    );
    // Past what a number can hold: the query cannot be read, and says so.
    let huge = app.get("/tenants?page=999999999999999999999999").await;
    assert_eq!(huge.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_api_answer_is_json_errors_included() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("json", "pooled").await;
    let host = format!("{}.localhost", tenant.slug);
    let client = client_for_hosts(
        app.addr,
        Arc::new(Jar::default()),
        &[&host, "nope.localhost"],
    );
    let call = |host: String, path: &'static str| {
        let client = client.clone();
        let port = app.addr.port();
        async move {
            client
                .get(format!("http://{host}:{port}{path}"))
                .send()
                .await
                .expect("request")
        }
    };
    let cases = [
        // No token.
        (host.clone(), "/api/v1/customers", StatusCode::UNAUTHORIZED),
        // No such route under /api/.
        (host.clone(), "/api/v1/nothing-here", StatusCode::NOT_FOUND),
        // No such tenant.
        (
            "nope.localhost".to_owned(),
            "/api/v1/tenant",
            StatusCode::NOT_FOUND,
        ),
        // NUL in the query.
        (
            host.clone(),
            "/api/v1/customers?q=%00",
            StatusCode::BAD_REQUEST,
        ),
        // The platform's host has no tenant API.
        (
            ADMIN_HOST.to_owned(),
            "/api/v1/tenant",
            StatusCode::NOT_FOUND,
        ),
    ];
    for (host, path, status) in cases {
        let response = call(host.clone(), path).await;
        assert_eq!(response.status(), status, "{host}{path}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.contains("json"), "{host}{path}: {kind}");
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert!(body["error"].is_string(), "{host}{path}: {body}");
    }
    // A suspended tenant's API: refused, in JSON.
    app.transition(
        tenant.id,
        tenantry::tenancy::lifecycle::Action::Suspend,
        None,
    )
    .await
    .expect("suspended");
    let response = call(host.clone(), "/api/v1/tenant").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], 403);
    // Naming a tenant in `X-Tenant-Slug` on the platform's host: JSON too.
    let response = client
        .get(format!(
            "http://{ADMIN_HOST}:{}/api/v1/tenant",
            app.addr.port()
        ))
        .header("x-tenant-slug", tenant.slug.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.contains("json"), "{kind}");
}
