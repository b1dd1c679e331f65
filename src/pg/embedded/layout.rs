//! The files of `<data_dir>/pg/`, the superuser password, and running as `postgres` when root.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::{User, geteuid};
use rand::Rng;
use tracing::warn;

use super::PgError;

const PASSWORD_LEN: usize = 40;
/// Prefix of the temporary directory initdb writes into before it is renamed to `data/`.
const INITDB_TMP_PREFIX: &str = "data.initdb-";
const INITDB_PWFILE_PREFIX: &str = "initdb.pw-";

/// The unprivileged user PostgreSQL runs as when we are root (it refuses to run as root).
#[derive(Clone, Copy, Debug)]
pub(super) struct RunAs {
    uid: u32,
    gid: u32,
}

impl RunAs {
    /// `None` when not root: the server then runs as ourselves.
    pub(super) fn detect() -> Result<Option<Self>, PgError> {
        if !geteuid().is_root() {
            return Ok(None);
        }
        match User::from_name("postgres") {
            Ok(Some(user)) => Ok(Some(Self {
                uid: user.uid.as_raw(),
                gid: user.gid.as_raw(),
            })),
            Ok(None) => Err(PgError::NoPostgresUser),
            Err(e) => Err(PgError::io("look up the postgres user", e.into())),
        }
    }

    fn chown(self, path: &Path) -> Result<(), PgError> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .map_err(|e| PgError::io(format!("chown {} to postgres", path.display()), e))
    }
}

/// Configures a server-side command: runs as `run_as`, in `cwd`, and gets `signal` when the
/// spawning thread dies.
pub(super) fn server_command(
    program: &Path,
    run_as: Option<RunAs>,
    cwd: &Path,
    signal: Signal,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd).stdin(Stdio::null());
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    // SAFETY: prctl is a plain syscall, async-signal-safe, and allocates nothing. std runs
    // pre_exec after setgid/setuid, which matters: a credential change clears PDEATHSIG.
    unsafe {
        cmd.pre_exec(move || nix::sys::prctl::set_pdeathsig(signal).map_err(io::Error::from));
    }
    cmd
}

/// Paths of one cluster directory.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    pub(super) root: PathBuf,
    /// PGDATA, absolute and canonical: it is what `postmaster.pid` and `-D` name.
    pub(super) data: PathBuf,
    pub(super) socket: PathBuf,
    password: PathBuf,
    port: PathBuf,
    pub(super) log: PathBuf,
}

impl Layout {
    /// Paths only, touching nothing (for `saved_url`).
    pub(super) fn of(data_dir: &Path) -> Self {
        let base = data_dir
            .canonicalize()
            .unwrap_or_else(|_| data_dir.to_path_buf());
        let root = base.join("pg");
        Self {
            data: root.join("data"),
            socket: root.join("socket"),
            password: root.join("superuser.password"),
            port: root.join("port"),
            log: root.join("postgres.log"),
            root,
        }
    }

    /// Creates the directories and the log file with the owners and modes the server needs.
    pub(super) fn prepare(data_dir: &Path, run_as: Option<RunAs>) -> Result<Self, PgError> {
        fs::create_dir_all(data_dir)
            .map_err(|e| PgError::io(format!("create data dir {}", data_dir.display()), e))?;
        let layout = Self::of(data_dir);
        // The root keeps the password file: only we may list it; postgres only passes through.
        let root_mode = if run_as.is_some() { 0o711 } else { 0o700 };
        mkdir(&layout.root, root_mode)?;
        mkdir(&layout.socket, 0o700)?;
        drop(layout.open_log()?);
        if let Some(user) = run_as {
            for path in [&layout.socket, &layout.log] {
                user.chown(path)?;
            }
            grant_search(&layout.root, user)?;
        }
        Ok(layout)
    }

    /// Takes the per-cluster start lock, so that concurrent starts (other processes, or other
    /// tasks of this one) check, initialise and spawn one at a time. Released on drop.
    pub(super) async fn lock_start(&self) -> Result<File, PgError> {
        let path = self.root.join("start.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| PgError::io(format!("open {}", path.display()), e))?;
        // Polled rather than blocking, so a wedged holder cannot hang us forever.
        for _ in 0..1200 {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(PgError::io(format!("lock {}", path.display()), e));
                }
            }
        }
        Err(PgError::io(
            format!("lock {}", path.display()),
            io::Error::new(
                io::ErrorKind::TimedOut,
                "another process has been starting this cluster for 2 minutes",
            ),
        ))
    }

    pub(super) fn is_initialized(&self) -> Result<bool, PgError> {
        if self.data.join("PG_VERSION").is_file() {
            return Ok(true);
        }
        match fs::read_dir(&self.data).map(|mut entries| entries.next().is_none()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            // An empty data/ (made by hand) is replaced by the rename after initdb.
            Ok(true) => Ok(false),
            Ok(false) => Err(PgError::NotADataDir(self.data.clone())),
            Err(e) => Err(PgError::io(format!("read {}", self.data.display()), e)),
        }
    }

    /// Removes what an initdb interrupted by a crash left behind. Only called under the start
    /// lock, so no initdb can be running on these paths.
    pub(super) fn remove_initdb_leftovers(&self) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            let removed = if name.starts_with(INITDB_TMP_PREFIX) {
                fs::remove_dir_all(&path)
            } else if name.starts_with(INITDB_PWFILE_PREFIX) {
                fs::remove_file(&path)
            } else {
                continue;
            };
            match removed {
                Ok(()) => {
                    warn!(path = %path.display(), "removed the leftover of an interrupted initdb")
                }
                Err(e) => {
                    warn!(path = %path.display(), error = %e, "could not remove an initdb leftover")
                }
            }
        }
    }

    /// Runs initdb into a temporary sibling and renames it to `data/`, so a crash midway never
    /// leaves a half-made cluster where the next start would look.
    pub(super) async fn initdb(
        &self,
        bin: &Path,
        run_as: Option<RunAs>,
        password: &str,
    ) -> Result<(), PgError> {
        let tag = format!("{}-{}", std::process::id(), random_string(8));
        let tmp = self.root.join(format!("{INITDB_TMP_PREFIX}{tag}"));
        let pwfile = self.root.join(format!("{INITDB_PWFILE_PREFIX}{tag}"));
        mkdir(&tmp, 0o700)?;
        write_private(&pwfile, password)?;
        if let Some(user) = run_as {
            user.chown(&tmp)?;
            // initdb runs as postgres and must read it; it is deleted right after.
            user.chown(&pwfile)?;
        }
        let log = self.open_log()?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut cmd = server_command(&bin.join("initdb"), run_as, &self.root, Signal::SIGKILL);
        cmd.arg("-D")
            .arg(&tmp)
            .args([
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .stdout(clone_file(&log)?)
            .stderr(log);
        // A blocking-pool thread stays blocked in wait() for initdb's whole life, so its
        // PDEATHSIG only fires if this process dies.
        let status = tokio::task::spawn_blocking(move || cmd.status())
            .await
            .map_err(|e| PgError::io("run initdb", io::Error::other(e)))?;
        let _ = fs::remove_file(&pwfile);
        let failure = match status {
            Ok(status) if status.success() => None,
            Ok(status) => Some(status.to_string()),
            Err(e) => Some(format!(
                "could not run {}: {e}",
                bin.join("initdb").display()
            )),
        };
        if let Some(status) = failure {
            let _ = fs::remove_dir_all(&tmp);
            return Err(PgError::Initdb {
                status,
                log: self.log.clone(),
                tail: self.log_tail(log_start),
            });
        }
        // rename(2) replaces an empty data/ and refuses a populated one.
        fs::rename(&tmp, &self.data).map_err(|e| {
            let _ = fs::remove_dir_all(&tmp);
            PgError::io(
                format!("rename {} to {}", tmp.display(), self.data.display()),
                e,
            )
        })
    }

    /// The superuser password, creating it if `may_create` (only before the first initdb:
    /// an existing cluster's password cannot be recovered).
    pub(super) fn password(&self, may_create: bool) -> Result<String, PgError> {
        match fs::read_to_string(&self.password) {
            Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(PgError::io(format!("read {}", self.password.display()), e));
            }
            _ if !may_create => {
                return Err(PgError::MissingPassword {
                    data: self.data.clone(),
                    file: self.password.clone(),
                });
            }
            _ => {}
        }
        // Written aside and hard-linked into place: link(2) never replaces, so a racing
        // creator cannot overwrite a password a cluster was already initialised with.
        let tmp = self
            .root
            .join(format!("superuser.password.{}.tmp", std::process::id()));
        write_private(&tmp, &random_string(PASSWORD_LEN))?;
        let linked = fs::hard_link(&tmp, &self.password);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(PgError::io(
                    format!("create {}", self.password.display()),
                    e,
                ));
            }
        }
        self.password(false)
    }

    pub(super) fn saved_port(&self) -> Option<u16> {
        fs::read_to_string(&self.port).ok()?.trim().parse().ok()
    }

    pub(super) fn save_port(&self, port: u16) {
        if let Err(e) = fs::write(&self.port, format!("{port}\n")) {
            warn!(path = %self.port.display(), error = %e, "could not save the port");
        }
    }

    /// The server log, appended to by every start.
    pub(super) fn open_log(&self) -> Result<File, PgError> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.log)
            .map_err(|e| PgError::io(format!("open {}", self.log.display()), e))
    }

    pub(super) fn log_len(&self) -> u64 {
        fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The last lines written to the log since byte `from`, for error messages.
    pub(super) fn log_tail(&self, from: u64) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            // 64 KiB hold far more than 20 lines; a lossy read survives a cut character.
            let start = from.max(self.log_len().saturating_sub(64 << 10));
            let mut bytes = Vec::new();
            let _ = file.seek(SeekFrom::Start(start));
            let _ = file.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Makes sure `user` can traverse every directory down to `dir`. Temporary and home
/// directories are often 0700 root, which PostgreSQL (running as postgres) could not enter.
/// Adds only the search bit, never read, and says so.
fn grant_search(dir: &Path, user: RunAs) -> Result<(), PgError> {
    let mut chain: Vec<&Path> = dir.ancestors().collect();
    chain.reverse();
    for dir in chain {
        let meta =
            fs::metadata(dir).map_err(|e| PgError::io(format!("stat {}", dir.display()), e))?;
        let bit = if meta.uid() == user.uid {
            0o100
        } else if meta.gid() == user.gid {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bit == 0 {
            let mode = (meta.mode() | bit) & 0o7777;
            fs::set_permissions(dir, fs::Permissions::from_mode(mode))
                .map_err(|e| PgError::io(format!("chmod {}", dir.display()), e))?;
            warn!(dir = %dir.display(), mode = format!("{mode:o}"), "let the postgres user traverse this directory to reach the embedded cluster");
        }
    }
    Ok(())
}

fn mkdir(path: &Path, mode: u32) -> Result<(), PgError> {
    match fs::DirBuilder::new().mode(mode).create(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            Err(PgError::io(format!("create {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Creates `path` (mode 0600, must not exist) holding `text`.
fn write_private(path: &Path, text: &str) -> Result<(), PgError> {
    let _ = fs::remove_file(path);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| PgError::io(format!("write {}", path.display()), e))
}

pub(super) fn clone_file(file: &File) -> Result<File, PgError> {
    file.try_clone()
        .map_err(|e| PgError::io("duplicate the log file handle", e))
}

/// Alphanumeric, hence safe in URLs, pgpass files and shells.
fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}
