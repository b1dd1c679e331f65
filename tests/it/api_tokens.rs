//! API tokens and the JSON API: a token is shown once and stored hashed; with it (and
//! only with it) `X-Tenant-Slug` names the tenant; a token serves its own tenant only,
//! whichever way the tenant was named; revoked and forged tokens are refused; only admins
//! manage tokens.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;
use serde_json::Value;

use crate::helpers::*;

const API_HOST: &str = "api.localhost";

/// Creates a token through the page; returns the plain token shown once.
async fn create_token(admin: &TenantClient, name: &str) -> String {
    let response = admin
        .post_from("/api-tokens", "/api-tokens", &[("name", name)])
        .await;
    // Redirect after the post (a refresh makes no second token)…
    assert_redirect_to(&response, "/api-tokens");
    let html = admin.get("/api-tokens").await.text().await.expect("body");
    let marker = "id=\"new-token-value\">";
    let start = html.find(marker).expect("the new token is shown") + marker.len();
    let token = html[start..]
        .split('<')
        .next()
        .expect("token text")
        .to_owned();
    // …and the page shows it only that once.
    let again = admin.get("/api-tokens").await.text().await.expect("body");
    assert!(!again.contains(&token), "the token is shown once");
    token
}

/// How a call names its tenant: `X-Tenant-Slug` on the API host, or the tenant's host.
enum Via<'a> {
    Header(&'a str),
    Host(&'a str),
}

/// A program calling the API: no cookies, resolving the API host and `hosts` to the app.
struct Api {
    client: reqwest::Client,
    port: u16,
}

impl Api {
    fn new(app: &TestApp, hosts: &[&str]) -> Self {
        let mut all = vec![API_HOST];
        all.extend_from_slice(hosts);
        Self {
            client: client_for_hosts(app.addr, Arc::new(Jar::default()), &all),
            port: app.addr.port(),
        }
    }

    /// `GET path` with `token` (if any); the JSON body, or the text when it is not JSON.
    async fn get(&self, token: Option<&str>, via: Via<'_>, path: &str) -> (StatusCode, Value) {
        let (host, slug) = match via {
            Via::Header(slug) => (API_HOST, Some(slug)),
            Via::Host(host) => (host, None),
        };
        let mut request = self
            .client
            .get(format!("http://{host}:{}{path}", self.port));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(slug) = slug {
            request = request.header("X-Tenant-Slug", slug);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }
}

#[tokio::test]
async fn a_token_reads_its_tenant_by_header_or_host_and_nothing_else() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("api", "pooled").await;
    let globex = app.provisioned_tenant("apix", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    ada.post(
        "/crm",
        &[
            ("name", "Wayne Enterprises"),
            ("email", "bruce@wayne.test"),
            ("phone", ""),
            ("status", "active"),
            ("notes", ""),
        ],
    )
    .await;

    let token = create_token(&ada, "Reporting").await;
    assert!(token.starts_with("tnt_") && token.len() > 40, "{token}");
    // Only the hash is stored, and the list shows a prefix, never the token again.
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from api_tokens")
        .fetch_one(&app.db)
        .await
        .expect("row");
    assert_eq!(stored.len(), 32);
    let list = ada.get("/api-tokens").await.text().await.expect("body");
    assert!(list.contains("Reporting") && !list.contains(&token));

    let acme_host = format!("{}.localhost", acme.slug);
    let globex_host = format!("{}.localhost", globex.slug);
    let api = Api::new(&app, &[&acme_host, &globex_host]);

    // By header on the API host…
    let (status, body) = api
        .get(Some(&token), Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["slug"], acme.slug.as_str());
    assert_eq!(body["modules"], serde_json::json!(["crm"]));
    let (status, body) = api
        .get(
            Some(&token),
            Via::Header(&acme.slug),
            "/api/v1/customers?q=wayne",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["customers"][0]["name"], "Wayne Enterprises");
    let used: bool = sqlx::query_scalar("select last_used_at is not null from api_tokens")
        .fetch_one(&app.db)
        .await
        .expect("row");
    assert!(used, "the token's last use is recorded");
    // …and on the tenant's own host.
    let (status, _) = api
        .get(Some(&token), Via::Host(&acme_host), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::OK);

    // The refused sides. The header means nothing without a token…
    let (status, _) = api
        .get(None, Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // …a token serves only its tenant, named by header or by host…
    // (by header, another tenant is the same 404 as an unknown slug: a token cannot
    // tell which slugs exist)…
    let (status, body) = api
        .get(Some(&token), Via::Header(&globex.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (unknown_status, unknown) = api
        .get(
            Some(&token),
            Via::Header("no-such-tenant"),
            "/api/v1/tenant",
        )
        .await;
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], unknown["error"], "the same answer for both");
    let (status, _) = api
        .get(Some(&token), Via::Host(&globex_host), "/api/v1/customers")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // …a forged token, a token-less call on the tenant host, and bad query input.
    let forged = format!("tnt_{}", "A".repeat(43));
    let (status, _) = api
        .get(Some(&forged), Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api.get(None, Via::Host(&acme_host), "/api/v1/tenant").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .get(
            Some(&token),
            Via::Host(&acme_host),
            "/api/v1/customers?status=gone",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = api
        .get(
            Some(&token),
            Via::Host(&acme_host),
            "/api/v1/customers?page=-1",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A session cookie is no API credential: Ada's browser session gets 401.
    assert_eq!(
        ada.get("/api/v1/tenant").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Revoked: refused from the next call on.
    let id: uuid::Uuid = sqlx::query_scalar("select id from api_tokens")
        .fetch_one(&app.db)
        .await
        .expect("id");
    let revoked = ada
        .post_from("/api-tokens", &format!("/api-tokens/{id}/revoke"), &[])
        .await;
    assert_redirect_to(&revoked, "/api-tokens");
    let (status, _) = api
        .get(Some(&token), Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let actions = app.audit_actions().await;
    assert!(actions.contains(&"api_token.created".to_owned()));
    assert!(actions.contains(&"api_token.revoked".to_owned()));
}

#[tokio::test]
async fn a_token_for_a_tenant_without_the_crm_is_told_so() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("apinocrm", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let token = create_token(&ada, "Sync").await;
    let api = Api::new(&app, &[]);
    let (status, body) = api
        .get(Some(&token), Via::Header(&acme.slug), "/api/v1/customers")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "The CRM module is not enabled for this tenant."
    );
}

#[tokio::test]
async fn only_admins_manage_tokens_and_bad_names_store_nothing() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("apiroles", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("bob@acme.test", acme.id, "member").await;
    app.create_staff("sam@example.test", "support").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let bob = TenantClient::signed_in(&app, &acme.slug, "bob@acme.test").await;
    let sam = TenantClient::opened_by_staff(&app, &acme.slug, "sam@example.test").await;
    let token = create_token(&ada, "Keep").await;
    let id: uuid::Uuid = sqlx::query_scalar("select id from api_tokens")
        .fetch_one(&app.db)
        .await
        .expect("id");

    // A member may not even look; support may look but not change anything.
    assert_eq!(bob.get("/api-tokens").await.status(), StatusCode::FORBIDDEN);
    let refused = bob.post("/api-tokens", &[("name", "Mine")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = bob.post(&format!("/api-tokens/{id}/revoke"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let seen = sam.get("/api-tokens").await;
    assert_eq!(seen.status(), StatusCode::OK);
    assert!(
        !seen
            .text()
            .await
            .expect("body")
            .contains("id=\"token-form\"")
    );
    let refused = sam.post("/api-tokens", &[("name", "Mine")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = sam.post(&format!("/api-tokens/{id}/revoke"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Bad names: a clear message, nothing stored.
    let long = "x".repeat(10_000);
    for name in ["", "   ", "line\r\nbreak", long.as_str()] {
        let response = ada
            .post_from("/api-tokens", "/api-tokens", &[("name", name)])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:.20}"
        );
        let html = response.text().await.expect("body");
        assert!(html.contains("field-error"), "{name:.20}");
        assert!(!html.contains("new-token-value"), "no token shown");
    }
    // Another tenant's token id cannot be revoked from here.
    let other = uuid::Uuid::now_v7();
    let missing = ada.post(&format!("/api-tokens/{other}/revoke"), &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let count = app
        .count("select count(*) from api_tokens where revoked_at is null")
        .await;
    assert_eq!(count, 1);
    assert!(token.starts_with("tnt_"));
}

#[tokio::test]
async fn calls_beyond_the_plans_monthly_allowance_are_refused_and_not_counted() {
    let app = spawn_app().await;
    let acme = app
        .provisioned_tenant_on_plan("apiquota", "pooled", "free")
        .await;
    // This test's own control plane: the Free plan (acme's) allows three calls a month.
    sqlx::query("update plans set max_api_calls_per_month = 3 where id = 'free'")
        .execute(&app.db)
        .await
        .expect("plan");
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let token = create_token(&ada, "Quota").await;
    let acme_host = format!("{}.localhost", acme.slug);
    let api = Api::new(&app, &[&acme_host]);

    // A token sent to a console page is no API call: it signs nobody in, counts nothing.
    let (status, _) = api
        .get(Some(&token), Via::Host(&acme_host), "/members")
        .await;
    assert!(status.is_redirection(), "{status}");
    let counted = app.count("select count(*) from api_usage").await;
    assert_eq!(counted, 0);

    for _ in 0..3 {
        let (status, _) = api
            .get(Some(&token), Via::Header(&acme.slug), "/api/v1/tenant")
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = api
        .get(Some(&token), Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body["error"],
        "The Free plan allows 3 API calls a month, and this month's are used up."
    );
    let calls: i64 = sqlx::query_scalar("select calls from api_usage where tenant_id = $1")
        .bind(acme.id)
        .fetch_one(&app.db)
        .await
        .expect("usage");
    assert_eq!(calls, 3, "a refused call is not counted");
    let page = ada.get("/api-tokens").await.text().await.expect("body");
    assert!(
        page.contains("<strong>3</strong>\nof 3 (Free plan)"),
        "{page:.3000}"
    );

    // A forged token is refused before anything is counted.
    sqlx::query("update plans set max_api_calls_per_month = 10 where id = 'free'")
        .execute(&app.db)
        .await
        .expect("plan");
    let forged = format!("tnt_{}", "B".repeat(43));
    let (status, _) = api
        .get(Some(&forged), Via::Header(&acme.slug), "/api/v1/tenant")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let calls: i64 = sqlx::query_scalar("select calls from api_usage where tenant_id = $1")
        .bind(acme.id)
        .fetch_one(&app.db)
        .await
        .expect("usage");
    assert_eq!(calls, 3);
}
