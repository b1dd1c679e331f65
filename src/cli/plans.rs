//! `tenantry plans …`: the Plans page's services from the shell.

use anyhow::bail;

use crate::config::{PlanArgs, PlansCommand};
use crate::control::audit::{Actor, Origin};
use crate::control::plans::{self, PlanError, PlanInput};
use crate::pg::control_db::ControlDb;

pub async fn run(command: PlansCommand) -> anyhow::Result<()> {
    crate::telemetry::init_logging("warn", false);
    let db = match &command {
        PlansCommand::List { db, .. } | PlansCommand::Delete { db, .. } => db,
        PlansCommand::Create(a) | PlansCommand::Update(a) => &a.db,
    };
    let control = ControlDb::open(db).await?;
    let result = match &command {
        PlansCommand::List { json, .. } => list(&control.pool, *json).await,
        PlansCommand::Create(args) => create(&control.pool, args).await,
        PlansCommand::Update(args) => update(&control.pool, args).await,
        PlansCommand::Delete { name, .. } => delete(&control.pool, name).await,
    };
    control.close().await;
    result
}

/// A refusal as one line naming the option it concerns.
fn refused(e: PlanError) -> anyhow::Error {
    match e {
        PlanError::Db(e) => e.into(),
        e if e.field().is_empty() => anyhow::anyhow!("{e}"),
        e => anyhow::anyhow!("--{}: {e}", e.field().replace('_', "-")),
    }
}

async fn list(db: &sqlx::PgPool, json: bool) -> anyhow::Result<()> {
    let all = plans::list(db).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    let show = |n: Option<i64>| {
        n.map(|n| n.to_string())
            .unwrap_or_else(|| "unlimited".into())
    };
    println!(
        "{:<12} {:<16} {:>9} {:>10} {:>13} {:>8} {:>8} {:<9} {:>4} {:>9} {:>7}",
        "ID",
        "NAME",
        "USERS",
        "STORAGE",
        "API/MONTH",
        "RPS",
        "MODULES",
        "TIER",
        "POOL",
        "BACKUPS",
        "TENANTS"
    );
    for p in &all {
        // Every N hours, kept D days (`-` when none are scheduled).
        let backups = match p.backup_every_hours {
            Some(h) => format!("{h}h/{}d", p.backup_keep_days),
            None => format!("-/{}d", p.backup_keep_days),
        };
        println!(
            "{:<12} {:<16} {:>9} {:>10} {:>13} {:>8} {:>8} {:<9} {:>4} {:>9} {:>7}",
            p.id,
            p.name,
            show(p.max_users.map(i64::from)),
            p.max_storage_bytes
                .map(plans::storage_text)
                .unwrap_or_else(|| "unlimited".into()),
            show(p.max_api_calls_per_month),
            show(p.max_requests_per_second.map(i64::from)),
            show(p.max_modules.map(i64::from)),
            p.default_tier,
            p.pool_size,
            backups,
            p.tenants
        );
    }
    Ok(())
}

/// Overrides `input` with the options given.
fn apply(input: &mut PlanInput, a: &PlanArgs) {
    let set = |field: &mut String, value: &Option<String>| {
        if let Some(v) = value {
            field.clone_from(v);
        }
    };
    set(&mut input.max_users, &a.max_users);
    set(&mut input.max_storage, &a.max_storage);
    set(&mut input.max_api_calls, &a.max_api_calls);
    set(&mut input.max_rps, &a.max_rps);
    set(&mut input.max_modules, &a.max_modules);
    set(&mut input.pool_size, &a.pool_size);
    set(&mut input.default_tier, &a.default_tier);
    set(&mut input.backup_every, &a.backup_every);
    set(&mut input.backup_keep_days, &a.backup_keep_days);
}

async fn create(db: &sqlx::PgPool, a: &PlanArgs) -> anyhow::Result<()> {
    let mut input = PlanInput {
        id: a.id.clone().unwrap_or_default(),
        name: a.name.clone(),
        pool_size: "3".into(),
        default_tier: "pooled".into(),
        ..Default::default()
    };
    apply(&mut input, a);
    let plan = plans::create(db, &input, &Actor::cli(), &Origin::default())
        .await
        .map_err(refused)?;
    println!("created plan {} ({})", plan.id, plan.name);
    Ok(())
}

async fn update(db: &sqlx::PgPool, a: &PlanArgs) -> anyhow::Result<()> {
    let Some(plan) = plans::find(db, &a.name).await? else {
        bail!("--name: there is no plan “{}”", a.name);
    };
    let mut input = plan.to_input();
    if let Some(name) = &a.rename {
        input.name.clone_from(name);
    }
    apply(&mut input, a);
    let plan = plans::update(db, &plan.id, &input, &Actor::cli(), &Origin::default())
        .await
        .map_err(refused)?;
    println!("updated plan {} ({})", plan.id, plan.name);
    Ok(())
}

async fn delete(db: &sqlx::PgPool, name: &str) -> anyhow::Result<()> {
    let Some(plan) = plans::find(db, name).await? else {
        bail!("--name: there is no plan “{name}”");
    };
    plans::delete(db, &plan.id, &Actor::cli(), &Origin::default())
        .await
        .map_err(refused)?;
    println!("deleted plan {}", plan.id);
    Ok(())
}
