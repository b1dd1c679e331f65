//! Telling "the database cannot be reached right now" from a failure of ours. The first
//! is an answer to give (503: try again shortly) and passes when PostgreSQL is back; the
//! second is a bug (500, logged). One rule for every pool: the control plane's, the
//! tenants' and the listeners'.
//!
//! The rule reads an error's whole source chain, so a service error that wraps a
//! `sqlx::Error` must keep it as its source (`#[error("{0}")]`, not
//! `#[error(transparent)]`, which hides the wrapped error from the chain).

use std::cell::Cell;
use std::error::Error;
use std::io::ErrorKind;

/// Whether `e`, or any error behind it, says the database cannot be reached: no
/// connection within the acquire timeout, a refused or broken connection, or the server
/// shutting down, starting up or out of connection slots.
pub fn is_unavailable(e: &(dyn Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if says_unavailable(e) {
            return true;
        }
        next = e.source();
    }
    false
}

fn says_unavailable(e: &(dyn Error + 'static)) -> bool {
    if let Some(e) = e.downcast_ref::<sqlx::Error>() {
        return match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
            _ => false,
        };
    }
    if let Some(e) = e.downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return unavailable_code(e.code());
    }
    if let Some(e) = e.downcast_ref::<std::io::Error>() {
        return matches!(
            e.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::NotConnected
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::TimedOut
        );
    }
    false
}

/// Whether `e`, or any error behind it, says that what a connection logs in to is gone:
/// the database (3D000), its schema (3F000) or the login role (28000, 28P01) does not
/// exist or no longer accepts the login. A tenant's storage dropped behind the app's
/// back: not a bug in the request, and not passing by itself either.
pub fn is_missing_storage(e: &(dyn Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        let code = match e.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(db)) => db.code().map(|c| c.into_owned()),
            _ => e
                .downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .map(|db| db.code().to_owned()),
        };
        if code.is_some_and(|c| matches!(c.as_str(), "3D000" | "3F000" | "28000" | "28P01")) {
            return true;
        }
        next = e.source();
    }
    false
}

/// SQLSTATE class 08 (connection exception), the server shutting down or starting up
/// (57P01–57P03), and too many connections (53300).
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

tokio::task_local! {
    static SEEN: Cell<bool>;
}

/// Runs `f` (one request), and says whether anything it ran [`note`]d an unreachable
/// database. Layers we do not own (the session and sign-in layers) answer a failed store
/// with a bare 500; this is how the error page learns that it was an outage.
pub async fn watch<F: Future>(f: F) -> (F::Output, bool) {
    SEEN.scope(Cell::new(false), async move {
        let out = f.await;
        (out, SEEN.with(Cell::get))
    })
    .await
}

/// Records, for the [`watch`] around the current request (if any), that the database
/// could not be reached.
pub fn note() {
    let _ = SEEN.try_with(|seen| seen.set(true));
}

/// [`note`]s `e` if it is an outage; returns it unchanged.
pub fn noted<E: Error + 'static>(e: E) -> E {
    if is_unavailable(&e) {
        note();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Wrapper {
        #[error("{0}")]
        Db(#[from] sqlx::Error),
    }

    #[test]
    fn outages_are_told_from_failures() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        let refused = std::io::Error::from(ErrorKind::ConnectionRefused);
        assert!(is_unavailable(&sqlx::Error::Io(refused)));
        // Through a service error and anyhow's context, the cause is still found.
        let wrapped = anyhow::Error::from(Wrapper::from(sqlx::Error::PoolTimedOut))
            .context("loading the page");
        assert!(is_unavailable(wrapped.as_ref()));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::Protocol("bad".into())));
        assert!(!is_unavailable(&*anyhow::anyhow!("a bug")));
        assert!(unavailable_code("08006") && unavailable_code("57P01"));
        assert!(!unavailable_code("23505") && !unavailable_code("3D000"));
    }

    /// The rule reads source chains: a service error that wrapped a database error
    /// transparently would hide it, and an outage would be answered as a bug (500).
    #[test]
    fn no_service_error_wraps_a_database_error_transparently() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read");
                    let lines: Vec<&str> = text.lines().collect();
                    for pair in lines.windows(2) {
                        let wraps = pair[1].contains("#[from]")
                            && ["sqlx::Error)", "anyhow::Error)", "PoolError)", "DataError)"]
                                .iter()
                                .any(|t| pair[1].contains(t));
                        if pair[0].contains("#[error(transparent)]")
                            && wraps
                            && !pair[1].contains("Internal(")
                        {
                            found.push(format!("{}: {}", path.display(), pair[1].trim()));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "use #[error(\"{{0}}\")] instead: {found:#?}"
        );
    }

    #[tokio::test]
    async fn a_note_reaches_the_watch_around_it_only() {
        let ((), seen) = watch(async { note() }).await;
        assert!(seen);
        let ((), seen) = watch(async {}).await;
        assert!(!seen);
        // Outside any watch a note is harmless.
        note();
    }
}
