//! Billing pages in the tenant console: invoices (search, status filter, pages), a
//! draft's lines (inventory products when Inventory is enabled, or free text), issuing
//! with the next number, paid and void, the printable invoice in the tenant's branding,
//! and the module's settings (number prefix, tax rates; admin level).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use crate::modules::billing::{
    self, BillingError, Invoice, Line, LineInput, PrefixInput, TaxRate, TaxRateError, TaxRateInput,
};
use crate::modules::{crm, inventory};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form, page_index, showing};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::module_user::module_user;

module_user!(BillingUser, "billing", "Billing");

const PER_PAGE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(invoices_list).post(invoice_create))
        .route("/billing/settings", get(settings_page).post(prefix_save))
        .route("/billing/settings/tax-rates", post(tax_rate_add))
        .route("/billing/{id}", get(invoice_page))
        .route("/billing/{id}/print", get(invoice_print))
        .route("/billing/{id}/lines", post(line_add))
        .route("/billing/{id}/lines/{line}/delete", post(line_remove))
        .route("/billing/{id}/issue", post(invoice_issue))
        .route("/billing/{id}/pay", post(invoice_pay))
        .route("/billing/{id}/void", post(invoice_void))
        .route("/billing/{id}/delete", post(invoice_delete))
}

/// A choice in a select.
struct Choice {
    value: String,
    label: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: i64,
}

impl ListQuery {
    fn filter(&self) -> billing::Filter {
        billing::Filter {
            q: self.q.chars().take(100).collect(),
            status: if billing::STATUSES.contains(&self.status.as_str()) {
                self.status.clone()
            } else {
                String::new()
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/billing/table.html")]
struct InvoicesTable {
    locale: Locale,
    base: String,
    rows: Vec<Invoice>,
    total: i64,
    showing: String,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/billing/list.html")]
struct InvoicesPage {
    layout: Layout,
    q: String,
    status: String,
    statuses: &'static [&'static str],
    can_write: bool,
    can_administer: bool,
    customers: Vec<Choice>,
    error: String,
    table: InvoicesTable,
}

async fn table(user: &BillingUser, q: &ListQuery) -> Result<InvoicesTable> {
    let filter = q.filter();
    let requested = page_index(q.page);
    let (rows, total) = billing::list(&user.db, &filter, requested, PER_PAGE).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = requested.clamp(0, pages - 1);
    let link = |p: i64| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("status", &filter.status)
            .append_pair("page", &(p + 1).to_string())
            .finish();
        user.url(&format!("/billing?{query}"))
    };
    Ok(InvoicesTable {
        locale: user.member.locale.clone(),
        base: user.base(),
        showing: showing(&user.member.locale, page, PER_PAGE, rows.len(), total),
        rows,
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| link(page - 1)),
        next_url: (page + 1 < pages).then(|| link(page + 1)),
    })
}

async fn list_page(user: &BillingUser, q: &ListQuery, error: String) -> Result<InvoicesPage> {
    let customers = crm::export(&user.db, &crm::Search::ALL, 1000)
        .await?
        .into_iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name,
        })
        .collect();
    Ok(InvoicesPage {
        layout: Layout::tenant(
            &user.member,
            "billing",
            &user.member.locale.t("title-invoices"),
        )
        .await?,
        q: q.q.chars().take(100).collect(),
        status: q.status.clone(),
        statuses: billing::STATUSES,
        can_write: user.can_write(),
        can_administer: user.can_administer(),
        customers,
        error,
        table: table(user, q).await?,
    })
}

async fn invoices_list(
    user: BillingUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    if crate::web::is_htmx(&headers) {
        return Ok(table(&user, &q).await?.into_response());
    }
    Ok(list_page(&user, &q, String::new()).await?.into_response())
}

#[derive(Deserialize)]
struct NewInvoice {
    #[serde(default)]
    customer: String,
}

async fn invoice_create(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    Form(form): Form<NewInvoice>,
) -> Result<Response> {
    user.writable()?;
    let error = match form.customer.trim().parse::<i64>() {
        Err(_) => user.member.locale.t("msg-choose-customer-to-invoice"),
        Ok(customer) => match billing::create_draft(&user.db, customer).await {
            Ok(id) => {
                user.audit(
                    &state,
                    &meta,
                    "billing.invoice_created",
                    json!({ "invoice_id": id, "customer_id": customer }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    &user.member.locale.t("msg-draft-created"),
                )
                .await?;
                return Ok(Redirect::to(&user.url(&format!("/billing/{id}"))).into_response());
            }
            Err(BillingError::Db(e)) => return Err(e.into()),
            Err(e) => e.to_string(),
        },
    };
    let page = list_page(&user, &ListQuery::default(), error).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/billing/invoice.html")]
struct InvoicePage {
    layout: Layout,
    inv: Invoice,
    lines: Vec<Line>,
    can_write: bool,
    sees_crm: bool,
    /// Products to choose from, when Inventory is enabled.
    products: Option<Vec<Choice>>,
    tax_rates: Vec<TaxRate>,
    line: LineInput,
    errors: FieldErrors,
}

impl InvoicePage {
    fn amount(&self, minor: Option<i64>) -> String {
        amount_for(&self.layout.locale, minor, &self.inv.currency)
    }
}

/// A line's amount for the reader (a dash when it cannot be computed).
fn amount_for(locale: &Locale, minor: Option<i64>, currency: &str) -> String {
    minor
        .map(|m| locale.money(m, currency))
        .unwrap_or_else(|| "—".into())
}

/// The invoice's number, or "Draft #7" in the reader's language while it has none.
fn invoice_label(inv: &Invoice, locale: &Locale) -> String {
    match &inv.number {
        Some(n) => n.clone(),
        None => locale.t_nums("billing-draft-n", &[("id", inv.id)]),
    }
}

/// Product lines need Inventory enabled *and* open to this person: the picker lists
/// products and prices, which is Inventory's data.
fn inventory_on(user: &BillingUser) -> bool {
    user.member.module_level("inventory").is_some()
}

async fn invoice_page_for(user: &BillingUser, id: i64) -> Result<InvoicePage> {
    let (inv, lines) = billing::get(&user.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let products = if inventory_on(user) && inv.is_draft() {
        let products = inventory::active(&user.db, 1000).await?;
        Some(
            products
                .into_iter()
                .map(|p| Choice {
                    value: p.id.to_string(),
                    label: format!(
                        "{} · {} ({})",
                        p.sku,
                        p.name,
                        user.member.locale.money(p.unit_price, &inv.currency)
                    ),
                })
                .collect(),
        )
    } else {
        None
    };
    let (_, tax_rates) = billing::settings(&user.db).await?;
    Ok(InvoicePage {
        layout: Layout::tenant(
            &user.member,
            "billing",
            &invoice_label(&inv, &user.member.locale),
        )
        .await?,
        inv,
        lines,
        can_write: user.can_write(),
        sees_crm: user.sees("crm"),
        products,
        tax_rates,
        line: LineInput {
            quantity: "1".into(),
            ..Default::default()
        },
        errors: FieldErrors::default(),
    })
}

async fn invoice_page(user: BillingUser, Path(id): Path<i64>) -> Result<InvoicePage> {
    invoice_page_for(&user, id).await
}

/// A refusal of an action on an invoice: back to its page, with the reason as a toast.
async fn refused(
    user: &BillingUser,
    headers: &HeaderMap,
    id: i64,
    e: BillingError,
) -> Result<Response> {
    match e {
        BillingError::Db(e) => Err(e.into()),
        BillingError::NotFound => Err(AppError::NotFound),
        e => {
            flash::refusal(&user.member.session, e.to_string()).await?;
            Ok(crate::web::redirect_after_post(
                headers,
                &user.url(&format!("/billing/{id}")),
            ))
        }
    }
}

async fn line_add(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(input): Form<LineInput>,
) -> Result<Response> {
    user.writable()?;
    let (inv, _) = billing::get(&user.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !inv.is_draft() {
        return refused(&user, &headers, id, BillingError::NotDraft).await;
    }
    let mut errors = FieldErrors::default();
    match input.check(&inv.currency, inventory_on(&user)) {
        Err(e) => errors = e.into(),
        Ok(line) => match billing::add_line(&user.db, id, &line).await {
            Ok(()) => {
                user.audit(
                    &state,
                    &meta,
                    "billing.line_added",
                    json!({ "invoice_id": id }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    &user.member.locale.t("msg-line-added"),
                )
                .await?;
                return Ok(Redirect::to(&user.url(&format!("/billing/{id}#lines"))).into_response());
            }
            Err(e @ BillingError::NoSuchProduct) => errors.add("product", e.to_string()),
            Err(e @ BillingError::NoSuchTaxRate) => errors.add("tax_rate", e.to_string()),
            Err(e @ BillingError::TooLarge) => errors.add("quantity", e.to_string()),
            Err(e) => return refused(&user, &headers, id, e).await,
        },
    }
    let mut page = invoice_page_for(&user, id).await?;
    page.line = LineInput {
        product: input.product.chars().take(20).collect(),
        description: input.description.chars().take(500).collect(),
        unit_price: input.unit_price.chars().take(30).collect(),
        quantity: input.quantity.chars().take(20).collect(),
        tax_rate: input.tax_rate.chars().take(20).collect(),
    };
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn line_remove(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((id, line)): Path<(i64, i64)>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = billing::remove_line(&user.db, id, line).await {
        return refused(&user, &headers, id, e).await;
    }
    user.audit(
        &state,
        &meta,
        "billing.line_removed",
        json!({ "invoice_id": id, "line_id": line }),
    )
    .await?;
    user.done(
        &headers,
        &user.member.locale.t("msg-line-removed"),
        &format!("/billing/{id}#lines"),
    )
    .await
}

async fn invoice_issue(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.writable()?;
    let zones = crate::pg::timezones::names(&state.db).await?;
    let number = match billing::issue(&user.db, id, zones).await {
        Ok(number) => number,
        Err(e) => return refused(&user, &headers, id, e).await,
    };
    user.audit(
        &state,
        &meta,
        "billing.invoice_issued",
        json!({ "invoice_id": id, "number": number }),
    )
    .await?;
    user.done(
        &headers,
        user.member
            .locale
            .t_with("msg-invoice-issued", &[("number", number.as_str())]),
        &format!("/billing/{id}"),
    )
    .await
}

async fn settle(
    state: &AppState,
    user: &BillingUser,
    meta: &RequestMeta,
    headers: &HeaderMap,
    id: i64,
    to: &str,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = billing::settle(&user.db, id, to).await {
        return refused(user, headers, id, e).await;
    }
    let action = if to == "paid" {
        "billing.invoice_paid"
    } else {
        "billing.invoice_voided"
    };
    user.audit(state, meta, action, json!({ "invoice_id": id }))
        .await?;
    user.done(
        headers,
        user.member.locale.t_with(
            "msg-invoice-marked",
            &[("status", user.member.locale.status(to).as_str())],
        ),
        &format!("/billing/{id}"),
    )
    .await
}

async fn invoice_pay(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    settle(&state, &user, &meta, &headers, id, "paid").await
}

async fn invoice_void(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    settle(&state, &user, &meta, &headers, id, "void").await
}

async fn invoice_delete(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.writable()?;
    if let Err(e) = billing::delete_draft(&user.db, id).await {
        return refused(&user, &headers, id, e).await;
    }
    user.audit(
        &state,
        &meta,
        "billing.draft_deleted",
        json!({ "invoice_id": id }),
    )
    .await?;
    user.done(
        &headers,
        &user.member.locale.t("msg-draft-deleted"),
        "/billing",
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/billing/print.html")]
struct PrintPage {
    layout: Layout,
    inv: Invoice,
    lines: Vec<Line>,
    /// The tenant's billing details: company, address, VAT id.
    from: Option<crate::control::billing::BillingDetails>,
}

impl PrintPage {
    fn amount(&self, minor: Option<i64>) -> String {
        amount_for(&self.layout.locale, minor, &self.inv.currency)
    }
}

/// `GET /billing/{id}/print`: the invoice as a page to print, in the tenant's branding.
async fn invoice_print(
    State(state): State<AppState>,
    user: BillingUser,
    Path(id): Path<i64>,
) -> Result<PrintPage> {
    let (inv, lines) = billing::get(&user.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(PrintPage {
        layout: Layout::tenant(
            &user.member,
            "billing",
            &invoice_label(&inv, &user.member.locale),
        )
        .await?,
        from: crate::control::billing::get(&state.db, user.member.current.tenant.id).await?,
        inv,
        lines,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/billing/settings.html")]
struct SettingsPage {
    layout: Layout,
    prefix: PrefixInput,
    prefix_errors: FieldErrors,
    rates: Vec<TaxRate>,
    rate: TaxRateInput,
    rate_errors: FieldErrors,
}

async fn settings_page_for(user: &BillingUser) -> Result<SettingsPage> {
    user.administrable()?;
    let (prefix, rates) = billing::settings(&user.db).await?;
    Ok(SettingsPage {
        layout: Layout::tenant(
            &user.member,
            "billing",
            &user.member.locale.t("title-billing-settings"),
        )
        .await?,
        prefix: PrefixInput { prefix },
        prefix_errors: FieldErrors::default(),
        rates,
        rate: TaxRateInput::default(),
        rate_errors: FieldErrors::default(),
    })
}

async fn settings_page(user: BillingUser) -> Result<SettingsPage> {
    settings_page_for(&user).await
}

async fn prefix_save(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    Form(input): Form<PrefixInput>,
) -> Result<Response> {
    user.administrable()?;
    if let Err(e) = input.validate() {
        let mut page = settings_page_for(&user).await?;
        page.prefix = PrefixInput {
            prefix: input.prefix.chars().take(20).collect(),
        };
        page.prefix_errors = e.into();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    billing::save_prefix(&user.db, &input).await?;
    user.audit(
        &state,
        &meta,
        "billing.settings_updated",
        json!({ "prefix": input.prefix.trim() }),
    )
    .await?;
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-prefix-saved"),
    )
    .await?;
    Ok(Redirect::to(&user.url("/billing/settings")).into_response())
}

async fn tax_rate_add(
    State(state): State<AppState>,
    user: BillingUser,
    meta: RequestMeta,
    Form(input): Form<TaxRateInput>,
) -> Result<Response> {
    user.administrable()?;
    let errors: FieldErrors = match input.check() {
        Err(e) => e.into(),
        Ok((name, bp)) => match billing::add_tax_rate(&user.db, &name, bp).await {
            Ok(id) => {
                user.audit(
                    &state,
                    &meta,
                    "billing.tax_rate_added",
                    json!({ "tax_rate_id": id, "name": name, "rate_bp": bp }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    user.member
                        .locale
                        .t_with("msg-tax-rate-added", &[("name", name.as_str())]),
                )
                .await?;
                return Ok(Redirect::to(&user.url("/billing/settings")).into_response());
            }
            Err(e @ TaxRateError::Duplicate) => {
                let mut errors = FieldErrors::default();
                errors.add("name", e.to_string());
                errors
            }
            Err(TaxRateError::Db(e)) => return Err(e.into()),
        },
    };
    let mut page = settings_page_for(&user).await?;
    page.rate = TaxRateInput {
        name: input.name.chars().take(60).collect(),
        rate: input.rate.chars().take(20).collect(),
    };
    page.rate_errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
