//! The outbox: mail waiting to be sent. A request only inserts here, in the same
//! transaction as what the message announces; the mail worker (`crate::mail::worker`)
//! delivers it.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::mail::compose::Composed;

/// What a message is about (shown in the outbox, used in metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    PasswordReset,
    Notice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
            Self::Notice => "notice",
        }
    }
}

/// Queues `mail` for `recipient`. With `tenant` set, the message waits until that tenant
/// is active (a first admin's invitation waits for provisioning).
pub async fn enqueue(
    conn: &mut PgConnection,
    kind: Kind,
    tenant: Option<Uuid>,
    recipient: &str,
    mail: &Composed,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "insert into outbox (id, kind, tenant_id, recipient, subject, body_text, body_html, link)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        kind.as_str(),
        tenant,
        recipient,
        mail.subject,
        mail.text,
        mail.html,
        mail.link,
    )
    .execute(conn)
    .await?;
    Ok(id)
}
