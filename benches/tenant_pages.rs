//! Page rate of the CRM customers page (signed in, 20 rows) through the whole stack —
//! HTTP, session, tenant resolution, pool manager, tenant database, template — beside the
//! physical limits measured in the same run:
//!
//! - `c16`/`c64`: raw queries on one tenant database vs the page for one (isolated)
//!   tenant vs the page spread uniformly over the isolated tenants;
//! - the page spread uniformly over many pooled tenants (one shared connection pool per
//!   shared database), with the tenant backends sampled from `pg_stat_activity`;
//! - the page spread uniformly over the isolated tenants vs a raw "connect as that
//!   tenant's role and run the page's queries" rate, and with a Zipf (s = 1.1) choice vs
//!   the one-tenant page;
//! - a new connection's time with a 4096-round SCRAM verifier vs ours (1 round).
//!
//! `cargo bench --bench tenant_pages`. Env: BENCH_POOLED_TENANTS (default 2000; the
//! issue's target is 10000, which takes about 50 min to provision here),
//! BENCH_ISOLATED_TENANTS (500), BENCH_SECONDS per measurement (5), BENCH_CREATORS
//! (tenants provisioned at once, 3), BENCH_HOLD_SECS (keep the signed-in server up and
//! print a `wrk` command). Ends with `BENCH tenant_pages {json}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};
use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::tenants::NewTenant;
use tenantry::tenancy::{Tenancy, scram};
use tokio::sync::Mutex;
use uuid::Uuid;

const PASSWORD: &str = "bench passphrase 1234";
const BUDGET: u32 = 60;
/// The page's one statement (`crm::list`: the rows and, as a window count, the total).
const LIST: &str = "select id, name, email, phone, status, notes, created_at, count(*) over () as total from customers where (name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2) order by lower(name), id limit 20 offset 0";

mod common;

use common::{Figures, env, load, sign_in};

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// A bench tenant: slug, id, and where its data is.
#[derive(Clone)]
struct BenchTenant {
    slug: String,
    id: Uuid,
    /// `Host` and `Cookie` of a signed-in request to this tenant's console.
    host: String,
    cookie: String,
}

async fn run() -> anyhow::Result<()> {
    // Issue 10's target is 10,000; provisioning that many took 50 min on the shared
    // 2-core machine (it slows as the catalog grows), so the default is what a run can
    // afford. Set BENCH_POOLED_TENANTS=10000 for the target.
    let pooled_count = env("BENCH_POOLED_TENANTS", 2_000).max(1);
    let isolated_count = env("BENCH_ISOLATED_TENANTS", 500).max(1);
    let seconds = env("BENCH_SECONDS", 5) as u64;
    // More than 3 at once can starve the provisioning admin pool (4 connections) when all
    // wait on the template or shared-database lock.
    let creators = env("BENCH_CREATORS", 3).max(1);
    let data = tempfile::tempdir_in("/tmp")?;
    let cluster = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: vec![("max_connections".into(), "300".into())],
    })
    .await?;
    let url = cluster.url("postgres");
    let key = "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=";
    let budget = BUDGET.to_string();
    let config = tenantry::Config::from_args([
        "--database-url",
        &url,
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        key,
        "--log",
        "error",
        "--tenant-connections",
        &budget,
    ])?;
    let control = ControlDb::open(&config.db).await?;
    let state = tenantry::AppState::build(&control, config).await?;
    let t = state.tenancy.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(tenantry::serve(listener, state, std::future::pending()));
    let admin = PgPool::connect(&url).await?;
    let mut rows: Vec<String> = Vec::new();

    // A new connection's time with the old and the new SCRAM iteration count.
    let (scram_4096, scram_1) = scram_connects(&admin, &cluster, 200).await?;
    rows.push(format!(
        "new connection, SCRAM 4096 rounds {scram_4096:>6.2} ms   1 round {scram_1:>6.2} ms"
    ));

    // A user who is an admin of every tenant. Its hash uses argon2's smallest parameters
    // (verification reads them from the hash) so signing in to 10,000 hosts is quick;
    // the measured pages never hash.
    let hash = cheap_hash(PASSWORD)?;
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash) values ($1, 'bench@example.test', $2)",
    )
    .bind(user)
    .bind(&hash)
    .execute(&t.db)
    .await?;

    // Room for every bench tenant on the one server (a server takes 5,000 by default).
    sqlx::query("update db_servers set capacity = 100000")
        .execute(&t.db)
        .await?;
    // This bench measures the data path; the plans' per-tenant rate limit (measured by
    // `benches/metering.rs`) would answer most of its requests with 429.
    sqlx::query("update plans set max_requests_per_second = null where id = 'pro'")
        .execute(&t.db)
        .await?;
    let started = Instant::now();
    let isolated = create_tenants(&t, user, "iso", "isolated", isolated_count, creators).await?;
    let created_isolated = started.elapsed();
    let pooled = create_tenants(&t, user, "pool", "pooled", pooled_count, creators).await?;
    rows.push(format!(
        "created {} isolated tenants in {:.0} s, {} pooled in {:.0} s",
        isolated.len(),
        created_isolated.as_secs_f64(),
        pooled.len(),
        (started.elapsed() - created_isolated).as_secs_f64()
    ));

    let rss_provisioned = rss_mb();
    let (signing_in, jar) = sign_in_everywhere(port, isolated.iter().chain(&pooled)).await?;
    let rss_signed_in = rss_mb();
    // The measurements send each tenant's `Host` and session cookie themselves, over a
    // few keep-alive connections to 127.0.0.1, as `wrk -H` would: the load generator
    // shares the 2 cores with the server, and a cookie jar (which scans every stored
    // domain on every request) or a connection per tenant host would measure the client.
    let mut isolated = isolated;
    let mut pooled = pooled;
    for tenant in isolated.iter_mut().chain(pooled.iter_mut()) {
        use reqwest::cookie::CookieStore;
        tenant.host = format!("{}.localhost:{port}", tenant.slug);
        let url: reqwest::Url = format!("http://{}/crm", tenant.host).parse()?;
        tenant.cookie = jar
            .cookies(&url)
            .and_then(|c| c.to_str().ok().map(str::to_owned))
            .ok_or_else(|| anyhow::anyhow!("no session cookie for {}", tenant.slug))?;
    }
    // The sign-in client's connections (one per host) are closed now.
    drop(signing_in);
    let client = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(128)
        .build()?;
    if let Some(secs) = std::env::var("BENCH_HOLD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        hold(&jar, &isolated[0].slug, port, secs).await?;
    }
    drop(jar);
    let check = client
        .get(format!("http://127.0.0.1:{port}/crm"))
        .header("host", &isolated[0].host)
        .header("cookie", &isolated[0].cookie)
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        check.matches("class=\"customer-row\"").count() == 20,
        "the page shows 20 rows"
    );

    // The raw limit: the page's statement on the first tenant's database.
    let first_db: String = sqlx::query_scalar("select database_name from tenants where id = $1")
        .bind(isolated[0].id)
        .fetch_one(&t.db)
        .await?;
    let raw_options = cluster
        .url(&first_db)
        .parse::<sqlx::postgres::PgConnectOptions>()?;

    let mut json = serde_json::Map::new();
    let mut one_rps = [0.0f64; 2];
    let mut one_vs_raw = f64::MAX;
    let isolated = Arc::new(isolated);
    let pooled = Arc::new(pooled);
    for (n, concurrency) in [16usize, 64].into_iter().enumerate() {
        // The same pool settings as ours (no ping on a busy connection's checkout).
        let raw_pool = tenantry::pg::pool::options()
            .max_connections(concurrency as u32)
            .connect_with(raw_options.clone())
            .await?;
        let shared = raw_pool.clone();
        let raw = load(concurrency, seconds, move || {
            let pool = shared.clone();
            async move {
                let mut tx = pool.begin().await?;
                page_queries(&mut tx).await?;
                tx.commit().await?;
                anyhow::Ok(())
            }
        })
        .await;
        raw_pool.close().await;
        let one = pages(
            &client,
            port,
            concurrency,
            seconds,
            isolated.clone(),
            Choice::First,
        )
        .await;
        let spread = pages(
            &client,
            port,
            concurrency,
            seconds,
            isolated.clone(),
            Choice::Uniform,
        )
        .await;
        for (name, f) in [
            ("raw query", &raw),
            ("page, 1 tenant", &one),
            (&*format!("page, {} isolated", isolated.len()), &spread),
        ] {
            rows.push(row(concurrency, name, f));
        }
        one_rps[n] = one.rps;
        one_vs_raw = one_vs_raw.min(one.rps / raw.rps);
        json.insert(
            format!("c{concurrency}"),
            serde_json::json!({
                "raw_rps": raw.rps, "raw_p50_ms": raw.p50_ms, "raw_p99_ms": raw.p99_ms,
                "one_rps": one.rps, "one_p50_ms": one.p50_ms, "one_p99_ms": one.p99_ms, "one_errors": one.errors,
                "spread_rps": spread.rps, "spread_p50_ms": spread.p50_ms, "spread_p99_ms": spread.p99_ms, "spread_errors": spread.errors,
                "one_vs_raw": one.rps / raw.rps, "spread_tenants": isolated.len(),
            }),
        );
    }

    // Pooled tenants, uniform, with the tenant backends sampled meanwhile. First one
    // request per tenant, as a steady state would have it: the per-tenant caches (tenant
    // lookup, schema version, modules, route) live 30 s, and at these rates a tenant is
    // asked for more often than that; a 5 s run over 10,000 tenants would otherwise
    // measure mostly first requests.
    warm_up(&client, port, &pooled).await;
    let sampler = Sampler::start(&url).await?;
    let pooled_run = pages(&client, port, 16, seconds, pooled.clone(), Choice::Uniform).await;
    let (pooled_backends, samples) = sampler.stop().await;
    let rss_mb = rss_mb();
    rows.push(row(
        16,
        &format!("page, {} pooled", pooled.len()),
        &pooled_run,
    ));
    rows.push(format!(
        "        pooled: tenant backends at most {pooled_backends} of {BUDGET} ({samples} samples); RSS {rss_mb:.0} MB (after provisioning {rss_provisioned:.0} MB, after signing in {rss_signed_in:.0} MB)"
    ));

    // Isolated tenants: uniform vs connecting as each tenant; Zipf vs one tenant. The
    // pool's own connections are closed first, so the raw connects do not meet the
    // tenant roles' connection limits.
    for tenant in isolated.iter() {
        t.pools.evict(tenant.id).await;
    }
    let connect = connect_limit(&t, 16, seconds, isolated.clone()).await;
    warm_up(&client, port, &isolated).await;
    let sampler = Sampler::start(&url).await?;
    let isolated_run = pages(
        &client,
        port,
        16,
        seconds,
        isolated.clone(),
        Choice::Uniform,
    )
    .await;
    let (isolated_backends, _) = sampler.stop().await;
    let cdf = Arc::new(zipf_cdf(isolated.len(), 1.1));
    let zipf = pages(
        &client,
        port,
        16,
        seconds,
        isolated.clone(),
        Choice::Zipf(cdf.clone()),
    )
    .await;
    // The physical bound beside it: at best the budget's worth of most-asked tenants
    // stay connected (one backend each), and every other request needs a new backend,
    // at the connect limit measured above.
    let warm_share = cdf[(BUDGET as usize).min(cdf.len()) - 1];
    let zipf_bound =
        1.0 / (warm_share / one_rps[0] + (1.0 - warm_share) / connect.rps.max(f64::MIN_POSITIVE));
    rows.push(row(16, "connect + queries", &connect));
    rows.push(row(
        16,
        &format!("page, {} isolated", isolated.len()),
        &isolated_run,
    ));
    rows.push(row(16, "page, Zipf 1.1", &zipf));
    rows.push(format!(
        "        Zipf bound: {:.0} % of requests on the {BUDGET} most-asked tenants, so at most {zipf_bound:.0} req/s ({:.2} of one tenant)",
        warm_share * 100.0,
        zipf_bound / one_rps[0]
    ));
    rows.push(format!(
        "        isolated: tenant backends at most {isolated_backends} of {BUDGET}; {}",
        pool_figures(&t)
    ));

    for r in &rows {
        println!("{r}");
    }
    json.insert("one_vs_raw".into(), one_vs_raw.into());
    json.insert("pooled_spread_tenants".into(), pooled.len().into());
    json.insert(
        "pooled_spread_vs_one".into(),
        (pooled_run.rps / one_rps[0]).into(),
    );
    json.insert("pooled_spread_errors".into(), pooled_run.errors.into());
    json.insert("pooled_max_tenant_backends".into(), pooled_backends.into());
    json.insert("isolated_spread_tenants".into(), isolated.len().into());
    json.insert(
        "isolated_spread_vs_connect_limit".into(),
        (isolated_run.rps / connect.rps).into(),
    );
    json.insert(
        "isolated_zipf_vs_one".into(),
        (zipf.rps / one_rps[0]).into(),
    );
    json.insert(
        "isolated_zipf_bound_vs_one".into(),
        (zipf_bound / one_rps[0]).into(),
    );
    json.insert("budget".into(), BUDGET.into());
    json.insert("rss_mb".into(), rss_mb.into());
    admin.close().await;
    control.close().await;
    cluster.stop().await?;
    println!("BENCH tenant_pages {}", serde_json::Value::Object(json));
    Ok(())
}

fn row(concurrency: usize, name: &str, f: &Figures) -> String {
    format!(
        "c={concurrency:<3} {name:<20} {:>8.0} req/s  p50 {:>6.1} ms  p99 {:>7.1} ms  errors {}",
        f.rps, f.p50_ms, f.p99_ms, f.errors
    )
}

fn pool_figures(t: &Tenancy) -> String {
    let s = t.pools.stats().total;
    format!(
        "connections opened {}, closed {} (LRU {}), waits {}, recovered {}",
        s.creations, s.evictions, s.reclaimed, s.waits, s.recoveries
    )
}

async fn page_queries(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query(LIST)
        .bind("%%")
        .bind("")
        .fetch_all(&mut *conn)
        .await?;
    Ok(())
}

fn cheap_hash(password: &str) -> anyhow::Result<String> {
    use password_hash::PasswordHasher;
    let params = argon2::Params::new(8, 1, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    argon
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Mean time of `n` connect-and-close round trips as a role whose verifier has 4096
/// rounds, and as one with [`scram::ITERATIONS`].
async fn scram_connects(
    admin: &PgPool,
    cluster: &EmbeddedCluster,
    n: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut means = Vec::new();
    for (role, rounds) in [
        ("bench_scram_4096", 4096),
        ("bench_scram_new", scram::ITERATIONS),
    ] {
        let password = scram::random_password();
        let verifier = scram::verifier_with_iterations(&password, rounds);
        sqlx::raw_sql(&format!("create role {role} login password '{verifier}'"))
            .execute(admin)
            .await?;
        let options = cluster
            .url("postgres")
            .parse::<sqlx::postgres::PgConnectOptions>()?
            .username(role)
            .password(&password);
        let started = Instant::now();
        for _ in 0..n {
            let conn = PgConnection::connect_with(&options).await?;
            conn.close().await?;
        }
        means.push(started.elapsed().as_secs_f64() * 1000.0 / n as f64);
    }
    Ok((means[0], means[1]))
}

/// Provisions `count` tenants of `tier`, `creators` at a time, each with CRM enabled, the
/// bench user as admin and 20 customers.
async fn create_tenants(
    t: &Tenancy,
    user: Uuid,
    prefix: &str,
    tier: &str,
    count: usize,
    creators: usize,
) -> anyhow::Result<Vec<BenchTenant>> {
    let next = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..creators {
        let (t, next, made) = (t.clone(), next.clone(), made.clone());
        let (prefix, tier) = (prefix.to_owned(), tier.to_owned());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return anyhow::Ok(());
                }
                let slug = format!("{prefix}-{i}");
                let id = create_tenant(&t, user, &slug, &tier).await?;
                let mut made = made.lock().await;
                made.push(BenchTenant {
                    slug,
                    id,
                    host: String::new(),
                    cookie: String::new(),
                });
                if made.len() % 500 == 0 {
                    eprintln!(
                        "{} {tier} tenants made in {:.0} s",
                        made.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let mut made = std::mem::take(&mut *made.lock().await);
    made.sort_by_key(|b| b.slug.clone());
    Ok(made)
}

async fn create_tenant(t: &Tenancy, user: Uuid, slug: &str, tier: &str) -> anyhow::Result<Uuid> {
    let tenant = t
        .create(
            NewTenant {
                slug,
                name: slug,
                plan: "pro",
                tier: Some(tier),
            },
            None,
            &Actor::system(),
            &Origin::default(),
        )
        .await?;
    // Another creator may be running this tenant's job: wait for the outcome itself.
    let deadline = Instant::now() + Duration::from_secs(600);
    let tenant = loop {
        tenantry::tenancy::worker::run_next(t, None).await?;
        let tenant = tenantry::tenancy::tenants::get(&t.db, tenant.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{slug} disappeared"))?;
        if tenant.status == "active" {
            break tenant;
        }
        anyhow::ensure!(
            tenant.last_error.is_none() && Instant::now() < deadline,
            "{slug} is {}: {:?}",
            tenant.status,
            tenant.last_error
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // CRM enabled by its row; the first `pool` runs its migrations.
    sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
        .bind(tenant.id)
        .execute(&t.db)
        .await?;
    sqlx::query("insert into memberships (user_id, tenant_id, role) values ($1, $2, 'admin')")
        .bind(user)
        .bind(tenant.id)
        .execute(&t.db)
        .await?;
    t.changed(tenant.id);
    let pool = t.pool(tenant.id).await?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into customers (name, status) \
         select format('Customer %s', to_char(n, 'FM00')), 'active' from generate_series(0, 19) n",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(tenant.id)
}

/// A client signed in on every tenant's host (sessions are host-only).
async fn sign_in_everywhere<'a>(
    port: u16,
    tenants: impl Iterator<Item = &'a BenchTenant>,
) -> anyhow::Result<(reqwest::Client, Arc<reqwest::cookie::Jar>)> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let tenants: Vec<BenchTenant> = tenants.cloned().collect();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut builder = common::http_client()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        // No keep-alive: a connection kept per tenant host would leave 10,000 of them
        // open in this process (which holds both ends), with their buffers, and the RSS
        // measured after the run would be the sign-in's high-water mark.
        .pool_max_idle_per_host(0);
    for tenant in &tenants {
        builder = builder.resolve(&format!("{}.localhost", tenant.slug), addr);
    }
    let client = builder.build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let tenants = Arc::new(tenants);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, next, tenants) = (client.clone(), next.clone(), tenants.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(tenant) = tenants.get(i) else {
                    return anyhow::Ok(());
                };
                sign_in(
                    &client,
                    &format!("http://{}.localhost:{port}", tenant.slug),
                    "bench@example.test",
                    PASSWORD,
                )
                .await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok((client, jar))
}

/// Keeps the signed-in server up for `secs` and prints a wrk command for one tenant's CRM
/// page, so an outside load generator or a profiler can be pointed at it.
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
    tokio::time::sleep(Duration::from_secs(secs)).await;
    Ok(())
}

/// How each request picks its tenant.
#[derive(Clone)]
enum Choice {
    First,
    Uniform,
    /// Cumulative weights of a Zipf distribution over the tenants.
    Zipf(Arc<Vec<f64>>),
}

impl Choice {
    fn pick(&self, n: usize) -> usize {
        match self {
            Choice::First => 0,
            Choice::Uniform => rand::random_range(0..n),
            Choice::Zipf(cdf) => {
                let u: f64 = rand::random();
                cdf.partition_point(|c| *c < u).min(n - 1)
            }
        }
    }
}

/// The cumulative distribution of Zipf(s) over `n` ranks.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect()
}

async fn pages(
    client: &reqwest::Client,
    port: u16,
    concurrency: usize,
    seconds: u64,
    tenants: Arc<Vec<BenchTenant>>,
    choice: Choice,
) -> Figures {
    let client = client.clone();
    load(concurrency, seconds, move || {
        let (client, tenants, choice) = (client.clone(), tenants.clone(), choice.clone());
        async move {
            let tenant = &tenants[choice.pick(tenants.len())];
            page(&client, tenant, port).await
        }
    })
    .await
}

/// One page per tenant, 16 at a time; errors are logged and otherwise ignored.
async fn warm_up(client: &reqwest::Client, port: u16, tenants: &Arc<Vec<BenchTenant>>) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, next, tenants) = (client.clone(), next.clone(), tenants.clone());
        workers.spawn(async move {
            while let Some(tenant) = tenants.get(next.fetch_add(1, Ordering::Relaxed)) {
                if let Err(e) = page(&client, tenant, port).await {
                    eprintln!("warm-up error: {e:#}");
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

async fn page(client: &reqwest::Client, tenant: &BenchTenant, port: u16) -> anyhow::Result<()> {
    let slug = &tenant.slug;
    let r = client
        .get(format!("http://127.0.0.1:{port}/crm"))
        .header("host", &tenant.host)
        .header("cookie", &tenant.cookie)
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await?;
    anyhow::ensure!(
        status == reqwest::StatusCode::OK,
        "{slug}: {status}: {}",
        reason(&body)
    );
    Ok(())
}

/// What an error page says (its `#error-message`), or the start of whatever came back.
fn reason(body: &str) -> String {
    let said = body
        .split_once("id=\"error-message\">")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(message, _)| message.trim());
    said.unwrap_or(body).chars().take(300).collect()
}

/// The limit when every request needs a new backend: connect as a random tenant's role,
/// run the page's queries in a transaction, close.
async fn connect_limit(
    t: &Tenancy,
    concurrency: usize,
    seconds: u64,
    tenants: Arc<Vec<BenchTenant>>,
) -> Figures {
    let mut options = Vec::with_capacity(tenants.len());
    for tenant in tenants.iter() {
        match tenantry::tenancy::pools::load_target(&t.db, &t.key, tenant.id).await {
            Ok(Some(target)) => options.push(target.tenant_options()),
            other => eprintln!("no target for {}: {other:?}", tenant.slug),
        }
    }
    let options = Arc::new(options);
    load(concurrency, seconds, move || {
        let options = options.clone();
        async move {
            let target = &options[rand::random_range(0..options.len())];
            let mut conn = PgConnection::connect_with(target).await?;
            let mut tx = conn.begin().await?;
            page_queries(&mut tx).await?;
            tx.commit().await?;
            conn.close().await?;
            anyhow::Ok(())
        }
    })
    .await
}

/// Counts tenant backends (`tenantry:<slug>` and `tenantry:gateway`) as often as it can.
struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(i64, usize)>,
}

impl Sampler {
    async fn start(url: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::connect(url).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let (mut most, mut samples) = (0i64, 0usize);
            while !flag.load(Ordering::Acquire) {
                let n: i64 = sqlx::query_scalar(
                    "select count(*) from pg_stat_activity where application_name like 'tenantry:%' \
                     and application_name <> 'tenantry:provisioning'",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap_or(-1);
                most = most.max(n);
                samples += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (most, samples)
        });
        Ok(Self { stop, task })
    }

    async fn stop(self) -> (i64, usize) {
        self.stop.store(true, Ordering::Release);
        self.task.await.unwrap_or((-1, 0))
    }
}

/// This process's resident set (the server runs in it), in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(-1.0, |kb| kb / 1024.0)
}
