//! Provisioning speed, beside the physical limit measured in the same run on the same
//! cluster: a raw `CREATE DATABASE … TEMPLATE` (isolated tier) and a raw `CREATE SCHEMA`
//! plus the base DDL (pooled tier). Then a fleet migration across 200 tenants. Then one
//! tenant's data as a unit: a backup and a restore (MB of tenant data a second) beside raw
//! `pg_dump`/`pg_restore` of the same database, and a move to the pooled tier with the
//! time its tenant was suspended.
//!
//! `cargo bench --bench provisioning` (env BENCH_TENANTS, default 50 per tier;
//! BENCH_BACKUP_ROWS, default 400,000 rows of ~300 bytes). Prints a table and ends with
//! one `BENCH provisioning {json}` line.

use std::time::{Duration, Instant};

use sqlx::{Executor, PgPool};
use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tenantry::tenancy::tenants::NewTenant;
use tenantry::tenancy::{Tenancy, backup, fleet, migrate, moves, tenants, worker};

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

    // The raw limit's connection to the shared database, opened once (ours are warm too):
    // neither its connect nor its teardown is part of a tenant's creation.
    let shared = PgPool::connect(&cluster.url("tenants_pooled_1")).await?;

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
                _ => raw_schema(&shared, i).await?,
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

    data_as_a_unit(&tenancy, &cluster, &admin, &mut table, &mut results).await?;

    for line in &table {
        println!("{line}");
    }
    admin.close().await;
    shared.close().await;
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

async fn raw_schema(shared: &PgPool, i: usize) -> anyhow::Result<Duration> {
    let ddl = migrate::plan(&[])
        .iter()
        .map(|(_, m)| m.sql.to_string())
        .collect::<Vec<_>>()
        .join(";\n");
    let started = Instant::now();
    shared
        .execute(format!("create schema raw_{i}; set search_path = raw_{i}; {ddl}").as_str())
        .await?;
    Ok(started.elapsed())
}

/// Backup, restore and move of one isolated tenant holding BENCH_BACKUP_ROWS rows, each
/// beside the raw client program doing the same copy as the superuser.
async fn data_as_a_unit(
    t: &Tenancy,
    cluster: &EmbeddedCluster,
    admin: &PgPool,
    table: &mut Vec<String>,
    results: &mut serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let rows: i64 = std::env::var("BENCH_BACKUP_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400_000);
    provision(t, "unit-data", "isolated").await?;
    let tenant = tenants::get(&t.db, tenant_id(t, "unit-data").await?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unit-data is gone"))?;
    // The rows belong to the tenant's role, as a module's would.
    let url = cluster.url(&tenant.database_name);
    let fill = PgPool::connect(&url).await?;
    fill.execute(
        format!(
            r#"set role "{role}";
            create table ledger (id bigint primary key, label text, amount bigint, at timestamptz);
            insert into ledger select g, repeat(md5(g::text), 8), g * 7, now() from generate_series(1, {rows}) g;
            create index on ledger (at);"#,
            role = tenant.role_name
        )
        .as_str(),
    )
    .await?;
    fill.close().await;
    let bytes: i64 = sqlx::query_scalar("select pg_database_size($1)")
        .bind(&tenant.database_name)
        .fetch_one(admin)
        .await?;
    let mb = bytes as f64 / 1_000_000.0;

    let (actor, origin) = (Actor::system(), Origin::default());
    let started = Instant::now();
    let queued = backup::request_backup(t, &tenant, &actor, &origin).await?;
    finish(t, queued.job_id).await?;
    let ours_backup = started.elapsed();

    let bin = tenantry::pg::embedded::find_pg_bin(None)?;
    let dump = tempfile::NamedTempFile::new_in("/tmp")?;
    let started = Instant::now();
    run_program(
        &bin.join("pg_dump"),
        &[
            "--format=custom",
            "--no-owner",
            "--no-acl",
            &format!("--file={}", dump.path().display()),
            &format!("--dbname={url}"),
        ],
    )
    .await?;
    let raw_backup = started.elapsed();

    let taken = backup::get(&t.db, queued.backup_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the backup is gone"))?;
    let started = Instant::now();
    let restore =
        backup::request_restore(t, &tenant, &taken, Some(&tenant.slug), &actor, &origin).await?;
    finish(t, restore.job_id).await?;
    let ours_restore = started.elapsed();

    admin.execute("create database raw_restore").await?;
    let started = Instant::now();
    run_program(
        &bin.join("pg_restore"),
        &[
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            &format!("--dbname={}", cluster.url("raw_restore")),
            &dump.path().display().to_string(),
        ],
    )
    .await?;
    let raw_restore = started.elapsed();

    let tenant = tenants::get(&t.db, tenant.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unit-data is gone"))?;
    let started = Instant::now();
    let queued = moves::request_move(t, &tenant, None, Some("pooled"), &actor, &origin).await?;
    finish(t, queued.job_id).await?;
    let move_total = started.elapsed();
    let suspended_ms = moves::latest(&t.db, tenant.id)
        .await?
        .and_then(|m| m.suspended_ms)
        .ok_or_else(|| anyhow::anyhow!("the move recorded no suspension window"))?;

    let rate = |d: Duration| mb / d.as_secs_f64();
    table.push(format!(
        "backup    {mb:.0} MB: ours {:.1} MB/s | raw pg_dump {:.1} MB/s | ratio {:.2}",
        rate(ours_backup),
        rate(raw_backup),
        ours_backup.as_secs_f64() / raw_backup.as_secs_f64()
    ));
    table.push(format!(
        "restore   {mb:.0} MB: ours {:.1} MB/s | raw pg_restore {:.1} MB/s | ratio {:.2}",
        rate(ours_restore),
        rate(raw_restore),
        ours_restore.as_secs_f64() / raw_restore.as_secs_f64()
    ));
    table.push(format!(
        "move      {mb:.0} MB isolated → pooled: {:.2} s in all, suspended {suspended_ms} ms",
        move_total.as_secs_f64()
    ));
    results.insert(
        "backup".into(),
        serde_json::json!({ "mb": mb, "mb_s": rate(ours_backup), "raw_mb_s": rate(raw_backup),
            "ratio": ours_backup.as_secs_f64() / raw_backup.as_secs_f64() }),
    );
    results.insert(
        "restore".into(),
        serde_json::json!({ "mb": mb, "mb_s": rate(ours_restore), "raw_mb_s": rate(raw_restore),
            "ratio": ours_restore.as_secs_f64() / raw_restore.as_secs_f64() }),
    );
    results.insert(
        "move".into(),
        serde_json::json!({ "mb": mb, "total_ms": move_total.as_secs_f64() * 1000.0,
            "suspended_ms": suspended_ms }),
    );
    Ok(())
}

async fn tenant_id(t: &Tenancy, slug: &str) -> anyhow::Result<uuid::Uuid> {
    Ok(sqlx::query_scalar("select id from tenants where slug = $1")
        .bind(slug)
        .fetch_one(&t.db)
        .await?)
}

/// Runs the worker until job `id` ends; fails with its error if it failed.
async fn finish(t: &Tenancy, id: i64) -> anyhow::Result<()> {
    let end = backup::wait(t, id, Duration::from_secs(3600), |_| {}).await?;
    match end.failed {
        Some(error) => anyhow::bail!("job {id} failed: {error}"),
        None => Ok(()),
    }
}

async fn run_program(program: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
