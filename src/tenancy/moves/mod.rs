//! Moves of one tenant: to another database server, from the pooled tier to its own
//! database or back, or both at once.
//!
//! Asked for here, and refused before anything is queued when the target is unknown,
//! draining, full, unreachable, already holds something in the tenant's place, or is
//! where the tenant already is. The move itself is a durable job run by the provisioning
//! worker ([`jobs`]; the copy in [`copy`]). The copy it leaves behind is kept for a grace
//! period ([`Tenancy::move_grace`]) and then dropped by the worker's sweep
//! ([`sweep_old_copies`]); an isolated restore hands its old database to the same sweep.
//! Draining a server queues the moves of its tenants ([`drain`]).

pub mod copy;
pub mod jobs;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::tenancy::Tenancy;
use crate::tenancy::status::{TenantStatus, Tier};
use crate::tenancy::tenants::{self, Tenant};

/// Where a tenant's data lives: a server, a tier, a database and (pooled) a schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub server_id: Uuid,
    pub server: String,
    pub tier: String,
    pub database: String,
    pub schema: Option<String>,
}

impl Place {
    /// Where `tenant` lives now.
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            server_id: tenant.db_server_id,
            server: tenant.server_name.clone(),
            tier: tenant.tier.as_str().to_owned(),
            database: tenant.database_name.clone(),
            schema: tenant.schema_name.clone(),
        }
    }

    pub fn tier(&self) -> Tier {
        Tier::parse(&self.tier).unwrap_or(Tier::Isolated)
    }

    /// "database tenant_acme on primary", "schema t_acme in tenants_pooled_1 on second".
    pub fn describe(&self) -> String {
        match &self.schema {
            Some(schema) => format!("schema {schema} in {} on {}", self.database, self.server),
            None => format!("database {} on {}", self.database, self.server),
        }
    }

    /// `tenant` as if it lived here (provisioning steps run against the target with it).
    pub fn apply_to(&self, tenant: &Tenant) -> Tenant {
        let mut placed = tenant.clone();
        placed.db_server_id = self.server_id;
        placed.server_name = self.server.clone();
        placed.tier = self.tier();
        placed.database_name = self.database.clone();
        placed.schema_name = self.schema.clone();
        placed
    }
}

/// What a move job carries in its `detail`: where from, where to, and the status to give
/// the tenant back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub previous: String,
    pub from: Place,
    pub to: Place,
}

impl Plan {
    pub fn previous(&self) -> TenantStatus {
        TenantStatus::parse(&self.previous).unwrap_or(TenantStatus::Active)
    }
}

/// Why a move was not queued; each names its reason.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("The tier must be “isolated” or “pooled”.")]
    UnknownTier,
    #[error("There is no database server “{0}”.")]
    UnknownServer(String),
    #[error("The database server “{0}” is draining: it takes no new tenants and no moves.")]
    ServerDraining(String),
    #[error("The database server “{0}” is full: raise its capacity or choose another.")]
    ServerFull(String),
    #[error("The database server “{0}” cannot be reached: {1}")]
    Unreachable(String, String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl MoveError {
    /// The form field (and CLI flag) the message belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownTier => "tier",
            Self::UnknownServer(_)
            | Self::ServerDraining(_)
            | Self::ServerFull(_)
            | Self::Unreachable(..) => "to",
            Self::Refused(_) | Self::Db(_) => "",
        }
    }
}

/// A move that was queued: the CLI and pages follow it by its job id.
#[derive(Clone, Copy, Debug)]
pub struct Queued {
    pub job_id: i64,
    pub tenant_id: Uuid,
}

/// A server as a move target.
struct Target {
    id: Uuid,
    name: String,
    status: String,
    capacity: i32,
    used: i64,
}

async fn target_server(db: &PgPool, name: &str) -> sqlx::Result<Option<Target>> {
    let row = sqlx::query(
        "select s.id, s.name, s.status, s.capacity,
                (select count(*) from tenants t where t.db_server_id = s.id and t.status <> 'purged') as used
         from db_servers s where lower(s.name) = lower($1)",
    )
    .bind(name)
    .fetch_optional(db)
    .await?;
    row.map(|r| -> sqlx::Result<Target> {
        Ok(Target {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            status: r.try_get("status")?,
            capacity: r.try_get("capacity")?,
            used: r.try_get("used")?,
        })
    })
    .transpose()
}

/// Whether the server answers within a few seconds (the reason when it does not).
pub async fn reachable(t: &Tenancy, server: Uuid) -> Result<(), String> {
    let check = async {
        let admin = t.servers.pool(server, "postgres").await?;
        sqlx::query("select 1").execute(&admin).await?;
        anyhow::Ok(())
    };
    match tokio::time::timeout(Duration::from_secs(5), check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err("no answer within 5 s".into()),
    }
}

/// Queues a move of `tenant` to the server named `to` (`None`: the one it is on) and the
/// tier `tier` (`None`: the one it has), after checking everything that can be checked
/// before anything changes.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request_move(
    t: &Tenancy,
    tenant: &Tenant,
    to: Option<&str>,
    tier: Option<&str>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Queued, MoveError> {
    if !matches!(
        tenant.status,
        TenantStatus::Active | TenantStatus::Suspended
    ) {
        return Err(MoveError::Refused(format!(
            "A tenant that is {} cannot be moved.",
            tenant.status
        )));
    }
    let tier = match tier.map(str::trim).filter(|s| !s.is_empty()) {
        None => tenant.tier,
        Some(s) => Tier::parse(s).ok_or(MoveError::UnknownTier)?,
    };
    let name = to
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&tenant.server_name);
    let shown = || name.chars().take(63).collect::<String>();
    let target = target_server(&t.db, name)
        .await?
        .ok_or_else(|| MoveError::UnknownServer(shown()))?;
    let same_server = target.id == tenant.db_server_id;
    if same_server && tier == tenant.tier {
        return Err(MoveError::Refused(format!(
            "The tenant is already on “{}” in the {tier} tier: there is nothing to move.",
            target.name
        )));
    }
    if target.status != "active" {
        return Err(MoveError::ServerDraining(target.name));
    }
    if !same_server && target.used >= i64::from(target.capacity) {
        return Err(MoveError::ServerFull(target.name));
    }
    reachable(t, target.id)
        .await
        .map_err(|why| MoveError::Unreachable(target.name.clone(), why))?;

    let slug = tenant.slug();
    let to = Place {
        server_id: target.id,
        server: target.name.clone(),
        tier: tier.as_str().to_owned(),
        database: match tier {
            Tier::Isolated => slug.database().as_str().to_owned(),
            Tier::Pooled => {
                let mut conn = t.db.acquire().await?;
                tenants::pooled_database(&mut conn, target.id).await?
            }
        },
        schema: match tier {
            Tier::Isolated => None,
            Tier::Pooled => Some(slug.schema().as_str().to_owned()),
        },
    };
    if copy::occupied(t, tenant, &to)
        .await
        .map_err(|e| MoveError::Unreachable(target.name.clone(), format!("{e:#}")))?
    {
        return Err(MoveError::Refused(format!(
            "The {} already exists: something else holds the place this tenant would move to.",
            to.describe()
        )));
    }

    let mut tx = t.db.begin().await?;
    // Under the tenant's row lock, so two requests cannot both queue.
    let status: String = sqlx::query_scalar("select status from tenants where id = $1 for update")
        .bind(tenant.id)
        .fetch_one(&mut *tx)
        .await?;
    if !matches!(status.as_str(), "active" | "suspended") {
        return Err(MoveError::Refused(format!(
            "A tenant that is {status} cannot be moved."
        )));
    }
    if let Some(kind) = job_in_progress(&mut tx, tenant.id).await? {
        return Err(MoveError::Refused(format!(
            "A {kind} of this tenant is already in progress; wait for it to finish."
        )));
    }
    // Re-checked under the placement lock: the last slot may have gone meanwhile.
    if !same_server {
        match crate::tenancy::servers::pinned(&mut tx, &target.name).await? {
            Ok(_) => {}
            Err(crate::tenancy::servers::PinRefused::Unknown) => {
                return Err(MoveError::UnknownServer(shown()));
            }
            Err(crate::tenancy::servers::PinRefused::Draining) => {
                return Err(MoveError::ServerDraining(target.name));
            }
            Err(crate::tenancy::servers::PinRefused::Full) => {
                return Err(MoveError::ServerFull(target.name));
            }
        }
    }
    let plan = Plan {
        previous: status,
        from: Place::of(tenant),
        to,
    };
    let detail = serde_json::to_value(&plan).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let job_id: i64 = sqlx::query_scalar(
        "insert into provisioning_jobs (tenant_id, kind, detail) values ($1, 'move', $2) returning id",
    )
    .bind(tenant.id)
    .bind(&detail)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.move_requested",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({
                "tenant_id": tenant.id,
                "job_id": job_id,
                "from": plan.from,
                "to": plan.to,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    t.wake.notify_one();
    Ok(Queued {
        job_id,
        tenant_id: tenant.id,
    })
}

/// The kind of a job of the tenant that is queued or running, if any.
pub async fn job_in_progress(
    tx: &mut sqlx::PgConnection,
    tenant: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select kind from provisioning_jobs where tenant_id = $1 and status = 'queued' order by id limit 1",
    )
    .bind(tenant)
    .fetch_optional(tx)
    .await
}

/// Whether a move of the tenant is queued or running (backups, restores and lifecycle
/// changes wait for it).
pub async fn moving(db: &PgPool, tenant: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists(select 1 from provisioning_jobs where tenant_id = $1 and kind = 'move' and status = 'queued')",
    )
    .bind(tenant)
    .fetch_one(db)
    .await
}

/// What draining a server came to.
pub struct Drained {
    pub server: String,
    /// Moves queued: (slug, job).
    pub queued: Vec<(String, Queued)>,
    /// Tenants whose move was refused: (slug, reason).
    pub refused: Vec<(String, String)>,
    /// Tenants left where they are: being set up or deleted (their data goes with them).
    pub left: i64,
}

/// Marks the server named `name` draining (no new tenants, no moves to it) and queues the
/// move of each of its active and suspended tenants to the active server with the most
/// room, in the tier it has.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn drain(
    t: &Tenancy,
    name: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<Drained, MoveError> {
    let shown = || name.trim().chars().take(63).collect::<String>();
    let server = target_server(&t.db, name.trim())
        .await?
        .ok_or_else(|| MoveError::UnknownServer(shown()))?;
    if server.status != "draining" {
        crate::tenancy::servers::update(&t.db, server.id, true, server.capacity, actor, origin)
            .await
            .map_err(|e| match e {
                crate::tenancy::servers::RegisterError::Db(e) => MoveError::Db(e),
                other => MoveError::Refused(other.to_string()),
            })?;
    }
    let rows = sqlx::query(
        "select id, status from tenants where db_server_id = $1 and status <> 'purged' order by created_at",
    )
    .bind(server.id)
    .fetch_all(&t.db)
    .await?;
    let mut drained = Drained {
        server: server.name.clone(),
        queued: Vec::new(),
        refused: Vec::new(),
        left: 0,
    };
    for row in rows {
        let id: Uuid = row.try_get("id")?;
        let status: String = row.try_get("status")?;
        if !matches!(status.as_str(), "active" | "suspended") {
            drained.left += 1;
            continue;
        }
        let Some(tenant) = tenants::get(&t.db, id).await? else {
            continue;
        };
        // An earlier drain already queued its move.
        if moving(&t.db, id).await? {
            continue;
        }
        let destination = {
            let mut tx = t.db.begin().await?;
            let placed = crate::tenancy::servers::place(&mut tx).await?;
            tx.rollback().await?;
            match placed {
                Some(id) => {
                    sqlx::query_scalar::<_, String>("select name from db_servers where id = $1")
                        .bind(id)
                        .fetch_optional(&t.db)
                        .await?
                }
                None => None,
            }
        };
        let Some(destination) = destination else {
            drained.refused.push((
                tenant.slug.clone(),
                "No other database server has free capacity: register a server or raise a capacity."
                    .into(),
            ));
            continue;
        };
        match request_move(t, &tenant, Some(&destination), None, actor, origin).await {
            Ok(queued) => drained.queued.push((tenant.slug.clone(), queued)),
            Err(MoveError::Db(e)) => return Err(MoveError::Db(e)),
            Err(e) => drained.refused.push((tenant.slug.clone(), e.to_string())),
        }
    }
    audit::record(
        &t.db,
        NewEvent {
            actor,
            action: "db_server.drained",
            tenant: None,
            target: Some(&server.name),
            origin,
            details: json!({
                "server_id": server.id,
                "moves_queued": drained.queued.len(),
                "refused": drained.refused.len(),
                "left": drained.left,
            }),
        },
    )
    .await?;
    Ok(drained)
}

/// A tenant's latest move, for its page.
pub struct MoveView {
    pub job_id: i64,
    /// `queued` (waiting or running), `done` or `failed`.
    pub status: String,
    pub plan: Option<Plan>,
    pub error: Option<String>,
    pub suspended_ms: Option<i64>,
    pub requested_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// The tenant's latest move, if it was ever moved.
pub async fn latest(db: &PgPool, tenant: Uuid) -> sqlx::Result<Option<MoveView>> {
    let row = sqlx::query(
        "select id, status, detail, last_error, created_at, finished_at from provisioning_jobs
         where tenant_id = $1 and kind = 'move' order by id desc limit 1",
    )
    .bind(tenant)
    .fetch_optional(db)
    .await?;
    row.map(|r| -> sqlx::Result<MoveView> {
        let detail: serde_json::Value = r.try_get("detail")?;
        Ok(MoveView {
            job_id: r.try_get("id")?,
            status: r.try_get("status")?,
            suspended_ms: detail.get("suspended_ms").and_then(|v| v.as_i64()),
            plan: serde_json::from_value(detail).ok(),
            error: r.try_get("last_error")?,
            requested_at: r.try_get("created_at")?,
            finished_at: r.try_get("finished_at")?,
        })
    })
    .transpose()
}

/// A copy a move left behind (or the database an isolated restore set aside, due at once).
#[derive(Clone, Debug)]
pub struct OldCopy {
    pub id: i64,
    pub tenant_id: Uuid,
    pub server_id: Uuid,
    pub server: String,
    pub tier: String,
    pub database: String,
    pub schema: Option<String>,
    pub role: String,
    pub drop_after: OffsetDateTime,
}

impl OldCopy {
    fn from_row(r: &sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            server_id: r.try_get("db_server_id")?,
            server: r.try_get("server")?,
            tier: r.try_get("tier")?,
            database: r.try_get("database_name")?,
            schema: r.try_get("schema_name")?,
            role: r.try_get("role_name")?,
            drop_after: r.try_get("drop_after")?,
        })
    }

    pub fn place(&self) -> Place {
        Place {
            server_id: self.server_id,
            server: self.server.clone(),
            tier: self.tier.clone(),
            database: self.database.clone(),
            schema: self.schema.clone(),
        }
    }
}

const OLD_COPY_COLUMNS: &str =
    "c.id, c.tenant_id, c.db_server_id, s.name as server, c.tier, c.database_name,
     c.schema_name, c.role_name, c.drop_after";

/// The tenant's copies still kept after its moves, oldest first.
pub async fn old_copies(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<OldCopy>> {
    let sql = format!(
        "select {OLD_COPY_COLUMNS} from tenant_old_copies c join db_servers s on s.id = c.db_server_id
         where c.tenant_id = $1 and c.dropped_at is null order by c.id"
    );
    let rows = sqlx::query(&sql).bind(tenant).fetch_all(db).await?;
    rows.iter().map(OldCopy::from_row).collect()
}

/// Records a database of its own that job `job` set aside for tenant `tenant` on server
/// `server` (an old copy or a scratch database), due at the sweep's next round. In the
/// job's claim transaction (the record references the job row the claim holds locked);
/// once per job and place.
pub async fn set_aside(
    claim: &mut sqlx::PgConnection,
    tenant: &Tenant,
    job: i64,
    server: Uuid,
    database: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into tenant_old_copies (tenant_id, job_id, db_server_id, tier, database_name,
                                        schema_name, role_name, drop_after)
         values ($1, $2, $3, 'isolated', $4, null, $5, now())
         on conflict (job_id, db_server_id, database_name) do nothing",
    )
    .bind(tenant.id)
    .bind(job)
    .bind(server)
    .bind(database)
    .bind(&tenant.role_name)
    .execute(claim)
    .await?;
    Ok(())
}

/// Records that `copy` was dropped (audited), in the caller's transaction.
async fn record_dropped(
    tx: &mut sqlx::PgConnection,
    copy: &OldCopy,
    why: &str,
) -> sqlx::Result<()> {
    sqlx::query("update tenant_old_copies set dropped_at = now() where id = $1")
        .bind(copy.id)
        .execute(&mut *tx)
        .await?;
    let slug: String = sqlx::query_scalar("select slug from tenants where id = $1")
        .bind(copy.tenant_id)
        .fetch_one(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::system(),
            action: "tenant.old_copy_dropped",
            tenant: Some(copy.tenant_id),
            target: Some(&slug),
            origin: &Origin::default(),
            details: json!({ "tenant_id": copy.tenant_id, "copy": copy.place(), "why": why }),
        },
    )
    .await
}

/// Drops the old copies whose grace period has ended; returns how many. Run by the worker
/// about once a minute. Each is claimed with SKIP LOCKED in its own transaction, so
/// instances share the work; one that cannot be dropped now is tried on a later round.
#[tracing::instrument(skip_all, err)]
pub async fn sweep_old_copies(t: &Tenancy) -> anyhow::Result<usize> {
    let sql = format!(
        "select {OLD_COPY_COLUMNS} from tenant_old_copies c join db_servers s on s.id = c.db_server_id
         where c.dropped_at is null and c.drop_after <= now() and not (c.id = any($1))
         order by c.drop_after, c.id limit 1 for update of c skip locked"
    );
    let mut dropped = 0;
    let mut failed: Vec<i64> = Vec::new();
    while dropped + failed.len() < 100 {
        let mut claim = t.db.begin().await?;
        let Some(row) = sqlx::query(&sql)
            .bind(&failed)
            .fetch_optional(&mut *claim)
            .await?
        else {
            break;
        };
        let copy = OldCopy::from_row(&row)?;
        match copy::drop_old_copy(t, &copy).await {
            Ok(()) => {
                record_dropped(&mut claim, &copy, "the grace period ended").await?;
                claim.commit().await?;
                dropped += 1;
            }
            Err(e) => {
                tracing::warn!(tenant = %copy.tenant_id, error = %format!("{e:#}"), "dropping an old copy failed; tried again later");
                failed.push(copy.id);
            }
        }
    }
    Ok(dropped)
}

/// Drops the tenant's old copies now, whatever their grace period: all of them (its
/// purge), or only the one in `only` (a move back into the place it holds).
pub async fn drop_old_copies(
    t: &Tenancy,
    tenant: Uuid,
    only: Option<&Place>,
    why: &str,
) -> anyhow::Result<()> {
    for copy in old_copies(&t.db, tenant).await? {
        let place = copy.place();
        let matches = only.is_none_or(|p| {
            p.server_id == place.server_id
                && p.database == place.database
                && p.schema == place.schema
        });
        if matches {
            copy::drop_old_copy(t, &copy).await?;
            let mut tx = t.db.begin().await?;
            record_dropped(&mut tx, &copy, why).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
