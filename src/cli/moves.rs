//! `tenantry tenants move` and `tenantry servers drain`: the move services the console
//! uses, from the shell. Each waits for its jobs with a progress bar, and a failure ends
//! with one clear line and a non-zero exit.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::tenants::with_tenancy;
use crate::config::ServersCommand;
use crate::control::audit::{Actor, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::backup;
use crate::tenancy::moves::{self, MoveError, Queued, jobs};
use crate::tenancy::tenants;

pub async fn servers(command: ServersCommand) -> anyhow::Result<()> {
    crate::telemetry::init_logging("warn", false);
    match command {
        ServersCommand::Drain {
            name,
            no_wait,
            timeout,
            db,
        } => with_tenancy(&db, 30, |t| drain(t, name, no_wait, timeout)).await,
    }
}

/// A refusal is the one line to print (naming its flag); anything else keeps its cause.
fn refused(e: MoveError) -> anyhow::Error {
    match e {
        MoveError::Db(e) => e.into(),
        e if !e.field().is_empty() => anyhow::anyhow!("--{}: {e}", e.field()),
        e => anyhow::anyhow!("{e}"),
    }
}

/// Waits for the move `queued` with a bar of its steps; fails with the job's error.
async fn follow(t: &Tenancy, queued: Queued, timeout: u64, what: &str) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(jobs::MOVE_STEPS.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let end = backup::wait(t, queued.job_id, Duration::from_secs(timeout), |step| {
        if let Some(i) = jobs::step_index(Some(step)) {
            bar.set_position(i as u64);
        }
        bar.set_message(jobs::step_label(step));
    })
    .await;
    bar.finish_and_clear();
    if let Some(error) = end?.failed {
        bail!("{what} failed: {error}");
    }
    Ok(())
}

pub(super) async fn move_tenant(
    t: Tenancy,
    slug: String,
    to: Option<String>,
    tier: Option<String>,
    timeout: u64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let tenant = tenants::find_by_slug(&t.db, &slug)
        .await?
        .with_context(|| format!("no tenant “{slug}”"))?;
    let queued = moves::request_move(
        &t,
        &tenant,
        to.as_deref(),
        tier.as_deref(),
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .map_err(refused)?;
    follow(&t, queued, timeout, &format!("the move of {slug}")).await?;
    let now = tenants::get(&t.db, tenant.id)
        .await?
        .context("tenant disappeared")?;
    let window = moves::latest(&t.db, tenant.id)
        .await?
        .and_then(|m| m.suspended_ms)
        .map(|ms| format!("; suspended for {ms} ms"))
        .unwrap_or_default();
    let place = moves::Place::of(&now);
    println!(
        "{} moved in {:.2} s: {} tier, {}{window}; the old copy is kept for {} h",
        now.slug,
        started.elapsed().as_secs_f64(),
        now.tier,
        place.describe(),
        t.move_grace.as_secs() / 3600
    );
    Ok(())
}

async fn drain(t: Tenancy, name: String, no_wait: bool, timeout: u64) -> anyhow::Result<()> {
    let drained = moves::drain(&t, &name, &Actor::cli(), &Origin::default())
        .await
        .map_err(|e| match e {
            MoveError::Db(e) => e.into(),
            e => anyhow::anyhow!("--name: {e}"),
        })?;
    println!(
        "{} is draining: it takes no new tenants and no moves; {} move(s) queued",
        drained.server,
        drained.queued.len()
    );
    if drained.left > 0 {
        println!(
            "{} tenant(s) being set up or deleted stay on it",
            drained.left
        );
    }
    for (slug, why) in &drained.refused {
        eprintln!("NOT MOVED {slug}: {why}");
    }
    let mut failed = drained.refused.len();
    for (slug, queued) in &drained.queued {
        if no_wait {
            println!("queued the move of {slug} (job {})", queued.job_id);
            continue;
        }
        match follow(&t, *queued, timeout, &format!("the move of {slug}")).await {
            Ok(()) => {
                let place = tenants::get(&t.db, queued.tenant_id)
                    .await?
                    .map(|now| moves::Place::of(&now).describe())
                    .unwrap_or_default();
                println!("{slug} moved: {place}");
            }
            Err(e) => {
                eprintln!("FAILED {e:#}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!(
            "{failed} tenant(s) are still on {}; see the lines above",
            drained.server
        );
    }
    Ok(())
}
