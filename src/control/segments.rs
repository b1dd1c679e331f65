//! Segments: named groups of tenants that owners assign to super admins as a whole. A
//! super admin manages a tenant assigned directly or through a segment; the rule itself
//! lives in the SQL function `tenantry_assigned`, this module only edits the links.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint;

const NAME_MAX: usize = 60;
const DESCRIPTION_MAX: usize = 500;
/// How much of a typed slug a message repeats (a 10 kB paste is not echoed whole).
const ECHO_MAX: usize = 60;

pub struct Segment {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: OffsetDateTime,
}

/// A segment on the list page, with how many tenants and active super admins it links.
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub tenants: i64,
    pub super_admins: i64,
}

/// A tenant in a segment.
pub struct SegmentTenant {
    pub slug: String,
    pub name: String,
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("Give the segment a name of 1 to 60 characters (no control characters).")]
    Name,
    #[error("Keep the description to 500 characters.")]
    Description,
    #[error("A segment named “{0}” already exists.")]
    NameTaken(String),
    #[error("Enter the slug of the tenant to add.")]
    SlugMissing,
    #[error("No tenant has the slug “{0}”.")]
    UnknownTenant(String),
    #[error("{0} is already in this segment.")]
    AlreadyIn(String),
    #[error("“{0}” is not in this segment.")]
    NotIn(String),
    #[error("That person is not an active super admin.")]
    NotSuperAdmin,
    #[error("This segment does not exist (it may have just been deleted).")]
    NotFound,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl SegmentError {
    /// The form field a message belongs next to, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Name | Self::NameTaken(_) => Some("name"),
            Self::Description => Some("description"),
            Self::SlugMissing | Self::UnknownTenant(_) | Self::AlreadyIn(_) => Some("slug"),
            _ => None,
        }
    }
}

/// A name and description as typed, checked and trimmed.
struct Naming {
    name: String,
    description: String,
}

impl Naming {
    fn parse(name: &str, description: &str) -> Result<Self, SegmentError> {
        let name = name.trim();
        let length = name.chars().count();
        if length == 0 || length > NAME_MAX || name.chars().any(char::is_control) {
            return Err(SegmentError::Name);
        }
        let description = description.trim();
        if description.chars().count() > DESCRIPTION_MAX
            || description
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(SegmentError::Description);
        }
        Ok(Self {
            name: name.to_owned(),
            description: description.to_owned(),
        })
    }
}

fn echo(typed: &str) -> String {
    typed.chars().take(ECHO_MAX).collect()
}

/// Every segment by name, with its counts.
pub async fn list(db: &PgPool) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as!(
        Listed,
        r#"select s.id, s.name, s.description,
                  (select count(*) from segment_tenants st where st.segment_id = s.id) as "tenants!",
                  (select count(*) from segment_staff ss join users u on u.id = ss.user_id
                   where ss.segment_id = s.id and u.platform_role = 'super_admin' and u.status = 'active') as "super_admins!"
           from segments s order by lower(s.name)"#
    )
    .fetch_all(db)
    .await
}

pub async fn get(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Segment>> {
    sqlx::query_as!(
        Segment,
        "select id, name, description, created_at from segments where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// The tenants in a segment, by slug.
pub async fn tenants_of(db: &PgPool, id: Uuid) -> sqlx::Result<Vec<SegmentTenant>> {
    sqlx::query_as!(
        SegmentTenant,
        "select t.slug, t.name, t.status from segment_tenants st join tenants t on t.id = st.tenant_id
         where st.segment_id = $1 order by t.slug",
        id
    )
    .fetch_all(db)
    .await
}

/// Active super admins (id, email) and whether each is assigned to the segment.
pub async fn super_admins_for(db: &PgPool, id: Uuid) -> sqlx::Result<Vec<(Uuid, String, bool)>> {
    let rows = sqlx::query!(
        r#"select u.id, u.email,
                  exists(select 1 from segment_staff s where s.user_id = u.id and s.segment_id = $1) as "assigned!"
           from users u where u.platform_role = 'super_admin' and u.status = 'active' order by lower(u.email)"#,
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.email, r.assigned))
        .collect())
}

/// The segments a tenant belongs to (id, name), for its detail page.
pub async fn for_tenant(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "select s.id, s.name from segments s join segment_tenants st on st.segment_id = s.id
         where st.tenant_id = $1 order by lower(s.name)",
        tenant
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// A unique-name violation becomes a message naming the name.
fn name_taken(e: sqlx::Error, name: &str) -> SegmentError {
    constraint::map(e, "segments_name_key", || {
        SegmentError::NameTaken(name.to_owned())
    })
}

#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn create(
    db: &PgPool,
    name: &str,
    description: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<Segment, SegmentError> {
    let Naming { name, description } = Naming::parse(name, description)?;
    let mut tx = db.begin().await?;
    let segment = sqlx::query_as!(
        Segment,
        "insert into segments (id, name, description) values ($1, $2, $3)
         returning id, name, description, created_at",
        Uuid::now_v7(),
        name,
        description
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| name_taken(e, &name))?;
    let details = json!({ "description": segment.description });
    record(
        &mut tx,
        actor,
        origin,
        None,
        "segment.created",
        &segment.name,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(segment)
}

/// Renames a segment and/or changes its description.
pub async fn update(
    db: &PgPool,
    id: Uuid,
    name: &str,
    description: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), SegmentError> {
    let Naming { name, description } = Naming::parse(name, description)?;
    let mut tx = db.begin().await?;
    let before = locked_name(&mut tx, id).await?;
    sqlx::query!(
        "update segments set name = $2, description = $3 where id = $1",
        id,
        name,
        description
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| name_taken(e, &name))?;
    let details = json!({ "previous_name": before, "description": description });
    record(
        &mut tx,
        actor,
        origin,
        None,
        "segment.updated",
        &name,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a segment and its links (its tenants and super admins stay); the audit event
/// names what the links granted, since that access ends here.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn delete(
    db: &PgPool,
    id: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), SegmentError> {
    let mut tx = db.begin().await?;
    let name = locked_name(&mut tx, id).await?;
    let tenants = sqlx::query_scalar!(
        "select t.slug from segment_tenants st join tenants t on t.id = st.tenant_id
         where st.segment_id = $1 order by t.slug",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    let staff = sqlx::query_scalar!(
        "select u.email from segment_staff ss join users u on u.id = ss.user_id
         where ss.segment_id = $1 order by lower(u.email)",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!("delete from segments where id = $1", id)
        .execute(&mut *tx)
        .await?;
    let details = json!({ "tenants": tenants, "super_admins": staff });
    record(
        &mut tx,
        actor,
        origin,
        None,
        "segment.deleted",
        &name,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds the tenant named by `slug` (any case); returns its slug as stored.
pub async fn add_tenant(
    db: &PgPool,
    id: Uuid,
    slug: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<String, SegmentError> {
    let typed = slug.trim();
    if typed.is_empty() {
        return Err(SegmentError::SlugMissing);
    }
    let mut tx = db.begin().await?;
    let segment = locked_name(&mut tx, id).await?;
    let tenant = sqlx::query!(
        "select id, slug from tenants where lower(slug) = lower($1) and status <> 'purged'",
        typed
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| SegmentError::UnknownTenant(echo(typed)))?;
    let added = sqlx::query!(
        "insert into segment_tenants (segment_id, tenant_id) values ($1, $2) on conflict do nothing",
        id,
        tenant.id
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(SegmentError::AlreadyIn(tenant.slug));
    }
    // Targeted at the tenant, so its own history shows who gained access to it and how.
    let details = json!({ "segment": segment });
    record(
        &mut tx,
        actor,
        origin,
        Some(tenant.id),
        "segment.tenant_added",
        &tenant.slug,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(tenant.slug)
}

/// Takes a tenant out of a segment (the tenant itself is untouched).
pub async fn remove_tenant(
    db: &PgPool,
    id: Uuid,
    slug: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), SegmentError> {
    let typed = slug.trim();
    let mut tx = db.begin().await?;
    let segment = locked_name(&mut tx, id).await?;
    let removed = sqlx::query!(
        "delete from segment_tenants st using tenants t
         where st.segment_id = $1 and st.tenant_id = t.id and lower(t.slug) = lower($2)
         returning t.id, t.slug",
        id,
        typed
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| SegmentError::NotIn(echo(typed)))?;
    let details = json!({ "segment": segment });
    record(
        &mut tx,
        actor,
        origin,
        Some(removed.id),
        "segment.tenant_removed",
        &removed.slug,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns an active super admin to the segment, or unassigns anyone linked to it.
/// Repeating either is a no-op with no new audit event.
pub async fn set_super_admin(
    db: &PgPool,
    id: Uuid,
    user: Uuid,
    assigned: bool,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), SegmentError> {
    let mut tx = db.begin().await?;
    let segment = locked_name(&mut tx, id).await?;
    let active = sqlx::query_scalar!(
        "select email from users where id = $1 and platform_role = 'super_admin' and status = 'active'",
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (email, action) = if assigned {
        let email = active.ok_or(SegmentError::NotSuperAdmin)?;
        let done = sqlx::query!(
            "insert into segment_staff (segment_id, user_id) values ($1, $2) on conflict do nothing",
            id,
            user
        )
        .execute(&mut *tx)
        .await?;
        (
            (done.rows_affected() > 0).then_some(email),
            "segment.super_admin_assigned",
        )
    } else {
        // Unassigning also clears a link left by someone no longer a super admin.
        let email = sqlx::query_scalar!(
            "delete from segment_staff ss using users u
             where ss.segment_id = $1 and ss.user_id = $2 and u.id = ss.user_id returning u.email",
            id,
            user
        )
        .fetch_optional(&mut *tx)
        .await?;
        if email.is_none() && active.is_none() {
            return Err(SegmentError::NotSuperAdmin);
        }
        (email, "segment.super_admin_unassigned")
    };
    if let Some(email) = email {
        let details = json!({ "super_admin": email });
        record(&mut tx, actor, origin, None, action, &segment, details).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The segment's name, locked against a concurrent delete until the transaction ends.
async fn locked_name(tx: &mut PgConnection, id: Uuid) -> Result<String, SegmentError> {
    sqlx::query_scalar!("select name from segments where id = $1 for update", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(SegmentError::NotFound)
}

async fn record(
    tx: &mut PgConnection,
    actor: &Actor,
    origin: &Origin,
    tenant: Option<Uuid>,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    audit::record(
        tx,
        NewEvent {
            actor,
            action,
            tenant,
            target: Some(target),
            origin,
            details,
        },
    )
    .await
}
