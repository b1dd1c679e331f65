//! `tenantry tenants backup|backups|restore --backup|export`: the backup services the console
//! uses, from the shell. Each waits for its job with a progress line, and a failure ends
//! with one clear line and a non-zero exit.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::tenants::with_tenancy;
use crate::config::RestoreArgs;
use crate::control::audit::{Actor, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::backup::{self, BackupError, Queued, jobs};
use crate::tenancy::tenants::{self, Tenant};
use crate::web::format::human_bytes;

async fn tenant(t: &Tenancy, slug: &str) -> anyhow::Result<Tenant> {
    tenants::find_by_slug(&t.db, slug)
        .await?
        .with_context(|| format!("no tenant “{slug}”"))
}

/// A refusal is the one line to print; anything else keeps its cause.
fn refused(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Db(e) => e.into(),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Waits for `queued` with a spinner naming the step; fails with the job's error.
async fn follow(t: &Tenancy, queued: Queued, timeout: u64, what: &str) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    let end = backup::wait(t, queued.job_id, Duration::from_secs(timeout), |step| {
        bar.set_message(jobs::step_label(step));
    })
    .await;
    bar.finish_and_clear();
    if let Some(error) = end?.failed {
        bail!("{what} failed: {error}");
    }
    Ok(())
}

pub(super) async fn backup(t: Tenancy, slug: String, timeout: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let tenant = tenant(&t, &slug).await?;
    let queued = backup::request_backup(&t, &tenant, &Actor::cli(), &Origin::default())
        .await
        .map_err(refused)?;
    follow(&t, queued, timeout, &format!("the backup of {slug}")).await?;
    let taken = backup::get(&t.db, queued.backup_id)
        .await?
        .context("the backup disappeared")?;
    println!(
        "backup {} of {slug}: {} in {:.2} s, stored in {}",
        taken.id,
        human_bytes(taken.size_bytes.unwrap_or(0)),
        started.elapsed().as_secs_f64(),
        t.backup_settings.store.describe()
    );
    Ok(())
}

pub(super) async fn list(t: Tenancy, slug: String, json: bool) -> anyhow::Result<()> {
    let tenant = tenant(&t, &slug).await?;
    let all = backup::list(&t.db, tenant.id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    println!(
        "{:<36} {:<8} {:>10} {:<9} {:<20} ERROR",
        "ID", "STATUS", "SIZE", "TIER", "TAKEN"
    );
    for b in &all {
        println!(
            "{:<36} {:<8} {:>10} {:<9} {:<20} {}",
            b.id,
            b.status,
            b.size_bytes.map(human_bytes).unwrap_or_default(),
            b.tier,
            crate::web::format::moment(&b.created_at).exact,
            b.error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

pub(super) async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let RestoreArgs {
        lifecycle,
        backup: backup_id,
        into,
        timeout,
    } = args;
    let backup_id = backup_id.unwrap_or_default();
    with_tenancy(&lifecycle.db, lifecycle.retention_days, |t| async move {
        let started = Instant::now();
        let source = tenant(&t, &lifecycle.slug).await?;
        let chosen = backup::of_tenant(&t.db, &source, &backup_id)
            .await
            .map_err(refused)?;
        let (actor, origin) = (Actor::cli(), Origin::default());
        let (queued, target) = match &into {
            Some(new_slug) => {
                let queued = backup::request_clone(&t, &source, &chosen, new_slug, &actor, &origin)
                    .await
                    .map_err(|e| match e {
                        BackupError::Create(e) if !e.field().is_empty() => {
                            anyhow::anyhow!("--into: {e}")
                        }
                        other => refused(other),
                    })?;
                (queued, new_slug.clone())
            }
            None => {
                let queued = backup::request_restore(
                    &t,
                    &source,
                    &chosen,
                    lifecycle.confirm.as_deref(),
                    &actor,
                    &origin,
                )
                .await
                .map_err(|e| match e {
                    BackupError::ConfirmationNeeded(slug) => anyhow::anyhow!(
                        "restoring replaces all of {slug}'s data: add --confirm {slug}"
                    ),
                    other => refused(other),
                })?;
                (queued, lifecycle.slug.clone())
            }
        };
        follow(&t, queued, timeout, &format!("the restore into {target}")).await?;
        let now = tenants::get(&t.db, queued.tenant_id)
            .await?
            .context("tenant disappeared")?;
        println!(
            "backup {} restored into {} in {:.2} s; {} is {}",
            chosen.id,
            target,
            started.elapsed().as_secs_f64(),
            now.slug,
            now.status
        );
        Ok(())
    })
    .await
}

pub(super) async fn export(
    t: Tenancy,
    slug: String,
    out: std::path::PathBuf,
) -> anyhow::Result<()> {
    use crate::tenancy::export_jobs::{self, Redeemed};
    let tenant = tenant(&t, &slug).await?;
    // The same job as the console's: built by the worker (this process runs it while it
    // waits), kept sealed in the backup store, then fetched through its link.
    let asked = export_jobs::request(&t, &tenant, &Actor::cli(), &Origin::default()).await?;
    let end = backup::wait(&t, asked.job_id, Duration::from_secs(3600), |_| {}).await?;
    if let Some(error) = end.failed {
        bail!("the export of {slug} failed: {error}");
    }
    let ready = match export_jobs::redeem(&t, &asked.token).await? {
        Redeemed::Ready(ready) => ready,
        Redeemed::Failed(error) => bail!("the export of {slug} failed: {error}"),
        Redeemed::Preparing | Redeemed::Gone => bail!("the export of {slug} is not there"),
    };
    export_jobs::fetch(&t, &ready, &out, &Actor::cli(), &Origin::default())
        .await
        .with_context(|| format!("cannot write {}", out.display()))?;
    let manifest = crate::tenancy::export::read_manifest(&out)?;
    let rows = |list: &str| -> i64 {
        manifest[list]
            .as_array()
            .map_or(0, |all| all.iter().filter_map(|e| e["rows"].as_i64()).sum())
    };
    let record = |name: &str| -> i64 {
        manifest["records"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["name"] == name))
            .and_then(|e| e["rows"].as_i64())
            .unwrap_or(0)
    };
    println!(
        "exported {slug} to {}: {} tables ({} rows), {} members, {} audit events",
        out.display(),
        manifest["tables"].as_array().map_or(0, Vec::len),
        rows("tables"),
        record("members"),
        record("audit"),
    );
    Ok(())
}
