//! Password hashing with argon2id at OWASP's recommended parameters (19 MiB, t=2, p=1),
//! run on the blocking pool so a sign-in never stalls the async workers.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::{PasswordHasher, PasswordVerifier};
use validator::ValidationError;

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted: hashing cost must not be an attacker's lever.
pub const MAX_LEN: usize = 1024;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// The one rule for new passwords, used by every form and the CLI.
pub fn check_strength(password: &str) -> Result<(), ValidationError> {
    let chars = password.chars().count();
    let message = if chars < MIN_LEN {
        "Use at least 12 characters."
    } else if chars > MAX_LEN {
        "Use at most 1024 characters."
    } else if password.trim().is_empty() {
        "The password cannot be only spaces."
    } else {
        return Ok(());
    };
    Err(ValidationError::new("password_strength").with_message(message.into()))
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Checks `password` against a stored PHC hash. With no hash (unknown user) it still
/// spends the same time on a dummy hash, so timing does not reveal which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = argon2()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok();
        Ok(ok && known)
    })
    .await?
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2()
        .hash_password(b"tenantry timing equaliser")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let h = hash("correct horse battery".into())
            .await
            .expect("test value");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            verify("correct horse battery".into(), Some(h.clone()))
                .await
                .expect("test value")
        );
        assert!(
            !verify("wrong horse battery".into(), Some(h))
                .await
                .expect("test value")
        );
        assert!(!verify("anything".into(), None).await.expect("test value"));
    }

    #[test]
    fn strength_rule() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("            ").is_err());
        assert!(check_strength(&"x".repeat(1025)).is_err());
        assert!(check_strength("twelve chars").is_ok());
    }
}
