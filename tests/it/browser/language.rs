//! A member switches the tenant console to French from the language menu and stays on
//! the page they were on.

use super::Browser;
use crate::helpers::*;

#[tokio::test]
async fn a_member_reads_the_console_in_french_after_choosing_it() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    let browser = Browser::start(&app).await;

    let host = format!("{}.localhost", acme.slug);
    browser.goto_url(&browser.url_on(&host, "/")).await;
    browser.fill("#email", "ada@acme.test").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", "ada@acme.test").await;
    browser.click("nav a[href='/members']").await;
    browser.wait_for_text("nav", "Members").await;

    browser.select("#language", "fr").await;
    browser.click("#language-form button[type=submit]").await;
    browser.wait_for_text("body", "Langue enregistrée.").await;
    assert!(browser.text("nav").await.contains("Tableau de bord"));
    assert_eq!(
        browser.path().await,
        "/members",
        "back where the choice was made"
    );
    let lang = browser
        .script("return document.documentElement.lang", vec![])
        .await;
    assert_eq!(lang, "fr");
}
