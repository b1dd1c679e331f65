//! Platform API tokens: owners make them for programs that drive the platform over
//! `/api/v1` on the admin host. A token acts as one staff member, with that member's role
//! as it stands at each call, narrowed by the token's scope; so a super admin's token sees
//! only their tenants, and a deactivated member's tokens stop working. Shown once; only
//! the SHA-256 is stored (the same generation and hashing as tenant tokens).

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::guard::TokenScope;
use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::users::{self, PlatformRole, User};

/// What every platform token starts with: distinct from tenant tokens (`tnt_`), so a
/// leaked one is recognisable and never mistaken for the other kind.
pub const PREFIX: &str = "tpl_";

/// The longest validity a token may be given, in days.
pub const MAX_DAYS: u32 = 3650;

/// A caller that presented a valid, unexpired, unrevoked platform token.
#[derive(Clone, Debug)]
pub struct PlatformCaller {
    pub token_id: Uuid,
    pub token_name: String,
    pub scope: TokenScope,
    /// The staff member the token acts as, read at this call.
    pub user: User,
    pub role: PlatformRole,
}

impl PlatformCaller {
    /// Who the audit log names: the token, on behalf of its staff member.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user.id),
            label: format!("api-token:{} ({})", self.token_name, self.user.email),
        }
    }

    /// Whose tenants the token sees: `None` = all, `Some(id)` = assigned to `id`.
    pub fn tenant_scope(&self) -> Option<Uuid> {
        (self.role == PlatformRole::SuperAdmin).then_some(self.user.id)
    }
}

#[derive(Debug)]
pub struct PlatformToken {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub acts_as: String,
    pub created_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// What a new token is.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scope: TokenScope,
    /// The staff member it acts as.
    pub user: Uuid,
    /// `None`: never expires.
    pub expires_days: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("Enter a name of 1 to 60 characters on one line.")]
    Name,
    #[error("A token expires after 1 to {MAX_DAYS} days, or never.")]
    Days,
    #[error("A token must act as an active staff member.")]
    NotStaff,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Checks a presented token and reads the staff member it acts as. The lookup is by the
/// hash of what was presented, so timing says nothing about stored tokens.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn authenticate(db: &PgPool, presented: &str) -> sqlx::Result<Option<PlatformCaller>> {
    if !presented.starts_with(PREFIX) || presented.len() > 100 {
        return Ok(None);
    }
    let hash = token::hash(presented);
    // Records its use at most once a minute: an UPDATE on every call would write a new
    // row version each time.
    let row = sqlx::query!(
        r#"with t as (select id, user_id, name, scope, last_used_at from platform_api_tokens
                      where token_hash = $1 and revoked_at is null
                        and (expires_at is null or expires_at > now())),
                touched as (update platform_api_tokens p set last_used_at = now() from t
                            where p.id = t.id
                              and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute')
                            returning p.id)
           select t.id as "id!", t.user_id as "user_id!", t.name as "name!", t.scope as "scope!" from t"#,
        &hash[..]
    )
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(scope) = TokenScope::parse(&row.scope) else {
        return Ok(None);
    };
    let Some(user) = users::find_active(db, row.user_id).await? else {
        return Ok(None);
    };
    let Some(role) = user.platform_role else {
        return Ok(None);
    };
    Ok(Some(PlatformCaller {
        token_id: row.id,
        token_name: row.name,
        scope,
        user,
        role,
    }))
}

/// Creates a token; returns it with the plain token, which is never shown again.
pub async fn create(
    db: &PgPool,
    new: &NewToken<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<String, TokenError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(TokenError::Name);
    }
    if new.expires_days.is_some_and(|d| d == 0 || d > MAX_DAYS) {
        return Err(TokenError::Days);
    }
    let acts_as = users::find_active(db, new.user)
        .await?
        .filter(|u| u.platform_role.is_some())
        .ok_or(TokenError::NotStaff)?;
    let (secret, _) = token::generate();
    let plain = format!("{PREFIX}{secret}");
    let hash = token::hash(&plain);
    let prefix: String = plain.chars().take(PREFIX.len() + 6).collect();
    let id = Uuid::now_v7();
    let days = new
        .expires_days
        .map(i32::try_from)
        .transpose()
        .ok()
        .flatten();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into platform_api_tokens (id, user_id, name, scope, prefix, token_hash, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8))",
        id,
        acts_as.id,
        name,
        new.scope.as_str(),
        prefix,
        &hash[..],
        actor.id,
        days,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "platform_token.created",
            tenant: None,
            target: Some(name),
            origin,
            details: json!({
                "token_id": id, "prefix": prefix, "scope": new.scope.as_str(),
                "acts_as": acts_as.email, "expires_days": new.expires_days,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plain)
}

/// Every platform token, newest first.
pub async fn list(db: &PgPool) -> sqlx::Result<Vec<PlatformToken>> {
    sqlx::query_as!(
        PlatformToken,
        r#"select t.id, t.name, t.scope, t.prefix, a.email as acts_as, c.email as "created_by?",
                  t.created_at, t.expires_at, t.last_used_at, t.revoked_at
           from platform_api_tokens t
           join users a on a.id = t.user_id
           left join users c on c.id = t.created_by
           order by t.created_at desc"#
    )
    .fetch_all(db)
    .await
}

/// Revokes a token; false when there is none by that id or it is already revoked.
pub async fn revoke(db: &PgPool, id: Uuid, actor: &Actor, origin: &Origin) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let name = sqlx::query_scalar!(
        "update platform_api_tokens set revoked_at = now()
          where id = $1 and revoked_at is null returning name",
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else { return Ok(false) };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "platform_token.revoked",
            tenant: None,
            target: Some(&name),
            origin,
            details: json!({ "token_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The staff member a token made from the shell acts as when none is named: the first
/// active owner.
pub async fn default_owner(db: &PgPool) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "select id from users where platform_role = 'owner' and status = 'active'
         order by created_at, id limit 1"
    )
    .fetch_optional(db)
    .await
}
