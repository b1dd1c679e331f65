//! Rate of the tenant API's `GET /api/v1/customers` (a token, 50 rows as JSON) through
//! the whole stack — HTTP, token lookup, metering, tenant resolution, pool manager,
//! READ ONLY transaction, serialisation — beside the physical limit measured in the same
//! run: the same statement on the tenant's own pool, with no HTTP in between.
//!
//! `cargo bench --bench api`. Env: BENCH_SECONDS per measurement (5), BENCH_CONCURRENCY
//! (16). Ends with `BENCH api {json}`.

use std::time::Duration;

use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::tenants::NewTenant;

/// The page's statement as `crm::list` runs it (rows and a window count), 50 rows.
const LIST: &str = "select id, name, email, phone, status, notes, created_at, count(*) over () as total from customers where (name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2) order by lower(name), id limit 50 offset 0";

mod common;

use common::{env, load};

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let seconds = env("BENCH_SECONDS", 5) as u64;
    let concurrency = env("BENCH_CONCURRENCY", 16).max(1);
    let data = tempfile::tempdir_in("/tmp")?;
    let cluster = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: vec![],
    })
    .await?;
    let url = cluster.url("postgres");
    let config = tenantry::Config::from_args([
        "--database-url",
        &url,
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=",
        "--log",
        "error",
        // The per-token quota (calls a minute) would refuse a benchmark; it stays on, at
        // its ceiling, so its check is in the measured path.
        "--api-rate-limit",
        "1000000",
    ])?;
    let control = ControlDb::open(&config.db).await?;
    let state = tenantry::AppState::build(&control, config).await?;
    let t = state.tenancy.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(tenantry::serve(listener, state, std::future::pending()));

    // The plan's monthly allowance and per-second limit would refuse a benchmark.
    sqlx::query(
        "update plans set max_api_calls_per_month = null, max_requests_per_second = null where id = 'pro'",
    )
    .execute(&t.db)
    .await?;
    let slug = "apibench";
    let tenant = t
        .create(
            NewTenant {
                slug,
                name: slug,
                plan: "pro",
                tier: Some("isolated"),
            },
            None,
            &Actor::system(),
            &Origin::default(),
        )
        .await?;
    let tenant = t.settle(tenant.id, Duration::from_secs(120)).await?;
    anyhow::ensure!(tenant.status == "active", "{:?}", tenant.last_error);
    sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
        .bind(tenant.id)
        .execute(&t.db)
        .await?;
    t.changed(tenant.id);
    let pool = t.pool(tenant.id).await?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into customers (name, status) \
         select format('Customer %s', to_char(n, 'FM000')), 'active' from generate_series(0, 199) n",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let token = tenantry::control::api_tokens::create(
        &t.db,
        tenant.id,
        "bench",
        &Actor::system(),
        &Origin::default(),
    )
    .await?;

    let host = format!("{slug}.localhost");
    let client = common::http_client()
        .resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let api_url = format!("http://{host}:{port}/api/v1/customers");
    // Warm both paths (pool connections, caches).
    for _ in 0..50 {
        client
            .get(&api_url)
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
    }
    let raw_pool = pool.clone();
    let raw = load(concurrency, seconds, move || {
        let pool = raw_pool.clone();
        async move {
            let mut tx = pool.begin().await?;
            sqlx::query("set transaction read only")
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query(LIST)
                .bind("%%")
                .bind("")
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            anyhow::ensure!(rows.len() == 50, "{} rows", rows.len());
            Ok(())
        }
    })
    .await;
    let ours = load(concurrency, seconds, move || {
        let (client, url, token) = (client.clone(), api_url.clone(), token.clone());
        async move {
            let body = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            anyhow::ensure!(body.len() > 1000, "short answer");
            Ok(())
        }
    })
    .await;
    println!(
        "c{concurrency} raw query {:>8.0} /s p50 {:>6.2} ms p99 {:>6.2} ms | GET /api/v1/customers {:>8.0} /s p50 {:>6.2} ms p99 {:>6.2} ms | ratio {:.2} | errors {} + {}",
        raw.rps,
        raw.p50_ms,
        raw.p99_ms,
        ours.rps,
        ours.p50_ms,
        ours.p99_ms,
        ours.rps / raw.rps.max(1.0),
        raw.errors,
        ours.errors
    );
    let json = serde_json::json!({
        "concurrency": concurrency,
        "seconds": seconds,
        "api_customers_rps": ours.rps,
        "api_customers_p50_ms": ours.p50_ms,
        "api_customers_p99_ms": ours.p99_ms,
        "raw_query_rps": raw.rps,
        "raw_query_p50_ms": raw.p50_ms,
        "raw_query_p99_ms": raw.p99_ms,
        "ratio": ours.rps / raw.rps.max(1.0),
        "errors": ours.errors + raw.errors,
    });
    drop(pool);
    cluster.stop().await?;
    println!("BENCH api {json}");
    Ok(())
}
