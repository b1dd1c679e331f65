//! Faults survived on purpose, with real processes: PostgreSQL stopped under requests,
//! the app killed or stopped in the middle of its work, an unreachable control plane, a
//! tenant database dropped behind the app's back. Every wait polls for its outcome with a
//! generous deadline; nothing sleeps a fixed time.
//!
//! The slow ones (a few seconds each: process starts, a cluster of their own) say so in
//! their names (`slow_…`); they run in `cargo test` like the others.

mod dropped_database;
mod killed;
mod outage;
mod startup;
mod terminated;

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::cookie::Jar;
use tempfile::TempDir;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};

use crate::helpers::*;

/// The `tenantry` binary, with no configuration inherited from the environment.
pub fn tenantry() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    for var in ["DATABASE_URL", "TENANTRY_DATA_DIR", "TENANTRY_SMTP_URL"] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// A free loopback port (bound and released; the process that needs it binds it again).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `limit`.
pub async fn poll<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `tenantry serve` process, its log (stdout and stderr) in a file; killed when dropped.
pub struct Serve {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    _dir: TempDir,
}

impl Serve {
    /// Starts `tenantry serve` with `args` (and a listen address, the test key and admin
    /// host) and waits until `/healthz` answers 200.
    pub async fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let serve = Self::spawn(args, envs);
        serve.wait_healthy(Duration::from_secs(90)).await;
        serve
    }

    /// Starts it without waiting for anything.
    pub fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("tenantry-serve-")
            .tempdir()
            .expect("temp dir");
        let log = dir.path().join("serve.log");
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let addr = free_addr();
        let child = tenantry()
            .arg("serve")
            .args(["--master-key", TEST_MASTER_KEY, "--admin-host", ADMIN_HOST])
            .args(["--listen", &addr.to_string()])
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn tenantry serve");
        Self {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    pub async fn wait_healthy(&self, limit: Duration) {
        let probe = crate::helpers::http_client().build().expect("http client");
        let url = format!("http://{}/healthz", self.addr);
        poll("tenantry serve answers /healthz", limit, || async {
            let ok = probe
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            ok.then_some(())
        })
        .await;
    }

    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid"))
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), signal).expect("signal tenantry serve");
    }

    /// SIGKILL, as a crash would; returns once the process is gone.
    pub fn kill(&mut self) {
        self.signal(nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }

    /// Waits for the process to exit (at most `limit`).
    pub async fn exit_status(&mut self, limit: Duration) -> ExitStatus {
        poll("tenantry serve exits", limit, || {
            let status = self.child.try_wait().expect("wait");
            async move { status }
        })
        .await
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// No panic anywhere in the log (a panic caught by the server still logs one).
    #[track_caller]
    pub fn assert_no_panic(&self) {
        let log = self.log();
        assert!(
            !log.contains("panicked"),
            "the app panicked; its log:\n{log}"
        );
    }

    /// A browser-like client on `host` (the admin host or `<slug>.localhost`).
    pub fn client(&self, host: &str) -> TenantClient {
        self.client_with_jar(host).0
    }

    /// A browser-like client and its cookie jar.
    pub fn client_with_jar(&self, host: &str) -> (TenantClient, Arc<Jar>) {
        let jar = Arc::new(Jar::default());
        let client = TenantClient {
            client: crate::helpers::http_client()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .resolve(host, self.addr)
                .timeout(Duration::from_secs(120))
                .build()
                .expect("client"),
            base: format!("http://{host}:{}", self.addr.port()),
        };
        (client, jar)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL cluster this test owns (so it may stop it), in a temporary directory.
pub struct OwnCluster {
    dir: TempDir,
    cluster: Option<EmbeddedCluster>,
}

impl OwnCluster {
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("tenantry-faults-pg-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let cluster = Some(Self::launch(dir.path()).await);
        Self { dir, cluster }
    }

    async fn launch(dir: &Path) -> EmbeddedCluster {
        let settings = [
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
        ];
        EmbeddedCluster::start(ClusterOptions {
            data_dir: dir.to_path_buf(),
            pg_bin: std::env::var_os("PG_BIN").map(PathBuf::from),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
        .await
        .expect("the test's own cluster starts")
    }

    fn running(&self) -> &EmbeddedCluster {
        self.cluster.as_ref().expect("the cluster is running")
    }

    pub fn url(&self, database: &str) -> String {
        self.running().url(database)
    }

    /// Creates `name` on the cluster; its superuser URL.
    pub async fn create_database(&self, name: &str) -> String {
        let admin = sqlx::PgPool::connect(&self.url("postgres"))
            .await
            .expect("connect");
        sqlx::query(&format!("create database \"{name}\""))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        self.url(name)
    }

    /// A fast shutdown (`pg_ctl stop -m fast`: SIGINT to the postmaster), waiting until
    /// the server has exited.
    pub async fn stop(&mut self) {
        let cluster = self.cluster.take().expect("running");
        cluster.stop().await.expect("the cluster stops");
    }

    /// Starts the stopped cluster again on the same data directory (and the same port).
    pub async fn restart(&mut self) {
        assert!(self.cluster.is_none(), "stop it first");
        let port_before = self.port_file();
        self.cluster = Some(Self::launch(self.dir.path()).await);
        assert_eq!(
            self.port_file(),
            port_before,
            "the cluster came back on its port"
        );
    }

    fn port_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pg/port")).unwrap_or_default()
    }
}

/// Signs in `email` (password [`PASSWORD`]) on `client`'s host; asserts it worked.
pub async fn sign_in(client: &TenantClient, email: &str) {
    let r = client.login(email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
}

/// Creates an enterprise admin with the CLI.
pub fn create_owner(db_url: &str, email: &str) {
    use std::io::Write;
    let mut child = tenantry()
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--database-url",
            db_url,
        ])
        .args(["--master-key", TEST_MASTER_KEY])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tenantry admin create");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    let out = child.wait_with_output().expect("admin create");
    assert!(
        out.status.success(),
        "admin create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Adds a user with a membership of `slug`'s tenant, straight in the control plane.
pub async fn add_member(db: &sqlx::PgPool, slug: &str, email: &str, role: &str) {
    let hash = tenantry::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    sqlx::query(
        "insert into users (id, email, password_hash) values ($1, $2, $3) on conflict do nothing",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(email)
    .bind(hash)
    .execute(db)
    .await
    .expect("user");
    sqlx::query(
        "insert into memberships (user_id, tenant_id, role)
         select u.id, t.id, $3 from users u, tenants t where lower(u.email) = lower($1) and t.slug = $2
         on conflict do nothing",
    )
    .bind(email)
    .bind(slug)
    .bind(role)
    .execute(db)
    .await
    .expect("membership");
}

/// Creates a tenant through the platform console as `owner` (the serve process's worker
/// provisions it).
pub async fn create_tenant(owner: &TenantClient, slug: &str, tier: &str, extra: &[(&str, &str)]) {
    let mut fields = vec![
        ("slug", slug),
        ("name", "Fault Inc"),
        ("plan", "pro"),
        ("tier", tier),
    ];
    fields.extend_from_slice(extra);
    let r = owner.post_from("/tenants/new", "/tenants", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "create {slug}");
}

/// Waits until every named tenant is active.
pub async fn until_active(db: &sqlx::PgPool, slugs: &[&str], limit: Duration) {
    let slugs: Vec<String> = slugs.iter().map(|s| s.to_string()).collect();
    poll("tenants become active", limit, || async {
        let active: i64 = sqlx::query_scalar(
            "select count(*) from tenants where slug = any($1) and status = 'active'",
        )
        .bind(&slugs)
        .fetch_one(db)
        .await
        .ok()?;
        (active == slugs.len() as i64).then_some(())
    })
    .await;
}

/// Creates an API token as `admin` through its page; the plain token, shown once.
pub async fn create_api_token(admin: &TenantClient, name: &str) -> String {
    let r = admin
        .post_from("/api-tokens", "/api-tokens", &[("name", name)])
        .await;
    assert!(r.status().is_redirection(), "token created: {}", r.status());
    let html = admin.get("/api-tokens").await.text().await.expect("body");
    let marker = "id=\"new-token-value\">";
    let start = html.find(marker).expect("the new token is shown") + marker.len();
    html[start..].split('<').next().expect("token").to_owned()
}
