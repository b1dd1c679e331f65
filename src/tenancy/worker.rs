//! The provisioning worker: claims durable jobs with `FOR UPDATE SKIP LOCKED` (so any
//! number of workers, in `serve` or a CLI command, can run side by side) and runs their
//! steps. The claim is a transaction held for the job's duration: if the process dies,
//! the lock goes with it and the job is claimed again, resuming at the first step whose
//! work is missing.

use std::time::Duration;

use serde_json::json;
use tracing::Instrument;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::provision::{self, Context};
use crate::tenancy::tenants;
use crate::tenancy::{Tenancy, backup, moves};

/// What one claimed job came to.
#[derive(Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done {
        tenant_id: Uuid,
    },
    Failed {
        tenant_id: Uuid,
    },
    /// Test hook: stopped after the given number of steps, as if the process had died.
    Interrupted {
        tenant_id: Uuid,
    },
}

/// Claims and runs the oldest queued job; `None` when there is nothing to do.
/// `stop_after` (tests only) abandons the job after that many steps, like a crash.
pub async fn run_next(
    t: &Tenancy,
    stop_after: Option<usize>,
) -> anyhow::Result<Option<JobOutcome>> {
    let mut claim = t.db.begin().await?;
    // A tenant's jobs run in order: one waits while an earlier one of the same tenant is
    // queued (a clone's restore waits for its provisioning).
    let Some(job) = sqlx::query!(
        "select id, tenant_id, kind, backup_id, detail from provisioning_jobs j
         where status = 'queued'
           and not exists (select 1 from provisioning_jobs e
                           where e.tenant_id = j.tenant_id and e.status = 'queued' and e.id < j.id)
         order by id limit 1 for update skip locked"
    )
    .fetch_optional(&mut *claim)
    .await?
    else {
        claim.rollback().await?;
        return Ok(None);
    };
    if job.kind == "export" {
        let detail = job.detail;
        return crate::tenancy::export_jobs::run(
            t,
            claim,
            job.id,
            job.tenant_id,
            &detail,
            stop_after,
        )
        .await
        .map(Some);
    }
    if matches!(job.kind.as_str(), "backup" | "restore" | "move") {
        let job = backup::jobs::Job {
            id: job.id,
            tenant_id: job.tenant_id,
            kind: job.kind,
            backup_id: job.backup_id,
            detail: job.detail,
        };
        if job.kind == "move" {
            return moves::jobs::run(t, claim, job, stop_after).await.map(Some);
        }
        return backup::jobs::run(t, claim, job, stop_after).await.map(Some);
    }
    // What the job needs, read side by side on the pool (one round trip's wait).
    let (tenant, modules, placed) = tokio::try_join!(
        tenants::get(&t.db, job.tenant_id),
        t.enabled_modules(job.tenant_id),
        sqlx::query!(
            "select p.pool_size, s.is_primary from tenants t
             join plans p on p.id = t.plan_id join db_servers s on s.id = t.db_server_id
             where t.id = $1",
            job.tenant_id
        )
        .fetch_optional(&t.db)
    )?;
    let (Some(tenant), Some(placed)) = (tenant, placed) else {
        anyhow::bail!("job {} names a missing tenant", job.id);
    };
    let cx =
        Context::new(t, tenant.clone(), modules, placed.pool_size).on_primary(placed.is_primary);

    let result = match job.kind.as_str() {
        "purge" => {
            t.pools.evict(tenant.id).await;
            // Copies its moves left behind go first: their role is dropped with it.
            let purged =
                match moves::drop_old_copies(t, tenant.id, None, "the tenant was purged").await {
                    Ok(()) => provision::purge(&cx).await,
                    Err(e) => Err(e),
                };
            match purged {
                // Its backups go with it.
                Ok(()) => backup::purge_all(t, tenant.id).await.map(|_| None),
                Err(e) => Err(e),
            }
        }
        _ => provision_steps(t, &cx, stop_after).await,
    };
    cx.finish().await;
    let result = match result {
        Ok(Some(Interrupted)) => {
            // As a crash would: the claim ends, the job stays queued.
            claim.rollback().await?;
            return Ok(Some(JobOutcome::Interrupted {
                tenant_id: tenant.id,
            }));
        }
        Ok(Some(Finished(version))) => Ok(version),
        Ok(None) => Ok(0),
        Err(e) => Err(e),
    };

    let slug = tenant.slug.clone();
    let system = Actor::system();
    let origin = Origin::default();
    let outcome = match result {
        Ok(version) => {
            // The job and its tenant in one statement (the job's update in a CTE).
            let action = if job.kind == "purge" {
                sqlx::query!(
                    "with done as (update provisioning_jobs set status = 'done', finished_at = now(),
                                   attempts = attempts + 1 where id = $1)
                     update tenants set status = 'purged', purged_at = now(), role_password_enc = null,
                            progress_step = null, last_error = null, updated_at = now() where id = $2",
                    job.id,
                    tenant.id
                )
                .execute(&mut *claim)
                .await?;
                "tenant.purged"
            } else {
                sqlx::query!(
                    "with done as (update provisioning_jobs set status = 'done', finished_at = now(),
                                   attempts = attempts + 1 where id = $1)
                     update tenants set status = 'active', activated_at = coalesce(activated_at, now()),
                            schema_version = $3, progress_step = null, last_error = null, updated_at = now()
                     where id = $2",
                    job.id,
                    tenant.id,
                    version
                )
                .execute(&mut *claim)
                .await?;
                "tenant.activated"
            };
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action,
                    tenant: Some(tenant.id),
                    target: Some(&slug),
                    origin: &origin,
                    details: json!({ "tenant_id": tenant.id }),
                },
            )
            .await?;
            JobOutcome::Done {
                tenant_id: tenant.id,
            }
        }
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(tenant = %slug, kind = %job.kind, error = %message, "provisioning job failed");
            sqlx::query!(
                "update provisioning_jobs set status = 'failed', last_error = $2, finished_at = now(), attempts = attempts + 1 where id = $1",
                job.id,
                message
            )
            .execute(&mut *claim)
            .await?;
            sqlx::query!(
                "update tenants set last_error = $2, updated_at = now() where id = $1",
                tenant.id,
                message
            )
            .execute(&mut *claim)
            .await?;
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action: "tenant.provisioning_failed",
                    tenant: Some(tenant.id),
                    target: Some(&slug),
                    origin: &origin,
                    details: json!({ "tenant_id": tenant.id, "kind": job.kind, "error": message }),
                },
            )
            .await?;
            JobOutcome::Failed {
                tenant_id: tenant.id,
            }
        }
    };
    claim.commit().await?;
    t.changed(tenant.id);
    Ok(Some(outcome))
}

enum StepsEnd {
    Finished(i64),
    Interrupted,
}
use StepsEnd::{Finished, Interrupted};

/// A job that has run this long shows each step it starts; a quicker one shows only its
/// first (the console polls about once a second, so nobody could see the others), which
/// spares a control-plane write per step. A step that fails is always shown.
const SHOW_STEPS_AFTER: Duration = Duration::from_millis(250);

async fn provision_steps(
    t: &Tenancy,
    cx: &Context,
    stop_after: Option<usize>,
) -> anyhow::Result<Option<StepsEnd>> {
    let started = std::time::Instant::now();
    let mut first_shown = false;
    // A tenant no run has started on: its steps at once. Tests that stop after a step
    // take the steps, as a resumed job does.
    if stop_after.is_none() && cx.tenant.progress_step.is_none() {
        let span = tracing::info_span!("provisioning_at_once", tenant = %cx.tenant.slug);
        // Both run to the end (neither is cancelled mid-query), side by side.
        let (shown, made) = tokio::join!(
            show_step(t, cx, provision::Step::Role),
            provision::new_tenant_at_once(cx).instrument(span)
        );
        shown?;
        first_shown = true;
        match made {
            Ok(Some(version)) => return Ok(Some(Finished(version))),
            Ok(None) => {}
            Err(e) => tracing::info!(
                tenant = %cx.tenant.slug, error = %format!("{e:#}"),
                "provisioning at once did not apply; running the steps"
            ),
        }
    }
    let mut version = cx.tenant.schema_version;
    for (i, step) in provision::steps(cx.tenant.tier()).iter().enumerate() {
        if stop_after == Some(i) {
            return Ok(Some(Interrupted));
        }
        let shown = (i == 0 && !first_shown) || started.elapsed() >= SHOW_STEPS_AFTER;
        if shown {
            show_step(t, cx, *step).await?;
        }
        let span =
            tracing::info_span!("provisioning_step", tenant = %cx.tenant.slug, step = step.key());
        match provision::run(*step, cx).instrument(span).await {
            Ok(Some(v)) => version = v,
            Ok(None) => {}
            Err(e) => {
                if !shown {
                    show_step(t, cx, *step).await?;
                }
                return Err(e.context(step.label()));
            }
        }
    }
    // A crash after the last step but before the activating commit.
    if stop_after == Some(provision::steps(cx.tenant.tier()).len()) {
        return Ok(Some(Interrupted));
    }
    Ok(Some(Finished(version)))
}

/// Records the step a job is at. Progress is informational: its commit need not wait for
/// a disk flush. One statement (its own transaction, which the local setting lasts for).
async fn show_step(t: &Tenancy, cx: &Context, step: provision::Step) -> anyhow::Result<()> {
    sqlx::query!(
        "update tenants set status = 'provisioning', progress_step = $2, updated_at = now()
         where id = $1 and set_config('synchronous_commit', 'off', true) = 'off'",
        cx.tenant.id,
        step.key()
    )
    .execute(&t.db)
    .await?;
    t.changed(cx.tenant.id);
    Ok(())
}

/// Runs jobs until `shutdown`; wakes on [`Tenancy::wake`] or every two seconds, and about
/// once a minute queues the purges of deleted tenants whose retention has ended and the
/// backups the plans' schedules ask for (and expires old ones), drops the copies moves
/// left behind once their grace period has ended, and removes exports nobody downloaded.
pub async fn run_forever(t: Tenancy, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut swept: Option<tokio::time::Instant> = None;
    loop {
        // About once a minute: purge deleted tenants whose retention has ended.
        if swept.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
            swept = Some(tokio::time::Instant::now());
            if let Err(e) = crate::tenancy::retention::sweep(&t).await {
                tracing::error!(error = %e, "retention sweep failed");
            }
            if let Err(e) = crate::tenancy::backup::schedule::sweep(&t).await {
                tracing::error!(error = %format!("{e:#}"), "backup schedule sweep failed");
            }
            // Copies left by moves whose grace period has ended.
            if let Err(e) = moves::sweep_old_copies(&t).await {
                tracing::error!(error = %format!("{e:#}"), "dropping old copies failed");
            }
            // Exports whose link expired unused.
            if let Err(e) = crate::tenancy::export_jobs::sweep_expired(&t).await {
                tracing::error!(error = %format!("{e:#}"), "removing expired exports failed");
            }
        }
        loop {
            match run_next(&t, None).await {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "provisioning worker error");
                    break;
                }
            }
        }
        tokio::select! {
            () = t.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
