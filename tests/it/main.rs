//! The one integration-test binary (each extra binary costs link time): every test gets
//! its own control-plane database on one PostgreSQL cluster per run.

mod api_tokens;
mod audit;
mod auth;
mod billing;
mod browser;
mod cli;
mod console_tenants;
mod crm;
mod embedded_pg;
mod faults;
mod fuzz;
mod hardening;
mod helpers;
mod host_rule;
mod input_edge;
mod instances;
mod inventory;
mod invitations;
mod mail;
mod module_catalog;
mod module_levels;
mod modules;
mod password_reset;
mod platform;
mod pools;
mod props;
mod roles;
mod segments;
mod smtp_sink;
mod tasks;
mod tenancy;
mod tenant_console;
mod tenant_sql;
mod usage;
mod web;
