//! Tenants in the platform console: list (search, filters, sorting, pages via htmx), the
//! New tenant form (slug checked as you type), detail with live provisioning progress,
//! and lifecycle actions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::control::onboarding;
use crate::state::AppState;
use crate::tenancy::lifecycle::{self, Action};
use crate::tenancy::provision;
use crate::tenancy::stats;
use crate::tenancy::tenants::{self, CreateError, FirstAdmin, ListFilter, NewTenant, Tenant};
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::form::{FieldErrors, Form};
use crate::web::format::human_bytes;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

const PER_PAGE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(tenants_list).post(tenant_create))
        .route("/tenants/new", get(tenant_new))
        .route("/tenants/check-slug", get(slug_check))
        .route("/tenants/{slug}", get(tenant_detail))
        .route("/tenants/{slug}/progress", get(tenant_progress))
        .route("/tenants/{slug}/actions", post(tenant_action))
        .route("/tenants/{slug}/open-console", post(open_console))
}

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
    status: String,
    plan: String,
    tier: String,
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
    label: &'static str,
    url: String,
    arrow: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/table.html")]
struct TenantsTable {
    rows: Vec<TenantRow>,
    total: i64,
    page: i64,
    pages: i64,
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
        page: q.page.max(0),
        per_page: PER_PAGE,
        assigned_to: staff.tenant_scope(),
    };
    let (rows, total) = tenants::list(&state.db, &filter).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = filter.page.min(pages - 1);
    let sort_links = [
        ("slug", "Slug"),
        ("name", "Name"),
        ("status", "Status"),
        ("version", "Schema version"),
        ("created", "Created"),
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
    let rows = rows
        .into_iter()
        .map(|t| {
            let onboarding = checklists
                .get(&t.id)
                .filter(|_| t.status == "active")
                .map(|c| (c.done(), c.total()));
            TenantRow {
                onboarding,
                ..TenantRow::from(t)
            }
        })
        .collect();
    let table = TenantsTable {
        rows,
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| q.url_with("page", &(page - 1).to_string())),
        next_url: (page + 1 < pages).then(|| q.url_with("page", &(page + 1).to_string())),
        sort_links,
    };
    if crate::web::is_htmx(&headers) {
        return Ok(table.into_response());
    }
    let counts = if staff.tenant_scope().is_none() {
        tenants::counts_by_status(&state.db)
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
        layout: Layout::staff(&staff, "tenants", "Tenants").await?,
        counts,
        plans: tenants::plans(&state.db).await?,
        servers: crate::tenancy::servers::list(&state.db)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        versions: tenants::versions(&state.db).await?,
        can_create: staff.can(PlatformAction::CreateTenant),
        q,
        table,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/new.html")]
struct NewTenantPage {
    layout: Layout,
    slug: String,
    name: String,
    plan: String,
    tier: String,
    first_admin_email: String,
    plans: Vec<(String, String, String)>,
    errors: FieldErrors,
}

async fn tenant_new(State(state): State<AppState>, staff: Staff) -> Result<NewTenantPage> {
    staff.require(PlatformAction::CreateTenant)?;
    Ok(NewTenantPage {
        layout: Layout::staff(&staff, "tenants", "New tenant").await?,
        slug: String::new(),
        name: String::new(),
        plan: "free".into(),
        tier: String::new(),
        first_admin_email: String::new(),
        plans: tenants::plans(&state.db).await?,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
struct SlugQuery {
    #[serde(default)]
    slug: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/slug_check.html")]
struct SlugCheck {
    ok: bool,
    message: String,
}

/// `GET /tenants/check-slug?slug=…` (htmx, as the slug is typed).
async fn slug_check(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SlugQuery>,
) -> Result<SlugCheck> {
    staff.require(PlatformAction::CreateTenant)?;
    let slug: String = q.slug.chars().take(64).collect();
    if slug.is_empty() {
        return Ok(SlugCheck {
            ok: false,
            message: String::new(),
        });
    }
    Ok(match tenants::check_slug(&state.db, &slug).await {
        Ok(s) => SlugCheck {
            ok: true,
            message: format!("“{s}” is available: {s}.{}", state.config.base_domain),
        },
        Err(e) => SlugCheck {
            ok: false,
            message: e.into_message()?,
        },
    })
}

#[derive(Deserialize)]
struct NewTenantForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    tier: String,
    /// Optional: invited as the tenant's admin once it is active.
    #[serde(default)]
    first_admin_email: String,
}

async fn tenant_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Form(form): Form<NewTenantForm>,
) -> Result<Response> {
    staff.require(PlatformAction::CreateTenant)?;
    let new = NewTenant {
        slug: form.slug.trim(),
        name: &form.name,
        plan: &form.plan,
        tier: Some(form.tier.as_str()),
    };
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let slug = form.slug.trim().to_ascii_lowercase();
    let base_url = state.config.tenant_url(&slug);
    let admin_email = form.first_admin_email.trim();
    let first_admin = (!admin_email.is_empty()).then_some(FirstAdmin {
        email: admin_email,
        base_url: &base_url,
        days: state.config.invitation_days,
    });
    match state
        .tenancy
        .create(new, first_admin.as_ref(), &actor, &meta.origin)
        .await
    {
        Ok(tenant) => Ok(Redirect::to(&format!("/tenants/{}", tenant.slug)).into_response()),
        Err(e @ CreateError::Db(_)) => Err(e.into()),
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add(e.field(), e.to_string());
            let page = NewTenantPage {
                layout: Layout::staff(&staff, "tenants", "New tenant").await?,
                slug: form.slug.chars().take(64).collect(),
                name: form.name.chars().take(200).collect(),
                plan: form.plan,
                tier: form.tier,
                first_admin_email: form.first_admin_email.chars().take(254).collect(),
                plans: tenants::plans(&state.db).await?,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The tenant named in the path, if this staff member may see it; otherwise the same 404
/// as an unknown slug, so slugs cannot be probed.
async fn visible_tenant(state: &AppState, staff: &Staff, slug: &str) -> Result<Tenant> {
    staff.require(PlatformAction::ViewTenants)?;
    let tenant = tenants::find_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !tenants::in_scope(&state.db, tenant.id, staff.tenant_scope()).await? {
        return Err(AppError::NotFound);
    }
    Ok(tenant)
}

/// One provisioning step as the progress list shows it.
struct StepView {
    label: &'static str,
    state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/progress.html")]
struct Progress {
    slug: String,
    status: String,
    steps: Vec<StepView>,
    percent: usize,
    last_error: String,
    polling: bool,
}

impl Progress {
    fn of(tenant: &Tenant) -> Self {
        let steps = provision::steps(tenant.tier());
        let current = tenant.progress_step.as_deref();
        let done_upto = match (tenant.status.as_str(), current) {
            ("pending", _) => 0,
            ("provisioning", Some(key)) => steps.iter().position(|s| s.key() == key).unwrap_or(0),
            _ => steps.len(),
        };
        let failed = tenant.last_error.is_some();
        let views = steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepView {
                label: s.label(),
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
        let settling = matches!(tenant.status.as_str(), "pending" | "provisioning");
        Self {
            slug: tenant.slug.clone(),
            status: tenant.status.clone(),
            steps: views,
            percent: done_upto * 100 / steps.len().max(1),
            last_error: tenant.last_error.clone().unwrap_or_default(),
            polling: settling && !failed,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/detail.html")]
struct TenantPage {
    layout: Layout,
    tenant: Tenant,
    host: String,
    location: String,
    size: String,
    created: String,
    activated: String,
    progress: Progress,
    actions: Vec<(&'static str, &'static str, &'static str)>,
    can_purge: bool,
    retention_days: u32,
    /// Owner-only sections: assigned super admins and custom domains.
    can_manage: bool,
    super_admins: Vec<(uuid::Uuid, String, bool)>,
    domains: Vec<crate::control::domains::Domain>,
    /// Segments holding this tenant (id, name): their super admins manage it too.
    segments: Vec<(uuid::Uuid, String)>,
    usage: crate::control::usage::TenantUsage,
    /// The plan's storage limit, readable (empty: unlimited).
    storage_limit: String,
}

async fn tenant_detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<TenantPage> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let size = if matches!(tenant.status.as_str(), "active" | "suspended" | "deleted") {
        match stats::tenant_size(&state.tenancy, &tenant).await {
            Ok(bytes) => human_bytes(bytes),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "tenant size unavailable");
                "unavailable".into()
            }
        }
    } else {
        "—".into()
    };
    // (action, button label, confirmation question)
    let mut actions = Vec::new();
    let has_failed = tenant.last_error.is_some()
        && matches!(
            tenant.status.as_str(),
            "pending" | "provisioning" | "deleted"
        );
    if staff.can(PlatformAction::SuspendTenant) {
        match tenant.status.as_str() {
            "active" => actions.push((
                "suspend",
                "Suspend",
                "Suspend this tenant? Its users lose access until it is reactivated.",
            )),
            "suspended" => actions.push(("activate", "Reactivate", "Reactivate this tenant?")),
            _ => {}
        }
    }
    if staff.can(PlatformAction::ManageTenantLifecycle) {
        match tenant.status.as_str() {
            "active" | "suspended" => actions.push((
                "delete",
                "Delete",
                "Delete this tenant? Its role can no longer log in; data is kept for the retention period and can be restored.",
            )),
            "deleted" => actions.push(("restore", "Restore", "Restore this tenant and make it active again?")),
            _ => {}
        }
        if has_failed {
            actions.push(("retry", "Retry", "Retry the failed step?"));
        }
    }
    let usage = crate::control::usage::of_tenant(&state.db, tenant.id).await?;
    let location = match &tenant.schema_name {
        Some(schema) => format!("schema {schema} in database {}", tenant.database_name),
        None => format!("database {}", tenant.database_name),
    };
    Ok(TenantPage {
        layout: Layout::staff(&staff, "tenants", &tenant.name).await?,
        host: format!("{}.{}", tenant.slug, state.config.base_domain),
        location,
        size,
        created: tenant.created_at.date().to_string(),
        activated: tenant
            .activated_at
            .map(|d| d.date().to_string())
            .unwrap_or_else(|| "—".into()),
        progress: Progress::of(&tenant),
        can_purge: staff.can(PlatformAction::ManageTenantLifecycle) && tenant.status == "deleted",
        retention_days: state.tenancy.retention_days,
        can_manage: staff.can(PlatformAction::ManageStaff),
        super_admins: crate::control::assignments::super_admins_for(&state.db, tenant.id).await?,
        domains: crate::control::domains::list(&state.db, tenant.id).await?,
        segments: crate::control::segments::for_tenant(&state.db, tenant.id).await?,
        storage_limit: usage.max_storage_bytes.map(human_bytes).unwrap_or_default(),
        usage,
        actions,
        tenant,
    })
}

/// `GET /tenants/{slug}/progress` (htmx polling while the tenant is being set up); when
/// it settles, the page reloads to show the tenant's actions.
async fn tenant_progress(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let progress = Progress::of(&tenant);
    let settled = !progress.polling;
    let mut response = progress.into_response();
    if settled {
        response
            .headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    action: String,
    confirm: Option<String>,
}

async fn tenant_action(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let action = Action::parse(&form.action)
        .ok_or_else(|| AppError::BadRequest("Unknown action.".into()))?;
    let needed = match action {
        Action::Suspend | Action::Activate => PlatformAction::SuspendTenant,
        _ => PlatformAction::ManageTenantLifecycle,
    };
    staff.require(needed)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match lifecycle::apply(
        &state.tenancy,
        &tenant,
        action,
        form.confirm.as_deref(),
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(()) => {}
        // Both refusals answer 409 here: the tenant's state refuses the button pressed.
        Err(e) => return Err(AppError::Conflict(e.into_message()?)),
    }
    Ok(crate::web::redirect_after_post(
        &headers,
        &format!("/tenants/{}", tenant.slug),
    ))
}

#[derive(Deserialize)]
struct OpenConsoleForm {
    #[serde(default)]
    reason: String,
}

/// "Open console": asks staff why, audits it, and sends them to the tenant's host with a
/// single-use hand-off token.
async fn open_console(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<OpenConsoleForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    if tenant.status != "active" {
        return Err(AppError::Conflict(
            "Only an active tenant's console can be opened.".into(),
        ));
    }
    let reason = form.reason.trim();
    if reason.chars().count() < 3
        || reason.chars().count() > 500
        || reason.chars().any(char::is_control)
    {
        return Err(AppError::BadRequest(
            "Give a reason of 3 to 500 characters on one line.".into(),
        ));
    }
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let token = crate::control::handoff::issue(
        &state.db,
        &actor,
        staff.user.id,
        tenant.id,
        &tenant.slug,
        reason,
        &meta.origin,
    )
    .await?;
    let scheme = if state.config.secure_cookies() {
        "https"
    } else {
        "http"
    };
    let target = format!(
        "{scheme}://{}.{}{}/handoff?token={token}",
        tenant.slug, state.config.base_domain, meta.port_suffix
    );
    Ok(crate::web::redirect_after_post(&headers, &target))
}
