//! The time zones PostgreSQL knows: the ones a tenant may choose, since PostgreSQL is what
//! turns their timestamps into local times.

use sqlx::PgPool;
use tokio::sync::OnceCell;

static NAMES: OnceCell<Vec<String>> = OnceCell::const_new();

/// Every zone name, sorted (read once: the list only changes with PostgreSQL's tzdata).
pub async fn names(db: &PgPool) -> sqlx::Result<&'static [String]> {
    let names = NAMES
        .get_or_try_init(|| async {
            sqlx::query_scalar::<_, String>(
                "select name from pg_timezone_names
                 where name not like 'posix/%' and name not like 'Etc/%' and name !~ '^[A-Z0-9+-]+$'
                    or name = 'UTC'
                 order by name",
            )
            .fetch_all(db)
            .await
        })
        .await?;
    Ok(names.as_slice())
}

/// Whether `name` is one of [`names`].
pub async fn is_known(db: &PgPool, name: &str) -> sqlx::Result<bool> {
    Ok(names(db).await?.iter().any(|n| n == name))
}
