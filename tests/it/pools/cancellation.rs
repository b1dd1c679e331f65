//! Transactions cancelled at random points — what a client disconnecting mid-request does
//! to its handler's future — never poison a connection: every later checkout is outside
//! any transaction, back at the login role, and works.

use std::sync::Arc;
use std::time::Duration;

use tenantry::tenancy::pools::{PooledConn, TenantPool, TenantPools};
use tokio::task::JoinSet;

use sqlx::PgPool;

use super::fixture::{Fixture, eventually};
use crate::helpers::server_base_url;

const ROUNDS: usize = 400;

/// One page-like unit of work: begin, write, read, commit.
async fn unit(pool: TenantPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("insert into notes values ('unit')")
        .execute(&mut *tx)
        .await?;
    let _: Vec<String> = sqlx::query_scalar("select body from notes order by body limit 20")
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query("select pg_sleep(0.0005)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A unit that tells when it is inside its transaction and then never finishes: its
/// cancellation always lands mid-transaction, waiting (`then` is `None`) or inside a query
/// that runs far longer than the recovery's rollback may wait (`Some`).
async fn stuck_unit(
    pool: TenantPool,
    inside: tokio::sync::oneshot::Sender<()>,
    then: Option<&'static str>,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("insert into notes values ('stuck')")
        .execute(&mut *tx)
        .await?;
    let _ = inside.send(());
    match then {
        Some(sql) => {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        None => std::future::pending::<()>().await,
    }
    tx.commit().await?;
    Ok(())
}

/// Aborts a `stuck_unit` once it is inside its transaction (and, with `then`, once the
/// server shows that query running).
async fn abort_inside(pool: &TenantPool, then: Option<&'static str>) {
    let (inside, entered) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(stuck_unit(pool.clone(), inside, then));
    entered.await.expect("the unit reached its transaction");
    if let Some(sql) = then {
        let watcher = PgPool::connect(&format!("{}/postgres", server_base_url()))
            .await
            .expect("watcher");
        let running = eventually(|| async {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from pg_stat_activity where query = $1 and state = 'active'",
            )
            .bind(sql)
            .fetch_one(&watcher)
            .await
            .expect("pg_stat_activity")
                > 0
        })
        .await;
        assert!(running, "{sql} is running");
        watcher.close().await;
    }
    task.abort();
    assert!(task.await.is_err_and(|e| e.is_cancelled()));
}

/// Runs `ROUNDS` units against `pool`, `at_once` at a time, cancelling many of them after
/// a random few milliseconds (a timeout, or an aborted task), and every third one once it
/// is surely inside its transaction.
async fn cancel_many(pool: &TenantPool, at_once: usize) -> (usize, usize) {
    let (mut finished, mut cancelled) = (0, 0);
    let mut running = JoinSet::new();
    for round in 0..ROUNDS {
        let pool = pool.clone();
        let after = Duration::from_micros(rand::random_range(0..8_000));
        if round % 3 == 2 {
            running.spawn(async move {
                abort_inside(&pool, None).await;
                false
            });
        } else if round % 3 == 0 {
            // Dropping a spawned task's future mid-way.
            let task = tokio::spawn(unit(pool));
            running.spawn(async move {
                tokio::time::sleep(after).await;
                task.abort();
                matches!(task.await, Ok(Ok(())))
            });
        } else {
            running.spawn(async move {
                matches!(tokio::time::timeout(after, unit(pool)).await, Ok(Ok(())))
            });
        }
        if running.len() >= at_once
            && let Some(done) = running.join_next().await
        {
            if done.expect("task") {
                finished += 1;
            } else {
                cancelled += 1;
            }
        }
    }
    while let Some(done) = running.join_next().await {
        if done.expect("task") {
            finished += 1;
        } else {
            cancelled += 1;
        }
    }
    (finished, cancelled)
}

/// Checks out every connection of the budget at once and checks each one.
async fn every_connection_is_clean(
    pools: &TenantPools,
    pool: &TenantPool,
    budget: usize,
    login: &str,
) {
    let mut held: Vec<PooledConn> = Vec::new();
    for _ in 0..budget {
        held.push(pool.acquire().await.expect("a connection comes back"));
    }
    for conn in &mut held {
        match sqlx::query("savepoint probe").execute(&mut **conn).await {
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("25P01") => {}
            other => panic!("a connection was handed out inside a transaction: {other:?}"),
        }
        let user: String = sqlx::query_scalar("select current_user::text")
            .fetch_one(&mut **conn)
            .await
            .expect("the connection works");
        assert_eq!(user, login);
    }
    drop(held);
    // And whole units of work succeed again, on every connection.
    let mut units = JoinSet::new();
    for _ in 0..budget * 4 {
        units.spawn(unit(pool.clone()));
    }
    while let Some(done) = units.join_next().await {
        done.expect("task")
            .expect("a unit of work after the cancellations");
    }
    let stats = pools.stats().total;
    assert_eq!(stats.in_use, 0, "{stats:?}");
    assert!(stats.open as usize <= budget, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelled_transactions_never_poison_a_connection() {
    const BUDGET: usize = 3;
    let fx = Arc::new(Fixture::new().await);
    let (pooled, _) = fx.pooled_tenant().await;
    let isolated = fx.isolated_tenant(1).await;
    sqlx::query(
        "update tenants set plan_id = 'pro' where id = $1", // pool size 5 > budget
    )
    .bind(isolated.id)
    .execute(&fx.control)
    .await
    .expect("plan");
    fx.notes_table(&isolated).await;
    let pools = fx.pools(BUDGET as u32, Duration::from_secs(10));

    let mut recovered = 0;
    for (tenant, login) in [
        (pooled.id, fx.gateway_role()),
        (isolated.id, isolated.role.clone()),
    ] {
        let pool = pools.get(tenant).await.expect("pool");
        let closed = pools.stats().total.evictions;
        // Cancelled inside a 60 s query: the rollback would wait too long, so the
        // connection is closed instead of reused.
        abort_inside(&pool, Some("select pg_sleep(60)")).await;
        let (finished, cancelled) = cancel_many(&pool, BUDGET).await;
        assert!(
            cancelled > ROUNDS / 10,
            "the test cancelled too few units to mean anything ({cancelled} of {ROUNDS}, {finished} finished)"
        );
        every_connection_is_clean(&pools, &pool, BUDGET, &login).await;
        let stats = pools.stats().total;
        assert!(
            stats.recoveries > recovered + (ROUNDS / 3) as u64,
            "every unit aborted inside its transaction was recovered: {stats:?}"
        );
        assert!(
            stats.evictions > closed,
            "the connection stuck in a long query was closed: {stats:?}"
        );
        eprintln!("cancellation: {finished} finished, {cancelled} cancelled, {stats:?}");
        recovered = stats.recoveries;
    }

    drop(pools);
    Arc::into_inner(fx)
        .expect("the fixture is no longer shared")
        .cleanup()
        .await;
}
