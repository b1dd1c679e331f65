//! Role passwords are set as SCRAM-SHA-256 verifiers computed here, so the plain password
//! never travels in a DDL statement that the server might log.
//!
//! The iteration count is 1. PBKDF2's iterations slow down guessing a *weak* password
//! from a leaked verifier; our role passwords are 256 random bits ([`random_password`]),
//! which no number of guesses finds, so iterations buy nothing there. They are not free,
//! though: the client must redo PBKDF2 with the same count on every new connection
//! (4096 rounds of HMAC-SHA-256, the PostgreSQL default, cost the client about as much as
//! the rest of the connection's authentication; README's benchmark section has the
//! numbers). Salting and the challenge–response exchange are unchanged, and the password
//! still never crosses the wire. Roles made before this keep their 4096-round verifier
//! until their password is set again.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// PBKDF2 rounds in our verifiers: see the module docs for why one is enough.
pub const ITERATIONS: u32 = 1;

/// A role password: 256 random bits, base64url (43 characters, no quote or backslash).
pub fn random_password() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as PostgreSQL stores it.
pub fn verifier(password: &str) -> String {
    verifier_with_iterations(password, ITERATIONS)
}

/// [`verifier`] with another iteration count (the benchmark compares counts).
pub fn verifier_with_iterations(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    verifier_with_salt(password, &salt, iterations.max(1))
}

fn verifier_with_salt(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
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
        assert!(v.starts_with("SCRAM-SHA-256$1:"), "{v}");
        assert!(verifier_with_iterations("pencil", 4096).starts_with("SCRAM-SHA-256$4096:"));
        let (_, keys) = v
            .split_once('$')
            .expect("test value")
            .1
            .split_once('$')
            .expect("test value");
        assert_eq!(keys.split(':').count(), 2);
        assert_ne!(verifier("pencil"), v, "salted");
    }

    #[test]
    fn matches_the_rfc_7677_example() {
        // RFC 7677 section 3: password "pencil", this salt, 4096 iterations.
        let salt = STANDARD
            .decode("W22ZaJ0SNY7soEsUEjb6gQ==")
            .expect("test value");
        let v = verifier_with_salt("pencil", &salt, 4096);
        assert_eq!(
            v,
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
        let passwords: Vec<String> = (0..2).map(|_| random_password()).collect();
        assert_eq!(passwords[0].len(), 43);
        assert_ne!(passwords[0], passwords[1]);
    }
}
