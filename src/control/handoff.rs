//! Hand-off tokens: "Open console" on the platform issues one (with the staff member's
//! reason, audited); the tenant host consumes it once, within a minute, to start a
//! session there. Cookies never cross hosts.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};

/// How long a hand-off link stays valid.
pub const LIFETIME_SECS: i64 = 60;

/// Issues a token for `user` to open `tenant`'s console, audited with the reason.
pub async fn issue(
    db: &PgPool,
    user: &Actor,
    user_id: Uuid,
    tenant: Uuid,
    slug: &str,
    reason: &str,
    origin: &Origin,
) -> sqlx::Result<String> {
    let (plain, hash) = token::generate();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into handoff_tokens (token_hash, user_id, tenant_id, reason, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        &hash[..],
        user_id,
        tenant,
        reason,
        LIFETIME_SECS as f64
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor: user,
            action: "tenant.console_link_issued",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "tenant_id": tenant, "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plain)
}

/// A consumed hand-off: who may open the console, and the reason they gave.
pub struct Handoff {
    pub user_id: Uuid,
    pub reason: String,
}

/// Consumes a token for `tenant`: the user it was issued to, if it is unused, unexpired
/// and for this tenant.
pub async fn consume(db: &PgPool, plain: &str, tenant: Uuid) -> sqlx::Result<Option<Handoff>> {
    let hash = token::hash(plain);
    sqlx::query_as!(
        Handoff,
        "update handoff_tokens set used_at = now()
         where token_hash = $1 and tenant_id = $2 and used_at is null and expires_at > now()
         returning user_id, reason",
        &hash[..],
        tenant
    )
    .fetch_optional(db)
    .await
}
