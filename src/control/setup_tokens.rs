//! First-run setup tokens. Only their SHA-256 is stored; a token is consumed in the same
//! transaction that creates the first owner.

use sqlx::{PgExecutor, PgPool};

use crate::auth::token;

/// Issues a fresh token (older unused ones stop working) and returns it for the log line.
pub async fn issue(db: &PgPool) -> sqlx::Result<String> {
    let (plain, hash) = token::generate();
    let mut tx = db.begin().await?;
    sqlx::query!("delete from setup_tokens where used_at is null")
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "insert into setup_tokens (token_hash) values ($1)",
        &hash[..]
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(plain)
}

/// Whether `plain` is an unused token (to decide what the setup page shows).
pub async fn is_valid(db: &PgPool, plain: &str) -> sqlx::Result<bool> {
    let hash = token::hash(plain);
    sqlx::query_scalar!(
        r#"select exists(select 1 from setup_tokens where token_hash = $1 and used_at is null) as "e!""#,
        &hash[..]
    )
    .fetch_one(db)
    .await
}

/// Marks `plain` used; false when it is unknown or already used.
pub async fn consume(db: impl PgExecutor<'_>, plain: &str) -> sqlx::Result<bool> {
    let hash = token::hash(plain);
    let done = sqlx::query!(
        "update setup_tokens set used_at = now() where token_hash = $1 and used_at is null",
        &hash[..]
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
