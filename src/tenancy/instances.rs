//! One connection budget per db server, shared by every `serve` instance.
//!
//! Each instance registers in `instances` and beats every second. Its share of a server's
//! budget is a claim in `instance_shares`, recomputed on every beat under an advisory
//! lock per server:
//!
//! - the fair share is the budget divided by the live instances (at least one);
//! - a claim grows only into room the other claims leave, so the claims together never
//!   exceed the budget, not even while instances come and go;
//! - a claim shrinks in two steps: first the instance lowers its own limit (its pool
//!   closes idle connections and opens none past it), then it gives back only what it no
//!   longer holds. Connections still in use keep their claim until they are returned.
//!
//! An instance that stops beating (a crash) is removed by the others after
//! [`GONE_AFTER`], and its claims with it. A newcomer therefore reaches its fair share
//! within about two beats of the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::tenancy::pools::TenantPools;

/// How often an instance beats and recomputes its shares.
pub const BEAT: Duration = Duration::from_secs(1);
/// An instance silent this long is gone.
pub const GONE_AFTER: Duration = Duration::from_secs(10);

/// This instance's part of a per-tenant figure that every instance enforces on its own
/// (a role's connection limit, a plan's requests a second): the figure divided among the
/// `instances` live ones, at least one, so together they stay within it.
pub fn part(total: u32, instances: u32) -> u32 {
    (total / instances.max(1)).max(1)
}

/// This process's registration; [`Instance::run`] keeps it alive.
#[derive(Clone)]
pub struct Instance {
    pub id: Uuid,
    db: PgPool,
    pools: TenantPools,
    /// The budget of a server whose row names none (`TENANTRY_TENANT_CONNECTIONS`).
    default_budget: u32,
    /// Set by [`Instance::deregister`]: no beat may register the instance again.
    left: Arc<AtomicBool>,
    /// Live instances at the last beat (this one included).
    live: Arc<AtomicU32>,
}

/// One server's share for this instance after a beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub server_id: Uuid,
    pub budget: u32,
    pub instances: u32,
    /// Connections this instance may open on the server.
    pub limit: u32,
    /// What the instance has claimed (its limit, or more while it still holds more).
    pub claimed: u32,
}

impl Instance {
    /// Registers this process; it has no share until its first [`Instance::beat`].
    pub async fn register(
        db: &PgPool,
        pools: TenantPools,
        default_budget: u32,
    ) -> sqlx::Result<Self> {
        let id = Uuid::now_v7();
        let host = std::env::var("HOSTNAME").unwrap_or_default();
        sqlx::query("insert into instances (id, host, pid) values ($1, $2, $3)")
            .bind(id)
            .bind(&host)
            .bind(i32::try_from(std::process::id()).unwrap_or(0))
            .execute(db)
            .await?;
        Ok(Self {
            id,
            db: db.clone(),
            pools,
            default_budget: default_budget.max(1),
            left: Arc::new(AtomicBool::new(false)),
            live: Arc::new(AtomicU32::new(1)),
        })
    }

    /// Live instances at the last beat, this one included.
    pub fn live(&self) -> u32 {
        self.live.load(Ordering::Acquire)
    }

    /// Beats until the process ends; a failed beat is logged and retried on the next.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(BEAT);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if self.left.load(Ordering::Acquire) || self.db.is_closed() {
                return;
            }
            if let Err(e) = self.beat().await {
                tracing::warn!(error = %e, "instance heartbeat failed");
            }
        }
    }

    /// Leaves the fleet (on a clean shutdown): the others may take the share at once.
    pub async fn deregister(&self) -> sqlx::Result<()> {
        self.left.store(true, Ordering::Release);
        sqlx::query("delete from instances where id = $1")
            .bind(self.id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// One beat: alive again, the gone removed, every server's share recomputed and
    /// applied to this instance's pools.
    pub async fn beat(&self) -> sqlx::Result<Vec<Share>> {
        let gone = format!("{} seconds", GONE_AFTER.as_secs());
        // Re-registers if others removed us while we could not beat.
        sqlx::query(
            "insert into instances (id, host, pid) values ($1, '', $2)
             on conflict (id) do update set heartbeat_at = now()",
        )
        .bind(self.id)
        .bind(i32::try_from(std::process::id()).unwrap_or(0))
        .execute(&self.db)
        .await?;
        sqlx::query("delete from instances where heartbeat_at < now() - $1::interval")
            .bind(&gone)
            .execute(&self.db)
            .await?;
        let servers: Vec<Uuid> = sqlx::query_scalar("select id from db_servers order by id")
            .fetch_all(&self.db)
            .await?;
        let mut shares = Vec::with_capacity(servers.len());
        for server_id in servers {
            shares.push(self.claim(server_id, &gone).await?);
        }
        Ok(shares)
    }

    /// Recomputes this instance's claim on one server, under the server row's lock.
    async fn claim(&self, server_id: Uuid, gone: &str) -> sqlx::Result<Share> {
        let mut tx = self.db.begin().await?;
        // Claims on one server are computed one at a time. An advisory lock, not a row
        // lock: a row lock on `db_servers` would hold up anyone inserting a server (its
        // unique checks wait on the locked row) for as long as this transaction lasts.
        sqlx::query(
            "select pg_advisory_xact_lock(hashtext('tenantry.instance_shares'), hashtext($1::text))",
        )
        .bind(server_id)
        .execute(&mut *tx)
        .await?;
        let budget: Option<i32> =
            sqlx::query_scalar("select tenant_connections from db_servers where id = $1")
                .bind(server_id)
                .fetch_one(&mut *tx)
                .await?;
        let budget = budget.map_or(self.default_budget, |b| u32::try_from(b).unwrap_or(1));
        let (instances, others, mine): (i64, i64, i64) = sqlx::query_as(
            "select (select count(*) from instances where heartbeat_at >= now() - $3::interval),
                    coalesce((select sum(connections) from instance_shares
                              where db_server_id = $1 and instance_id <> $2), 0)::bigint,
                    coalesce((select connections from instance_shares
                              where db_server_id = $1 and instance_id = $2), 0)::bigint",
        )
        .bind(server_id)
        .bind(self.id)
        .bind(gone)
        .fetch_one(&mut *tx)
        .await?;
        let instances = u32::try_from(instances.max(1)).unwrap_or(u32::MAX);
        self.live.store(instances, Ordering::Release);
        let others = u32::try_from(others).unwrap_or(u32::MAX);
        let mine = u32::try_from(mine).unwrap_or(0);
        let fair = (budget / instances).max(1);
        let limit = fair.min(budget.saturating_sub(others));
        let claimed = if limit >= mine {
            limit
        } else {
            // Shrinking: keep covering what this instance still holds open.
            self.pools.set_share(server_id, limit, instances).await;
            limit.max(self.pools.open_on(server_id)).min(mine)
        };
        sqlx::query(
            "insert into instance_shares (instance_id, db_server_id, connections)
             values ($1, $2, $3)
             on conflict (instance_id, db_server_id) do update set connections = excluded.connections",
        )
        .bind(self.id)
        .bind(server_id)
        .bind(i32::try_from(claimed).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // Growing takes effect once the claim is committed.
        self.pools.set_share(server_id, limit, instances).await;
        Ok(Share {
            server_id,
            budget,
            instances,
            limit,
            claimed,
        })
    }
}

/// A live instance as the System page lists it.
pub struct Listed {
    pub id: Uuid,
    pub host: String,
    pub pid: i32,
    pub started_at: time::OffsetDateTime,
    pub seconds_since_beat: f64,
    /// Connections it has claimed, over every db server.
    pub claimed: i64,
}

/// The instances sharing the budgets, oldest first.
pub async fn list(db: &PgPool) -> sqlx::Result<Vec<Listed>> {
    let rows: Vec<(Uuid, String, i32, time::OffsetDateTime, f64, i64)> = sqlx::query_as(
        "select i.id, i.host, i.pid, i.started_at,
                extract(epoch from now() - i.heartbeat_at)::float8,
                coalesce(sum(s.connections), 0)::bigint
         from instances i left join instance_shares s on s.instance_id = i.id
         group by i.id order by i.started_at",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, host, pid, started_at, seconds_since_beat, claimed)| Listed {
                id,
                host,
                pid,
                started_at,
                seconds_since_beat,
                claimed,
            },
        )
        .collect())
}
