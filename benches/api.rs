//! Rate of the tenant API's `GET /api/v1/customers` (a token, 50 rows as JSON) through
//! the whole stack — HTTP, token lookup, metering, tenant resolution, pool manager,
//! READ ONLY transaction, serialisation — beside the physical limit measured in the same
//! run: the same statement on the tenant's own pool, with no HTTP in between.
//!
//! `cargo bench --bench api`. Env: BENCH_SECONDS per measurement (5), BENCH_CONCURRENCY
//! (16). Ends with `BENCH api {json}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::tenants::NewTenant;

/// The page's statement as `crm::list` runs it (rows and a window count), 50 rows.
const LIST: &str = "select id, name, email, phone, status, notes, created_at, count(*) over () as total from customers where (name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2) order by lower(name), id limit 50 offset 0";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    let client = reqwest::Client::builder()
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
    let raw = load(concurrency, seconds, move |_| {
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
    let ours = load(concurrency, seconds, move |_| {
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

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

/// Runs `concurrency` workers for `seconds`, each issuing one request after another.
async fn load<F, Fut>(concurrency: usize, seconds: u64, make: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let logged = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let (make, logged) = (make.clone(), logged.clone());
        workers.spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match make(w).await {
                    Ok(()) => lat.push(t0.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if logged.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("error: {e:#}");
                        }
                    }
                }
            }
            (lat, errors)
        });
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    while let Some(Ok((l, e))) = workers.join_next().await {
        lat.extend(l);
        errors += e;
    }
    lat.sort();
    let at = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Figures {
        rps: lat.len() as f64 / started.elapsed().as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        errors,
    }
}
