//! What the benches share: settings from the environment, the load loop and its figures,
//! and signing in through the console's form. Each bench uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A bench setting from the environment, else `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A measurement: successful requests a second, their latency, and the failures.
pub struct Figures {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
}

pub fn figures(mut lat: Vec<Duration>, errors: usize, elapsed: Duration) -> Figures {
    lat.sort();
    let at = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Figures {
        rps: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        errors,
    }
}

/// Runs `concurrency` workers for `seconds`, each issuing one request after another;
/// prints the first few errors' causes (a bench never hides a failure).
pub async fn load<F, Fut>(concurrency: usize, seconds: u64, make: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let logged = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (make, logged) = (make.clone(), logged.clone());
        workers.spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match make().await {
                    Ok(()) => lat.push(t0.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if logged.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("error: {e:#}");
                        }
                    }
                }
            }
            (lat, errors)
        });
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    while let Some(Ok((lat, e))) = workers.join_next().await {
        all.extend(lat);
        errors += e;
    }
    figures(all, errors, started.elapsed())
}

/// The attribute value after `marker` in `html` (up to the closing quote).
pub fn extract(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// Signs `client` in on the console at `base` (`http://host:port`) through its form,
/// CSRF token included, as a browser would.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let token = extract(&html, "name=\"csrf_token\" value=\"")
        .ok_or_else(|| anyhow::anyhow!("no csrf token on {base}/login"))?;
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_redirection(),
        "sign-in failed on {base}: {}",
        r.status()
    );
    Ok(())
}

/// A reqwest client builder, with ring installed as the process's rustls provider first
/// (reqwest's rustls has none of its own here; see Cargo.toml).
pub fn http_client() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
