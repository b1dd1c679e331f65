//! Journeys (b) and (c): a tenant admin signs in on the tenant's own host, enables the
//! CRM, adds a customer and finds it by search; that session is worth nothing on another
//! tenant's host.

use super::Browser;
use crate::helpers::*;

/// Signs in through the tenant host's own form.
async fn sign_in_on(browser: &Browser, host: &str, email: &str) {
    browser.goto_url(&browser.url_on(host, "/")).await;
    browser.find("form[action='/login']").await;
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", email).await;
}

#[tokio::test]
async fn a_tenant_admin_enables_crm_adds_a_customer_and_finds_it() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let acme_host = format!("{}.localhost", acme.slug);
    let browser = Browser::start(&app).await;

    sign_in_on(&browser, &acme_host, "ada@acme.test").await;
    assert_eq!(browser.text("#tenant-name").await, "acme Inc");

    // Modules → enable CRM (an htmx post carrying the CSRF header).
    browser.click("nav a[href='/modules']").await;
    browser.click("#module-crm button[type=submit]").await;
    browser.wait_for_text("#module-crm", "enabled").await;

    // Customers → add one.
    browser.click("nav a[href='/crm']").await;
    browser.fill("#name", "Wayne Enterprises").await;
    browser.fill("#email", "bruce@wayne.test").await;
    browser.click("#new-customer button[type=submit]").await;
    browser.wait_for_text("#customer-status", "lead").await;
    browser.click("nav a[href='/crm']").await;
    browser.fill("#name", "Stark Industries").await;
    browser.click("#new-customer button[type=submit]").await;
    browser.wait_for_text("#customer-status", "lead").await;

    // Find it by search: htmx replaces the table as the query is typed.
    browser.click("nav a[href='/crm']").await;
    browser
        .wait_for_text("#customers-total", "2 customers")
        .await;
    browser.fill("#q", "wayne").await;
    browser
        .wait_for_text("#customers-total", "1 customer ")
        .await;
    assert!(
        browser
            .text("#customers")
            .await
            .contains("Wayne Enterprises")
    );
    assert!(
        browser.path().await.starts_with("/crm?"),
        "the search is in the address bar"
    );

    // (c) The same browser on globex's host: acme's session does not count there.
    browser
        .goto_url(&browser.url_on(&format!("{}.localhost", globex.slug), "/"))
        .await;
    browser.wait_for_text("h1", "Sign in to globex Inc").await;
    assert!(browser.path().await.starts_with("/login"));
}
