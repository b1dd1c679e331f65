//! Role passwords are set as SCRAM-SHA-256 verifiers computed here, so the plain password
//! never travels in a DDL statement that the server might log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const ITERATIONS: u32 = 4096;

/// `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`, as PostgreSQL stores it.
pub fn verifier(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    verifier_with_salt(password, &salt)
}

fn verifier_with_salt(password: &str, salt: &[u8]) -> String {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, ITERATIONS, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${ITERATIONS}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // ok: HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_postgres_verifier_shape() {
        let v = verifier("pencil");
        assert!(v.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        let (_, keys) = v
            .split_once('$')
            .expect("test value")
            .1
            .split_once('$')
            .expect("test value");
        assert_eq!(keys.split(':').count(), 2);
        assert_ne!(verifier("pencil"), v, "salted");
    }
}
