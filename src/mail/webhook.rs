//! The platform webhook: alert events POSTed as JSON to `TENANTRY_ALERT_WEBHOOK_URL`,
//! signed so the receiver can tell them from forgeries, retried with backoff like mail.
//!
//! Each request carries `Tenantry-Event`, `Tenantry-Delivery` (the same id on every
//! retry, so a receiver can drop duplicates) and
//! `Tenantry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
//! `TENANTRY_ALERT_WEBHOOK_SECRET` as the key. The timestamp inside the signed text lets
//! a receiver refuse replays of an old request. Delivery is at least once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use crate::config::Config;
use crate::control::webhooks;
use crate::mail::worker::backoff;
use crate::secret::Secret;

const BATCH: usize = 20;
const POLL: Duration = Duration::from_secs(5);

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// How long one delivery attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where events go and the key they are signed with.
#[derive(Clone)]
pub struct Webhook {
    url: axum::http::Uri,
    secret: Secret,
    client: HttpClient,
}

impl Webhook {
    /// `None` when no webhook is configured; an error (stopping the start) for a URL that
    /// is not http(s) or a URL without a secret.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.alert_webhook_url else {
            return Ok(None);
        };
        let url: axum::http::Uri = url
            .parse()
            .ok()
            .filter(|u: &axum::http::Uri| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
            })
            .context("TENANTRY_ALERT_WEBHOOK_URL must be an http:// or https:// URL")?;
        let secret = config
            .alert_webhook_secret
            .clone()
            .filter(|s| s.expose().len() >= 16)
            .context(
                "TENANTRY_ALERT_WEBHOOK_SECRET (16 characters or more) must be set with \
                 TENANTRY_ALERT_WEBHOOK_URL: receivers check the signature with it",
            )?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .context("could not set up TLS for the webhook")?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        Ok(Some(Self {
            url,
            secret,
            client,
        }))
    }

    /// Where events go, without any credentials or query (for the start-up log).
    pub fn describe(&self) -> String {
        format!(
            "{}://{}{}",
            self.url.scheme_str().unwrap_or("http"),
            self.url.host().unwrap_or(""),
            self.url.path()
        )
    }

    async fn post(&self, id: Uuid, event: &str, body: &[u8]) -> Result<(), Failure> {
        let t = time::OffsetDateTime::now_utc().unix_timestamp();
        let request = axum::http::Request::post(self.url.clone())
            .header("content-type", "application/json")
            .header("user-agent", "Tenantry-Webhook")
            .header("tenantry-event", event)
            .header("tenantry-delivery", id.to_string())
            .header("tenantry-signature", signature(&self.secret, t, body))
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| Failure {
                message: format!("could not build the request: {e}"),
                permanent: true,
            })?;
        // Errors are described without the URL: its query may carry a token.
        let status = match tokio::time::timeout(TIMEOUT, self.client.request(request)).await {
            Ok(Ok(response)) => response.status(),
            Ok(Err(e)) if e.is_connect() => return Err(Failure::retry("could not connect")),
            Ok(Err(_)) => return Err(Failure::retry("the request failed")),
            Err(_) => return Err(Failure::retry("no answer within 10 s")),
        };
        if status.is_success() {
            return Ok(());
        }
        // A receiver that refuses the request itself will refuse it again; a busy or
        // failing one may not.
        let permanent = status.is_client_error()
            && status != StatusCode::REQUEST_TIMEOUT
            && status != StatusCode::TOO_MANY_REQUESTS;
        Err(Failure {
            message: format!("answered {status}"),
            permanent,
        })
    }
}

struct Failure {
    message: String,
    permanent: bool,
}

impl Failure {
    fn retry(message: &str) -> Self {
        Self {
            message: message.to_owned(),
            permanent: false,
        }
    }
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &Secret, t: i64, body: &[u8]) -> String {
    // ok: HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Delivers up to one batch of due events; each is claimed, posted and marked in one
/// transaction, so any number of instances can run side by side.
pub async fn run_once(db: &PgPool, hook: &Webhook, config: &Config) -> sqlx::Result<Counts> {
    let mut counts = Counts::default();
    let mut handled: Vec<Uuid> = Vec::new();
    while handled.len() < BATCH {
        let mut tx = db.begin().await?;
        let Some(d) = webhooks::claim_due(&mut tx, &handled).await? else {
            tx.rollback().await?;
            break;
        };
        handled.push(d.id);
        let body = serde_json::to_vec(&serde_json::json!({
            "id": d.id, "event": d.event, "data": d.payload,
        }))
        .unwrap_or_default();
        match hook.post(d.id, &d.event, &body).await {
            Ok(()) => {
                webhooks::mark_sent(&mut tx, d.id).await?;
                metrics::counter!("tenantry_webhook_sent_total").increment(1);
                counts.sent += 1;
            }
            Err(f) => {
                let attempts = u32::try_from(d.attempts).unwrap_or(0) + 1;
                metrics::counter!("tenantry_webhook_errors_total").increment(1);
                if f.permanent || attempts >= config.mail_max_attempts {
                    tracing::error!(delivery = %d.id, attempts, error = %f.message,
                        "webhook not delivered; giving up");
                    webhooks::mark_failed(&mut tx, d.id, &f.message, None).await?;
                    counts.failed += 1;
                } else {
                    let wait = backoff(config.mail_retry_secs, attempts);
                    tracing::warn!(delivery = %d.id, attempts, error = %f.message,
                        retry_in_secs = wait.as_secs(), "webhook not delivered; will retry");
                    webhooks::mark_failed(&mut tx, d.id, &f.message, Some(wait)).await?;
                    counts.retrying += 1;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(counts)
}

/// Runs until `stop` turns true, polling for due deliveries.
pub async fn run_forever(
    db: PgPool,
    hook: Webhook,
    config: Arc<Config>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let full = match run_once(&db, &hook, &config).await {
            Ok(c) => c.sent + c.retrying + c.failed >= BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "webhook run failed; trying again shortly");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !full {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        let secret = Secret::new("0123456789abcdef0123");
        let a = signature(&secret, 1_700_000_000, b"{\"a\":1}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature(&secret, 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(a, signature(&secret, 1_700_000_000, b"{\"a\":2}"));
        assert_ne!(
            a,
            signature(
                &Secret::new("another secret 0000"),
                1_700_000_000,
                b"{\"a\":1}"
            )
        );
    }
}
