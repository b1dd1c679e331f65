//! The platform API's owner side: segments and assignments, database servers, the audit
//! log (filtered, in keyset pages, scoped for super admins), choosing the server on
//! create, and the per-token rate limit with its `RateLimit-*` headers. Each from the
//! allowed and the refused side: wrong scope, wrong role, revoked, expired, outside a
//! super admin's tenants.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::platform_api::{Answer, Api, cli_token};

impl Api<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user");
    id.to_string()
}

async fn audited_by_tokens(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit")
}

#[tokio::test]
async fn owners_manage_segments_and_assignments_and_everyone_else_is_refused() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let read = Api::new(&app, &cli_token(&app, "read", None, None));
    let write = Api::new(&app, &cli_token(&app, "write", None, None));
    let admin = Api::new(&app, &cli_token(&app, "admin", None, None));
    let sue = Api::new(
        &app,
        &cli_token(&app, "admin", Some("sue@example.test"), None),
    );
    let sue_id = user_id(&app, "sue@example.test").await;
    let live = app.provisioned_tenant("seg", "pooled").await;

    // Reading takes a read token of an owner; a super admin's token is refused by role.
    let listed = read.get("/api/v1/segments").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["segments"], json!([]));
    sue.get("/api/v1/segments")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Changing takes the admin scope (the console's ManageStaff).
    let eu = json!({ "name": "EU customers", "description": "Served from Frankfurt" });
    for refused in [&read, &write, &sue] {
        refused
            .post("/api/v1/segments", &eu)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(app.count("select count(*) from segments").await, 0);

    let created = admin.post("/api/v1/segments", &eu).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(created.header("location"), format!("/api/v1/segments/{id}"));
    assert_eq!(created.body["description"], "Served from Frankfurt");
    admin
        .post("/api/v1/segments", &eu)
        .await
        .assert_problem(StatusCode::CONFLICT, "name-taken");
    admin
        .post("/api/v1/segments", &json!({ "name": "  " }))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    // The super admin does not see the tenant until the segment links them to it.
    let tenant_path = format!("/api/v1/tenants/{}", live.slug);
    sue.get(&tenant_path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let in_segment = format!("/api/v1/segments/{id}/tenants/{}", live.slug);
    read.call(Method::PUT, &in_segment, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    for _ in 0..2 {
        // PUT twice: the second changes nothing and still answers 200.
        let added = admin.call(Method::PUT, &in_segment, None).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        assert_eq!(added.body["tenants"][0]["slug"], live.slug.as_str());
    }
    admin
        .call(
            Method::PUT,
            &format!("/api/v1/segments/{id}/tenants/nosuch"),
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let staff_path = format!("/api/v1/segments/{id}/super-admins/{sue_id}");
    let assigned = admin.call(Method::PUT, &staff_path, None).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert_eq!(assigned.body["super_admins"][0]["assigned"], true);
    admin
        .call(
            Method::PUT,
            &format!(
                "/api/v1/segments/{id}/super-admins/{}",
                uuid::Uuid::now_v7()
            ),
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(sue.get(&tenant_path).await.status, StatusCode::OK);

    // Renaming; then taking the tenant out ends the super admin's access.
    let renamed = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/segments/{id}"),
            Some(&json!({ "name": "Europe" })),
        )
        .await;
    assert_eq!(renamed.body["name"], "Europe", "{}", renamed.body);
    assert_eq!(renamed.body["description"], "Served from Frankfurt");
    let read_back = read.get(&format!("/api/v1/segments/{id}")).await;
    assert_eq!(read_back.body["tenants"][0]["slug"], live.slug.as_str());
    let removed = admin.call(Method::DELETE, &in_segment, None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    admin
        .call(Method::DELETE, &in_segment, None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    sue.get(&tenant_path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // Assigning the tenant directly.
    let direct = format!("/api/v1/tenants/{}/super-admins/{sue_id}", live.slug);
    write
        .call(Method::PUT, &direct, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let assigned = admin.call(Method::PUT, &direct, None).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    let list = read
        .get(&format!("/api/v1/tenants/{}/super-admins", live.slug))
        .await;
    assert_eq!(
        list.body["super_admins"],
        json!([{ "id": sue_id, "email": "sue@example.test", "assigned": true }])
    );
    assert_eq!(sue.get(&tenant_path).await.status, StatusCode::OK);
    // The super admin sees the tenant now, but may not read or change its assignments.
    sue.get(&format!("/api/v1/tenants/{}/super-admins", live.slug))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    sue.call(Method::DELETE, &direct, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        admin.call(Method::DELETE, &direct, None).await.status,
        StatusCode::NO_CONTENT
    );
    sue.get(&tenant_path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let deleted = admin
        .call(Method::DELETE, &format!("/api/v1/segments/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    read.get(&format!("/api/v1/segments/{id}"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    read.get("/api/v1/segments/not-a-uuid")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let audit = audited_by_tokens(&app).await;
    for action in [
        "segment.created",
        "segment.tenant_added",
        "segment.super_admin_assigned",
        "segment.updated",
        "segment.tenant_removed",
        "tenant.super_admin_assigned",
        "tenant.super_admin_unassigned",
        "segment.deleted",
    ] {
        assert!(audit.contains(&action.to_owned()), "{action} in {audit:?}");
    }

    // Revoked and expired tokens are refused whatever they ask for.
    sqlx::query("update platform_api_tokens set revoked_at = now() where name = 'ci admin'")
        .execute(&app.db)
        .await
        .expect("revoke");
    sqlx::query("update platform_api_tokens set expires_at = now() - interval '1 second' where name = 'ci read'")
        .execute(&app.db)
        .await
        .expect("expire");
    admin
        .post("/api/v1/segments", &json!({ "name": "Late" }))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    read.get("/api/v1/segments")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn owners_list_register_and_drain_servers_and_pick_one_on_create() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let read = Api::new(&app, &cli_token(&app, "read", None, None));
    let write = Api::new(&app, &cli_token(&app, "write", None, None));
    let admin = Api::new(&app, &cli_token(&app, "admin", None, None));
    let sue = Api::new(
        &app,
        &cli_token(&app, "admin", Some("sue@example.test"), None),
    );

    let listed = read.get("/api/v1/servers").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let primary = &listed.body["servers"][0];
    assert_eq!(primary["is_primary"], true);
    assert!(primary.get("dsn").is_none() && primary.get("admin_dsn_enc").is_none());
    let primary_name = primary["name"].as_str().expect("name").to_owned();
    let primary_id = primary["id"].as_str().expect("id").to_owned();
    sue.get("/api/v1/servers")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Registering needs the admin scope and checks the DSN by connecting.
    let second = json!({ "name": "second", "dsn": app.db_url, "capacity": 10 });
    write
        .post("/api/v1/servers", &second)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    sue.post("/api/v1/servers", &second)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    admin
        .post(
            "/api/v1/servers",
            &json!({ "name": "bad", "dsn": "not a url" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let registered = admin.post("/api/v1/servers", &second).await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    assert_eq!(registered.body["capacity"], 10);
    assert_eq!(registered.body["status"], "active");
    admin
        .post("/api/v1/servers", &second)
        .await
        .assert_problem(StatusCode::CONFLICT, "name-taken");

    // Draining the primary: a create pinned to it is refused, one pinned elsewhere lands there.
    let path = format!("/api/v1/servers/{primary_id}");
    write
        .call(Method::PATCH, &path, Some(&json!({ "draining": true })))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let drained = admin
        .call(Method::PATCH, &path, Some(&json!({ "draining": true })))
        .await;
    assert_eq!(drained.body["status"], "draining", "{}", drained.body);
    assert_eq!(drained.body["capacity"], primary["capacity"]);
    let new = |slug: &str, server: &str| json!({ "slug": slug, "name": "Acme", "server": server });
    let refused = write
        .post("/api/v1/tenants", &new(&unique_slug("d"), &primary_name))
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("server:")
    );
    write
        .post("/api/v1/tenants", &new(&unique_slug("u"), "nosuch"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let pinned = write
        .post("/api/v1/tenants", &new(&unique_slug("p"), "second"))
        .await;
    assert_eq!(pinned.status, StatusCode::CREATED, "{}", pinned.body);
    assert_eq!(pinned.body["server"], "second");
    let active = admin
        .call(
            Method::PATCH,
            &path,
            Some(&json!({ "draining": false, "capacity": 7 })),
        )
        .await;
    assert_eq!(active.body["status"], "active");
    assert_eq!(active.body["capacity"], 7);
    admin
        .call(Method::PATCH, &path, Some(&json!({ "capacity": 0 })))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    admin
        .call(
            Method::PATCH,
            &format!("/api/v1/servers/{}", uuid::Uuid::now_v7()),
            Some(&json!({ "capacity": 3 })),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let audit = audited_by_tokens(&app).await;
    for action in [
        "db_server.registered",
        "db_server.updated",
        "tenant.created",
    ] {
        assert!(audit.contains(&action.to_owned()), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn the_audit_log_is_filtered_walked_page_by_page_and_scoped_to_a_super_admin_s_tenants() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let write = Api::new(&app, &cli_token(&app, "write", None, None));
    let read = Api::new(&app, &cli_token(&app, "read", None, None));
    let sue = Api::new(
        &app,
        &cli_token(&app, "read", Some("sue@example.test"), None),
    );
    let mut slugs = Vec::new();
    for _ in 0..5 {
        let slug = unique_slug("aud");
        let created = write
            .post(
                "/api/v1/tenants",
                &json!({ "slug": slug, "name": "Audited" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        slugs.push(slug);
    }

    // Walk the creations two at a time, following `Link`; more are written meanwhile.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/audit-events?action=tenant.created&limit=2".to_owned());
    while let Some(path) = next.take() {
        let page = read.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for event in page.body["events"].as_array().expect("events") {
            assert_eq!(event["action"], "tenant.created");
            assert!(
                event["actor"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("api-token:ci write")
            );
            seen.push(event["tenant"].as_str().expect("tenant").to_owned());
        }
        if seen.len() == 2 {
            let late = unique_slug("late");
            write
                .post("/api/v1/tenants", &json!({ "slug": late, "name": "Late" }))
                .await;
        }
        let link = page.header("link");
        if let Some(cursor) = page.body["next_cursor"].as_str() {
            assert!(link.contains(&format!("cursor={cursor}")), "{link}");
            let target = link
                .trim_start_matches('<')
                .split('>')
                .next()
                .expect("link");
            next = Some(target.to_owned());
        } else {
            assert!(link.is_empty());
        }
    }
    let mut expected = slugs.clone();
    expected.reverse();
    assert_eq!(seen, expected, "each older event once, newest first");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);

    // Filters: by tenant, by actor, by time.
    let one = read
        .get(&format!("/api/v1/audit-events?tenant={}", slugs[0]))
        .await;
    let events = one.body["events"].as_array().expect("events");
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["tenant"] == slugs[0].as_str()));
    let none = read.get("/api/v1/audit-events?actor=nobody-at-all").await;
    assert_eq!(none.body["events"], json!([]));
    let future = read
        .get("/api/v1/audit-events?from=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future.body["events"], json!([]));

    // A super admin's token reads only the events of their tenants.
    assert_eq!(
        sue.get("/api/v1/audit-events").await.body["events"],
        json!([])
    );
    sqlx::query("insert into staff_assignments (user_id, tenant_id) select u.id, t.id from users u, tenants t where u.email = 'sue@example.test' and t.slug = $1")
        .bind(&slugs[1])
        .execute(&app.db)
        .await
        .expect("assign");
    let scoped = sue.get("/api/v1/audit-events").await;
    let events = scoped.body["events"].as_array().expect("events");
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["tenant"] == slugs[1].as_str()),
        "{events:?}"
    );

    // Bad queries are named; no token, a revoked one: 401.
    read.get("/api/v1/audit-events?from=yesterday")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-query");
    read.get("/api/v1/audit-events?cursor=-4")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-cursor");
    read.get("/api/v1/audit-events?limit=100000")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-query");
    read.get("/api/v1/audit-events?colour=red")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-query");
    sqlx::query("update platform_api_tokens set revoked_at = now() where name = 'ci read'")
        .execute(&app.db)
        .await
        .expect("revoke");
    read.get("/api/v1/audit-events")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn each_token_has_a_quota_a_minute_announced_in_ratelimit_headers() {
    let app = spawn_app_with(&["--api-rate-limit", "3"]).await;
    app.create_owner("owner@example.test").await;
    let one = Api::new(&app, &cli_token(&app, "read", None, None));
    let other = Api::new(&app, &cli_token(&app, "read", None, None));

    for remaining in ["2", "1", "0"] {
        let r = one.get("/api/v1/tenants").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.header("ratelimit-limit"), "3");
        assert_eq!(r.header("ratelimit-remaining"), remaining);
        let reset: u64 = r.header("ratelimit-reset").parse().expect("seconds");
        assert!((1..=60).contains(&reset), "{reset}");
    }
    let over = one.get("/api/v1/tenants").await;
    over.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry: u64 = over.header("retry-after").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(over.header("ratelimit-remaining"), "0");
    assert!(
        over.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("3 calls a minute")
    );
    // Writes are refused too, and change nothing.
    one.post(
        "/api/v1/tenants",
        &json!({ "slug": "late", "name": "Late" }),
    )
    .await
    .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert_eq!(app.count("select count(*) from tenants").await, 0);
    // Another token has its own quota; refusals of a bad token carry the headers too.
    let r = other.get("/api/v1/tenants").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-remaining"), "2");
    let forged = Api::new(&app, "tpl_forged").get("/api/v1/tenants").await;
    forged.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(forged.header("ratelimit-remaining"), "2");
    // The tenant API counts its tokens the same way.
    let tenant = app.provisioned_tenant("rl", "pooled").await;
    let host = format!("{}.localhost", tenant.slug);
    let client = client_for_hosts(app.addr, std::sync::Arc::default(), &[&host]);
    let url = format!("http://{host}:{}/api/v1/customers", app.addr.port());
    for remaining in ["2", "1", "0"] {
        let r = client
            .get(&url)
            .bearer_auth("tnt_unknown")
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["ratelimit-remaining"], remaining);
    }
    let r = client
        .get(&url)
        .bearer_auth("tnt_unknown")
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // The console and the document are not API calls with a token: no headers.
    let doc = app.get("/api/v1/openapi.json").await;
    assert!(doc.headers().get("ratelimit-limit").is_none());
    let doc: Value = doc.json().await.expect("json");
    assert_eq!(
        doc.pointer("/paths/~1api~1v1~1tenants/get/responses/429/description")
            .and_then(Value::as_str)
            .map(|d| d.contains("Retry-After")),
        Some(true)
    );
}
