//! Where sealed archives are kept: one `object_store` abstraction over a local directory
//! (the default, `TENANTRY_BACKUP_DIR`) and an S3-compatible bucket.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::ObjectStore;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The backup store named by the settings, opened on first use (so a directory that is
/// missing or unwritable fails the backup job that needs it, not the process).
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// No place configured: backups are refused with a clear reason.
    None,
    Dir(PathBuf),
    S3(S3Config),
}

/// An S3-compatible bucket. Credentials are the settings' own (never the process's
/// ambient AWS variables), so what is configured is what is used.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// For S3-compatible servers (MinIO, Ceph, a local test server); `http://` allowed.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<crate::secret::Secret>,
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
            Self::S3(s3) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(id) = &s3.access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                let s3_store = builder.build().map_err(|e| {
                    anyhow::anyhow!("the backup bucket s3://{} is not usable: {e}", s3.bucket)
                })?;
                Ok(Store {
                    inner: Arc::new(s3_store),
                    describe: self.describe(),
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::None => "not configured".into(),
            Self::Dir(dir) => dir.display().to_string(),
            Self::S3(s3) => match &s3.endpoint {
                Some(endpoint) => format!("s3://{} at {endpoint}", s3.bucket),
                None => format!("s3://{}", s3.bucket),
            },
        }
    }
}

impl Store {
    /// A writer that uploads to `key` (in parts when large); call [`Upload::finish`].
    pub fn upload(&self, key: &str) -> Upload {
        Upload(BufWriter::new(self.inner.clone(), Path::from(key)))
    }

    /// Seals `plain` with the master key for archive `id` of `tenant` and uploads it to
    /// `key`; nothing is visible there unless the whole archive was written. A failure
    /// names the store (a full disk, an unwritable bucket).
    pub async fn put_sealed(
        &self,
        key: &str,
        master: &crate::tenancy::crypto::MasterKey,
        id: uuid::Uuid,
        tenant: uuid::Uuid,
        plain: &mut (impl tokio::io::AsyncRead + Unpin),
    ) -> anyhow::Result<super::archive::Sealed> {
        let mut upload = self.upload(key);
        let sealed = match super::archive::seal(master, id, tenant, plain, upload.writer()).await {
            Ok(sealed) => sealed,
            Err(e) => {
                upload.abort().await;
                anyhow::bail!("writing to the backup store {} failed: {e}", self.describe);
            }
        };
        upload.finish().await.map_err(|e| {
            anyhow::anyhow!("writing to the backup store {} failed: {e}", self.describe)
        })?;
        Ok(sealed)
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
