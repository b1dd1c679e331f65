//! `tenantry tenants …`: the same services the console uses, from the shell. Commands run
//! a provisioning worker in-process while they wait, so they work with or without a
//! running `serve` (jobs are claimed with SKIP LOCKED, so both can run at once).

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::config::{DbArgs, LifecycleArgs, TenantsCommand};
use crate::control::audit::{Actor, Origin};
use crate::pg::control_db::ControlDb;
use crate::tenancy::lifecycle::{self, Action};
use crate::tenancy::plan_change::{self, TenantUpdate};
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::{self, FirstAdmin, ListFilter, NewTenant, Tenant};
use crate::tenancy::{Tenancy, fleet};

pub async fn run(command: TenantsCommand) -> anyhow::Result<()> {
    crate::telemetry::init_logging("warn", false);
    match command {
        TenantsCommand::Create {
            slug,
            name,
            plan,
            tier,
            timeout,
            first_admin_email,
            server,
            db,
        } => {
            let new = Create {
                slug,
                name,
                plan,
                tier,
                timeout,
                first_admin_email,
                server,
            };
            with_tenancy(&db, 30, |t| create(t, new)).await
        }
        TenantsCommand::List { json, db } => with_tenancy(&db, 30, |t| list(t, json)).await,
        TenantsCommand::Migrate {
            concurrency,
            tenant,
            canary,
            all,
            db,
        } => {
            let opts = fleet::Options {
                concurrency,
                tenant,
                canary,
                all,
            };
            with_tenancy(&db, 30, |t| migrate(t, opts)).await
        }
        TenantsCommand::Update {
            slug,
            plan,
            name,
            allow_over,
            db,
        } => with_tenancy(&db, 30, |t| update(t, slug, plan, name, allow_over)).await,
        TenantsCommand::Suspend(args) => lifecycle_command(args, Action::Suspend).await,
        TenantsCommand::Activate(args) => lifecycle_command(args, Action::Activate).await,
        TenantsCommand::Delete(args) => lifecycle_command(args, Action::Delete).await,
        TenantsCommand::Restore(args) if args.backup.is_some() => {
            super::backups::restore(args).await
        }
        TenantsCommand::Restore(args) => lifecycle_command(args.lifecycle, Action::Restore).await,
        TenantsCommand::Purge(args) => lifecycle_command(args, Action::Purge).await,
        TenantsCommand::Retry(args) => lifecycle_command(args, Action::Retry).await,
        TenantsCommand::Backup { slug, timeout, db } => {
            with_tenancy(&db, 30, |t| super::backups::backup(t, slug, timeout)).await
        }
        TenantsCommand::Export { slug, out, db } => {
            with_tenancy(&db, 30, |t| super::backups::export(t, slug, out)).await
        }
        TenantsCommand::Backups { slug, json, db } => {
            with_tenancy(&db, 30, |t| super::backups::list(t, slug, json)).await
        }
        TenantsCommand::Move {
            slug,
            to,
            tier,
            timeout,
            db,
        } => {
            with_tenancy(&db, 30, |t| {
                super::moves::move_tenant(t, slug, to, tier, timeout)
            })
            .await
        }
    }
}

/// Opens the control plane (starting the embedded cluster if needed), runs `f`, and
/// closes everything whatever `f` returned.
pub(super) async fn with_tenancy<F, Fut>(
    db: &DbArgs,
    retention_days: u32,
    f: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Tenancy) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let control = ControlDb::open(db).await?;
    let result = match crate::state::tenancy(&control, db, retention_days, 60).await {
        Ok(t) => f(t).await,
        Err(e) => Err(e),
    };
    control.close().await;
    result
}

/// What `tenants create` was asked for.
struct Create {
    slug: String,
    name: String,
    plan: String,
    tier: Option<String>,
    timeout: u64,
    first_admin_email: Option<String>,
    server: Option<String>,
}

async fn create(t: Tenancy, c: Create) -> anyhow::Result<()> {
    let Create {
        slug,
        name,
        plan,
        tier,
        timeout,
        first_admin_email,
        server,
    } = c;
    let started = Instant::now();
    let new = NewTenant {
        slug: &slug,
        name: &name,
        plan: &plan,
        tier: tier.as_deref(),
    };
    // The invitation's link points where `serve` serves the tenant.
    let serve = match &first_admin_email {
        Some(_) => Some(crate::config::Config::from_env()?),
        None => None,
    };
    let base_url = serve
        .as_ref()
        .map(|s| s.tenant_url(&slug))
        .unwrap_or_default();
    let first_admin = first_admin_email
        .as_deref()
        .zip(serve.as_ref())
        .map(|(email, s)| FirstAdmin {
            email,
            base_url: &base_url,
            days: s.invitation_days,
        });
    let created = t
        .create_on(
            new,
            server.as_deref(),
            first_admin.as_ref(),
            &Actor::cli(),
            &Origin::default(),
        )
        .await;
    let tenant = match created {
        Ok(tenant) => tenant,
        Err(e) if e.field().is_empty() => return Err(e.into()),
        Err(e) => bail!("--{}: {e}", e.field().replace('_', "-")),
    };
    let tenant = t.settle(tenant.id, Duration::from_secs(timeout)).await?;
    if tenant.status != TenantStatus::Active {
        bail!(
            "{} did not become active ({}): {}",
            tenant.slug,
            tenant.status,
            tenant.last_error.as_deref().unwrap_or("no error recorded")
        );
    }
    println!(
        "{} is active in {:.2} s: {} tier, {} on server {}",
        tenant.slug,
        started.elapsed().as_secs_f64(),
        tenant.tier,
        location(&tenant),
        tenant.server_name
    );
    if let Some(email) = &first_admin_email {
        println!(
            "{email} is invited as its first admin: the mail is in the outbox (`serve` sends it, or logs its link when no SMTP server is configured)"
        );
    }
    Ok(())
}

fn location(t: &Tenant) -> String {
    match &t.schema_name {
        Some(schema) => format!("schema {schema} in {}", t.database_name),
        None => format!("database {}", t.database_name),
    }
}

async fn list(t: Tenancy, json: bool) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for page in 0.. {
        let filter = ListFilter {
            sort: "created".into(),
            page,
            per_page: 200,
            ..Default::default()
        };
        let (rows, total) = tenants::list(&t.db, &filter).await?;
        let last = rows.is_empty() || (page + 1) * 200 >= total;
        all.extend(rows);
        if last {
            break;
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    println!(
        "{:<24} {:<12} {:<10} {:<9} {:<16} {:<40}",
        "SLUG", "STATUS", "PLAN", "TIER", "VERSION", "WHERE"
    );
    for tenant in &all {
        println!(
            "{:<24} {:<12} {:<10} {:<9} {:<16} {:<40}",
            tenant.slug,
            tenant.status,
            tenant.plan_id,
            tenant.tier,
            tenant.schema_version,
            location(tenant)
        );
    }
    Ok(())
}

async fn migrate(t: Tenancy, opts: fleet::Options) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} tenants  {elapsed_precise}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = fleet::migrate(&t, &opts, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "migrated {} tenant(s), {} already current, {} failed, in {:.2} s{}",
        report.migrated.len(),
        report.already_current,
        report.failed.len(),
        report.elapsed.as_secs_f64(),
        report
            .median()
            .map(|m| format!(" (median {:.0} ms per tenant)", m.as_secs_f64() * 1000.0))
            .unwrap_or_default()
    );
    for (slug, error) in &report.failed {
        eprintln!("FAILED {slug} (quarantined until a migration of it succeeds): {error}");
    }
    if report.canary_stopped {
        bail!("the canary failed: the rest of the fleet was not migrated");
    }
    if !report.failed.is_empty() {
        bail!(
            "{} tenant(s) failed to migrate; they keep their previous version",
            report.failed.len()
        );
    }
    Ok(())
}

async fn update(
    t: Tenancy,
    slug: String,
    plan: Option<String>,
    name: Option<String>,
    allow_over: bool,
) -> anyhow::Result<()> {
    let tenant = tenants::find_by_slug(&t.db, &slug)
        .await?
        .with_context(|| format!("no tenant “{slug}”"))?;
    let change = TenantUpdate {
        plan: plan.as_deref(),
        name: name.as_deref(),
        allow_over,
    };
    match plan_change::update(&t, &tenant, &change, &Actor::cli(), &Origin::default()).await {
        Ok(()) => {}
        Err(e @ plan_change::UpdateError::Db(_)) => return Err(e.into()),
        Err(e @ plan_change::UpdateError::OverLimits { .. }) => {
            bail!("--plan: {e} (--allow-over applies it anyway)")
        }
        Err(e) => bail!("--{}: {e}", e.field()),
    }
    let now = tenants::get(&t.db, tenant.id)
        .await?
        .context("tenant disappeared")?;
    println!("{}: plan {}, name “{}”", now.slug, now.plan_id, now.name);
    Ok(())
}

async fn lifecycle_command(args: LifecycleArgs, action: Action) -> anyhow::Result<()> {
    with_tenancy(&args.db, args.retention_days, |t| async move {
        let tenant = tenants::find_by_slug(&t.db, &args.slug)
            .await?
            .with_context(|| format!("no tenant “{}”", args.slug))?;
        lifecycle::apply(
            &t,
            &tenant,
            action,
            args.confirm.as_deref(),
            &Actor::cli(),
            &Origin::default(),
        )
        .await?;
        if matches!(action, Action::Purge | Action::Retry) {
            let settled = t.settle(tenant.id, Duration::from_secs(120)).await?;
            if let Some(error) = settled
                .last_error
                .filter(|_| !matches!(settled.status, TenantStatus::Active | TenantStatus::Purged))
            {
                bail!("{} failed: {error}", tenant.slug);
            }
            println!("{} is {}", settled.slug, settled.status);
        } else {
            let now = tenants::get(&t.db, tenant.id)
                .await?
                .context("tenant disappeared")?;
            println!("{} is {}", now.slug, now.status);
        }
        Ok(())
    })
    .await
}
