//! The embedded PostgreSQL cluster: `initdb` on first start, reused afterwards, run as the
//! `postgres` system user when we are root (PostgreSQL refuses root), listening on a unix
//! socket in the data dir and a free loopback port, and stopped cleanly with us.
//!
//! Orphans are prevented even when our process dies without running destructors (a
//! SIGKILL, or statics at exit in a test binary): the postmaster is spawned from a
//! dedicated thread that lives exactly as long as it, with `PR_SET_PDEATHSIG`, so the
//! kernel asks it for a fast shutdown as soon as that thread is gone. It also runs in its
//! own process group, so a Ctrl-C in the terminal reaches only us and we stop it in order.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};
use rand::Rng;

/// How to run the cluster.
pub struct ClusterOptions {
    /// `TENANTRY_DATA_DIR`; the cluster lives in `<data_dir>/pg/`.
    pub data_dir: PathBuf,
    /// `PG_BIN`: directory of the server binaries.
    pub pg_bin: Option<PathBuf>,
    /// Extra `-c name=value` server settings.
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server binaries not found{0}: install them (apt-get install postgresql), set PG_BIN to their directory, or set DATABASE_URL to use an existing server"
    )]
    NoServerBinaries(String),
    #[error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as (PostgreSQL refuses to run as root): create one, or set DATABASE_URL"
    )]
    NoPostgresUser,
    #[error("{0}")]
    Unreachable(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("initdb failed: {0}")]
    InitDb(String),
    #[error("PostgreSQL did not start: {0}")]
    Start(String),
    #[error("no embedded cluster in {0} yet")]
    NotInitialized(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Io { what, source }
}

/// Files of the cluster under `<data_dir>/pg/`.
struct Layout {
    root: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    password: PathBuf,
    port: PathBuf,
    log: PathBuf,
}

impl Layout {
    fn new(data_dir: &Path) -> Self {
        let root = data_dir.join("pg");
        Self {
            data: root.join("data"),
            socket: root.join("socket"),
            password: root.join("superuser.password"),
            port: root.join("port"),
            log: root.join("postgres.log"),
            root,
        }
    }

    fn pid_file(&self) -> PathBuf {
        self.data.join("postmaster.pid")
    }
}

/// A running cluster, started by us (`owned`) or found running on the same data dir.
pub struct EmbeddedCluster {
    layout: Layout,
    port: u16,
    password: String,
    owned: Option<Postmaster>,
    initialized_now: bool,
}

/// The postmaster we started, and the channel its supervising thread reports exit on.
struct Postmaster {
    pid: Pid,
    // A Mutex only to make the cluster Sync (it may sit in a static); never contended.
    exited: Mutex<mpsc::Receiver<ExitStatus>>,
}

impl Postmaster {
    fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let rx = self.exited.lock().unwrap_or_else(|p| p.into_inner());
        rx.recv_timeout(timeout).ok()
    }
}

impl EmbeddedCluster {
    /// Starts the cluster in `opts.data_dir` (running initdb first if there is none), or
    /// attaches to the one already running there.
    pub async fn start(opts: ClusterOptions) -> Result<Self, PgError> {
        tokio::task::spawn_blocking(move || Self::start_blocking(opts))
            .await
            .map_err(|e| PgError::Start(format!("supervisor task failed: {e}")))?
    }

    fn start_blocking(opts: ClusterOptions) -> Result<Self, PgError> {
        let bin = find_pg_bin(opts.pg_bin.as_deref())?;
        fs::create_dir_all(&opts.data_dir)
            .map_err(io(format!("cannot create {}", opts.data_dir.display())))?;
        let data_dir =
            fs::canonicalize(&opts.data_dir).map_err(io("cannot resolve the data dir"))?;
        let layout = Layout::new(&data_dir);
        let run_as = run_as_user()?;
        if let Some(user) = &run_as {
            check_reachable(&layout.root, user)?;
        }
        fs::create_dir_all(&layout.root).map_err(io("cannot create the cluster dir"))?;
        let password = superuser_password(&layout.password)?;

        let mut initialized_now = false;
        if !layout.data.join("PG_VERSION").exists() {
            initdb(&bin, &layout, &password, run_as.as_ref())?;
            initialized_now = true;
        }
        prepare_dir(&layout.socket, run_as.as_ref())?;

        if let Some(port) = running_port(&layout) {
            tracing::info!(port, "embedded PostgreSQL is already running; using it");
            return Ok(Self {
                layout,
                port,
                password,
                owned: None,
                initialized_now,
            });
        }
        remove_stale_files(&layout);

        let port = choose_port(&layout.port);
        let postmaster = spawn_postmaster(&bin, &layout, port, &opts.settings, run_as.as_ref())?;
        match wait_ready(&layout, &postmaster) {
            Ok(()) => {}
            // Another process won the race to start this data dir: use its postmaster.
            Err(e) => match running_port(&layout) {
                Some(other) => {
                    return Ok(Self {
                        layout,
                        port: other,
                        password,
                        owned: None,
                        initialized_now,
                    });
                }
                None => return Err(e),
            },
        }
        let _ = fs::write(&layout.port, port.to_string());
        tracing::info!(port, data_dir = %layout.data.display(), "embedded PostgreSQL started on 127.0.0.1:{port}");
        Ok(Self {
            layout,
            port,
            password,
            owned: Some(postmaster),
            initialized_now,
        })
    }

    /// Superuser URL for `database`.
    pub fn url(&self, database: &str) -> String {
        superuser_url(&self.password, self.port, database)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this process started the postmaster (and so will stop it).
    pub fn owned(&self) -> bool {
        self.owned.is_some()
    }

    /// Whether this start ran initdb.
    pub fn initialized_now(&self) -> bool {
        self.initialized_now
    }

    /// Fast shutdown of a postmaster we started, waiting for it to exit; a no-op when we
    /// only attached to one.
    pub async fn stop(mut self) -> Result<(), PgError> {
        let Some(postmaster) = self.owned.take() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || shut_down(postmaster))
            .await
            .map_err(|e| PgError::Start(format!("stop task failed: {e}")))?;
        tracing::info!(data_dir = %self.layout.data.display(), "embedded PostgreSQL stopped");
        Ok(())
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if let Some(postmaster) = self.owned.take() {
            shut_down(postmaster);
        }
    }
}

/// SIGINT (fast shutdown), then SIGQUIT, then SIGKILL, waiting for the exit each time.
fn shut_down(postmaster: Postmaster) {
    for (signal, grace) in [
        (Signal::SIGINT, 30),
        (Signal::SIGQUIT, 5),
        (Signal::SIGKILL, 5),
    ] {
        if kill(postmaster.pid, signal).is_err() {
            return; // already gone
        }
        if postmaster.wait_exit(Duration::from_secs(grace)).is_some() {
            return;
        }
        tracing::warn!(
            ?signal,
            "embedded PostgreSQL did not stop in {grace}s; escalating"
        );
    }
}

/// The superuser URL and whether the cluster in `data_dir` is running now; starts nothing.
pub fn saved_url(data_dir: &Path, database: &str) -> Result<(String, bool), PgError> {
    let layout = Layout::new(data_dir);
    let password = fs::read_to_string(&layout.password)
        .map_err(|_| PgError::NotInitialized(data_dir.display().to_string()))?;
    let running = running_port(&layout);
    let port = running
        .or_else(|| fs::read_to_string(&layout.port).ok()?.trim().parse().ok())
        .ok_or_else(|| PgError::NotInitialized(data_dir.display().to_string()))?;
    Ok((
        superuser_url(password.trim(), port, database),
        running.is_some(),
    ))
}

fn superuser_url(password: &str, port: u16, database: &str) -> String {
    // The password alphabet is URL-safe, so it needs no escaping.
    format!("postgres://postgres:{password}@127.0.0.1:{port}/{database}")
}

/// `PG_BIN`, else the directory of `postgres` on PATH, else the newest
/// `/usr/lib/postgresql/*/bin`; it must hold `postgres` and `initdb`.
pub fn find_pg_bin(explicit: Option<&Path>) -> Result<PathBuf, PgError> {
    let usable = |dir: &Path| dir.join("postgres").is_file() && dir.join("initdb").is_file();
    if let Some(dir) = explicit {
        return if usable(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(PgError::NoServerBinaries(format!(
                " in PG_BIN={}",
                dir.display()
            )))
        };
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    for dir in on_path {
        if let Ok(real) = fs::canonicalize(dir.join("postgres"))
            && let Some(parent) = real.parent()
            && usable(parent)
        {
            return Ok(parent.to_path_buf());
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| usable(bin))
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| PgError::NoServerBinaries(String::new()))
}

/// The user PostgreSQL runs as: `postgres` when we are root, ourselves otherwise.
fn run_as_user() -> Result<Option<User>, PgError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some(user)),
        _ => Err(PgError::NoPostgresUser),
    }
}

/// Every ancestor of the cluster dir must be searchable by the `postgres` user.
fn check_reachable(root: &Path, user: &User) -> Result<(), PgError> {
    for dir in root.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(dir) else {
            continue;
        };
        let mode = meta.permissions().mode();
        let searchable =
            mode & 0o001 != 0 || (meta.uid() == user.uid.as_raw() && mode & 0o100 != 0);
        if !searchable {
            return Err(PgError::Unreachable(format!(
                "PostgreSQL runs as the `postgres` user, which cannot reach {} (no search permission on {}): set TENANTRY_DATA_DIR to a directory it can reach, such as /var/lib/tenantry",
                root.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Reads the superuser password, creating it (mode 0600) on first start.
fn superuser_password(path: &Path) -> Result<String, PgError> {
    if let Ok(existing) = fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    write_private(path, &password, None)?;
    Ok(password)
}

fn write_private(path: &Path, contents: &str, owner: Option<&User>) -> Result<(), PgError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("cannot write {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .map_err(io("cannot write a private file"))?;
    if let Some(user) = owner {
        chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .map_err(io(format!("cannot chown {}", path.display())))?;
    }
    Ok(())
}

/// Creates `dir` (0700) owned by the server's user.
fn prepare_dir(dir: &Path, owner: Option<&User>) -> Result<(), PgError> {
    fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io("cannot set permissions"))?;
    if let Some(user) = owner {
        chown(dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .map_err(io(format!("cannot chown {}", dir.display())))?;
    }
    Ok(())
}

/// Runs initdb into a temporary directory and renames it into place, so a crash midway
/// never leaves a half-made cluster behind.
fn initdb(
    bin: &Path,
    layout: &Layout,
    password: &str,
    run_as: Option<&User>,
) -> Result<(), PgError> {
    let tmp = layout.root.join("data.initdb");
    let _ = fs::remove_dir_all(&tmp);
    prepare_dir(&tmp, run_as)?;
    let pwfile = layout.root.join("initdb.pw");
    write_private(&pwfile, password, run_as)?;
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D")
        .arg(&tmp)
        .args([
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .current_dir(&layout.root)
        .stdin(Stdio::null());
    as_user(&mut cmd, run_as);
    tracing::info!(data_dir = %layout.data.display(), "initialising the embedded PostgreSQL cluster");
    let out = cmd.output();
    let _ = fs::remove_file(&pwfile);
    let out = out.map_err(io("cannot run initdb"))?;
    if !out.status.success() {
        return Err(PgError::InitDb(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    fs::rename(&tmp, &layout.data).map_err(io("cannot move the new cluster into place"))
}

fn as_user(cmd: &mut Command, user: Option<&User>) {
    if let Some(user) = user {
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
}

/// The port of a live postmaster on this data dir, per its pid file.
fn running_port(layout: &Layout) -> Option<u16> {
    let content = fs::read_to_string(layout.pid_file()).ok()?;
    let lines: Vec<&str> = content.lines().collect();
    let pid: i32 = lines.first()?.trim().parse().ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if !comm.trim().starts_with("postgres") || kill(Pid::from_raw(pid), None).is_err() {
        return None;
    }
    // Line 2 names the data dir the postmaster serves.
    if Path::new(lines.get(1)?.trim()) != layout.data {
        return None;
    }
    lines.get(3)?.trim().parse().ok()
}

/// A pid file or socket lock left by a crash would block the next start.
fn remove_stale_files(layout: &Layout) {
    if layout.pid_file().exists() {
        tracing::warn!("removing a stale postmaster.pid left by an unclean stop");
        let _ = fs::remove_file(layout.pid_file());
    }
    for entry in fs::read_dir(&layout.socket).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The last port if it is still free, else a fresh free one.
fn choose_port(saved: &Path) -> u16 {
    let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    if let Some(port) = fs::read_to_string(saved)
        .ok()
        .and_then(|p| p.trim().parse().ok())
        && free(port)
    {
        return port;
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54_329)
}

/// Spawns the postmaster from a thread that then waits for it: see the module comment.
fn spawn_postmaster(
    bin: &Path,
    layout: &Layout,
    port: u16,
    settings: &[(String, String)],
    run_as: Option<&User>,
) -> Result<Postmaster, PgError> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&layout.log)
        .map_err(io("cannot open postgres.log"))?;
    let log_err = log.try_clone().map_err(io("cannot open postgres.log"))?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(&layout.data)
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
        ])
        .arg("-c")
        .arg(format!(
            "unix_socket_directories={}",
            layout.socket.display()
        ));
    for (name, value) in settings {
        cmd.arg("-c").arg(format!("{name}={value}"));
    }
    cmd.current_dir(&layout.root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    as_user(&mut cmd, run_as);
    // SAFETY: prctl is async-signal-safe; std runs this after setuid, which would
    // otherwise clear the parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
        });
    }

    let (started_tx, started_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("postgres-supervisor".into())
        .spawn(move || match cmd.spawn() {
            Ok(mut child) => {
                let _ = started_tx.send(Ok(child.id()));
                if let Ok(status) = child.wait() {
                    let _ = exit_tx.send(status);
                }
            }
            Err(e) => {
                let _ = started_tx.send(Err(e));
            }
        })
        .map_err(io("cannot start the supervisor thread"))?;
    let pid = started_rx
        .recv()
        .map_err(|_| PgError::Start("the supervisor thread ended".into()))?
        .map_err(io("cannot run postgres"))?;
    Ok(Postmaster {
        pid: Pid::from_raw(pid as i32),
        exited: Mutex::new(exit_rx),
    })
}

/// Waits until the pid file says "ready", or the postmaster exits.
fn wait_ready(layout: &Layout, postmaster: &Postmaster) -> Result<(), PgError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = postmaster.wait_exit(Duration::ZERO) {
            return Err(PgError::Start(format!(
                "postgres exited ({status}); {}",
                log_tail(&layout.log)
            )));
        }
        if let Ok(content) = fs::read_to_string(layout.pid_file()) {
            let lines: Vec<&str> = content.lines().collect();
            let ours = lines.first().and_then(|l| l.trim().parse::<i32>().ok())
                == Some(postmaster.pid.as_raw());
            if ours && lines.get(7).is_some_and(|s| s.trim() == "ready") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(PgError::Start(format!(
        "not ready after 60s; {}",
        log_tail(&layout.log)
    )))
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!("last lines of {}:\n{tail}", path.display())
}
