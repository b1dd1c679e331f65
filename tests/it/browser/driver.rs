//! The processes behind a [`Browser`](super::Browser): chromedriver in a process group of
//! its own, the Chromium it starts, and the runtime the WebDriver session lives on.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::Capabilities;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tokio::runtime::{Handle, Runtime};
use tokio::time::Instant;

use super::PATIENCE;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Missing browsers fail the test: a journey that silently does not run proves nothing.
pub fn require_installed() {
    for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing (Debian package {package}): browser tests drive Chromium \
             through chromedriver. `.ci/run` installs both (apt-get install chromium \
             chromium-driver)."
        );
    }
}

pub fn capabilities(profile: &Path) -> Capabilities {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        // Chromium already sends *.localhost to loopback; say so anyway.
        "--host-resolver-rules=MAP *.localhost 127.0.0.1",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let Value::Object(caps) = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    }) else {
        unreachable!("a JSON object")
    };
    caps
}

/// A runtime for the WebDriver session alone (see the module's comment).
pub struct SessionRuntime(Option<Runtime>);

impl SessionRuntime {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("webdriver-session")
            .enable_all()
            .build()
            .expect("the session's runtime");
        Self(Some(rt))
    }

    pub fn handle(&self) -> &Handle {
        self.0.as_ref().expect("running").handle()
    }

    /// Runs `work` to completion from synchronous code on a helper thread: the calling
    /// thread may be inside the test's runtime, where blocking is not allowed.
    pub fn block_on<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        let handle = self.handle().clone();
        std::thread::spawn(move || handle.block_on(work))
            .join()
            .expect("the helper thread")
    }
}

impl Drop for SessionRuntime {
    fn drop(&mut self) {
        // A runtime may not be dropped inside another one; this one need not wait anyway.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// One chromedriver, in a process group of its own so that stopping it also stops the
/// Chromium processes it started.
pub struct Chromedriver {
    child: Child,
    pub port: u16,
}

impl Chromedriver {
    pub async fn start() -> Chromedriver {
        let mut exits = Vec::new();
        // A free port can be taken between our check and chromedriver's bind: retry.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {CHROMEDRIVER}: {e}"));
            let mut driver = Chromedriver { child, port };
            match driver.wait_until_listening().await {
                Ok(()) => return driver,
                Err(exit) => exits.push(exit),
            }
        }
        panic!("chromedriver exited before listening: {exits:?}");
    }

    /// Polls chromedriver's port until it accepts; `Err` if chromedriver exits first.
    async fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(status.to_string());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {} within {PATIENCE:?}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Only while it has not been reaped: until then its group id cannot be reused.
        if let Ok(None) = self.child.try_wait() {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
