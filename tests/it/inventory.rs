//! The Inventory module: products with SKUs unique per tenant and prices in minor units
//! of the tenant's currency, stock that is the sum of movements and never negative (also
//! under concurrent movements), the low-stock badge, locations at admin level.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::module_levels::*;

fn product<'a>(
    sku: &'a str,
    name: &'a str,
    price: &'a str,
    low: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("sku", sku),
        ("name", name),
        ("price", price),
        ("low_stock", low),
        ("active", "on"),
    ]
}

fn movement<'a>(location: &'a str, kind: &'a str, quantity: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("location", location),
        ("kind", kind),
        ("quantity", quantity),
        ("note", ""),
    ]
}

#[tokio::test]
async fn products_and_stock_movements_in_the_tenants_currency() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "inv", "isolated", &["inventory"]).await;
    let data = tenant_data(&tenant).await;
    let owner: String =
        sqlx::query_scalar("select tableowner::text from pg_tables where tablename = 'products'")
            .fetch_one(&data)
            .await
            .unwrap();
    assert_eq!(owner, tenant.role_name);
    sqlx::query("update tenant_settings set currency = 'EUR'")
        .execute(&data)
        .await
        .unwrap();

    let id = id_from(
        &ada.post("/inventory", &product("WID-1", "Widget", "1234.5", "5"))
            .await,
    );
    let price: i64 = sqlx::query_scalar("select unit_price from products where id = $1")
        .bind(id)
        .fetch_one(&data)
        .await
        .unwrap();
    assert_eq!(price, 123_450, "stored in cents");
    let page = body(ada.get(&format!("/inventory/{id}")).await).await;
    assert!(
        page.contains("1,234.50 EUR"),
        "shown in the tenant's currency"
    );

    let main: String =
        sqlx::query_scalar("select id::text from stock_locations where name = 'Main'")
            .fetch_one(&data)
            .await
            .unwrap();
    let path = format!("/inventory/{id}/movements");
    assert_redirect_to(
        &ada.post(&path, &movement(&main, "in", "10")).await,
        &format!("/inventory/{id}#movements"),
    );
    ada.post(&path, &movement(&main, "out", "4")).await;
    ada.post(&path, &movement(&main, "adjustment", "-1")).await;
    let page = body(ada.get(&format!("/inventory/{id}")).await).await;
    assert!(page.contains("id=\"on-hand\">5"), "10 - 4 - 1");
    assert!(page.contains("low stock"), "5 is at the threshold");
    let low = body(ada.get("/inventory?low=1").await).await;
    assert!(low.contains("WID-1"));

    // Taking out more than is there is refused, naming what is there.
    let r = ada.post(&path, &movement(&main, "out", "6")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(r).await.contains("Only 5 on hand at that location"));

    // Search, filter, htmx partial.
    id_from(
        &ada.post("/inventory", &product("GAD-2", "Gadget", "3", ""))
            .await,
    );
    let found = ada
        .client
        .get(format!("{}/inventory?q=gadg", ada.base))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let found = body(found).await;
    assert!(!found.contains("<html") && found.contains("GAD-2") && !found.contains("WID-1"));

    let actions = app.audit_actions().await;
    for a in ["inventory.product_created", "inventory.stock_moved"] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }
    data.close().await;
}

#[tokio::test]
async fn bad_inventory_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "invbad", "pooled", &["inventory"]).await;
    let id = id_from(
        &ada.post("/inventory", &product("SKU-1", "First", "1.00", ""))
            .await,
    );
    for (fields, message) in [
        (product("sku-1", "Dup", "1", ""), "That SKU is already used"),
        (
            product("", "No SKU", "1", ""),
            "Enter a SKU of 1 to 64 characters.",
        ),
        (product("A B", "Spaces", "1", ""), "Use letters, digits"),
        (
            product("NEG", "Negative", "-5", ""),
            "An amount cannot be negative.",
        ),
        (product("DEC", "Decimals", "1.999", ""), "Too many decimals"),
        (
            product("TXT", "Text", "ten", ""),
            "Enter an amount with digits",
        ),
        (
            product("LOW", "Low", "1", "-2"),
            "Enter a quantity above zero.",
        ),
    ] {
        let r = ada.post("/inventory", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(body(r).await.contains(message), "{message}");
    }
    let path = format!("/inventory/{id}/movements");
    for (fields, message) in [
        (movement("1", "in", "-3"), "Enter a quantity above zero."),
        (
            movement("1", "in", "0"),
            "Enter a quantity other than zero.",
        ),
        (movement("1", "in", "2.5"), "Enter a whole number."),
        (
            movement("1", "teleport", "1"),
            "Choose in, out or adjustment.",
        ),
        (movement("999", "in", "1"), "There is no such location."),
    ] {
        let r = ada.post(&path, &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(body(r).await.contains(message), "{message}");
    }
    assert_eq!(
        ada.post("/inventory/999999/movements", &movement("1", "in", "1"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list = body(ada.get("/inventory").await).await;
    assert_eq!(list.matches("class=\"product-row\"").count(), 1);
    assert!(
        body(ada.get(&format!("/inventory/{id}")).await)
            .await
            .contains("No movements yet.")
    );
    let _ = tenant;
}

#[tokio::test]
async fn concurrent_movements_never_take_stock_below_zero() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "invrace", "pooled", &["inventory"]).await;
    let id = id_from(
        &ada.post("/inventory", &product("RACE", "Raced", "1", ""))
            .await,
    );
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let db = tenantry::modules::TenantDb::new(pool, false);
    use tenantry::modules::inventory::{self, MovementError, MovementInput};
    let location = inventory::locations(&db).await.unwrap()[0].id.to_string();
    let take = |kind: &str, n: &str| {
        MovementInput {
            location: location.clone(),
            kind: kind.into(),
            quantity: n.into(),
            note: String::new(),
        }
        .check()
        .unwrap()
    };
    inventory::record_movement(&db, id, &take("in", "10"), "test")
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..25 {
        let (db, m) = (db.clone(), take("out", "1"));
        tasks.push(tokio::spawn(async move {
            inventory::record_movement(&db, id, &m, "racer").await
        }));
    }
    let (mut taken, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => taken += 1,
            Err(MovementError::WouldGoNegative { on_hand }) => {
                assert_eq!(on_hand, 0);
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((taken, refused), (10, 15));
    let (p, _) = inventory::get(&db, id).await.unwrap().unwrap();
    assert_eq!(p.on_hand, 0);
}

#[tokio::test]
async fn each_level_meets_inventory_as_the_guard_says() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "invlvl", "pooled", &["inventory"]).await;
    let id = id_from(
        &ada.post("/inventory", &product("LVL", "Levelled", "2", ""))
            .await,
    );
    let reader = member_with_levels(
        &app,
        &ada,
        &tenant,
        "rita@acme.test",
        "readers",
        &[("inventory", "read")],
    )
    .await;
    let writer = member_with_levels(
        &app,
        &ada,
        &tenant,
        "walt@acme.test",
        "writers",
        &[("inventory", "write")],
    )
    .await;
    let admin = member_with_levels(
        &app,
        &ada,
        &tenant,
        "adam@acme.test",
        "stock admins",
        &[("inventory", "admin")],
    )
    .await;

    let list = body(reader.get("/inventory").await).await;
    assert!(list.contains("LVL") && !list.contains("id=\"new-product\""));
    assert_eq!(
        reader
            .post("/inventory", &product("R", "R", "1", ""))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader
            .post(
                &format!("/inventory/{id}/movements"),
                &movement("1", "in", "1")
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    id_from(
        &writer
            .post("/inventory", &product("W", "Written", "1", ""))
            .await,
    );
    let locations = body(writer.get("/inventory/locations").await).await;
    assert!(locations.contains("Main") && !locations.contains("id=\"new-location\""));
    assert_eq!(
        writer
            .post("/inventory/locations", &[("name", "Backroom")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    assert_redirect_to(
        &admin
            .post("/inventory/locations", &[("name", "Backroom")])
            .await,
        "/inventory/locations",
    );
    let dup = admin
        .post("/inventory/locations", &[("name", "backroom")])
        .await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body(dup)
            .await
            .contains("already a location with that name")
    );
    assert!(
        body(admin.get("/inventory/locations").await)
            .await
            .contains("Backroom")
    );

    app.create_staff("sam@example.test", "support").await;
    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    assert!(body(sam.get("/inventory").await).await.contains("LVL"));
    assert_eq!(
        sam.post("/inventory", &product("S", "S", "1", ""))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let read_only = tenantry::modules::TenantDb::new(pool, true);
    let checked = tenantry::modules::inventory::ProductInput {
        sku: "SNEAK".into(),
        name: "Sneaky".into(),
        price: "1".into(),
        ..Default::default()
    }
    .check("USD")
    .unwrap();
    let refused = tenantry::modules::inventory::create(&read_only, &checked)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );
}
