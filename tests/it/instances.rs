//! Several processes on one control plane: a change made through any of them — a second
//! `tenantry serve` process, the CLI, or this test's in-process instance — is honoured by
//! every instance on the next request after its notification arrives. Effects are
//! polled for; nothing sleeps a fixed time.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::cookie::Jar;

use crate::helpers::*;

fn tenantry() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

/// A `tenantry serve` process on the app's control plane; killed when dropped.
pub struct ServeProcess {
    child: Child,
    pub addr: std::net::SocketAddr,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    pub async fn start(app: &TestApp, extra: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let child = tenantry()
            .args(["serve", "--database-url", &app.db_url])
            .args(["--master-key", TEST_MASTER_KEY, "--admin-host", ADMIN_HOST])
            .args(["--listen", &addr.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tenantry serve");
        let process = Self { child, addr };
        let probe = crate::helpers::http_client().build().expect("http client");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = probe
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return process;
            }
            assert!(Instant::now() < deadline, "tenantry serve did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs a CLI verb against the app's control plane and expects it to succeed.
fn cli(app: &TestApp, args: &[&str]) {
    let out = tenantry()
        .args(args)
        .args([
            "--database-url",
            &app.db_url,
            "--master-key",
            TEST_MASTER_KEY,
        ])
        .output()
        .expect("run tenantry");
    assert!(
        out.status.success(),
        "tenantry {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tenant-host client for one instance, sharing the session cookie jar with others.
fn tenant_client(addr: std::net::SocketAddr, slug: &str, jar: Arc<Jar>) -> TenantClient {
    let host = format!("{slug}.localhost");
    TenantClient {
        client: client_for_hosts(addr, jar, &[&host]),
        base: format!("http://{host}:{}", addr.port()),
    }
}

/// Polls `path` until it answers `status`, for at most 20 s.
async fn until_status(client: &TenantClient, path: &str, status: StatusCode, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = client.get(path).await.status();
        if got == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {path} still answers {got}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn changes_made_through_any_process_reach_every_instance() {
    let app = spawn_app().await;
    let other = ServeProcess::start(&app, &[]).await;
    let t = app.provisioned_tenant("fleet", "pooled").await;
    let (tenant, slug) = (t.id, t.slug);
    app.create_member("ada@fleet.test", tenant, "admin").await;
    let jar = Arc::new(Jar::default());
    let here = tenant_client(app.addr, &slug, jar.clone());
    let there = tenant_client(other.addr, &slug, jar);
    assert_redirect_to(&here.login("ada@fleet.test", PASSWORD).await, "/");
    // One session (stored in PostgreSQL) works on both instances, and both now hold the
    // tenant, the user and the access in their caches.
    for client in [&here, &there] {
        until_status(client, "/", StatusCode::OK, "signed in").await;
    }

    // The CLI suspends: both instances refuse on the next request after the notification.
    cli(&app, &["tenants", "suspend", "--slug", &slug]);
    for client in [&here, &there] {
        until_status(client, "/", StatusCode::FORBIDDEN, "suspended by the CLI").await;
    }
    cli(&app, &["tenants", "activate", "--slug", &slug]);
    for client in [&here, &there] {
        until_status(client, "/", StatusCode::OK, "reactivated by the CLI").await;
    }

    // A module enabled through this instance appears on the other; disabled, it goes.
    let enabled = here.post("/modules/crm/enable", &[]).await;
    assert!(enabled.status().is_redirection(), "{}", enabled.status());
    until_status(&there, "/crm", StatusCode::OK, "crm enabled here").await;
    let disabled = there.post("/modules/crm/disable", &[]).await;
    assert!(disabled.status().is_redirection(), "{}", disabled.status());
    until_status(&here, "/crm", StatusCode::NOT_FOUND, "crm disabled there").await;

    // Signed out through one instance: the session is gone on the other too.
    app.create_member("bo@fleet.test", tenant, "member").await;
    let (jar_here, jar_there) = (Arc::new(Jar::default()), Arc::new(Jar::default()));
    let bo_here = tenant_client(app.addr, &slug, jar_here.clone());
    let bo_there = tenant_client(other.addr, &slug, jar_there.clone());
    assert_redirect_to(&bo_here.login("bo@fleet.test", PASSWORD).await, "/");
    until_status(&bo_here, "/", StatusCode::OK, "bo signed in here").await;
    // The same session cookie in a second jar, which sign-out there will empty.
    let url: reqwest::Url = bo_here.base.parse().expect("url");
    let cookie = reqwest::cookie::CookieStore::cookies(&*jar_here, &url).expect("a session");
    jar_there.add_cookie_str(cookie.to_str().expect("ascii"), &url);
    until_status(&bo_there, "/", StatusCode::OK, "bo signed in there").await;
    let out = bo_there.post("/logout", &[]).await;
    assert!(out.status().is_redirection(), "{}", out.status());
    // This instance had the session cached: it must not serve it any more.
    until_status(&bo_here, "/", StatusCode::SEE_OTHER, "signed out there").await;

    // A membership removed (here, straight in the control plane) ends access on both.
    sqlx::query("delete from memberships where tenant_id = $1 and role = 'admin'")
        .bind(tenant)
        .execute(&app.db)
        .await
        .expect("remove membership");
    for client in [&here, &there] {
        until_status(client, "/", StatusCode::FORBIDDEN, "membership removed").await;
    }

    // Deleted through the CLI: the same 404 as an unknown tenant, everywhere.
    cli(&app, &["tenants", "delete", "--slug", &slug]);
    for client in [&here, &there] {
        until_status(
            client,
            "/login",
            StatusCode::NOT_FOUND,
            "deleted by the CLI",
        )
        .await;
    }
}

#[tokio::test]
async fn a_listener_that_loses_its_connection_drops_its_caches() {
    let app = spawn_app().await;
    let t = app.provisioned_tenant("lost", "isolated").await;
    let (tenant, slug) = (t.id, t.slug);
    app.create_member("bo@lost.test", tenant, "admin").await;
    let client = TenantClient::signed_in(&app, &slug, "bo@lost.test").await;
    until_status(&client, "/", StatusCode::OK, "signed in").await;

    // A change that announces nothing (triggers off for this transaction) stays unseen
    // while the cache is trusted...
    let mut tx = app.db.begin().await.expect("tx");
    sqlx::query("set local session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("triggers off");
    sqlx::query("update tenants set status = 'suspended' where id = $1")
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .expect("silent suspend");
    tx.commit().await.expect("commit");
    assert_eq!(client.get("/").await.status(), StatusCode::OK);

    // ...until the listener's connection is lost: it reconnects and drops every cache.
    let killed: i64 = sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity
         where datname = current_database() and query ilike 'listen%tenantry_changes%'",
    )
    .fetch_one(&app.db)
    .await
    .expect("terminate the listener");
    assert_eq!(killed, 1, "one listener per instance");
    until_status(
        &client,
        "/",
        StatusCode::FORBIDDEN,
        "after the listener came back",
    )
    .await;

    // And it listens again: an announced change arrives as before.
    sqlx::query("update tenants set status = 'active' where id = $1")
        .bind(tenant)
        .execute(&app.db)
        .await
        .expect("reactivate");
    until_status(
        &client,
        "/",
        StatusCode::OK,
        "announced after the reconnect",
    )
    .await;
}

/// Tenant backends of this test's tenants right now, from PostgreSQL's own view.
async fn tenant_backends(app: &TestApp, slugs: &[String]) -> i64 {
    let names: Vec<String> = slugs.iter().map(|s| format!("tenantry:{s}")).collect();
    sqlx::query_scalar("select count(*) from pg_stat_activity where application_name = any($1)")
        .bind(&names)
        .fetch_one(&app.db)
        .await
        .expect("pg_stat_activity")
}

/// Waits until both instances hold their fair share of `budget` (so each has beaten
/// while the other was live); the shares never add up past it meanwhile.
async fn until_both_hold_a_share(app: &TestApp, budget: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (instances, claimed, least): (i64, i64, i64) = sqlx::query_as(
            "select (select count(*) from instances), coalesce(sum(connections), 0)::bigint,
                    coalesce(min(connections), 0)::bigint
             from instance_shares",
        )
        .fetch_one(&app.db)
        .await
        .expect("shares");
        assert!(claimed <= budget, "claims {claimed} exceed the budget");
        if instances == 2 && claimed == budget && least == budget / 2 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{instances} instances claim {claimed}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_instances_under_load_stay_within_the_servers_budget() {
    const BUDGET: i64 = 4;
    let budget = BUDGET.to_string();
    let app = spawn_app_with(&["--tenant-connections", &budget]).await;
    let other = ServeProcess::start(&app, &["--tenant-connections", &budget]).await;
    until_both_hold_a_share(&app, BUDGET).await;

    // Isolated tenants (a connection each), more of them than the budget, with the CRM.
    let mut clients = Vec::new();
    let mut slugs = Vec::new();
    for i in 0..6 {
        let tenant = app
            .provisioned_tenant(&format!("load{i}"), "isolated")
            .await;
        let email = format!("ada{i}@load.test");
        app.create_member(&email, tenant.id, "admin").await;
        let jar = Arc::new(Jar::default());
        let here = tenant_client(app.addr, &tenant.slug, jar.clone());
        let there = tenant_client(other.addr, &tenant.slug, jar);
        assert_redirect_to(&here.login(&email, PASSWORD).await, "/");
        let enabled = here.post("/modules/crm/enable", &[]).await;
        assert!(enabled.status().is_redirection(), "{}", enabled.status());
        clients.push(here);
        clients.push(there);
        slugs.push(tenant.slug);
    }

    // Load through both instances at once while PostgreSQL is watched.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for client in clients {
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let mut served = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status = client.get("/crm").await.status();
                // A full budget is a clear 503 (never more connections).
                assert!(
                    status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
                    "{status}"
                );
                served += u32::from(status == StatusCode::OK);
            }
            served
        }));
    }
    let mut most = 0;
    for _ in 0..300 {
        most = most.max(tenant_backends(&app, &slugs).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    for task in load {
        served += task.await.expect("load task");
    }
    assert!(served > 0, "nothing was served");
    assert!(most > 0, "no tenant backend was ever seen");
    assert!(
        most <= BUDGET,
        "{most} tenant backends on a server whose budget is {BUDGET}"
    );
}

/// A tenant's login role has a connection limit (its plan's pool size and a little
/// headroom) that counts every instance's connections: two instances each opening the
/// whole pool size for one busy tenant used to run into it, and PostgreSQL refused the
/// rest ("too many connections for role": a 503 for the reader). Each instance now
/// keeps to its part of the pool size.
#[tokio::test]
async fn one_busy_tenant_through_two_instances_stays_within_its_pool_size() {
    const BUDGET: i64 = 20;
    let budget = BUDGET.to_string();
    let app = spawn_app_with(&["--tenant-connections", &budget]).await;
    let other = ServeProcess::start(&app, &["--tenant-connections", &budget]).await;
    until_both_hold_a_share(&app, BUDGET).await;
    // The pro plan: a pool of 5, a role limit of 8; 8 readers on each instance, with no
    // rate limit (this is about connections).
    sqlx::query("update plans set max_requests_per_second = null where id = 'pro'")
        .execute(&app.db)
        .await
        .expect("no rate limit");
    let tenant = app.provisioned_tenant("busy", "isolated").await;
    let pool_size: i32 = sqlx::query_scalar("select pool_size from plans where id = 'pro'")
        .fetch_one(&app.db)
        .await
        .expect("pool size");
    app.create_member("ada@busy.test", tenant.id, "admin").await;
    let jar = Arc::new(Jar::default());
    let here = tenant_client(app.addr, &tenant.slug, jar.clone());
    assert_redirect_to(&here.login("ada@busy.test", PASSWORD).await, "/");
    let enabled = here.post("/modules/crm/enable", &[]).await;
    assert!(enabled.status().is_redirection(), "{}", enabled.status());

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for i in 0..16 {
        let addr = if i % 2 == 0 { app.addr } else { other.addr };
        let client = tenant_client(addr, &tenant.slug, jar.clone());
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let mut served = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status = client.get("/crm").await.status();
                assert_eq!(status, StatusCode::OK, "a reader was refused");
                served += 1;
            }
            served
        }));
    }
    let slugs = [tenant.slug.clone()];
    let mut most = 0;
    for _ in 0..300 {
        most = most.max(tenant_backends(&app, &slugs).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    for task in load {
        served += task.await.expect("every reader was served");
    }
    assert!(served > 0, "nothing was served");
    assert!(
        most <= i64::from(pool_size),
        "{most} backends for a tenant whose pool size is {pool_size}"
    );
    drop(other);
}

/// A plan's requests a second hold across instances: each holds the tenant to its part
/// of the rate. Twenty requests at once to one of two instances, on a plan of 10 a
/// second: fewer than 10 get through (the instance's bucket holds 5, refilled at 5 a
/// second), where one instance alone would let its whole burst of 10 through.
#[tokio::test]
async fn a_plans_rate_is_shared_by_the_instances() {
    let app = spawn_app_with(&["--tenant-connections", "8"]).await;
    let input = tenantry::control::plans::PlanInput {
        name: "Ten".into(),
        max_rps: "10".into(),
        pool_size: "2".into(),
        default_tier: "pooled".into(),
        ..Default::default()
    };
    tenantry::control::plans::create(
        &app.db,
        &input,
        &tenantry::control::audit::Actor::cli(),
        &tenantry::control::audit::Origin::default(),
    )
    .await
    .expect("plan");
    let tenant = app
        .provisioned_tenant_on_plan("rated", "pooled", "ten")
        .await;
    let other = ServeProcess::start(&app, &["--tenant-connections", "8"]).await;
    // Both have beaten while the other was live, so each knows there are two.
    until_both_hold_a_share(&app, 8).await;
    let client = tenant_client(app.addr, &tenant.slug, Arc::new(Jar::default()));
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| tokio::spawn(client.client.get(format!("{}/login", client.base)).send()))
        .collect();
    let (mut served, mut refused) = (0, 0);
    for call in calls {
        match call.await.expect("task").expect("answer").status() {
            StatusCode::OK => served += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!(served + refused, 20);
    assert!(
        served < 10,
        "{served} of 20 served by one of two instances in {:?}",
        started.elapsed()
    );
    drop(other);
}
