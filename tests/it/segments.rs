//! Segments: super admins manage the tenants of the segments they are assigned to (and
//! lose them with the link); only owners manage segments; bad input changes nothing.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;
use tenantry::control::audit::{Actor, Origin};
use tenantry::control::segments;

use crate::helpers::*;

/// A second browser on the platform console, with its own cookie jar (the app's own
/// client is another person's browser).
struct Platform {
    client: reqwest::Client,
    base: String,
}

impl Platform {
    async fn signed_in(app: &TestApp, email: &str) -> Self {
        let me = Self {
            client: client_for(app.addr, Arc::new(Jar::default())),
            base: format!("http://{ADMIN_HOST}:{}", app.addr.port()),
        };
        let token = me.token("/login").await;
        let r = me
            .client
            .post(format!("{}/login", me.base))
            .form(&[
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("request");
        assert_redirect_to(&r, "/");
        me
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    async fn token(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.expect("body");
        extract_csrf(&html).expect("a csrf token on the page")
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.token("/").await;
        let mut body = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(format!("{}{path}", self.base))
            .form(&body)
            .send()
            .await
            .expect("request")
    }
}

type Fields<'a> = Vec<(&'a str, &'a str)>;

async fn user_id(app: &TestApp, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

/// Creates a segment through the owner's form; its id, read from the redirect.
async fn create_segment(app: &TestApp, name: &str) -> String {
    let r = app.post_form("/segments", &[("name", name)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/segments/")
        .unwrap_or_else(|| panic!("unexpected redirect {location}"));
    id.to_owned()
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "select (select count(*) from segments), (select count(*) from segment_tenants),
                (select count(*) from segment_staff),
                (select count(*) from audit_events where action like 'segment.%')",
    )
    .fetch_one(&app.db)
    .await
    .expect("counts")
}

#[tokio::test]
async fn a_super_admin_manages_the_tenants_of_their_segments_and_only_while_linked() {
    let app = spawn_app().await;
    let mine = app.provisioned_tenant("segin", "pooled").await;
    let other = app.provisioned_tenant("segout", "pooled").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let sue_id = user_id(&app, "sue@example.test").await.to_string();
    app.login_as_new_owner("olga@example.test").await;

    let id = create_segment(&app, "EU customers").await;
    let segment = format!("/segments/{id}");
    // Slugs are matched in any case.
    let added = app
        .post_form(
            &format!("{segment}/tenants"),
            &[("slug", &mine.slug.to_uppercase())],
        )
        .await;
    assert_redirect_to(&added, &segment);
    let assigned = app
        .post_form(
            &format!("{segment}/super-admins"),
            &[("user_id", &sue_id), ("assigned", "1")],
        )
        .await;
    assert_redirect_to(&assigned, &segment);
    let page = app.get(&segment).await.text().await.unwrap();
    assert!(page.contains(&format!("data-slug=\"{}\"", mine.slug)) && page.contains("Unassign"));
    // The slug field suggests the tenants not in the segment yet.
    let choices = page
        .split("id=\"tenant-choices\"")
        .nth(1)
        .expect("a datalist");
    let choices = choices.split("</datalist>").next().unwrap_or_default();
    assert!(
        choices.contains(&format!("value=\"{}\"", other.slug)),
        "{choices}"
    );
    assert!(
        !choices.contains(&format!("value=\"{}\"", mine.slug)),
        "{choices}"
    );
    let list = app.get("/segments").await.text().await.unwrap();
    assert!(list.contains("EU customers"), "listed with its counts");
    let tenant_page = app
        .get(&format!("/tenants/{}", mine.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        tenant_page.contains(&format!("href=\"{segment}\"")),
        "the tenant page names its segments"
    );

    // Sue sees that tenant and no other, in the list, on its page and in its console.
    let sue = Platform::signed_in(&app, "sue@example.test").await;
    let tenants = sue.get("/tenants").await.text().await.unwrap();
    assert!(tenants.contains(&mine.slug) && !tenants.contains(&other.slug));
    assert_eq!(
        sue.get(&format!("/tenants/{}", mine.slug)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        sue.get(&format!("/tenants/{}", other.slug)).await.status(),
        StatusCode::NOT_FOUND
    );
    let open = sue
        .post(
            &format!("/tenants/{}/open-console", mine.slug),
            &[("reason", "Ticket 7: segment check")],
        )
        .await;
    assert_eq!(open.status(), StatusCode::SEE_OTHER, "may open the console");
    let console = TenantClient::opened_by_staff(&app, &mine.slug, "sue@example.test").await;
    assert_eq!(console.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        TenantClient::new(&app, &other.slug)
            .login("sue@example.test", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "no console outside her segments"
    );

    // The tenant leaves the segment: access ends at once, even in an open session.
    let removed = app
        .post_form(
            &format!("{segment}/tenants/remove"),
            &[("slug", &mine.slug)],
        )
        .await;
    assert_redirect_to(&removed, &segment);
    assert_eq!(console.get("/").await.status(), StatusCode::FORBIDDEN);
    assert!(
        !sue.get("/tenants")
            .await
            .text()
            .await
            .unwrap()
            .contains(&mine.slug)
    );
    assert_eq!(
        sue.get(&format!("/tenants/{}", mine.slug)).await.status(),
        StatusCode::NOT_FOUND
    );
    let status: String = sqlx::query_scalar("select status from tenants where id = $1")
        .bind(mine.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "active", "the tenant itself is untouched");

    // Back in the segment, then Sue is unassigned: the same loss of access.
    app.post_form(&format!("{segment}/tenants"), &[("slug", &mine.slug)])
        .await;
    assert_eq!(console.get("/").await.status(), StatusCode::OK);
    let unassigned = app
        .post_form(
            &format!("{segment}/super-admins"),
            &[("user_id", &sue_id), ("assigned", "0")],
        )
        .await;
    assert_redirect_to(&unassigned, &segment);
    assert_eq!(console.get("/").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        sue.get(&format!("/tenants/{}", mine.slug)).await.status(),
        StatusCode::NOT_FOUND
    );

    let actions = app.audit_actions().await;
    for action in [
        "segment.created",
        "segment.tenant_added",
        "segment.super_admin_assigned",
        "segment.tenant_removed",
        "segment.super_admin_unassigned",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    let target: String = sqlx::query_scalar(
        "select target from audit_events where action = 'segment.tenant_added' limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(target, mine.slug, "in the tenant's own history");
}

#[tokio::test]
async fn only_owners_reach_segments() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("segref", "pooled").await;
    let segment = segments::create(
        &app.db,
        "Key accounts",
        "",
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap();
    segments::add_tenant(
        &app.db,
        segment.id,
        &tenant.slug,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap();
    app.create_staff("sue@example.test", "super_admin").await;
    app.create_staff("sam@example.test", "support").await;
    let sue_id = user_id(&app, "sue@example.test").await.to_string();
    let before = counts(&app).await;

    let id = segment.id.to_string();
    let unknown = uuid::Uuid::now_v7().to_string();
    for email in ["sue@example.test", "sam@example.test"] {
        let staff = Platform::signed_in(&app, email).await;
        assert!(
            !staff
                .get("/")
                .await
                .text()
                .await
                .unwrap()
                .contains("href=\"/segments\""),
            "no Segments entry in the navigation"
        );
        for target in [&id, &unknown, &"not-a-uuid".to_owned()] {
            for path in ["/segments".to_owned(), format!("/segments/{target}")] {
                assert_eq!(
                    staff.get(&path).await.status(),
                    StatusCode::FORBIDDEN,
                    "{email} GET {path}"
                );
            }
            let posts: [(String, Vec<(&str, &str)>); 6] = [
                ("/segments".into(), vec![("name", "Mine now")]),
                (format!("/segments/{target}"), vec![("name", "Renamed")]),
                (format!("/segments/{target}/delete"), vec![]),
                (
                    format!("/segments/{target}/tenants"),
                    vec![("slug", tenant.slug.as_str())],
                ),
                (
                    format!("/segments/{target}/tenants/remove"),
                    vec![("slug", tenant.slug.as_str())],
                ),
                (
                    format!("/segments/{target}/super-admins"),
                    vec![("user_id", sue_id.as_str()), ("assigned", "1")],
                ),
            ];
            for (path, fields) in &posts {
                assert_eq!(
                    staff.post(path, fields).await.status(),
                    StatusCode::FORBIDDEN,
                    "{email} POST {path}"
                );
            }
        }
    }
    assert_eq!(counts(&app).await, before, "nothing changed");
    let name: String = sqlx::query_scalar("select name from segments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Key accounts");
    assert!(
        !tenantry::tenancy::tenants::in_scope(&app.db, tenant.id, Some(sue_id.parse().unwrap()))
            .await
            .unwrap(),
        "Sue did not assign herself"
    );
}

#[tokio::test]
async fn bad_segment_input_gets_a_clear_message_and_stores_nothing() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("segbad", "pooled").await;
    app.create_staff("sam@example.test", "support").await;
    app.create_staff("dee@example.test", "super_admin").await;
    app.create_member("mia@example.test", tenant.id, "admin")
        .await;
    sqlx::query("update users set status = 'deactivated' where email = 'dee@example.test'")
        .execute(&app.db)
        .await
        .unwrap();
    app.login_as_new_owner("olga@example.test").await;
    let id = create_segment(&app, "EU customers").await;
    create_segment(&app, "US customers").await;
    let segment = format!("/segments/{id}");
    let before = counts(&app).await;

    let huge = "x".repeat(10 * 1024);
    let refusals: Vec<(&str, Fields, &str)> = vec![
        (
            "/segments",
            vec![("name", " eu CUSTOMERS ")],
            "already exists",
        ),
        ("/segments", vec![("name", &huge)], "1 to 60 characters"),
        ("/segments", vec![("name", "   ")], "1 to 60 characters"),
        (
            "/segments",
            vec![("name", "Tab\tname")],
            "1 to 60 characters",
        ),
        (
            "/segments",
            vec![("name", "Fine"), ("description", &huge)],
            "500 characters",
        ),
        (
            segment.as_str(),
            vec![("name", "us customers")],
            "already exists",
        ),
        (
            segment.as_str(),
            vec![("name", &huge)],
            "1 to 60 characters",
        ),
    ];
    for (path, fields, message) in &refusals {
        let r = app.post_form(path, fields).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {message}"
        );
        assert!(
            r.text().await.unwrap().contains(message),
            "{path} {message}"
        );
    }

    let tenants = format!("{segment}/tenants");
    for (slug, message) in [
        ("nope-nope", "No tenant has the slug “nope-nope”"),
        (huge.as_str(), "No tenant has the slug"),
        ("", "Enter the slug of the tenant to add."),
        ("' or 1=1 --", "No tenant has the slug"),
    ] {
        let r = app.post_form(&tenants, &[("slug", slug)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{message}");
        assert!(!body.contains(&huge), "a 10 kB paste is not echoed whole");
    }
    let removal = app
        .post_form(
            &format!("{segment}/tenants/remove"),
            &[("slug", &tenant.slug)],
        )
        .await;
    assert_eq!(removal.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        removal
            .text()
            .await
            .unwrap()
            .contains("is not in this segment")
    );

    let staff_path = format!("{segment}/super-admins");
    let ids = [
        user_id(&app, "sam@example.test").await.to_string(),
        user_id(&app, "dee@example.test").await.to_string(),
        user_id(&app, "mia@example.test").await.to_string(),
        user_id(&app, "olga@example.test").await.to_string(),
        uuid::Uuid::now_v7().to_string(),
        "not-a-uuid".to_owned(),
        huge.clone(),
    ];
    for user in &ids {
        let r = app
            .post_form(&staff_path, &[("user_id", user), ("assigned", "1")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("That person is not an active super admin."),
        );
    }
    assert_eq!(
        counts(&app).await,
        before,
        "nothing stored, nothing audited"
    );

    // Unknown or malformed segments are the same 404.
    for path in [
        format!("/segments/{}", uuid::Uuid::now_v7()),
        "/segments/not-a-uuid".to_owned(),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.post_form(&format!("{path}/tenants"), &[("slug", &tenant.slug)])
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }

    // A tenant is in a segment once; renaming keeps the case the owner typed.
    app.post_form(&tenants, &[("slug", &tenant.slug)]).await;
    let twice = app.post_form(&tenants, &[("slug", &tenant.slug)]).await;
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice
            .text()
            .await
            .unwrap()
            .contains("already in this segment")
    );
    let renamed = app
        .post_form(
            &segment,
            &[
                ("name", "EU Customers"),
                ("description", "Served from Frankfurt"),
            ],
        )
        .await;
    assert_redirect_to(&renamed, &segment);
    assert!(
        app.get("/segments")
            .await
            .text()
            .await
            .unwrap()
            .contains("Served from Frankfurt")
    );

    // Deleting the segment removes its links, not its tenant.
    let deleted = app.post_form(&format!("{segment}/delete"), &[]).await;
    assert_redirect_to(&deleted, "/segments");
    let (segments_left, links, _, _) = counts(&app).await;
    assert_eq!((segments_left, links), (1, 0));
    let status: String = sqlx::query_scalar("select status from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "active");
    let details: serde_json::Value =
        sqlx::query_scalar("select details from audit_events where action = 'segment.deleted'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(details["tenants"], serde_json::json!([tenant.slug]));
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "segment.updated"));
    assert_eq!(app.get(&segment).await.status(), StatusCode::NOT_FOUND);
}
