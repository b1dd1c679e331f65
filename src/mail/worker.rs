//! The mail worker: drains the outbox. Each message is claimed in its own transaction
//! with `FOR UPDATE SKIP LOCKED` (so any number of app instances can run side by side),
//! sent, and marked in that same transaction. A failed attempt is retried with
//! exponential backoff; after `mail_max_attempts` the message is marked failed and waits
//! for an owner to resend it from the Outbox page.
//!
//! Delivery is at least once: if the process dies (or the database is lost) after the
//! SMTP server accepted a message but before the mark commits, the claim is rolled back
//! and the message is sent again. Both copies carry the same Message-ID.
//!
//! With no SMTP server configured nothing is sent: messages stay pending and readable in
//! the outbox, and each one's link is logged once at INFO (`link_logged_at` remembers it
//! across restarts).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;
use uuid::Uuid;

use crate::config::Config;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::outbox::{self, CHANNEL, Claimed};
use crate::mail::transport::{Mailer, Outgoing, SendError};

/// Messages handled by one run at most, so a stop request is noticed between batches.
const BATCH: usize = 20;
/// How often the outbox is looked at without a notification (held messages become due
/// when their tenant turns active, and retries when their time comes).
const POLL: Duration = Duration::from_secs(5);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: usize,
    /// Failed attempts that will be tried again.
    pub retrying: usize,
    /// Messages given up on.
    pub failed: usize,
    /// Links logged because no SMTP server is configured.
    pub logged: usize,
}

impl Counts {
    fn handled(&self) -> usize {
        self.sent + self.retrying + self.failed + self.logged
    }
}

/// Delivers (or, without a mailer, logs) up to one batch of due messages.
pub async fn run_once(
    db: &PgPool,
    mailer: Option<&Mailer>,
    config: &Config,
) -> sqlx::Result<Counts> {
    let mut counts = Counts::default();
    let Some(mailer) = mailer else {
        for m in outbox::take_unlogged(db, BATCH as i64).await? {
            tracing::info!(
                mail_id = %m.id,
                kind = %m.kind,
                "no SMTP server configured; mail to {} kept in the outbox: {} → {}",
                m.recipient,
                m.subject,
                m.link.as_deref().unwrap_or("(no link)")
            );
            counts.logged += 1;
        }
        return Ok(counts);
    };
    let mut handled: Vec<Uuid> = Vec::new();
    while handled.len() < BATCH {
        let mut tx = db.begin().await?;
        let Some(m) = outbox::claim_due(&mut tx, &handled).await? else {
            tx.rollback().await?;
            break;
        };
        handled.push(m.id);
        let result = mailer
            .send(&Outgoing {
                id: m.id,
                recipient: &m.recipient,
                subject: &m.subject,
                text: &m.body_text,
                html: &m.body_html,
            })
            .await;
        // A crash from here to the commit resends this message later (at least once).
        match result {
            Ok(()) => {
                outbox::mark_sent(&mut tx, m.id).await?;
                if let Some(tenant) = m.tenant_id {
                    crate::control::metering::mail_sent(&mut *tx, tenant).await?;
                }
                audit::record(
                    &mut *tx,
                    NewEvent {
                        actor: &Actor::system(),
                        action: "outbox.sent",
                        tenant: m.tenant_id,
                        target: Some(&m.recipient),
                        origin: &Origin::default(),
                        details: json!({ "message_id": m.id, "kind": m.kind, "attempts": m.attempts + 1 }),
                    },
                )
                .await?;
                metrics::counter!("tenantry_mail_sent_total", "kind" => m.kind.clone())
                    .increment(1);
                counts.sent += 1;
            }
            Err(e) => {
                metrics::counter!("tenantry_mail_send_errors_total", "kind" => m.kind.clone())
                    .increment(1);
                let attempts = u32::try_from(m.attempts).unwrap_or(0) + 1;
                if e.is_permanent() || attempts >= config.mail_max_attempts {
                    give_up(&mut tx, &m, attempts, &e).await?;
                    counts.failed += 1;
                } else {
                    let wait = backoff(config.mail_retry_secs, attempts);
                    tracing::warn!(mail_id = %m.id, kind = %m.kind, attempts, error = %e,
                        retry_in_secs = wait.as_secs(), "mail not sent; will retry");
                    outbox::mark_retry(&mut tx, m.id, &e.to_string(), wait).await?;
                    counts.retrying += 1;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(counts)
}

async fn give_up(
    tx: &mut sqlx::PgConnection,
    m: &Claimed,
    attempts: u32,
    e: &SendError,
) -> sqlx::Result<()> {
    let error = e.to_string();
    tracing::error!(mail_id = %m.id, kind = %m.kind, attempts, error = %error,
        "mail not sent; giving up (an owner can resend it from the Outbox page)");
    outbox::mark_failed(tx, m.id, &error).await?;
    metrics::counter!("tenantry_mail_failed_total", "kind" => m.kind.clone()).increment(1);
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::system(),
            action: "outbox.failed",
            tenant: m.tenant_id,
            target: Some(&m.recipient),
            origin: &Origin::default(),
            details: json!({ "message_id": m.id, "kind": m.kind, "attempts": attempts, "error": error }),
        },
    )
    .await
}

/// The wait after the `attempts`-th failed attempt: `base`, then twice as long each time,
/// at most [`MAX_BACKOFF`].
pub fn backoff(base_secs: u64, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(32);
    let secs = base_secs.saturating_mul(1u64 << doublings);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Runs until `stop` turns true: a batch, then (unless the batch was full) a wait for a
/// notification from `enqueue` or the poll interval.
pub async fn run_forever(
    db: PgPool,
    mailer: Option<Mailer>,
    config: Arc<Config>,
    mut stop: watch::Receiver<bool>,
) {
    let mut listener = listen(&db).await;
    loop {
        if *stop.borrow() {
            break;
        }
        let full = match run_once(&db, mailer.as_ref(), &config).await {
            Ok(counts) => counts.handled() >= BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "mail worker: the outbox could not be read");
                false
            }
        };
        if full {
            continue;
        }
        let lost = {
            let notified = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.changed() => false,
                () = tokio::time::sleep(POLL) => false,
                woke = notified => woke.is_err(),
            }
        };
        if lost {
            // Polling goes on; listening is tried again right away, then on later waits.
            tracing::debug!("mail worker: the notification connection was lost");
            listener = None;
        }
        if listener.is_none() {
            listener = listen(&db).await;
        }
    }
}

async fn listen(db: &PgPool) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(db).await.ok()?;
    listener.listen(CHANNEL).await.ok()?;
    Some(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        assert_eq!(backoff(30, 1), Duration::from_secs(30));
        assert_eq!(backoff(30, 2), Duration::from_secs(60));
        assert_eq!(backoff(30, 4), Duration::from_secs(240));
        assert_eq!(backoff(30, 40), MAX_BACKOFF);
        assert_eq!(backoff(u64::MAX, 3), MAX_BACKOFF);
        assert_eq!(backoff(0, 5), Duration::ZERO);
    }
}
