//! The postmaster child: launched with our settings, spawned from and reaped by a dedicated
//! supervisor thread, and waited on until it accepts connections.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the process.
//! The supervisor thread therefore lives exactly as long as the postmaster: if this process
//! dies in any way (SIGKILL, `exit` without destructors), the thread dies with it and the
//! kernel sends the postmaster SIGINT, a fast shutdown. A tokio worker or blocking-pool thread
//! would not do: runtimes (one per `#[tokio::test]`) end long before the process.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use tracing::warn;

use super::PgError;
use super::layout::{Layout, RunAs, clone_file, server_command};
use super::pidfile::{self, PidFile};

/// A postmaster this process started.
#[derive(Debug)]
pub(super) struct Postmaster {
    pid: Pid,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// `Some(description of the exit status)` once the child has been reaped.
    exit: Mutex<Option<String>>,
    exited: Condvar,
}

impl Shared {
    fn wait(&self, timeout: Duration) -> Option<String> {
        let guard = self.exit.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = self
            .exited
            .wait_timeout_while(guard, timeout, |exit| exit.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        guard.clone()
    }
}

impl Postmaster {
    /// Spawns `cmd` from a new supervisor thread that waits for it and records its exit.
    pub(super) fn spawn(mut cmd: Command) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let state = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("postmaster-supervisor".into())
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                // Linux pids fit in i32 (pid_max is at most 2^22); the default is never used.
                let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
                let _ = tx.send(Ok(pid));
                // Close our copies of the child's stdio (the log file) now, not when it exits.
                drop(cmd);
                // Block until it exits but leave it unreaped (WNOWAIT): while it is a zombie its
                // pid cannot be reused, so `signal` can never hit an unrelated process.
                while let Err(nix::errno::Errno::EINTR) =
                    waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
                {
                }
                let mut exit = state.exit.lock().unwrap_or_else(PoisonError::into_inner);
                *exit = Some(match child.wait() {
                    Ok(status) => status.to_string(),
                    Err(e) => format!("unknown exit ({e})"),
                });
                state.exited.notify_all();
            })?;
        // Blocks only for the fork/exec, a few milliseconds.
        let pid = rx.recv().map_err(std::io::Error::other)??;
        Ok(Self { pid, shared })
    }

    pub(super) fn pid(&self) -> i32 {
        self.pid.as_raw()
    }

    /// How it exited, if it has.
    pub(super) fn exit_status(&self) -> Option<String> {
        self.shared
            .exit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends `sig` unless the postmaster has already exited; returns whether it was sent.
    pub(super) fn signal(&self, sig: Signal) -> bool {
        // Holding the lock keeps the supervisor from reaping meanwhile (see `spawn`).
        let exit = self
            .shared
            .exit
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        exit.is_none() && kill(self.pid, sig).is_ok()
    }

    /// Blocks up to `timeout` for the exit.
    pub(super) fn wait_exit_blocking(&self, timeout: Duration) -> Option<String> {
        self.shared.wait(timeout)
    }

    async fn wait_exit(&self, timeout: Duration) -> Option<String> {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.wait(timeout))
            .await
            .ok()
            .flatten()
    }

    /// Fast shutdown (SIGINT), escalating to immediate shutdown (SIGQUIT) after 30 s and to
    /// SIGKILL after 5 more, until the supervisor reports the exit.
    pub(super) async fn shutdown(&self) -> Result<(), PgError> {
        let steps = [
            (Signal::SIGINT, Duration::from_secs(30)),
            (Signal::SIGQUIT, Duration::from_secs(5)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ];
        for (sig, patience) in steps {
            if !self.signal(sig) {
                break;
            }
            if sig != Signal::SIGINT {
                warn!(pid = self.pid(), signal = %sig, "PostgreSQL did not stop in time; escalating");
            }
            if self.wait_exit(patience).await.is_some() {
                break;
            }
        }
        match self.exit_status() {
            Some(_) => Ok(()),
            None => Err(PgError::Stop { pid: self.pid() }),
        }
    }
}

/// Polls `pg_isready -h 127.0.0.1 -p port` until it accepts connections, for at most 30 s.
/// `gone` is checked between tries and ends the wait with its reason (e.g. the child exited).
pub(super) async fn wait_ready(
    bin: &Path,
    port: u16,
    mut gone: impl FnMut() -> Option<String>,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let isready = bin.join("pg_isready");
    loop {
        if let Some(reason) = gone() {
            return Err(reason);
        }
        let probe = tokio::process::Command::new(&isready)
            .args(["-q", "-t", "2", "-h", "127.0.0.1", "-p", &port.to_string()])
            .kill_on_drop(true)
            .status();
        if let Ok(Ok(status)) = tokio::time::timeout(Duration::from_secs(5), probe).await
            && status.success()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err("not accepting connections after 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) struct LaunchFailure {
    pub(super) reason: String,
    /// Another server answered on the port we picked: retry on a new one.
    pub(super) port_taken: bool,
}

/// Spawns the postmaster and waits until it accepts connections; stops it again on failure.
pub(super) async fn launch(
    bin: &Path,
    layout: &Layout,
    run_as: Option<RunAs>,
    port: u16,
    settings: &[(String, String)],
) -> Result<Postmaster, LaunchFailure> {
    let fail = |reason: String| LaunchFailure {
        reason,
        port_taken: false,
    };
    let log = layout.open_log().map_err(|e| fail(e.to_string()))?;
    let mut cmd = server_command(&bin.join("postgres"), run_as, &layout.root, Signal::SIGINT);
    cmd.arg("-D")
        .arg(&layout.data)
        .arg("-p")
        .arg(port.to_string());
    let ours = [
        "listen_addresses=127.0.0.1".to_owned(),
        "max_connections=200".to_owned(),
        format!("unix_socket_directories={}", socket_setting(&layout.socket)),
    ];
    let extra = settings
        .iter()
        .map(|(name, value)| format!("{name}={value}"));
    for setting in ours.into_iter().chain(extra) {
        cmd.arg("-c").arg(setting);
    }
    // Own process group: a terminal's Ctrl-C reaches only us, and we stop the server after
    // draining instead of it vanishing under live requests.
    cmd.stdout(clone_file(&log).map_err(|e| fail(e.to_string()))?)
        .stderr(log)
        .process_group(0);
    let postmaster = Postmaster::spawn(cmd)
        .map_err(|e| fail(format!("could not run {}/postgres: {e}", bin.display())))?;
    let exited = || {
        postmaster
            .exit_status()
            .map(|status| format!("postgres exited ({status})"))
    };
    let failure = match wait_ready(bin, port, exited).await {
        // pg_isready only proves that *a* server answers on the port; make sure it is ours.
        Ok(()) => match pidfile::inspect(&layout.data) {
            PidFile::Running { pid, port: p, .. } if pid == postmaster.pid() && p == port => {
                return Ok(postmaster);
            }
            _ => LaunchFailure {
                reason: format!("port {port} is answered by another server"),
                port_taken: true,
            },
        },
        Err(reason) => fail(reason),
    };
    if let Err(e) = postmaster.shutdown().await {
        warn!(error = %e, "could not stop the postmaster that failed to start");
    }
    Err(failure)
}

/// Log lines of failures that go away by themselves or with another port.
pub(super) fn is_transient(log_tail: &str) -> bool {
    [
        "could not bind",
        "Address already in use",
        "is still in use",
        "could not create any TCP/IP sockets",
    ]
    .iter()
    .any(|needle| log_tail.contains(needle))
}

/// The saved port if it is still free, else one the kernel picks.
pub(super) fn pick_port(preferred: Option<u16>) -> Result<u16, PgError> {
    if let Some(port) = preferred
        && TcpListener::bind(("127.0.0.1", port)).is_ok()
    {
        return Ok(port);
    }
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| PgError::io("find a free loopback port", e))
}

/// `unix_socket_directories` value: the socket dir, quoted for PostgreSQL's list syntax, or
/// none (TCP only) when the path is too long for a unix socket address (107 bytes).
fn socket_setting(dir: &Path) -> String {
    let dir = dir.to_string_lossy();
    if dir.len() + "/.s.PGSQL.65535".len() > 107 {
        warn!(dir = %dir, "socket directory path too long for a unix socket; using TCP only");
        return String::new();
    }
    format!("\"{}\"", dir.replace('"', "\"\""))
}
