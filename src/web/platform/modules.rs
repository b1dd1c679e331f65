//! The module catalog as staff see it: what each module needs and which plans include it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::guard::PlatformAction;
use crate::state::AppState;
use crate::tenancy::modules::{self, Module};
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new().route("/modules", get(catalog))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/modules.html")]
struct CatalogPage {
    layout: Layout,
    rows: Vec<(Module, i64)>,
}

async fn catalog(State(state): State<AppState>, staff: Staff) -> Result<CatalogPage> {
    staff.require(PlatformAction::ViewTenants)?;
    // Super admins count only the tenants they reach.
    let usage = modules::usage(&state.db, staff.tenant_scope()).await?;
    let rows = modules::catalog(&state.db)
        .await?
        .into_iter()
        .map(|m| {
            let n = usage
                .iter()
                .find(|(id, _)| *id == m.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (m, n)
        })
        .collect();
    Ok(CatalogPage {
        layout: Layout::staff(&staff, "modules", &staff.locale().t("title-modules")).await?,
        rows,
    })
}
