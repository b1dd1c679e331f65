//! Issue 5's journey: an owner creates a tenant naming its first admin; she follows the
//! emailed link (read from the outbox: no mail server here), sets a password, lands on
//! the tenant's dashboard with its checklist, invites a colleague, and the colleague
//! accepts in a browser of his own.

use super::Browser;
use super::tenants::Worker;
use crate::helpers::*;

/// Opens an invitation link in `browser` and accepts it as a new person.
async fn accept_as_new(browser: &Browser, link: &str, name: &str, email: &str) {
    browser.goto_url(link).await;
    browser.wait_for_text("#invite-summary", email).await;
    browser.fill("#name", name).await;
    browser.fill("#password", PASSWORD).await;
    browser.fill("#password_confirm", PASSWORD).await;
    browser
        .click("form[action='/invite'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", email).await;
    assert_eq!(
        browser.path().await,
        "/",
        "accepting lands on the dashboard"
    );
}

#[tokio::test]
async fn a_first_admin_joins_from_the_emailed_link_and_invites_a_colleague() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let worker = Worker::start(&app);
    let owner = Browser::start(&app).await;
    owner.sign_in("owner@example.test").await;

    // The owner creates acme and names its first admin.
    owner.goto("/tenants/new").await;
    let slug = unique_slug("acme");
    owner.fill("#slug", &slug).await;
    owner.fill("#name", "Acme Corp").await;
    owner.select("#tier", "pooled").await;
    owner.fill("#first_admin_email", "ada@acme.test").await;
    owner
        .click("form[action='/tenants'] button[type=submit]")
        .await;
    owner.wait_for_text("#tenant-status", "active").await;
    worker.stop().await;

    // Ada's link points at acme's own host.
    let link = mailed_link(&app.db, "ada@acme.test").await;
    assert!(
        link.starts_with(&owner.url_on(&format!("{slug}.localhost"), "/invite?token=")),
        "{link}"
    );
    let ada = Browser::start(&app).await;
    accept_as_new(&ada, &link, "Ada Lovelace", "ada@acme.test").await;
    assert!(ada.text("header").await.contains("· Admin"));
    assert_eq!(ada.text("#tenant-name").await, "Acme Corp");
    let checklist = ada.text("#onboarding-progress").await;
    assert!(checklist.starts_with("0 of "), "{checklist}");

    // She invites a colleague from the Members page.
    ada.click("nav a[href='/members']").await;
    ada.fill("#invite-email", "bob@acme.test").await;
    ada.select("#invite-role", "member").await;
    ada.click("#invite-form button[type=submit]").await;
    ada.wait_for_text("#toasts .flash-success", "Invitation sent")
        .await;
    ada.wait_for_text(".invitation-row[data-email='bob@acme.test']", "pending")
        .await;

    // Bob accepts in his own browser and is a member, signed in on acme's host.
    let bob = Browser::start(&app).await;
    let link = mailed_link(&app.db, "bob@acme.test").await;
    accept_as_new(&bob, &link, "Bob Builder", "bob@acme.test").await;
    assert!(bob.text("header").await.contains("· Member"));
    bob.click("nav a[href='/members']").await;
    bob.wait_for_text(".member-row[data-email='ada@acme.test']", "Admin")
        .await;
    assert!(!bob.has("#invite-form").await, "members do not invite");

    // Ada sees him among the members, and the invitation as accepted.
    ada.goto_url(&ada.url_on(&format!("{slug}.localhost"), "/members"))
        .await;
    ada.wait_for_text(".member-row[data-email='bob@acme.test']", "Member")
        .await;
    ada.wait_for_text(".invitation-row[data-email='bob@acme.test']", "accepted")
        .await;
    ada.click("nav a[href='/']").await;
    let invite_step = ada
        .find(".onboarding-step:has(a[href='/members'])")
        .await
        .attr("data-done")
        .await
        .expect("attribute");
    assert_eq!(
        invite_step.as_deref(),
        Some("true"),
        "inviting ticks its step"
    );
}
