//! The master key and AES-256-GCM sealing of secrets kept in the control plane (tenant
//! role passwords, database-server DSNs). A sealed value is `nonce (12 bytes) ‖ ciphertext`.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::secret::Secret;

const NONCE_LEN: usize = 12;
const KEY_FILE: &str = "master.key";

/// The key that seals secrets at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey(Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened: wrong master key or corrupted data")]
pub struct OpenError;

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() != 32 {
            bail!(
                "the master key must be 32 bytes (base64-encoded), got {}",
                bytes.len()
            );
        }
        Ok(Self(
            Aes256Gcm::new_from_slice(bytes).map_err(|_| anyhow::anyhow!("invalid key length"))?,
        ))
    }

    /// `TENANTRY_MASTER_KEY` (base64) if set, else `<data dir>/master.key`, generated on
    /// first use with mode 0600.
    pub fn load(configured: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(encoded) = configured {
            let bytes = STANDARD
                .decode(encoded.expose().trim())
                .context("TENANTRY_MASTER_KEY is not valid base64")?;
            return Self::from_bytes(&bytes);
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            let encoded = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let bytes = STANDARD
                .decode(encoded.trim())
                .with_context(|| format!("{} is not valid base64", path.display()))?;
            return Self::from_bytes(&bytes);
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        write_private(&path, STANDARD.encode(bytes).as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new master key; back it up with the database");
        Self::from_bytes(&bytes)
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(&Nonce::from(nonce), plaintext)
            // ok: AES-GCM encryption fails only for inputs beyond 64 GiB.
            .expect("AES-GCM seal");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
        self.0
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| OpenError)
    }

    /// [`Self::seal`] bound to `aad` (authenticated, not encrypted): opening needs the
    /// same `aad`, so a sealed piece cannot be moved to another context unnoticed.
    pub fn seal_bound(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let sealed = self
            .0
            .encrypt(&Nonce::from(nonce), payload)
            // ok: AES-GCM encryption fails only for inputs beyond 64 GiB.
            .expect("AES-GCM seal");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`Self::seal_bound`] sealed with the same `aad`.
    pub fn open_bound(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
        let payload = Payload {
            msg: ciphertext,
            aad,
        };
        self.0
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| OpenError)
    }

    pub fn open_string(&self, sealed: &[u8]) -> Result<Secret, OpenError> {
        let bytes = self.open(sealed)?;
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| OpenError)
    }
}

/// Writes a file only its owner can read, created that way (no window with wider mode).
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_tampering() {
        let key = MasterKey::from_bytes(&[7u8; 32]).expect("test value");
        let sealed = key.seal(b"s3cret");
        assert_ne!(&sealed[NONCE_LEN..], b"s3cret");
        assert_eq!(key.open(&sealed).expect("test value"), b"s3cret");
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("test value") ^= 1;
        assert!(key.open(&tampered).is_err());
        let other = MasterKey::from_bytes(&[8u8; 32]).expect("test value");
        assert!(other.open(&sealed).is_err());
        assert_ne!(key.seal(b"s3cret"), sealed, "fresh nonce every time");
    }

    #[test]
    fn generates_a_private_key_file_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("test value");
        let a = MasterKey::load(None, dir.path()).expect("test value");
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("test value")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = MasterKey::load(None, dir.path()).expect("test value");
        assert_eq!(
            b.open(&a.seal(b"x")).expect("test value"),
            b"x",
            "the same key is reused"
        );
    }
}
