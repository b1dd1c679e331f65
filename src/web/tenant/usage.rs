//! The tenant's usage against its plan: people, modules, API calls this month and
//! storage, for those who see the tenant's records (admins, and staff with access).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::control::usage;
use crate::state::AppState;
use crate::tenancy::{stats, tenants};
use crate::web::error::{AppError, Result};
use crate::web::format::{human_bytes, thousands};
use crate::web::layout::Layout;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new().route("/usage", get(usage_page))
}

/// One figure beside its limit.
struct Meter {
    id: &'static str,
    label: &'static str,
    used: String,
    limit: String,
    /// Percent of the limit (0 when unlimited or unmeasured), for the bar.
    percent: u32,
    note: String,
}

impl Meter {
    fn new(id: &'static str, label: &'static str, used: i64, limit: Option<i64>) -> Self {
        Self {
            id,
            label,
            used: thousands(used),
            limit: limit.map_or("unlimited".into(), thousands),
            percent: percent(used, limit),
            note: String::new(),
        }
    }
}

fn percent(used: i64, limit: Option<i64>) -> u32 {
    match limit {
        Some(l) if l > 0 => {
            u32::try_from((used.max(0).saturating_mul(100) / l).min(100)).unwrap_or(100)
        }
        _ => 0,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/usage.html")]
struct UsagePage {
    layout: Layout,
    plan: String,
    meters: Vec<Meter>,
}

async fn usage_page(State(state): State<AppState>, member: Member) -> Result<UsagePage> {
    if !member.access.sees_records() {
        return Err(AppError::Forbidden(
            "Only admins see this workspace's usage.".into(),
        ));
    }
    let id = member.current.tenant.id;
    let u = usage::of_tenant(&state.db, id).await?;
    let mut people = Meter::new(
        "usage-users",
        "People",
        u.members + u.pending_invitations,
        u.max_users.map(i64::from),
    );
    people.note = format!(
        "{} members and {} pending invitations",
        u.members, u.pending_invitations
    );
    let mut storage = Meter::new("usage-storage", "Storage", 0, u.max_storage_bytes);
    let tenant = tenants::get(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match stats::tenant_size(&state.tenancy, &tenant).await {
        Ok(bytes) => {
            storage.used = human_bytes(bytes);
            storage.percent = percent(bytes, u.max_storage_bytes);
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "tenant size unavailable");
            storage.used = "unavailable".into();
        }
    }
    storage.limit = u.max_storage_bytes.map_or("unlimited".into(), human_bytes);
    Ok(UsagePage {
        layout: Layout::tenant(&member, "usage", "Usage").await?,
        plan: u.plan,
        meters: vec![
            people,
            Meter::new(
                "usage-modules",
                "Modules",
                u.modules,
                u.max_modules.map(i64::from),
            ),
            Meter::new(
                "usage-api",
                "API calls this month",
                u.api_calls,
                u.max_api_calls,
            ),
            storage,
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_of_a_limit_is_capped_and_unlimited_is_zero() {
        assert_eq!(percent(1, Some(4)), 25);
        assert_eq!(percent(9, Some(4)), 100);
        assert_eq!(percent(5, None), 0);
        assert_eq!(percent(-1, Some(4)), 0);
    }
}
