//! Identities: lookups for sign-in and the one way to create an owner (first-run setup
//! and `tenantry admin create` both go through [`create_owner`]).

use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::setup_tokens;
use crate::pg::constraint::OnConstraint;

/// A platform role; `None` on a user means a tenant-only identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    Owner,
    SuperAdmin,
    Support,
}

impl PlatformRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::SuperAdmin => "super_admin",
            Self::Support => "support",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "super_admin" => Some(Self::SuperAdmin),
            "support" => Some(Self::Support),
            _ => None,
        }
    }

    /// What the console calls the role.
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Enterprise admin",
            Self::SuperAdmin => "Super admin",
            Self::Support => "Support",
        }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub platform_role: Option<PlatformRole>,
    pub last_login_at: Option<OffsetDateTime>,
    /// The console language this person chose (`None`: their tenant's).
    pub language: Option<String>,
}

struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: String,
    platform_role: Option<String>,
    last_login_at: Option<OffsetDateTime>,
    language: Option<String>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            platform_role: r.platform_role.as_deref().and_then(PlatformRole::parse),
            last_login_at: r.last_login_at,
            language: r.language,
        }
    }
}

/// An active user by email, compared case-insensitively.
pub async fn find_active_by_email(db: &PgPool, email: &str) -> sqlx::Result<Option<User>> {
    let row = sqlx::query_as!(
        UserRow,
        "select id, email, name, password_hash, platform_role, last_login_at, language
         from users where lower(email) = lower($1) and status = 'active'",
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(User::from))
}

/// An active user by id (sessions of deactivated users stop resolving).
pub async fn find_active(db: &PgPool, id: Uuid) -> sqlx::Result<Option<User>> {
    let row = sqlx::query_as!(
        UserRow,
        "select id, email, name, password_hash, platform_role, last_login_at, language
         from users where id = $1 and status = 'active'",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(User::from))
}

/// Active platform staff (owners, super admins, support).
pub async fn staff_count(db: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from users where platform_role is not null and status = 'active'"#
    )
    .fetch_one(db)
    .await
}

/// Whether an active owner exists; while none does, first-run setup stays open.
pub async fn owner_exists(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from users where platform_role = 'owner' and status = 'active') as "e!""#
    )
    .fetch_one(db)
    .await
}

pub async fn touch_last_login(db: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("update users set last_login_at = now() where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// Input for a new owner; the password is already hashed (argon2 runs outside the
/// transaction).
pub struct NewOwner<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: String,
}

/// Why an owner could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateOwnerError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("setup is already complete: an enterprise admin exists")]
    SetupComplete,
    #[error("this setup link is not valid or was already used")]
    BadSetupToken,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// How the owner is being created: by first-run setup (token required, only while no
/// owner exists) or from the shell (trusted, any time).
pub enum OwnerGrant<'a> {
    SetupToken(&'a str),
    Shell,
}

/// Creates an owner, audited in the same transaction.
pub async fn create_owner(
    db: &PgPool,
    new: NewOwner<'_>,
    grant: OwnerGrant<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<User, CreateOwnerError> {
    let mut tx = db.begin().await?;
    // Serialises concurrent setups so exactly one visitor can win.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('tenantry.create_owner'))")
        .execute(&mut *tx)
        .await?;
    if let OwnerGrant::SetupToken(token) = grant {
        if owner_exists(&mut *tx).await? {
            return Err(CreateOwnerError::SetupComplete);
        }
        if !setup_tokens::consume(&mut *tx, token).await? {
            return Err(CreateOwnerError::BadSetupToken);
        }
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query_as!(
        UserRow,
        "insert into users (id, email, name, password_hash, platform_role)
         values ($1, $2, $3, $4, 'owner')
         returning id, email, name, password_hash, platform_role, last_login_at, language",
        id,
        new.email,
        new.name,
        new.password_hash,
    )
    .fetch_one(&mut *tx)
    .await;
    let user =
        User::from(inserted.on_constraint("users_email_key", || CreateOwnerError::EmailTaken)?);
    let action = match grant {
        OwnerGrant::SetupToken(_) => "setup.owner_created",
        OwnerGrant::Shell => "staff.owner_created",
    };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action,
            tenant: None,
            target: Some(&user.email),
            origin,
            details: serde_json::json!({ "user_id": user.id, "role": "owner" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// A staff member as the Staff page lists them.
pub struct StaffRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub platform_role: String,
    pub status: String,
    pub last_login_at: Option<OffsetDateTime>,
}

/// Platform staff, owners first, then by email.
pub async fn list_staff(db: &PgPool) -> sqlx::Result<Vec<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"select id, email, name, platform_role as "platform_role!", status, last_login_at
           from users where platform_role is not null
           order by platform_role = 'owner' desc, status, lower(email)"#
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("There is no such staff member.")]
    NotFound,
    #[error("You cannot deactivate yourself.")]
    Yourself,
    #[error("{0} is the last active enterprise admin.")]
    LastOwner(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Deactivates (their sessions stop resolving at once) or reactivates a staff member.
pub async fn set_staff_active(
    db: &PgPool,
    id: Uuid,
    active: bool,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), StaffError> {
    if actor.id == Some(id) && !active {
        return Err(StaffError::Yourself);
    }
    let mut tx = db.begin().await?;
    // One deactivation at a time, so two owners cannot remove each other.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('tenantry.staff_status'))")
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query!(
        "select email, platform_role from users where id = $1 and platform_role is not null",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StaffError::NotFound)?;
    if !active && row.platform_role.as_deref() == Some("owner") {
        let owners = sqlx::query_scalar!(
            r#"select count(*) as "n!" from users where platform_role = 'owner' and status = 'active' and id <> $1"#,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        if owners == 0 {
            return Err(StaffError::LastOwner(row.email));
        }
    }
    let status = if active { "active" } else { "deactivated" };
    sqlx::query!("update users set status = $2 where id = $1", id, status)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: if active {
                "staff.reactivated"
            } else {
                "staff.deactivated"
            },
            tenant: None,
            target: Some(&row.email),
            origin,
            details: serde_json::json!({ "user_id": id, "role": row.platform_role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the console language `user` chose (`None`: their tenant's), audited.
pub async fn set_language(
    db: &PgPool,
    user: &User,
    language: Option<&str>,
    origin: &crate::control::audit::Origin,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "update users set language = $2 where id = $1",
        user.id,
        language
    )
    .execute(&mut *tx)
    .await?;
    crate::control::audit::record(
        &mut *tx,
        crate::control::audit::NewEvent {
            actor: &crate::control::audit::Actor::user(user.id, &user.email),
            action: "user.language_changed",
            tenant: None,
            target: Some(&user.email),
            origin,
            details: serde_json::json!({ "language": language }),
        },
    )
    .await?;
    tx.commit().await
}
