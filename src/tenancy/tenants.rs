//! Tenant records in the control plane: creation (tenant row + provisioning job in one
//! transaction), lookups and the console's list with filters.

use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::invitations::{self, InviteError, NewInvitation, Role, Scope};
use crate::mail::compose::Branding;
use crate::pg::constraint::OnConstraint;
use crate::tenancy::servers;
use crate::tenancy::slug::{Slug, SlugError};
pub use crate::tenancy::status::{TenantStatus, Tier};

/// A tenant row.
#[derive(Clone, Debug, Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub plan_id: String,
    pub tier: Tier,
    pub db_server_id: Uuid,
    pub server_name: String,
    pub database_name: String,
    pub schema_name: Option<String>,
    pub role_name: String,
    pub schema_version: i64,
    pub progress_step: Option<String>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
}

impl Tenant {
    pub fn slug(&self) -> Slug {
        // ok: slugs are validated before they are stored, and the table re-checks them.
        Slug::parse(&self.slug).expect("stored slug is valid")
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }
}

/// What the New tenant form and `tenants create` submit.
pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub plan: &'a str,
    /// `None`: the plan's default tier.
    pub tier: Option<&'a str>,
}

/// The first admin to invite when the tenant is created. The invitation is written with
/// the tenant; its email waits in the outbox until the tenant is active.
pub struct FirstAdmin<'a> {
    pub email: &'a str,
    /// Base URL of the tenant's console (the link's host).
    pub base_url: &'a str,
    pub days: u32,
}

/// Why a tenant could not be created; each names the field it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}")]
    Slug(#[from] SlugError),
    #[error("The slug “{0}” is already taken.")]
    SlugTaken(String),
    #[error("Enter a name of 1 to 200 characters on one line.")]
    Name,
    #[error("There is no plan “{0}”.")]
    UnknownPlan(String),
    #[error("The tier must be “isolated” or “pooled”.")]
    UnknownTier,
    #[error("No database server has free capacity: register a server or raise a capacity.")]
    NoCapacity,
    #[error("There is no database server “{0}”.")]
    UnknownServer(String),
    #[error("The database server “{0}” is draining: it takes no new tenants.")]
    ServerDraining(String),
    #[error("The database server “{0}” is full: raise its capacity or choose another.")]
    ServerFull(String),
    #[error("{0}")]
    FirstAdmin(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl CreateError {
    /// The form field the message belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Slug(_) | Self::SlugTaken(_) => "slug",
            Self::Name => "name",
            Self::UnknownPlan(_) => "plan",
            Self::UnknownTier | Self::NoCapacity => "tier",
            Self::UnknownServer(_) | Self::ServerDraining(_) | Self::ServerFull(_) => "server",
            Self::FirstAdmin(_) => "first_admin_email",
            Self::Db(_) => "",
        }
    }
}

/// Pooled schemas per shared database before the next `tenants_pooled_<n>` is opened.
const SCHEMAS_PER_POOLED_DB: i64 = 500;

/// Checks a slug as the form is typed: valid, not reserved, not taken.
pub async fn check_slug(db: &PgPool, slug: &str) -> Result<Slug, CreateError> {
    let slug = Slug::parse(slug)?;
    let taken = sqlx::query_scalar!(
        r#"select exists(select 1 from tenants where lower(slug) = lower($1) and status <> 'purged') as "e!""#,
        slug.as_str()
    )
    .fetch_one(db)
    .await?;
    if taken {
        return Err(CreateError::SlugTaken(slug.to_string()));
    }
    Ok(slug)
}

/// Inserts the tenant (`pending`) and its provisioning job in one transaction; the
/// worker does the rest.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn create(
    db: &PgPool,
    new: NewTenant<'_>,
    first_admin: Option<&FirstAdmin<'_>>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Tenant, CreateError> {
    create_on(db, new, None, first_admin, actor, origin).await
}

/// [`create`] on the database server named `server` (pinned), or wherever placement
/// puts it when `None`.
pub async fn create_on(
    db: &PgPool,
    new: NewTenant<'_>,
    server: Option<&str>,
    first_admin: Option<&FirstAdmin<'_>>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Tenant, CreateError> {
    let mut tx = db.begin().await?;
    let tenant = create_in(&mut tx, new, server, first_admin, actor, origin).await?;
    tx.commit().await?;
    Ok(tenant)
}

/// [`create`] inside the caller's transaction, so more can be written with the tenant
/// (a clone's modules and restore job). Returns the new tenant as inserted. A handful of
/// round trips (the lock and the plan's tier, the placement, the tenant and its job,
/// the audit event): their latency is most of a pooled tenant's creation.
pub async fn create_in(
    tx: &mut sqlx::PgConnection,
    new: NewTenant<'_>,
    server: Option<&str>,
    first_admin: Option<&FirstAdmin<'_>>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Tenant, CreateError> {
    let slug = Slug::parse(new.slug)?;
    let name = new.name.trim();
    if !valid_name(name) {
        return Err(CreateError::Name);
    }
    if let Some(admin) = first_admin
        && !invitations::valid_email(admin.email.trim())
    {
        return Err(CreateError::FirstAdmin(
            "Enter the first admin's email address, or leave it empty.".into(),
        ));
    }
    // The placement lock and the plan's default tier in one round trip; the placement
    // below reads the tenants under it.
    let default_tier = sqlx::query_scalar!(
        r#"select p.default_tier as "default_tier?"
           from (select pg_advisory_xact_lock(hashtext('tenantry.placement'))) as locked
           left join plans p on p.id = $1"#,
        new.plan
    )
    .fetch_one(&mut *tx)
    .await?
    .ok_or_else(|| CreateError::UnknownPlan(new.plan.chars().take(40).collect()))?;
    let tier = match new.tier.filter(|t| !t.is_empty()) {
        Some(t) => Tier::parse(t).ok_or(CreateError::UnknownTier)?,
        None => Tier::parse(&default_tier).unwrap_or(Tier::Pooled),
    };

    let (server, pooled) = match server.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            let placed = servers::place_locked(&mut *tx)
                .await?
                .ok_or(CreateError::NoCapacity)?;
            (placed.server, Some(placed.pooled))
        }
        Some(name) => {
            let shown = || name.chars().take(63).collect::<String>();
            match servers::pinned(&mut *tx, name).await? {
                Ok(id) => (id, None),
                Err(servers::PinRefused::Unknown) => {
                    return Err(CreateError::UnknownServer(shown()));
                }
                Err(servers::PinRefused::Draining) => {
                    return Err(CreateError::ServerDraining(shown()));
                }
                Err(servers::PinRefused::Full) => return Err(CreateError::ServerFull(shown())),
            }
        }
    };
    let (database, schema) = match tier {
        Tier::Isolated => (slug.database().as_str().to_owned(), None),
        Tier::Pooled => {
            let pooled = match pooled {
                Some(n) => n,
                None => pooled_count(&mut *tx, server).await?,
            };
            (
                pooled_database_name(pooled),
                Some(slug.schema().as_str().to_owned()),
            )
        }
    };
    let id = Uuid::now_v7();
    let role = slug.role();
    // The tenant and its provisioning job in one statement, returning the tenant as
    // `get` reads it.
    let inserted = sqlx::query_as!(
        Tenant,
        r#"with tenant as (
               insert into tenants (id, slug, name, plan_id, tier, db_server_id, database_name, schema_name, role_name)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *),
           job as (insert into provisioning_jobs (tenant_id, kind) select id, 'provision' from tenant)
           select t.id as "id!", t.slug as "slug!", t.name as "name!", t.status as "status!: _",
                  t.plan_id as "plan_id!", t.tier as "tier!: _", t.db_server_id as "db_server_id!",
                  s.name as server_name, t.database_name as "database_name!", t.schema_name,
                  t.role_name as "role_name!", t.schema_version as "schema_version!", t.progress_step,
                  t.last_error, t.created_at as "created_at!", t.activated_at, t.deleted_at
           from tenant t join db_servers s on s.id = t.db_server_id"#,
        id,
        slug.as_str(),
        name,
        new.plan,
        tier.as_str(),
        server,
        database,
        schema,
        role.as_str(),
    )
    .fetch_one(&mut *tx)
    .await;
    let tenant = inserted.on_constraint("tenants_slug_key", || {
        CreateError::SlugTaken(slug.to_string())
    })?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.created",
            tenant: Some(id),
            target: Some(slug.as_str()),
            origin,
            details: json!({ "tenant_id": id, "plan": new.plan, "tier": tier.as_str(), "name": name }),
        },
    )
    .await?;
    if let Some(admin) = first_admin {
        let brand = Branding::tenant(name, "", "");
        let invitation = NewInvitation {
            scope: Scope::Tenant(id),
            email: admin.email,
            role: Role::TenantAdmin,
        };
        let mail = invitations::Mail {
            brand: &brand,
            base_url: admin.base_url,
            days: admin.days,
        };
        invitations::create(&mut *tx, &invitation, &mail, actor, origin)
            .await
            .map_err(|e| match e {
                InviteError::Db(e) => CreateError::Db(e),
                other => CreateError::FirstAdmin(other.to_string()),
            })?;
    }
    Ok(tenant)
}

/// The shared database a new pooled tenant goes to on `server`.
pub async fn pooled_database(tx: &mut sqlx::PgConnection, server: Uuid) -> sqlx::Result<String> {
    Ok(pooled_database_name(pooled_count(tx, server).await?))
}

/// Pooled tenants on `server` (purged ones aside).
async fn pooled_count(tx: &mut sqlx::PgConnection, server: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from tenants where db_server_id = $1 and tier = 'pooled' and status <> 'purged'"#,
        server
    )
    .fetch_one(tx)
    .await
}

/// The shared database a new pooled tenant joins when `pooled` are on its server already.
fn pooled_database_name(pooled: i64) -> String {
    format!("tenants_pooled_{}", pooled / SCHEMAS_PER_POOLED_DB + 1)
}

pub async fn get(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as!(
        Tenant,
        r#"select t.id, t.slug, t.name, t.status as "status: _", t.plan_id, t.tier as "tier: _", t.db_server_id, s.name as server_name,
                  t.database_name, t.schema_name, t.role_name, t.schema_version, t.progress_step, t.last_error,
                  t.created_at, t.activated_at, t.deleted_at
           from tenants t join db_servers s on s.id = t.db_server_id
           where t.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// A tenant's name: 1 to 200 characters on one line (already trimmed).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
}

/// Gives the tenant a new display name: the one name shown everywhere (its console,
/// the platform, the API, its mail). Audited; a no-op when the name is unchanged.
pub async fn rename(
    db: &PgPool,
    tenant: Uuid,
    name: &str,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    rename_in(&mut tx, tenant, name, actor, origin).await?;
    tx.commit().await
}

/// [`rename`] inside the caller's transaction.
pub async fn rename_in(
    tx: &mut sqlx::PgConnection,
    tenant: Uuid,
    name: &str,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<()> {
    let name = name.trim();
    let renamed = sqlx::query!(
        r#"with old as (select name, slug from tenants where id = $1 for update)
           update tenants t set name = $2 from old
           where t.id = $1 and old.name <> $2
           returning old.name as "from!", old.slug as "slug!""#,
        tenant,
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(renamed) = renamed else {
        return Ok(());
    };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.renamed",
            tenant: Some(tenant),
            target: Some(&renamed.slug),
            origin,
            details: json!({ "tenant_id": tenant, "from": renamed.from, "to": name }),
        },
    )
    .await
}

/// The tenant holding `slug` (any case), unless purged.
pub async fn find_by_slug(db: &PgPool, slug: &str) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as!(
        Tenant,
        r#"select t.id, t.slug, t.name, t.status as "status: _", t.plan_id, t.tier as "tier: _", t.db_server_id, s.name as server_name,
                  t.database_name, t.schema_name, t.role_name, t.schema_version, t.progress_step, t.last_error,
                  t.created_at, t.activated_at, t.deleted_at
           from tenants t join db_servers s on s.id = t.db_server_id
           where lower(t.slug) = lower($1) and t.status <> 'purged'"#,
        slug
    )
    .fetch_optional(db)
    .await
}

/// Filters of the tenants list; empty strings mean "any".
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub q: String,
    pub status: String,
    pub plan: String,
    pub tier: String,
    pub server: String,
    /// `created`, `slug`, `name`, `status`, `version` (descending with a leading `-`).
    pub sort: String,
    pub page: i64,
    pub per_page: i64,
    /// Only tenants assigned to this staff member, directly or through a segment (super
    /// admins); see the SQL function `tenantry_assigned`.
    pub assigned_to: Option<Uuid>,
}

/// One page of tenants and the number matching the filter. Purged tenants are listed only
/// when asked for by status.
pub async fn list(db: &PgPool, f: &ListFilter) -> sqlx::Result<(Vec<Tenant>, i64)> {
    let pattern = format!(
        "%{}%",
        f.q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let (column, descending) = match f.sort.as_str() {
        "slug" => ("slug", false),
        "-slug" => ("slug", true),
        "name" => ("name", false),
        "-name" => ("name", true),
        "status" => ("status", false),
        "-status" => ("status", true),
        "version" => ("version", false),
        "-version" => ("version", true),
        "created" => ("created", false),
        _ => ("created", true),
    };
    let per_page = f.per_page.clamp(1, 200);
    let offset = f.page.max(0).saturating_mul(per_page);
    let rows = sqlx::query_as!(
        Tenant,
        r#"select t.id, t.slug, t.name, t.status as "status: _", t.plan_id, t.tier as "tier: _", t.db_server_id, s.name as server_name,
                  t.database_name, t.schema_name, t.role_name, t.schema_version, t.progress_step, t.last_error,
                  t.created_at, t.activated_at, t.deleted_at
           from tenants t join db_servers s on s.id = t.db_server_id
           where (t.slug ilike $1 or t.name ilike $1)
             and (($2 = '' and t.status <> 'purged') or t.status = $2)
             and ($3 = '' or t.plan_id = $3)
             and ($4 = '' or t.tier = $4)
             and ($5 = '' or s.name = $5)
             and ($10::uuid is null or tenantry_assigned($10, t.id))
           order by
             case when $6 = 'slug' and not $7 then t.slug end asc,
             case when $6 = 'slug' and $7 then t.slug end desc,
             case when $6 = 'name' and not $7 then lower(t.name) end asc,
             case when $6 = 'name' and $7 then lower(t.name) end desc,
             case when $6 = 'status' and not $7 then t.status end asc,
             case when $6 = 'status' and $7 then t.status end desc,
             case when $6 = 'version' and not $7 then t.schema_version end asc,
             case when $6 = 'version' and $7 then t.schema_version end desc,
             case when $6 = 'created' and not $7 then t.created_at end asc,
             t.created_at desc
           limit $8 offset $9"#,
        pattern,
        f.status,
        f.plan,
        f.tier,
        f.server,
        column,
        descending,
        per_page,
        offset,
        f.assigned_to,
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from tenants t join db_servers s on s.id = t.db_server_id
           where (t.slug ilike $1 or t.name ilike $1)
             and (($2 = '' and t.status <> 'purged') or t.status = $2)
             and ($3 = '' or t.plan_id = $3)
             and ($4 = '' or t.tier = $4)
             and ($5 = '' or s.name = $5)
             and ($6::uuid is null or tenantry_assigned($6, t.id))"#,
        pattern,
        f.status,
        f.plan,
        f.tier,
        f.server,
        f.assigned_to,
    )
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// Tenants per status in `scope` (`Some(super admin)`: their assigned tenants), for the
/// list's counters.
pub async fn counts_by_status(
    db: &PgPool,
    scope: Option<Uuid>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"select status, count(*) as "n!" from tenants
           where $1::uuid is null or tenantry_assigned($1, id)
           group by status order by status"#,
        scope
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}

/// A provisioning or purge job that failed, for the dashboard.
pub struct FailedJob {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub error: String,
    pub at: Option<OffsetDateTime>,
}

/// The latest failed jobs of tenants in `scope` (each tenant's latest only).
pub async fn failed_jobs(
    db: &PgPool,
    scope: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<FailedJob>> {
    sqlx::query_as!(
        FailedJob,
        r#"select distinct on (t.id) t.slug, t.name, j.kind, coalesce(j.last_error, '') as "error!", j.finished_at as at
           from provisioning_jobs j join tenants t on t.id = j.tenant_id
           where j.status = 'failed' and j.kind in ('provision', 'purge') and t.status <> 'purged'
             and ($1::uuid is null or tenantry_assigned($1, t.id))
             and not exists (select 1 from provisioning_jobs later
                             where later.tenant_id = j.tenant_id and later.id > j.id and later.status <> 'failed'
                               and later.kind in ('provision', 'purge'))
           order by t.id, j.id desc
           limit $2"#,
        scope,
        limit
    )
    .fetch_all(db)
    .await
}

/// Tenants per schema version (the fleet's drift) in `scope`, newest first.
pub async fn versions(db: &PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<(i64, i64)>> {
    let rows = sqlx::query!(
        r#"select schema_version, count(*) as "n!" from tenants
           where status in ('active', 'suspended')
             and ($1::uuid is null or tenantry_assigned($1, id))
           group by schema_version order by schema_version desc"#,
        scope
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.schema_version, r.n)).collect())
}

/// Whether `user` may see `tenant` given their scope (`None` = every tenant): assigned
/// directly or through a segment, decided by the SQL function `tenantry_assigned` that the
/// list and its count use too.
pub async fn in_scope(db: &PgPool, tenant: Uuid, scope: Option<Uuid>) -> sqlx::Result<bool> {
    let Some(user) = scope else { return Ok(true) };
    sqlx::query_scalar!(r#"select tenantry_assigned($1, $2) as "e!""#, user, tenant)
        .fetch_one(db)
        .await
}

/// Plans, for the New tenant form and filters.
pub async fn plans(db: &PgPool) -> sqlx::Result<Vec<(String, String, String)>> {
    let rows = sqlx::query!("select id, name, default_tier from plans order by sort_order, id")
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.name, r.default_tier))
        .collect())
}

/// Copies the language a tenant set in its Settings to the control plane, where the
/// request path reads it (announced by the `tenants` trigger like any change).
pub async fn set_language(db: &PgPool, tenant: Uuid, language: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update tenants set language = $2 where id = $1 and language <> $2",
        tenant,
        language
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A tenant quarantined by a failed fleet migration, for the drift view.
pub struct Quarantined {
    pub slug: String,
    pub schema_version: i64,
    pub error: String,
    pub since: OffsetDateTime,
}

/// Quarantined tenants in `scope`, longest first.
pub async fn quarantined(db: &PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<Quarantined>> {
    sqlx::query_as!(
        Quarantined,
        r#"select slug, schema_version, coalesce(last_error, '') as "error!", quarantined_at as "since!"
           from tenants
           where quarantined_at is not null and status in ('active', 'suspended')
             and ($1::uuid is null or tenantry_assigned($1, id))
           order by quarantined_at"#,
        scope
    )
    .fetch_all(db)
    .await
}
