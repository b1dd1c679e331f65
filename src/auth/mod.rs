//! Who is asking: password hashing, the axum-login backend, sign-in with throttling,
//! one-time tokens, the access guard and the cache of who may do what.

pub mod backend;
pub mod cached;
pub mod guard;
pub mod login;
pub mod password;
pub mod sessions;
pub mod token;

pub use backend::{AuthSession, Backend, Credentials};
