//! `tenantry tenants --api-url URL …`: the tenants verbs acting through the platform API
//! instead of the database, so an operator needs neither the database URL nor the master
//! key on their machine — only a platform token, read from `TENANTRY_API_TOKEN`. Names
//! under `.localhost` reach loopback, as browsers do, so the default admin host works.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::config::TenantsCommand;

/// The environment variable holding the platform token.
pub const TOKEN_VAR: &str = "TENANTRY_API_TOKEN";

/// Optionally, a PEM file of certificate authorities to trust besides the public ones
/// (an admin host behind a company's own CA).
pub const CA_VAR: &str = "TENANTRY_API_CA";

/// A TLS config with the public roots only, for a client that speaks plain http.
fn plain_config() -> anyhow::Result<rustls::ClientConfig> {
    client_config(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

fn client_config(roots: rustls::RootCertStore) -> anyhow::Result<rustls::ClientConfig> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// TLS for an https:// API URL: rustls over ring, as sqlx, lettre and the webhook use
/// (one crypto provider in the binary), trusting the public web's roots and the CAs in
/// `TENANTRY_API_CA`.
fn tls_config() -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = std::env::var_os(CA_VAR).filter(|p| !p.is_empty()) {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let shown = std::path::Path::new(&path).display().to_string();
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(&path)
            .with_context(|| format!("{CA_VAR}: cannot read {shown}"))?
        {
            let cert = cert.with_context(|| format!("{CA_VAR}: {shown} is not a PEM file"))?;
            roots
                .add(cert)
                .with_context(|| format!("{CA_VAR}: {shown} holds a certificate rustls refuses"))?;
            added += 1;
        }
        if added == 0 {
            bail!("{CA_VAR}: {shown} holds no certificate");
        }
    }
    client_config(roots)
}

struct Remote {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Remote {
    fn new(api_url: &str) -> anyhow::Result<Self> {
        let token = std::env::var(TOKEN_VAR)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .with_context(|| {
                format!("set {TOKEN_VAR} to a platform API token (the API tokens page, or `tenantry api-tokens create`)")
            })?;
        let base = api_url.trim_end_matches('/').to_owned();
        let (rest, default_port, tls) = if let Some(rest) = base.strip_prefix("https://") {
            (rest, 443, true)
        } else if let Some(rest) = base.strip_prefix("http://") {
            (rest, 80, false)
        } else {
            bail!("--api-url: give an https:// (or http://) URL, e.g. https://admin.example.com");
        };
        // reqwest has no TLS provider of its own here: even for http:// it is handed one.
        let tls_config = if tls { tls_config()? } else { plain_config()? };
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .tls_backend_preconfigured(tls_config);
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().context("--api-url: bad port")?),
            None => (authority, default_port),
        };
        if host == "localhost" || host.ends_with(".localhost") {
            builder = builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
        }
        Ok(Self {
            client: builder.build()?,
            base,
            token: token.trim().to_owned(),
        })
    }

    /// Calls the API; the JSON body of a success, or the problem's detail as the error.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value, Option<String>)> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("could not reach {}", self.base))?;
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let detail = value["detail"].as_str().unwrap_or(text.as_str());
            bail!("{} ({})", detail.trim(), status.as_u16());
        }
        Ok((status, value, etag))
    }
}

fn path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn tenants(api_url: &str, command: TenantsCommand) -> anyhow::Result<()> {
    crate::telemetry::init_logging("warn", false);
    let remote = Remote::new(api_url)?;
    match command {
        TenantsCommand::List { json, .. } => list(&remote, json).await,
        TenantsCommand::Create {
            slug,
            name,
            plan,
            tier,
            timeout,
            first_admin_email,
            ..
        } => {
            let body = json!({ "slug": slug, "name": name, "plan": plan, "tier": tier,
                               "first_admin_email": first_admin_email });
            let (_, created, _) = remote
                .call(Method::POST, "/api/v1/tenants", Some(body))
                .await?;
            let slug = created["slug"].as_str().unwrap_or_default().to_owned();
            wait_active(&remote, &slug, Duration::from_secs(timeout)).await?;
            println!("Created tenant {slug}: active");
            Ok(())
        }
        TenantsCommand::Update {
            slug, plan, name, ..
        } => {
            let path = format!("/api/v1/tenants/{}", path_segment(&slug));
            let (_, _, etag) = remote.call(Method::GET, &path, None).await?;
            let mut request = remote
                .client
                .request(Method::PATCH, format!("{}{path}", remote.base))
                .bearer_auth(&remote.token)
                .json(&json!({ "plan": plan, "name": name }));
            if let Some(etag) = etag {
                request = request.header("if-match", etag);
            }
            let response = request.send().await?;
            let status = response.status();
            let value: Value = response.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!(
                    "{} ({})",
                    value["detail"].as_str().unwrap_or("refused"),
                    status.as_u16()
                );
            }
            println!(
                "Updated tenant {slug}: plan {}, name {}",
                value["plan"], value["name"]
            );
            Ok(())
        }
        TenantsCommand::Suspend(a) => lifecycle(&remote, "suspend", &a.slug, None).await,
        TenantsCommand::Activate(a) => lifecycle(&remote, "activate", &a.slug, None).await,
        TenantsCommand::Delete(a) => lifecycle(&remote, "delete", &a.slug, None).await,
        TenantsCommand::Restore(a) if a.backup.is_some() => {
            bail!("restoring a backup runs beside the database; run it without --api-url")
        }
        TenantsCommand::Restore(a) => lifecycle(&remote, "restore", &a.lifecycle.slug, None).await,
        TenantsCommand::Retry(a) => lifecycle(&remote, "retry", &a.slug, None).await,
        TenantsCommand::Purge(a) => {
            lifecycle(&remote, "purge", &a.slug, a.confirm.as_deref()).await
        }
        TenantsCommand::Migrate { .. } => {
            bail!("tenants migrate runs beside the database; run it without --api-url")
        }
        TenantsCommand::Backup { .. }
        | TenantsCommand::Backups { .. }
        | TenantsCommand::Export { .. } => {
            bail!("backups and exports run beside the database; run them without --api-url")
        }
        TenantsCommand::Move {
            slug,
            to,
            tier,
            timeout,
            ..
        } => {
            let path = format!("/api/v1/tenants/{}/move", path_segment(&slug));
            let body = json!({ "to": to, "tier": tier });
            let (_, queued, _) = remote.call(Method::POST, &path, Some(body)).await?;
            let moved = wait_moved(&remote, &path, &queued, Duration::from_secs(timeout))
                .await
                .with_context(|| format!("the move of {slug}"))?;
            println!(
                "Moved {slug} to {} (suspended {} ms)",
                queued["to"].as_str().unwrap_or_default(),
                moved["suspended_ms"]
            );
            Ok(())
        }
    }
}

/// Every tenant the token sees, page by page.
async fn list(remote: &Remote, as_json: bool) -> anyhow::Result<()> {
    let mut all: Vec<Value> = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut path = "/api/v1/tenants?limit=200".to_owned();
        if !cursor.is_empty() {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (_, page, _) = remote.call(Method::GET, &path, None).await?;
        all.extend(page["tenants"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    println!(
        "{:<40} {:<13} {:<12} {:<9} NAME",
        "SLUG", "STATUS", "PLAN", "TIER"
    );
    for t in &all {
        println!(
            "{:<40} {:<13} {:<12} {:<9} {}",
            t["slug"].as_str().unwrap_or_default(),
            t["status"].as_str().unwrap_or_default(),
            t["plan"].as_str().unwrap_or_default(),
            t["tier"].as_str().unwrap_or_default(),
            t["name"].as_str().unwrap_or_default(),
        );
    }
    Ok(())
}

async fn lifecycle(
    remote: &Remote,
    action: &str,
    slug: &str,
    confirm: Option<&str>,
) -> anyhow::Result<()> {
    let mut path = format!("/api/v1/tenants/{}/{action}", path_segment(slug));
    if let Some(confirm) = confirm {
        path.push_str(&format!("?confirm={}", path_segment(confirm)));
    }
    let (_, tenant, _) = remote.call(Method::POST, &path, None).await?;
    println!(
        "Tenant {slug}: {}",
        tenant["status"].as_str().unwrap_or_default()
    );
    Ok(())
}

/// Polls the tenant's progress until it is active (or its provisioning failed).
/// Follows the move `queued` (the server's worker runs it) until it ends, showing its
/// step; its final state, or the job's error.
async fn wait_moved(
    remote: &Remote,
    path: &str,
    queued: &Value,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let start = Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    let outcome = loop {
        let (_, now, _) = remote.call(Method::GET, path, None).await?;
        if now["job_id"] != queued["job_id"] {
            break Err(anyhow::anyhow!("another move took its place"));
        }
        match now["status"].as_str() {
            Some("done") => break Ok(now),
            Some("failed") => {
                break Err(anyhow::anyhow!(
                    "failed: {}",
                    now["error"].as_str().unwrap_or("no error recorded")
                ));
            }
            _ => {}
        }
        if let Some(step) = now["step"].as_str() {
            bar.set_message(crate::tenancy::moves::jobs::step_label(step));
            bar.tick();
        }
        if start.elapsed() > timeout {
            break Err(anyhow::anyhow!(
                "still running after {} s (job {}); follow it on the tenant's page",
                timeout.as_secs(),
                queued["job_id"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    bar.finish_and_clear();
    outcome
}

async fn wait_active(remote: &Remote, slug: &str, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    let path = format!("/api/v1/tenants/{}/progress", path_segment(slug));
    loop {
        let (_, progress, _) = remote.call(Method::GET, &path, None).await?;
        if progress["status"] == "active" {
            return Ok(());
        }
        if let Some(error) = progress["last_error"].as_str() {
            bail!("provisioning {slug} failed: {error}");
        }
        if start.elapsed() > timeout {
            bail!(
                "{slug} is not active after {} s; follow it with `tenants list`",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
