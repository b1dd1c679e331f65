//! Where sealed archives are kept: one `object_store` abstraction over a local directory
//! (the default, `TENANTRY_BACKUP_DIR`) and an S3-compatible bucket.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The backup store named by the settings, opened on first use (so a directory that is
/// missing or unwritable fails the backup job that needs it, not the process).
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// No place configured: backups are refused with a clear reason.
    None,
    Dir(PathBuf),
}

/// An opened store.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    /// Where it is, for messages ("/var/backups/tenantry", "s3://bucket/prefix").
    pub describe: String,
}

impl StoreConfig {
    pub fn open(&self) -> anyhow::Result<Store> {
        match self {
            Self::None => anyhow::bail!(
                "no backup store is configured: set TENANTRY_BACKUP_DIR (or the S3 settings)"
            ),
            Self::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("the backup directory {} is not usable: {e}", dir.display())
                })?;
                let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| {
                    anyhow::anyhow!("the backup directory {} is not usable: {e}", dir.display())
                })?;
                Ok(Store {
                    inner: Arc::new(fs),
                    describe: dir.display().to_string(),
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::None => "not configured".into(),
            Self::Dir(dir) => dir.display().to_string(),
        }
    }
}

impl Store {
    /// A writer that uploads to `key` (in parts when large); call [`Upload::finish`].
    pub fn upload(&self, key: &str) -> Upload {
        Upload(BufWriter::new(self.inner.clone(), Path::from(key)))
    }

    /// Copies the object at `key` into `out`.
    pub async fn download(
        &self,
        key: &str,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> anyhow::Result<u64> {
        let got = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => anyhow::anyhow!(
                    "the archive {key} is missing from the backup store {}",
                    self.describe
                ),
                e => anyhow::anyhow!("reading {key} from the backup store failed: {e}"),
            })?;
        let mut stream = got.into_stream();
        let mut total = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| anyhow::anyhow!("reading {key} failed: {e}"))?;
            total += chunk.len() as u64;
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        Ok(total)
    }

    /// Removes the object at `key`; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(anyhow::anyhow!(
                "deleting {key} from the backup store failed: {e}"
            )),
        }
    }
}

/// An upload in progress.
pub struct Upload(BufWriter);

impl Upload {
    pub fn writer(&mut self) -> &mut BufWriter {
        &mut self.0
    }

    /// Completes the upload: nothing is visible at the key before this returns.
    pub async fn finish(mut self) -> std::io::Result<()> {
        self.0.shutdown().await
    }

    /// Gives up, removing any parts already sent.
    pub async fn abort(mut self) {
        let _ = self.0.abort().await;
    }
}
