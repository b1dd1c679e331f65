//! Metering: per tenant and UTC day, page requests, API calls, module records written
//! and active users, counted in memory on the request path (one short lock, no I/O)
//! and written by [`Meter::flush`] in one transaction of batched upserts every few
//! seconds and at shutdown. A flush takes the counts out before writing them and puts
//! them back if the write fails, so a count is written once or retried, never twice; a
//! crash loses what was counted since the last flush (one interval at most).
//! Mail sent and storage are written where they happen (the mail worker, the sampler).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub page_requests: i64,
    pub api_calls: i64,
    pub records_written: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.page_requests += other.page_requests;
        self.api_calls += other.api_calls;
        self.records_written += other.records_written;
    }
}

#[derive(Default)]
struct Pending {
    counts: HashMap<(Uuid, Date), Counts>,
    active: HashSet<(Uuid, Date, Uuid)>,
}

/// The in-memory counters of this process; cheap to clone.
#[derive(Clone, Default)]
pub struct Meter {
    pending: Arc<Mutex<Pending>>,
}

/// What one flush wrote.
#[derive(Debug, Default)]
pub struct Flushed {
    pub rows: usize,
    pub elapsed: Duration,
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

impl Meter {
    pub fn new() -> Self {
        Self::default()
    }

    fn with(&self, f: impl FnOnce(&mut Pending)) {
        // ok: nothing panics while the lock is held; a poisoned lock still holds counts.
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut p);
    }

    fn count(&self, tenant: Uuid, add: Counts) {
        self.with(|p| p.counts.entry((tenant, today())).or_default().add(add));
    }

    pub fn page_request(&self, tenant: Uuid) {
        self.count(
            tenant,
            Counts {
                page_requests: 1,
                ..Counts::default()
            },
        );
    }

    pub fn api_call(&self, tenant: Uuid) {
        self.count(
            tenant,
            Counts {
                api_calls: 1,
                ..Counts::default()
            },
        );
    }

    pub fn record_written(&self, tenant: Uuid) {
        self.count(
            tenant,
            Counts {
                records_written: 1,
                ..Counts::default()
            },
        );
    }

    /// A signed-in person used the tenant's console today.
    pub fn active_user(&self, tenant: Uuid, user: Uuid) {
        self.with(|p| {
            p.active.insert((tenant, today(), user));
        });
    }

    /// Counts not yet flushed (for tests and the bench).
    pub fn pending_rows(&self) -> usize {
        let p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.counts.len()
    }

    fn take(&self) -> Pending {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *p)
    }

    fn put_back(&self, taken: Pending) {
        self.with(|p| {
            for (key, counts) in taken.counts {
                p.counts.entry(key).or_default().add(counts);
            }
            p.active.extend(taken.active);
        });
    }

    /// Writes everything counted so far in one transaction; on failure the counts go
    /// back to be written by the next flush.
    pub async fn flush(&self, db: &PgPool) -> sqlx::Result<Flushed> {
        let started = Instant::now();
        let taken = self.take();
        if taken.counts.is_empty() && taken.active.is_empty() {
            return Ok(Flushed::default());
        }
        let rows = taken.counts.len();
        match write(db, &taken).await {
            Ok(()) => {
                let elapsed = started.elapsed();
                metrics::counter!("usage_flushes_total").increment(1);
                metrics::histogram!("usage_flush_duration_seconds").record(elapsed.as_secs_f64());
                Ok(Flushed { rows, elapsed })
            }
            Err(e) => {
                metrics::counter!("usage_flush_failures_total").increment(1);
                self.put_back(taken);
                Err(e)
            }
        }
    }

    /// Flushes every `every` until `stop` turns true, then once more.
    pub async fn run_forever(
        self,
        db: PgPool,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => {}
            }
            if let Err(e) = self.flush(&db).await {
                tracing::warn!(error = %e, "usage flush failed; its counts are kept for the next one");
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

async fn write(db: &PgPool, p: &Pending) -> sqlx::Result<()> {
    // Active users' days need a row too (their count is written onto it).
    let mut counts = p.counts.clone();
    for (tenant, day, _) in &p.active {
        counts.entry((*tenant, *day)).or_default();
    }
    let mut tenants = Vec::with_capacity(counts.len());
    let mut days = Vec::with_capacity(counts.len());
    let (mut pages, mut api, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for ((tenant, day), c) in &counts {
        tenants.push(*tenant);
        days.push(*day);
        pages.push(c.page_requests);
        api.push(c.api_calls);
        records.push(c.records_written);
    }
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into usage_daily as u (tenant_id, day, page_requests, api_calls, records_written)
         select * from unnest($1::uuid[], $2::date[], $3::int8[], $4::int8[], $5::int8[])
         on conflict (tenant_id, day) do update set
             page_requests = u.page_requests + excluded.page_requests,
             api_calls = u.api_calls + excluded.api_calls,
             records_written = u.records_written + excluded.records_written",
        &tenants,
        &days,
        &pages,
        &api,
        &records,
    )
    .execute(&mut *tx)
    .await?;
    if !p.active.is_empty() {
        let (mut at, mut ad, mut au) = (Vec::new(), Vec::new(), Vec::new());
        for (tenant, day, user) in &p.active {
            at.push(*tenant);
            ad.push(*day);
            au.push(*user);
        }
        sqlx::query!(
            "insert into usage_active_users (tenant_id, day, user_id)
             select * from unnest($1::uuid[], $2::date[], $3::uuid[]) on conflict do nothing",
            &at,
            &ad,
            &au,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "update usage_daily u set active_users =
                 (select count(*) from usage_active_users a where a.tenant_id = u.tenant_id and a.day = u.day)
             where (u.tenant_id, u.day) in (select * from unnest($1::uuid[], $2::date[]))",
            &at,
            &ad,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Adds one sent message to the tenant's day (the mail worker, in the transaction that
/// marks it sent).
pub async fn mail_sent(db: impl sqlx::PgExecutor<'_>, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into usage_daily as u (tenant_id, day, mail_sent)
         values ($1, (now() at time zone 'utc')::date, 1)
         on conflict (tenant_id, day) do update set mail_sent = u.mail_sent + 1",
        tenant
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Records a storage sample: the day keeps its highest.
pub async fn storage_sample(db: &PgPool, tenant: Uuid, bytes: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into usage_daily as u (tenant_id, day, storage_bytes)
         values ($1, (now() at time zone 'utc')::date, $2)
         on conflict (tenant_id, day) do update set storage_bytes = greatest(u.storage_bytes, excluded.storage_bytes)",
        tenant,
        bytes.max(0)
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Rolls days older than `keep_days` up into their months (counters summed, active
/// users and storage the month's highest) and deletes them, in one transaction.
pub async fn roll_up(db: &PgPool, keep_days: i32) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let rolled = sqlx::query!(
        "with old as (
             delete from usage_daily where day < (now() at time zone 'utc')::date - $1::int
             returning *)
         insert into usage_monthly as m (tenant_id, month, page_requests, api_calls, mail_sent,
                                         records_written, active_users, storage_bytes)
         select tenant_id, date_trunc('month', day)::date, sum(page_requests), sum(api_calls),
                sum(mail_sent), sum(records_written), max(active_users), max(storage_bytes)
         from old group by 1, 2
         on conflict (tenant_id, month) do update set
             page_requests = m.page_requests + excluded.page_requests,
             api_calls = m.api_calls + excluded.api_calls,
             mail_sent = m.mail_sent + excluded.mail_sent,
             records_written = m.records_written + excluded.records_written,
             active_users = greatest(m.active_users, excluded.active_users),
             storage_bytes = greatest(m.storage_bytes, excluded.storage_bytes)",
        keep_days
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "delete from usage_active_users where day < (now() at time zone 'utc')::date - $1::int",
        keep_days
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rolled)
}
