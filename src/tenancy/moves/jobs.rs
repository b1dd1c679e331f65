//! The move job, run by the provisioning worker under its claim.
//!
//! The copy is made only while the tenant is suspended and its source is fenced against
//! writes ([`copy::fence`]): `pg_dump` reads one snapshot, so a copy taken while the tenant
//! could still write would lose whatever was written after it. The suspension therefore
//! lasts one dump, one restore and one count of each table, which for most tenants is
//! well under a second or two; the window is recorded in the job (`suspended_ms`).
//!
//! The placement changes in the same control-plane transaction that records the job as
//! done (the claim's commit), and the `tenants` trigger announces it to every instance,
//! which drops its caches and closes the tenant's connections. Until that commit the
//! tenant lives where it was: a crash at any earlier point leaves it there, suspended and
//! fenced, and the job, claimed again, starts over (each step checks the catalog or
//! rebuilds from nothing). A failed move drops the target, lifts the fence and gives the
//! tenant its status back. The source is kept as the old copy until the grace period ends.

use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};

use super::{Plan, copy};
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::ident::Ident;
use crate::tenancy::Tenancy;
use crate::tenancy::backup::jobs::Job;
use crate::tenancy::provision::{self, Context, Step};
use crate::tenancy::status::{TenantStatus, Tier};
use crate::tenancy::tenants::{self, Tenant};
use crate::tenancy::worker::JobOutcome;

/// The steps of a move, in order (the key is what pages and the CLI show).
pub const MOVE_STEPS: &[(&str, &str)] = &[
    ("check", "Checking the target server"),
    (
        "target",
        "Preparing the tenant's role and place on the target",
    ),
    ("suspend", "Suspending the tenant and fencing off writes"),
    ("copy", "Copying its data"),
    ("verify", "Comparing row counts table by table"),
    ("cutover", "Switching over to the new copy"),
];

/// A label for a step key, for pages and the CLI.
pub fn step_label(key: &str) -> &'static str {
    MOVE_STEPS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, label)| *label)
        .unwrap_or("Waiting for the worker")
}

/// Where step `key` is in [`MOVE_STEPS`] (`None`: not started).
pub fn step_index(key: Option<&str>) -> Option<usize> {
    key.and_then(|k| MOVE_STEPS.iter().position(|(s, _)| *s == k))
}

enum End {
    Finished {
        version: i64,
        rows: std::collections::BTreeMap<String, i64>,
    },
    Interrupted,
}

/// Runs a claimed move job and records how it ended in `claim`.
pub async fn run(
    t: &Tenancy,
    mut claim: Transaction<'static, Postgres>,
    job: Job,
    stop_after: Option<usize>,
) -> anyhow::Result<JobOutcome> {
    let tenant = tenants::get(&t.db, job.tenant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {} names a missing tenant", job.id))?;
    let tenant_id = tenant.id;
    let plan: Result<Plan, _> = serde_json::from_value(job.detail.clone());
    let result = match &plan {
        Ok(plan) => steps(t, &tenant, plan, job.id, stop_after).await,
        Err(e) => Err(anyhow::anyhow!("the move's plan is unreadable: {e}")),
    };
    let system = Actor::system();
    let origin = Origin::default();
    let outcome = match result {
        Ok(End::Interrupted) => {
            // As a crash would: the claim ends, the job stays queued.
            claim.rollback().await?;
            return Ok(JobOutcome::Interrupted { tenant_id });
        }
        Ok(End::Finished { version, rows }) => {
            let plan = plan.map_err(|e| anyhow::anyhow!("{e}"))?;
            let details = cut_over(t, &mut claim, &tenant, &plan, &job, version, &rows).await?;
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action: "tenant.moved",
                    tenant: Some(tenant_id),
                    target: Some(&tenant.slug),
                    origin: &origin,
                    details,
                },
            )
            .await?;
            JobOutcome::Done { tenant_id }
        }
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(tenant = %tenant.slug, error = %message, "move failed");
            sqlx::query(
                "update provisioning_jobs set status = 'failed', last_error = $2, finished_at = now(),
                        attempts = attempts + 1 where id = $1",
            )
            .bind(job.id)
            .bind(&message)
            .execute(&mut *claim)
            .await?;
            if let Ok(plan) = &plan {
                roll_back(t, &mut claim, &tenant, plan, job.id).await;
            }
            audit::record(
                &mut *claim,
                NewEvent {
                    actor: &system,
                    action: "tenant.move_failed",
                    tenant: Some(tenant_id),
                    target: Some(&tenant.slug),
                    origin: &origin,
                    details: json!({ "tenant_id": tenant_id, "job_id": job.id, "error": message }),
                },
            )
            .await?;
            JobOutcome::Failed { tenant_id }
        }
    };
    claim.commit().await?;
    // The trigger told every other instance; this one forgets at once.
    t.changed(tenant_id);
    t.pools.evict(tenant_id).await;
    Ok(outcome)
}

/// Progress is informational: no need to wait for a disk flush.
async fn progress(t: &Tenancy, tenant: &Tenant, step: &str) -> sqlx::Result<()> {
    let mut tx = t.db.begin().await?;
    sqlx::query("set local synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    sqlx::query("update tenants set progress_step = $2, updated_at = now() where id = $1")
        .bind(tenant.id)
        .bind(step)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    t.changed(tenant.id);
    Ok(())
}

async fn steps(
    t: &Tenancy,
    tenant: &Tenant,
    plan: &Plan,
    job: i64,
    stop_after: Option<usize>,
) -> anyhow::Result<End> {
    let work = tempfile::Builder::new()
        .prefix("tenantry-move-")
        .tempdir()?;
    let role = Ident::new(&tenant.role_name)?;
    let mut version = tenant.schema_version;
    let mut rows = Default::default();
    for (i, (step, _)) in MOVE_STEPS.iter().enumerate() {
        if stop_after == Some(i) {
            return Ok(End::Interrupted);
        }
        progress(t, tenant, step).await?;
        match *step {
            "check" => check(t, tenant, plan).await?,
            "target" => prepare_target(t, tenant, plan).await?,
            "suspend" => suspend(t, tenant, plan, &role).await?,
            "copy" => copy::copy_data(t, tenant, plan, job, work.path()).await?,
            "verify" => rows = verify(t, plan).await?,
            _ => version = finish_target(t, tenant, plan).await?,
        }
    }
    // A crash after the last step but before the cut-over commit.
    if stop_after == Some(MOVE_STEPS.len()) {
        return Ok(End::Interrupted);
    }
    Ok(End::Finished { version, rows })
}

/// The tenant is still where the move was asked from, and the target still takes it.
async fn check(t: &Tenancy, tenant: &Tenant, plan: &Plan) -> anyhow::Result<()> {
    if !matches!(
        tenant.status,
        TenantStatus::Active | TenantStatus::Suspended
    ) {
        anyhow::bail!("the tenant is {}: it was not moved", tenant.status);
    }
    if !super::Place::of(tenant).same_location(&plan.from) {
        anyhow::bail!("the tenant's place changed after the move was asked for: it was not moved");
    }
    let status: Option<String> = sqlx::query_scalar("select status from db_servers where id = $1")
        .bind(plan.to.server_id)
        .fetch_optional(&t.db)
        .await?;
    match status.as_deref() {
        None => anyhow::bail!(
            "the database server “{}” is no longer registered",
            plan.to.server
        ),
        Some("active") => {}
        Some(_) => anyhow::bail!(
            "the database server “{}” was drained after the move was asked for: it takes no moves",
            plan.to.server
        ),
    }
    super::reachable(t, plan.to.server_id).await.map_err(|why| {
        anyhow::anyhow!(
            "the database server “{}” cannot be reached: {why}",
            plan.to.server
        )
    })
}

/// Whatever is needed where the tenant goes, before anything of the tenant changes: its
/// role on the target server (same name and password) and, pooled, the shared database.
/// One of the tenant's own old copies in the way (a move back) is dropped first.
async fn prepare_target(t: &Tenancy, tenant: &Tenant, plan: &Plan) -> anyhow::Result<()> {
    super::drop_old_copies(
        t,
        tenant.id,
        Some(&plan.to),
        "the tenant moved back into its place",
    )
    .await?;
    let cx = target_context(t, tenant, plan).await?;
    let prepared = async {
        provision::run(Step::Role, &cx).await?;
        if plan.to.tier() == Tier::Pooled {
            provision::run(Step::SharedDatabase, &cx).await?;
        }
        anyhow::Ok(())
    }
    .await;
    cx.finish().await;
    prepared
}

async fn target_context(t: &Tenancy, tenant: &Tenant, plan: &Plan) -> anyhow::Result<Context> {
    let modules = t.enabled_modules(tenant.id).await?;
    let pool_size: i32 = sqlx::query_scalar("select pool_size from plans where id = $1")
        .bind(&tenant.plan_id)
        .fetch_one(&t.db)
        .await?;
    Ok(Context::new(
        t,
        plan.to.apply_to(tenant),
        modules,
        pool_size,
    ))
}

/// Keeps the tenant's users out (their sessions stay: they are back when it resumes) and
/// fences its source against writes.
async fn suspend(t: &Tenancy, tenant: &Tenant, plan: &Plan, role: &Ident) -> anyhow::Result<()> {
    t.pools.evict(tenant.id).await;
    sqlx::query(
        "update tenants set status = 'suspended', suspended_at = now(), updated_at = now()
         where id = $1 and status = 'active'",
    )
    .bind(tenant.id)
    .execute(&t.db)
    .await?;
    t.changed(tenant.id);
    t.pools.evict(tenant.id).await;
    copy::fence(t, &plan.from, role).await
}

/// Every table holds as many rows in the copy as in the source.
async fn verify(
    t: &Tenancy,
    plan: &Plan,
) -> anyhow::Result<std::collections::BTreeMap<String, i64>> {
    let source = copy::row_counts(t, &plan.from).await?;
    let target = copy::row_counts(t, &plan.to).await?;
    for (table, n) in &source {
        match target.get(table) {
            Some(m) if m == n => {}
            Some(m) => anyhow::bail!(
                "the copy of table {table} has {m} rows and the source {n}: the tenant stays where it was"
            ),
            None => anyhow::bail!(
                "table {table} is missing from the copy: the tenant stays where it was"
            ),
        }
    }
    if let Some(extra) = target.keys().find(|k| !source.contains_key(*k)) {
        anyhow::bail!(
            "the copy has a table {extra} the source has not: the tenant stays where it was"
        );
    }
    Ok(source)
}

/// The copy gets the privileges provisioning gives (isolated) and is brought to this
/// binary's schema, which also gives the version to record.
async fn finish_target(t: &Tenancy, tenant: &Tenant, plan: &Plan) -> anyhow::Result<i64> {
    let cx = target_context(t, tenant, plan).await?;
    let result = async {
        if plan.to.tier() == Tier::Isolated {
            provision::run(Step::Privileges, &cx).await?;
        }
        provision::run(Step::Migrations, &cx).await
    }
    .await;
    cx.finish().await;
    result?.ok_or_else(|| anyhow::anyhow!("migrations reported no version"))
}

/// The cut-over, in the claim's transaction: the tenant's new place, its status back, the
/// old copy recorded for the grace period, the job done with its suspension window.
async fn cut_over(
    t: &Tenancy,
    claim: &mut Transaction<'static, Postgres>,
    tenant: &Tenant,
    plan: &Plan,
    job: &Job,
    version: i64,
    rows: &std::collections::BTreeMap<String, i64>,
) -> anyhow::Result<Value> {
    let back = plan.previous();
    // The suspension began when the suspend step set `suspended_at` (the tenant was active
    // when the move was asked for); the clock, not the claim's start, ends it.
    let suspended_ms: Option<i64> = sqlx::query_scalar(
        "select case when $2 = 'active' and status = 'suspended' and suspended_at is not null
                     then (extract(epoch from clock_timestamp() - suspended_at) * 1000)::bigint end
         from tenants where id = $1",
    )
    .bind(tenant.id)
    .bind(back.as_str())
    .fetch_one(&mut **claim)
    .await?;
    sqlx::query(
        "update tenants set db_server_id = $2, tier = $3, database_name = $4, schema_name = $5,
                schema_version = $6,
                status = case when status = 'suspended' then $7 else status end,
                suspended_at = case when $7 = 'active' then null else suspended_at end,
                progress_step = null, last_error = null, updated_at = now()
         where id = $1",
    )
    .bind(tenant.id)
    .bind(plan.to.server_id)
    .bind(&plan.to.tier)
    .bind(&plan.to.database)
    .bind(&plan.to.schema)
    .bind(version)
    .bind(back.as_str())
    .execute(&mut **claim)
    .await?;
    let grace_secs = i64::try_from(t.move_grace.as_secs()).unwrap_or(i64::MAX);
    sqlx::query(
        "insert into tenant_old_copies (tenant_id, job_id, db_server_id, tier, database_name, schema_name,
                                        role_name, drop_after)
         values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
         on conflict (job_id, db_server_id, database_name) do nothing",
    )
    .bind(tenant.id)
    .bind(job.id)
    .bind(plan.from.server_id)
    .bind(&plan.from.tier)
    .bind(&plan.from.database)
    .bind(&plan.from.schema)
    .bind(&tenant.role_name)
    .bind(grace_secs as f64)
    .execute(&mut **claim)
    .await?;
    // Scratch, not the tenant's data: due at the sweep's next round.
    if let Some(scratch) = copy::leftover_scratch(t, plan, job.id).await? {
        super::set_aside(claim, tenant, job.id, plan.to.server_id, scratch.as_str()).await?;
    }
    let total: i64 = rows.values().sum();
    sqlx::query(
        "update provisioning_jobs set status = 'done', finished_at = now(), attempts = attempts + 1,
                detail = detail || $2 where id = $1",
    )
    .bind(job.id)
    .bind(json!({ "suspended_ms": suspended_ms, "rows": rows }))
    .execute(&mut **claim)
    .await?;
    Ok(json!({
        "tenant_id": tenant.id,
        "job_id": job.id,
        "from": plan.from,
        "to": plan.to,
        "suspended_ms": suspended_ms,
        "tables": rows.len(),
        "rows": total,
    }))
}

/// A failed move: the target goes, the fence is lifted, the tenant gets its status back.
/// Best effort (what cannot be dropped now is dropped when a later move rebuilds it).
async fn roll_back(
    t: &Tenancy,
    claim: &mut Transaction<'static, Postgres>,
    tenant: &Tenant,
    plan: &Plan,
    job: i64,
) {
    // The target is dropped unless it is where the tenant lives, or one of its old copies
    // that this move had not yet replaced.
    let discard: anyhow::Result<()> = async {
        let now = tenants::get(&t.db, tenant.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the tenant disappeared"))?;
        let kept = super::old_copies(&t.db, tenant.id)
            .await?
            .iter()
            .any(|c| c.place().same_location(&plan.to));
        if kept || super::Place::of(&now).same_location(&plan.to) {
            return Ok(());
        }
        copy::discard_target(t, plan, job).await
    }
    .await;
    if let Err(e) = discard {
        tracing::warn!(tenant = %tenant.slug, error = %format!("{e:#}"), "could not drop a failed move's target");
    }
    let unfenced: anyhow::Result<()> = async {
        let role = Ident::new(&tenant.role_name)?;
        copy::unfence(t, &plan.from, &role).await
    }
    .await;
    if let Err(e) = unfenced {
        tracing::warn!(tenant = %tenant.slug, error = %format!("{e:#}"), "could not give the tenant its write privileges back");
    }
    let back = plan.previous();
    let restored = sqlx::query(
        "update tenants set status = case when status = 'suspended' then $2 else status end,
                suspended_at = case when $2 = 'active' then null else suspended_at end,
                progress_step = null, updated_at = now()
         where id = $1",
    )
    .bind(tenant.id)
    .bind(back.as_str())
    .execute(&mut **claim)
    .await;
    if let Err(e) = restored {
        tracing::warn!(tenant = %tenant.slug, error = %e, "could not give the tenant its status back");
    }
}
