//! The one integration-test binary (each extra binary costs link time): every test gets
//! its own control-plane database on one PostgreSQL cluster per run.

mod auth;
mod browser;
mod cli;
mod console_tenants;
mod crm;
mod embedded_pg;
mod helpers;
mod invitations;
mod modules;
mod platform;
mod pools;
mod roles;
mod tenancy;
mod tenant_console;
mod web;
