//! Moves with real `pg_dump`/`pg_restore`: pooled → isolated keeps every row and the
//! signed-in user, even when the worker dies after each step; isolated → another server →
//! pooled → back by draining; the old copy is kept read-only and then dropped; moves to a
//! drained, unreachable or same place are refused before anything is queued.
//!
//! No worker runs inside the test app, so a test runs the jobs itself and can "kill" the
//! worker between two steps exactly where it wants (the worker's test hook).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::moves::{self, MoveError, jobs::MOVE_STEPS};
use tenantry::tenancy::tenants::{self, Tenant};
use tenantry::tenancy::worker::{self, JobOutcome};

use crate::helpers::*;
use crate::platform_api::{Api, cli_token};

/// A superuser connection to the tenant's database on the server at `base`, acting as
/// the tenant's role in its own schema: what the test writes is the tenant's own data.
async fn as_tenant(base: &str, tenant: &Tenant) -> PgPool {
    let role = tenant.role_name.clone();
    let path = tenant
        .schema_name
        .clone()
        .unwrap_or_else(|| "public".into());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let sql = format!("set role \"{role}\"; set search_path = \"{path}\"");
            Box::pin(async move {
                sqlx::Executor::execute(conn, sql.as_str()).await?;
                Ok(())
            })
        })
        .connect(&format!("{base}/{}", tenant.database_name))
        .await
        .expect("connect as the tenant")
}

async fn write_rows(base: &str, tenant: &Tenant) {
    let pool = as_tenant(base, tenant).await;
    sqlx::raw_sql(
        "create table ledger (id bigserial primary key, label text, meta jsonb, blob bytea);
         insert into ledger (label, meta, blob)
         select 'row ' || g || E' it''s\\nline', jsonb_build_object('g', g), decode(md5(g::text), 'hex')
         from generate_series(1, 300) g;
         insert into ledger (label) values (null);
         update tenant_settings set name = 'Before the move';",
    )
    .execute(&pool)
    .await
    .expect("write rows");
    pool.close().await;
}

/// The tenant's rows as text, in order, its settings and its sequence's position.
async fn snapshot(base: &str, tenant: &Tenant) -> (Vec<String>, String) {
    let pool = as_tenant(base, tenant).await;
    let rows: Vec<String> = sqlx::query_scalar("select l::text from ledger l order by id")
        .fetch_all(&pool)
        .await
        .expect("rows");
    let settings: String = sqlx::query_scalar("select name from tenant_settings")
        .fetch_one(&pool)
        .await
        .expect("settings");
    let seq: i64 = sqlx::query_scalar("select last_value from ledger_id_seq")
        .fetch_one(&pool)
        .await
        .expect("sequence");
    pool.close().await;
    (rows, format!("{settings}; seq {seq}"))
}

async fn fresh(app: &TestApp, id: uuid::Uuid) -> Tenant {
    tenants::get(&app.db, id)
        .await
        .expect("lookup")
        .expect("tenant")
}

/// Runs queued jobs until none is left, asserting none was interrupted or failed.
async fn run_jobs(app: &TestApp) {
    while let Some(outcome) = worker::run_next(&app.tenancy, None).await.expect("worker") {
        assert!(
            matches!(outcome, JobOutcome::Done { .. }),
            "{outcome:?}: {:?}",
            sqlx::query_scalar::<_, Option<String>>(
                "select last_error from provisioning_jobs order by id desc limit 1"
            )
            .fetch_one(&app.db)
            .await
        );
    }
}

/// Makes the old copies due, as if the grace period had passed, and sweeps them.
async fn end_grace(app: &TestApp) -> usize {
    sqlx::query("update tenant_old_copies set drop_after = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    moves::sweep_old_copies(&app.tenancy).await.expect("sweep")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_to_isolated_keeps_every_row_and_the_signed_in_user_even_when_the_worker_dies_after_each_step()
 {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@moves.test").await;
    let tenant = app.provisioned_tenant("mvp", "pooled").await;
    let base = server_base_url();
    app.create_member("ada@moves.test", tenant.id, "admin")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@moves.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    let added = ada
        .post(
            "/crm",
            &[
                ("name", "Wayne Enterprises"),
                ("email", ""),
                ("phone", ""),
                ("status", "lead"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    write_rows(&base, &tenant).await;
    let before = snapshot(&base, &tenant).await;

    // The owner asks from the tenant's page: POST, then redirect to the page.
    let slug = tenant.slug.clone();
    let asked = app
        .post_form(
            &format!("/tenants/{slug}/move"),
            &[("to", "primary"), ("tier", "isolated")],
        )
        .await;
    assert_redirect_to(&asked, &format!("/tenants/{slug}#move"));
    let page = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Checking the target server"), "{page}");
    // A second move, a backup or a reactivation meanwhile is refused.
    let again = moves::request_move(
        &app.tenancy,
        &tenant,
        None,
        Some("isolated"),
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(again.to_string().contains("already in progress"), "{again}");

    // The worker dies after each step in turn: the tenant is never half-moved.
    for step in 0..=MOVE_STEPS.len() {
        let outcome = worker::run_next(&app.tenancy, Some(step)).await.unwrap();
        assert_eq!(
            outcome,
            Some(JobOutcome::Interrupted {
                tenant_id: tenant.id
            }),
            "step {step}"
        );
        let now = fresh(&app, tenant.id).await;
        assert_eq!(now.tier, "pooled", "step {step}");
        assert_eq!(now.schema_name, tenant.schema_name, "step {step}");
        assert_eq!(snapshot(&base, &now).await, before, "step {step}");
    }
    run_jobs(&app).await;

    let moved = fresh(&app, tenant.id).await;
    assert_eq!(moved.status, "active", "{:?}", moved.last_error);
    assert_eq!(moved.tier, "isolated");
    assert_eq!(moved.schema_name, None);
    assert_eq!(moved.server_name, "primary");
    assert_eq!(snapshot(&base, &moved).await, before, "every row kept");
    // The same session, the same data, from the new place.
    poll_until(async || {
        let crm = ada.get("/crm").await;
        (crm.status() == StatusCode::OK && crm.text().await.unwrap().contains("Wayne Enterprises"))
            .then_some(())
    })
    .await;
    let page = app
        .get(&format!("/tenants/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"move-window\""), "{page}");
    assert!(page.contains("Old copy kept"), "{page}");

    // The old copy is kept, read-only, until the grace period ends.
    let old = as_tenant(&base, &tenant).await;
    let write = sqlx::query("insert into ledger (label) values ('late')")
        .execute(&old)
        .await
        .unwrap_err();
    assert!(write.to_string().contains("permission denied"), "{write}");
    old.close().await;
    assert_eq!(end_grace(&app).await, 1);
    let shared = PgPool::connect(&format!("{base}/{}", tenant.database_name))
        .await
        .unwrap();
    let left: bool =
        sqlx::query_scalar("select exists(select 1 from pg_namespace where nspname = $1)")
            .bind(tenant.schema_name.as_deref())
            .fetch_one(&shared)
            .await
            .unwrap();
    shared.close().await;
    assert!(!left, "the old schema is dropped after the grace period");
    assert_eq!(snapshot(&base, &moved).await, before);

    let actions = app.audit_actions().await;
    for action in [
        "tenant.move_requested",
        "tenant.moved",
        "tenant.old_copy_dropped",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let window: Option<i64> = sqlx::query_scalar(
        "select (details ->> 'suspended_ms')::bigint from audit_events where action = 'tenant.moved'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(window.is_some_and(|ms| ms >= 0), "{window:?}");
}

fn tenantry() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

/// `tenantry tenants move --slug … ARGS` on the app's control plane.
fn cli_move(app: &TestApp, slug: &str, args: &[&str]) -> std::process::Output {
    tenantry()
        .args(["tenants", "move", "--slug", slug])
        .args(args)
        .args([
            "--database-url",
            &app.db_url,
            "--master-key",
            TEST_MASTER_KEY,
        ])
        .output()
        .expect("run tenantry")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_moves_to_another_server_and_tier_and_back_by_draining_and_bad_targets_are_refused()
 {
    let app = spawn_app().await;
    let t = &app.tenancy;
    let data = tempfile::tempdir_in("/tmp").unwrap();
    let second = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: vec![("fsync".into(), "off".into())],
    })
    .await
    .unwrap();
    let second_base = second
        .url("postgres")
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap();
    let registered = tenantry::tenancy::servers::register(
        &t.db,
        &t.key,
        "second",
        &tenantry::secret::Secret::new(second.url("postgres")),
        10,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap();
    let base = server_base_url();
    let tenant = app.provisioned_tenant("mvx", "isolated").await;
    write_rows(&base, &tenant).await;
    let before = snapshot(&base, &tenant).await;

    // Where it already is: nothing to move, nothing queued.
    let same = moves::request_move(
        t,
        &tenant,
        Some("primary"),
        None,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(same.to_string().contains("nothing to move"), "{same}");

    // To the second server, from the shell: it waits and says where the tenant is now.
    let out = cli_move(&app, &tenant.slug, &["--to", "second"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("on second"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let moved = fresh(&app, tenant.id).await;
    assert_eq!(moved.server_name, "second");
    assert_eq!(moved.tier, "isolated");
    assert_eq!(snapshot(&second_base, &moved).await, before);

    // Into the pooled tier on that server.
    moves::request_move(
        t,
        &moved,
        None,
        Some("pooled"),
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("queued");
    run_jobs(&app).await;
    let pooled = fresh(&app, tenant.id).await;
    assert_eq!(pooled.status, "active", "{:?}", pooled.last_error);
    assert_eq!(
        (pooled.server_name.as_str(), pooled.tier.as_str()),
        ("second", "pooled")
    );
    assert_eq!(snapshot(&second_base, &pooled).await, before);
    t.pool(pooled.id)
        .await
        .expect("servable from its new place");

    // Draining the second server moves it back to the primary, in its tier.
    let drained = moves::drain(t, "second", &Actor::cli(), &Origin::default())
        .await
        .expect("drain");
    assert_eq!(drained.queued.len(), 1, "{:?}", drained.refused);
    run_jobs(&app).await;
    let back = fresh(&app, tenant.id).await;
    assert_eq!(back.status, "active", "{:?}", back.last_error);
    assert_eq!(
        (back.server_name.as_str(), back.tier.as_str()),
        ("primary", "pooled")
    );
    assert_eq!(snapshot(&base, &back).await, before);

    // A drained server is refused, with its reason, before anything is queued.
    let jobs = app
        .count("select count(*) from provisioning_jobs where kind = 'move'")
        .await;
    let refused = moves::request_move(
        t,
        &back,
        Some("second"),
        None,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, MoveError::ServerDraining(_)), "{refused}");
    let out = cli_move(&app, &back.slug, &["--to", "second"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("is draining"), "{stderr}");
    app.create_owner("owner@moves.test").await;
    let api = Api::new(&app, &cli_token(&app, "admin", None, None));
    let answer = api
        .post(
            &format!("/api/v1/tenants/{}/move", back.slug),
            &json!({ "to": "second" }),
        )
        .await;
    answer.assert_problem(StatusCode::CONFLICT, "state-conflict");
    assert!(
        answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("is draining")),
        "{}",
        answer.body
    );
    assert_eq!(
        app.count("select count(*) from provisioning_jobs where kind = 'move'")
            .await,
        jobs
    );

    // The old copies go when their grace ends (three places left, and the scratch
    // database the move into the pooled tier renamed its schema in), and the role from
    // the server it left.
    assert_eq!(end_grace(&app).await, 4);
    let admin = PgPool::connect(&second.url("postgres")).await.unwrap();
    let role_left: bool =
        sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
            .bind(&tenant.role_name)
            .fetch_one(&admin)
            .await
            .unwrap();
    let db_left: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(&tenant.database_name)
            .fetch_one(&admin)
            .await
            .unwrap();
    admin.close().await;
    assert!(
        !role_left && !db_left,
        "nothing of the tenant is left on second"
    );

    // An unreachable server is refused too.
    tenantry::tenancy::servers::update(
        &t.db,
        registered.id,
        false,
        10,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap();
    t.servers.forget(registered.id, "postgres").await;
    t.servers.forget(registered.id, "tenants_pooled_1").await;
    second.stop().await.unwrap();
    let unreachable = moves::request_move(
        t,
        &back,
        Some("second"),
        None,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(
        unreachable.to_string().contains("cannot be reached"),
        "{unreachable}"
    );

    let actions = app.audit_actions().await;
    for action in ["tenant.move_requested", "tenant.moved", "db_server.drained"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}
