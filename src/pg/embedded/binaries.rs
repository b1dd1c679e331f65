//! Finding the PostgreSQL server binaries already installed on the machine.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::PgError;

/// The programs a bin directory must hold for us to run a cluster from it.
const REQUIRED: [&str; 3] = ["postgres", "initdb", "pg_isready"];

/// Where Debian/Ubuntu install each major version (`/usr/lib/postgresql/15/bin`).
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// Finds the directory holding `postgres`, `initdb` and `pg_isready`.
///
/// Order: `explicit` (the `PG_BIN` setting, a bin directory or the `postgres` binary in it;
/// when given, nothing else is tried) → `postgres` on `PATH`, symlinks resolved → the newest
/// `/usr/lib/postgresql/<version>/bin`. The result is canonical.
pub fn find_pg_bin(explicit: Option<&Path>) -> Result<PathBuf, PgError> {
    if let Some(path) = explicit {
        // Accept PG_BIN pointing at the binary itself, a common slip.
        let dir = if path.is_file() {
            path.parent().unwrap_or(path)
        } else {
            path
        };
        return complete_dir(dir).ok_or_else(|| PgError::NoServerBinaries {
            searched: format!("in PG_BIN={}", path.display()),
        });
    }
    from_path()
        .or_else(newest_debian)
        .ok_or_else(|| PgError::NoServerBinaries {
            searched: format!("on PATH or in {DEBIAN_ROOT}/*/bin"),
        })
}

/// `postgres` on PATH, resolved through symlinks (`/usr/local/bin/postgres` is usually a
/// link into the versioned directory, which is where initdb and pg_isready live).
fn from_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("postgres"))
        .filter(|bin| is_executable(bin))
        .filter_map(|bin| bin.canonicalize().ok())
        .find_map(|bin| bin.parent().and_then(complete_dir))
}

/// The highest `/usr/lib/postgresql/<version>/bin`, comparing versions numerically
/// (so 10 beats 9.6).
fn newest_debian() -> Option<PathBuf> {
    std::fs::read_dir(DEBIAN_ROOT)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = parse_version(entry.file_name().to_str()?)?;
            Some((version, complete_dir(&entry.path().join("bin"))?))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, dir)| dir)
}

fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// `dir`, canonical, if it holds every required program.
fn complete_dir(dir: &Path) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    REQUIRED
        .iter()
        .all(|name| is_executable(&dir.join(name)))
        .then_some(dir)
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_compare_numerically() {
        assert!(parse_version("10") > parse_version("9.6"));
        assert!(parse_version("15") > parse_version("9"));
        assert_eq!(parse_version("main"), None);
    }
}
