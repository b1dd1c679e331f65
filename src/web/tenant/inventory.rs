//! Inventory pages in the tenant console: products (search, active filter, low-stock
//! filter and badge, pages), a product's page with its stock per location, movements
//! and the form to record one, and stock locations (the module's settings, admin level).

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

use crate::modules::inventory::{
    self, Location, LocationError, LocationInput, Movement, MovementError, MovementInput, Product,
    ProductError, ProductInput, Stock,
};
use crate::modules::money;
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form, page_index, showing};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::module_user::module_user;

module_user!(InventoryUser, "inventory", "Inventory");

const PER_PAGE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inventory", get(products_list).post(product_create))
        .route(
            "/inventory/locations",
            get(locations_page).post(location_add),
        )
        .route("/inventory/{id}", get(product_page).post(product_update))
        .route("/inventory/{id}/movements", post(movement_add))
}

/// A product as a page shows it, its price in the tenant's currency.
pub struct ProductView {
    pub p: Product,
    pub price: String,
}

fn view(p: Product, currency: &str, locale: &Locale) -> ProductView {
    ProductView {
        price: locale.money(p.unit_price, currency),
        p,
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    /// `active`, `inactive` or anything else for both.
    #[serde(default)]
    status: String,
    /// `1`: only products low on stock.
    #[serde(default)]
    low: String,
    #[serde(default)]
    page: i64,
}

impl ListQuery {
    fn filter(&self) -> inventory::Filter {
        inventory::Filter {
            q: self.q.chars().take(100).collect(),
            status: match self.status.as_str() {
                s @ ("active" | "inactive") => s.to_owned(),
                _ => String::new(),
            },
            low_stock: self.low == "1",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/inventory/table.html")]
struct ProductsTable {
    locale: Locale,
    base: String,
    rows: Vec<ProductView>,
    total: i64,
    showing: String,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/inventory/list.html")]
struct ProductsPage {
    layout: Layout,
    q: String,
    status: String,
    low: bool,
    currency: String,
    can_write: bool,
    input: ProductInput,
    errors: FieldErrors,
    table: ProductsTable,
}

async fn table(user: &InventoryUser, q: &ListQuery) -> Result<ProductsTable> {
    let filter = q.filter();
    let requested = page_index(q.page);
    let (rows, total, currency) = inventory::list(&user.db, &filter, requested, PER_PAGE).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = requested.clamp(0, pages - 1);
    let link = |p: i64| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("status", &filter.status)
            .append_pair("low", if filter.low_stock { "1" } else { "" })
            .append_pair("page", &(p + 1).to_string())
            .finish();
        user.url(&format!("/inventory?{query}"))
    };
    Ok(ProductsTable {
        locale: user.member.locale.clone(),
        base: user.base(),
        showing: showing(&user.member.locale, page, PER_PAGE, rows.len(), total),
        rows: rows
            .into_iter()
            .map(|p| view(p, &currency, &user.member.locale))
            .collect(),
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| link(page - 1)),
        next_url: (page + 1 < pages).then(|| link(page + 1)),
    })
}

async fn list_page(
    user: &InventoryUser,
    q: &ListQuery,
    input: ProductInput,
    errors: FieldErrors,
) -> Result<ProductsPage> {
    Ok(ProductsPage {
        layout: Layout::tenant(
            &user.member,
            "inventory",
            &user.member.locale.t("title-products"),
        )
        .await?,
        q: q.q.chars().take(100).collect(),
        status: q.status.clone(),
        low: q.low == "1",
        currency: inventory::currency(&user.db).await?,
        can_write: user.can_write(),
        input,
        errors,
        table: table(user, q).await?,
    })
}

async fn products_list(
    user: InventoryUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    if crate::web::is_htmx(&headers) {
        return Ok(table(&user, &q).await?.into_response());
    }
    let input = ProductInput {
        active: Some("on".into()),
        ..Default::default()
    };
    Ok(list_page(&user, &q, input, FieldErrors::default())
        .await?
        .into_response())
}

fn typed(input: ProductInput) -> ProductInput {
    ProductInput {
        sku: input.sku.chars().take(64).collect(),
        name: input.name.chars().take(200).collect(),
        price: input.price.chars().take(30).collect(),
        low_stock: input.low_stock.chars().take(20).collect(),
        ..input
    }
}

async fn product_create(
    State(state): State<AppState>,
    user: InventoryUser,
    meta: RequestMeta,
    Form(input): Form<ProductInput>,
) -> Result<Response> {
    user.writable()?;
    let currency = inventory::currency(&user.db).await?;
    let errors = match input.check(&currency) {
        Ok(checked) => match inventory::create(&user.db, &checked).await {
            Ok(id) => {
                user.audit(
                    &state,
                    &meta,
                    "inventory.product_created",
                    json!({ "product_id": id, "sku": checked.sku }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    user.member
                        .locale
                        .t_with("msg-product-added", &[("sku", checked.sku.as_str())]),
                )
                .await?;
                return Ok(Redirect::to(&user.url(&format!("/inventory/{id}"))).into_response());
            }
            Err(ProductError::DuplicateSku) => {
                let mut errors = FieldErrors::default();
                errors.add("sku", ProductError::DuplicateSku.to_string());
                errors
            }
            Err(ProductError::Db(e)) => return Err(e.into()),
        },
        Err(e) => e.into(),
    };
    let page = list_page(&user, &ListQuery::default(), typed(input), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/inventory/product.html")]
struct ProductPage {
    layout: Layout,
    v: ProductView,
    currency: String,
    stock: Vec<Stock>,
    movements: Vec<Movement>,
    zone: String,
    locations: Vec<Location>,
    kinds: &'static [&'static str],
    can_write: bool,
    input: ProductInput,
    errors: FieldErrors,
    movement: MovementInput,
    movement_errors: FieldErrors,
}

async fn product_page_for(state: &AppState, user: &InventoryUser, id: i64) -> Result<ProductPage> {
    let (p, currency) = inventory::get(&user.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zones = crate::pg::timezones::names(&state.db).await?;
    let (stock, movements, zone) = inventory::stock_and_movements(&user.db, id, zones).await?;
    let input = ProductInput {
        sku: p.sku.clone(),
        name: p.name.clone(),
        price: money::plain(p.unit_price, &currency),
        low_stock: p.low_stock_threshold.to_string(),
        active: p.active.then(|| "on".to_owned()),
    };
    Ok(ProductPage {
        layout: Layout::tenant(
            &user.member,
            "inventory",
            &format!("{} · {}", p.sku, p.name),
        )
        .await?,
        v: view(p, &currency, &user.member.locale),
        currency,
        stock,
        movements,
        zone,
        locations: inventory::locations(&user.db).await?,
        kinds: inventory::KINDS,
        can_write: user.can_write(),
        input,
        errors: FieldErrors::default(),
        movement: MovementInput {
            kind: "in".into(),
            ..Default::default()
        },
        movement_errors: FieldErrors::default(),
    })
}

async fn product_page(
    State(state): State<AppState>,
    user: InventoryUser,
    Path(id): Path<i64>,
) -> Result<ProductPage> {
    product_page_for(&state, &user, id).await
}

async fn product_update(
    State(state): State<AppState>,
    user: InventoryUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(input): Form<ProductInput>,
) -> Result<Response> {
    user.writable()?;
    let currency = inventory::currency(&user.db).await?;
    let errors = match input.check(&currency) {
        Ok(checked) => match inventory::update(&user.db, id, &checked).await {
            Ok(true) => {
                user.audit(
                    &state,
                    &meta,
                    "inventory.product_updated",
                    json!({ "product_id": id }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    &user.member.locale.t("msg-product-saved"),
                )
                .await?;
                return Ok(Redirect::to(&user.url(&format!("/inventory/{id}"))).into_response());
            }
            Ok(false) => return Err(AppError::NotFound),
            Err(ProductError::DuplicateSku) => {
                let mut errors = FieldErrors::default();
                errors.add("sku", ProductError::DuplicateSku.to_string());
                errors
            }
            Err(ProductError::Db(e)) => return Err(e.into()),
        },
        Err(e) => e.into(),
    };
    let mut page = product_page_for(&state, &user, id).await?;
    page.input = typed(input);
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn movement_add(
    State(state): State<AppState>,
    user: InventoryUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(input): Form<MovementInput>,
) -> Result<Response> {
    user.writable()?;
    let mut errors = FieldErrors::default();
    match input.check() {
        Err(e) => errors = e.into(),
        Ok(m) => {
            match inventory::record_movement(&user.db, id, &m, &user.member.user.email).await {
                Ok(on_hand) => {
                    user.audit(
                    &state,
                    &meta,
                    "inventory.stock_moved",
                    json!({ "product_id": id, "location_id": m.location, "kind": m.kind, "delta": m.delta }),
                )
                .await?;
                    flash::success(
                        &user.member.session,
                        user.member.locale.t_with(
                            "msg-movement-recorded",
                            &[("on_hand", user.member.locale.number(on_hand).as_str())],
                        ),
                    )
                    .await?;
                    return Ok(
                        Redirect::to(&user.url(&format!("/inventory/{id}#movements")))
                            .into_response(),
                    );
                }
                Err(MovementError::NoSuchProduct) => return Err(AppError::NotFound),
                Err(e @ MovementError::NoSuchLocation) => errors.add("location", e.to_string()),
                Err(MovementError::WouldGoNegative { on_hand }) => errors.add(
                    "quantity",
                    user.member.locale.t_with(
                        "err-would-go-negative",
                        &[("on_hand", user.member.locale.number(on_hand).as_str())],
                    ),
                ),
                Err(MovementError::Db(e)) => return Err(e.into()),
            }
        }
    }
    let mut page = product_page_for(&state, &user, id).await?;
    page.movement = MovementInput {
        location: input.location.chars().take(20).collect(),
        kind: input.kind.chars().take(20).collect(),
        quantity: input.quantity.chars().take(20).collect(),
        note: input.note.chars().take(500).collect(),
    };
    page.movement_errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/inventory/locations.html")]
struct LocationsPage {
    layout: Layout,
    locations: Vec<Location>,
    can_administer: bool,
    input: LocationInput,
    errors: FieldErrors,
}

async fn locations_page_for(
    user: &InventoryUser,
    input: LocationInput,
    errors: FieldErrors,
) -> Result<LocationsPage> {
    Ok(LocationsPage {
        layout: Layout::tenant(
            &user.member,
            "inventory",
            &user.member.locale.t("title-stock-locations"),
        )
        .await?,
        locations: inventory::locations(&user.db).await?,
        can_administer: user.can_administer(),
        input,
        errors,
    })
}

/// Stock locations: everyone who reads the module sees them; admins add them.
async fn locations_page(user: InventoryUser) -> Result<LocationsPage> {
    locations_page_for(&user, LocationInput::default(), FieldErrors::default()).await
}

async fn location_add(
    State(state): State<AppState>,
    user: InventoryUser,
    meta: RequestMeta,
    Form(input): Form<LocationInput>,
) -> Result<Response> {
    user.administrable()?;
    let errors: FieldErrors = match input.validate() {
        Err(e) => e.into(),
        Ok(()) => match inventory::add_location(&user.db, &input).await {
            Ok(id) => {
                user.audit(
                    &state,
                    &meta,
                    "inventory.location_added",
                    json!({ "location_id": id, "name": input.name.trim() }),
                )
                .await?;
                flash::success(
                    &user.member.session,
                    user.member
                        .locale
                        .t_with("msg-location-added", &[("name", input.name.trim())]),
                )
                .await?;
                return Ok(Redirect::to(&user.url("/inventory/locations")).into_response());
            }
            Err(e @ LocationError::Duplicate) => {
                let mut errors = FieldErrors::default();
                errors.add("name", e.to_string());
                errors
            }
            Err(LocationError::Db(e)) => return Err(e.into()),
        },
    };
    let typed = LocationInput {
        name: input.name.chars().take(100).collect(),
    };
    let page = locations_page_for(&user, typed, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
