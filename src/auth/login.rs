//! Sign-in: throttle first (no password check while throttled), then credentials, then
//! the session (id rotated, bound to the host it was made on). Every outcome is audited.

use serde_json::json;
use sqlx::PgPool;
use tower_sessions::Session;

use crate::auth::{AuthSession, Credentials};
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::login_attempts;
use crate::control::users::{self, User};

/// Session key holding what a session is bound to: the host it was made on and the
/// console there (`<host>#platform` or `<host>#<tenant id>`).
pub const SESSION_HOST_KEY: &str = "bound_to";

/// Session key holding the session's CSRF token (`web::csrf`); a sign-in renews it.
pub const CSRF_SESSION_KEY: &str = "csrf_token";

/// Where a sign-in happens; decides who may enter and what the session is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Platform,
    Tenant(uuid::Uuid),
}

impl Audience {
    /// The tenant whose console this is; its log shows what happens here.
    pub fn tenant(self) -> Option<uuid::Uuid> {
        match self {
            Self::Platform => None,
            Self::Tenant(id) => Some(id),
        }
    }

    pub fn binding(self, host: &str) -> String {
        match self {
            Self::Platform => format!("{host}#platform"),
            Self::Tenant(id) => format!("{host}#{id}"),
        }
    }
}

pub enum Outcome {
    SignedIn(User),
    /// Wrong password, unknown email or not allowed here: one message for all.
    Invalid,
    Throttled {
        minutes: i64,
    },
    /// Right password, but the person reaches this tenant only as platform staff: staff
    /// enter a tenant's console through "Open console", which asks and audits a reason.
    ThroughPlatform,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("sign-in failed: {0}")]
    Backend(String),
    #[error(transparent)]
    Session(#[from] tower_sessions::session::Error),
}

/// Where the attempt comes from, and the console it is made on.
pub struct Attempt<'a> {
    pub ip: &'a str,
    pub host: &'a str,
    pub origin: &'a Origin,
    pub audience: Audience,
}

/// Signs a user in on the platform console (staff only) or a tenant console (members
/// and staff with access to that tenant).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn sign_in(
    db: &PgPool,
    auth: &mut AuthSession,
    session: &Session,
    creds: Credentials,
    attempt: Attempt<'_>,
) -> Result<Outcome, LoginError> {
    let audience = attempt.audience;
    let email = creds.email.clone();
    let user = match check_credentials(db, auth, creds, &attempt).await? {
        Outcome::SignedIn(user) => user,
        other => return Ok(other),
    };
    match may_enter(db, &user, audience).await? {
        Entry::Allowed => {}
        // Someone with nothing to do here gets the same answer as a wrong password.
        Entry::Refused => {
            refuse(db, &email, &attempt).await?;
            return Ok(Outcome::Invalid);
        }
        Entry::ThroughPlatform => return Ok(Outcome::ThroughPlatform),
    }
    finish_sign_in(db, auth, session, &user, &attempt).await?;
    Ok(Outcome::SignedIn(user))
}

/// Checks an email and password (throttled, failures recorded and audited) without
/// deciding where the person may go: `SignedIn` here means only "the password is right".
pub async fn check_credentials(
    db: &PgPool,
    auth: &mut AuthSession,
    creds: Credentials,
    attempt: &Attempt<'_>,
) -> Result<Outcome, LoginError> {
    let email = creds.email.clone();
    if let Some(until) = login_attempts::throttled_until(db, &email, attempt.ip).await? {
        let minutes = login_attempts::minutes_left(until);
        record(
            db,
            &Actor::anonymous(&email),
            "auth.login_throttled",
            &email,
            attempt,
            json!({ "minutes": minutes }),
        )
        .await?;
        return Ok(Outcome::Throttled { minutes });
    }
    let user = auth
        .authenticate(creds)
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    match user {
        Some(user) => Ok(Outcome::SignedIn(user)),
        None => {
            refuse(db, &email, attempt).await?;
            Ok(Outcome::Invalid)
        }
    }
}

async fn refuse(db: &PgPool, email: &str, attempt: &Attempt<'_>) -> Result<(), LoginError> {
    login_attempts::record(db, email, attempt.ip, false).await?;
    record(
        db,
        &Actor::anonymous(email),
        "auth.login_failed",
        email,
        attempt,
        json!({}),
    )
    .await?;
    Ok(())
}

/// Starts the session of a user whose credentials were checked, and records it.
pub async fn finish_sign_in(
    db: &PgPool,
    auth: &mut AuthSession,
    session: &Session,
    user: &User,
    attempt: &Attempt<'_>,
) -> Result<(), LoginError> {
    let audience = attempt.audience;
    start_session(auth, session, user, &audience.binding(attempt.host)).await?;
    login_attempts::record(db, &user.email, attempt.ip, true).await?;
    users::touch_last_login(db, user.id).await?;
    if let Audience::Tenant(tenant) = audience {
        crate::control::memberships::touch_last_login(db, user.id, tenant).await?;
    }
    record(
        db,
        &Actor::user(user.id, &user.email),
        "auth.login",
        &user.email,
        attempt,
        json!({ "host": attempt.host, "audience": format!("{audience:?}") }),
    )
    .await?;
    Ok(())
}

/// Whether a user may sign in to a console with their password.
pub enum Entry {
    Allowed,
    Refused,
    /// Staff without a membership: only through "Open console" on the platform.
    ThroughPlatform,
}

impl Entry {
    /// Whether the password alone lets the person in (password resets ask this too).
    pub fn allowed(&self) -> bool {
        matches!(self, Self::Allowed)
    }
}

/// Whether `user` may sign in to `audience` with a password: staff on the platform,
/// members on a tenant. Staff who reach a tenant only by their platform role go through
/// "Open console", so their visit carries a reason in both audit logs.
pub async fn may_enter(db: &PgPool, user: &User, audience: Audience) -> sqlx::Result<Entry> {
    use crate::auth::guard::TenantAccess;
    let allowed = match audience {
        Audience::Platform => user.platform_role.is_some(),
        Audience::Tenant(tenant) => {
            match crate::auth::guard::tenant_access(db, user, tenant).await? {
                Some(TenantAccess::Member(_)) => true,
                Some(TenantAccess::Staff { .. }) => return Ok(Entry::ThroughPlatform),
                None => false,
            }
        }
    };
    Ok(if allowed {
        Entry::Allowed
    } else {
        Entry::Refused
    })
}

/// Makes `user` the session's user, bound to `binding` (see [`Audience::binding`]).
pub async fn start_session(
    auth: &mut AuthSession,
    session: &Session,
    user: &User,
    binding: &str,
) -> Result<(), LoginError> {
    // axum-login cycles the session id here, so a planted id never becomes a session;
    // the CSRF token is renewed with it, so one read before sign-in is worth nothing after.
    auth.login(user)
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    session.remove_value(CSRF_SESSION_KEY).await?;
    session.insert(SESSION_HOST_KEY, binding).await?;
    Ok(())
}

/// Ends the session (on `audience`'s console) and audits it.
pub async fn sign_out(
    db: &PgPool,
    auth: &mut AuthSession,
    origin: &Origin,
    audience: Audience,
) -> Result<(), LoginError> {
    let user = auth
        .logout()
        .await
        .map_err(|e| LoginError::Backend(e.to_string()))?;
    if let Some(user) = user {
        audit::record(
            db,
            NewEvent {
                actor: &Actor::user(user.id, &user.email),
                action: "auth.logout",
                tenant: audience.tenant(),
                target: Some(&user.email),
                origin,
                details: json!({}),
            },
        )
        .await?;
    }
    Ok(())
}

/// Audits an attempt: on a tenant's host, in that tenant's log too (its admins see who
/// tried to sign in there).
async fn record(
    db: &PgPool,
    actor: &Actor,
    action: &str,
    target: &str,
    attempt: &Attempt<'_>,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    audit::record(
        db,
        NewEvent {
            actor,
            action,
            tenant: attempt.audience.tenant(),
            target: Some(target),
            origin: attempt.origin,
            details,
        },
    )
    .await
}
