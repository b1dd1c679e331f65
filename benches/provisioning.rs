//! Provisioning speed, beside the physical limit measured in the same run on the same
//! cluster: a raw `CREATE DATABASE … TEMPLATE` (isolated tier) and a raw `CREATE SCHEMA`
//! plus the base DDL (pooled tier). Then a fleet migration across 200 tenants.
//!
//! `cargo bench --bench provisioning` (env BENCH_TENANTS, default 50 per tier). Prints a
//! table and ends with one `BENCH provisioning {json}` line.

use std::time::{Duration, Instant};

use sqlx::{Executor, PgPool};
use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::tenants::NewTenant;
use tenantry::tenancy::{Tenancy, fleet, migrate, worker};

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

struct Stats {
    median_ms: f64,
    p90_ms: f64,
}

fn stats(mut d: Vec<Duration>) -> Stats {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    Stats {
        median_ms: at(0.5),
        p90_ms: at(0.9),
    }
}

async fn run() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let data = tempfile::tempdir_in("/tmp")?;
    let cluster = EmbeddedCluster::start(ClusterOptions {
        data_dir: data.path().to_path_buf(),
        pg_bin: None,
        settings: Vec::new(),
    })
    .await?;
    let mut args =
        tenantry::config::Config::from_args(["--data-dir", &data.path().display().to_string()])?.db;
    args.database_url = Some(tenantry::secret::Secret::new(cluster.url("postgres")));
    let control = ControlDb::open(&args).await?;
    let tenancy = tenantry::state::tenancy(&control, &args, 30, 60).await?;
    let admin = PgPool::connect(&cluster.url("postgres")).await?;

    // Warm-up: builds the template database and the first shared pooled database.
    for tier in ["isolated", "pooled"] {
        provision(&tenancy, &format!("warm-{tier}"), tier).await?;
    }
    let template = format!("tenantry_template_{}", migrate::base_version());

    let mut results = serde_json::Map::new();
    let mut table = Vec::new();
    for tier in ["isolated", "pooled"] {
        let mut ours = Vec::with_capacity(n);
        let mut raw = Vec::with_capacity(n);
        for i in 0..n {
            // Interleave ours and the raw limit, so both see the same machine state.
            ours.push(provision(&tenancy, &format!("{}-{i}", &tier[..3]), tier).await?);
            raw.push(match tier {
                "isolated" => raw_database(&admin, &template, i).await?,
                _ => raw_schema(&cluster, i).await?,
            });
        }
        let (o, r) = (stats(ours), stats(raw));
        table.push(format!(
            "{tier:<9} ours median {:>7.1} ms  p90 {:>7.1} ms | raw median {:>7.1} ms  p90 {:>7.1} ms | ratio {:.2}",
            o.median_ms,
            o.p90_ms,
            r.median_ms,
            r.p90_ms,
            o.median_ms / r.median_ms
        ));
        results.insert(
            tier.to_owned(),
            serde_json::json!({
                "tenants": n,
                "median_ms": o.median_ms, "p90_ms": o.p90_ms,
                "raw_median_ms": r.median_ms, "raw_p90_ms": r.p90_ms,
                "ratio": o.median_ms / r.median_ms,
            }),
        );
    }

    // Fleet migration: 200 tenants (those above plus more), each gaining the CRM module.
    let fleet_size = 200usize;
    let existing: i64 = sqlx::query_scalar("select count(*) from tenants where status = 'active'")
        .fetch_one(&tenancy.db)
        .await?;
    for i in existing as usize..fleet_size {
        provision(
            &tenancy,
            &format!("fleet-{i}"),
            if i % 2 == 0 { "pooled" } else { "isolated" },
        )
        .await?;
    }
    sqlx::query("insert into tenant_modules (tenant_id, module) select id, 'crm' from tenants where status = 'active'")
        .execute(&tenancy.db)
        .await?;
    let opts = fleet::Options {
        concurrency: 8,
        tenant: None,
        canary: None,
        all: false,
    };
    let report = fleet::migrate(&tenancy, &opts, |_, _| {}).await?;
    anyhow::ensure!(
        report.failed.is_empty(),
        "fleet migration failed: {:?}",
        report.failed
    );
    let median = report.median().unwrap_or_default().as_secs_f64() * 1000.0;
    table.push(format!(
        "migrate   {} tenants in {:.2} s, per-tenant median {:.1} ms (concurrency 8)",
        report.migrated.len(),
        report.elapsed.as_secs_f64(),
        median
    ));
    results.insert(
        "migrate".into(),
        serde_json::json!({ "tenants": report.migrated.len(), "total_s": report.elapsed.as_secs_f64(), "median_ms": median, "concurrency": 8 }),
    );

    for line in &table {
        println!("{line}");
    }
    admin.close().await;
    control.close().await;
    cluster.stop().await?;
    println!("BENCH provisioning {}", serde_json::Value::Object(results));
    Ok(())
}

/// Create → active, as the console does it: insert tenant + job, run the job.
async fn provision(t: &Tenancy, slug: &str, tier: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let tenant = t
        .create(
            NewTenant {
                slug,
                name: slug,
                plan: "free",
                tier: Some(tier),
            },
            None,
            &Actor::system(),
            &Origin::default(),
        )
        .await?;
    let outcome = worker::run_next(t, None).await?;
    anyhow::ensure!(
        outcome
            == Some(worker::JobOutcome::Done {
                tenant_id: tenant.id
            }),
        "{slug} did not provision: {outcome:?}"
    );
    Ok(started.elapsed())
}

async fn raw_database(admin: &PgPool, template: &str, i: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    admin
        .execute(format!("create database raw_{i} template {template}").as_str())
        .await?;
    Ok(started.elapsed())
}

async fn raw_schema(cluster: &EmbeddedCluster, i: usize) -> anyhow::Result<Duration> {
    let pool = PgPool::connect(&cluster.url("tenants_pooled_1")).await?;
    let ddl = migrate::plan(&[])
        .iter()
        .map(|(_, m)| m.sql.to_string())
        .collect::<Vec<_>>()
        .join(";\n");
    let started = Instant::now();
    pool.execute(format!("create schema raw_{i}; set search_path = raw_{i}; {ddl}").as_str())
        .await?;
    let took = started.elapsed();
    pool.close().await;
    Ok(took)
}
