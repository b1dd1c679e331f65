//! The two control-plane reads every signed-in request needs — the user, and their access
//! to the tenant — kept in [`Fresh`] caches that change notifications empty, so a
//! deactivation, a removed membership or a changed role ends access on the next request
//! after its notification arrives, in every process. Decisions that change access (sign
//! in, invitations) read the tables themselves.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::guard::{TenantAccess, tenant_access};
use crate::cache::{Fresh, Freshness};
use crate::control::changes::Change;
use crate::control::users::{self, User};

/// Safety net only: notifications drop entries long before this.
const TTL: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct AccessCache {
    users: Fresh<Uuid, Option<User>>,
    access: Fresh<(Uuid, Uuid), Option<TenantAccess>>,
}

impl AccessCache {
    pub fn new(freshness: &Freshness) -> Self {
        Self {
            users: Fresh::new(freshness, 100_000, TTL),
            access: Fresh::new(freshness, 200_000, TTL),
        }
    }

    /// The active user with this id (axum-login asks on every request).
    pub async fn user(&self, db: &PgPool, id: Uuid) -> sqlx::Result<Option<User>> {
        self.users.get_or_load(id, users::find_active(db, id)).await
    }

    /// How `user` may use `tenant` ([`tenant_access`], cached).
    pub async fn tenant_access(
        &self,
        db: &PgPool,
        user: &User,
        tenant: Uuid,
    ) -> sqlx::Result<Option<TenantAccess>> {
        self.access
            .get_or_load((user.id, tenant), tenant_access(db, user, tenant))
            .await
    }

    /// Drops what `change` may have made stale.
    pub fn apply(&self, change: &Change) {
        match *change {
            Change::Member { user, tenant } => self.access.invalidate(&(user, tenant)),
            Change::Roles(tenant) => self.access.invalidate_where(|(_, t)| *t == tenant),
            Change::User(user) => {
                self.users.invalidate(&user);
                self.access.invalidate_where(|(u, _)| *u == user);
            }
            Change::Staff => self.access.clear(),
            Change::Everything => {
                self.access.clear();
                self.users.clear();
            }
            Change::Tenant(_) | Change::Plan | Change::Session(_) => {}
        }
    }
}
