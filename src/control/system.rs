//! Facts about the control plane itself, for the dashboard and the probes.

use sqlx::PgPool;

pub async fn ping(db: &PgPool) -> sqlx::Result<()> {
    sqlx::query!("select 1 as one").fetch_one(db).await?;
    Ok(())
}

/// Whether every migration embedded in this binary has been applied.
pub async fn schema_current(db: &PgPool) -> sqlx::Result<bool> {
    let latest = crate::pg::control_db::migrator()
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let applied = sqlx::query_scalar!(
        r#"select coalesce(max(version), 0) as "v!" from _sqlx_migrations where success"#
    )
    .fetch_one(db)
    .await?;
    Ok(applied >= latest)
}

pub struct DbStats {
    pub database: String,
    pub size_bytes: i64,
    pub server_version: String,
}

pub async fn db_stats(db: &PgPool) -> sqlx::Result<DbStats> {
    let row = sqlx::query!(
        r#"select current_database() as "database!", pg_database_size(current_database()) as "size!",
                  current_setting('server_version') as "version!""#
    )
    .fetch_one(db)
    .await?;
    Ok(DbStats {
        database: row.database,
        size_bytes: row.size,
        server_version: row.version,
    })
}
