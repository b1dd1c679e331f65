//! The axum-login backend: credentials are checked against argon2id hashes in `users`.

use axum_login::{AuthUser, AuthnBackend, UserId};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::cached::AccessCache;
use crate::auth::password;
use crate::control::users::{self, User};

impl AuthUser for User {
    type Id = Uuid;

    fn id(&self) -> Uuid {
        self.id
    }

    /// Tied to the password hash: changing the password ends every other session.
    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

#[derive(Clone)]
pub struct Backend {
    db: PgPool,
    cache: AccessCache,
}

impl Backend {
    pub fn new(db: PgPool, cache: AccessCache) -> Self {
        Self { db, cache }
    }
}

/// What the sign-in form submits.
#[derive(Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Hash(#[from] anyhow::Error),
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, BackendError> {
        let user = users::find_active_by_email(&self.db, &creds.email).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = password::verify(creds.password, stored).await?;
        Ok(user.filter(|_| ok))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        // A bare 500 from the sign-in layer follows; noted, it is answered as an outage.
        Ok(self
            .cache
            .user(&self.db, *id)
            .await
            .map_err(crate::pg::outage::noted)?)
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;
