//! Reading `postmaster.pid` to tell a running cluster from the leftovers of a dead one.

use std::fs;
use std::path::Path;

use tracing::warn;

use super::layout::Layout;

/// What `data/postmaster.pid` says about the cluster.
#[derive(Debug)]
pub(super) enum PidFile {
    Absent,
    /// Left by a server that is gone (crash, SIGKILL, reboot), or names a pid that is now
    /// some other process.
    Stale {
        pid: Option<i32>,
    },
    /// A live postmaster of this data dir.
    Running {
        pid: i32,
        port: u16,
        stopping: bool,
    },
}

/// Inspects `<data>/postmaster.pid`. Lines: 1 pid, 2 data dir, 4 port, 8 status.
pub(super) fn inspect(data: &Path) -> PidFile {
    let Ok(text) = fs::read_to_string(data.join("postmaster.pid")) else {
        return PidFile::Absent;
    };
    let lines: Vec<&str> = text.lines().collect();
    let pid = lines
        .first()
        .and_then(|l| l.trim().parse::<i32>().ok())
        .filter(|&p| p > 0);
    let port = lines.get(3).and_then(|l| l.trim().parse::<u16>().ok());
    match (pid, port) {
        (Some(pid), Some(port)) if is_postmaster_of(pid, data) => PidFile::Running {
            pid,
            port,
            stopping: lines.get(7).is_some_and(|l| l.trim() == "stopping"),
        },
        _ => PidFile::Stale { pid },
    }
}

/// True while `pid` exists and is not a zombie.
pub(super) fn is_alive(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state letter follows the parenthesised command name, which may contain spaces.
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Whether `pid` is a live postgres process serving `data`: its name is postgres and its
/// command line says `-D <data>` or its working directory is `data` (the postmaster chdirs
/// there). A recycled pid after a reboot is most often some other program, but can be another
/// cluster's postmaster, which the data dir check rules out.
fn is_postmaster_of(pid: i32, data: &Path) -> bool {
    if !is_alive(pid) {
        return false;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if !matches!(comm.trim(), "postgres" | "postmaster") {
        return false;
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    let names_data = args
        .windows(2)
        .any(|w| w[0] == b"-D" && Path::new(std::str::from_utf8(w[1]).unwrap_or("")) == data);
    names_data || fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data)
}

/// Removes a stale `postmaster.pid` and the socket files a dead server left behind, which
/// would otherwise make the next postmaster refuse to start.
pub(super) fn remove_leftovers(layout: &Layout) {
    let mut paths = vec![layout.data.join("postmaster.pid")];
    if let Ok(entries) = fs::read_dir(&layout.socket) {
        paths.extend(
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(".s.PGSQL."))
                .map(|e| e.path()),
        );
    }
    for path in paths {
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!(path = %path.display(), error = %e, "could not remove a stale file"),
        }
    }
}
