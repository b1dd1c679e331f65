//! The `tenantry` binary itself: `admin create`, `db url` and `serve` on the embedded
//! cluster from start to clean stop.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

fn tenantry() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

fn admin_create(db_url: &str, email: &str, password: &str) -> std::process::Output {
    let mut child = tenantry()
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--database-url",
            db_url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tenantry");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn admin_create_makes_an_owner_who_can_sign_in() {
    let app = spawn_app().await;
    let out = admin_create(&app.db_url, "root@example.test", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Created enterprise admin root@example.test")
    );
    assert_redirect_to(&app.login("root@example.test", PASSWORD).await, "/");
    assert!(
        app.audit_actions()
            .await
            .contains(&"staff.owner_created".to_owned())
    );
}

#[tokio::test]
async fn admin_create_refuses_a_short_password_and_a_duplicate_email() {
    let app = spawn_app().await;
    let short = admin_create(&app.db_url, "root@example.test", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("Use at least 12 characters."));

    assert!(
        admin_create(&app.db_url, "root@example.test", PASSWORD)
            .status
            .success()
    );
    let dup = admin_create(&app.db_url, "ROOT@example.test", PASSWORD);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("a user with this email already exists"));

    let bad = admin_create(&app.db_url, "not an email", PASSWORD);
    assert!(!bad.status.success());
    let n: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1, "refusals changed nothing");
}

#[test]
fn missing_server_binaries_are_one_clear_line() {
    let data = tempfile::tempdir().unwrap();
    let out = tenantry()
        .args(["db", "url"])
        .env("TENANTRY_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let mut child = tenantry()
        .args(["admin", "create", "--email", "a@example.test"])
        .env("TENANTRY_DATA_DIR", data.path())
        .env("PG_BIN", "/nonexistent/bin")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().count(),
        1,
        "one line"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PG_BIN") || stderr.contains("PostgreSQL"),
        "{stderr}"
    );
}

/// `tenantry serve` with no DATABASE_URL: initdb, setup link in the log, health, then a
/// SIGTERM stops the app and the cluster with no process left behind; a second start
/// reuses the cluster.
#[test]
fn serve_runs_on_its_own_cluster_and_stops_cleanly() {
    let data = tempfile::tempdir_in("/tmp").unwrap();
    for round in 0..2 {
        let port = free_port();
        let mut child = tenantry()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("TENANTRY_DATA_DIR", data.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut setup_link = None;
        let mut serving = false;
        while Instant::now() < deadline && !serving {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                if line.contains("/setup?token=") {
                    setup_link = Some(line.clone());
                }
                serving |= line.contains("Tenantry is serving");
            }
        }
        assert!(serving, "serve did not come up (round {round})");
        assert!(
            setup_link.is_some(),
            "no owner yet: the setup link is logged (round {round})"
        );
        let health = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.write_all(
                b"GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\nConnection: close\r\n\r\n",
            )?;
            let mut buf = String::new();
            std::io::Read::read_to_string(&mut s, &mut buf)?;
            Ok(buf)
        });
        assert!(health.unwrap().starts_with("HTTP/1.1 200"));

        let pid_file = data.path().join("pg/data/postmaster.pid");
        let postmaster: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "serve exits 0 after SIGTERM");
        assert!(
            !std::path::Path::new(&format!("/proc/{postmaster}")).exists(),
            "postgres stopped with it"
        );
        assert!(!pid_file.exists(), "no stale pid file");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn tenants_create_can_invite_the_first_admin_with_serves_links() {
    let app = spawn_app().await;
    let slug = unique_slug("cli");
    let create = |email: &str| {
        tenantry()
            .args([
                "tenants",
                "create",
                "--slug",
                &slug,
                "--name",
                "Cli Corp",
                "--tier",
                "pooled",
                "--first-admin-email",
                email,
                "--database-url",
                &app.db_url,
                "--master-key",
                TEST_MASTER_KEY,
            ])
            // Where `serve` would be: the link follows it.
            .env("TENANTRY_LISTEN", "127.0.0.1:4321")
            .env_remove("TENANTRY_PUBLIC_URL")
            .output()
            .expect("run tenantry")
    };

    // A bad address: one clear line naming the flag, and no tenant.
    let refused = create("not an email");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--first-admin-email"), "{stderr}");
    let tenants: i64 = sqlx::query_scalar("select count(*) from tenants where slug = $1")
        .bind(&slug)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(tenants, 0);

    let out = create("ada@cli.test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ada@cli.test is invited"));
    let link = mailed_link(&app.db, "ada@cli.test").await;
    assert!(
        link.starts_with(&format!("http://{slug}.localhost:4321/invite?token=")),
        "{link}"
    );
    let role: String =
        sqlx::query_scalar("select role from invitations where email = 'ada@cli.test'")
            .fetch_one(&app.db)
            .await
            .expect("invitation");
    assert_eq!(role, "admin");
}
