//! The platform API on the admin host: platform tokens (made on the Tokens page or by
//! `tenantry api-tokens create`, shown once, hashed, scoped, expiring, revocable), the
//! same access rule as the console, tenants with keyset pages, `If-Match`,
//! `Idempotency-Key`, and every refusal as an RFC 9457 problem.

use std::collections::HashSet;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A program calling the platform API with a token.
pub(crate) struct Api<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) token: String,
}

/// An answer: status, headers, JSON body (or the text as a JSON string).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem of `status` and `kind`, with a request id.
    #[track_caller]
    pub(crate) fn assert_problem(&self, status: StatusCode, kind: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), "application/problem+json");
        assert_eq!(
            self.body["type"],
            format!("urn:tenantry:problem:{kind}"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status.as_u16());
        assert!(!self.body["detail"].as_str().unwrap_or_default().is_empty());
        assert!(!self.header("x-request-id").is_empty());
        assert_eq!(self.body["request_id"], self.header("x-request-id"));
    }
}

impl<'a> Api<'a> {
    pub(crate) fn new(app: &'a TestApp, token: &str) -> Self {
        Self {
            app,
            token: token.to_owned(),
        }
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app.client.request(method, self.app.url(path))
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body)).await
    }
}

/// A token made by the CLI, acting as `user` (default: the first owner).
pub(crate) fn cli_token(
    app: &TestApp,
    scope: &str,
    user: Option<&str>,
    days: Option<&str>,
) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args([
            "api-tokens",
            "create",
            "--name",
            &format!("ci {scope}"),
            "--scope",
            scope,
            "--database-url",
            &app.db_url,
        ]);
    if let Some(user) = user {
        cmd.args(["--user", user]);
    }
    if let Some(days) = days {
        cmd.args(["--expires-days", days]);
    }
    let out = cmd.output().expect("run tenantry");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let token = stdout.trim().to_owned();
    assert!(
        token.starts_with("tpl_"),
        "only the token on stdout: {stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
    token
}

async fn tenant_count(app: &TestApp) -> i64 {
    app.count("select count(*) from tenants").await
}

#[tokio::test]
async fn owners_make_tokens_on_the_tokens_page_shown_once_and_revocable() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let owner_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'owner@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("owner");
    let id = owner_id.to_string();
    let form = [
        ("name", "Billing sync"),
        ("scope", "write"),
        ("acts_as", id.as_str()),
        ("expires_days", "30"),
    ];
    let response = app.post_form("/api-tokens", &form).await;
    assert_redirect_to(&response, "/api-tokens");
    let html = app.get("/api-tokens").await.text().await.expect("body");
    let marker = "id=\"new-token-value\">";
    let start = html.find(marker).expect("the new token is shown") + marker.len();
    let token = html[start..].split('<').next().expect("token").to_owned();
    assert!(token.starts_with("tpl_"));
    assert!(
        html.contains("data-copy=\"#new-token-value\""),
        "a copy button"
    );
    let again = app.get("/api-tokens").await.text().await.expect("body");
    assert!(!again.contains(&token), "shown only once");
    // Stored hashed: the plain token is nowhere in the table.
    let stored = app
        .count(&format!(
            "select count(*) from platform_api_tokens where token_hash = sha256('{token}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1, "the token's SHA-256 is stored");

    let api = Api::new(&app, &token);
    assert_eq!(api.get("/api/v1/tenants").await.status, StatusCode::OK);
    let used = app
        .count("select count(*) from platform_api_tokens where last_used_at is not null")
        .await;
    assert_eq!(used, 1, "last use recorded");

    // Bad input on the form: refused beside the field, nothing made.
    let bad = app
        .post_form(
            "/api-tokens",
            &[("name", ""), ("scope", "root"), ("acts_as", id.as_str())],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("select count(*) from platform_api_tokens").await,
        1
    );

    let token_id: uuid::Uuid = sqlx::query_scalar("select id from platform_api_tokens")
        .fetch_one(&app.db)
        .await
        .expect("id");
    let revoked = app
        .post_form(&format!("/api-tokens/{token_id}/revoke"), &[])
        .await;
    assert_redirect_to(&revoked, "/api-tokens");
    api.get("/api/v1/tenants")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"platform_token.created".to_owned()));
    assert!(actions.contains(&"platform_token.revoked".to_owned()));

    // Only owners manage tokens.
    app.create_staff("sup@example.test", "support").await;
    let support = TestApp::client_signed_in(&app, "sup@example.test").await;
    let page = support
        .get(app.url("/api-tokens"))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_cli_prints_a_token_and_expired_forged_or_other_kind_tokens_are_refused() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let token = cli_token(&app, "read", None, Some("7"));
    let api = Api::new(&app, &token);
    assert_eq!(api.get("/api/v1/tenants").await.status, StatusCode::OK);

    sqlx::query("update platform_api_tokens set expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .expect("expire");
    api.get("/api/v1/tenants")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = api.get("/api/v1/tenants").await;
    assert_eq!(r.header("www-authenticate"), "Bearer");

    for forged in ["tpl_nope", "tnt_abc", ""] {
        Api::new(&app, forged)
            .get("/api/v1/tenants")
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // A token of a deactivated staff member stops working.
    app.create_staff("sue@example.test", "super_admin").await;
    let sue = Api::new(
        &app,
        &cli_token(&app, "read", Some("sue@example.test"), None),
    );
    assert_eq!(sue.get("/api/v1/tenants").await.status, StatusCode::OK);
    sqlx::query("update users set status = 'deactivated' where email = 'sue@example.test'")
        .execute(&app.db)
        .await
        .expect("deactivate");
    sue.get("/api/v1/tenants")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    // The CLI refuses bad input with a line naming the option.
    let out = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .env_remove("DATABASE_URL")
        .args(["api-tokens", "create", "--name", "x", "--scope", "root"])
        .args(["--database-url", &app.db_url])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scope"));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn scopes_and_the_console_s_access_rule_decide_what_a_token_may_do() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    app.create_staff("sue@example.test", "super_admin").await;
    app.create_staff("sup@example.test", "support").await;
    let read = Api::new(&app, &cli_token(&app, "read", None, None));
    let write = Api::new(&app, &cli_token(&app, "write", None, None));
    let admin = Api::new(&app, &cli_token(&app, "admin", None, None));
    let sue = Api::new(
        &app,
        &cli_token(&app, "admin", Some("sue@example.test"), None),
    );
    let support = Api::new(
        &app,
        &cli_token(&app, "admin", Some("sup@example.test"), None),
    );

    let new = |slug: &str| json!({ "slug": slug, "name": "Acme", "plan": "pro" });
    // A read token cannot create; nor can support, whatever its scope.
    read.post("/api/v1/tenants", &new(&unique_slug("r")))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    support
        .post("/api/v1/tenants", &new(&unique_slug("s")))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Super admins do not create tenants (the console's rule).
    sue.post("/api/v1/tenants", &new(&unique_slug("s")))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(tenant_count(&app).await, 0);

    let slug = unique_slug("api");
    let created = write.post("/api/v1/tenants", &new(&slug)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        created.header("location"),
        format!("/api/v1/tenants/{slug}")
    );
    assert!(!created.header("etag").is_empty());
    assert_eq!(created.body["status"], "pending");
    assert_eq!(created.body["plan"], "pro");
    let events: Vec<String> =
        sqlx::query_scalar("select actor_label from audit_events where action = 'tenant.created'")
            .fetch_all(&app.db)
            .await
            .expect("audit");
    assert_eq!(events, ["api-token:ci write (owner@example.test)"]);

    // Provisioning progress of a tenant still pending; its usage.
    let progress = read.get(&format!("/api/v1/tenants/{slug}/progress")).await;
    assert_eq!(progress.status, StatusCode::OK);
    assert_eq!(progress.body["status"], "pending");
    assert_eq!(progress.body["percent"], 0);
    assert_eq!(progress.body["settling"], true);
    let usage = read.get(&format!("/api/v1/tenants/{slug}/usage")).await;
    assert_eq!(usage.status, StatusCode::OK);
    assert_eq!(usage.body["members"], 0);

    // A super admin's token sees only their tenants: outside, the same 404 as unknown.
    sue.get(&format!("/api/v1/tenants/{slug}"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let listed = sue.get("/api/v1/tenants").await;
    assert_eq!(listed.body["tenants"], json!([]));
    sue.post(&format!("/api/v1/tenants/{slug}/suspend"), &json!({}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // A live tenant, assigned to the super admin: now they see it and may suspend it,
    // but not delete it (their role), whatever their token's scope.
    let live = app.provisioned_tenant("live", "pooled").await;
    sqlx::query("insert into staff_assignments (user_id, tenant_id) select id, $1 from users where email = 'sue@example.test'")
        .bind(live.id)
        .execute(&app.db)
        .await
        .expect("assign");
    let path = format!("/api/v1/tenants/{}", live.slug);
    assert_eq!(sue.get(&path).await.status, StatusCode::OK);
    let listed = sue.get("/api/v1/tenants").await;
    assert_eq!(listed.body["tenants"].as_array().map(Vec::len), Some(1));
    let suspended = sue.post(&format!("{path}/suspend"), &json!({})).await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    assert_eq!(suspended.body["status"], "suspended");
    sue.post(&format!("{path}/delete"), &json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // A write token may reactivate, not delete; an admin token may.
    let activated = write.post(&format!("{path}/activate"), &json!({})).await;
    assert_eq!(activated.body["status"], "active");
    write
        .post(&format!("{path}/delete"), &json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let deleted = admin.post(&format!("{path}/delete"), &json!({})).await;
    assert_eq!(deleted.body["status"], "deleted", "{}", deleted.body);
    // A state that refuses the action: 409; restore, then purge needs the slug typed.
    admin
        .post(&format!("{path}/suspend"), &json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "state-conflict");
    let restored = admin.post(&format!("{path}/restore"), &json!({})).await;
    assert_eq!(restored.body["status"], "active");
    admin
        .post(&format!("{path}/purge"), &json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "state-conflict");
    assert_eq!(
        admin
            .post(&format!("{path}/nonsense"), &json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let audit: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit");
    for action in [
        "tenant.created",
        "tenant.suspended",
        "tenant.reactivated",
        "tenant.deleted",
        "tenant.restored",
    ] {
        assert!(audit.contains(&action.to_owned()), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_first_result() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let api = Api::new(&app, &cli_token(&app, "write", None, None));
    let slug = unique_slug("idem");
    let body = json!({ "slug": slug, "name": "Idem" });
    let create = |key: &'static str, body: Value| {
        let request = api
            .request(Method::POST, "/api/v1/tenants")
            .header("Idempotency-Key", key)
            .json(&body);
        api.send(request)
    };
    let first = create("key-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = create("key-1", body.clone()).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.header("idempotent-replayed"), "true");
    assert_eq!(tenant_count(&app).await, 1);
    assert_eq!(
        app.count("select count(*) from audit_events where action = 'tenant.created'")
            .await,
        1
    );
    // The same key for another request is refused; a new key meets the taken slug.
    create(
        "key-1",
        json!({ "slug": unique_slug("other"), "name": "X" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused");
    create("key-2", body.clone())
        .await
        .assert_problem(StatusCode::CONFLICT, "slug-taken");
    // A refused request does not keep its key: corrected, it goes through.
    let fresh = unique_slug("fresh");
    create("key-3", json!({ "slug": "Not A Slug!", "name": "X" }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let corrected = create("key-3", json!({ "slug": fresh, "name": "X" })).await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{}", corrected.body);
    // Keys are per token: another token's same key is its own.
    let other = Api::new(&app, &cli_token(&app, "write", None, None));
    let request = other
        .request(Method::POST, "/api/v1/tenants")
        .header("Idempotency-Key", "key-1")
        .json(&body);
    other
        .send(request)
        .await
        .assert_problem(StatusCode::CONFLICT, "slug-taken");
    assert_eq!(tenant_count(&app).await, 2);
}

#[tokio::test]
async fn updates_need_the_etag_last_read_and_a_stale_one_gets_412() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let api = Api::new(&app, &cli_token(&app, "write", None, None));
    let slug = unique_slug("etag");
    api.post(
        "/api/v1/tenants",
        &json!({ "slug": slug, "name": "Before" }),
    )
    .await;
    let path = format!("/api/v1/tenants/{slug}");
    let read = api.get(&path).await;
    let etag = read.header("etag").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let patch = |if_match: Option<&str>, body: Value| {
        let mut request = api.request(Method::PATCH, &path).json(&body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        api.send(request)
    };
    patch(None, json!({ "name": "No precondition" }))
        .await
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition-required");
    let first = patch(Some(&etag), json!({ "name": "Writer one", "plan": "pro" })).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["name"], "Writer one");
    assert_eq!(first.body["plan"], "pro");
    assert_ne!(first.header("etag"), etag);
    // The second writer read the same version: refused, nothing changed.
    patch(Some(&etag), json!({ "name": "Writer two" }))
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition-failed");
    patch(Some("\"garbage\""), json!({ "name": "Writer two" }))
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition-failed");
    let now = api.get(&path).await;
    assert_eq!(now.body["name"], "Writer one");
    assert_eq!(now.header("etag"), first.header("etag"));
    // An unknown plan is a 422 naming it, nothing changed.
    patch(Some(now.header("etag")), json!({ "plan": "platinum" }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // A read token may not update.
    let reader = Api::new(&app, &cli_token(&app, "read", None, None));
    let request = reader
        .request(Method::PATCH, &path)
        .header("If-Match", now.header("etag"))
        .json(&json!({ "name": "Reader" }));
    reader
        .send(request)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let audit: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit");
    assert!(audit.contains(&"tenant.renamed".to_owned()));
    assert!(audit.contains(&"tenant.plan_changed".to_owned()));
}

#[tokio::test]
async fn walking_1000_tenants_page_by_page_while_tenants_are_created_misses_and_repeats_none() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let api = Api::new(&app, &cli_token(&app, "read", None, None));
    let server: uuid::Uuid = sqlx::query_scalar("select id from db_servers limit 1")
        .fetch_one(&app.db)
        .await
        .expect("server");
    // Rows made directly (no provisioning): the list reads only the control plane.
    let insert = async |n: usize, prefix: &str| {
        let ids: Vec<uuid::Uuid> = (0..n).map(|_| uuid::Uuid::now_v7()).collect();
        let slugs: Vec<String> = (0..n).map(|i| format!("{prefix}{i:05}")).collect();
        sqlx::query(
            "insert into tenants (id, slug, name, plan_id, tier, db_server_id, database_name, role_name)
             select id, slug, slug, 'free', 'pooled', $3, 'tenants_pooled_1', 'tr_' || slug
             from unnest($1::uuid[], $2::text[]) as u(id, slug)",
        )
        .bind(&ids)
        .bind(&slugs)
        .bind(server)
        .execute(&app.db)
        .await
        .expect("tenants");
        slugs
    };
    let before: HashSet<String> = insert(1000, "page").await.into_iter().collect();
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/tenants?limit=97".to_owned());
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = api.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for t in page.body["tenants"].as_array().expect("tenants") {
            seen.push(t["slug"].as_str().expect("slug").to_owned());
        }
        // Tenants are created between pages.
        insert(3, &format!("new{pages}x")).await;
        pages += 1;
        let link = page.header("link").to_owned();
        if let Some(cursor) = page.body["next_cursor"].as_str() {
            assert!(link.contains(cursor), "{link}");
            let target = link
                .trim_start_matches('<')
                .split('>')
                .next()
                .expect("link target");
            next = Some(target.to_owned());
        } else {
            assert!(link.is_empty());
        }
        assert!(pages < 100, "the walk ends");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no tenant twice");
    for slug in &before {
        assert!(unique.contains(slug), "{slug} missing");
    }
    // Filters keep to the walk: only the first thousand match "page".
    let filtered = api.get("/api/v1/tenants?q=page0&limit=200").await;
    assert_eq!(filtered.body["tenants"].as_array().map(Vec::len), Some(200));
    assert!(filtered.header("link").contains("q=page0"));
}

#[tokio::test]
async fn bad_input_gets_problem_details_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let api = Api::new(&app, &cli_token(&app, "admin", None, None));
    let raw = |body: Vec<u8>, content_type: &str| {
        let request = api
            .request(Method::POST, "/api/v1/tenants")
            .header("content-type", content_type)
            .body(body);
        api.send(request)
    };
    raw(b"{\"slug\": ".to_vec(), "application/json")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-json");
    raw(
        b"{\"slug\": 5, \"name\": \"x\"}".to_vec(),
        "application/json",
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    raw(
        b"{\"slug\": \"okay-slug\", \"name\": \"x\", \"admin\": true}".to_vec(),
        "application/json",
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body");
    raw(b"slug=x".to_vec(), "application/x-www-form-urlencoded")
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    let mut huge = b"{\"slug\": \"huge-one\", \"name\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    huge.extend(b"\"}");
    raw(huge, "application/json")
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large");
    raw(
        "{\"slug\": \"caf\u{e9}\", \"name\": \"x\"}"
            .as_bytes()
            .to_vec(),
        "application/json",
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    raw(
        "{\"slug\": \"okay-two\", \"name\": \"a\\u0000b\"}"
            .as_bytes()
            .to_vec(),
        "application/json",
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    raw(
        "{\"slug\": \"okay-three\", \"name\": \"line\\nbreak\"}"
            .as_bytes()
            .to_vec(),
        "application/json",
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let request = api
        .request(Method::POST, "/api/v1/tenants")
        .header("Idempotency-Key", "bad key with spaces")
        .json(&json!({ "slug": "okay-four", "name": "x" }));
    api.send(request)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-idempotency-key");
    assert_eq!(tenant_count(&app).await, 0, "nothing was created");

    for query in [
        "limit=-1",
        "limit=0",
        "limit=1000000",
        "limit=99999999999999999999999",
        "limit=ten",
        "cursor=not-a-cursor",
        "status=sleeping",
        "tier=shared",
        "unknown=1",
    ] {
        api.get(&format!("/api/v1/tenants?{query}"))
            .await
            .assert_problem(
                StatusCode::BAD_REQUEST,
                if query.starts_with("cursor") {
                    "bad-cursor"
                } else {
                    "bad-query"
                },
            );
    }
    api.get("/api/v1/nothing-here")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let wrong_method = api
        .send(api.request(Method::DELETE, "/api/v1/tenants"))
        .await;
    wrong_method.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[tokio::test]
async fn the_openapi_document_and_its_reference_page_are_served_by_the_binary() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status(), StatusCode::OK);
    assert!(!doc.headers()["x-request-id"].is_empty());
    let doc: Value = doc.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/tenants",
        "/api/v1/tenants/{slug}",
        "/api/v1/tenants/{slug}/{action}",
        "/api/v1/tenants/{slug}/progress",
        "/api/v1/tenants/{slug}/usage",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let patch = &doc["paths"]["/api/v1/tenants/{slug}"]["patch"]["responses"];
    for status in ["200", "401", "403", "404", "412", "422", "428"] {
        assert!(patch[status].is_object(), "PATCH documents {status}");
    }
    let page = app.get("/api/v1/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("script-src 'self'"));
    let html = page.text().await.expect("html");
    assert!(html.contains("PATCH</span> /api/v1/tenants/{slug}"));
    assert!(html.contains("urn:tenantry:problem:"));
    assert!(!html.contains("<script"), "no script on the page");
}

#[tokio::test]
async fn the_tenant_api_answers_errors_as_typed_problems_too() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("tapi", "pooled").await;
    let host = format!("{}.localhost", tenant.slug);
    let client = client_for_hosts(app.addr, Default::default(), &[&host]);
    let response = client
        .get(format!(
            "http://{host}:{}/api/v1/customers",
            app.addr.port()
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["type"], "urn:tenantry:problem:unauthorized");
}

#[tokio::test]
async fn a_tenant_s_members_and_invitations_follow_the_console_s_rule() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let write = Api::new(&app, &cli_token(&app, "write", None, None));
    let read = Api::new(&app, &cli_token(&app, "read", None, None));
    let sue = Api::new(
        &app,
        &cli_token(&app, "admin", Some("sue@example.test"), None),
    );
    let tenant = app.provisioned_tenant("people", "pooled").await;
    app.create_member("ada@example.test", tenant.id, "admin")
        .await;
    let base = format!("/api/v1/tenants/{}", tenant.slug);

    let members = read.get(&format!("{base}/members")).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert_eq!(members.body["members"][0]["email"], "ada@example.test");
    assert_eq!(members.body["members"][0]["role"], "admin");

    let invite = json!({ "email": "bob@example.test", "role": "member" });
    let path = format!("{base}/invitations");
    read.post(&path, &invite)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    sue.post(&path, &invite)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let send = |key: &'static str, body: Value| {
        let request = write
            .request(Method::POST, &path)
            .header("Idempotency-Key", key)
            .json(&body);
        write.send(request)
    };
    let created = send("inv-1", invite.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["email"], "bob@example.test");
    assert_eq!(created.body["status"], "pending");
    let retried = send("inv-1", invite.clone()).await;
    assert_eq!(retried.body, created.body);
    send("inv-2", invite.clone())
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    send(
        "inv-3",
        json!({ "email": "ada@example.test", "role": "member" }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    send(
        "inv-4",
        json!({ "email": "not an address", "role": "member" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    send(
        "inv-5",
        json!({ "email": "cy@example.test", "role": "owner" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let listed = read.get(&path).await;
    assert_eq!(
        listed.body["invitations"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
    assert_eq!(
        app.count("select count(*) from outbox where recipient = 'bob@example.test'")
            .await,
        1,
        "one email queued"
    );
    // Assigned, the super admin may invite too.
    sqlx::query("insert into staff_assignments (user_id, tenant_id) select id, $1 from users where email = 'sue@example.test'")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .expect("assign");
    let by_sue = sue
        .post(
            &path,
            &json!({ "email": "dee@example.test", "role": "admin" }),
        )
        .await;
    assert_eq!(by_sue.status, StatusCode::CREATED, "{}", by_sue.body);

    // Roles and removal, by the same rule: never the last admin.
    app.create_member("cy@example.test", tenant.id, "member")
        .await;
    let members = read.get(&format!("{base}/members")).await;
    let id_of = |email: &str| {
        members.body["members"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["email"] == email))
            .and_then(|m| m["id"].as_str())
            .map(str::to_owned)
            .expect("member id")
    };
    let (ada, cy) = (id_of("ada@example.test"), id_of("cy@example.test"));
    set_role(&read, &base, &cy, "admin")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    set_role(&write, &base, &ada, "member")
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let promoted = set_role(&write, &base, &cy, "admin").await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    assert_eq!(promoted.body["role"], "admin");
    remove_member(&read, &base, &ada)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        remove_member(&sue, &base, &ada).await.status,
        StatusCode::NO_CONTENT
    );
    remove_member(&write, &base, &cy)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    remove_member(&write, &base, &ada)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // Outside their tenants, a super admin's token finds no tenant at all.
    sqlx::query("delete from staff_assignments")
        .execute(&app.db)
        .await
        .expect("unassign");
    set_role(&sue, &base, &cy, "member")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

async fn set_role(api: &Api<'_>, base: &str, user: &str, role: &str) -> Answer {
    let request = api
        .request(Method::PATCH, &format!("{base}/members/{user}"))
        .json(&json!({ "role": role }));
    api.send(request).await
}

async fn remove_member(api: &Api<'_>, base: &str, user: &str) -> Answer {
    api.send(api.request(Method::DELETE, &format!("{base}/members/{user}")))
        .await
}

/// `tenantry tenants --api-url …` with `token` in the environment (off the test's
/// runtime thread, which serves the app).
async fn remote(app: &TestApp, token: Option<&str>, args: &[&str]) -> std::process::Output {
    let url = format!("http://{ADMIN_HOST}:{}", app.addr.port());
    remote_at(&url, token, None, args).await
}

/// [`remote`] at `url`, trusting the CAs in the PEM file `ca` too.
async fn remote_at(
    url: &str,
    token: Option<&str>,
    ca: Option<&std::path::Path>,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("TENANTRY_API_TOKEN")
        .env_remove("TENANTRY_API_CA")
        .env("RUST_LOG", "warn")
        .args(["tenants", "--api-url", url])
        .args(args);
    if let Some(token) = token {
        cmd.env("TENANTRY_API_TOKEN", token);
    }
    if let Some(ca) = ca {
        cmd.env("TENANTRY_API_CA", ca);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run tenantry"))
        .await
        .expect("join")
}

/// A TLS front for the app, as a load balancer terminating https would be, with a
/// certificate made for `host`; its address, and the certificate as PEM.
async fn tls_front(app: &TestApp, host: &str) -> (std::net::SocketAddr, String) {
    use std::sync::Arc;
    use tokio_rustls::rustls;

    let made = rcgen::generate_simple_self_signed(vec![host.to_owned()]).expect("certificate");
    let pem = made.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![made.cert.der().clone()], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let backend = app.addr;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A handshake the client refuses ends here: that is what one test checks.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    (addr, pem)
}

#[tokio::test]
async fn the_cli_reaches_the_api_over_https_and_refuses_an_unknown_certificate() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let tenant = app.provisioned_tenant("secure", "pooled").await;
    let token = cli_token(&app, "read", None, None);
    let (front, pem) = tls_front(&app, ADMIN_HOST).await;
    let url = format!("https://{ADMIN_HOST}:{}", front.port());
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pem).expect("write ca");

    let out = remote_at(&url, Some(&token), Some(&ca), &["list", "--json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed[0]["slug"], tenant.slug.as_str());

    // Without the CA the certificate is unknown: refused, in one line, before any call.
    let out = remote_at(&url, Some(&token), None, &["list"]).await;
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("certificate"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");

    // A CA file that is not PEM is named as the problem.
    std::fs::write(&ca, "not a certificate").expect("write");
    let out = remote_at(&url, Some(&token), Some(&ca), &["list"]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TENANTRY_API_CA"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_cli_acts_through_the_api_with_a_token_from_the_environment() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let tenant = app.provisioned_tenant("remote", "pooled").await;
    let token = cli_token(&app, "write", None, None);

    let out = remote(&app, Some(&token), &["list", "--json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed[0]["slug"], tenant.slug.as_str());

    let out = remote(&app, Some(&token), &["suspend", "--slug", &tenant.slug]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("suspended"));
    let out = remote(
        &app,
        Some(&token),
        &[
            "update",
            "--slug",
            &tenant.slug,
            "--name",
            "Renamed remotely",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name: String = sqlx::query_scalar("select name from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .expect("name");
    assert_eq!(name, "Renamed remotely");

    // Refusals come back as one line with the API's words; a write token cannot delete.
    let out = remote(&app, Some(&token), &["delete", "--slug", &tenant.slug]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("scope"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = remote(
        &app,
        Some(&token),
        &["create", "--slug", "Bad Slug", "--name", "X"],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("422"));
    let out = remote(&app, None, &["list"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TENANTRY_API_TOKEN"));
    let audit: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit");
    assert_eq!(audit, ["tenant.suspended", "tenant.renamed"]);
}

#[tokio::test]
async fn the_cli_follows_a_move_through_the_api_until_it_ends() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let tenant = app.provisioned_tenant("remmove", "pooled").await;
    let token = cli_token(&app, "admin", None, None);
    let api = Api::new(&app, &token);
    let status_path = format!("/api/v1/tenants/{}/move", tenant.slug);
    api.get(&status_path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // The CLI asks and waits; the worker (the server's, in production) runs the job here.
    let cli = {
        let (url, token, slug) = (
            format!("http://{ADMIN_HOST}:{}", app.addr.port()),
            token.clone(),
            tenant.slug.clone(),
        );
        tokio::spawn(async move {
            remote_at(
                &url,
                Some(&token),
                None,
                &[
                    "move",
                    "--slug",
                    &slug,
                    "--tier",
                    "isolated",
                    "--timeout",
                    "120",
                ],
            )
            .await
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !cli.is_finished() && std::time::Instant::now() < deadline {
        tenantry::tenancy::worker::run_next(&app.tenancy, None)
            .await
            .expect("worker");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let out = cli.await.expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Moved remmove"), "{stdout}");
    assert!(stdout.contains("suspended"), "{stdout}");
    let tier: String = sqlx::query_scalar("select tier from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .expect("tier");
    assert_eq!(tier, "isolated");
    let last = api.get(&status_path).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert_eq!(last.body["status"], "done");
    assert!(
        last.body["suspended_ms"].as_i64().is_some(),
        "{}",
        last.body
    );

    // A refused move is one line with the API's reason and a non-zero exit.
    let out = remote_at(
        &format!("http://{ADMIN_HOST}:{}", app.addr.port()),
        Some(&token),
        None,
        &["move", "--slug", "remmove", "--tier", "isolated"],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{stderr}"
    );
}
