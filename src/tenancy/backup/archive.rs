//! The sealed archive format: a dump cut into 1 MiB chunks, each sealed with the master
//! key (AES-256-GCM) and bound to the backup's id, its tenant's id, its position and
//! whether it is the last one. So an archive opens only as the backup it was made for:
//! a file of another tenant or another installation, a reordered or truncated one, or a
//! flipped bit is refused at the first chunk that does not fit, before anything is
//! restored.
//!
//! Layout: `MAGIC`, then frames of `[last: u8][len: u32 BE][nonce ‖ ciphertext]`.

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use uuid::Uuid;

use crate::tenancy::crypto::MasterKey;

const MAGIC: &[u8; 8] = b"TNTRYBK1";
const CHUNK: usize = 1 << 20;
/// Nonce and tag around each chunk.
const OVERHEAD: usize = 12 + 16;

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the archive is not a Tenantry backup")]
    NotABackup,
    #[error(
        "the archive does not belong to this backup (another tenant's, another installation's, or altered)"
    )]
    Foreign,
    #[error("the archive is truncated")]
    Truncated,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What sealing wrote: its size and SHA-256 (hex) as stored.
pub struct Sealed {
    pub size: u64,
    pub sha256: String,
}

fn aad(backup: Uuid, tenant: Uuid, index: u64, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + 16 + 8 + 1);
    aad.extend_from_slice(backup.as_bytes());
    aad.extend_from_slice(tenant.as_bytes());
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

/// Reads until `buf` is full or the input ends; returns how much was read.
async fn fill(input: &mut (impl AsyncRead + Unpin), buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = input.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// A writer that hashes and counts what passes through it.
struct Hashing<'a, W> {
    out: &'a mut W,
    hash: Sha256,
    size: u64,
}

impl<W: AsyncWrite + Unpin> Hashing<'_, W> {
    async fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.size += bytes.len() as u64;
        self.out.write_all(bytes).await
    }
}

/// Seals `plain` into `out`, hashing what is written.
pub async fn seal(
    key: &MasterKey,
    backup: Uuid,
    tenant: Uuid,
    plain: &mut (impl AsyncRead + Unpin),
    out: &mut (impl AsyncWrite + Unpin),
) -> std::io::Result<Sealed> {
    let mut out = Hashing {
        out,
        hash: Sha256::new(),
        size: 0,
    };
    out.put(MAGIC).await?;
    let mut current = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut len = fill(plain, &mut current).await?;
    let mut index = 0u64;
    loop {
        // One chunk of look-ahead tells whether this one is the last.
        let next_len = if len == CHUNK {
            fill(plain, &mut next).await?
        } else {
            0
        };
        let last = next_len == 0;
        let sealed = key.seal_bound(&current[..len], &aad(backup, tenant, index, last));
        let frame_len = u32::try_from(sealed.len()).map_err(std::io::Error::other)?;
        out.put(&[u8::from(last)]).await?;
        out.put(&frame_len.to_be_bytes()).await?;
        out.put(&sealed).await?;
        if last {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
        index += 1;
    }
    out.out.flush().await?;
    Ok(Sealed {
        size: out.size,
        sha256: hex::encode(out.hash.finalize()),
    })
}

/// Opens an archive made by [`seal`] for `backup` of `tenant`, writing the dump to `out`.
pub async fn open(
    key: &MasterKey,
    backup: Uuid,
    tenant: Uuid,
    sealed: &mut (impl AsyncRead + Unpin),
    out: &mut (impl AsyncWrite + Unpin),
) -> Result<u64, ArchiveError> {
    let mut magic = [0u8; MAGIC.len()];
    if fill(sealed, &mut magic).await? != MAGIC.len() || &magic != MAGIC {
        return Err(ArchiveError::NotABackup);
    }
    let mut index = 0u64;
    let mut written = 0u64;
    let mut frame = Vec::with_capacity(CHUNK + OVERHEAD);
    loop {
        let mut head = [0u8; 5];
        match fill(sealed, &mut head).await? {
            0 => return Err(ArchiveError::Truncated),
            5 => {}
            _ => return Err(ArchiveError::Truncated),
        }
        let last = match head[0] {
            0 => false,
            1 => true,
            _ => return Err(ArchiveError::Foreign),
        };
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if len > CHUNK + OVERHEAD {
            return Err(ArchiveError::Foreign);
        }
        frame.resize(len, 0);
        if fill(sealed, &mut frame).await? != len {
            return Err(ArchiveError::Truncated);
        }
        let plain = key
            .open_bound(&frame, &aad(backup, tenant, index, last))
            .map_err(|_| ArchiveError::Foreign)?;
        out.write_all(&plain).await?;
        written += plain.len() as u64;
        if last {
            let mut extra = [0u8; 1];
            if fill(sealed, &mut extra).await? != 0 {
                return Err(ArchiveError::Foreign);
            }
            out.flush().await?;
            return Ok(written);
        }
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sealed(key: &MasterKey, b: Uuid, t: Uuid, plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let s = seal(key, b, t, &mut &plain[..], &mut out)
            .await
            .expect("seal");
        assert_eq!(s.size, out.len() as u64);
        assert_eq!(s.sha256, hex::encode(Sha256::digest(&out)));
        out
    }

    async fn opened(key: &MasterKey, b: Uuid, t: Uuid, archive: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        open(key, b, t, &mut &archive[..], &mut out)
            .await
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[tokio::test]
    async fn round_trips_and_refuses_what_is_not_its_own() {
        let key = MasterKey::from_bytes(&[3u8; 32]).expect("key");
        let (b, t) = (Uuid::now_v7(), Uuid::now_v7());
        for size in [0, 10, CHUNK, CHUNK + 1, 2 * CHUNK + 7] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let archive = sealed(&key, b, t, &plain).await;
            assert_eq!(opened(&key, b, t, &archive).await.expect("opens"), plain);
        }
        let plain = vec![9u8; CHUNK + 5];
        let archive = sealed(&key, b, t, &plain).await;
        let foreign = opened(&key, b, Uuid::now_v7(), &archive).await.unwrap_err();
        assert!(foreign.contains("does not belong"), "{foreign}");
        let other_key = MasterKey::from_bytes(&[4u8; 32]).expect("key");
        assert!(opened(&other_key, b, t, &archive).await.is_err());
        let mut flipped = archive.clone();
        flipped[100] ^= 1;
        assert!(opened(&key, b, t, &flipped).await.is_err());
        // Cut after the first whole frame: the last-chunk flag was not seen.
        let first_frame = MAGIC.len() + 5 + CHUNK + OVERHEAD;
        let cut = opened(&key, b, t, &archive[..first_frame])
            .await
            .unwrap_err();
        assert!(cut.contains("truncated"), "{cut}");
        let not = opened(&key, b, t, b"PGDMP not sealed").await.unwrap_err();
        assert!(not.contains("not a Tenantry backup"), "{not}");
    }
}
