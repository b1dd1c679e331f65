//! Findings from probing the product as an attacker would, each tested from the side
//! that must be refused.

use reqwest::StatusCode;
use tenantry::tenancy::lifecycle::Action;

use crate::helpers::*;

#[tokio::test]
async fn the_csrf_token_is_renewed_at_sign_in() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("csrfnew", "pooled").await;
    app.create_member("cy@csrf.test", tenant.id, "admin").await;
    let cy = TenantClient::new(&app, &tenant.slug);
    let before = cy.token("/login").await;
    assert_redirect_to(&cy.login("cy@csrf.test", PASSWORD).await, "/");
    let after = cy.token("/").await;
    assert_ne!(
        before, after,
        "a token read before sign-in must not survive it"
    );
    // The old token no longer passes; the new one does.
    let stale = cy
        .client
        .post(format!("{}/modules/crm/enable", cy.base))
        .form(&[("csrf_token", before.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    assert!(
        cy.post("/modules/crm/enable", &[])
            .await
            .status()
            .is_redirection()
    );
}

#[tokio::test]
async fn deleting_a_tenant_ends_its_sessions_for_good() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("endsess", "isolated").await;
    let other = app.provisioned_tenant("keepsess", "isolated").await;
    app.create_member("di@end.test", tenant.id, "admin").await;
    app.create_member("ko@keep.test", other.id, "admin").await;
    let di = TenantClient::signed_in(&app, &tenant.slug, "di@end.test").await;
    let ko = TenantClient::signed_in(&app, &other.slug, "ko@keep.test").await;
    assert_eq!(di.get("/").await.status(), StatusCode::OK);

    app.transition(tenant.id, Action::Delete, None)
        .await
        .expect("deleted");
    app.transition(tenant.id, Action::Restore, None)
        .await
        .expect("restored");
    // Restored, the tenant is served again, but the old session is gone: sign in anew.
    let response = di.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login")),
        "{response:?}"
    );
    // Another tenant's sessions are untouched.
    assert_eq!(ko.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_answer_on_the_admin_host_only_and_with_the_token_when_set() {
    let open = spawn_app().await;
    let tenant = open.provisioned_tenant("metr", "pooled").await;
    assert_eq!(open.get("/metrics").await.status(), StatusCode::OK);
    let on_tenant_host = TenantClient::new(&open, &tenant.slug).get("/metrics").await;
    assert_eq!(on_tenant_host.status(), StatusCode::NOT_FOUND);

    let guarded = spawn_app_with(&["--metrics-token", "scrape-secret-1234"]).await;
    assert_eq!(
        guarded.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let scrape = |token: &'static str| {
        guarded
            .client
            .get(guarded.url("/metrics"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        scrape("wrong-secret-12345")
            .await
            .expect("request")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let ok = scrape("scrape-secret-1234").await.expect("request");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.text()
            .await
            .expect("body")
            .contains("http_requests_total")
    );
}

#[tokio::test]
async fn a_tenants_members_page_shows_sign_ins_to_that_tenant_only() {
    let app = spawn_app().await;
    let here = app.provisioned_tenant("seenhere", "pooled").await;
    let there = app.provisioned_tenant("seenthere", "pooled").await;
    app.create_member("ad@seen.test", here.id, "admin").await;
    app.create_member("two@seen.test", here.id, "member").await;
    app.create_member("two@seen.test", there.id, "member").await;
    // Two signs in elsewhere only.
    TenantClient::signed_in(&app, &there.slug, "two@seen.test").await;
    let admin = TenantClient::signed_in(&app, &here.slug, "ad@seen.test").await;
    let page = admin.get("/members").await.text().await.expect("body");
    let row = page
        .split("<tr")
        .find(|row| row.contains("two@seen.test"))
        .expect("a row for two");
    assert!(
        row.contains("never"),
        "a sign-in elsewhere shows here: {row}"
    );
    let mine = page
        .split("<tr")
        .find(|row| row.contains("ad@seen.test"))
        .expect("a row for the admin");
    assert!(
        !mine.contains("never"),
        "the admin's own sign-in here shows"
    );
}

#[tokio::test]
async fn super_admins_count_only_the_tenants_they_reach() {
    let app = spawn_app().await;
    let mine = app.provisioned_tenant("countmine", "pooled").await;
    let other = app.provisioned_tenant("countother", "pooled").await;
    for tenant in [&mine, &other] {
        sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
            .bind(tenant.id)
            .execute(&app.db)
            .await
            .expect("crm on");
    }
    app.create_staff("sue@count.test", "super_admin").await;
    sqlx::query(
        "insert into staff_assignments (user_id, tenant_id)
         select id, $1 from users where email = 'sue@count.test'",
    )
    .bind(mine.id)
    .execute(&app.db)
    .await
    .expect("assigned");
    assert_redirect_to(&app.login("sue@count.test", PASSWORD).await, "/");
    let page = app.get("/modules").await.text().await.expect("body");
    let crm = page
        .split("<tr")
        .find(|row| row.contains(">crm<"))
        .expect("a crm row");
    assert!(
        crm.contains("<td class=\"table-cell\">1</td>"),
        "one tenant of hers uses the CRM, not the fleet's two: {crm}"
    );
}
