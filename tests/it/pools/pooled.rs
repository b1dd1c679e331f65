//! The pooled tier's isolation on a real server: tenants of one shared database share the
//! gateway's connections, and each transaction switches to its tenant with `SET LOCAL`
//! semantics, so nothing of one tenant is left on a connection for the next checkout.

use std::time::Duration;

use sqlx::PgConnection;
use tenantry::tenancy::pools::{PooledConn, TenantPool};

use super::fixture::Fixture;

/// Who and where a connection is, outside or inside a transaction.
async fn whoami(conn: &mut PgConnection) -> (String, String, String) {
    sqlx::query_as("select current_user::text, session_user::text, current_setting('search_path')")
        .fetch_one(conn)
        .await
        .expect("whoami")
}

/// Whether the connection is outside any transaction block: `savepoint` is refused there
/// (SQLSTATE 25P01) and accepted inside one.
async fn outside_a_transaction(conn: &mut PooledConn) -> bool {
    match sqlx::query("savepoint probe").execute(&mut **conn).await {
        Err(sqlx::Error::Database(e)) => e.code().as_deref() == Some("25P01"),
        Ok(_) => false,
        Err(e) => panic!("probe failed: {e}"),
    }
}

async fn notes(pool: &TenantPool) -> Vec<String> {
    let mut tx = pool.begin().await.expect("begin");
    let rows: Vec<String> = sqlx::query_scalar("select body from notes")
        .fetch_all(&mut *tx)
        .await
        .expect("notes");
    tx.commit().await.expect("commit");
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_connection_outside_a_transaction_reads_no_tenant_table() {
    let fx = Fixture::new().await;
    let (tenant, schema) = fx.pooled_tenant().await;
    let pools = fx.pools(2, Duration::from_secs(5));
    let pool = pools.get(tenant.id).await.expect("pool");
    assert!(pool.is_pooled());

    let mut conn = pool.acquire().await.expect("a gateway connection");
    let (user, session, _) = whoami(&mut conn).await;
    assert_eq!(
        (user.as_str(), session.as_str()),
        (fx.gateway_role().as_str(), fx.gateway_role().as_str())
    );
    for sql in [
        format!("select body from {schema}.notes"),
        "select body from notes".to_owned(),
        "create table public.leak (x int)".to_owned(),
    ] {
        let refused = sqlx::query(&sql).execute(&mut *conn).await;
        assert!(refused.is_err(), "the gateway itself may not run {sql:?}");
    }
    // NOINHERIT: membership gives it nothing until a transaction switches role.
    let inherits: bool =
        sqlx::query_scalar("select rolinherit from pg_roles where rolname = current_user")
            .fetch_one(&mut *conn)
            .await
            .expect("pg_roles");
    assert!(!inherits);
    drop(conn);

    let mut tx = pool.begin().await.expect("begin");
    let (user, session, path) = whoami(&mut tx).await;
    assert_eq!(user, tenant.role);
    assert_eq!(session, fx.gateway_role());
    assert_eq!(path, format!("\"{schema}\""));
    tx.commit().await.expect("commit");

    drop(pools);
    fx.cleanup().await;
}

/// Each shared database has its own gateway, a member of that database's tenants' roles
/// only: a connection of one may not become a tenant of another, in or out of a
/// transaction, and the other's pool serves its own tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_cannot_become_a_tenant_of_another_shared_database() {
    let fx = Fixture::new().await;
    let (a, _) = fx.pooled_tenant().await;
    let other = fx.second_shared_database();
    let (b, b_schema) = fx
        .pooled_tenants_in(&other, 1..2)
        .await
        .pop()
        .expect("a tenant in the other database");
    let pools = fx.pools(4, Duration::from_secs(5));
    let a_pool = pools.get(a.id).await.expect("A's pool");

    let mut conn = a_pool.acquire().await.expect("a gateway connection");
    for sql in [
        format!("set role \"{}\"", b.role),
        format!("select set_config('role', '{}', false)", b.role),
    ] {
        let refused = sqlx::query(&sql).execute(&mut *conn).await;
        let error = refused.expect_err(&sql).to_string();
        assert!(error.contains("permission denied"), "{sql}: {error}");
    }
    drop(conn);
    let mut tx = a_pool.begin().await.expect("A's transaction");
    let refused = sqlx::query(&format!("set local role \"{}\"", b.role))
        .execute(&mut *tx)
        .await;
    assert!(
        refused.is_err(),
        "inside A's transaction, B's role is out of reach"
    );
    tx.rollback().await.expect("rollback");
    let refused = sqlx::query(&format!("select body from {b_schema}.notes"))
        .execute(&mut *a_pool.acquire().await.expect("connection"))
        .await;
    assert!(refused.is_err(), "B's schema is not even in A's database");

    // B's own pool: the other database's gateway, switched to B, reads B's row.
    let b_pool = pools.get(b.id).await.expect("B's pool");
    assert_eq!(notes(&b_pool).await, vec![b.slug.clone()]);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_tenant_a_the_next_checkout_for_tenant_b_sees_only_b() {
    let fx = Fixture::new().await;
    let tenants = fx.pooled_tenants(2).await;
    let (a, schema_a) = &tenants[0];
    let (b, _) = &tenants[1];
    // One connection: B's transactions run on the very connection A's just used.
    let pools = fx.pools(1, Duration::from_secs(5));
    let pool_a = pools.get(a.id).await.expect("pool");
    let pool_b = pools.get(b.id).await.expect("pool");

    for _ in 0..3 {
        assert_eq!(notes(&pool_a).await, [a.slug.as_str()]);
        assert_eq!(notes(&pool_b).await, [b.slug.as_str()]);
    }
    let stats = pools.stats().total;
    assert_eq!(
        (stats.creations, stats.pools),
        (1, 1),
        "one shared connection"
    );

    // B cannot name A's schema either.
    let mut tx = pool_b.begin().await.expect("begin");
    let refused = sqlx::query(&format!("select body from {schema_a}.notes"))
        .fetch_all(&mut *tx)
        .await;
    assert!(refused.is_err(), "B read A's schema");
    drop(tx);

    // Writes land in the writer's own schema only.
    let mut tx = pool_a.begin().await.expect("begin");
    sqlx::query("insert into notes values ('second')")
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(notes(&pool_a).await.len(), 2);
    assert_eq!(notes(&pool_b).await, [b.slug.as_str()]);

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolled_back_or_failed_transactions_leave_nothing_behind() {
    let fx = Fixture::new().await;
    let (tenant, _) = fx.pooled_tenant().await;
    let pools = fx.pools(1, Duration::from_secs(5));
    let pool = pools.get(tenant.id).await.expect("pool");
    let gateway = fx.gateway_role();

    let check = |label: &'static str| {
        let pool = pool.clone();
        let gateway = gateway.clone();
        async move {
            let mut conn = pool.acquire().await.expect("the connection came back");
            let (user, _, path) = whoami(&mut conn).await;
            assert_eq!(user, gateway, "role reset after {label}");
            assert_eq!(path, "\"$user\", public", "search_path reset after {label}");
            assert!(
                outside_a_transaction(&mut conn).await,
                "in a transaction after {label}"
            );
        }
    };

    // Rolled back.
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("insert into notes values ('rolled back')")
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.rollback().await.expect("rollback");
    check("a rollback").await;
    assert_eq!(notes(&pool).await, [tenant.slug.as_str()]);

    // Failed, and dropped without commit or rollback (an early `?` return).
    let mut tx = pool.begin().await.expect("begin");
    let failed = sqlx::query("select 1 / 0").execute(&mut *tx).await;
    assert!(failed.is_err());
    drop(tx);
    check("a failed transaction").await;

    // Dropped while fine, with a write: not committed.
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("insert into notes values ('abandoned')")
        .execute(&mut *tx)
        .await
        .expect("insert");
    drop(tx);
    check("an abandoned transaction").await;
    assert_eq!(notes(&pool).await, [tenant.slug.as_str()]);
    let stats = pools.stats().total;
    assert_eq!(stats.creations, 1, "repaired, not replaced: {stats:?}");
    assert_eq!(stats.recoveries, 2, "{stats:?}");

    // A failed commit too (a deferred constraint fails at commit).
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query(
        "create table checked (x int, constraint positive unique (x) deferrable initially deferred)",
    )
    .execute(&mut *tx)
    .await
    .expect("create");
    sqlx::query("insert into checked values (1), (1)")
        .execute(&mut *tx)
        .await
        .expect("insert");
    assert!(tx.commit().await.is_err(), "the deferred check fails");
    check("a failed commit").await;

    drop(pools);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_access_cannot_write_on_the_shared_connection() {
    let fx = Fixture::new().await;
    let (tenant, _) = fx.pooled_tenant().await;
    let pools = fx.pools(1, Duration::from_secs(5));
    let pool = pools.get(tenant.id).await.expect("pool");

    let mut tx = pool.begin_with(true).await.expect("begin");
    let refused = sqlx::query("insert into notes values ('nope')")
        .execute(&mut *tx)
        .await;
    match refused {
        Err(sqlx::Error::Database(e)) => assert_eq!(e.code().as_deref(), Some("25006")),
        other => panic!("a read-only transaction wrote: {other:?}"),
    }
    drop(tx);
    // The next read-write transaction on the same connection may write again.
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("insert into notes values ('fine')")
        .execute(&mut *tx)
        .await
        .expect("a read-write transaction writes");
    tx.commit().await.expect("commit");
    assert_eq!(pools.stats().total.creations, 1);

    drop(pools);
    fx.cleanup().await;
}

/// The backend a transaction runs on.
async fn backend_of(pool: &TenantPool) -> i32 {
    let mut tx = pool.begin().await.expect("begin");
    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *tx)
        .await
        .expect("pid");
    tx.commit().await.expect("commit");
    pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_tenant_comes_back_to_the_backend_that_served_it() {
    let fx = Fixture::new().await;
    let tenants = fx.pooled_tenants(6).await;
    let pools = fx.pools(8, Duration::from_secs(5));
    let mut pools_by_tenant = Vec::new();
    for (tenant, _) in &tenants {
        pools_by_tenant.push(pools.get(tenant.id).await.expect("pool"));
    }
    // Taking turns, each tenant keeps to one backend (its catalog caches stay warm)…
    let first: Vec<i32> = {
        let mut pids = Vec::new();
        for pool in &pools_by_tenant {
            pids.push(backend_of(pool).await);
        }
        pids
    };
    for _ in 0..3 {
        for (pool, pid) in pools_by_tenant.iter().zip(&first) {
            assert_eq!(backend_of(pool).await, *pid, "the same backend again");
        }
    }
    // …and the tenants are spread over several backends, though one would have done
    // (no transaction overlapped another), each opened once.
    let mut distinct = first.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() > 1, "spread over backends: {first:?}");
    assert_eq!(pools.stats().total.creations as usize, distinct.len());

    drop(pools_by_tenant);
    drop(pools);
    fx.cleanup().await;
}
