//! Sign-in: throttle first (no password check while throttled), then credentials, then
//! the session (id rotated, bound to the host it was made on). Every outcome is audited.

use serde_json::json;
use sqlx::PgPool;
use tower_sessions::Session;

use crate::auth::{AuthSession, Credentials};
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::login_attempts;
use crate::control::users::{self, User};

/// Session key holding the host a session was made on.
pub const SESSION_HOST_KEY: &str = "host";

pub enum Outcome {
    SignedIn(User),
    /// Wrong password, unknown email or not allowed here: one message for all.
    Invalid,
    Throttled {
        minutes: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("sign-in failed: {0}")]
    Backend(String),
    #[error(transparent)]
    Session(#[from] tower_sessions::session::Error),
}

/// Where the attempt comes from.
pub struct Attempt<'a> {
    pub ip: &'a str,
    pub host: &'a str,
    pub origin: &'a Origin,
}

/// Signs a staff member in on the platform console.
pub async fn sign_in_staff(
    db: &PgPool,
    auth: &mut AuthSession,
    session: &Session,
    creds: Credentials,
    attempt: Attempt<'_>,
) -> Result<Outcome, LoginError> {
    let email = creds.email.clone();
    let claimed = Actor::anonymous(&email);
    if let Some(until) = login_attempts::throttled_until(db, &email, attempt.ip).await? {
        let minutes = login_attempts::minutes_left(until);
        record(
            db,
            &claimed,
            "auth.login_throttled",
            &email,
            attempt.origin,
            json!({ "minutes": minutes }),
        )
        .await?;
        return Ok(Outcome::Throttled { minutes });
    }

    let user = auth
        .authenticate(creds)
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    // Tenant-only identities have nothing to do on the platform console.
    let Some(user) = user.filter(|u| u.platform_role.is_some()) else {
        login_attempts::record(db, &email, attempt.ip, false).await?;
        record(
            db,
            &claimed,
            "auth.login_failed",
            &email,
            attempt.origin,
            json!({}),
        )
        .await?;
        return Ok(Outcome::Invalid);
    };

    start_session(auth, session, &user, attempt.host).await?;
    login_attempts::record(db, &email, attempt.ip, true).await?;
    users::touch_last_login(db, user.id).await?;
    let actor = Actor::user(user.id, &user.email);
    record(
        db,
        &actor,
        "auth.login",
        &user.email,
        attempt.origin,
        json!({ "host": attempt.host }),
    )
    .await?;
    Ok(Outcome::SignedIn(user))
}

/// Makes `user` the session's user, bound to `host`.
pub async fn start_session(
    auth: &mut AuthSession,
    session: &Session,
    user: &User,
    host: &str,
) -> Result<(), LoginError> {
    // axum-login cycles the session id here, so a planted id never becomes a session.
    auth.login(user)
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    session.insert(SESSION_HOST_KEY, host).await?;
    Ok(())
}

/// Ends the session and audits it.
pub async fn sign_out(
    db: &PgPool,
    auth: &mut AuthSession,
    origin: &Origin,
) -> Result<(), LoginError> {
    let user = auth
        .logout()
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    if let Some(user) = user {
        let actor = Actor::user(user.id, &user.email);
        record(db, &actor, "auth.logout", &user.email, origin, json!({})).await?;
    }
    Ok(())
}

async fn record(
    db: &PgPool,
    actor: &Actor,
    action: &str,
    target: &str,
    origin: &Origin,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    audit::record(
        db,
        NewEvent {
            actor,
            action,
            target: Some(target),
            origin,
            details,
        },
    )
    .await
}
