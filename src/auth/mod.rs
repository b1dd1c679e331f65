//! Who is asking: password hashing, the axum-login backend, sign-in with throttling,
//! CSRF tokens, one-time tokens and the guards that pages use.

pub mod backend;
pub mod csrf;
pub mod guard;
pub mod login;
pub mod password;
pub mod token;

pub use backend::{AuthSession, Backend, Credentials};
