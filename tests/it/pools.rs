//! The tenant pool manager on a real server: connection reuse, the per-server budget
//! counted per connection under load, LRU eviction of idle connections, eviction of a
//! tenant, idle expiry and the acquire timeout. The pooled tier's isolation is in
//! `pools/pooled.rs`, cancelled transactions in `pools/cancellation.rs`. Each test makes
//! its own tenants and control plane, and drops them at the end.

mod cancellation;
mod fixture;
mod pooled;

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
async fn a_burst_of_transactions_shares_the_tenants_few_connections() {
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let pools = fx.pools(10, Duration::from_secs(5));

    let id = tenant.id;
    let mut work = JoinSet::new();
    for _ in 0..100 {
        let pools = pools.clone();
        work.spawn(async move {
            let pool = pools.get(id).await?;
            let mut tx = pool.begin().await?;
            let seen: (String, String) =
                sqlx::query_as("select current_user::text, current_setting('application_name')")
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            anyhow::Ok(seen)
        });
    }
    while let Some(done) = work.join_next().await {
        let (user, app) = done.expect("task").expect("every transaction succeeds");
        // As the tenant's role, under its application name.
        assert_eq!(user, tenant.role);
        assert_eq!(app, format!("tenantry:{}", tenant.slug));
    }
    let stats = pools.stats();
    assert_eq!(
        stats.total.creations, 2,
        "at most the free plan's 2 connections: {stats:?}"
    );
    assert_eq!((stats.total.pools, stats.total.open), (1, 2));
    assert_eq!((stats.total.idle, stats.total.in_use), (2, 0));
    assert_eq!(stats.servers.get(&fx.server_id), Some(&stats.total));

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
    assert_eq!(pools.stats().total.creations, 2);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_for_a_tenants_own_connections_are_served_and_cancelled_ones_leave_nothing() {
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let pools = fx.pools(10, Duration::from_secs(5));
    let pool = pools.get(tenant.id).await.expect("pool");

    // Both of the free plan's connections are taken, so everyone below waits.
    let held = [
        pool.begin().await.expect("first"),
        pool.begin().await.expect("second"),
    ];
    let mut work = JoinSet::new();
    for _ in 0..20 {
        let pool = pool.clone();
        work.spawn(async move {
            let mut tx = pool.begin().await?;
            sqlx::query("select 1").execute(&mut *tx).await?;
            tx.commit().await?;
            anyhow::Ok(())
        });
    }
    // Waiters that give up (a client gone) while the others wait.
    for _ in 0..10 {
        let pool = pool.clone();
        let gave_up = tokio::time::timeout(Duration::from_millis(50), pool.begin()).await;
        assert!(
            gave_up.is_err(),
            "nobody gets a connection while both are held"
        );
    }
    for tx in held {
        tx.commit().await.expect("commit");
    }
    while let Some(done) = work.join_next().await {
        done.expect("task").expect("every waiter is served");
    }
    let stats = pools.stats();
    assert_eq!(
        stats.total.creations, 2,
        "no connection beyond the plan's: {stats:?}"
    );

    // Nothing of the waiters (counted or cancelled) keeps the tenant's entry alive.
    pools.evict(tenant.id).await;
    let forgotten = eventually(|| async {
        let s = pools.stats().total;
        (s.pools, s.open) == (0, 0)
    })
    .await;
    assert!(
        forgotten,
        "the tenant still holds something: {:?}",
        pools.stats()
    );

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
            let mut tx = pool.begin().await?;
            sqlx::query("select pg_sleep(0.005)")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
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
    assert!(stats.total.open <= BUDGET as u32, "{stats:?}");
    assert!(
        stats.total.creations > BUDGET as u64,
        "connections came and went: {stats:?}"
    );
    assert!(
        stats.total.reclaimed > 0 && stats.total.evictions >= stats.total.reclaimed,
        "idle connections of other tenants made room: {stats:?}"
    );

    drop(pools);
    Arc::into_inner(fx)
        .expect("the fixture is no longer shared")
        .cleanup()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_idle_connection_makes_room() {
    let fx = Fixture::new().await;
    let mut tenants = Vec::new();
    for n in 0..4 {
        tenants.push(fx.isolated_tenant(n).await);
    }
    let pools = fx.pools(3, Duration::from_secs(5));

    // Tenants 0, 1, 2 each leave one idle connection, 0 the least recently used.
    for tenant in &tenants[..3] {
        let pool = pools.get(tenant.id).await.expect("pool");
        pool.begin()
            .await
            .expect("begin")
            .commit()
            .await
            .expect("commit");
    }
    let roles = |range: std::ops::Range<usize>| -> Vec<String> {
        tenants[range].iter().map(|t| t.role.clone()).collect()
    };
    assert_eq!(fx.backends(&roles(0..3)).await, 3);
    // Tenant 2 is used again: 0 stays the least recently used.
    let pool = pools.get(tenants[2].id).await.expect("pool");
    pool.begin()
        .await
        .expect("begin")
        .commit()
        .await
        .expect("commit");
    let before = pools.stats().total;

    // Tenant 3 needs a connection: the budget is full, so tenant 0's idle one goes.
    let pool = pools.get(tenants[3].id).await.expect("pool");
    let conn = pool.acquire().await.expect("room made for tenant 3");
    assert!(
        fx.backends_gone(&roles(0..1)).await,
        "tenant 0's connection closed"
    );
    assert_eq!(
        fx.backends(&roles(1..4)).await,
        3,
        "1, 2 and 3 hold one each"
    );
    let after = pools.stats().total;
    assert_eq!(after.reclaimed, before.reclaimed + 1, "{after:?}");
    assert_eq!((after.open, after.in_use, after.reserved), (3, 1, 3));
    assert_eq!(
        after.waits, before.waits,
        "no wait: an idle connection was there"
    );

    drop(conn);
    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_tenant_waits_briefly_for_its_own_connection_then_makes_room() {
    let fx = Fixture::new().await;
    let a = fx.isolated_tenant(0).await;
    let b = fx.isolated_tenant(1).await;
    let pools = fx.pools(2, Duration::from_secs(5));
    let pool_a = pools.get(a.id).await.expect("pool");
    let pool_b = pools.get(b.id).await.expect("pool");
    // B leaves an idle connection; A holds one in use: the budget of 2 is full.
    drop(pool_b.acquire().await.expect("b"));
    let held = pool_a.acquire().await.expect("a");

    // A asks for a second while holding its first: it waits for its own first (it
    // counts as a wait), and when none comes back it closes B's idle one to open
    // another, well before the acquire timeout: never a deadlock.
    let second = pool_a.acquire().await.expect("a second connection for A");
    let stats = pools.stats().total;
    assert_eq!(
        (stats.waits, stats.reclaimed, stats.creations),
        (1, 1, 3),
        "{stats:?}"
    );
    assert!(fx.backends_gone(std::slice::from_ref(&b.role)).await);

    drop((held, second));
    drop((pool_a, pool_b));
    drop(pools);
    fx.cleanup().await;
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
    drop(first);
    assert_eq!(fx.backends(&roles).await, 2);

    // The idle one closes at once; the one in use when it comes back.
    pools.evict(tenant.id).await;
    assert!(
        eventually(|| async { fx.backends(&roles).await == 1 }).await,
        "the idle connection is closed"
    );
    drop(second);
    assert!(fx.backends_gone(&roles).await, "backends left after evict");
    assert!(
        eventually(|| async {
            let stats = pools.stats().total;
            (stats.pools, stats.reserved, stats.evictions) == (0, 0, 2)
        })
        .await,
        "{:?}",
        pools.stats()
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

    // The next request gets a new connection; a suspended tenant gets none.
    let again = pools.get(tenant.id).await.expect("served again");
    again
        .begin()
        .await
        .expect("begin")
        .commit()
        .await
        .expect("commit");
    assert_eq!(pools.stats().total.creations, 3);
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
async fn idle_connections_expire_and_are_closed() {
    let fx = Fixture::new().await;
    let tenant = fx.isolated_tenant(0).await;
    let pools = fx.pools_with(PoolSettings {
        budget_per_server: 10,
        idle_timeout: Duration::from_millis(300),
        acquire_timeout: Duration::from_secs(5),
    });

    let pool = pools.get(tenant.id).await.expect("pool");
    pool.begin()
        .await
        .expect("begin")
        .commit()
        .await
        .expect("commit");
    let expired = eventually(|| async {
        let stats = pools.stats().total;
        (stats.pools, stats.reserved, stats.open) == (0, 0, 0)
    })
    .await;
    assert!(expired, "{:?}", pools.stats());
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
    let pools = fx.pools(2, Duration::from_millis(500));

    // Both connections of the budget in use.
    let pool = pools.get(busy.id).await.expect("pool");
    let first = pool.acquire().await.expect("a connection");
    let second = pool.acquire().await.expect("another connection");
    let waiting_pool = pools
        .get(waiting.id)
        .await
        .expect("no connection needed yet");
    let refused = waiting_pool.acquire().await;
    assert!(matches!(refused, Err(PoolError::Busy)), "{refused:?}");
    // A transaction reports it as sqlx's pool timeout, which the web layer makes a 503.
    let refused = waiting_pool.begin().await;
    assert!(
        matches!(refused, Err(sqlx::Error::PoolTimedOut)),
        "{refused:?}"
    );
    // The budget is per server: a tenant elsewhere is served meanwhile.
    let other_server = fx.move_to_another_server(&elsewhere).await;
    let pool_elsewhere = pools
        .get(elsewhere.id)
        .await
        .expect("room on another server");
    pool_elsewhere
        .begin()
        .await
        .expect("begin")
        .commit()
        .await
        .expect("commit");
    let stats = pools.stats();
    assert_eq!(stats.servers.len(), 2);
    assert_eq!(stats.servers[&fx.server_id].in_use, 2);
    assert_eq!(stats.servers[&other_server].open, 1);

    // Once the busy tenant's connections are idle, the least recently used one makes room.
    drop((first, second));
    waiting_pool
        .begin()
        .await
        .expect("room after the busy tenant")
        .commit()
        .await
        .expect("commit");
    let stats = pools.stats().servers[&fx.server_id];
    assert_eq!(
        (stats.pools, stats.open, stats.reclaimed),
        (2, 2, 1),
        "{stats:?}"
    );
    assert!(stats.waits >= 2);

    drop(pools);
    fx.cleanup().await;
}
