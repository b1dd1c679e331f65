//! The tenant pool manager on a real server: single-flight creation, the per-server
//! connection budget under load, eviction, idle expiry, the acquire timeout and the pooled
//! tier. Each test makes its own tenants and control plane, and drops them at the end.

mod fixture;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tenantry::tenancy::pools::{PoolError, PoolSettings};
use tokio::task::JoinSet;
use uuid::Uuid;

use self::fixture::{Fixture, count_backends, eventually};
use crate::helpers::server_base_url;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_first_requests_creates_one_pool() {
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let pools = fx.pools(10, Duration::from_secs(5));

    let id = tenant.id;
    let mut gets = JoinSet::new();
    for _ in 0..100 {
        let pools = pools.clone();
        gets.spawn(async move { pools.get(id).await });
    }
    let mut handed_out = Vec::new();
    while let Some(got) = gets.join_next().await {
        handed_out.push(got.expect("task").expect("every first get succeeds"));
    }
    assert_eq!(handed_out.len(), 100);
    let stats = pools.stats();
    assert_eq!(stats.total.creations, 1, "{stats:?}");
    assert_eq!(stats.total.pools, 1);
    assert_eq!(stats.total.max_connections, 2, "the free plan's pool size");
    assert_eq!(stats.servers.get(&fx.server_id), Some(&stats.total));

    // The pool works, as the tenant's role, under its application name.
    let (user, app): (String, String) =
        sqlx::query_as("select current_user::text, current_setting('application_name')")
            .fetch_one(&handed_out[42])
            .await
            .expect("query");
    assert_eq!(user, tenant.role);
    assert_eq!(app, format!("tenantry:{}", tenant.slug));

    // The refused side: unknown and inactive tenants are not served.
    assert!(matches!(
        pools.get(Uuid::now_v7()).await,
        Err(PoolError::NotServable)
    ));
    let other = fx.isolated_tenant(1).await;
    sqlx::query("update tenants set status = 'suspended' where id = $1")
        .bind(other.id)
        .execute(&fx.control)
        .await
        .expect("suspend");
    assert!(matches!(
        pools.get(other.id).await,
        Err(PoolError::NotServable)
    ));
    assert_eq!(pools.stats().total.creations, 1);

    drop(handed_out);
    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_budget_holds_under_load_and_no_request_fails() {
    const TENANTS: usize = 200;
    const REQUESTS: usize = 400;
    const BUDGET: i64 = 10;
    let fx = Arc::new(Fixture::new().await);
    let tenants = fx.isolated_tenants(TENANTS).await;
    let roles: Vec<String> = tenants.iter().map(|t| t.role.clone()).collect();
    // The wait is generous on purpose: this test is about the budget and about nothing
    // failing, not about speed, and a shared 2-core machine can be slow to fork backends.
    let pools = fx.pools(BUDGET as u32, Duration::from_secs(90));

    // Counts the tenants' backends as fast as it can while the load runs.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        let roles = roles.clone();
        let mut conn = PgConnection::connect(&format!("{}/postgres", server_base_url()))
            .await
            .expect("sampler connection");
        tokio::spawn(async move {
            let (mut most, mut samples) = (0, 0);
            while !stop.load(Ordering::Acquire) {
                most = most.max(count_backends(&mut conn, &roles).await);
                samples += 1;
            }
            conn.close().await.ok();
            (most, samples)
        })
    };

    let mut requests = JoinSet::new();
    for _ in 0..REQUESTS {
        let pools = pools.clone();
        let tenant = tenants[rand::random_range(0..tenants.len())].id;
        requests.spawn(async move {
            let pool = pools.get(tenant).await?;
            sqlx::query("select pg_sleep(0.005)").execute(&pool).await?;
            Ok::<_, anyhow::Error>(())
        });
    }
    let mut failures = Vec::new();
    while let Some(done) = requests.join_next().await {
        if let Err(e) = done.expect("task") {
            failures.push(e.to_string());
        }
    }
    stop.store(true, Ordering::Release);
    let (most, samples) = sampler.await.expect("sampler");

    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    assert!(samples > 0 && most > 0, "the sampler saw the load");
    assert!(most <= BUDGET, "{most} tenant connections at once");
    let stats = pools.stats();
    assert!(stats.total.reserved <= BUDGET as u32, "{stats:?}");
    assert!(stats.total.max_connections <= BUDGET as u32, "{stats:?}");
    assert!(
        stats.total.creations > BUDGET as u64 / 2,
        "pools came and went"
    );
    assert!(
        stats.total.waits > 0 && stats.total.evictions > 0,
        "{stats:?}"
    );

    drop(pools);
    Arc::into_inner(fx)
        .expect("the fixture is no longer shared")
        .cleanup()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evict_closes_the_tenants_connections() {
    let metrics = tenantry::telemetry::metrics();
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let roles = [tenant.role.clone()];
    let pools = fx.pools(10, Duration::from_secs(5));

    let pool = pools.get(tenant.id).await.expect("pool");
    let first = pool.acquire().await.expect("a connection");
    let second = pool.acquire().await.expect("another connection");
    drop((first, second));
    assert_eq!(fx.backends(&roles).await, 2);

    pools.evict(tenant.id).await;
    assert!(pool.is_closed());
    assert_eq!(
        pool.size(),
        0,
        "evict waits until its connections are closed"
    );
    assert!(fx.backends_gone(&roles).await, "backends left after evict");
    let stats = pools.stats();
    assert_eq!(
        (
            stats.total.pools,
            stats.total.reserved,
            stats.total.evictions
        ),
        (0, 0, 1)
    );
    let exported = metrics.render();
    for name in [
        "tenantry_tenant_pools",
        "tenantry_tenant_connections{state=\"open\"}",
        "tenantry_tenant_connections{state=\"in_use\"}",
        "tenantry_tenant_pool_evictions_total",
    ] {
        assert!(exported.contains(name), "{name} missing from /metrics");
    }

    // The next request gets a new pool; a suspended tenant gets none.
    let again = pools.get(tenant.id).await.expect("a new pool");
    sqlx::query("select 1")
        .execute(&again)
        .await
        .expect("query");
    assert_eq!(pools.stats().total.creations, 2);
    sqlx::query("update tenants set status = 'suspended' where id = $1")
        .bind(tenant.id)
        .execute(&fx.control)
        .await
        .expect("suspend");
    pools.evict(tenant.id).await;
    assert!(matches!(
        pools.get(tenant.id).await,
        Err(PoolError::NotServable)
    ));
    assert!(fx.backends_gone(&roles).await);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_pools_expire_and_are_closed() {
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let pools = fx.pools_with(PoolSettings {
        budget_per_server: 10,
        idle_timeout: Duration::from_millis(300),
        acquire_timeout: Duration::from_secs(5),
    });

    let pool = pools.get(tenant.id).await.expect("pool");
    sqlx::query("select 1").execute(&pool).await.expect("query");
    let expired = eventually(|| async {
        let stats = pools.stats().total;
        (stats.pools, stats.reserved, stats.open) == (0, 0, 0)
    })
    .await;
    assert!(expired, "{:?}", pools.stats());
    assert!(
        pool.is_closed(),
        "an expired pool is closed, not just dropped"
    );
    assert_eq!(pools.stats().total.evictions, 1);
    assert!(fx.backends_gone(std::slice::from_ref(&tenant.role)).await);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_budget_answers_busy_not_a_hang() {
    let fx = Fixture::new().await;
    let busy = fx.isolated_tenant(0).await;
    let waiting = fx.isolated_tenant(1).await;
    let elsewhere = fx.isolated_tenant(2).await;
    // The budget is exactly one free-plan pool.
    let pools = fx.pools(2, Duration::from_millis(500));

    let pool = pools
        .get(busy.id)
        .await
        .expect("a pool with the whole budget");
    let first = pool.acquire().await.expect("a connection");
    let second = pool.acquire().await.expect("another connection");
    let refused = pools.get(waiting.id).await;
    assert!(matches!(refused, Err(PoolError::Busy)), "{refused:?}");
    // The budget is per server: a tenant elsewhere is served meanwhile.
    let other_server = fx.move_to_another_server(&elsewhere).await;
    let pool_elsewhere = pools
        .get(elsewhere.id)
        .await
        .expect("room on another server");
    sqlx::query("select 1")
        .execute(&pool_elsewhere)
        .await
        .expect("query");
    let stats = pools.stats();
    assert_eq!(stats.servers.len(), 2);
    assert_eq!(stats.servers[&fx.server_id].reserved, 2);
    assert_eq!(stats.servers[&other_server].reserved, 2);

    // Once the busy pool is idle, it gives its budget up.
    drop((first, second));
    let pool = pools
        .get(waiting.id)
        .await
        .expect("room after the busy pool");
    sqlx::query("select 1").execute(&pool).await.expect("query");
    let stats = pools.stats().servers[&fx.server_id];
    assert_eq!((stats.pools, stats.creations), (1, 2), "{stats:?}");
    assert!(stats.waits >= 2 && stats.evictions >= 1);
    assert!(stats.reserved <= 2);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_tenant_works_in_its_own_schema() {
    let fx = Fixture::new().await;
    let (tenant, schema) = fx.pooled_tenant().await;
    let pools = fx.pools(10, Duration::from_secs(5));

    let pool = pools.get(tenant.id).await.expect("pool");
    let current: String = sqlx::query_scalar("select current_schema()::text")
        .fetch_one(&pool)
        .await
        .expect("query");
    assert_eq!(current, schema);
    // Unqualified names land in the tenant's schema (PUBLIC may not create in `public`).
    sqlx::query("create table notes (id int primary key)")
        .execute(&pool)
        .await
        .expect("create table");
    let placed: String = sqlx::query_scalar(
        "select table_schema::text from information_schema.tables where table_name = 'notes'",
    )
    .fetch_one(&pool)
    .await
    .expect("query");
    assert_eq!(placed, schema);

    drop(pools);
    fx.cleanup().await;
}
