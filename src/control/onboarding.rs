//! Onboarding: the checklist a new tenant works through (company profile, invite the
//! team, choose modules, and billing details when the plan includes billing), computed
//! from the control plane alone so the platform's tenant list can show it for a whole
//! page of tenants in one query.

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

/// One step of the checklist.
#[derive(Clone, Debug)]
pub struct Step {
    pub label: &'static str,
    pub hint: &'static str,
    /// The tenant-console page where the step is done.
    pub path: &'static str,
    pub done: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Checklist {
    pub steps: Vec<Step>,
}

impl Checklist {
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }

    pub fn total(&self) -> usize {
        self.steps.len()
    }

    pub fn complete(&self) -> bool {
        self.done() == self.total()
    }

    pub fn percent(&self) -> usize {
        (self.done() * 100).checked_div(self.total()).unwrap_or(100)
    }
}

/// Checklists of `tenants`, keyed by tenant id.
pub async fn checklists(db: &PgPool, tenants: &[Uuid]) -> sqlx::Result<HashMap<Uuid, Checklist>> {
    let rows = sqlx::query!(
        r#"select t.id,
                  t.profile_completed_at is not null as "profile!",
                  ((select count(*) from memberships m where m.tenant_id = t.id) > 1
                   or exists (select 1 from invitations i
                              join memberships m on m.user_id = i.invited_by and m.tenant_id = t.id
                              where i.tenant_id = t.id)) as "team!",
                  exists (select 1 from tenant_modules tm where tm.tenant_id = t.id) as "modules!",
                  exists (select 1 from modules mo
                          where mo.needs_billing_details and t.plan_id = any(mo.plans)) as "billing_applies!",
                  exists (select 1 from tenant_billing b where b.tenant_id = t.id) as "billing!"
           from tenants t where t.id = any($1)"#,
        tenants
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut steps = vec![
                Step {
                    label: "Company profile",
                    hint: "Check your name, time zone, currency and branding.",
                    path: "/settings",
                    done: r.profile,
                },
                Step {
                    label: "Invite your team",
                    hint: "Invite the people who will work here.",
                    path: "/members",
                    done: r.team,
                },
                Step {
                    label: "Choose modules",
                    hint: "Turn on the modules your plan includes.",
                    path: "/modules",
                    done: r.modules,
                },
            ];
            if r.billing_applies {
                steps.push(Step {
                    label: "Billing details",
                    hint: "Add your billing details so Billing can be enabled.",
                    path: "/settings",
                    done: r.billing,
                });
            }
            (r.id, Checklist { steps })
        })
        .collect())
}

/// One tenant's checklist.
pub async fn checklist(db: &PgPool, tenant: Uuid) -> sqlx::Result<Checklist> {
    Ok(checklists(db, &[tenant])
        .await?
        .remove(&tenant)
        .unwrap_or_default())
}

/// Records that the tenant's people saved its profile (the first time counts).
pub async fn profile_saved(db: &PgPool, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update tenants set profile_completed_at = coalesce(profile_completed_at, now()) where id = $1",
        tenant
    )
    .execute(db)
    .await?;
    Ok(())
}
