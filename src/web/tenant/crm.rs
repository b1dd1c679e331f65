//! CRM pages in the tenant console: customers (search, status filter, pages, inline
//! edit with htmx), a customer page with contacts and the interaction timeline.
//! Reading needs the `read` level in the CRM, changing anything `write` (the guard says
//! who has which); below `write` the tenant connection is `READ ONLY` as well.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use crate::control::audit::{self, Actor, NewEvent};
use crate::control::roles::Level;
use crate::modules::TenantDb;
use crate::modules::crm::{
    self, Contact, ContactInput, Customer, CustomerInput, Interaction, InteractionInput,
};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form, page_index, showing};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::Member;

/// Rows per page people may choose; the first is the default.
const PAGE_SIZES: [i64; 3] = [20, 50, 100];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/crm", get(customers_list).post(customer_create))
        .route("/crm/export.csv", get(customers_export))
        .route("/crm/bulk", post(customers_bulk))
        .route("/crm/{id}", get(customer_page).post(customer_update))
        .route("/crm/{id}/edit", get(customer_edit_row))
        .route("/crm/{id}/delete", post(customer_delete))
        .route("/crm/{id}/contacts", post(contact_add))
        .route("/crm/{id}/contacts/{contact}", post(contact_update))
        .route("/crm/{id}/contacts/{contact}/delete", post(contact_delete))
        .route("/crm/{id}/interactions", post(interaction_add))
}

/// The module these pages belong to.
const MODULE: &str = "crm";

/// A member using the CRM: the module is enabled, the user's access reaches it, and
/// `db` reaches the tenant's own database through the pool manager.
struct CrmUser {
    member: Member,
    level: Level,
    db: TenantDb,
}

impl FromRequestParts<AppState> for CrmUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let member = Member::from_request_parts(parts, state).await?;
        let tenant = member.current.tenant.id;
        if !member.modules.iter().any(|m| m == MODULE) {
            return Err(AppError::NotFound);
        }
        let level = member
            .module_level(MODULE)
            .ok_or_else(|| AppError::Forbidden(member.locale.t("msg-role-excludes-crm")))?;
        let db = crate::web::tenant::tenant_db(state, tenant, level < Level::Write).await?;
        Ok(Self { member, level, db })
    }
}

impl CrmUser {
    /// Whether this person may create, edit and delete here.
    fn can_write(&self) -> bool {
        self.level >= Level::Write && !self.db.read_only()
    }

    fn writable(&self) -> Result<()> {
        if !self.can_write() {
            return Err(AppError::Forbidden(self.member.locale.t("msg-read-only")));
        }
        Ok(())
    }

    async fn audit(
        &self,
        state: &AppState,
        meta: &RequestMeta,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let actor = Actor::user(self.member.user.id, &self.member.user.email);
        audit::record(
            &state.db,
            NewEvent {
                actor: &actor,
                action,
                tenant: Some(self.member.current.tenant.id),
                target: Some(&self.member.current.tenant.slug),
                origin: &meta.origin,
                details,
            },
        )
        .await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.member.current.base)
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// 1-based.
    #[serde(default)]
    page: i64,
    #[serde(default)]
    sort: String,
    /// Rows per page: one of [`PAGE_SIZES`].
    #[serde(default)]
    per: i64,
}

impl ListQuery {
    fn per_page(&self) -> i64 {
        if PAGE_SIZES.contains(&self.per) {
            self.per
        } else {
            PAGE_SIZES[0]
        }
    }

    /// The search as the CRM reads it: text cut to 100 characters, an unknown status
    /// meaning any.
    fn search(&self) -> (String, String, crm::Sort) {
        let q: String = self.q.chars().take(100).collect();
        let status = if crm::STATUSES.contains(&self.status.as_str()) {
            self.status.clone()
        } else {
            String::new()
        };
        (q, status, crm::Sort::parse(&self.sort))
    }
}

/// A column header that sorts the list by `key` (ascending first, then descending).
struct SortLink {
    /// The header's text id.
    label: &'static str,
    url: String,
    /// "ascending", "descending" or "none", for `aria-sort`.
    state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/crm/row.html")]
struct CustomerRow {
    locale: Locale,
    base: String,
    c: Customer,
    can_write: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/crm/edit_row.html")]
struct EditRow {
    locale: Locale,
    base: String,
    csrf_token: String,
    c: Customer,
    input: CustomerInput,
    errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/crm/table.html")]
struct CustomersTable {
    locale: Locale,
    base: String,
    csrf_token: String,
    rows: Vec<Customer>,
    can_write: bool,
    total: i64,
    page: i64,
    pages: i64,
    showing: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    sort_links: Vec<SortLink>,
    export_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/crm/list.html")]
struct CustomersPage {
    layout: Layout,
    q: String,
    status: String,
    per: i64,
    page_sizes: [i64; 3],
    statuses: &'static [&'static str],
    can_write: bool,
    input: CustomerInput,
    errors: FieldErrors,
    table: CustomersTable,
}

async fn table(user: &CrmUser, q: &ListQuery) -> Result<CustomersTable> {
    let (q_text, status, sort) = q.search();
    let search = crm::Search {
        q: &q_text,
        status: &status,
        sort,
    };
    let requested = page_index(q.page);
    let per_page = q.per_page();
    let (rows, total) = crm::list(&user.db, &search, requested, per_page).await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = requested.clamp(0, pages - 1);
    let query = |sort: crm::Sort, page: i64| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q_text)
            .append_pair("status", &status)
            .append_pair("sort", sort.as_str())
            .append_pair("per", &per_page.to_string())
            .append_pair("page", &(page + 1).to_string())
            .finish()
    };
    let link = |p: i64| user.url(&format!("/crm?{}", query(sort, p)));
    let sort_link = |label, asc: crm::Sort, desc: crm::Sort| {
        let (next, state) = match sort {
            s if s == asc => (desc, "ascending"),
            s if s == desc => (asc, "descending"),
            _ => (asc, "none"),
        };
        SortLink {
            label,
            url: user.url(&format!("/crm?{}", query(next, 0))),
            state,
        }
    };
    Ok(CustomersTable {
        locale: user.member.locale.clone(),
        base: user.member.current.base.clone(),
        csrf_token: crate::web::csrf::token(&user.member.session).await?,
        showing: showing(&user.member.locale, page, per_page, rows.len(), total),
        rows,
        can_write: user.can_write(),
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| link(page - 1)),
        next_url: (page + 1 < pages).then(|| link(page + 1)),
        sort_links: vec![
            sort_link("crm-sort-name", crm::Sort::NameAsc, crm::Sort::NameDesc),
            sort_link(
                "crm-sort-status",
                crm::Sort::StatusAsc,
                crm::Sort::StatusDesc,
            ),
            sort_link(
                "crm-sort-added",
                crm::Sort::NewestFirst,
                crm::Sort::OldestFirst,
            ),
        ],
        export_url: user.url(&format!("/crm/export.csv?{}", query(sort, 0))),
    })
}

/// `POST /crm/bulk`: the rows ticked in the list (`ids`, at most a page's worth), and
/// either `action=delete` (confirmed in a dialog) or `action=status` with `status`.
async fn customers_bulk(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    user.writable()?;
    let field = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut ids: Vec<i64> = Vec::new();
    for (k, v) in &fields {
        if k == "ids" {
            let id = v.parse().map_err(|_| {
                AppError::BadRequest(user.member.locale.t("msg-ticked-not-customer"))
            })?;
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        flash::refusal(
            &user.member.session,
            &user.member.locale.t("msg-tick-first"),
        )
        .await?;
        return Ok(crate::web::redirect_after_post(&headers, &user.url("/crm")));
    }
    if ids.len() > *PAGE_SIZES.last().unwrap_or(&100) as usize {
        return Err(AppError::BadRequest(
            user.member.locale.t("msg-one-page-at-a-time"),
        ));
    }
    let (done, action) = match field("action") {
        "delete" => {
            let n = crm::delete_all(&user.db, &ids).await?;
            (
                format!("{n} customer{} deleted.", plural(n)),
                "crm.customers_deleted",
            )
        }
        "status" => {
            let status = field("status");
            if !crm::STATUSES.contains(&status) {
                return Err(AppError::BadRequest(
                    user.member.locale.t("msg-choose-customer-status"),
                ));
            }
            let n = crm::set_status_of(&user.db, &ids, status).await?;
            (
                format!("{n} customer{} set to {status}.", plural(n)),
                "crm.customers_status_changed",
            )
        }
        _ => {
            return Err(AppError::BadRequest(
                user.member.locale.t("msg-choose-bulk-action"),
            ));
        }
    };
    user.audit(
        &state,
        &meta,
        action,
        json!({ "customer_ids": ids, "status": field("status") }),
    )
    .await?;
    flash::success(&user.member.session, done).await?;
    Ok(crate::web::redirect_after_post(&headers, &user.url("/crm")))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The most rows one export holds (a CSV for a spreadsheet, not a backup).
const EXPORT_LIMIT: i64 = 10_000;

/// `GET /crm/export.csv`: the current view (search, status, order) as CSV, every page.
async fn customers_export(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let (q_text, status, sort) = q.search();
    let search = crm::Search {
        q: &q_text,
        status: &status,
        sort,
    };
    let rows = crm::export(&user.db, &search, EXPORT_LIMIT).await?;
    user.audit(
        &state,
        &meta,
        "crm.customers_exported",
        json!({ "rows": rows.len(), "q": q_text, "status": status }),
    )
    .await?;
    let mut csv = String::from("id,name,email,phone,status,added\r\n");
    for c in &rows {
        let fields = [
            c.id.to_string(),
            c.name.clone(),
            c.email.clone().unwrap_or_default(),
            c.phone.clone().unwrap_or_default(),
            c.status.clone(),
            c.created_at.date().to_string(),
        ];
        let line: Vec<String> = fields
            .iter()
            .map(|f| crate::web::format::csv_field(f))
            .collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    let name = format!("customers-{}.csv", user.member.current.tenant.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
}

async fn customers_list(
    user: CrmUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let table = table(&user, &q).await?;
    if crate::web::is_htmx(&headers) {
        return Ok(table.into_response());
    }
    Ok(CustomersPage {
        layout: Layout::tenant(
            &user.member,
            "crm",
            &user.member.locale.t("title-customers"),
        )
        .await?,
        per: q.per_page(),
        page_sizes: PAGE_SIZES,
        q: q.q,
        status: q.status,
        statuses: crm::STATUSES,
        can_write: user.can_write(),
        input: CustomerInput {
            status: "lead".into(),
            ..Default::default()
        },
        errors: FieldErrors::default(),
        table,
    }
    .into_response())
}

async fn customer_create(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    Form(input): Form<CustomerInput>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = input.validate() {
        let page = CustomersPage {
            layout: Layout::tenant(
                &user.member,
                "crm",
                &user.member.locale.t("title-customers"),
            )
            .await?,
            q: String::new(),
            status: String::new(),
            per: PAGE_SIZES[0],
            page_sizes: PAGE_SIZES,
            statuses: crm::STATUSES,
            can_write: true,
            errors: e.into(),
            table: table(&user, &ListQuery::default()).await?,
            input: CustomerInput {
                name: input.name.chars().take(200).collect(),
                notes: input.notes.chars().take(10000).collect(),
                ..input
            },
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let customer = crm::create(&user.db, &input).await?;
    user.audit(
        &state,
        &meta,
        "crm.customer_created",
        json!({ "customer_id": customer.id }),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/crm/{}", customer.id))).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/crm/customer.html")]
struct CustomerPage {
    layout: Layout,
    c: Customer,
    contacts: Vec<Contact>,
    timeline: Vec<Interaction>,
    /// The time zone the timeline's times are in.
    zone: String,
    can_write: bool,
    kinds: &'static [&'static str],
    /// The customer's own details as the edit form holds them, with their errors.
    edit: CustomerInput,
    edit_errors: FieldErrors,
    /// A contact being edited when its form was refused: its id, what was typed, errors.
    editing: Option<(i64, ContactInput, FieldErrors)>,
    /// The contact form as typed, with its errors (kept when refused).
    contact: ContactInput,
    contact_errors: FieldErrors,
    interaction: InteractionInput,
    interaction_errors: FieldErrors,
    /// The customer's tasks, when the Tasks module is enabled and open to this person.
    tasks: Option<Vec<crate::modules::tasks::Task>>,
}

impl CustomerPage {
    /// Whether contact `id`'s edit form was refused (it opens with the errors).
    fn is_editing(&self, id: i64) -> bool {
        self.editing
            .as_ref()
            .is_some_and(|(editing, _, _)| *editing == id)
    }

    async fn load(state: &AppState, user: &CrmUser, id: i64) -> Result<Self> {
        let c = crm::get(&user.db, id).await?.ok_or(AppError::NotFound)?;
        let zones = crate::pg::timezones::names(&state.db).await?;
        let (contacts, timeline, zone) = crm::contacts_and_timeline(&user.db, id, zones).await?;
        let tasks = match user.member.module_level("tasks") {
            Some(_) => {
                let filter = crate::modules::tasks::Filter {
                    customer: Some(id),
                    ..Default::default()
                };
                let (tasks, _, _) =
                    crate::modules::tasks::list(&user.db, &filter, zones, 0, 100).await?;
                Some(tasks)
            }
            None => None,
        };
        Ok(CustomerPage {
            layout: Layout::tenant(&user.member, "crm", &c.name).await?,
            edit: CustomerInput {
                name: c.name.clone(),
                email: c.email.clone().unwrap_or_default(),
                phone: c.phone.clone().unwrap_or_default(),
                status: c.status.clone(),
                notes: c.notes.clone(),
            },
            edit_errors: FieldErrors::default(),
            c,
            contacts,
            timeline,
            zone,
            can_write: user.can_write(),
            kinds: crm::KINDS,
            editing: None,
            contact: ContactInput::default(),
            contact_errors: FieldErrors::default(),
            interaction: InteractionInput {
                kind: "note".into(),
                ..Default::default()
            },
            interaction_errors: FieldErrors::default(),
            tasks,
        })
    }
}

async fn customer_page(
    State(state): State<AppState>,
    user: CrmUser,
    Path(id): Path<i64>,
) -> Result<CustomerPage> {
    CustomerPage::load(&state, &user, id).await
}

/// `GET /crm/{id}/edit` (htmx): the row as an inline form. Opened as a page (a bookmark,
/// a sign-in's `next`), it leads to the customer's full page instead of a bare fragment.
async fn customer_edit_row(
    user: CrmUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.writable()?;
    if !crate::web::is_htmx(&headers) {
        return Ok(Redirect::to(&user.url(&format!("/crm/{id}"))).into_response());
    }
    let c = crm::get(&user.db, id).await?.ok_or(AppError::NotFound)?;
    let input = CustomerInput {
        name: c.name.clone(),
        email: c.email.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
        status: c.status.clone(),
        notes: c.notes.clone(),
    };
    Ok(EditRow {
        locale: user.member.locale.clone(),
        base: user.member.current.base.clone(),
        csrf_token: crate::web::csrf::token(&user.member.session).await?,
        c,
        input,
        errors: FieldErrors::default(),
    }
    .into_response())
}

/// `POST /crm/{id}`: saves; htmx gets the updated row back (or the form with errors).
async fn customer_update(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(input): Form<CustomerInput>,
) -> Result<Response> {
    user.writable()?;
    let current = crm::get(&user.db, id).await?.ok_or(AppError::NotFound)?;
    if let Err(e) = input.validate() {
        if !crate::web::is_htmx(&headers) {
            // The customer's page, its edit form open with the errors and what was typed.
            let mut page = CustomerPage::load(&state, &user, id).await?;
            page.edit = CustomerInput {
                name: input.name.chars().take(200).collect(),
                notes: input.notes.chars().take(10_000).collect(),
                ..input
            };
            page.edit_errors = e.into();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        let row = EditRow {
            locale: user.member.locale.clone(),
            base: user.member.current.base.clone(),
            csrf_token: crate::web::csrf::token(&user.member.session).await?,
            c: current,
            input: CustomerInput {
                name: input.name.chars().take(200).collect(),
                ..input
            },
            errors: e.into(),
        };
        let mut r = (StatusCode::UNPROCESSABLE_ENTITY, row).into_response();
        // The form replaces itself, errors shown next to the fields.
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("outerHTML"));
        return Ok(r);
    }
    let c = crm::update(&user.db, id, &input)
        .await?
        .ok_or(AppError::NotFound)?;
    user.audit(
        &state,
        &meta,
        "crm.customer_updated",
        json!({ "customer_id": id }),
    )
    .await?;
    if crate::web::is_htmx(&headers) {
        return Ok(CustomerRow {
            locale: user.member.locale.clone(),
            base: user.member.current.base.clone(),
            c,
            can_write: true,
        }
        .into_response());
    }
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-customer-saved"),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/crm/{id}"))).into_response())
}

async fn customer_delete(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.writable()?;
    if !crm::delete(&user.db, id).await? {
        return Err(AppError::NotFound);
    }
    user.audit(
        &state,
        &meta,
        "crm.customer_deleted",
        json!({ "customer_id": id }),
    )
    .await?;
    Ok(crate::web::redirect_after_post(&headers, &user.url("/crm")))
}

async fn contact_add(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(input): Form<ContactInput>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = input.validate() {
        let mut page = CustomerPage::load(&state, &user, id).await?;
        page.contact = ContactInput {
            name: input.name.chars().take(200).collect(),
            email: input.email.chars().take(254).collect(),
            title: input.title.chars().take(200).collect(),
        };
        page.contact_errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    crm::get(&user.db, id).await?.ok_or(AppError::NotFound)?;
    crm::add_contact(&user.db, id, &input).await?;
    user.audit(
        &state,
        &meta,
        "crm.contact_added",
        json!({ "customer_id": id }),
    )
    .await?;
    flash::success(
        &user.member.session,
        user.member
            .locale
            .t_with("msg-contact-added", &[("name", input.name.trim())]),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/crm/{id}#contacts"))).into_response())
}

async fn contact_update(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    Path((id, contact)): Path<(i64, i64)>,
    Form(input): Form<ContactInput>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = input.validate() {
        let mut page = CustomerPage::load(&state, &user, id).await?;
        let typed = ContactInput {
            name: input.name.chars().take(200).collect(),
            email: input.email.chars().take(254).collect(),
            title: input.title.chars().take(200).collect(),
        };
        page.editing = Some((contact, typed, e.into()));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if !crm::update_contact(&user.db, id, contact, &input).await? {
        return Err(AppError::NotFound);
    }
    user.audit(
        &state,
        &meta,
        "crm.contact_updated",
        json!({ "customer_id": id, "contact_id": contact }),
    )
    .await?;
    flash::success(
        &user.member.session,
        user.member
            .locale
            .t_with("msg-contact-saved", &[("name", input.name.trim())]),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/crm/{id}#contacts"))).into_response())
}

async fn contact_delete(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((id, contact)): Path<(i64, i64)>,
) -> Result<Response> {
    user.writable()?;
    if !crm::delete_contact(&user.db, id, contact).await? {
        return Err(AppError::NotFound);
    }
    user.audit(
        &state,
        &meta,
        "crm.contact_deleted",
        json!({ "customer_id": id, "contact_id": contact }),
    )
    .await?;
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-contact-removed"),
    )
    .await?;
    Ok(crate::web::redirect_after_post(
        &headers,
        &user.url(&format!("/crm/{id}#contacts")),
    ))
}

async fn interaction_add(
    State(state): State<AppState>,
    user: CrmUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(input): Form<InteractionInput>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = input.validate() {
        let mut page = CustomerPage::load(&state, &user, id).await?;
        page.interaction = InteractionInput {
            kind: input.kind.chars().take(20).collect(),
            summary: input.summary.chars().take(5000).collect(),
        };
        page.interaction_errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    crm::get(&user.db, id).await?.ok_or(AppError::NotFound)?;
    crm::add_interaction(&user.db, id, &input, &user.member.user.email).await?;
    user.audit(
        &state,
        &meta,
        "crm.interaction_added",
        json!({ "customer_id": id }),
    )
    .await?;
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-added-to-timeline"),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/crm/{id}#timeline"))).into_response())
}
