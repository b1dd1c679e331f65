// placeholder until the embedded supervisor lands (being written now)
use std::path::{Path, PathBuf};
pub struct ClusterOptions {
    pub data_dir: PathBuf,
    pub pg_bin: Option<PathBuf>,
    pub settings: Vec<(String, String)>,
}
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("x")]
    X,
}
pub struct EmbeddedCluster;
impl EmbeddedCluster {
    pub async fn start(_o: ClusterOptions) -> Result<Self, PgError> {
        Err(PgError::X)
    }
    pub fn url(&self, _d: &str) -> String {
        String::new()
    }
    pub fn port(&self) -> u16 {
        0
    }
    pub fn owned(&self) -> bool {
        false
    }
    pub async fn stop(self) -> Result<(), PgError> {
        Ok(())
    }
}
pub fn saved_url(_d: &Path, _db: &str) -> Result<(String, bool), PgError> {
    Err(PgError::X)
}
