//! "Open console" in a real browser: the platform's form answers with a redirect to the
//! tenant's host, which the Content-Security-Policy must let through; staff land signed in
//! there, and every page of that session says who is looking.

use super::Browser;
use crate::helpers::*;

/// Opens `slug`'s console from its platform page, giving `reason`, and waits for the
/// tenant host's dashboard.
async fn open_console(browser: &Browser, slug: &str, reason: &str) {
    browser.goto(&format!("/tenants/{slug}")).await;
    browser.fill("#open-console #reason", reason).await;
    browser.click("#open-console button[type=submit]").await;
    browser
        .wait_for_text("#viewing-as", "You are viewing")
        .await;
}

#[tokio::test]
async fn an_owner_opens_a_tenant_console_and_lands_signed_in_there() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_owner("olga@example.test").await;
    let browser = Browser::start(&app).await;
    browser.sign_in("olga@example.test").await;

    open_console(&browser, &acme.slug, "Ticket 7: setting up the CRM").await;
    let url = browser.client().current_url().await.expect("url");
    assert_eq!(
        url.host_str(),
        Some(format!("{}.localhost", acme.slug).as_str())
    );
    assert_eq!(
        url.path(),
        "/",
        "the one-time token is not left in the address bar"
    );
    assert!(
        browser
            .text("#viewing-as")
            .await
            .contains("as Enterprise admin: changes are audited")
    );
    assert_eq!(browser.text("#whoami").await, "olga@example.test");

    // The banner follows the session from page to page.
    browser.click("nav a[href='/members']").await;
    browser.wait_for_text("h1", "Members").await;
    assert!(browser.has("#viewing-as").await);

    let reasons: Vec<String> = sqlx::query_scalar(
        "select details->>'reason' from audit_events where action = 'tenant.console_opened'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(reasons, ["Ticket 7: setting up the CRM"]);
}

#[tokio::test]
async fn support_opens_a_console_read_only() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_staff("sam@example.test", "support").await;
    let browser = Browser::start(&app).await;
    browser.sign_in("sam@example.test").await;

    open_console(&browser, &acme.slug, "Ticket 8: cannot find an invoice").await;
    assert!(
        browser
            .text("#viewing-as")
            .await
            .contains("as Support: read only")
    );
    browser.click("nav a[href='/settings']").await;
    browser.wait_for_text("h1", "Settings").await;
    assert!(browser.has("#viewing-as").await);
}
