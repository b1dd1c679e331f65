//! A member switches the tenant console to French from the language menu and stays on
//! the page they were on; a French reader walks from the customers to a printed invoice
//! and reads French words and French amounts all the way.

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

#[tokio::test]
async fn a_french_reader_walks_from_a_customer_to_the_printed_invoice_in_french() {
    let app = spawn_app().await;
    let (tenant, admin) =
        crate::module_levels::tenant_with(&app, "fact", "pooled", &["inventory", "billing"]).await;
    let data = crate::module_levels::tenant_data(&tenant).await;
    sqlx::query("update tenant_settings set currency = 'EUR'")
        .execute(&data)
        .await
        .unwrap();
    // A customer with an issued invoice for two products at 1 234,50 €.
    let id = |r: &reqwest::Response| crate::module_levels::id_from(r).to_string();
    let customer = id(&admin
        .post(
            "/crm",
            &[("name", "Dupont SA"), ("email", ""), ("status", "active")],
        )
        .await);
    let product = id(&admin
        .post(
            "/inventory",
            &[
                ("sku", "GAD-1"),
                ("name", "Gadget"),
                ("price", "1234.50"),
                ("low_stock", ""),
                ("active", "on"),
            ],
        )
        .await);
    let invoice = id(&admin.post("/billing", &[("customer", &customer)]).await);
    admin
        .post(
            &format!("/billing/{invoice}/lines"),
            &[
                ("product", &product),
                ("description", ""),
                ("unit_price", ""),
                ("quantity", "2"),
                ("tax_rate", ""),
            ],
        )
        .await;
    admin.post(&format!("/billing/{invoice}/issue"), &[]).await;

    let browser = Browser::start(&app).await;
    let host = format!("{}.localhost", tenant.slug);
    browser.goto_url(&browser.url_on(&host, "/")).await;
    browser
        .fill("#email", &format!("admin@{}.test", tenant.slug))
        .await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", "admin@").await;
    browser.select("#language", "fr").await;
    browser.click("#language-form button[type=submit]").await;
    browser.wait_for_text("body", "Langue enregistrée.").await;

    // The customers: French headings, counts and statuses.
    browser.click("nav a[href='/crm']").await;
    browser.wait_for_text("h1", "Clients").await;
    assert!(
        browser
            .text("#customers-total")
            .await
            .starts_with("1 client")
    );
    assert!(browser.text("#customers").await.contains("actif"));
    assert!(browser.has("#new-customer").await);
    assert!(
        browser
            .text("#new-customer")
            .await
            .contains("Ajouter un client")
    );
    browser.click(&format!("a[href='/crm/{customer}']")).await;
    browser.wait_for_text("h1", "Dupont SA").await;
    assert!(browser.text("main").await.contains("Historique"));

    // The invoices, then the invoice: French words, French amounts.
    browser.click("nav a[href='/billing']").await;
    browser.wait_for_text("h1", "Factures").await;
    let row = spaced(&browser.text(&format!("#invoice-{invoice}")).await);
    assert!(
        row.contains("émise") && row.contains("2 469,00 EUR"),
        "{row}"
    );
    browser.click(&format!("#invoice-{invoice} a")).await;
    browser
        .wait_for_text("#print-link", "Facture imprimable")
        .await;
    assert_eq!(browser.text("#invoice-status").await, "émise");
    // (Table headings are set in capitals by the stylesheet.)
    assert!(
        browser
            .text("#lines")
            .await
            .to_lowercase()
            .contains("prix unitaire")
    );
    assert!(spaced(&browser.text("#lines").await).contains("1 234,50 EUR"));
    assert_eq!(spaced(&browser.text("#total").await), "2 469,00 EUR");

    // The printable invoice speaks French too.
    browser.click("#print-link").await;
    browser
        .wait_for_text("#printable-invoice", "Facturé à")
        .await;
    assert!(
        browser
            .text("#printable-invoice")
            .await
            .contains("Émise le")
    );
    assert_eq!(spaced(&browser.text("#total").await), "2 469,00 EUR");
    let lang = browser
        .script("return document.documentElement.lang", vec![])
        .await;
    assert_eq!(lang, "fr");
}

/// French groups digits with a narrow no-break space; the browser may hand it back as
/// one or as a plain space.
fn spaced(text: &str) -> String {
    text.replace(['\u{202f}', '\u{a0}'], " ")
}

#[tokio::test]
async fn a_staff_member_chooses_french_and_reads_a_tenants_page_in_french() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_owner("olga@example.test").await;
    let browser = Browser::start(&app).await;
    browser.sign_in("olga@example.test").await;

    browser.select("#language", "fr").await;
    browser.click("#language-form button[type=submit]").await;
    browser.wait_for_text("body", "Langue enregistrée.").await;
    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    browser.wait_for_text("#tenant-actions", "Suspendre").await;
    for words in [
        "Ouvrir la console",
        "Offre et nom",
        "Sauvegardes",
        "Domaines personnalisés",
    ] {
        assert!(browser.text("main").await.contains(words), "{words}");
    }
    assert!(browser.text("#tenant-status").await.contains("actif"));
    let lang = browser
        .script("return document.documentElement.lang", vec![])
        .await;
    assert_eq!(lang, "fr");
}
