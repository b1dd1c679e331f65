//! Journey: a tenant admin enables Billing (which brings the CRM along) and Inventory,
//! adds a customer and a product, makes an invoice for the customer from the product,
//! issues it and opens the printable invoice.

use super::Browser;
use crate::helpers::*;

#[tokio::test]
async fn a_tenant_admin_invoices_a_customer_for_a_product_and_prints_it() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    sqlx::query(
        "insert into tenant_billing (tenant_id, company, address) values ($1, 'Acme SA', '1 Rue de la Paix')",
    )
    .bind(acme.id)
    .execute(&app.db)
    .await
    .expect("billing details");
    let host = format!("{}.localhost", acme.slug);
    let browser = Browser::start(&app).await;
    browser.goto_url(&browser.url_on(&host, "/")).await;
    browser.fill("#email", "ada@acme.test").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_text("#whoami", "ada@acme.test").await;

    // Billing needs the CRM: the dialog asks, and both are enabled.
    browser.click("nav a[href='/modules']").await;
    browser.click("#module-billing button.btn-primary").await;
    let question = browser.accept_confirm().await;
    assert!(question.contains("needs CRM"), "{question}");
    browser
        .wait_for_text("#toasts .flash-success", "Billing")
        .await;
    browser.click("#module-inventory button.btn-primary").await;
    browser
        .wait_for_text("#toasts .flash-success", "Inventory")
        .await;

    // A customer…
    browser.click("nav a[href='/crm']").await;
    browser.fill("#name", "Wayne Enterprises").await;
    browser.click("#new-customer button[type=submit]").await;
    browser.wait_for_text("#customer-status", "lead").await;
    let customer = browser.path().await.rsplit('/').next().unwrap().to_owned();

    // …a product…
    browser.click("nav a[href='/inventory']").await;
    browser.fill("#sku", "WID-1").await;
    browser.fill("#product-name", "Widget").await;
    browser.fill("#price", "19.99").await;
    browser.click("#new-product button[type=submit]").await;
    browser.wait_for_text("#product-price", "19.99").await;
    let product = browser.path().await.rsplit('/').next().unwrap().to_owned();

    // …an invoice for the customer, from the product.
    browser.click("nav a[href='/billing']").await;
    browser.select("#invoice-customer", &customer).await;
    browser.click("#new-invoice button[type=submit]").await;
    browser.wait_for_text("h1", "Draft #").await;
    browser.select("#line-product", &product).await;
    browser.fill("#line-quantity", "2").await;
    browser.click("#line-form button[type=submit]").await;
    browser.wait_for_text("#total", "39.98").await;
    assert!(browser.text("#lines").await.contains("WID-1 · Widget"));

    // Issued, it takes the year's first number.
    browser.click("#issue-form button[type=submit]").await;
    let question = browser.accept_confirm().await;
    assert!(question.starts_with("Issue this invoice?"), "{question}");
    browser.wait_for_text("#invoice-status", "issued").await;
    let number = browser.text("h1").await;
    assert!(
        number.starts_with("INV-") && number.ends_with("-0001"),
        "{number}"
    );
    assert!(
        !browser.has("#line-form").await,
        "an issued invoice has no line form"
    );

    // The printable invoice, in the tenant's name, with its billing details.
    browser.click("#print-link").await;
    browser.wait_for_text("#invoice-number", &number).await;
    assert_eq!(browser.text("#invoice-from").await, "acme Inc");
    assert!(browser.text("#printable-invoice").await.contains("Acme SA"));
    assert!(
        browser
            .text("#invoice-customer")
            .await
            .contains("Wayne Enterprises")
    );
    assert!(browser.text("#total").await.contains("39.98"));

    // The dashboard shows the month's invoicing.
    browser.goto_url(&browser.url_on(&host, "/")).await;
    browser.wait_for_text("#revenue", "39.98").await;
}
