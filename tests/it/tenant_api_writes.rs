//! The tenant API's CRM writes: a `write` token creates, changes and deletes customers,
//! contacts and interactions (audited with the token as actor); a `read` token's writes
//! are refused by PostgreSQL (a READ ONLY transaction), answered as a 403 problem; another
//! tenant's token and bad input change nothing.

use std::sync::Arc;

use reqwest::cookie::Jar;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Creates a token of `scope` on the tenant's tokens page; the plain token.
pub(crate) async fn token(admin: &TenantClient, name: &str, scope: &str) -> String {
    let response = admin
        .post_from(
            "/api-tokens",
            "/api-tokens",
            &[("name", name), ("scope", scope)],
        )
        .await;
    assert_redirect_to(&response, "/api-tokens");
    let html = admin.get("/api-tokens").await.text().await.expect("body");
    let marker = "id=\"new-token-value\">";
    let start = html.find(marker).expect("the new token is shown") + marker.len();
    html[start..].split('<').next().expect("token").to_owned()
}

/// A program calling the tenant API on the tenant's host with a token.
pub(crate) struct Caller {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Caller {
    pub(crate) fn new(app: &TestApp, slug: &str, token: &str) -> Self {
        let host = format!("{slug}.localhost");
        Self {
            client: client_for_hosts(app.addr, Arc::new(Jar::default()), &[&host]),
            base: format!("http://{host}:{}", app.addr.port()),
            token: token.to_owned(),
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.send(method, path, body, &[]).await;
        (status, body)
    }

    /// A call with extra headers; the status, headers and JSON body of the answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }
}

async fn customers(app: &TestApp, tenant: &tenantry::tenancy::tenants::Tenant) -> i64 {
    let db = app.tenancy.pool(tenant.id).await.expect("pool");
    let db = tenantry::modules::TenantDb::new(db, true);
    let (_, total) = tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 1, 10)
        .await
        .expect("list");
    total
}

#[tokio::test]
async fn a_write_token_changes_the_crm_and_a_read_token_is_refused_by_the_database() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("wapi", "pooled").await;
    let globex = app.provisioned_tenant("wapix", "isolated").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    let writer = Caller::new(&app, &acme.slug, &token(&ada, "Sync", "write").await);
    let reader = Caller::new(&app, &acme.slug, &token(&ada, "Reports", "read").await);

    // Create, read, change, then contacts and an interaction.
    let (status, created) = writer
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Wayne Enterprises", "email": "bruce@wayne.test" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "lead");
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/customers/{id}");
    let (status, read) = reader.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["name"], "Wayne Enterprises");
    let (_, changed) = writer
        .call(Method::PATCH, &path, Some(json!({ "status": "active" })))
        .await;
    assert_eq!(
        changed["type"], "urn:tenantry:problem:precondition-required",
        "an update names the version it read"
    );
    let (status, _, changed) = writer
        .send(
            Method::PATCH,
            &path,
            Some(json!({ "status": "active" })),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["status"], "active");
    assert_eq!(
        changed["name"], "Wayne Enterprises",
        "a patch keeps the rest"
    );
    let (status, contacts) = writer
        .call(
            Method::POST,
            &format!("{path}/contacts"),
            Some(json!({ "name": "Lucius Fox", "title": "CEO" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contacts}");
    let contact = contacts["contacts"][0]["id"].as_i64().expect("contact id");
    let (status, _) = writer
        .call(
            Method::POST,
            &format!("{path}/interactions"),
            Some(json!({ "kind": "call", "summary": "Renewal talk" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The read token: every write refused by PostgreSQL, nothing changed.
    let refused = [
        (
            Method::POST,
            "/api/v1/customers".to_owned(),
            Some(json!({ "name": "Nope" })),
        ),
        (Method::PATCH, path.clone(), Some(json!({ "name": "Nope" }))),
        (Method::DELETE, path.clone(), None),
        (
            Method::POST,
            format!("{path}/contacts"),
            Some(json!({ "name": "Nope" })),
        ),
        (Method::DELETE, format!("{path}/contacts/{contact}"), None),
        (
            Method::POST,
            format!("{path}/interactions"),
            Some(json!({ "kind": "note", "summary": "Nope" })),
        ),
    ];
    for (method, target, body) in refused {
        let (status, _, problem) = reader
            .send(method.clone(), &target, body, &[("If-Match", "*")])
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {target}: {problem}"
        );
        assert_eq!(problem["type"], "urn:tenantry:problem:read-only-token");
    }
    assert_eq!(customers(&app, &acme).await, 1);
    let (_, still) = reader.call(Method::GET, &path, None).await;
    assert_eq!(still["name"], "Wayne Enterprises");

    // Bad input: problems, nothing changed.
    for body in [
        json!({ "name": "" }),
        json!({ "name": "x", "status": "vip" }),
        json!({ "name": "x", "email": "not an address" }),
        json!({ "name": "line\nbreak" }),
        json!({ "name": 5 }),
        json!({ "name": "x", "admin": true }),
    ] {
        let (status, problem) = writer
            .call(Method::POST, "/api/v1/customers", Some(body.clone()))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
    }
    for bad in ["0", "-1", "abc", "99999999999999999999"] {
        let (status, _) = writer
            .call(Method::GET, &format!("/api/v1/customers/{bad}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(customers(&app, &acme).await, 1);

    // Another tenant's token reaches nothing here (the host's tenant is not its own).
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let gus = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let foreign = Caller::new(&app, &acme.slug, &token(&gus, "Other", "write").await);
    let (status, problem) = foreign.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "urn:tenantry:problem:forbidden");
    assert_eq!(customers(&app, &acme).await, 1);

    // Delete the contact, then the customer.
    let (status, _) = writer
        .call(Method::DELETE, &format!("{path}/contacts/{contact}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = writer.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = writer.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(customers(&app, &acme).await, 0);

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        [
            "crm.customer_created",
            "crm.customer_updated",
            "crm.contact_added",
            "crm.interaction_added",
            "crm.contact_removed",
            "crm.customer_deleted",
        ]
    );
}

fn etag(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_owned()
}

#[tokio::test]
async fn crm_updates_need_the_etag_last_read_and_retried_creates_return_the_first_result() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("etag", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    let writer = Caller::new(&app, &acme.slug, &token(&ada, "Sync", "write").await);

    // A retried create with the same key gets the first answer; nothing is created twice.
    let key = [("Idempotency-Key", "order-7")];
    let body = json!({ "name": "Wayne Enterprises" });
    let (status, headers, first) = writer
        .send(Method::POST, "/api/v1/customers", Some(body.clone()), &key)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let created_tag = etag(&headers);
    let (status, headers, again) = writer
        .send(Method::POST, "/api/v1/customers", Some(body), &key)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(headers["idempotent-replayed"], "true");
    let (status, _, reused) = writer
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Other" })),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reused["type"],
        "urn:tenantry:problem:idempotency-key-reused"
    );
    assert_eq!(customers(&app, &acme).await, 1);
    let id = first["id"].as_i64().expect("id");
    let path = format!("/api/v1/customers/{id}");
    for _ in 0..2 {
        let (status, _, _) = writer
            .send(
                Method::POST,
                &format!("{path}/contacts"),
                Some(json!({ "name": "Lucius Fox" })),
                &[("Idempotency-Key", "contact-1")],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let db = app.tenancy.pool(acme.id).await.expect("pool");
    let db = tenantry::modules::TenantDb::new(db, true);
    let (contacts, _, _) = tenantry::modules::crm::contacts_and_timeline(&db, id, &[])
        .await
        .expect("contacts");
    assert_eq!(contacts.len(), 1, "the retried contact was added once");

    // Updates: 428 without If-Match; the first of two writers wins, the second gets 412.
    let (_, headers, _) = writer.send(Method::GET, &path, None, &[]).await;
    let read_tag = etag(&headers);
    assert_eq!(read_tag, created_tag);
    let patch = |tag: &'static str, name: &'static str| {
        let tag = if tag.is_empty() {
            read_tag.clone()
        } else {
            tag.to_owned()
        };
        let writer = &writer;
        let path = path.clone();
        async move {
            writer
                .send(
                    Method::PATCH,
                    &path,
                    Some(json!({ "name": name })),
                    &[("If-Match", tag.as_str())],
                )
                .await
        }
    };
    let (status, _, missing) = writer
        .send(Method::PATCH, &path, Some(json!({ "name": "No tag" })), &[])
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{missing}");
    let (status, headers, one) = patch("", "Writer one").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let new_tag = etag(&headers);
    assert_ne!(new_tag, read_tag);
    let (status, _, two) = patch("", "Writer two").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{two}");
    assert_eq!(two["type"], "urn:tenantry:problem:precondition-failed");
    let (status, _, _) = patch("\"zz-not-a-version\"", "Writer two").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (_, headers, now) = writer.send(Method::GET, &path, None, &[]).await;
    assert_eq!(now["name"], "Writer one");
    assert_eq!(etag(&headers), new_tag);
    let (status, _, _) = writer
        .send(
            Method::PATCH,
            &path,
            Some(json!({ "name": "Writer three" })),
            &[("If-Match", new_tag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_label like 'api-token:%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        [
            "crm.customer_created",
            "crm.contact_added",
            "crm.customer_updated",
            "crm.customer_updated",
        ]
    );
}

#[tokio::test]
async fn contacts_are_read_and_changed_with_their_etag_and_the_timeline_is_listed() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("ctag", "isolated").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    let writer = Caller::new(&app, &acme.slug, &token(&ada, "Sync", "write").await);
    let reader = Caller::new(&app, &acme.slug, &token(&ada, "Reports", "read").await);
    let (_, customer) = writer
        .call(
            Method::POST,
            "/api/v1/customers",
            Some(json!({ "name": "Wayne" })),
        )
        .await;
    let path = format!("/api/v1/customers/{}", customer["id"]);
    let (_, added) = writer
        .call(
            Method::POST,
            &format!("{path}/contacts"),
            Some(json!({ "name": "Lucius Fox", "title": "CEO" })),
        )
        .await;
    let contact = format!("{path}/contacts/{}", added["contacts"][0]["id"]);

    // Listed and read one by one, with the version to send back.
    let (status, listed) = reader
        .call(Method::GET, &format!("{path}/contacts"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["contacts"][0]["name"], "Lucius Fox");
    let (status, headers, read) = reader.send(Method::GET, &contact, None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["title"], "CEO");
    let read_tag = etag(&headers);

    // 428 without If-Match, the read token refused by PostgreSQL, then the first of two
    // writers with the same version wins and the second gets 412; absent fields stay.
    let patch = json!({ "title": "Chairman" });
    let (status, _, _) = writer
        .send(Method::PATCH, &contact, Some(patch.clone()), &[])
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, _, problem) = reader
        .send(
            Method::PATCH,
            &contact,
            Some(patch.clone()),
            &[("If-Match", read_tag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, headers, one) = writer
        .send(
            Method::PATCH,
            &contact,
            Some(patch.clone()),
            &[("If-Match", read_tag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["title"], "Chairman");
    assert_eq!(one["name"], "Lucius Fox", "a patch keeps the rest");
    assert_ne!(etag(&headers), read_tag);
    let (status, _, two) = writer
        .send(
            Method::PATCH,
            &contact,
            Some(json!({ "title": "Intern" })),
            &[("If-Match", read_tag.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{two}");
    for bad in [
        json!({ "name": "" }),
        json!({ "email": "nope" }),
        json!({ "phone": "1" }),
    ] {
        let (status, _, problem) = writer
            .send(
                Method::PATCH,
                &contact,
                Some(bad.clone()),
                &[("If-Match", "*")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
    }
    let (_, _, now) = reader.send(Method::GET, &contact, None, &[]).await;
    assert_eq!(now["title"], "Chairman");
    // A contact is reached only through its own customer.
    let (status, _, _) = reader
        .send(
            Method::GET,
            &format!(
                "/api/v1/customers/999999/contacts/{}",
                added["contacts"][0]["id"]
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    writer
        .call(
            Method::POST,
            &format!("{path}/interactions"),
            Some(json!({ "kind": "meeting", "summary": "Board review" })),
        )
        .await;
    let (status, timeline) = reader
        .call(Method::GET, &format!("{path}/interactions"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    assert_eq!(timeline["interactions"][0]["kind"], "meeting");
    assert!(
        timeline["interactions"][0]["created_by"]
            .as_str()
            .is_some_and(|b| b.starts_with("api-token:")),
        "{timeline}"
    );
    let updated: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'crm.contact_updated' and tenant_id = $1",
    )
    .bind(acme.id)
    .fetch_one(&app.db)
    .await
    .expect("audit");
    assert_eq!(updated, 1, "one change, one event");
}
