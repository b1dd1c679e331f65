//! PostgreSQL plumbing: the embedded cluster supervisor, the control-plane connection and
//! the rules for identifiers that reach DDL, and constraint violations as domain errors.

pub mod constraint;
pub mod control_db;
pub mod embedded;
pub mod ident;
pub mod outage;
pub mod pool;
pub mod text_enum;
pub mod timezones;
