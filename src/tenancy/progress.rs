//! How far a tenant's provisioning has come: each step done, running, failed or waiting,
//! and the share done. The console's progress list and the API's progress endpoint both
//! read it from here.

use crate::tenancy::provision::{self, Step};
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::Tenant;

/// One step and where it stands: `done`, `running`, `failed` or `waiting`.
pub struct StepState {
    pub step: Step,
    pub state: &'static str,
}

/// The tenant's steps in order, and the percentage done.
pub fn of(tenant: &Tenant) -> (Vec<StepState>, usize) {
    let steps = provision::steps(tenant.tier());
    let current = tenant.progress_step.as_deref();
    let done_upto = match (tenant.status, current) {
        (TenantStatus::Pending, _) => 0,
        (TenantStatus::Provisioning, Some(key)) => {
            steps.iter().position(|s| s.key() == key).unwrap_or(0)
        }
        _ => steps.len(),
    };
    let failed = tenant.last_error.is_some();
    let states = steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepState {
            step: *s,
            state: if i < done_upto {
                "done"
            } else if i == done_upto && failed {
                "failed"
            } else if i == done_upto {
                "running"
            } else {
                "waiting"
            },
        })
        .collect();
    (states, done_upto * 100 / steps.len().max(1))
}

/// What `tenants migrate` writes before the cause of a tenant's failed migration.
pub const MIGRATION_FAILED: &str = "migration failed: ";

/// A job's recorded error, taken apart: where it failed (the step the worker names
/// before the cause, or a fleet migration) and the technical cause as recorded. Pages
/// say where in the reader's words and show the cause as it is.
#[derive(Debug, PartialEq, Eq)]
pub enum FailedAt<'a> {
    Step(Step, &'a str),
    /// A migration run by `tenants migrate` (the worker's own is [`Step::Migrations`]).
    Migration(&'a str),
    /// Nothing names where (a purge's error, for one): the cause alone.
    Cause(&'a str),
}

/// Reads `error` as the worker and `tenants migrate` record it.
pub fn failed_at(error: &str) -> FailedAt<'_> {
    use Step::*;
    let named = [
        Role,
        Database,
        SharedDatabase,
        Schema,
        Privileges,
        Migrations,
        Seed,
    ]
    .into_iter()
    .find_map(|step| {
        // The worker adds the step's label as the error's context: "<label>: <cause>".
        let cause = error.strip_prefix(step.label())?.strip_prefix(": ")?;
        Some(FailedAt::Step(step, cause))
    });
    named.unwrap_or_else(|| match error.strip_prefix(MIGRATION_FAILED) {
        Some(cause) => FailedAt::Migration(cause),
        None => FailedAt::Cause(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_error_names_its_step_apart_from_its_cause() {
        assert_eq!(
            failed_at("Creating its database: permission denied to create database"),
            FailedAt::Step(Step::Database, "permission denied to create database")
        );
        assert_eq!(
            failed_at("migration failed: migration 3 (crm) failed: syntax error"),
            FailedAt::Migration("migration 3 (crm) failed: syntax error")
        );
        assert_eq!(
            failed_at("connection refused"),
            FailedAt::Cause("connection refused")
        );
    }
}
