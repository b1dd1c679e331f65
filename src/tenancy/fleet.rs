//! Fleet migrations: bring every tenant to its modules' latest version, in parallel
//! within the connection budget, each failure recorded on its tenant without stopping
//! the others; `--canary N` migrates N tenants first and stops if any fails. A tenant
//! whose migration fails is quarantined (its requests get a 503) until one succeeds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::migrate::{self, MigrateError};
use crate::tenancy::provision::{self, Context, Step};
use crate::tenancy::tenants;

pub struct Options {
    pub concurrency: usize,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Migrate this many first; stop if any of them fails.
    pub canary: Option<usize>,
    /// Also re-check tenants already recorded at the target version.
    pub all: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub migrated: Vec<(String, i64, i64)>,
    pub already_current: usize,
    pub failed: Vec<(String, String)>,
    pub canary_stopped: bool,
    pub elapsed: Duration,
    pub durations: Vec<Duration>,
}

impl Report {
    pub fn median(&self) -> Option<Duration> {
        let mut d = self.durations.clone();
        d.sort();
        d.get(d.len() / 2).copied()
    }
}

struct Item {
    id: Uuid,
    slug: String,
    from: i64,
}

/// Migrates the fleet; `progress(done, total)` is called after each tenant.
pub async fn migrate(
    t: &Tenancy,
    opts: &Options,
    progress: impl Fn(usize, usize) + Sync,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut report = Report::default();
    let mut todo = Vec::new();
    for row in sqlx::query!(
        "select id, slug, schema_version from tenants
         where status in ('active', 'suspended') and ($1::text is null or lower(slug) = lower($1))
         order by created_at",
        opts.tenant
    )
    .fetch_all(&t.db)
    .await?
    {
        let modules = t.enabled_modules(row.id).await?;
        if !opts.all && row.schema_version >= migrate::target_version(&modules) {
            report.already_current += 1;
        } else {
            todo.push(Item {
                id: row.id,
                slug: row.slug,
                from: row.schema_version,
            });
        }
    }
    if let Some(slug) = &opts.tenant
        && todo.is_empty()
        && report.already_current == 0
    {
        anyhow::bail!("no active or suspended tenant “{slug}”");
    }

    let total = todo.len();
    let concurrency = opts.concurrency.clamp(1, 64);
    let (canary, rest) = match opts.canary {
        Some(n) => {
            let n = n.min(todo.len());
            let rest = todo.split_off(n);
            (todo, rest)
        }
        None => (Vec::new(), todo),
    };
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for (batch, is_canary) in [(canary, true), (rest, false)] {
        let results: Vec<_> = futures_util::stream::iter(batch)
            .map(|item| {
                let done = done.clone();
                let progress = &progress;
                async move {
                    let began = Instant::now();
                    let result = migrate_one(t, &item).await;
                    progress(
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                        total,
                    );
                    (item, result, began.elapsed())
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut batch_failed = false;
        for (item, result, took) in results {
            report.durations.push(took);
            match result {
                Ok(to) => report.migrated.push((item.slug, item.from, to)),
                Err(e) => {
                    batch_failed = true;
                    report.failed.push((item.slug, format!("{e:#}")));
                }
            }
        }
        if is_canary && batch_failed {
            report.canary_stopped = true;
            break;
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Migrates one tenant with retries on lock timeouts; records the outcome on the tenant.
async fn migrate_one(t: &Tenancy, item: &Item) -> anyhow::Result<i64> {
    let tenant = tenants::get(&t.db, item.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant disappeared"))?;
    let cx = Context::new(t, tenant, t.enabled_modules(item.id).await?, 1);
    let mut attempt = 0;
    let result = loop {
        attempt += 1;
        match provision::run(Step::Migrations, &cx).await {
            Err(e)
                if attempt < 3
                    && e.downcast_ref::<MigrateError>()
                        .is_some_and(MigrateError::is_lock_timeout) =>
            {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            other => break other,
        }
    };
    cx.finish().await;
    let mut tx = t.db.begin().await?;
    let outcome = match result {
        Ok(version) => {
            let version = version.unwrap_or(item.from);
            let was_quarantined = sqlx::query_scalar!(
                r#"update tenants set schema_version = $2, last_error = null, quarantined_at = null, updated_at = now()
                   where id = $1
                   returning (select quarantined_at is not null from tenants where id = $1) as "was!""#,
                item.id,
                version
            )
            .fetch_one(&mut *tx)
            .await?;
            if was_quarantined {
                quarantine_event(
                    &mut tx,
                    item,
                    "tenant.released",
                    json!({ "version": version }),
                )
                .await?;
            }
            Ok(version)
        }
        Err(e) => {
            let message = format!("{}{e:#}", crate::tenancy::progress::MIGRATION_FAILED);
            // Quarantined from the first failure on; its requests get a 503 meanwhile.
            let newly = sqlx::query_scalar!(
                r#"update tenants set last_error = $2, quarantined_at = coalesce(quarantined_at, now()), updated_at = now()
                   where id = $1
                   returning (select quarantined_at is null from tenants where id = $1) as "newly!""#,
                item.id,
                message
            )
            .fetch_one(&mut *tx)
            .await?;
            if newly {
                quarantine_event(
                    &mut tx,
                    item,
                    "tenant.quarantined",
                    json!({ "error": message }),
                )
                .await?;
            }
            Err(e)
        }
    };
    tx.commit().await?;
    t.changed(item.id);
    outcome
}

async fn quarantine_event(
    tx: &mut sqlx::PgConnection,
    item: &Item,
    action: &str,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    let mut details = details;
    details["tenant_id"] = json!(item.id);
    audit::record(
        tx,
        NewEvent {
            actor: &Actor::system(),
            action,
            tenant: Some(item.id),
            target: Some(&item.slug),
            origin: &Origin::default(),
            details,
        },
    )
    .await
}
