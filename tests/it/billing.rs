//! The Billing module: invoices for CRM customers with product and free-text lines,
//! exact integer totals, gapless numbers under concurrent issuing, issued invoices
//! immutable (in the app and in the database), the printable page, the month's revenue,
//! settings at admin level, every level's side of the rules.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::module_levels::*;

async fn customer(client: &TenantClient, name: &str) -> String {
    id_from(
        &client
            .post(
                "/crm",
                &[("name", name), ("email", ""), ("status", "active")],
            )
            .await,
    )
    .to_string()
}

fn free_line<'a>(
    description: &'a str,
    price: &'a str,
    quantity: &'a str,
    tax: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("product", ""),
        ("description", description),
        ("unit_price", price),
        ("quantity", quantity),
        ("tax_rate", tax),
    ]
}

#[tokio::test]
async fn an_invoice_from_draft_to_paid_with_exact_totals_and_its_printable_page() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "bill", "isolated", &["billing", "inventory"]).await;
    let data = tenant_data(&tenant).await;
    let owner: String =
        sqlx::query_scalar("select tableowner::text from pg_tables where tablename = 'invoices'")
            .fetch_one(&data)
            .await
            .unwrap();
    assert_eq!(owner, tenant.role_name);
    sqlx::query("update tenant_settings set currency = 'EUR'")
        .execute(&data)
        .await
        .unwrap();
    assert_redirect_to(
        &ada.post(
            "/billing/settings/tax-rates",
            &[("name", "VAT"), ("rate", "20")],
        )
        .await,
        "/billing/settings",
    );
    let vat: String = sqlx::query_scalar("select id::text from tax_rates where name = 'VAT'")
        .fetch_one(&data)
        .await
        .unwrap();
    let product = id_from(
        &ada.post(
            "/inventory",
            &[
                ("sku", "WID"),
                ("name", "Widget"),
                ("price", "19.99"),
                ("low_stock", ""),
                ("active", "on"),
            ],
        )
        .await,
    )
    .to_string();

    let wayne = customer(&ada, "Wayne Enterprises").await;
    let id = id_from(&ada.post("/billing", &[("customer", &wayne)]).await);
    let lines = format!("/billing/{id}/lines");
    assert_redirect_to(
        &ada.post(
            &lines,
            &[
                ("product", &product),
                ("description", ""),
                ("unit_price", ""),
                ("quantity", "3"),
                ("tax_rate", &vat),
            ],
        )
        .await,
        &format!("/billing/{id}#lines"),
    );
    ada.post(&lines, &free_line("Setup fee", "0.10", "1", ""))
        .await;
    let page = body(ada.get(&format!("/billing/{id}")).await).await;
    // 3 × 19.99 = 59.97, VAT 11.994 → 11.99; + 0.10: 60.07 + 11.99 = 72.06.
    assert!(page.contains("WID · Widget"), "{page}");
    assert!(page.contains("id=\"subtotal\">60.07 EUR") && page.contains("id=\"tax\">11.99 EUR"));
    assert!(page.contains("id=\"total\">72.06 EUR"));
    let stored: (i64, i64, i64) =
        sqlx::query_as("select subtotal, tax, total from invoices where id = $1")
            .bind(id)
            .fetch_one(&data)
            .await
            .unwrap();
    assert_eq!(stored, (6007, 1199, 7206), "integer minor units");

    // Issue: the first number of the year.
    assert_redirect_to(
        &ada.post(&format!("/billing/{id}/issue"), &[]).await,
        &format!("/billing/{id}"),
    );
    let number: String = sqlx::query_scalar("select number from invoices where id = $1")
        .bind(id)
        .fetch_one(&data)
        .await
        .unwrap();
    let year: i32 = sqlx::query_scalar("select extract(year from now())::int")
        .fetch_one(&data)
        .await
        .unwrap();
    assert_eq!(number, format!("INV-{year}-0001"));

    // Issued is immutable: the app refuses, the database refuses too.
    ada.post(&lines, &free_line("Sneaked in", "1", "1", ""))
        .await;
    let page = body(ada.get(&format!("/billing/{id}")).await).await;
    assert!(page.contains("cannot be changed any more") && !page.contains("Sneaked in"));
    let refused = sqlx::query("update invoices set total = 1 where id = $1")
        .bind(id)
        .execute(&data)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("cannot be changed"),
        "{refused}"
    );
    let refused = sqlx::query("delete from invoice_lines where invoice_id = $1")
        .bind(id)
        .execute(&data)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not a draft"), "{refused}");

    // The printable page carries the tenant's branding and billing details.
    let print = body(ada.get(&format!("/billing/{id}/print")).await).await;
    assert!(print.contains(&number) && print.contains("Wayne Enterprises"));
    assert!(
        print.contains("brand.css") && print.contains("Acme SA") && print.contains("72.06 EUR")
    );

    // The month's revenue on the dashboard; paid, then nothing more.
    assert!(
        body(ada.get("/").await)
            .await
            .contains("id=\"revenue\">72.06 EUR")
    );
    assert_redirect_to(
        &ada.post(&format!("/billing/{id}/pay"), &[]).await,
        &format!("/billing/{id}"),
    );
    ada.post(&format!("/billing/{id}/void"), &[]).await;
    let page = body(ada.get(&format!("/billing/{id}")).await).await;
    assert!(page.contains("id=\"invoice-status\">paid") && page.contains("Only an issued invoice"));

    // Lists, search, status filter.
    let list = body(ada.get(&format!("/billing?q={number}&status=paid")).await).await;
    assert_eq!(list.matches("class=\"invoice-row\"").count(), 1);
    let actions = app.audit_actions().await;
    for a in [
        "billing.invoice_created",
        "billing.line_added",
        "billing.invoice_issued",
        "billing.invoice_paid",
        "billing.tax_rate_added",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }
    data.close().await;
}

#[tokio::test]
async fn concurrent_issuing_numbers_invoices_without_gaps() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "billrace", "pooled", &["billing"]).await;
    let wayne: i64 = customer(&ada, "Wayne").await.parse().unwrap();
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let db = tenantry::modules::TenantDb::new(pool, false);
    use tenantry::modules::billing::{self, CheckedLine, LineSource};
    let line = CheckedLine {
        source: LineSource::Text {
            description: "Work".into(),
            unit_price: 100,
        },
        quantity: 1,
        tax_rate: None,
    };
    let mut drafts = Vec::new();
    for _ in 0..12 {
        let id = billing::create_draft(&db, wayne).await.unwrap();
        billing::add_line(&db, id, &line).await.unwrap();
        drafts.push(id);
    }
    // One draft without lines: its issue fails and must not use up a number.
    let empty = billing::create_draft(&db, wayne).await.unwrap();
    drafts.insert(5, empty);
    let zones = tenantry::pg::timezones::names(&app.db).await.unwrap();
    let mut racers = Vec::new();
    for id in drafts {
        let db = db.clone();
        racers.push(tokio::spawn(
            async move { billing::issue(&db, id, zones).await },
        ));
    }
    let mut numbers = Vec::new();
    for r in racers {
        match r.await.unwrap() {
            Ok(n) => numbers.push(n),
            Err(billing::BillingError::NoLines) => {}
            Err(e) => panic!("{e}"),
        }
    }
    numbers.sort();
    let year = numbers[0][4..8].to_owned();
    let expected: Vec<String> = (1..=12).map(|n| format!("INV-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected, "consecutive, none skipped, none twice");
}

#[tokio::test]
async fn bad_billing_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "billbad", "pooled", &["billing", "inventory"]).await;
    let wayne = customer(&ada, "Wayne").await;
    let r = ada.post("/billing", &[("customer", "424242")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(r).await.contains("That customer does not exist."));
    let id = id_from(&ada.post("/billing", &[("customer", &wayne)]).await);
    let lines = format!("/billing/{id}/lines");
    let product_of_elsewhere = vec![
        ("product", "999999"),
        ("description", ""),
        ("unit_price", ""),
        ("quantity", "1"),
        ("tax_rate", ""),
    ];
    for (fields, message) in [
        (
            free_line("Negative", "-5", "1", ""),
            "An amount cannot be negative.",
        ),
        (
            free_line("Qty", "5", "-1", ""),
            "A quantity cannot be negative.",
        ),
        (free_line("Qty", "5", "1.5", ""), "Enter a whole quantity"),
        (
            free_line("", "5", "1", ""),
            "Describe the line in 1 to 500 characters.",
        ),
        (
            free_line("Tax", "5", "1", "77"),
            "That tax rate does not exist.",
        ),
        (product_of_elsewhere, "That product does not exist here"),
    ] {
        let r = ada.post(&lines, &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(body(r).await.contains(message), "{message}");
    }
    // Issuing an empty draft is refused with a reason.
    ada.post(&format!("/billing/{id}/issue"), &[]).await;
    let page = body(ada.get(&format!("/billing/{id}")).await).await;
    assert!(
        page.contains("Add at least one line before issuing.") && page.contains("No lines yet.")
    );
    for (fields, message) in [
        (vec![("name", "VAT"), ("rate", "-1")], "Enter a percentage"),
        (
            vec![("name", ""), ("rate", "20")],
            "Enter a name of 1 to 60",
        ),
    ] {
        let r = ada.post("/billing/settings/tax-rates", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(body(r).await.contains(message), "{message}");
    }
    let r = ada.post("/billing/settings", &[("prefix", "inv 2")]).await;
    assert!(body(r).await.contains("Use 1 to 10 capital letters"));
    let _ = tenant;
}

#[tokio::test]
async fn each_level_meets_billing_as_the_guard_says() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "billlvl", "pooled", &["billing"]).await;
    let wayne = customer(&ada, "Wayne").await;
    let id = id_from(&ada.post("/billing", &[("customer", &wayne)]).await);
    let reader = member_with_levels(
        &app,
        &ada,
        &tenant,
        "rita@acme.test",
        "readers",
        &[("crm", "read"), ("billing", "read")],
    )
    .await;
    let writer = member_with_levels(
        &app,
        &ada,
        &tenant,
        "walt@acme.test",
        "writers",
        &[("crm", "read"), ("billing", "write")],
    )
    .await;
    let admin = member_with_levels(
        &app,
        &ada,
        &tenant,
        "adam@acme.test",
        "billing admins",
        &[("crm", "read"), ("billing", "admin")],
    )
    .await;

    assert!(body(reader.get("/billing").await).await.contains("Draft #"));
    assert_eq!(
        reader
            .post("/billing", &[("customer", &wayne)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader
            .post(
                &format!("/billing/{id}/lines"),
                &free_line("x", "1", "1", "")
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert!(
        body(reader.get("/").await).await.contains("id=\"revenue\""),
        "readers see the revenue"
    );

    id_from(&writer.post("/billing", &[("customer", &wayne)]).await);
    assert_eq!(
        writer.get("/billing/settings").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        writer
            .post("/billing/settings", &[("prefix", "FAC")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    assert_redirect_to(
        &admin.post("/billing/settings", &[("prefix", "FAC")]).await,
        "/billing/settings",
    );
    writer
        .post(
            &format!("/billing/{id}/lines"),
            &free_line("Work", "10", "1", ""),
        )
        .await;
    writer.post(&format!("/billing/{id}/issue"), &[]).await;
    let page = body(writer.get(&format!("/billing/{id}")).await).await;
    assert!(page.contains("FAC-"), "the admin's prefix is used");

    app.create_staff("sam@example.test", "support").await;
    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    assert!(body(sam.get("/billing").await).await.contains("FAC-"));
    assert_eq!(
        sam.post("/billing", &[("customer", &wayne)]).await.status(),
        StatusCode::FORBIDDEN
    );
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let read_only = tenantry::modules::TenantDb::new(pool, true);
    let refused = tenantry::modules::billing::create_draft(&read_only, wayne.parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );
}

#[tokio::test]
async fn product_lines_need_inventory_open_to_the_person_not_only_enabled() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "billinv", "pooled", &["billing", "inventory"]).await;
    ada.post(
        "/inventory",
        &[
            ("sku", "WID"),
            ("name", "Secret widget"),
            ("price", "3"),
            ("active", "on"),
        ],
    )
    .await;
    let wayne = customer(&ada, "Wayne").await;
    let id = id_from(&ada.post("/billing", &[("customer", &wayne)]).await);
    let product: String = sqlx::query_scalar("select id::text from products where sku = 'WID'")
        .fetch_one(&tenant_data(&tenant).await)
        .await
        .expect("product");
    let billing_only = member_with_levels(
        &app,
        &ada,
        &tenant,
        "bo@acme.test",
        "billing only",
        &[("crm", "read"), ("billing", "write")],
    )
    .await;
    let page = body(billing_only.get(&format!("/billing/{id}")).await).await;
    assert!(
        !page.contains("Secret widget"),
        "no product list without Inventory"
    );
    let mut line = free_line("", "", "1", "");
    line[0] = ("product", &product);
    let refused = billing_only
        .post(&format!("/billing/{id}/lines"), &line)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body(refused)
            .await
            .contains("not enabled or not open to you")
    );
    // With Inventory readable, the same person picks the product.
    let both = member_with_levels(
        &app,
        &ada,
        &tenant,
        "both@acme.test",
        "billing and stock",
        &[("crm", "read"), ("billing", "write"), ("inventory", "read")],
    )
    .await;
    let page = body(both.get(&format!("/billing/{id}")).await).await;
    assert!(page.contains("Secret widget"));
}
