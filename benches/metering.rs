//! What metering and rate limiting cost the hot path: the signed-in CRM page of one
//! isolated tenant served by two apps on the same control plane and cluster, one with
//! metering and the per-second limit on (a plan rate far above the load, so every
//! request takes a token from the bucket and is counted) and one with them off
//! (`TENANTRY_METERING=0`), measured in alternating rounds in the same run; and the time
//! of one usage flush for 10,000 tenants (one batched transaction).
//!
//! `cargo bench --bench metering`. Env: BENCH_SECONDS per round (5), BENCH_ROUNDS (12),
//! BENCH_CONCURRENCY (16), BENCH_FLUSH_TENANTS (10000). Ends with `BENCH metering {json}`.

use std::sync::Arc;
use std::time::Duration;

use tenantry::control::audit::{Actor, Origin};
use tenantry::control::metering::Meter;
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use uuid::Uuid;

const PASSWORD: &str = "bench passphrase 1234";
const KEY: &str = "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=";

mod common;

use common::{Figures, env, load, sign_in};

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// An app on the control plane at `url`, metering on or off; its port.
async fn app(url: &str, metering: bool) -> anyhow::Result<(u16, tenantry::AppState)> {
    let config = tenantry::Config::from_args([
        "--database-url",
        url,
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        KEY,
        "--log",
        "error",
        "--metering",
        if metering { "true" } else { "false" },
    ])?;
    let control = ControlDb::open(&config.db).await?;
    let state = tenantry::AppState::build(&control, config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(tenantry::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Ok((port, state))
}

async fn signed_in(slug: &str, port: u16) -> anyhow::Result<reqwest::Client> {
    let host = format!("{slug}.localhost");
    let client = common::http_client()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, ([127, 0, 0, 1], port).into())
        .build()?;
    let base = format!("http://{host}:{port}");
    sign_in(&client, &base, "bench@example.test", PASSWORD).await?;
    Ok(client)
}

/// The error page's message (its `<main>` text), to name an error's cause.
fn page_message(html: &str) -> String {
    let main = html
        .split_once("<main")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map_or(html, |(main, _)| main);
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The CRM page at `concurrency` for `seconds`; a failed request's cause is the error
/// page's message.
async fn measure(client: &reqwest::Client, url: &str, concurrency: usize, seconds: u64) -> Figures {
    let (client, url) = (client.clone(), url.to_owned());
    load(concurrency, seconds, move || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client.get(&url).send().await?;
            let status = r.status();
            let body = r.text().await?;
            anyhow::ensure!(
                status.is_success(),
                "HTTP {status}: {}",
                page_message(&body)
            );
            Ok(())
        }
    })
    .await
}

async fn run() -> anyhow::Result<()> {
    if let Ok(filter) = std::env::var("BENCH_LOG") {
        tenantry::telemetry::init_logging(&filter, false);
    }
    let seconds = env("BENCH_SECONDS", 5) as u64;
    let rounds = env("BENCH_ROUNDS", 12).max(1);
    let concurrency = env("BENCH_CONCURRENCY", 16).max(1);
    let flush_tenants = env("BENCH_FLUSH_TENANTS", 10_000).max(1);
    let data = tempfile::tempdir_in("/tmp")?;
    let cluster = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: vec![("max_connections".into(), "300".into())],
    })
    .await?;
    let url = cluster.url("postgres");
    let (on_port, on) = app(&url, true).await?;
    // BENCH_AA=1 runs the second app with metering on too: an A/A check that the two
    // apps differ only by metering.
    let aa = std::env::var("BENCH_AA").is_ok_and(|v| v == "1");
    let (off_port, _off) = app(&url, aa).await?;
    let t = on.tenancy.clone();

    // A plan whose rate the load never reaches: the bucket is checked on every request.
    let input = tenantry::control::plans::PlanInput {
        name: "Bench".into(),
        max_rps: "100000".into(),
        pool_size: "10".into(),
        default_tier: "isolated".into(),
        ..Default::default()
    };
    tenantry::control::plans::create(&t.db, &input, &Actor::cli(), &Origin::default()).await?;
    let slug = "bench-meter";
    let new = tenantry::tenancy::tenants::NewTenant {
        slug,
        name: "Bench",
        plan: "bench",
        tier: Some("isolated"),
    };
    let tenant = t
        .create(new, None, &Actor::cli(), &Origin::default())
        .await?;
    let tenant = t.settle(tenant.id, Duration::from_secs(120)).await?;
    anyhow::ensure!(tenant.status == "active", "{:?}", tenant.last_error);
    let hash = tenantry::auth::password::hash(PASSWORD.into()).await?;
    let user = Uuid::now_v7();
    sqlx::query(
        "insert into users (id, email, password_hash) values ($1, 'bench@example.test', $2)",
    )
    .bind(user)
    .bind(hash)
    .execute(&t.db)
    .await?;
    sqlx::query("insert into memberships (user_id, tenant_id, role) values ($1, $2, 'admin')")
        .bind(user)
        .bind(tenant.id)
        .execute(&t.db)
        .await?;
    tenantry::tenancy::modules::enable(
        &t,
        tenant.id,
        "crm",
        true,
        tenantry::tenancy::modules::Authority::Platform,
        &Actor::cli(),
        &Origin::default(),
    )
    .await?;
    let pool = t.pool(tenant.id).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("insert into customers (name, status) select format('Customer %s', n), 'active' from generate_series(1, 20) n")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let on_client = signed_in(slug, on_port).await?;
    let off_client = signed_in(slug, off_port).await?;
    let on_url = format!("http://{slug}.localhost:{on_port}/crm");
    let off_url = format!("http://{slug}.localhost:{off_port}/crm");
    // Warm both (pools, caches, templates).
    measure(&on_client, &on_url, concurrency, 1).await;
    measure(&off_client, &off_url, concurrency, 1).await;
    let (mut on_rps, mut off_rps, mut on_p50, mut off_p50) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut errors = 0;
    // Each round's cost, on against off measured back to back: the machine's drift
    // (seen here at ±30 % between rounds on a shared host) cancels within a pair.
    let mut paired_costs = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so drift does not favour one.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for metering in order {
            let figures = if metering {
                measure(&on_client, &on_url, concurrency, seconds).await
            } else {
                measure(&off_client, &off_url, concurrency, seconds).await
            };
            let (r, p) = if metering {
                (&mut on_rps, &mut on_p50)
            } else {
                (&mut off_rps, &mut off_p50)
            };
            r.push(figures.rps);
            p.push(figures.p50_ms);
            errors += figures.errors;
            println!(
                "round {round} metering {:<3} {:>8.1} req/s  p50 {:>6.2} ms  errors {}",
                if metering { "on" } else { "off" },
                figures.rps,
                figures.p50_ms,
                figures.errors
            );
        }
        let (on, off) = (on_rps[round], off_rps[round]);
        paired_costs.push((off - on) / off * 100.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        }
    };
    let (on_rps, off_rps) = (median(&mut on_rps), median(&mut off_rps));
    let (on_p50, off_p50) = (median(&mut on_p50), median(&mut off_p50));
    let cost_percent = median(&mut paired_costs.clone());
    println!(
        "CRM page: metering on {on_rps:.1} req/s, off {off_rps:.1} req/s (medians); \
         cost {cost_percent:.2} % (median of {rounds} paired rounds; limit 3 %)"
    );

    // One flush of one day's counts for many tenants: rows for them first.
    let ids: Vec<Uuid> = (0..flush_tenants).map(|_| Uuid::now_v7()).collect();
    let server = tenant.db_server_id;
    sqlx::query(
        "insert into tenants (id, slug, name, status, plan_id, tier, db_server_id, database_name, role_name)
         select id, 'f' || substr(replace(id::text, '-', ''), 1, 30), 'Flush', 'deleted', 'free', 'pooled', $2, 'none', 'none'
         from unnest($1::uuid[]) id",
    )
    .bind(&ids)
    .bind(server)
    .execute(&t.db)
    .await?;
    let meter = Meter::new();
    for id in &ids {
        meter.page_request(*id);
        meter.api_call(*id);
    }
    let flushed = meter.flush(&t.db).await?;
    let flush_ms = flushed.elapsed.as_secs_f64() * 1000.0;
    println!("one flush of {} tenants: {flush_ms:.1} ms", flushed.rows);
    let json = serde_json::json!({
        "crm_page_metering_on_rps": on_rps,
        "crm_page_metering_off_rps": off_rps,
        "crm_page_metering_on_p50_ms": on_p50,
        "crm_page_metering_off_p50_ms": off_p50,
        "metering_cost_percent": cost_percent,
        "metering_cost_limit_percent": 3.0,
        "errors": errors,
        "aa_check": aa,
        "flush_tenants": flushed.rows,
        "flush_ms": flush_ms,
        "paired_round_costs_percent": paired_costs,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "concurrency": concurrency,
    });
    println!("BENCH metering {json}");
    drop(cluster);
    Ok(())
}
