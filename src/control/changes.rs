//! Change notifications: the control plane's triggers announce every change that a
//! cache depends on (migration `change_notifications`) on one channel, at commit of the
//! transaction that made it. [`follow`] listens in every `serve` process and hands each
//! change to the caches; a lost connection makes the process distrust its caches, drop
//! them all, and listen again before trusting them.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use crate::cache::Freshness;

/// The channel the triggers notify.
pub const CHANNEL: &str = "tenantry_changes";

/// What changed, as the triggers name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A tenant's row, modules or domains.
    Tenant(Uuid),
    /// One membership (user, tenant).
    Member { user: Uuid, tenant: Uuid },
    /// A tenant's custom roles.
    Roles(Uuid),
    /// A user: deactivation, password, platform role.
    User(Uuid),
    /// Staff assignments or segments: which tenants super admins reach.
    Staff,
    /// A plan's limits or pool size.
    Plan,
    /// A session was changed or deleted (its id as the cookie carries it).
    Session(String),
    /// Anything may have changed (the listener was lost): drop everything.
    Everything,
}

impl Change {
    /// Reads a trigger's payload; `None` for one this binary does not know.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        if let Some(id) = payload.strip_prefix("session:") {
            return Some(Self::Session(id.to_owned()));
        }
        let kind = parts.next()?;
        let mut id = || parts.next().and_then(|s| Uuid::parse_str(s).ok());
        Some(match kind {
            "tenant" => Self::Tenant(id()?),
            "member" => {
                let user = id()?;
                Self::Member {
                    user,
                    tenant: id()?,
                }
            }
            "roles" => Self::Roles(id()?),
            "user" => Self::User(id()?),
            "staff" => Self::Staff,
            "plan" => Self::Plan,
            _ => return None,
        })
    }
}

/// Listens for changes until the process ends, calling `apply` for each. Before the first
/// `LISTEN` and after any lost connection `apply(Change::Everything)` runs and the caches
/// are distrusted until the listener is back.
pub async fn follow(db: PgPool, freshness: Freshness, apply: impl Fn(&Change) + Send + 'static) {
    let mut pause = Duration::from_millis(100);
    loop {
        freshness.distrust();
        apply(&Change::Everything);
        if db.is_closed() {
            // The process is shutting down its control plane: nothing left to follow.
            return;
        }
        let mut listener = match listen(&db).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; caches bypassed");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        // Listening from here on: whatever changed before was dropped just above.
        apply(&Change::Everything);
        freshness.trust();
        pause = Duration::from_millis(100);
        tracing::debug!("listening for control-plane changes");
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match Change::parse(n.payload()) {
                    Some(change) => apply(&change),
                    None => tracing::warn!(payload = n.payload(), "unknown change notification"),
                },
                // A closed control pool is the process shutting down, not a fault.
                Ok(None) | Err(_) if db.is_closed() => return,
                Ok(None) => {
                    tracing::warn!("change listener lost its connection; caches dropped");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change listener failed; caches dropped");
                    break;
                }
            }
        }
    }
}

async fn listen(db: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(
            Change::parse(&format!("tenant:{a}")),
            Some(Change::Tenant(a))
        );
        assert_eq!(
            Change::parse(&format!("member:{a}:{b}")),
            Some(Change::Member { user: a, tenant: b })
        );
        assert_eq!(Change::parse("staff"), Some(Change::Staff));
        assert_eq!(
            Change::parse("session:abc:d"),
            Some(Change::Session("abc:d".into()))
        );
        assert_eq!(Change::parse(&format!("plan:{a}")), Some(Change::Plan));
        assert_eq!(Change::parse("tenant:nope"), None);
        assert_eq!(Change::parse("weather:sunny"), None);
    }
}
