//! Real-browser journeys: headless Chromium driven over WebDriver (chromedriver and
//! fantoccini) against the same app `spawn_app` runs. Each test gets its own chromedriver,
//! its own throw-away Chromium profile, and a screenshot of the page if it fails.
//!
//! The WebDriver session runs on a small runtime of its own rather than on the test's.
//! When a test fails, its runtime is unwinding (and may be single-threaded) while the
//! screenshot is taken, so nothing on it can be awaited; the screenshot and the end of the
//! session are driven from a helper thread on the session's runtime instead.

mod backups;
mod billing;
mod console;
mod driver;
mod journeys;
mod language;
mod onboarding;
mod plans;
mod sessions;
mod tenant_admin;
mod tenants;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;
use tokio::time::Instant;

use self::driver::{Chromedriver, SessionRuntime, capabilities, require_installed};
use crate::helpers::{ADMIN_HOST, PASSWORD, TestApp};

/// Every wait polls this often…
const STEP: Duration = Duration::from_millis(100);
/// …and gives up after this long.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A headless Chromium pointed at one [`TestApp`]. Dropping it ends the session and the
/// processes; dropping it during a panic first saves a screenshot.
pub struct Browser {
    client: Client,
    app_port: u16,
    test_name: String,
    // Dropped in this order after `Drop::drop`: the session's runtime, then chromedriver
    // with Chromium, then the profile directory.
    runtime: SessionRuntime,
    _driver: Chromedriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session for `app`.
    pub async fn start(app: &TestApp) -> Browser {
        require_installed();
        let test_name = current_test_name();
        let profile = tempfile::Builder::new()
            .prefix("tenantry-chromium-")
            .tempdir()
            .expect("a profile directory");
        let driver = Chromedriver::start().await;
        let runtime = SessionRuntime::new();
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(profile.path()));
        let url = format!("http://127.0.0.1:{}", driver.port);
        // The session's task is spawned where `connect` runs: on the session's runtime.
        let client = runtime
            .handle()
            .spawn(async move { builder.connect(&url).await })
            .await
            .expect("the connecting task")
            .unwrap_or_else(|e| panic!("chromedriver did not start a Chromium session: {e}"));
        Browser {
            client,
            app_port: app.addr.port(),
            test_name,
            runtime,
            _driver: driver,
            _profile: profile,
        }
    }

    /// The WebDriver client, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `http://<host>:<app port><path>`.
    pub fn url_on(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.app_port)
    }

    /// Opens `path` on the platform console's host.
    pub async fn goto(&self, path: &str) {
        self.goto_url(&self.url_on(ADMIN_HOST, path)).await;
    }

    pub async fn goto_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Path and query of the current page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page at `path` is the current one (a submitted form's redirect
    /// may still be loading when the click returns).
    pub async fn wait_for_path(&self, path: &str) {
        crate::helpers::poll_until(async || (self.path().await == path).then_some(())).await;
    }

    /// Waits for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        self.poll(&format!("`{css}`"), async || {
            self.client
                .find(Locator::Css(css))
                .await
                .map_err(|_| "not on the page".to_owned())
        })
        .await
    }

    /// Whether an element matching `css` is on the page now (no waiting).
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .is_empty()
    }

    /// Types `text` into the field matching `css` (key by key, so key events fire),
    /// replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear `{css}`: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// Picks the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in `{css}`: {e}"));
    }

    /// Clicks the element matching `css`. A page that swaps itself (htmx polling a job's
    /// progress) may replace the element between finding and clicking it; then the new
    /// one is clicked, as a person would.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if tries < 5 && e.to_string().contains("stale element") => tries += 1,
                Err(e) => panic!("click `{css}`: {e}"),
            }
        }
    }

    /// The visible text of the element matching `css`, once there is one.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of `{css}`: {e}"))
    }

    /// Waits until the element matching `css` shows text containing `needle`; its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        self.poll(&format!("`{css}` to show {needle:?}"), async || {
            let element = self
                .client
                .find(Locator::Css(css))
                .await
                .map_err(|_| "not on the page".to_owned())?;
            // A swap or a reload between finding and reading: try again.
            let text = element.text().await.map_err(|e| e.to_string())?;
            if text.contains(needle) {
                Ok(text)
            } else {
                Err(format!("it shows {text:?}"))
            }
        })
        .await
    }

    /// Runs `js` in the page (WebDriver's script execution is not bound by the CSP).
    pub async fn script(&self, js: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(js, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{js}"))
    }

    /// Waits for the styled confirmation dialog (what `hx-confirm` opens), accepts it;
    /// its question.
    pub async fn accept_confirm(&self) -> String {
        let question = self.text("#confirm-dialog[open] #confirm-question").await;
        self.click("#confirm-dialog[open] #confirm-ok").await;
        question
    }

    /// Resizes the window so the page's viewport is `width` × `height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        // The window is larger than its viewport by whatever the browser draws around
        // it: set the window, measure the viewport, correct once.
        let mut window = (width, height);
        for _ in 0..2 {
            self.client
                .set_window_size(window.0, window.1)
                .await
                .expect("resize the window");
            let inner = self
                .script("return [window.innerWidth, window.innerHeight]", vec![])
                .await;
            let (w, h) = (
                inner[0].as_i64().unwrap_or(0),
                inner[1].as_i64().unwrap_or(0),
            );
            if w == i64::from(width) {
                return;
            }
            window.0 = (i64::from(window.0) + i64::from(width) - w).max(1) as u32;
            window.1 = (i64::from(window.1) + i64::from(height) - h).max(1) as u32;
        }
        let w = self.script("return window.innerWidth", vec![]).await;
        panic!("could not give the page a viewport {width}px wide (it is {w})");
    }

    /// Whether the page scrolls sideways: its content wider than the viewport.
    pub async fn scrolls_sideways(&self) -> bool {
        let widths = self
            .script(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await;
        widths[0].as_u64() > widths[1].as_u64()
    }

    /// Saves a screenshot of the page as `target/browser-screenshots/<name>.png`, for a
    /// reviewer to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(screenshot_dir()).expect("the screenshot directory");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save it");
    }

    /// Cookies the browser holds for the current page.
    pub async fn cookies(&self) -> Vec<Cookie<'static>> {
        self.client.get_all_cookies().await.expect("cookies")
    }

    /// Signs in through the real form, from where an anonymous visitor lands, and waits
    /// for the dashboard.
    pub async fn sign_in(&self, email: &str) {
        self.goto("/").await;
        self.find("form[action='/login']").await;
        assert!(
            self.path().await.starts_with("/login"),
            "an anonymous visitor is sent to the sign-in form"
        );
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for_text("#whoami", email).await;
        assert_eq!(self.path().await, "/");
    }

    /// Retries `attempt` every [`STEP`] until it succeeds; after [`PATIENCE`], fails the
    /// test with `what`, the last attempt's complaint and the page's address.
    async fn poll<T>(&self, what: &str, mut attempt: impl AsyncFnMut() -> Result<T, String>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let last = match attempt().await {
                Ok(done) => return done,
                Err(why) => why,
            };
            if Instant::now() >= deadline {
                let at = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_else(|e| format!("unknown ({e})"));
                panic!("waited {PATIENCE:?} for {what}: {last} (page {at})");
            }
            tokio::time::sleep(STEP).await;
        }
    }

    fn save_screenshot(&self) {
        let client = self.client.clone();
        let shot = self.runtime.block_on(async move {
            tokio::time::timeout(Duration::from_secs(10), async move {
                let url = client.current_url().await.map(|u| u.to_string());
                (url, client.screenshot().await)
            })
            .await
        });
        let Ok((url, png)) = shot else {
            eprintln!("browser: no screenshot of the failing page: WebDriver did not answer");
            return;
        };
        let url = url.unwrap_or_else(|e| format!("unknown ({e})"));
        let path = screenshot_dir().join(format!("{}.png", self.test_name));
        let saved = png.map_err(|e| e.to_string()).and_then(|png| {
            std::fs::create_dir_all(screenshot_dir())
                .and_then(|()| std::fs::write(&path, png))
                .map_err(|e| e.to_string())
        });
        match saved {
            Ok(()) => eprintln!(
                "browser: screenshot of the failing page ({url}): {}",
                path.display()
            ),
            Err(e) => eprintln!("browser: no screenshot of the failing page ({url}): {e}"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.save_screenshot();
        }
        // Ends the WebDriver session, so chromedriver closes Chromium itself; whatever is
        // left goes with chromedriver's process group.
        let client = self.client.clone();
        let _ = self.runtime.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), client.close()).await
        });
    }
}

/// `target/browser-screenshots` (next to `target/tmp`, wherever the target directory is).
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser-screenshots")
}

/// The running test's function name (libtest names each test's thread after the test).
fn current_test_name() -> String {
    std::thread::current()
        .name()
        .and_then(|n| n.rsplit("::").next())
        .filter(|n| *n != "main")
        .unwrap_or("browser")
        .to_owned()
}
