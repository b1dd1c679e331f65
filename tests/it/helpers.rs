//! Test harness: one embedded cluster per test run (or `TEST_DATABASE_URL`'s server), a
//! fresh control-plane database per test, the real app on port 0, and a client that keeps
//! cookies and does not follow redirects.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use reqwest::cookie::Jar;
use reqwest::{Response, StatusCode};
use sqlx::PgPool;
use tenantry::config::Config;
use tenantry::control::audit::{Actor, Origin};
use tenantry::control::users::{self, NewOwner, OwnerGrant};
use tenantry::pg::control_db::ControlDb;
use tenantry::pg::embedded::{ClusterOptions, EmbeddedCluster};
use tokio::sync::oneshot;

pub const ADMIN_HOST: &str = "admin.localhost";
pub const PASSWORD: &str = "correct horse battery staple";
/// A fixed master key for tests (32 bytes, base64), so no key file is written.
pub const TEST_MASTER_KEY: &str = "dGVuYW50cnktdGVzdC1tYXN0ZXIta2V5LTMyYnl0ZXM=";

struct TestServer {
    /// Server-level URL without a database name, e.g. `postgres://u:p@127.0.0.1:5432`.
    base_url: String,
    _cluster: Option<EmbeddedCluster>,
}

/// The cluster shared by every test of this run, started once.
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
            return TestServer {
                base_url: url.trim_end_matches('/').to_owned(),
                _cluster: None,
            };
        }
        // Started on its own thread and runtime: each test's runtime ends with the test,
        // the cluster must not.
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let cluster = EmbeddedCluster::start(ClusterOptions {
                    data_dir: test_data_dir(),
                    pg_bin: None,
                    // Durability is not what these tests are about; speed is welcome.
                    settings: [
                        ("fsync", "off"),
                        ("synchronous_commit", "off"),
                        ("full_page_writes", "off"),
                    ]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .to_vec(),
                })
                .await
                .expect("the test cluster should start");
                let url = cluster.url("postgres");
                let base_url = url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .expect("url has a database");
                TestServer {
                    base_url,
                    _cluster: Some(cluster),
                }
            })
        })
        .join()
        .expect("cluster thread")
    })
}

/// A per-run directory for the test cluster; directories of earlier runs whose process
/// is gone are removed first.
fn test_data_dir() -> PathBuf {
    let root = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("tenantry-test-")
                && !PathBuf::from(format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    root.join(format!("tenantry-test-{}", std::process::id()))
}

/// Server-level URL of the test cluster (no database name), with superuser rights.
pub fn server_base_url() -> String {
    server().base_url.clone()
}

/// A slug no other test of this run uses (tenant databases and roles are cluster-wide).
pub fn unique_slug(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// A fresh, empty database on the test server; its URL.
pub async fn fresh_database() -> (String, String) {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(&format!("{}/postgres", server().base_url))
        .await
        .expect("connect");
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    (format!("{}/{name}", server().base_url), name)
}

pub fn drop_database(name: String) {
    let url = format!("{}/postgres", server().base_url);
    // Drop runs outside any runtime: use a short-lived one of our own.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let admin = PgPool::connect(&url).await?;
            sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
                .execute(&admin)
                .await?;
            admin.close().await;
            Ok::<_, anyhow::Error>(())
        })
    })
    .join();
}

/// The app under test, with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub tenancy: tenantry::tenancy::Tenancy,
    pub db: PgPool,
    pub db_url: String,
    pub db_name: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    /// The configuration the app was built with (links in mail use its URLs).
    pub config: tenantry::config::Config,
    /// Extra `serve` flags, kept across [`TestApp::restart`].
    extra_args: Vec<String>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    owns_database: bool,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// An app with extra `serve` flags (e.g. `--smtp-url`).
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let (db_url, db_name) = fresh_database().await;
    let extra = extra.iter().map(|s| s.to_string()).collect();
    spawn_app_on(db_url, db_name, Arc::new(Jar::default()), true, extra).await
}

async fn spawn_app_on(
    db_url: String,
    db_name: String,
    jar: Arc<Jar>,
    owns_database: bool,
    extra_args: Vec<String>,
) -> TestApp {
    // Bound first, so the configuration (and every link it builds) names the real port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let listen = addr.to_string();
    let mut args = vec![
        "--database-url",
        &db_url,
        "--admin-host",
        ADMIN_HOST,
        "--listen",
        &listen,
        "--master-key",
        TEST_MASTER_KEY,
    ];
    args.extend(extra_args.iter().map(String::as_str));
    let config = Config::from_args(args).expect("test config");
    tenantry::telemetry::init_logging("warn", false);
    let control = ControlDb::open(&config.db)
        .await
        .expect("control plane opens");
    let state = tenantry::AppState::build(&control, config.clone())
        .await
        .expect("app state");
    let tenancy = state.tenancy.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(tenantry::serve(listener, state, async {
        let _ = rx.await;
    }));
    let client = client_for(addr, jar.clone());
    TestApp {
        addr,
        tenancy,
        db: control.pool,
        db_url,
        db_name,
        client,
        jar,
        config,
        extra_args,
        shutdown: Some(tx),
        server: Some(server),
        owns_database,
    }
}

/// A client that sends `admin.localhost` (and `other.localhost`, `localhost`) to the app.
pub fn client_for(addr: SocketAddr, jar: Arc<Jar>) -> reqwest::Client {
    client_for_hosts(addr, jar, &[])
}

/// Like [`client_for`], also resolving the given extra host names to the app.
pub fn client_for_hosts(addr: SocketAddr, jar: Arc<Jar>, hosts: &[&str]) -> reqwest::Client {
    let mut builder = crate::helpers::http_client()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(ADMIN_HOST, addr)
        .resolve("other.localhost", addr)
        .resolve("localhost", addr);
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().expect("client")
}

impl TestApp {
    /// A platform client of its own, signed in as `email` (password [`PASSWORD`]).
    pub async fn client_signed_in(app: &TestApp, email: &str) -> reqwest::Client {
        let client = client_for(app.addr, Arc::new(Jar::default()));
        let html = client.get(app.url("/login")).send().await.expect("request");
        let token = extract_csrf(&html.text().await.expect("body")).expect("a csrf token");
        let r = client
            .post(app.url("/login"))
            .form(&[
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("request");
        assert_redirect_to(&r, "/");
        client
    }

    /// Posts a form from a platform `client` of its own (see [`Self::client_signed_in`]),
    /// with the CSRF token its dashboard carries.
    pub async fn post_as(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let html = client.get(self.url("/")).send().await.expect("request");
        let token = extract_csrf(&html.text().await.expect("body")).expect("a csrf token");
        let mut body = fields.to_vec();
        body.push(("csrf_token", &token));
        client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .expect("request")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{ADMIN_HOST}:{}{path}", self.addr.port())
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Posts a form as a browser would, with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .expect("request")
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// The session's CSRF token, read from a page like a browser would: the sign-in form,
    /// or the dashboard's meta tag once signed in.
    pub async fn csrf_token(&self) -> String {
        let login = self.get("/login").await;
        let page = if login.status().is_redirection() {
            self.get("/").await
        } else {
            login
        };
        let html = page.text().await.expect("body");
        extract_csrf(&html).expect("a csrf token on the page")
    }

    pub async fn create_owner(&self, email: &str) -> users::User {
        let hash = tenantry::auth::password::hash(PASSWORD.into())
            .await
            .expect("hash");
        let new = NewOwner {
            email,
            name: "Test Owner",
            password_hash: hash,
        };
        users::create_owner(
            &self.db,
            new,
            OwnerGrant::Shell,
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .expect("owner created")
    }

    /// Adds a staff member with the given platform role directly (staff invitations come
    /// with their own issue).
    pub async fn create_staff(&self, email: &str, role: &str) {
        let hash = tenantry::auth::password::hash(PASSWORD.into())
            .await
            .expect("hash");
        sqlx::query(
            "insert into users (id, email, password_hash, platform_role) values ($1, $2, $3, $4)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(email)
        .bind(hash)
        .bind(role)
        .execute(&self.db)
        .await
        .expect("staff inserted");
    }

    /// Adds a tenant-only user with a membership (invitations come with their own issue).
    pub async fn create_member(&self, email: &str, tenant: uuid::Uuid, role: &str) {
        let hash = tenantry::auth::password::hash(PASSWORD.into())
            .await
            .expect("hash");
        let id = uuid::Uuid::now_v7();
        sqlx::query("insert into users (id, email, password_hash) values ($1, $2, $3) on conflict do nothing")
            .bind(id)
            .bind(email)
            .bind(hash)
            .execute(&self.db)
            .await
            .expect("user");
        sqlx::query(
            "insert into memberships (user_id, tenant_id, role) select id, $2, $3 from users where lower(email) = lower($1)",
        )
        .bind(email)
        .bind(tenant)
        .bind(role)
        .execute(&self.db)
        .await
        .expect("membership");
    }

    /// Creates a tenant on plan `pro` and provisions it (no worker runs inside the test app).
    pub async fn provisioned_tenant(
        &self,
        prefix: &str,
        tier: &str,
    ) -> tenantry::tenancy::tenants::Tenant {
        self.provisioned_tenant_on_plan(prefix, tier, "pro").await
    }

    pub async fn provisioned_tenant_on_plan(
        &self,
        prefix: &str,
        tier: &str,
        plan: &str,
    ) -> tenantry::tenancy::tenants::Tenant {
        let slug = unique_slug(prefix);
        let name = format!("{prefix} Inc");
        let new = tenantry::tenancy::tenants::NewTenant {
            slug: &slug,
            name: &name,
            plan,
            tier: Some(tier),
        };
        let tenant = self
            .tenancy
            .create(new, None, &Actor::cli(), &Origin::default())
            .await
            .expect("tenant");
        let tenant = self
            .tenancy
            .settle(tenant.id, std::time::Duration::from_secs(60))
            .await
            .expect("settled");
        assert_eq!(tenant.status, "active", "{:?}", tenant.last_error);
        tenant
    }

    /// Applies a lifecycle action to the tenant as it is now, from the shell.
    pub async fn transition(
        &self,
        tenant: uuid::Uuid,
        action: tenantry::tenancy::lifecycle::Action,
        confirm: Option<&str>,
    ) -> Result<(), tenantry::tenancy::lifecycle::LifecycleError> {
        let fresh = tenantry::tenancy::tenants::get(&self.db, tenant)
            .await
            .expect("lookup")
            .expect("tenant");
        tenantry::tenancy::lifecycle::apply(
            &self.tenancy,
            &fresh,
            action,
            confirm,
            &Actor::cli(),
            &Origin::default(),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Signs in an owner and checks that it worked.
    pub async fn login_as_new_owner(&self, email: &str) {
        self.create_owner(email).await;
        let r = self.login(email, PASSWORD).await;
        assert_redirect_to(&r, "/");
    }

    /// Actions recorded in the audit log, oldest first.
    /// The number a parameterless `select count(*) …` returns.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query_scalar("select action from audit_events order by id")
            .fetch_all(&self.db)
            .await
            .expect("audit")
    }

    /// Stops the app (finishing in-flight requests) and starts a new one on the same
    /// database with the same cookie jar, as after a deploy.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let owns = std::mem::replace(&mut self.owns_database, false);
        spawn_app_on(
            self.db_url.clone(),
            self.db_name.clone(),
            self.jar.clone(),
            owns,
            self.extra_args.clone(),
        )
        .await
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if self.owns_database {
            drop_database(self.db_name.clone());
        }
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    [
        "name=\"csrf_token\" value=\"",
        "name=\"csrf-token\" content=\"",
    ]
    .iter()
    .find_map(|marker| {
        let start = html.find(marker)? + marker.len();
        let end = html[start..].find('"')?;
        Some(html[start..start + end].to_owned())
    })
}

#[track_caller]
pub fn assert_redirect_to(response: &Response, location: &str) {
    assert!(
        response.status() == StatusCode::SEE_OTHER || response.status() == StatusCode::FOUND,
        "expected a redirect, got {}",
        response.status()
    );
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(location)
    );
}

/// Session cookie's value as the jar holds it for the admin host.
pub fn session_cookie(app: &TestApp) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url = app.url("/").parse().ok()?;
    let header = app.jar.cookies(&url)?;
    header
        .to_str()
        .ok()?
        .split("; ")
        .find_map(|kv| kv.strip_prefix("tenantry_session=").map(str::to_owned))
}

/// The link of the newest message queued for `recipient` in the outbox.
pub async fn mailed_link(db: &PgPool, recipient: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>(
        "select link from outbox where lower(recipient) = lower($1) order by created_at desc, id desc limit 1",
    )
    .bind(recipient)
    .fetch_one(db)
    .await
    .expect("a message in the outbox")
    .expect("a link in the message")
}

/// The path and query of a link (what a client on the right host requests).
pub fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    rest.find('/')
        .map_or("/".to_owned(), |i| rest[i..].to_owned())
}

/// A browser-like client for one tenant's host, with its own cookie jar.
pub struct TenantClient {
    pub client: reqwest::Client,
    pub base: String,
}

impl TenantClient {
    pub fn new(app: &TestApp, slug: &str) -> Self {
        let host = format!("{slug}.localhost");
        Self {
            client: client_for_hosts(app.addr, Arc::new(Jar::default()), &[&host]),
            base: format!("http://{host}:{}", app.addr.port()),
        }
    }

    /// A tenant console opened by staff member `email` the only way staff enter one:
    /// signed in on the platform, "Open console" with a reason, the hand-off followed.
    pub async fn opened_by_staff(app: &TestApp, slug: &str, email: &str) -> Self {
        let tenant = Self::new(app, slug);
        let platform = TestApp::client_signed_in(app, email).await;
        let r = app
            .post_as(
                &platform,
                &format!("/tenants/{slug}/open-console"),
                &[("reason", "Support ticket 1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "open console as {email}");
        let link = r.headers()["location"].to_str().expect("a location");
        let handoff = &link[link.find("/handoff").expect("a hand-off link")..];
        assert_redirect_to(&tenant.get(handoff).await, "/");
        tenant
    }

    /// A client already signed in as `email` (password [`PASSWORD`]).
    pub async fn signed_in(app: &TestApp, slug: &str, email: &str) -> Self {
        let client = Self::new(app, slug);
        assert_redirect_to(&client.login(email, PASSWORD).await, "/");
        client
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    /// The session's CSRF token, read from `path` as a browser would.
    pub async fn token(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.expect("body");
        extract_csrf(&html).expect("a csrf token on the page")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        let token = self.token("/login").await;
        self.client
            .post(format!("{}/login", self.base))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("request")
    }

    /// Posts a form with the session's token added (the client must be signed in).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.post_from("/", path, fields).await
    }

    /// Posts a form with the CSRF token read from `page` (for pages seen signed out).
    pub async fn post_from(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.token(page).await;
        let mut body = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(format!("{}{path}", self.base))
            .form(&body)
            .send()
            .await
            .expect("request")
    }
}

/// Retries `attempt` until it yields a value (every 50 ms, up to 20 s): for effects that
/// arrive asynchronously, such as a change notification reaching the app's caches.
pub async fn poll_until<T>(mut attempt: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(done) = attempt().await {
            return done;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited 20 s for an effect that did not come"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A reqwest client builder. reqwest's rustls comes without a crypto provider (the
/// binary hands its own ring config to the CLI's client), so the tests install ring as
/// the process default first, once.
pub fn http_client() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err: another test installed it first; the same provider either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
