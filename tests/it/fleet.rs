//! Fleet migrations when something goes wrong: a tenant whose migration fails is
//! quarantined (its requests get a clear 503, the drift view lists it, the rest of the
//! fleet goes on), `--canary N` stops the fleet when a canary fails, and a migration that
//! succeeds later releases it. And a provisioning step made to fail shows its error on
//! the tenant's page, and Retry finishes it.

use reqwest::StatusCode;
use sqlx::PgPool;
use tenantry::tenancy::fleet::{self, Options};
use tenantry::tenancy::tenants::{self, Tenant};

use crate::helpers::*;

/// A superuser pool on the tenant's (shared) database.
async fn superuser_on(tenant: &Tenant) -> PgPool {
    PgPool::connect(&format!("{}/{}", server_base_url(), tenant.database_name))
        .await
        .expect("connect")
}

fn options(canary: Option<usize>, tenant: Option<&str>) -> Options {
    Options {
        concurrency: 2,
        tenant: tenant.map(str::to_owned),
        canary,
        all: false,
    }
}

async fn versions(app: &TestApp, ids: &[uuid::Uuid]) -> Vec<i64> {
    let mut out = Vec::new();
    for id in ids {
        out.push(
            tenants::get(&app.db, *id)
                .await
                .unwrap()
                .unwrap()
                .schema_version,
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_migration_quarantines_its_tenant_the_canary_stops_and_drift_shows_it() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let a = app.provisioned_tenant("fleeta", "pooled").await;
    let b = app.provisioned_tenant("fleetb", "pooled").await;
    let c = app.provisioned_tenant("fleetc", "isolated").await;
    let target = a.schema_version;
    let ids = [a.id, b.id, c.id];

    // A's recorded migration no longer matches the binary's: migrating it fails.
    let shared = superuser_on(&a).await;
    let table = format!(
        "\"{}\".tenantry_migrations",
        a.schema_name.as_deref().unwrap()
    );
    let (version, checksum): (i64, Vec<u8>) = sqlx::query_as(&format!(
        "select version, checksum::bytea from {table} order by version desc limit 1"
    ))
    .fetch_one(&shared)
    .await
    .unwrap();
    sqlx::query(&format!(
        "update {table} set checksum = '\\x00' where version = $1"
    ))
    .bind(version)
    .execute(&shared)
    .await
    .unwrap();
    // The whole fleet is behind (A first, by creation).
    sqlx::query("update tenants set schema_version = 0 where id = any($1)")
        .bind(&ids[..])
        .execute(&app.db)
        .await
        .unwrap();

    // The canary is A: it fails, and nobody else is touched.
    let report = fleet::migrate(&app.tenancy, &options(Some(1), None), |_, _| {})
        .await
        .unwrap();
    assert!(report.canary_stopped);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, a.slug);
    assert!(report.migrated.is_empty());
    assert_eq!(versions(&app, &ids).await, vec![0, 0, 0]);

    // A is quarantined: a clear 503 on its host; B is served.
    let at_a = TenantClient::new(&app, &a.slug).get("/login").await;
    assert_eq!(at_a.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(at_a.headers().contains_key("retry-after"));
    assert!(
        at_a.text()
            .await
            .unwrap()
            .contains("unavailable while an upgrade")
    );
    let at_b = TenantClient::new(&app, &b.slug).get("/login").await;
    assert_eq!(at_b.status(), StatusCode::OK);

    // The drift view shows the fleet behind and A quarantined, with its error.
    let drift = app.get("/tenants").await.text().await.unwrap();
    assert!(drift.contains("0 · 3 tenants"), "{drift}");
    let quarantined = &drift[drift.find("fleet-quarantined").expect("a quarantine list")..];
    assert!(quarantined.contains(&a.slug));
    assert!(quarantined.contains("was changed after it was applied"));
    assert!(!quarantined.contains(&b.slug));

    // Without a canary the rest of the fleet goes on; A stays quarantined.
    let report = fleet::migrate(&app.tenancy, &options(None, None), |_, _| {})
        .await
        .unwrap();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.migrated.len(), 2);
    assert_eq!(versions(&app, &ids).await, vec![0, target, target]);
    let drift = app.get("/tenants").await.text().await.unwrap();
    assert!(drift.contains(&format!("{target} · 2 tenants")), "{drift}");
    assert!(drift.contains("0 · 1 tenant"), "{drift}");

    // Fixed, migrated alone: released and served again.
    sqlx::query(&format!(
        "update {table} set checksum = $2 where version = $1"
    ))
    .bind(version)
    .bind(&checksum)
    .execute(&shared)
    .await
    .unwrap();
    shared.close().await;
    let report = fleet::migrate(&app.tenancy, &options(None, Some(&a.slug)), |_, _| {})
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(versions(&app, &ids).await, vec![target, target, target]);
    let at_a = poll_until(async || {
        let r = TenantClient::new(&app, &a.slug).get("/login").await;
        (r.status() != StatusCode::SERVICE_UNAVAILABLE).then_some(r)
    })
    .await;
    assert_eq!(at_a.status(), StatusCode::OK);
    assert!(
        !app.get("/tenants")
            .await
            .text()
            .await
            .unwrap()
            .contains("fleet-quarantined")
    );
    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where tenant_id = $1 and action like 'tenant.%' and actor_label = 'system' order by id",
    )
    .bind(a.id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let quarantine: Vec<&String> = events
        .iter()
        .filter(|e| *e == "tenant.quarantined" || *e == "tenant.released")
        .collect();
    assert_eq!(quarantine, ["tenant.quarantined", "tenant.released"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_provisioning_step_shows_its_error_and_retry_finishes_it() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    // The shared database exists once a pooled tenant is there.
    let first = app.provisioned_tenant("provok", "pooled").await;
    let slug = unique_slug("stuck");
    let new = tenants::NewTenant {
        slug: &slug,
        name: "Stuck Ltd",
        plan: "pro",
        tier: Some("pooled"),
    };
    let tenant = tenants::create(
        &app.db,
        new,
        None,
        &tenantry::control::audit::Actor::cli(),
        &tenantry::control::audit::Origin::default(),
    )
    .await
    .unwrap();
    assert_eq!(tenant.database_name, first.database_name);
    // Its schema taken beforehand by someone else: the tenant's role cannot use it.
    let shared = superuser_on(&first).await;
    let schema = tenant.schema_name.clone().unwrap();
    sqlx::query(&format!("create schema \"{schema}\""))
        .execute(&shared)
        .await
        .unwrap();

    let stuck = app
        .tenancy
        .settle(tenant.id, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(stuck.status, "provisioning");
    let error = stuck.last_error.clone().unwrap_or_default();
    assert!(error.contains("Running migrations"), "{error}");
    // Without USAGE on the schema, PostgreSQL skips it in the search path.
    assert!(error.contains("no schema has been selected"), "{error}");
    let page = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("The last step failed"));
    assert!(page.contains("no schema has been selected"));
    assert!(page.contains("value=\"retry\""), "a Retry button");

    // The cause removed, Retry finishes the job.
    sqlx::query(&format!(
        "alter schema \"{schema}\" owner to \"{}\"",
        tenant.role_name
    ))
    .execute(&shared)
    .await
    .unwrap();
    shared.close().await;
    let r = app
        .post_form(&format!("/tenants/{slug}/actions"), &[("action", "retry")])
        .await;
    assert_redirect_to(&r, &format!("/tenants/{slug}"));
    let done = app
        .tenancy
        .settle(tenant.id, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done.status, "active", "{:?}", done.last_error);
    assert_eq!(done.last_error, None);
    let page = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("The last step failed"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"tenant.provisioning_retried".to_owned())
    );
}

/// `tenants create --server NAME` (and the New tenant form) pins the tenant to that
/// server; an unknown or draining server is refused with a clear reason, nothing created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_pins_a_server_and_refuses_an_unknown_or_draining_one() {
    let app = spawn_app().await;
    let create = |slug: &str, server: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .args(["tenants", "create", "--slug", slug, "--name", "Pinned"])
            .args(["--tier", "pooled", "--server", server])
            .args([
                "--database-url",
                &app.db_url,
                "--master-key",
                TEST_MASTER_KEY,
            ])
            .output()
            .expect("run tenantry");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let pinned = unique_slug("pin");
    let (ok, stdout, stderr) = create(&pinned, "primary");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("on server primary"), "{stdout}");

    let (ok, _, stderr) = create(&unique_slug("pin"), "nowhere");
    assert!(!ok);
    assert_eq!(
        stderr.trim().lines().last(),
        Some("error: --server: There is no database server “nowhere”."),
        "{stderr}"
    );
    // The same from the New tenant form: the refusal beside the field, nothing created.
    app.login_as_new_owner("owner@example.test").await;
    let form_slug = unique_slug("pin");
    let r = app
        .post_form(
            "/tenants",
            &[
                ("slug", &form_slug),
                ("name", "Pinned"),
                ("plan", "pro"),
                ("server", "nowhere"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("There is no database server “nowhere”.")
    );
    let form = app.get("/tenants/new").await.text().await.unwrap();
    assert!(
        form.contains("<option value=\"primary\""),
        "the servers are offered"
    );
    let r = app
        .post_form(
            "/tenants",
            &[
                ("slug", &form_slug),
                ("name", "Pinned"),
                ("plan", "pro"),
                ("server", "primary"),
            ],
        )
        .await;
    assert_redirect_to(&r, &format!("/tenants/{form_slug}"));
    let primary = tenantry::tenancy::servers::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.is_primary)
        .unwrap();
    tenantry::tenancy::servers::update(
        &app.db,
        primary.id,
        true,
        primary.capacity,
        &tenantry::control::audit::Actor::cli(),
        &tenantry::control::audit::Origin::default(),
    )
    .await
    .unwrap();
    let refused = unique_slug("pin");
    let (ok, _, stderr) = create(&refused, "primary");
    assert!(!ok);
    assert!(stderr.contains("is draining"), "{stderr}");
    assert!(
        tenants::find_by_slug(&app.db, &refused)
            .await
            .unwrap()
            .is_none()
    );
}

/// Tenants made before the bookkeeping table's columns were bounded keep theirs (`text`
/// and a `bytea` checksum): a later migration reads and records into it all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_the_earlier_bookkeeping_table_still_migrates() {
    let app = spawn_app().await;
    let old = app.provisioned_tenant("oldbook", "pooled").await;
    let shared = superuser_on(&old).await;
    let table = format!(
        "\"{}\".tenantry_migrations",
        old.schema_name.as_deref().unwrap()
    );
    sqlx::query(&format!(
        "alter table {table} alter module type text, alter description type text,
             alter checksum type bytea using checksum::bytea"
    ))
    .execute(&shared)
    .await
    .unwrap();
    sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
        .bind(old.id)
        .execute(&app.db)
        .await
        .unwrap();
    let report = fleet::migrate(&app.tenancy, &options(None, Some(&old.slug)), |_, _| {})
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let target = tenantry::tenancy::migrate::target_version(&["crm".into()]);
    assert_eq!(versions(&app, &[old.id]).await, vec![target]);
    let (kind, crm): (String, i64) = sqlx::query_as(&format!(
        "select pg_typeof(checksum)::text, count(*) filter (where module = 'crm') from {table} group by 1"
    ))
    .fetch_one(&shared)
    .await
    .unwrap();
    assert_eq!(kind, "bytea");
    assert!(crm > 0, "the CRM's migrations are recorded");
    // Migrating again finds nothing changed (the recorded checksums read back equal).
    let again = fleet::migrate(&app.tenancy, &options(None, Some(&old.slug)), |_, _| {})
        .await
        .unwrap();
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    shared.close().await;
}
