//! Random one-time tokens (setup links, invitations, password resets, CSRF). The plain
//! token goes to the user; only its SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new 256-bit token, URL-safe, and the hash to store.
pub fn generate() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let plain = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&plain);
    (plain, hash)
}

pub fn hash(plain: &str) -> [u8; 32] {
    Sha256::digest(plain.as_bytes()).into()
}

/// Compares two secrets in time independent of where they differ.
pub fn equals(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), ha);
        assert!(equals(&a, &a.clone()));
        assert!(!equals(&a, &b));
    }
}
