//! Enabling and disabling modules: migrations run in the tenant's database, and every
//! refusal explains itself.

use sqlx::PgPool;
use tenantry::control::audit::{Actor, Origin};
use tenantry::tenancy::modules::{self, Authority, ModuleError};

use crate::helpers::*;

#[tokio::test]
async fn enabling_crm_creates_its_tables_owned_by_the_tenant() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("mods", "isolated").await;
    let enabled = modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        false,
        Authority::TenantAdmin,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap();
    assert_eq!(enabled, vec!["crm".to_owned()]);
    let db = PgPool::connect(&format!("{}/{}", server_base_url(), tenant.database_name))
        .await
        .unwrap();
    let owner: String =
        sqlx::query_scalar("select tableowner::text from pg_tables where tablename = 'customers'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(owner, tenant.role_name);
    db.close().await;
    let now = tenantry::tenancy::tenants::get(&app.db, tenant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.schema_version,
        tenantry::tenancy::migrate::target_version(&["crm".into()])
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"module.enabled".to_owned())
    );

    let again = modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        false,
        Authority::TenantAdmin,
        &Actor::cli(),
        &Origin::default(),
    )
    .await;
    assert!(matches!(again, Err(ModuleError::AlreadyEnabled(_))));
}

#[tokio::test]
async fn refusals_explain_themselves_and_change_nothing() {
    let app = spawn_app().await;
    let free = app
        .provisioned_tenant_on_plan("free", "pooled", "free")
        .await;
    let (cli, o) = (Actor::cli(), Origin::default());
    let err = |r: Result<Vec<String>, ModuleError>| r.unwrap_err().to_string();

    let unknown = err(modules::enable(
        &app.tenancy,
        free.id,
        "teleport",
        false,
        Authority::TenantAdmin,
        &cli,
        &o,
    )
    .await);
    assert!(unknown.contains("There is no module"), "{unknown}");
    let plan = err(modules::enable(
        &app.tenancy,
        free.id,
        "inventory",
        false,
        Authority::TenantAdmin,
        &cli,
        &o,
    )
    .await);
    assert!(plan.contains("not included in the free plan"), "{plan}");
    let dep = err(modules::enable(
        &app.tenancy,
        free.id,
        "tasks",
        false,
        Authority::Platform,
        &cli,
        &o,
    )
    .await);
    assert!(dep.contains("needs CRM enabled first"), "{dep}");
    let billing = err(modules::enable(
        &app.tenancy,
        free.id,
        "billing",
        true,
        Authority::Platform,
        &cli,
        &o,
    )
    .await);
    assert!(billing.contains("billing details"), "{billing}");
    assert!(
        app.tenancy
            .enabled_modules(free.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing enabled"
    );

    // The plan's module limit binds staff too (Free: 1 module)…
    let over = err(modules::enable(
        &app.tenancy,
        free.id,
        "tasks",
        true,
        Authority::Platform,
        &cli,
        &o,
    )
    .await);
    assert!(
        over.contains("The Free plan allows 1 module(s) at once"),
        "{over}"
    );
    // …Starter allows 2. With confirmation, the dependency comes along; staff may enable
    // modules outside the plan's list.
    sqlx::query("update tenants set plan_id = 'starter' where id = $1")
        .bind(free.id)
        .execute(&app.db)
        .await
        .unwrap();
    let both = modules::enable(
        &app.tenancy,
        free.id,
        "tasks",
        true,
        Authority::Platform,
        &cli,
        &o,
    )
    .await
    .unwrap();
    assert_eq!(both, vec!["crm".to_owned(), "tasks".to_owned()]);
    let needed = modules::disable(&app.tenancy, free.id, "crm", &cli, &o)
        .await
        .unwrap_err()
        .to_string();
    assert!(needed.contains("needed by Tasks"), "{needed}");
    modules::disable(&app.tenancy, free.id, "tasks", &cli, &o)
        .await
        .unwrap();
    assert_eq!(
        app.tenancy.enabled_modules(free.id).await.unwrap(),
        vec!["crm".to_owned()]
    );
}

#[tokio::test]
async fn a_tenant_behind_the_binary_is_migrated_before_its_pool_is_used() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("behind", "pooled").await;
    // CRM recorded as enabled, as if by an older binary, without its migrations.
    sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .unwrap();
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 0, "the CRM tables exist in the tenant's own schema");
    let user: String = sqlx::query_scalar("select current_user::text")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        user, tenant.role_name,
        "tenant queries run as the tenant's role, not the control plane's"
    );
    let now = tenantry::tenancy::tenants::get(&app.db, tenant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.schema_version,
        tenantry::tenancy::migrate::target_version(&["crm".into()])
    );
}

#[tokio::test]
async fn purging_module_data_needs_it_disabled_and_confirmed() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("purgemod", "pooled").await;
    let (cli, o) = (Actor::cli(), Origin::default());
    modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        false,
        Authority::Platform,
        &cli,
        &o,
    )
    .await
    .unwrap();
    let db = tenantry::modules::TenantDb::new(app.tenancy.pool(tenant.id).await.unwrap(), false);
    let input = tenantry::modules::crm::CustomerInput {
        name: "Kept".into(),
        status: "lead".into(),
        ..Default::default()
    };
    tenantry::modules::crm::create(&db, &input).await.unwrap();

    let enabled = modules::purge_data(&app.tenancy, tenant.id, "crm", "crm", &cli, &o)
        .await
        .unwrap_err();
    assert!(
        enabled.to_string().contains("Disable CRM before purging"),
        "{enabled}"
    );
    modules::disable(&app.tenancy, tenant.id, "crm", &cli, &o)
        .await
        .unwrap();
    let unconfirmed = modules::purge_data(&app.tenancy, tenant.id, "crm", "yes", &cli, &o)
        .await
        .unwrap_err();
    assert!(
        unconfirmed.to_string().contains("to confirm"),
        "{unconfirmed}"
    );
    let (rows, _) = tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 0, 20)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "refusals keep the data");

    modules::purge_data(&app.tenancy, tenant.id, "crm", "crm", &cli, &o)
        .await
        .unwrap();
    assert!(
        tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 0, 20)
            .await
            .is_err(),
        "the tables are gone"
    );
    modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        false,
        Authority::Platform,
        &cli,
        &o,
    )
    .await
    .unwrap();
    let (rows, _) = tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 0, 20)
        .await
        .unwrap();
    assert!(rows.is_empty(), "enabled again, it starts empty");
    assert!(
        app.audit_actions()
            .await
            .contains(&"module.data_purged".to_owned())
    );
}
