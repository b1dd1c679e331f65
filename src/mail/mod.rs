//! Outgoing mail: composing messages (text and HTML, with the tenant's branding), the
//! SMTP transport, and the worker that drains the outbox.

pub mod compose;
pub mod texts;
pub mod transport;
pub mod webhook;
pub mod worker;
