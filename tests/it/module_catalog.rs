//! Every module in the catalog keeps its promise: once enabled it has tables in the
//! tenant's database, owned by the tenant's role, on both tiers, and at least one page;
//! a tenant that had modules ticked before their tables existed gets them from fleet
//! migrations.

use reqwest::StatusCode;
use tenantry::tenancy::{migrate, modules};

use crate::helpers::*;
use crate::module_levels::*;

async fn owner_of(data: &sqlx::PgPool, table: &str) -> Option<String> {
    sqlx::query_scalar(
        "select tableowner::text from pg_tables where tablename = $1 and schemaname = current_schema()",
    )
    .bind(table)
    .fetch_optional(data)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_catalog_module_has_tables_and_a_page_once_enabled_on_both_tiers() {
    let app = spawn_app().await;
    let catalog = modules::catalog(&app.db).await.unwrap();
    let ids: Vec<&str> = catalog.iter().map(|m| m.id.as_str()).collect();
    for tier in ["isolated", "pooled"] {
        let (tenant, ada) = tenant_with(&app, "catalog", tier, &ids).await;
        let data = tenant_data(&tenant).await;
        for id in &ids {
            let tables = modules::MODULE_TABLES
                .iter()
                .find(|(m, _)| m == id)
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("{id} names the tables a purge drops"));
            assert!(!tables.is_empty(), "{id} has tables");
            assert!(
                migrate::MODULES.iter().any(|(m, _)| m == id),
                "{id} has migrations"
            );
            for table in tables {
                assert_eq!(
                    owner_of(&data, table).await.as_deref(),
                    Some(tenant.role_name.as_str()),
                    "{tier}: {id}'s table {table} exists, owned by the tenant"
                );
            }
            let page = ada.get(&format!("/{id}")).await;
            assert_eq!(page.status(), StatusCode::OK, "{tier}: /{id}");
            let html = body(page).await;
            assert!(
                html.contains(&format!("href=\"/{id}\"")),
                "{tier}: /{id} is in the navigation"
            );
        }
        data.close().await;
    }
}

#[tokio::test]
async fn modules_ticked_before_their_tables_existed_get_them_from_fleet_migrations() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("fleetmods", "pooled").await;
    // As tenants enabled modules when only the CRM had tables: rows, no migrations.
    for module in ["crm", "tasks", "inventory", "billing"] {
        sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, $2)")
            .bind(tenant.id)
            .bind(module)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let opts = tenantry::tenancy::fleet::Options {
        concurrency: 2,
        tenant: Some(tenant.slug.clone()),
        canary: None,
        all: false,
    };
    let report = tenantry::tenancy::fleet::migrate(&app.tenancy, &opts, |_, _| {})
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.migrated.len(), 1, "{report:?}");
    let data = tenant_data(&tenant).await;
    for table in [
        "customers",
        "tasks",
        "products",
        "stock_movements",
        "invoices",
    ] {
        assert_eq!(
            owner_of(&data, table).await.as_deref(),
            Some(tenant.role_name.as_str()),
            "{table}"
        );
    }
    data.close().await;
    let now = tenantry::tenancy::tenants::get(&app.db, tenant.id)
        .await
        .unwrap()
        .unwrap();
    let all: Vec<String> = ["crm", "tasks", "inventory", "billing"]
        .map(String::from)
        .to_vec();
    assert_eq!(now.schema_version, migrate::target_version(&all));
}

/// The token shown once after creating one on the API tokens page.
async fn new_token(admin: &TenantClient) -> String {
    let r = admin
        .post_from("/api-tokens", "/api-tokens", &[("name", "Reporting")])
        .await;
    assert_redirect_to(&r, "/api-tokens");
    let html = body(admin.get("/api-tokens").await).await;
    let marker = "id=\"new-token-value\">";
    let start = html.find(marker).expect("the new token is shown") + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_modules_read_only_api_answers_json() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "modapi", "pooled", &["tasks", "inventory"]).await;
    ada.post(
        "/tasks",
        &[
            ("title", "Call Bruce"),
            ("status", "doing"),
            ("priority", "high"),
        ],
    )
    .await;
    ada.post(
        "/inventory",
        &[
            ("sku", "WID"),
            ("name", "Widget"),
            ("price", "1.50"),
            ("active", "on"),
        ],
    )
    .await;
    let token = new_token(&ada).await;
    let host = format!("{}.localhost", tenant.slug);
    let client = client_for_hosts(app.addr, Default::default(), &[&host]);
    let get = async |path: &str| {
        let r = client
            .get(format!("http://{host}:{}{path}", app.addr.port()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let json: serde_json::Value = serde_json::from_str(&body(r).await).expect("JSON");
        (status, json)
    };
    let (status, tasks) = get("/api/v1/tasks?status=doing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["tasks"][0]["title"], "Call Bruce");
    let (_, products) = get("/api/v1/products").await;
    assert_eq!(products["products"][0]["unit_price_minor"], 150);
    assert_eq!(products["products"][0]["currency"], "USD");
    let (status, refused) = get("/api/v1/invoices").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "billing is not enabled: {refused}"
    );
    let (status, bad) = get("/api/v1/tasks?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}

#[tokio::test]
async fn disabling_keeps_module_data_purging_drops_it_and_enabling_again_starts_empty() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "purge", "pooled", &["billing", "inventory"]).await;
    ada.post(
        "/inventory",
        &[
            ("sku", "WID"),
            ("name", "Widget"),
            ("price", "1"),
            ("active", "on"),
        ],
    )
    .await;
    let data = tenant_data(&tenant).await;
    let products = async || -> Option<i64> {
        sqlx::query_scalar("select count(*) from products")
            .fetch_one(&data)
            .await
            .ok()
    };
    for module in ["billing", "inventory"] {
        assert_redirect_to(
            &ada.post(&format!("/modules/{module}/disable"), &[]).await,
            "/modules",
        );
        assert_eq!(
            ada.get(&format!("/{module}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(products().await, Some(1), "disabling keeps the data");
    // A purge needs the module's id typed.
    ada.post("/modules/inventory/purge", &[("confirm", "yes")])
        .await;
    assert_eq!(products().await, Some(1));
    for module in ["billing", "inventory"] {
        ada.post(&format!("/modules/{module}/purge"), &[("confirm", module)])
            .await;
    }
    assert_eq!(products().await, None, "purged");
    for module in ["billing", "inventory"] {
        assert_redirect_to(
            &ada.post(&format!("/modules/{module}/enable"), &[]).await,
            "/modules",
        );
        assert_eq!(
            ada.get(&format!("/{module}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(products().await, Some(0), "enabled again, empty");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"module.data_purged".to_owned()));
    data.close().await;
}

#[tokio::test]
async fn the_crm_is_not_purged_while_disabled_billing_keeps_invoices_that_point_at_it() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "dangling", "pooled", &["billing"]).await;
    for module in ["billing", "crm"] {
        assert_redirect_to(
            &ada.post(&format!("/modules/{module}/disable"), &[]).await,
            "/modules",
        );
    }
    let (cli, origin) = (
        tenantry::control::audit::Actor::cli(),
        tenantry::control::audit::Origin::default(),
    );
    let refused = modules::purge_data(&app.tenancy, tenant.id, "crm", "crm", &cli, &origin)
        .await
        .expect_err("refused");
    assert_eq!(
        refused.to_string(),
        "Billing still keeps data that refers to CRM's: purge Billing's data first."
    );
    let data = tenant_data(&tenant).await;
    let customers: Option<i64> = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&data)
        .await
        .ok();
    assert!(customers.is_some(), "nothing was dropped");
    modules::purge_data(&app.tenancy, tenant.id, "billing", "billing", &cli, &origin)
        .await
        .expect("billing first");
    modules::purge_data(&app.tenancy, tenant.id, "crm", "crm", &cli, &origin)
        .await
        .expect("then the CRM");
    data.close().await;
}
