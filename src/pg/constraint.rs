//! A constraint is the one judge of "already taken": a statement that violates a unique
//! key named here becomes the caller's domain error; every other error passes on as a
//! database error. (realworld-axum-sqlx's `on_constraint` is the idea.)

/// Maps a violation of `constraint` to `to()`, any other error through `From`.
pub fn map<E: From<sqlx::Error>>(e: sqlx::Error, constraint: &str, to: impl FnOnce() -> E) -> E {
    match e {
        sqlx::Error::Database(d) if d.constraint() == Some(constraint) => to(),
        e => e.into(),
    }
}

/// [`map`] for a statement's result.
pub trait OnConstraint<T> {
    fn on_constraint<E: From<sqlx::Error>>(
        self,
        constraint: &str,
        to: impl FnOnce() -> E,
    ) -> Result<T, E>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_constraint<E: From<sqlx::Error>>(
        self,
        constraint: &str,
        to: impl FnOnce() -> E,
    ) -> Result<T, E> {
        self.map_err(|e| map(e, constraint, to))
    }
}
