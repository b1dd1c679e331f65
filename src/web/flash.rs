//! One-shot messages that survive the redirect after a POST: every successful POST
//! redirects (a refresh never repeats it), and what it did is said on the page it lands
//! on, once. Kept in the session, so nothing about the outcome is ever in a URL.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const KEY: &str = "flash";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// An action went through.
    Success,
    /// An action was refused; the text names why.
    Refusal,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: Kind,
    pub text: String,
    /// A secret shown this once beside the text (a new API token), with a copy button.
    pub secret: Option<String>,
}

impl Flash {
    pub fn is_success(&self) -> bool {
        self.kind == Kind::Success
    }
}

async fn push(
    session: &Session,
    kind: Kind,
    text: String,
    secret: Option<String>,
) -> Result<(), tower_sessions::session::Error> {
    let mut pending: Vec<Flash> = session.get(KEY).await?.unwrap_or_default();
    pending.push(Flash { kind, text, secret });
    session.insert(KEY, pending).await
}

/// Says on the next page that an action went through.
pub async fn success(
    session: &Session,
    text: impl Into<String>,
) -> Result<(), tower_sessions::session::Error> {
    push(session, Kind::Success, text.into(), None).await
}

/// Says on the next page why an action was refused.
pub async fn refusal(
    session: &Session,
    text: impl Into<String>,
) -> Result<(), tower_sessions::session::Error> {
    push(session, Kind::Refusal, text.into(), None).await
}

/// Shows `secret` once on the next page (it lives in the session only until then).
pub async fn secret(
    session: &Session,
    text: impl Into<String>,
    secret: String,
) -> Result<(), tower_sessions::session::Error> {
    push(session, Kind::Success, text.into(), Some(secret)).await
}

/// The messages waiting for this page; they are gone once read.
pub async fn take(session: &Session) -> Result<Vec<Flash>, tower_sessions::session::Error> {
    // `remove` marks the session modified (a store write) even when nothing is there:
    // look first, so the pages without a message cost no write.
    let pending: Option<Vec<Flash>> = session.get(KEY).await?;
    if pending.is_some() {
        session.remove::<Vec<Flash>>(KEY).await?;
    }
    Ok(pending.unwrap_or_default())
}
