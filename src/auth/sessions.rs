//! The session store: sessions live in PostgreSQL (so any instance serves any session)
//! and are cached in each process under the same rule as every other cache
//! ([`crate::cache`]): a trigger announces each changed or deleted session, and every
//! process drops its copy, so a sign-out or a session rotated at sign-in on one instance
//! is honoured by the others on the next request after the notification.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Result};
use tower_sessions_sqlx_store::PostgresStore;

use crate::cache::{Fresh, Freshness};
use crate::control::changes::Change;

/// Safety net only: notifications drop entries long before this.
const TTL: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct Sessions {
    db: PostgresStore,
    cache: Fresh<Id, Option<Record>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    pub fn new(db: sqlx::PgPool, freshness: &Freshness) -> Self {
        Self {
            db: PostgresStore::new(db),
            cache: Fresh::new(freshness, 100_000, TTL),
        }
    }

    /// Drops what `change` may have made stale: the session it names, or every session
    /// when notifications may have been missed.
    pub fn apply(&self, change: &Change) {
        match change {
            Change::Session(id) => {
                if let Ok(id) = id.parse::<Id>() {
                    self.cache.invalidate(&id);
                }
            }
            Change::Everything => self.cache.clear(),
            _ => {}
        }
    }
}

/// Ends, for good, every session bound to a tenant's console (the tenant is being
/// deleted: restoring it must not bring them back). A session's binding
/// ([`crate::auth::login::Audience::binding`]) ends in `#<tenant id>`, and the store keeps
/// session data as MessagePack, where a string is its UTF-8 bytes; so the rows holding
/// that text are the tenant's sessions. The delete is announced like any other, and every
/// instance drops its copies.
pub async fn end_for_tenant(
    tx: &mut sqlx::PgConnection,
    tenant_id: uuid::Uuid,
) -> sqlx::Result<u64> {
    let marker = format!("#{tenant_id}");
    let ended = sqlx::query(
        "delete from tower_sessions.session where position(convert_to($1, 'UTF8') in data) > 0",
    )
    .bind(marker)
    .execute(tx)
    .await?;
    Ok(ended.rows_affected())
}

/// A store error is noted as an outage when it came from the database (`Backend`: the
/// store's statements are simple enough that their failing means PostgreSQL could not
/// be reached), so the request is answered 503 rather than a bare 500
/// ([`crate::pg::outage`]).
fn noted(e: session_store::Error) -> session_store::Error {
    if matches!(e, session_store::Error::Backend(_)) {
        crate::pg::outage::note();
    }
    e
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.db.create(record).await.map_err(noted)?;
        self.cache.invalidate(&record.id);
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.db.save(record).await.map_err(noted)?;
        self.cache.invalidate(&record.id);
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let record = self
            .cache
            .get_or_load(*id, self.db.load(id))
            .await
            .map_err(noted)?;
        // An entry kept past its own expiry is no session.
        Ok(record.filter(|r| r.expiry_date > OffsetDateTime::now_utc()))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.db.delete(id).await.map_err(noted)?;
        self.cache.invalidate(id);
        Ok(())
    }
}
