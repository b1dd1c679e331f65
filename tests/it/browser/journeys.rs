//! What a person meets in the consoles beyond the happy path: every action answers on the
//! page, a refresh repeats nothing, refused input is kept, the brand colour shows at once,
//! and a phone-sized screen reaches every section without scrolling sideways. The
//! screenshots of the main pages land in `target/browser-screenshots/` for review.

use tenantry::control::audit::{Actor, Origin};
use tenantry::tenancy::modules::{self, Authority};

use super::Browser;
use crate::helpers::*;

/// Signs in through the tenant host's own form and waits for the dashboard.
async fn sign_in_on(browser: &Browser, slug: &str, email: &str) {
    browser
        .goto_url(&browser.url_on(&format!("{slug}.localhost"), "/"))
        .await;
    browser.find("form[action='/login']").await;
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", email).await;
}

async fn enable_crm(app: &TestApp, tenant: uuid::Uuid) {
    modules::enable(
        &app.tenancy,
        tenant,
        "crm",
        false,
        Authority::Platform,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("enable the CRM");
}

#[tokio::test]
async fn a_refused_module_action_names_its_reason() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;

    // Billing needs the CRM, which is off: the dialog asks to enable it too…
    browser.click("nav a[href='/modules']").await;
    browser.click("#module-billing button.btn-primary").await;
    let question = browser.accept_confirm().await;
    assert!(question.contains("needs CRM"), "{question}");
    // …and the refusal says why, on the page.
    let refusal = browser
        .wait_for_text("#toasts .flash-refusal", "billing details")
        .await;
    assert!(refusal.contains("Settings"), "{refusal}");
    assert!(!browser.text("#module-billing").await.contains("enabled"));

    // With the CRM on, nothing is asked about it any more; the refusal stays the same.
    browser.click("#module-crm button.btn-primary").await;
    browser
        .wait_for_text("#toasts .flash-success", "Enabled: CRM.")
        .await;
    browser.click("#module-billing button.btn-primary").await;
    browser
        .wait_for_text("#toasts .flash-refusal", "billing details")
        .await;
    assert!(!browser.has("#confirm-dialog[open]").await);

    // Dismissing a toast removes it.
    browser.click("#toasts .flash-refusal [data-dismiss]").await;
    assert!(!browser.has("#toasts .flash-refusal").await);
}

#[tokio::test]
async fn refreshing_after_creating_a_token_makes_no_second_token() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;

    browser
        .goto_url(&browser.url_on(&format!("{}.localhost", acme.slug), "/api-tokens"))
        .await;
    browser.fill("#token-name", "Reporting").await;
    browser.click("#token-form button[type=submit]").await;
    let token = browser.text("#new-token-value").await;
    assert!(token.len() > 20, "{token}");
    assert_eq!(
        browser.path().await,
        "/api-tokens",
        "redirected after the post"
    );

    browser.client().refresh().await.expect("refresh");
    browser.find("#token-form").await;
    assert!(!browser.has("#new-token-value").await, "shown only once");
    assert_eq!(app.count("select count(*) from api_tokens").await, 1);
}

#[tokio::test]
async fn signing_in_again_from_a_fragment_lands_on_the_full_page() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    enable_crm(&app, acme.id).await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;
    browser.click("nav a[href='/crm']").await;
    browser.fill("#name", "Wayne Enterprises").await;
    browser.click("#new-customer button[type=submit]").await;
    browser.wait_for_text("#customer-status", "lead").await;
    browser.click("nav a[href='/crm']").await;
    browser.find(".customer-row").await;

    // Signed out elsewhere (the session is gone), then "Edit" on a row.
    browser
        .client()
        .delete_all_cookies()
        .await
        .expect("cookies");
    browser.click(".customer-row button").await;
    browser.find("form[action='/login']").await;
    assert_eq!(browser.path().await, "/login?next=%2Fcrm");
    browser.fill("#email", "ada@acme.test").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", "ada@acme.test").await;
    assert_eq!(browser.path().await, "/crm");
    assert!(browser.has("#new-customer").await, "the whole page, styled");

    // A fragment's address opened as a page leads to the page it belongs to.
    let id: i64 = browser
        .script(
            "return +document.querySelector('.customer-row').id.replace('customer-', '')",
            vec![],
        )
        .await
        .as_i64()
        .expect("a row id");
    browser
        .goto_url(&browser.url_on(
            &format!("{}.localhost", acme.slug),
            &format!("/crm/{id}/edit"),
        ))
        .await;
    browser.wait_for_text("h1", "Wayne Enterprises").await;
    assert_eq!(browser.path().await, format!("/crm/{id}"));
}

#[tokio::test]
async fn the_customer_page_keeps_typed_input_on_error_and_answers_every_edit() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    enable_crm(&app, acme.id).await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;
    browser.click("nav a[href='/crm']").await;
    browser.fill("#name", "Wayne Enterprises").await;
    browser.click("#new-customer button[type=submit]").await;
    browser.wait_for_text("#customer-status", "lead").await;

    browser.fill("#contact-name", "Lucius Fox").await;
    browser.fill("#contact-email", "not an email").await;
    browser.fill("#contact-title", "CEO").await;
    browser.click("#contact-form button[type=submit]").await;
    let error = browser.text("#contact-form .field-error").await;
    assert!(error.contains("email"), "{error}");
    let kept = browser
        .script(
            "return ['#contact-name', '#contact-email', '#contact-title']
                 .map(s => document.querySelector(s).value)",
            vec![],
        )
        .await;
    assert_eq!(
        kept,
        serde_json::json!(["Lucius Fox", "not an email", "CEO"])
    );
    assert!(browser.has("nav").await, "the page, not a bare error");

    browser.click("#interaction-form button[type=submit]").await;
    let summary = browser.text("#interaction-form .field-error").await;
    assert!(summary.contains("5,000 characters"), "{summary}");
    browser.fill("#contact-name", "Lucius Fox").await;
    browser.fill("#contact-email", "lucius@wayne.test").await;
    browser.click("#contact-form button[type=submit]").await;
    browser
        .wait_for_text("#toasts .flash-success", "Contact Lucius Fox added.")
        .await;
    assert!(
        browser
            .text("#contacts")
            .await
            .contains("lucius@wayne.test")
    );

    // The contact is edited in place, then removed after the styled confirmation.
    browser.click("#contacts .contact summary").await;
    browser
        .fill(
            "#contacts .contact-edit input[name=title]",
            "Chief Executive",
        )
        .await;
    browser
        .click("#contacts .contact-edit button[type=submit]")
        .await;
    browser
        .wait_for_text("#toasts .flash-success", "Contact Lucius Fox saved.")
        .await;
    assert!(browser.text("#contacts").await.contains("Chief Executive"));
    browser.click("#contacts .contact summary").await;
    browser
        .click("#contacts form[hx-confirm] button[type=submit]")
        .await;
    let question = browser.accept_confirm().await;
    assert!(question.contains("Remove Lucius Fox"), "{question}");
    browser
        .wait_for_text("#toasts .flash-success", "Contact removed.")
        .await;
    browser.wait_for_text("#contacts", "No contacts yet.").await;

    // The customer's own details are edited on its page, with errors shown inline.
    browser.click("#edit-customer summary").await;
    browser.fill("#edit-email", "still not an email").await;
    browser.click("#edit-customer button[type=submit]").await;
    let error = browser.text("#edit-customer .field-error").await;
    assert!(error.contains("email"), "{error}");
    browser.fill("#edit-email", "hello@wayne.test").await;
    browser.fill("#edit-name", "Wayne Industries").await;
    browser.click("#edit-customer button[type=submit]").await;
    browser
        .wait_for_text("#toasts .flash-success", "Customer saved.")
        .await;
    browser.wait_for_text("h1", "Wayne Industries").await;
}

#[tokio::test]
async fn the_brand_colour_reaches_the_primary_button_right_after_saving() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;
    browser.click("nav a[href='/settings']").await;
    browser.fill("#name", "Acme Rockets").await;
    browser
        .script(
            "document.querySelector('#theme_color').value = '#ff0000'",
            vec![],
        )
        .await;
    browser
        .click("form[action='/settings'] button[type=submit]")
        .await;
    browser
        .wait_for_text("#toasts .flash-success", "Settings saved.")
        .await;
    let background = browser
        .script(
            "return getComputedStyle(document.querySelector('main .btn-primary')).backgroundColor",
            vec![],
        )
        .await;
    assert_eq!(background, "rgb(255, 0, 0)");
    assert_eq!(browser.text("#tenant-name").await, "Acme Rockets");
}

/// Opens every entry of the navigation at `width`, through the menu button on small
/// screens; no page may scroll sideways. Saves a screenshot of each.
async fn visit_every_section(browser: &Browser, width: u32, shot_prefix: &str) {
    browser.viewport(width, 900).await;
    let small = width < 768;
    let links = browser
        .script(
            "return [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href'))",
            vec![],
        )
        .await;
    let links: Vec<String> = serde_json::from_value(links).expect("hrefs");
    assert!(links.len() >= 4, "{links:?}");
    for href in links {
        if small {
            let link = browser.find(&format!("nav a[href='{href}']")).await;
            let shown = link.is_displayed().await.expect("visibility");
            assert!(!shown, "the menu starts closed at {width}px");
            browser.click("#menu-button").await;
        }
        browser.click(&format!("nav a[href='{href}']")).await;
        browser
            .poll(&format!("{href} to load"), async || {
                let path = browser.path().await;
                if path.split('?').next() == Some(href.as_str()) {
                    Ok(())
                } else {
                    Err(format!("at {path}"))
                }
            })
            .await;
        browser.find("h1").await;
        assert!(
            !browser.scrolls_sideways().await,
            "{href} scrolls sideways at {width}px"
        );
        let name = href.trim_matches('/').replace('/', "-");
        let name = if name.is_empty() { "dashboard" } else { &name };
        browser
            .screenshot(&format!("{shot_prefix}-{name}-{width}"))
            .await;
    }
}

#[tokio::test]
async fn every_section_is_reachable_on_a_phone_and_on_a_laptop() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_owner("olga@example.test").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    enable_crm(&app, acme.id).await;

    let staff = Browser::start(&app).await;
    staff.sign_in("olga@example.test").await;
    for width in [390, 1366] {
        staff.goto("/").await;
        visit_every_section(&staff, width, "platform").await;
    }

    let admin = Browser::start(&app).await;
    sign_in_on(&admin, &acme.slug, "ada@acme.test").await;
    for width in [390, 1366] {
        admin
            .goto_url(&admin.url_on(&format!("{}.localhost", acme.slug), "/"))
            .await;
        visit_every_section(&admin, width, "tenant").await;
    }
}

#[tokio::test]
async fn ticked_customers_are_deleted_after_a_confirmation() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    enable_crm(&app, acme.id).await;
    let browser = Browser::start(&app).await;
    sign_in_on(&browser, &acme.slug, "ada@acme.test").await;
    for name in ["Wayne", "Stark", "Oscorp"] {
        browser.click("nav a[href='/crm']").await;
        browser.fill("#name", name).await;
        browser.click("#new-customer button[type=submit]").await;
        browser.wait_for_text("#customer-status", "lead").await;
    }
    browser.click("nav a[href='/crm']").await;
    browser
        .wait_for_text("#customers-total", "3 customers")
        .await;
    browser
        .script(
            "document.querySelectorAll('.customer-row input[name=ids]')
                 .forEach((box, i) => { if (i < 2) box.click(); })",
            vec![],
        )
        .await;
    browser.click("#bulk-delete").await;
    let question = browser.accept_confirm().await;
    assert!(
        question.starts_with("Delete the ticked customers"),
        "{question}"
    );
    browser
        .wait_for_text("#toasts .flash-success", "2 customers deleted.")
        .await;
    browser
        .wait_for_text("#customers-total", "1 customer ")
        .await;
}
