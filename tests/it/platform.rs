//! The platform console shell: dashboard and audit log, and who may see them.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_dashboard_shows_real_figures() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    app.create_staff("sam@example.test", "support").await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("id=\"staff-count\">2<"));
    assert!(html.contains("reachable"));
    assert!(
        html.contains(&app.db_name),
        "names the control-plane database"
    );
    assert!(
        html.contains("MiB") || html.contains("KiB"),
        "shows its size"
    );
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn the_dashboard_starts_people_off_and_then_shows_their_fleet() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let empty = app.get("/").await.text().await.unwrap();
    assert!(
        empty.contains("Create your first tenant"),
        "a first-run call to action"
    );

    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    sqlx::query(
        "insert into provisioning_jobs (tenant_id, kind, status, last_error, finished_at)
         values ($1, 'purge', 'failed', 'could not drop schema: lock timeout', now())",
    )
    .bind(globex.id)
    .execute(&app.db)
    .await
    .unwrap();
    let html = app.get("/").await.text().await.unwrap();
    assert!(!html.contains("Create your first tenant"));
    assert!(html.contains("data-status=\"active\""), "counts by status");
    let newest = html.split("id=\"newest-tenants\"").nth(1).unwrap();
    assert!(newest.contains(&acme.slug) && newest.contains(&globex.slug));
    let failed = html.split("id=\"failed-jobs\"").nth(1).unwrap();
    assert!(
        failed.contains("could not drop schema: lock timeout"),
        "{failed:.500}"
    );

    // A super admin with no tenants sees none of the fleet.
    app.create_staff("sue@example.test", "super_admin").await;
    let sue = TestApp::client_signed_in(&app, "sue@example.test").await;
    let hers = sue
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !hers.contains(&acme.slug) && !hers.contains("lock timeout"),
        "{hers:.2000}"
    );
    assert!(hers.contains("No tenants yet"));
    assert!(
        !hers.contains("Create your first tenant"),
        "super admins do not create tenants"
    );
}

#[tokio::test]
async fn the_audit_log_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    // 60 failed attempts from another address would throttle; write events directly.
    for i in 0..60 {
        sqlx::query("insert into audit_events (actor_label, action, target) values ('system', 'test.event', $1)")
            .bind(format!("t{i:02}"))
            .execute(&app.db)
            .await
            .unwrap();
    }
    let html = app.get("/audit").await.text().await.unwrap();
    assert_eq!(
        html.matches("class=\"audit-row\"").count(),
        50,
        "first page"
    );
    assert!(
        html.find(">t59<").unwrap() < html.find(">t58<").unwrap(),
        "newest first"
    );
    assert!(html.contains("Load more"));

    let start = html.find("hx-get=\"/audit?").unwrap() + "hx-get=\"".len();
    let next = html[start..start + html[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    eprintln!("next page: {next}");
    let more = app
        .client
        .get(app.url(&next))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let partial = more.text().await.unwrap();
    assert!(!partial.contains("<html"), "htmx gets the rows alone");
    assert_eq!(
        partial.matches("class=\"audit-row\"").count(),
        12,
        "60 + owner creation + login = 62"
    );

    let filtered = app
        .get("/audit?action=auth.login")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.matches("class=\"audit-row\"").count(), 1);
    let by_actor = app.get("/audit?actor=ADA@").await.text().await.unwrap();
    assert_eq!(
        by_actor.matches("class=\"audit-row\"").count(),
        1,
        "actor filter is case-insensitive"
    );
    let literal = app.get("/audit?actor=%25").await.text().await.unwrap();
    assert!(
        literal.contains("No events match."),
        "% is a literal, not a wildcard"
    );
}

#[tokio::test]
async fn support_reads_the_whole_audit_log_and_super_admins_no_platform_events() {
    let app = spawn_app().await;
    app.create_staff("sam@example.test", "support").await;
    app.create_staff("sue@example.test", "super_admin").await;

    assert_redirect_to(&app.login("sam@example.test", PASSWORD).await, "/");
    let log = app.get("/audit").await;
    assert_eq!(log.status(), StatusCode::OK);
    assert!(log.text().await.unwrap().contains("sam@example.test"));
    app.post_form("/logout", &[]).await;

    // A super admin with no tenants: the log is open, but staff sign-ins (platform
    // events, tenant of none) are not theirs to read.
    assert_redirect_to(&app.login("sue@example.test", PASSWORD).await, "/");
    assert!(
        app.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("href=\"/audit\""),
        "the log is in the navigation"
    );
    let log = app.get("/audit").await;
    assert_eq!(log.status(), StatusCode::OK);
    let html = log.text().await.unwrap();
    assert!(html.contains("No events match."), "{html}");
    assert!(!html.contains("sam@example.test") && !html.contains("auth.login"));
}

#[tokio::test]
async fn a_bad_audit_cursor_is_a_clear_400() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    assert_eq!(
        app.get("/audit?before=abc").await.status(),
        StatusCode::BAD_REQUEST
    );
}
