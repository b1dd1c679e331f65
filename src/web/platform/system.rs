//! The System page: the process, the control-plane pool and the tenant pool manager's
//! live figures (the same ones `/metrics` exports), and the instances sharing each db
//! server's connection budget; and tenant storage the servers lack (a database dropped
//! behind the app's back).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::guard::PlatformAction;
use crate::state::AppState;
use crate::tenancy::health::{self, StorageCheck};
use crate::tenancy::pools::PoolFigures;
use crate::tenancy::{instances, servers};
use crate::web::error::Result;
use crate::web::format::human_duration;
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new().route("/system", get(system))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/system/page.html")]
struct SystemPage {
    layout: Layout,
    uptime: String,
    control_size: i64,
    control_idle: i64,
    total: PoolFigures,
    /// The pool manager's counters in a sentence, in the reader's language.
    pools_line: String,
    per_server: Vec<(String, PoolFigures)>,
    /// The instances sharing each server's budget, with the seconds since their last
    /// beat as the reader writes them; `this` marks this process.
    instances: Vec<(instances::Listed, String)>,
    this: uuid::Uuid,
    /// Tenant databases, schemas and roles the servers lack.
    storage: StorageCheck,
}

async fn system(State(state): State<AppState>, staff: Staff) -> Result<SystemPage> {
    staff.require(PlatformAction::ViewDashboard)?;
    let stats = state.tenancy.pools.stats();
    let names = servers::list(&state.db).await?;
    let per_server = stats
        .servers
        .iter()
        .map(|(id, figures)| {
            let name = names
                .iter()
                .find(|s| s.id == *id)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| id.to_string());
            (name, *figures)
        })
        .collect();
    let l = staff.locale();
    let total = stats.total;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(SystemPage {
        layout: Layout::staff(&staff, "system", &l.t("title-system")).await?,
        uptime: human_duration(state.started_at.elapsed().as_secs()),
        control_size: i64::from(state.db.size()),
        control_idle: i64::try_from(state.db.num_idle()).unwrap_or(i64::MAX),
        pools_line: l.t_nums(
            "pf-pools-line",
            &[
                ("n", count(total.creations)),
                ("total", count(total.evictions)),
                ("limit", count(total.waits)),
            ],
        ),
        total,
        per_server,
        instances: instances::list(&state.db)
            .await?
            .into_iter()
            .map(|i| {
                let beat = l.decimal((i.seconds_since_beat * 10.0).round() as i64, 1);
                (i, beat)
            })
            .collect(),
        this: state.instance.id,
        storage: health::check_storage(&state.tenancy).await?,
    })
}
