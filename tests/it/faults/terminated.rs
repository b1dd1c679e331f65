//! SIGTERM under load, on the embedded cluster: a request in flight when the signal
//! arrives is finished and answered, new connections are refused from the signal on, the
//! process exits 0, and its PostgreSQL is shut down cleanly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

/// Processes whose working directory is `data` (the postmaster and all its children).
fn processes_serving(data: &Path) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_sigterm_under_load_finishes_in_flight_requests_refuses_new_ones_and_stops_postgres() {
    let data = tempfile::Builder::new()
        .prefix("tenantry-faults-term-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    let data_dir = data.path().to_str().expect("utf-8").to_owned();
    // The embedded cluster (no DATABASE_URL); request logs at debug, so the test can see
    // when the server has begun its slow request.
    let env = [
        ("TENANTRY_DATA_DIR", data_dir.as_str()),
        ("RUST_LOG", "info,tower_http=debug"),
    ];
    let mut serve = Serve::start(&[], &env).await;
    let admin = tenantry()
        .args(["admin", "create", "--email", "owner@term.test"])
        .env("TENANTRY_DATA_DIR", &data_dir)
        .args(["--master-key", TEST_MASTER_KEY])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("admin create");
    {
        use std::io::Write;
        let mut child = admin;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
        let out = child.wait_with_output().expect("admin create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pgdata = data.path().join("pg/data").canonicalize().expect("PGDATA");
    assert!(!processes_serving(&pgdata).is_empty(), "the cluster runs");

    // The slow request: a sign-in whose body is only half sent.
    let (browser, jar) = serve.client_with_jar(ADMIN_HOST);
    let csrf = browser.token("/login").await;
    let url: reqwest::Url = browser.base.parse().expect("url");
    let cookie = reqwest::cookie::CookieStore::cookies(&*jar, &url).expect("a session cookie");
    let cookie = cookie.to_str().expect("ascii").to_owned();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", "owner@term.test")
        .append_pair("password", PASSWORD)
        .append_pair("csrf_token", &csrf)
        .finish();
    let (first, rest) = body.split_at(body.len() / 2);
    let request_id = format!("slow-sign-in-{}", uuid::Uuid::new_v4().simple());
    let mut slow = TcpStream::connect(serve.addr).await.expect("connect");
    let head = format!(
        "POST /login HTTP/1.1\r\nhost: {ADMIN_HOST}:{port}\r\ncookie: {cookie}\r\n\
         x-request-id: {request_id}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {len}\r\n\r\n{first}",
        port = serve.addr.port(),
        len = body.len(),
    );
    slow.write_all(head.as_bytes())
        .await
        .expect("send the head");

    // Load: signed-out pages and probes from several clients, until the process is gone.
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for i in 0..4 {
        let client = serve.client(ADMIN_HOST);
        let (stop, answers) = (stop.clone(), answers.clone());
        let path = if i % 2 == 0 { "/login" } else { "/healthz" };
        load.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                // Refused connections after the signal are expected; only answers count.
                if let Ok(r) = client
                    .client
                    .get(format!("{}{path}", client.base))
                    .send()
                    .await
                {
                    statuses.push(r.status());
                    answers.fetch_add(1, Ordering::Relaxed);
                }
            }
            statuses
        }));
    }
    poll(
        "the server began the slow request",
        Duration::from_secs(30),
        || async { serve.log().contains(&request_id).then_some(()) },
    )
    .await;
    poll(
        "the load is being answered",
        Duration::from_secs(30),
        || async { (answers.load(Ordering::Relaxed) >= 20).then_some(()) },
    )
    .await;

    serve.signal(nix::sys::signal::Signal::SIGTERM);
    // New connections are refused while the slow request is still open (it cannot
    // finish: half its body has not been sent).
    poll(
        "new connections are refused",
        Duration::from_secs(30),
        || async {
            match TcpStream::connect(serve.addr).await {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(()),
                _ => None,
            }
        },
    )
    .await;
    slow.write_all(rest.as_bytes())
        .await
        .expect("send the rest");
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer)
        .await
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 303"),
        "the in-flight sign-in is answered in full: {answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("location: /\r\n"),
        "{answer}"
    );

    let status = serve.exit_status(Duration::from_secs(60)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        for status in task.await.expect("load task") {
            assert!(!status.is_server_error(), "under load: {status}");
        }
    }
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        serve.log()
    );

    // PostgreSQL was shut down cleanly: no server process left, no pid file, and its own
    // log says so.
    assert_eq!(processes_serving(&pgdata), Vec::<i32>::new());
    assert!(!pgdata.join("postmaster.pid").exists());
    let pg_log = std::fs::read_to_string(data.path().join("pg/postgres.log")).expect("pg log");
    assert!(
        pg_log.trim_end().ends_with("database system is shut down"),
        "{pg_log}"
    );
    let log = serve.log();
    assert!(log.contains("embedded PostgreSQL stopped"), "{log}");
    serve.assert_no_panic();
}
