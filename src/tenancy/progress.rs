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
