//! Tenantry: the control plane and admin console of a multi-tenant SaaS on PostgreSQL.
//!
//! `main.rs` only parses the command line; everything else lives here so the tests build
//! and serve the very same application on port 0.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod control;
pub mod mail;
pub mod modules;
pub mod pg;
pub mod rules;
pub mod secret;
pub mod state;
pub mod telemetry;
pub mod tenancy;
pub mod web;

pub use config::Config;
pub use state::AppState;
pub use web::serve;

/// mimalloc instead of glibc's malloc, for every binary built on this library (the
/// server, the CLI, the tests and benches). Measured with `benches/tenant_pages.rs`: a
/// page spends a sixth of the server's CPU in glibc's malloc and free, and after serving
/// thousands of tenants glibc keeps freed memory in fragmented arenas, where mimalloc
/// gives it back to the system (README, "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
