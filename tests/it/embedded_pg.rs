//! Embedded cluster tests (coming with the supervisor).
