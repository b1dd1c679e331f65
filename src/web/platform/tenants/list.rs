//! The tenants list: search, filters by status, plan, tier and server, sorting, and
//! pages (the table alone for htmx).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::onboarding;
use crate::state::AppState;
use crate::tenancy::status::{TenantStatus, Tier};
use crate::tenancy::tenants::{self, ListFilter, Tenant};
use crate::web::error::Result;
use crate::web::form::{page_index, showing};
use crate::web::layout::Layout;
use crate::web::platform::Staff;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/tenants", get(tenants_list))
}

const PER_PAGE: i64 = 25;

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    server: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: i64,
}

impl ListQuery {
    /// This list's URL with one parameter changed (page resets unless it is the page).
    fn url_with(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("q", &self.q),
            ("status", &self.status),
            ("plan", &self.plan),
            ("tier", &self.tier),
            ("server", &self.server),
            ("sort", &self.sort),
        ];
        if key == "page" {
            pairs.push(("page", value));
        } else if let Some(p) = pairs.iter_mut().find(|(k, _)| *k == key) {
            p.1 = value;
        }
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.into_iter().filter(|(_, v)| !v.is_empty()))
            .finish();
        format!("/tenants?{query}")
    }
}

/// A tenant as the list shows it.
struct TenantRow {
    slug: String,
    name: String,
    status: TenantStatus,
    plan: String,
    tier: Tier,
    server: String,
    version: i64,
    created: String,
    has_error: bool,
    /// Onboarding steps done and in all (active tenants only).
    onboarding: Option<(usize, usize)>,
}

impl From<Tenant> for TenantRow {
    fn from(t: Tenant) -> Self {
        Self {
            onboarding: None,
            created: t.created_at.date().to_string(),
            has_error: t.last_error.is_some(),
            slug: t.slug,
            name: t.name,
            status: t.status,
            plan: t.plan_id,
            tier: t.tier,
            server: t.server_name,
            version: t.schema_version,
        }
    }
}

struct SortLink {
    /// The header's text id.
    label: &'static str,
    url: String,
    arrow: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/table.html")]
struct TenantsTable {
    locale: crate::web::i18n::Locale,
    rows: Vec<TenantRow>,
    total: i64,
    page: i64,
    pages: i64,
    showing: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    sort_links: Vec<SortLink>,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/list.html")]
struct TenantsPage {
    layout: Layout,
    q: ListQuery,
    counts: Vec<(String, i64, String)>,
    plans: Vec<(String, String, String)>,
    servers: Vec<String>,
    versions: Vec<(i64, i64)>,
    /// Tenants a failed fleet migration holds back.
    quarantined: Vec<tenants::Quarantined>,
    can_create: bool,
    table: TenantsTable,
}

async fn tenants_list(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    staff.require(PlatformAction::ViewTenants)?;
    let filter = ListFilter {
        q: q.q.chars().take(100).collect(),
        status: q.status.clone(),
        plan: q.plan.clone(),
        tier: q.tier.clone(),
        server: q.server.clone(),
        sort: q.sort.clone(),
        page: page_index(q.page),
        per_page: PER_PAGE,
        assigned_to: staff.tenant_scope(),
    };
    let (rows, total) = tenants::list(&state.db, &filter).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = filter.page.min(pages - 1);
    let sort_links = [
        ("slug", "pf-sort-slug"),
        ("name", "common-name"),
        ("status", "common-status"),
        ("version", "pf-sort-version"),
        ("created", "common-created"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let descending = format!("-{key}");
        let (next, arrow) = if q.sort == key {
            (descending.as_str(), "↑")
        } else if q.sort == descending {
            (key, "↓")
        } else {
            (key, "")
        };
        SortLink {
            label,
            url: q.url_with("sort", next),
            arrow,
        }
    })
    .collect();
    let ids: Vec<_> = rows.iter().map(|t| t.id).collect();
    let checklists = onboarding::checklists(&state.db, &ids).await?;
    let rows: Vec<TenantRow> = rows
        .into_iter()
        .map(|t| {
            let onboarding = checklists
                .get(&t.id)
                .filter(|_| t.status == TenantStatus::Active)
                .map(|c| (c.done(), c.total()));
            TenantRow {
                onboarding,
                ..TenantRow::from(t)
            }
        })
        .collect();
    let table = TenantsTable {
        locale: staff.locale(),
        showing: showing(&staff.locale(), page, PER_PAGE, rows.len(), total),
        rows,
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| q.url_with("page", &page.to_string())),
        next_url: (page + 1 < pages).then(|| q.url_with("page", &(page + 2).to_string())),
        sort_links,
    };
    if crate::web::is_htmx(&headers) {
        return Ok(table.into_response());
    }
    let counts = if staff.tenant_scope().is_none() {
        tenants::counts_by_status(&state.db, staff.tenant_scope())
            .await?
            .into_iter()
            .map(|(status, n)| {
                let url = q.url_with("status", &status);
                (status, n, url)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(TenantsPage {
        layout: Layout::staff(&staff, "tenants", &staff.locale().t("title-tenants")).await?,
        counts,
        plans: tenants::plans(&state.db).await?,
        servers: crate::tenancy::servers::list(&state.db)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        versions: tenants::versions(&state.db, staff.tenant_scope()).await?,
        quarantined: tenants::quarantined(&state.db, staff.tenant_scope()).await?,
        can_create: staff.can(PlatformAction::CreateTenant),
        q,
        table,
    }
    .into_response())
}
