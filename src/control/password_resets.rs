//! Password resets by email. A request answers the same whether or not the address
//! belongs to anyone; only a person who may sign in where the request was made gets a
//! link. The link carries a 256-bit token of which only the SHA-256 is stored; it works
//! once, for an hour, and a newer request replaces it. Changing the password ends every
//! session of that person, because a session's auth hash is the password hash
//! (`crate::auth::backend`): axum-login refuses and deletes such a session on its next
//! request. The session rows are not deleted here: the store keeps them encoded (with a
//! moka cache in front), so they cannot be found by user; unused ones simply expire.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::login::{self, Audience};
use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::invitations::valid_email;
use crate::control::outbox::{self, Kind};
use crate::control::users;
use crate::mail::compose::{self, Branding};

/// How long a link works.
pub const LIFETIME_MINUTES: i64 = 60;
/// Links one person is sent per hour at most; further requests get the same answer and
/// send nothing, so the form cannot be used to flood someone's inbox.
pub const MAX_PER_HOUR: i64 = 3;
/// Requests one client address may make per hour, for any addresses: the per-person
/// limit alone would let one client mail a little to very many people.
pub const MAX_PER_ADDRESS_PER_HOUR: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("Enter a valid email address.")]
    Email,
    #[error("Too many reset requests came from your network. Try again in an hour.")]
    TooManyFromAddress,
    #[error(transparent)]
    Mail(#[from] askama::Error),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Where the request was made: who may get a link, and what the mail looks like.
pub struct Mail<'a> {
    pub audience: Audience,
    pub brand: &'a Branding,
    /// The console's base URL on that host (the tenant's, or the platform's).
    pub base_url: &'a str,
}

impl Mail<'_> {
    fn tenant(&self) -> Option<Uuid> {
        self.audience.tenant()
    }
}

/// Sends a reset link to `email` if it belongs to an active person who may sign in where
/// the request was made. The same queries run either way, so neither the answer nor
/// (much) its timing tells whether the address exists.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request(
    db: &PgPool,
    email: &str,
    mail: &Mail<'_>,
    origin: &Origin,
) -> Result<(), RequestError> {
    let email = email.trim();
    if !valid_email(email) {
        return Err(RequestError::Email);
    }
    if let Some(ip) = origin.ip.as_deref() {
        // Every request is audited with its address, known or not (see below).
        let recent = sqlx::query_scalar!(
            r#"select count(*) as "n!" from audit_events
               where action = 'password_reset.requested' and at > now() - interval '1 hour' and ip = $1"#,
            ip
        )
        .fetch_one(db)
        .await?;
        if recent >= MAX_PER_ADDRESS_PER_HOUR {
            return Err(RequestError::TooManyFromAddress);
        }
    }
    let user = users::find_active_by_email(db, email).await?;
    let eligible = match &user {
        Some(u) => login::may_enter(db, u, mail.audience).await?.allowed(),
        None => false,
    };
    let recipient = user.as_ref().filter(|_| eligible).map(|u| u.id);
    let (plain, hash) = token::generate();
    let link = format!(
        "{}/reset?token={plain}",
        mail.base_url.trim_end_matches('/')
    );
    let composed = compose::password_reset(&compose::PasswordReset {
        brand: mail.brand,
        link: &link,
        minutes: LIFETIME_MINUTES,
    })?;

    let mut tx = db.begin().await?;
    // One request per person at a time, so the hourly limit cannot be raced past.
    let key = recipient.unwrap_or_default();
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('tenantry.password_reset'), hashtext($1))",
        key.to_string()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from password_resets where user_id = $1 and created_at < now() - interval '1 day'",
        key
    )
    .execute(&mut *tx)
    .await?;
    let recent = sqlx::query_scalar!(
        r#"select count(*) as "n!" from password_resets
           where user_id = $1 and created_at > now() - interval '1 hour'"#,
        key
    )
    .fetch_one(&mut *tx)
    .await?;
    let throttled = recent >= MAX_PER_HOUR;
    let sent = match recipient {
        Some(user_id) if !throttled => {
            // A newer link replaces the older ones.
            sqlx::query!(
                "update password_resets set expires_at = now()
                 where user_id = $1 and used_at is null and expires_at > now()",
                user_id
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "insert into password_resets (token_hash, user_id, expires_at)
                 values ($1, $2, now() + make_interval(mins => $3))",
                &hash[..],
                user_id,
                LIFETIME_MINUTES as i32,
            )
            .execute(&mut *tx)
            .await?;
            outbox::enqueue(
                &mut tx,
                Kind::PasswordReset,
                mail.tenant(),
                email,
                &composed,
            )
            .await?;
            true
        }
        _ => false,
    };
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::anonymous(email),
            action: "password_reset.requested",
            tenant: mail.tenant(),
            target: Some(email),
            origin,
            // Only someone who may sign in here is named: the tenant's admins read this
            // event, and must not learn that an address has an identity elsewhere.
            details: json!({
                "user_id": recipient,
                "tenant_id": mail.tenant(),
                "sent": sent,
                "throttled": recipient.is_some() && throttled,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why a link does or does not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Valid,
    Expired,
    Used,
    Unknown,
}

/// What the reset page needs to know about a link.
#[derive(Clone, Debug)]
pub struct Found {
    pub state: TokenState,
    /// The account's email (only filled for a valid link), for password managers.
    pub email: String,
}

/// Looks a link up. A link of someone who may not sign in here (or no longer exists, or
/// was deactivated) is unknown here.
pub async fn find(db: &PgPool, audience: Audience, plain: &str) -> sqlx::Result<Found> {
    let hash = token::hash(plain);
    let row = sqlx::query!(
        r#"select user_id, used_at is not null as "used!", expires_at <= now() as "expired!"
           from password_resets where token_hash = $1"#,
        &hash[..]
    )
    .fetch_optional(db)
    .await?;
    let unknown = Found {
        state: TokenState::Unknown,
        email: String::new(),
    };
    let Some(row) = row else {
        return Ok(unknown);
    };
    let Some(user) = users::find_active(db, row.user_id).await? else {
        return Ok(unknown);
    };
    if !login::may_enter(db, &user, audience).await?.allowed() {
        return Ok(unknown);
    }
    let state = if row.used {
        TokenState::Used
    } else if row.expired {
        TokenState::Expired
    } else {
        TokenState::Valid
    };
    Ok(Found {
        state,
        email: if state == TokenState::Valid {
            user.email
        } else {
            String::new()
        },
    })
}

#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error("This link is not valid.")]
    Unknown,
    #[error("This link has expired.")]
    Expired,
    #[error("This link has already been used.")]
    Used,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Sets the new password (already hashed: argon2 runs before the transaction) and uses
/// the link up, in one transaction. Every open link of that person stops working, and
/// every session of theirs ends on its next request.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn complete(
    db: &PgPool,
    audience: Audience,
    plain: &str,
    password_hash: String,
    origin: &Origin,
) -> Result<(), CompleteError> {
    let hash = token::hash(plain);
    let mut tx = db.begin().await?;
    let row = sqlx::query!(
        r#"select user_id, used_at is not null as "used!", expires_at <= now() as "expired!"
           from password_resets where token_hash = $1 for update"#,
        &hash[..]
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(CompleteError::Unknown)?;
    if row.used {
        return Err(CompleteError::Used);
    }
    if row.expired {
        return Err(CompleteError::Expired);
    }
    let user = users::find_active(db, row.user_id)
        .await?
        .ok_or(CompleteError::Unknown)?;
    if !login::may_enter(db, &user, audience).await?.allowed() {
        return Err(CompleteError::Unknown);
    }
    sqlx::query!(
        "update users set password_hash = $2 where id = $1 and status = 'active'",
        user.id,
        password_hash
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update password_resets set used_at = now() where token_hash = $1",
        &hash[..]
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update password_resets set expires_at = now()
         where user_id = $1 and used_at is null and expires_at > now()",
        user.id
    )
    .execute(&mut *tx)
    .await?;
    // Whoever holds the mailbox may sign in at once. The email's throttle counts failures
    // since its last success, so a success ends it; the failures stay, and so does the
    // throttle on the addresses they came from.
    sqlx::query!(
        "insert into login_attempts (email, ip, succeeded) values ($1, $2, true)",
        user.email,
        origin.ip.as_deref().unwrap_or("unknown"),
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::user(user.id, &user.email),
            action: "password_reset.completed",
            tenant: audience.tenant(),
            target: Some(&user.email),
            origin,
            details: json!({
                "user_id": user.id,
                "tenant_id": audience.tenant(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
