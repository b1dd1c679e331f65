//! An owner moves acme to another plan from its platform page; acme's admin then sees the
//! new plan's limits on Usage, with its charts.

use super::Browser;
use crate::helpers::*;

#[tokio::test]
async fn an_owner_changes_acmes_plan_and_its_admin_sees_the_new_limits_and_a_chart() {
    let app = spawn_app().await;
    let acme = app
        .provisioned_tenant_on_plan("acme", "pooled", "free")
        .await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_owner("owner@example.test").await;
    let browser = Browser::start(&app).await;

    browser.sign_in("owner@example.test").await;
    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    browser.select("#tenant-plan", "pro").await;
    browser.click("#plan-form button[type=submit]").await;
    browser.wait_for_text("body", "Plan and name saved").await;

    let host = format!("{}.localhost", acme.slug);
    browser.goto_url(&browser.url_on(&host, "/")).await;
    browser.find("form[action='/login']").await;
    browser.fill("#email", "ada@acme.test").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", "ada@acme.test").await;
    browser.click("nav a[href='/usage']").await;
    browser.wait_for_text("#usage-plan", "Pro").await;
    // Pro: 50 users, 4 modules (Free had 3 and 1).
    assert_eq!(browser.text("#usage-users .usage-limit").await, "50");
    assert_eq!(browser.text("#usage-modules .usage-limit").await, "4");
    assert!(
        browser
            .has("#chart-day-page_requests svg rect.usage-bar")
            .await
    );
    assert!(browser.has("#chart-month-storage_bytes svg").await);
}

#[tokio::test]
async fn an_owner_applies_a_downgrade_over_use_after_confirming_and_the_excess_is_flagged() {
    let app = spawn_app().await;
    let acme = app
        .provisioned_tenant_on_plan("acme", "pooled", "pro")
        .await;
    for who in ["a", "b", "c", "d"] {
        app.create_member(&format!("{who}@acme.test"), acme.id, "member")
            .await;
    }
    app.create_owner("owner@example.test").await;
    let browser = Browser::start(&app).await;

    browser.sign_in("owner@example.test").await;
    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    browser.select("#tenant-plan", "free").await;
    browser.click("#plan-form button[type=submit]").await;
    // Refused, naming what is over, with the way to apply it anyway.
    browser
        .wait_for_text("#plan-error", "4 users and pending invitations, 3 allowed")
        .await;
    browser.click("#allow-over").await;
    browser.click("#plan-form button[type=submit]").await;
    browser.wait_for_text("body", "Plan and name saved").await;

    // The next alert check flags the excess on the tenant's platform page.
    tenantry::tenancy::alerts::check(&app.tenancy, &app.config)
        .await
        .expect("check");
    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    browser
        .wait_for_text("#alerts", "is over its limit of users (4 of 3)")
        .await;

    // Its usage, as its admins see it, from the platform page.
    browser.click("#tenant-usage-link").await;
    browser
        .wait_for_text("#usage-users .usage-limit", "3")
        .await;
    assert!(browser.has("#chart-day-page_requests svg").await);
    // The fleet's top tenants, ranked by users.
    browser.goto("/usage?by=users").await;
    browser.wait_for_text("#top-tenants", "acme").await;
}
