//! Embedded PostgreSQL: the cluster Tenantry runs in `<data_dir>/pg/` when no `DATABASE_URL`
//! is given, using the server binaries already on the machine.
//!
//! One cluster per data dir. [`EmbeddedCluster::start`] runs initdb the first time, reuses the
//! cluster afterwards, and attaches to it when another process (`tenantry serve`) already runs
//! it. The postmaster we start is the child of a dedicated supervisor thread with
//! `PR_SET_PDEATHSIG`, so it cannot outlive this process, however this process ends.
//!
//! Layout of `<data_dir>/pg/`: `data/` (PGDATA), `socket/` (unix socket), `superuser.password`
//! (0600), `port` (last port used), `postgres.log` (server output, appended), `start.lock`.
//! As root, the server runs as the `postgres` system user, which owns `data/`, `socket/` and the
//! log; the password file stays ours.

mod binaries;
mod layout;
mod pidfile;
mod postmaster;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tracing::{info, warn};

pub use binaries::find_pg_bin;
use layout::{Layout, RunAs};
use pidfile::PidFile;
use postmaster::{Postmaster, is_transient, launch, pick_port, wait_ready};

/// How many times a start is tried when it fails for a passing reason (port taken meanwhile,
/// the old server's processes still detaching from shared memory).
const START_ATTEMPTS: u32 = 5;
/// How long a dropped, never-stopped cluster waits for its postmaster to exit.
const DROP_WAIT: Duration = Duration::from_secs(10);

/// What [`EmbeddedCluster::start`] needs.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// TENANTRY_DATA_DIR root; the cluster lives in `<data_dir>/pg/`.
    pub data_dir: PathBuf,
    /// PG_BIN override.
    pub pg_bin: Option<PathBuf>,
    /// extra `-c name=value` server settings (tests pass fsync=off etc.)
    pub settings: Vec<(String, String)>,
}

/// Why the embedded cluster could not be found, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No usable `postgres`/`initdb`/`pg_isready`.
    #[error(
        "no PostgreSQL server binaries (postgres, initdb, pg_isready) found {searched}: install them \
         (apt-get install postgresql), set PG_BIN to their bin directory, or set DATABASE_URL to use \
         an existing server"
    )]
    NoServerBinaries { searched: String },
    /// Root, but no unprivileged user to run the server as.
    #[error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as (it refuses to \
         run as root): install it with apt-get install postgresql, or set DATABASE_URL"
    )]
    NoPostgresUser,
    /// `saved_url` on a data dir where no cluster was ever started.
    #[error("no embedded PostgreSQL cluster has been started in {0} yet")]
    NotInitialized(PathBuf),
    /// `data/` holds something that is not a cluster; we will not touch it.
    #[error("{0} is neither a PostgreSQL data directory nor empty; move it away")]
    NotADataDir(PathBuf),
    /// The cluster exists but the password it was initialised with is lost.
    #[error("the cluster in {data} exists but its superuser password file {file} is missing")]
    MissingPassword { data: PathBuf, file: PathBuf },
    /// initdb failed.
    #[error("initdb failed ({status}); last lines of {log}:\n{tail}")]
    Initdb {
        status: String,
        log: PathBuf,
        tail: String,
    },
    /// The server did not come up.
    #[error("PostgreSQL did not start: {reason}; last lines of {log}:\n{tail}")]
    Start {
        reason: String,
        log: PathBuf,
        tail: String,
    },
    /// The server survived SIGINT, SIGQUIT and SIGKILL.
    #[error("PostgreSQL (pid {pid}) did not stop")]
    Stop { pid: i32 },
    /// A file system or process operation failed.
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

impl PgError {
    fn io(context: impl Into<String>, error: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            error,
        }
    }
}

/// A running embedded cluster: either started by this process ([`owned`](Self::owned)) or
/// attached to. An owned cluster is shut down by [`stop`](Self::stop), or on drop.
pub struct EmbeddedCluster {
    layout: Layout,
    port: u16,
    password: String,
    initialized_now: bool,
    /// `Some` while this process owns a postmaster it has not stopped.
    postmaster: Option<Postmaster>,
}

impl fmt::Debug for EmbeddedCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedCluster")
            .field("data", &self.layout.data)
            .field("port", &self.port)
            .field("password", &"<redacted>")
            .field("initialized_now", &self.initialized_now)
            .field("postmaster", &self.postmaster.as_ref().map(Postmaster::pid))
            .finish()
    }
}

impl EmbeddedCluster {
    /// Starts the cluster in `<opts.data_dir>/pg/`: initdb if there is none, else reuse it; or
    /// attach to the postmaster already running on it. Returns once it accepts connections.
    pub async fn start(opts: ClusterOptions) -> Result<Self, PgError> {
        let bin = find_pg_bin(opts.pg_bin.as_deref())?;
        let run_as = RunAs::detect()?;
        let layout = Layout::prepare(&opts.data_dir, run_as)?;
        // Check, initdb and spawn as one step against other starters of this data dir.
        let _lock = layout.lock_start().await?;
        if let Some(running) = attach(&layout, &bin).await? {
            return Ok(running);
        }
        layout.remove_initdb_leftovers();
        let initialized_now = !layout.is_initialized()?;
        let password = layout.password(initialized_now)?;
        if initialized_now {
            info!(data_dir = %layout.data.display(), "initialising a new embedded PostgreSQL cluster");
            layout.initdb(&bin, run_as, &password).await?;
        }
        let mut preferred = layout.saved_port();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = pick_port(preferred.take())?;
            let log_start = layout.log_len();
            let failure = match launch(&bin, &layout, run_as, port, &opts.settings).await {
                Ok(postmaster) => {
                    layout.save_port(port);
                    info!(
                        "embedded PostgreSQL started on 127.0.0.1:{port} (data dir {})",
                        layout.data.display()
                    );
                    let postmaster = Some(postmaster);
                    return Ok(Self {
                        layout,
                        port,
                        password,
                        initialized_now,
                        postmaster,
                    });
                }
                Err(failure) => failure,
            };
            // Our postmaster exits at once if another one (started by hand, say) won the lock.
            if let Some(running) = attach(&layout, &bin).await? {
                return Ok(running);
            }
            let tail = layout.log_tail(log_start);
            if attempt < START_ATTEMPTS && (failure.port_taken || is_transient(&tail)) {
                warn!(attempt, reason = %failure.reason, "PostgreSQL did not start; retrying");
                tokio::time::sleep(Duration::from_millis(200) * attempt).await;
                continue;
            }
            return Err(PgError::Start {
                reason: failure.reason,
                log: layout.log,
                tail,
            });
        }
    }

    /// `postgres://postgres:<password>@127.0.0.1:<port>/<database>`, URL-encoded.
    pub fn url(&self, database: &str) -> String {
        superuser_url(&self.password, self.port, database)
    }

    /// The loopback TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// True when this process started the postmaster (and so stops it).
    pub fn owned(&self) -> bool {
        self.postmaster.is_some()
    }

    /// True when this start ran initdb.
    pub fn initialized_now(&self) -> bool {
        self.initialized_now
    }

    /// Owned: fast shutdown, waiting until the postmaster has exited (escalating to SIGQUIT
    /// and SIGKILL if it hangs). Attached: nothing; the owner keeps running it.
    pub async fn stop(mut self) -> Result<(), PgError> {
        let Some(postmaster) = self.postmaster.take() else {
            return Ok(());
        };
        if let Some(status) = postmaster.exit_status() {
            warn!(%status, "embedded PostgreSQL had already exited");
        }
        postmaster.shutdown().await?;
        // A clean shutdown removes postmaster.pid; a killed server leaves it, naming our pid.
        if let PidFile::Stale { pid: Some(pid) } = pidfile::inspect(&self.layout.data)
            && pid == postmaster.pid()
        {
            pidfile::remove_leftovers(&self.layout);
        }
        info!(data_dir = %self.layout.data.display(), "embedded PostgreSQL stopped");
        Ok(())
    }
}

impl Drop for EmbeddedCluster {
    /// Best effort for a cluster that was never stopped: request a fast shutdown and wait a
    /// little. (If the process exits first, PDEATHSIG finishes the job.)
    fn drop(&mut self) {
        if let Some(postmaster) = self.postmaster.take()
            && postmaster.signal(Signal::SIGINT)
            && postmaster.wait_exit_blocking(DROP_WAIT).is_none()
        {
            warn!(
                pid = postmaster.pid(),
                "embedded PostgreSQL still shutting down after drop"
            );
        }
    }
}

/// For `tenantry db url`: the superuser URL of the cluster in data_dir and whether it is running now (no start).
pub fn saved_url(data_dir: &Path, database: &str) -> Result<(String, bool), PgError> {
    let layout = Layout::of(data_dir);
    let never_started = || PgError::NotInitialized(data_dir.to_path_buf());
    if !layout.data.join("PG_VERSION").is_file() {
        return Err(never_started());
    }
    let password = layout.password(false)?;
    let (port, running) = match pidfile::inspect(&layout.data) {
        PidFile::Running { port, .. } => (port, true),
        _ => (layout.saved_port().ok_or_else(never_started)?, false),
    };
    Ok((superuser_url(&password, port, database), running))
}

/// Attaches to the postmaster running on this data dir, if any. Clears a stale pid file, and
/// waits out a server that is shutting down (it cannot be used).
async fn attach(layout: &Layout, bin: &Path) -> Result<Option<EmbeddedCluster>, PgError> {
    loop {
        let (pid, port) = match pidfile::inspect(&layout.data) {
            PidFile::Absent => return Ok(None),
            PidFile::Stale { pid } => {
                let pid = pid.map_or_else(|| "unreadable".to_owned(), |pid| pid.to_string());
                warn!(%pid, data_dir = %layout.data.display(), "removing the stale postmaster.pid of a PostgreSQL that is no longer running");
                pidfile::remove_leftovers(layout);
                return Ok(None);
            }
            PidFile::Running {
                pid,
                stopping: true,
                ..
            } => {
                info!(
                    pid,
                    "the embedded PostgreSQL is shutting down; waiting to start it again"
                );
                wait_for_exit(layout, pid).await?;
                continue;
            }
            PidFile::Running {
                pid,
                port,
                stopping: false,
            } => (pid, port),
        };
        let password = layout.password(false)?;
        let gone = || (!pidfile::is_alive(pid)).then(|| "the running postmaster exited".to_owned());
        match wait_ready(bin, port, gone).await {
            Ok(()) => {}
            // It died while starting up: look again (stale now), then start our own.
            Err(_) if !pidfile::is_alive(pid) => continue,
            Err(reason) => return Err(start_error(layout, reason)),
        }
        info!(
            pid,
            "attached to the embedded PostgreSQL already running on 127.0.0.1:{port} (data dir {})",
            layout.data.display()
        );
        let layout = layout.clone();
        return Ok(Some(EmbeddedCluster {
            layout,
            port,
            password,
            initialized_now: false,
            postmaster: None,
        }));
    }
}

async fn wait_for_exit(layout: &Layout, pid: i32) -> Result<(), PgError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while pidfile::is_alive(pid) {
        if Instant::now() >= deadline {
            return Err(start_error(
                layout,
                format!("the running postmaster (pid {pid}) is stuck shutting down"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn start_error(layout: &Layout, reason: String) -> PgError {
    let tail = layout.log_tail(0);
    PgError::Start {
        reason,
        log: layout.log.clone(),
        tail,
    }
}

fn superuser_url(password: &str, port: u16, database: &str) -> String {
    format!(
        "postgres://postgres:{}@127.0.0.1:{port}/{}",
        percent_encode(password),
        percent_encode(database)
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
