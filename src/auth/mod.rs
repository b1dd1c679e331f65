//! Who is asking: password hashing, the axum-login backend, sign-in with throttling,
//! one-time tokens and the access guard.

pub mod backend;
pub mod guard;
pub mod login;
pub mod password;
pub mod token;

pub use backend::{AuthSession, Backend, Credentials};
