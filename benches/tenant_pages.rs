//! Page rate of the CRM customers page (signed in, 20 rows) through the whole stack —
//! HTTP, session, tenant resolution, pool manager, tenant database, template — beside the
//! raw rate of the same queries run straight against PostgreSQL in the same run, at the
//! same concurrency. One tenant, then requests spread across many tenants (isolated and
//! pooled) under the default connection budget.
//!
//! `cargo bench --bench tenant_pages` (env BENCH_SPREAD_TENANTS, default 500;
//! BENCH_SECONDS per measurement, default 5). Ends with `BENCH tenant_pages {json}`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tenantry::control::audit::{Actor, Origin};
use tenantry::modules::TenantDb;
use tenantry::modules::crm::{self, CustomerInput};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::modules::{self, Authority};
use tenantry::tenancy::tenants::NewTenant;
use tenantry::tenancy::worker;

const PASSWORD: &str = "bench passphrase 1234";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

fn figures(mut lat: Vec<Duration>, errors: usize, elapsed: Duration) -> Figures {
    lat.sort();
    let at = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Figures {
        rps: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        errors,
    }
}

async fn run() -> anyhow::Result<()> {
    let spread: usize = std::env::var("BENCH_SPREAD_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let data = tempfile::tempdir_in("/tmp")?;
    let cluster = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: vec![("max_connections".into(), "300".into())],
    })
    .await?;
    let url = cluster.url("postgres");
    let key = "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=";
    let config = tenantry::Config::from_args([
        "--database-url",
        &url,
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        key,
        "--log",
        "error",
    ])?;
    let control = ControlDb::open(&config.db).await?;
    let state = tenantry::AppState::build(&control, config).await?;
    let t = state.tenancy.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(tenantry::serve(listener, state, std::future::pending()));

    // A user who is an admin of every tenant; each tenant has CRM and 20 customers.
    let hash = tenantry::auth::password::hash(PASSWORD.into()).await?;
    let user = uuid::Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash) values ($1, 'bench@example.test', $2)",
    )
    .bind(user)
    .bind(&hash)
    .execute(&t.db)
    .await?;
    let mut slugs: Vec<String> = Vec::new();
    for i in 0..spread.max(1) {
        let slug = format!("bench-{i}");
        let tier = if i % 2 == 0 { "isolated" } else { "pooled" };
        let tenant = t
            .create(
                NewTenant {
                    slug: &slug,
                    name: &slug,
                    plan: "pro",
                    tier: Some(tier),
                },
                None,
                &Actor::system(),
                &Origin::default(),
            )
            .await?;
        worker::run_next(&t, None).await?;
        modules::enable(
            &t,
            tenant.id,
            "crm",
            false,
            Authority::Platform,
            &Actor::system(),
            &Origin::default(),
        )
        .await?;
        sqlx::query("insert into memberships (user_id, tenant_id, role) values ($1, $2, 'admin')")
            .bind(user)
            .bind(tenant.id)
            .execute(&t.db)
            .await?;
        let db = TenantDb::new(t.pool(tenant.id).await?, false);
        for c in 0..20 {
            let input = CustomerInput {
                name: format!("Customer {c:02}"),
                status: "active".into(),
                ..Default::default()
            };
            crm::create(&db, &input).await?;
        }
        t.pools.evict(tenant.id).await;
        slugs.push(slug);
    }

    // One signed-in cookie jar for every tenant host.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let mut builder = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    for slug in &slugs {
        builder = builder.resolve(&format!("{slug}.localhost"), addr);
    }
    let client = builder.build()?;
    for slug in &slugs {
        let base = format!("http://{slug}.localhost:{port}");
        let html = client
            .get(format!("{base}/login"))
            .send()
            .await?
            .text()
            .await?;
        let token = extract(&html, "name=\"csrf_token\" value=\"")
            .ok_or_else(|| anyhow::anyhow!("no csrf token"))?;
        let r = client
            .post(format!("{base}/login"))
            .form(&[
                ("email", "bench@example.test"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ])
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_redirection(),
            "sign-in failed on {slug}: {}",
            r.status()
        );
    }
    let slugs = Arc::new(slugs);
    if let Some(secs) = std::env::var("BENCH_HOLD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        hold(&jar, &slugs[0], port, secs).await?;
    }
    let check = client
        .get(format!("http://{}.localhost:{port}/crm", slugs[0]))
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        check.matches("class=\"customer-row\"").count() == 20,
        "the page shows 20 rows"
    );

    // The raw limit: the page's two queries on the first tenant's database.
    let first_db: String = sqlx::query_scalar("select database_name from tenants where slug = $1")
        .bind(&slugs[0])
        .fetch_one(&t.db)
        .await?;
    let raw_pool = PgPool::connect(&cluster.url(&first_db)).await?;

    let mut rows = Vec::new();
    let mut json = serde_json::Map::new();
    for concurrency in [16usize, 64] {
        // The same pool settings as ours (no ping on a busy connection's checkout).
        let raw_pool_c = tenantry::pg::pool::options()
            .max_connections(concurrency as u32)
            .connect_with(raw_pool.connect_options().as_ref().clone())
            .await?;
        let shared = raw_pool_c.clone();
        let raw = load(concurrency, seconds, move |_| {
            let pool = shared.clone();
            async move {
                let mut tx = pool.begin().await?;
                sqlx::query("select id, name, email, phone, status, notes, created_at from customers where (name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2) order by lower(name), id limit 20 offset 0")
                    .bind("%%").bind("").fetch_all(&mut *tx).await?;
                sqlx::query("select count(*) from customers where (name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2)")
                    .bind("%%").bind("").fetch_one(&mut *tx).await?;
                tx.commit().await?;
                anyhow::Ok(())
            }
        })
        .await;
        raw_pool_c.close().await;
        let (c, s) = (client.clone(), slugs.clone());
        let one = load(concurrency, seconds, move |_| {
            let (c, slug) = (c.clone(), s[0].clone());
            async move { page(&c, &slug, port).await }
        })
        .await;
        let (c, s) = (client.clone(), slugs.clone());
        let many = load(concurrency, seconds, move |i| {
            let (c, slug) = (c.clone(), s[i % s.len()].clone());
            async move { page(&c, &slug, port).await }
        })
        .await;
        for (name, f) in [
            ("raw query", &raw),
            ("page, 1 tenant", &one),
            (&*format!("page, {} tenants", slugs.len()), &many),
        ] {
            rows.push(format!(
                "c={concurrency:<3} {name:<18} {:>8.0} req/s  p50 {:>6.1} ms  p99 {:>7.1} ms  errors {}",
                f.rps, f.p50_ms, f.p99_ms, f.errors
            ));
        }
        json.insert(
            format!("c{concurrency}"),
            serde_json::json!({
                "raw_rps": raw.rps, "raw_p50_ms": raw.p50_ms, "raw_p99_ms": raw.p99_ms,
                "one_rps": one.rps, "one_p50_ms": one.p50_ms, "one_p99_ms": one.p99_ms, "one_errors": one.errors,
                "spread_rps": many.rps, "spread_p50_ms": many.p50_ms, "spread_p99_ms": many.p99_ms, "spread_errors": many.errors,
                "one_vs_raw": one.rps / raw.rps, "spread_tenants": slugs.len(),
            }),
        );
    }
    for r in &rows {
        println!("{r}");
    }
    raw_pool.close().await;
    control.close().await;
    cluster.stop().await?;
    println!("BENCH tenant_pages {}", serde_json::Value::Object(json));
    Ok(())
}

/// Keeps the signed-in server up for `secs` and prints a wrk command for its CRM page,
/// so an outside load generator or a profiler can be pointed at it.
async fn hold(jar: &reqwest::cookie::Jar, slug: &str, port: u16, secs: u64) -> anyhow::Result<()> {
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = format!("http://{slug}.localhost:{port}/crm").parse()?;
    let cookie = jar
        .cookies(&url)
        .and_then(|c| c.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    println!(
        "HOLD {secs} s: wrk -t1 -c16 -d10s -H 'Host: {slug}.localhost:{port}' -H 'Cookie: {cookie}' http://127.0.0.1:{port}/crm"
    );
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    Ok(())
}

async fn page(client: &reqwest::Client, slug: &str, port: u16) -> anyhow::Result<()> {
    let r = client
        .get(format!("http://{slug}.localhost:{port}/crm"))
        .send()
        .await?;
    anyhow::ensure!(
        r.status() == reqwest::StatusCode::OK,
        "{slug}: {}",
        r.status()
    );
    r.bytes().await?;
    Ok(())
}

/// Runs `concurrency` workers for `seconds`, each issuing one request after another.
async fn load<F, Fut>(concurrency: usize, seconds: u64, make: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let make = make.clone();
        workers.spawn(async move {
            let (mut lat, mut errors, mut i) = (Vec::new(), 0usize, w * 7919);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match make(i).await {
                    Ok(()) => lat.push(t0.elapsed()),
                    Err(_) => errors += 1,
                }
                i += 1;
            }
            (lat, errors)
        });
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    while let Some(Ok((lat, e))) = workers.join_next().await {
        all.extend(lat);
        errors += e;
    }
    figures(all, errors, started.elapsed())
}

fn extract(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}
