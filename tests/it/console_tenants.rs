//! The platform console's tenant pages, from the sides that succeed and that are refused.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

async fn create_via_form(app: &TestApp, slug: &str, tier: &str) -> reqwest::Response {
    app.post_form(
        "/tenants",
        &[
            ("slug", slug),
            ("name", "Acme Corp"),
            ("plan", "free"),
            ("tier", tier),
        ],
    )
    .await
}

async fn wait_active(app: &TestApp, slug: &str) {
    let tenant = tenantry::tenancy::tenants::find_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap();
    let settled = app
        .tenancy
        .settle(tenant.id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(settled.status, "active", "{:?}", settled.last_error);
}

#[tokio::test]
async fn an_owner_creates_a_tenant_and_watches_it_become_active() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let slug = unique_slug("acme");

    let check = app
        .get(&format!("/tenants/check-slug?slug={slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(check.contains("is available"), "{check}");
    let bad = app
        .get("/tenants/check-slug?slug=Acme!")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("lower-case letters"), "{bad}");

    let r = create_via_form(&app, &slug, "pooled").await;
    assert_redirect_to(&r, &format!("/tenants/{slug}"));
    let detail = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("Provisioning") && detail.contains(&slug));
    wait_active(&app, &slug).await;

    let progress = app
        .client
        .get(app.url(&format!("/tenants/{slug}/progress")))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(
        progress.headers().get("hx-refresh").unwrap(),
        "true",
        "a settled tenant stops the polling"
    );
    let detail = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("id=\"tenant-status\">active<"));
    assert!(
        detail.contains("value=\"suspend\""),
        "actions for an active tenant"
    );

    let taken = create_via_form(&app, &slug, "").await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("is already taken"));

    let list = app
        .get(&format!("/tenants?q={slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(list.matches("class=\"tenant-row\"").count(), 1);
    let none = app
        .get("/tenants?status=suspended")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("No tenants match."));
    let partial = app
        .client
        .get(app.url("/tenants?sort=-slug"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(
        !partial.text().await.unwrap().contains("<html"),
        "htmx gets the table alone"
    );
}

#[tokio::test]
async fn lifecycle_buttons_refuse_what_the_state_does_not_allow() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let slug = unique_slug("life");
    create_via_form(&app, &slug, "pooled").await;
    wait_active(&app, &slug).await;
    let path = format!("/tenants/{slug}/actions");

    let purge_active = app.post_form(&path, &[("action", "purge")]).await;
    assert_eq!(purge_active.status(), StatusCode::CONFLICT);
    assert!(
        purge_active
            .text()
            .await
            .unwrap()
            .contains("delete it before purging")
    );
    assert_redirect_to(
        &app.post_form(&path, &[("action", "delete")]).await,
        &format!("/tenants/{slug}"),
    );
    let early = app
        .post_form(&path, &[("action", "purge"), ("confirm", "wrong")])
        .await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert!(early.text().await.unwrap().contains("type the slug"));
    let unknown = app.post_form(&path, &[("action", "explode")]).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn support_reads_but_cannot_create_or_change_tenants() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let slug = unique_slug("ro");
    create_via_form(&app, &slug, "pooled").await;
    wait_active(&app, &slug).await;
    app.post_form("/logout", &[]).await;

    app.create_staff("sam@example.test", "support").await;
    assert_redirect_to(&app.login("sam@example.test", PASSWORD).await, "/");
    assert_eq!(
        app.get(&format!("/tenants/{slug}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/tenants/new").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        create_via_form(&app, &unique_slug("nope"), "")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let suspend = app
        .post_form(
            &format!("/tenants/{slug}/actions"),
            &[("action", "suspend")],
        )
        .await;
    assert_eq!(suspend.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/servers").await.status(), StatusCode::FORBIDDEN);
    let tenant = tenantry::tenancy::tenants::find_by_slug(&app.db, &slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.status, "active", "nothing changed");
}

#[tokio::test]
async fn super_admins_see_only_their_assigned_tenants() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let mine = unique_slug("mine");
    let other = unique_slug("other");
    for slug in [&mine, &other] {
        create_via_form(&app, slug, "pooled").await;
        wait_active(&app, slug).await;
    }
    app.post_form("/logout", &[]).await;
    app.create_staff("sue@example.test", "super_admin").await;
    sqlx::query(
        "insert into staff_assignments (user_id, tenant_id)
         select u.id, t.id from users u, tenants t where u.email = 'sue@example.test' and t.slug = $1",
    )
    .bind(&mine)
    .execute(&app.db)
    .await
    .unwrap();

    assert_redirect_to(&app.login("sue@example.test", PASSWORD).await, "/");
    let list = app.get("/tenants").await.text().await.unwrap();
    assert!(
        list.contains(&mine) && !list.contains(&other),
        "only the assigned tenant is listed"
    );
    assert_eq!(
        app.get(&format!("/tenants/{other}")).await.status(),
        StatusCode::NOT_FOUND,
        "the same 404 as an unknown slug"
    );
    let delete = app
        .post_form(&format!("/tenants/{mine}/actions"), &[("action", "delete")])
        .await;
    assert_eq!(
        delete.status(),
        StatusCode::FORBIDDEN,
        "super admins only suspend"
    );
    let suspend = app
        .post_form(
            &format!("/tenants/{mine}/actions"),
            &[("action", "suspend")],
        )
        .await;
    assert_redirect_to(&suspend, &format!("/tenants/{mine}"));
    let refused = app
        .post_form(
            &format!("/tenants/{other}/actions"),
            &[("action", "suspend")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_servers_page_shows_the_primary_and_refuses_a_dead_dsn() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let page = app.get("/servers").await.text().await.unwrap();
    assert!(
        page.contains("primary") && page.contains(">up<"),
        "the control plane's server is registered and healthy"
    );
    let r = app
        .post_form(
            "/servers",
            &[
                ("name", "ghost"),
                ("dsn", "postgres://x:y@127.0.0.1:1/postgres"),
                ("capacity", "10"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Could not connect"), "{html}");
    assert!(!html.contains("x:y@"), "the DSN is never echoed back");
    let bad = app
        .post_form(
            "/servers",
            &[("name", "ghost"), ("dsn", "not a url"), ("capacity", "ten")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let n: i64 = sqlx::query_scalar("select count(*) from db_servers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
