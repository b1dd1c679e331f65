//! The embedded cluster supervisor, on real PostgreSQL binaries: first start, reuse,
//! attach, clean stop, and recovery from a crash's stale pid file.

use std::path::Path;

use sqlx::{Connection, PgConnection};
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster, find_pg_bin, saved_url};

fn options(dir: &Path) -> ClusterOptions {
    ClusterOptions {
        data_dir: dir.to_path_buf(),
        pg_bin: None,
        settings: vec![("fsync".into(), "off".into())],
    }
}

fn postmaster_pid(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join("pg/data/postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

async fn query_one(url: &str, sql: &str) -> String {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let v: String = sqlx::query_scalar(sql)
        .fetch_one(&mut conn)
        .await
        .expect("query");
    conn.close().await.ok();
    v
}

#[tokio::test]
async fn first_start_initialises_and_the_next_start_reuses_the_cluster() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let first = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    assert!(first.initialized_now() && first.owned());
    let mut conn = PgConnection::connect(&first.url("postgres")).await.unwrap();
    sqlx::raw_sql("create table kept (v text); insert into kept values ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("pg/superuser.password"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the superuser password is private");
    let port = first.port();
    first.stop().await.unwrap();

    let second = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    assert!(!second.initialized_now(), "no second initdb");
    assert_eq!(second.port(), port, "the same port when it is still free");
    assert_eq!(
        query_one(&second.url("postgres"), "select v from kept").await,
        "still here"
    );
    second.stop().await.unwrap();
}

#[tokio::test]
async fn stop_leaves_no_process_and_no_pid_file() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let cluster = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    let pid = postmaster_pid(dir.path()).expect("running");
    assert!(alive(pid));
    let (url, running) = saved_url(dir.path(), "postgres").unwrap();
    assert!(running && url == cluster.url("postgres"));
    cluster.stop().await.unwrap();
    assert!(!alive(pid), "postmaster {pid} still running");
    assert!(!dir.path().join("pg/data/postmaster.pid").exists());
    let (_, running) = saved_url(dir.path(), "postgres").unwrap();
    assert!(!running);
}

#[tokio::test]
async fn a_second_start_attaches_to_the_running_cluster() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let owner = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    let guest = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    assert!(!guest.owned());
    assert_eq!(guest.port(), owner.port());
    guest.stop().await.unwrap();
    assert_eq!(
        query_one(&owner.url("postgres"), "select 'up'").await,
        "up",
        "the guest's stop is a no-op"
    );
    owner.stop().await.unwrap();
}

#[tokio::test]
async fn a_stale_pid_file_from_a_crash_does_not_block_the_next_start() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let cluster = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    let pid = postmaster_pid(dir.path()).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    while alive(pid) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(cluster);
    assert!(
        dir.path().join("pg/data/postmaster.pid").exists(),
        "the crash left its pid file"
    );

    let again = EmbeddedCluster::start(options(dir.path())).await.unwrap();
    assert!(again.owned());
    assert_eq!(
        query_one(&again.url("postgres"), "select 'recovered'").await,
        "recovered"
    );
    again.stop().await.unwrap();
}

#[test]
fn missing_binaries_are_named_with_the_way_out() {
    let err = find_pg_bin(Some(Path::new("/nonexistent")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("apt-get install postgresql") && err.contains("DATABASE_URL"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line");
    assert!(
        find_pg_bin(None).is_ok(),
        "this machine has server binaries"
    );
}
