//! The embedded PostgreSQL supervisor against the real server binaries on this machine.
//! Each test owns a cluster in its own temporary directory under /tmp.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster, PgError, find_pg_bin, saved_url};

/// Set only for the child process of `postmaster_dies_with_its_sigkilled_parent`.
const HELPER_DIR_ENV: &str = "TENANTRY_IT_PG_HELPER_DIR";

fn scratch_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("tenantry-pg-it-")
        .tempdir_in("/tmp")
        .expect("create a temp dir in /tmp")
}

fn pg_bin_env() -> Option<PathBuf> {
    std::env::var_os("PG_BIN").map(PathBuf::from)
}

fn options(dir: &Path) -> ClusterOptions {
    let settings = [
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
    ];
    ClusterOptions {
        data_dir: dir.to_path_buf(),
        pg_bin: pg_bin_env(),
        settings: settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

async fn start(dir: &Path) -> EmbeddedCluster {
    match EmbeddedCluster::start(options(dir)).await {
        Ok(cluster) => cluster,
        Err(e) => panic!("start failed: {e}"),
    }
}

fn pgdata(dir: &Path) -> PathBuf {
    dir.join("pg/data").canonicalize().expect("PGDATA exists")
}

/// Runs one statement through the `psql` next to the server binaries; returns its output.
fn psql(url: &str, sql: &str) -> String {
    let bin = find_pg_bin(pg_bin_env().as_deref()).expect("server binaries");
    let out = Command::new(bin.join("psql"))
        .args([url, "-XAtqc", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn postmaster_pid(dir: &Path) -> Option<i32> {
    let text = fs::read_to_string(dir.join("pg/data/postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Exists and is not a zombie.
fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}

/// Processes whose working directory is `data` (the postmaster and all its children chdir there).
fn processes_serving(data: &Path) -> Vec<i32> {
    fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data))
        .collect()
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[tokio::test]
async fn first_start_runs_initdb_and_the_next_start_reuses_the_cluster() {
    let dir = scratch_dir();
    let first = start(dir.path()).await;
    assert!(first.initialized_now());
    assert!(first.owned());
    assert_eq!(psql(&first.url("postgres"), "select 1"), "1");
    psql(
        &first.url("postgres"),
        "create table kept (v text); insert into kept values ('still here')",
    );
    let data = pgdata(dir.path());
    fs::write(data.join("tenantry-marker"), "first start").expect("write marker");
    let pg_version_mtime = fs::metadata(data.join("PG_VERSION"))
        .and_then(|m| m.modified())
        .expect("PG_VERSION");

    let password_file = dir.path().join("pg/superuser.password");
    assert_eq!(mode(&password_file), 0o600);
    assert!(
        fs::read_to_string(&password_file)
            .expect("password")
            .trim()
            .len()
            >= 32
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(
        saved_url(dir.path(), "postgres").expect("saved url"),
        (first.url("postgres"), true)
    );
    let app_url = first.url("app");
    first.stop().await.expect("stop");
    let (url, running) = saved_url(dir.path(), "app").expect("saved url after stop");
    assert!(!running);
    assert_eq!(url, app_url);

    let second = start(dir.path()).await;
    assert!(
        !second.initialized_now(),
        "the second start must not run initdb"
    );
    assert!(second.owned());
    assert_eq!(
        psql(&second.url("postgres"), "select v from kept"),
        "still here"
    );
    assert_eq!(
        fs::read_to_string(data.join("tenantry-marker")).expect("marker"),
        "first start"
    );
    assert_eq!(
        fs::metadata(data.join("PG_VERSION"))
            .and_then(|m| m.modified())
            .expect("mtime"),
        pg_version_mtime
    );
    second.stop().await.expect("stop");
}

#[tokio::test]
async fn stop_leaves_no_server_process_and_no_pid_file() {
    let dir = scratch_dir();
    let cluster = start(dir.path()).await;
    let data = pgdata(dir.path());
    let pid = postmaster_pid(dir.path()).expect("postmaster.pid while running");
    assert!(alive(pid));
    assert!(processes_serving(&data).contains(&pid));

    cluster.stop().await.expect("stop");
    assert!(!alive(pid), "postmaster {pid} still alive after stop");
    assert_eq!(
        processes_serving(&data),
        Vec::<i32>::new(),
        "server processes left after stop"
    );
    assert!(!data.join("postmaster.pid").exists());
}

#[tokio::test]
async fn pid_file_left_by_a_sigkilled_postmaster_does_not_block_the_next_start() {
    let dir = scratch_dir();
    let cluster = start(dir.path()).await;
    let pid_file = dir.path().join("pg/data/postmaster.pid");
    let pid_text = fs::read_to_string(&pid_file).expect("postmaster.pid");
    let pid = postmaster_pid(dir.path()).expect("pid");
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    assert!(wait_until(Duration::from_secs(10), || !alive(pid)));
    drop(cluster);
    // SIGKILL leaves the file behind; make sure of it whatever the drop did.
    fs::write(&pid_file, pid_text).expect("restore the stale postmaster.pid");

    let again = start(dir.path()).await;
    assert!(again.owned());
    assert!(!again.initialized_now());
    assert_eq!(psql(&again.url("postgres"), "select 1"), "1");
    again.stop().await.expect("stop");
}

#[tokio::test]
async fn fabricated_pid_files_naming_no_postmaster_are_stale() {
    let dir = scratch_dir();
    start(dir.path()).await.stop().await.expect("stop");
    let data = pgdata(dir.path());
    let dead_pid = {
        let mut child = Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait true");
        pid
    };
    // A dead pid (crash), and a live process that is not postgres (pid reused after reboot).
    for pid in [dead_pid, std::process::id()] {
        let stale = format!(
            "{pid}\n{}\n1700000000\n5999\n/nowhere\n127.0.0.1\n  1234 5678\nready   \n",
            data.display()
        );
        fs::write(data.join("postmaster.pid"), stale).expect("write postmaster.pid");
        fs::write(dir.path().join("pg/socket/.s.PGSQL.5999.lock"), "stale")
            .expect("write socket lock");

        let cluster = start(dir.path()).await;
        assert!(
            cluster.owned(),
            "pid {pid} must not be taken for a running cluster"
        );
        assert_eq!(psql(&cluster.url("postgres"), "select 1"), "1");
        assert!(!dir.path().join("pg/socket/.s.PGSQL.5999.lock").exists());
        cluster.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn a_second_start_attaches_and_its_stop_leaves_the_cluster_running() {
    let dir = scratch_dir();
    let owner = start(dir.path()).await;
    let attached = start(dir.path()).await;
    assert!(owner.owned());
    assert!(!attached.owned());
    assert!(!attached.initialized_now());
    assert_eq!(attached.port(), owner.port());
    assert_eq!(attached.url("app"), owner.url("app"));
    assert_eq!(psql(&attached.url("postgres"), "select 1"), "1");

    let pid = postmaster_pid(dir.path()).expect("pid");
    attached.stop().await.expect("stop attached");
    assert!(
        alive(pid),
        "stopping the attached handle stopped the cluster"
    );
    assert_eq!(psql(&owner.url("postgres"), "select 2"), "2");
    owner.stop().await.expect("stop owner");
    assert!(!alive(pid));
}

#[tokio::test]
async fn missing_server_binaries_give_one_clear_line() {
    let bad = Path::new("/nonexistent/postgresql/bin");
    let err = find_pg_bin(Some(bad)).expect_err("no binaries there");
    assert!(matches!(err, PgError::NoServerBinaries { .. }), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains('\n'), "not one line: {message}");
    for needle in [
        "/nonexistent/postgresql/bin",
        "apt-get install postgresql",
        "PG_BIN",
        "DATABASE_URL",
    ] {
        assert!(
            message.contains(needle),
            "{needle:?} missing from: {message}"
        );
    }

    // A directory with a postgres but no initdb/pg_isready is not enough either.
    let dir = scratch_dir();
    fs::write(dir.path().join("postgres"), "#!/bin/sh\n").expect("write");
    fs::set_permissions(
        dir.path().join("postgres"),
        fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    assert!(matches!(
        find_pg_bin(Some(dir.path())),
        Err(PgError::NoServerBinaries { .. })
    ));

    let opts = ClusterOptions {
        pg_bin: Some(bad.to_path_buf()),
        ..options(dir.path())
    };
    let started = EmbeddedCluster::start(opts).await;
    assert!(
        matches!(started, Err(PgError::NoServerBinaries { .. })),
        "{started:?}"
    );

    let found = find_pg_bin(None).expect("this machine has PostgreSQL installed");
    for program in ["postgres", "initdb", "pg_isready"] {
        assert!(
            found.join(program).is_file(),
            "{program} missing in {}",
            found.display()
        );
    }
}

/// Not a test on its own: run as a child process by the test below, it holds a cluster until
/// it is SIGKILLed.
#[tokio::test]
async fn sigkill_helper_holds_a_cluster() {
    let Some(dir) = std::env::var_os(HELPER_DIR_ENV) else {
        return;
    };
    let cluster = start(Path::new(&dir)).await;
    println!("HELPER-READY {}", cluster.port());
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn postmaster_dies_with_its_sigkilled_parent() {
    let dir = scratch_dir();
    let module = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, rest)| rest);
    let mut helper = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            &format!("{module}::sigkill_helper_holds_a_cluster"),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the helper");
    let stdout = helper.stdout.take().expect("piped stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // libtest prints "test <name> ... " before the test's own output, on the same line.
    std::thread::spawn(move || {
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("HELPER-READY"));
        let _ = ready_tx.send(ready);
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(90));
    if ready != Ok(true) {
        let _ = helper.kill();
        panic!("the helper's cluster did not get ready: {ready:?}");
    }
    let data = pgdata(dir.path());
    let pid = postmaster_pid(dir.path()).expect("postmaster.pid");
    assert!(alive(pid));

    helper.kill().expect("SIGKILL the helper");
    helper.wait().expect("reap the helper");
    let gone = wait_until(Duration::from_secs(10), || {
        !alive(pid) && processes_serving(&data).is_empty()
    });
    assert!(
        gone,
        "postgres outlived its SIGKILLed parent: {:?}",
        processes_serving(&data)
    );
}
