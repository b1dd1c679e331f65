//! Inventory data: products (SKU unique per tenant, unit price in minor units of the
//! tenant's currency), stock locations, and stock movements. The quantity on hand is
//! never stored: it is the sum of the movements, and recording a movement first locks
//! its product's row, so concurrent movements are summed one after the other and the
//! quantity on hand can never go below zero.

use serde::Deserialize;
use time::OffsetDateTime;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::modules::{TenantDb, clock, money};
use crate::pg::constraint::OnConstraint;

pub const KINDS: &[&str] = &["in", "out", "adjustment"];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    /// Minor units of the tenant's currency.
    pub unit_price: i64,
    pub active: bool,
    pub low_stock_threshold: i64,
    /// Across every location.
    pub on_hand: i64,
}

impl Product {
    /// At or below its low-stock threshold (a threshold of 0 means no warning).
    pub fn low_stock(&self) -> bool {
        self.low_stock_threshold > 0 && self.on_hand <= self.low_stock_threshold
    }
}

fn refuse(errors: &mut ValidationErrors, field: &'static str, message: &'static str) {
    errors.add(
        field,
        ValidationError::new(field).with_message(message.into()),
    );
}

fn sku_chars(s: &str) -> Result<(), ValidationError> {
    if s.trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        Ok(())
    } else {
        Err(ValidationError::new("sku")
            .with_message("Use letters, digits and - _ . / in a SKU.".into()))
    }
}

/// What the product form submits.
#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct ProductInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 64, message = "Enter a SKU of 1 to 64 characters."),
        custom(function = "sku_chars")
    )]
    pub sku: String,
    #[serde(default)]
    #[validate(
        length(min = 1, max = 200, message = "Enter a name of 1 to 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub name: String,
    /// As typed, e.g. `12.50`.
    #[serde(default)]
    pub price: String,
    /// A whole number, or empty for no warning.
    #[serde(default)]
    pub low_stock: String,
    /// A ticked checkbox sends a value.
    #[serde(default)]
    pub active: Option<String>,
}

/// A product as it will be stored.
#[derive(Clone, Debug)]
pub struct CheckedProduct {
    pub sku: String,
    pub name: String,
    pub unit_price: i64,
    pub low_stock_threshold: i64,
    pub active: bool,
}

/// A whole quantity as typed: digits only (and a leading minus where `signed`).
fn quantity(text: &str, signed: bool) -> Result<i64, &'static str> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) if signed => (true, rest),
        Some(_) => return Err("Enter a quantity above zero."),
        None => (false, t),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Enter a whole number.");
    }
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .ok_or("That quantity is too large.")?;
    Ok(if negative { -n } else { n })
}

impl ProductInput {
    /// Checks every field; the price is read in `currency`'s minor units.
    pub fn check(&self, currency: &str) -> Result<CheckedProduct, ValidationErrors> {
        let mut errors = self.validate().err().unwrap_or_default();
        let unit_price = money::parse(&self.price, currency).unwrap_or_else(|m| {
            refuse(&mut errors, "price", m);
            0
        });
        let low_stock_threshold = if self.low_stock.trim().is_empty() {
            0
        } else {
            quantity(&self.low_stock, false).unwrap_or_else(|m| {
                refuse(&mut errors, "low_stock", m);
                0
            })
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedProduct {
            sku: self.sku.trim().to_owned(),
            name: self.name.trim().to_owned(),
            unit_price,
            low_stock_threshold,
            active: self.active.is_some(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    #[error("That SKU is already used by another product.")]
    DuplicateSku,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

const PRODUCT: &str = "p.id, p.sku, p.name, p.unit_price, p.active, p.low_stock_threshold,
    coalesce((select sum(m.delta) from stock_movements m where m.product_id = p.id), 0)::bigint as on_hand";

#[derive(sqlx::FromRow)]
struct ProductOfMany {
    #[sqlx(flatten)]
    product: Product,
    total: i64,
}

/// Which products a list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Text in the SKU or name.
    pub q: String,
    /// `active`, `inactive`, or empty for both.
    pub status: String,
    /// Only products at or below their low-stock threshold.
    pub low_stock: bool,
}

const MATCHES: &str = "(p.sku ilike $1 or p.name ilike $1)
    and ($2 = '' or p.active = ($2 = 'active'))";

fn pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// One page of products by SKU, how many match in all, and the tenant's currency.
pub async fn list(
    db: &TenantDb,
    filter: &Filter,
    page: i64,
    per_page: i64,
) -> sqlx::Result<(Vec<Product>, i64, String)> {
    let mut tx = db.begin().await?;
    let currency = clock::currency(&mut tx).await?;
    let rows: Vec<ProductOfMany> = sqlx::query_as(&format!(
        "select *, count(*) over () as total from (select {PRODUCT} from products p where {MATCHES}) s
         where not $3 or (low_stock_threshold > 0 and on_hand <= low_stock_threshold)
         order by lower(sku), id limit $4 offset $5"
    ))
    .bind(pattern(&filter.q))
    .bind(&filter.status)
    .bind(filter.low_stock)
    .bind(per_page)
    .bind(page.max(0).saturating_mul(per_page))
    .fetch_all(&mut *tx)
    .await?;
    let total = match rows.first() {
        Some(r) => r.total,
        None => {
            sqlx::query_scalar(&format!(
                "select count(*) from (select {PRODUCT} from products p where {MATCHES}) s
                 where not $3 or (low_stock_threshold > 0 and on_hand <= low_stock_threshold)"
            ))
            .bind(pattern(&filter.q))
            .bind(&filter.status)
            .bind(filter.low_stock)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok((
        rows.into_iter().map(|r| r.product).collect(),
        total,
        currency,
    ))
}

/// Active products by SKU, for choosing one (an invoice line).
pub async fn active(db: &TenantDb, limit: i64) -> sqlx::Result<Vec<Product>> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as(&format!(
        "select {PRODUCT} from products p where p.active order by lower(p.sku) limit $1"
    ))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// A product and the tenant's currency.
pub async fn get(db: &TenantDb, id: i64) -> sqlx::Result<Option<(Product, String)>> {
    let mut tx = db.begin().await?;
    let currency = clock::currency(&mut tx).await?;
    let row: Option<Product> =
        sqlx::query_as(&format!("select {PRODUCT} from products p where p.id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(row.map(|p| (p, currency)))
}

/// The tenant's currency (prices are read and shown in it).
pub async fn currency(db: &TenantDb) -> sqlx::Result<String> {
    let mut tx = db.begin().await?;
    let currency = clock::currency(&mut tx).await?;
    tx.commit().await?;
    Ok(currency)
}

pub async fn create(db: &TenantDb, p: &CheckedProduct) -> Result<i64, ProductError> {
    let mut tx = db.begin().await?;
    let id = sqlx::query_scalar(
        "insert into products (sku, name, unit_price, low_stock_threshold, active)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(&p.sku)
    .bind(&p.name)
    .bind(p.unit_price)
    .bind(p.low_stock_threshold)
    .bind(p.active)
    .fetch_one(&mut *tx)
    .await
    .on_constraint("products_sku_key", || ProductError::DuplicateSku)?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a product; `false` when there is no such product.
pub async fn update(db: &TenantDb, id: i64, p: &CheckedProduct) -> Result<bool, ProductError> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "update products set sku = $2, name = $3, unit_price = $4, low_stock_threshold = $5,
             active = $6, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(&p.sku)
    .bind(&p.name)
    .bind(p.unit_price)
    .bind(p.low_stock_threshold)
    .bind(p.active)
    .execute(&mut *tx)
    .await
    .on_constraint("products_sku_key", || ProductError::DuplicateSku)?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Location {
    pub id: i64,
    pub name: String,
}

pub async fn locations(db: &TenantDb) -> sqlx::Result<Vec<Location>> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as("select id, name from stock_locations order by lower(name), id")
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct LocationInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 100, message = "Enter a name of 1 to 100 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("There is already a location with that name.")]
    Duplicate,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

pub async fn add_location(db: &TenantDb, input: &LocationInput) -> Result<i64, LocationError> {
    let mut tx = db.begin().await?;
    let id = sqlx::query_scalar("insert into stock_locations (name) values ($1) returning id")
        .bind(input.name.trim())
        .fetch_one(&mut *tx)
        .await
        .on_constraint("stock_locations_name_key", || LocationError::Duplicate)?;
    tx.commit().await?;
    Ok(id)
}

/// A product's stock at each location that has seen a movement.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Stock {
    pub location: String,
    pub on_hand: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Movement {
    pub kind: String,
    pub delta: i64,
    pub location: String,
    pub note: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    /// `created_at` on the tenant's clock.
    pub local_time: String,
}

/// A product's stock per location and its latest movements (times on the tenant's
/// clock), and that clock's zone.
pub async fn stock_and_movements(
    db: &TenantDb,
    product: i64,
    known_zones: &[String],
) -> sqlx::Result<(Vec<Stock>, Vec<Movement>, String)> {
    let mut tx = db.begin().await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let stock = sqlx::query_as(
        "select l.name as location, sum(m.delta)::bigint as on_hand
         from stock_movements m join stock_locations l on l.id = m.location_id
         where m.product_id = $1 group by l.id, l.name order by lower(l.name)",
    )
    .bind(product)
    .fetch_all(&mut *tx)
    .await?;
    let movements = sqlx::query_as(
        "select m.kind, m.delta, l.name as location, m.note, m.created_by, m.created_at,
                to_char(m.created_at at time zone $2, 'YYYY-MM-DD HH24:MI') as local_time
         from stock_movements m join stock_locations l on l.id = m.location_id
         where m.product_id = $1 order by m.id desc limit 100",
    )
    .bind(product)
    .bind(&zone)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((stock, movements, zone))
}

/// What the movement form submits.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MovementInput {
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub kind: String,
    /// In and out: a positive whole number; adjustment: a signed one (not zero).
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub note: String,
}

/// A movement as it will be recorded.
#[derive(Clone, Debug)]
pub struct CheckedMovement {
    pub location: i64,
    pub kind: String,
    pub delta: i64,
    pub note: String,
}

impl MovementInput {
    pub fn check(&self) -> Result<CheckedMovement, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let location = self.location.trim().parse::<i64>().unwrap_or_else(|_| {
            refuse(&mut errors, "location", "Choose a location.");
            0
        });
        if !KINDS.contains(&self.kind.as_str()) {
            refuse(&mut errors, "kind", "Choose in, out or adjustment.");
        }
        let signed = self.kind == "adjustment";
        let delta = match quantity(&self.quantity, signed) {
            Ok(0) => {
                refuse(&mut errors, "quantity", "Enter a quantity other than zero.");
                0
            }
            Ok(n) if self.kind == "out" => -n,
            Ok(n) => n,
            Err(m) => {
                refuse(&mut errors, "quantity", m);
                0
            }
        };
        if self.note.chars().count() > 500 {
            refuse(&mut errors, "note", "A note has at most 500 characters.");
        } else if self.note.chars().any(char::is_control) {
            refuse(&mut errors, "note", "Use a single line of text.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedMovement {
            location,
            kind: self.kind.clone(),
            delta,
            note: self.note.trim().to_owned(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MovementError {
    #[error("There is no such product.")]
    NoSuchProduct,
    #[error("There is no such location.")]
    NoSuchLocation,
    #[error("Only {on_hand} on hand at that location: stock cannot go below zero.")]
    WouldGoNegative { on_hand: i64 },
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Records a movement; the quantity then on hand at its location. The product's row is
/// locked first, so concurrent movements of one product are counted one at a time.
pub async fn record_movement(
    db: &TenantDb,
    product: i64,
    m: &CheckedMovement,
    by: &str,
) -> Result<i64, MovementError> {
    let mut tx = db.begin().await?;
    let locked: Option<i64> =
        sqlx::query_scalar("select id from products where id = $1 for update")
            .bind(product)
            .fetch_optional(&mut *tx)
            .await?;
    if locked.is_none() {
        return Err(MovementError::NoSuchProduct);
    }
    let location: Option<i64> = sqlx::query_scalar("select id from stock_locations where id = $1")
        .bind(m.location)
        .fetch_optional(&mut *tx)
        .await?;
    if location.is_none() {
        return Err(MovementError::NoSuchLocation);
    }
    // A new statement after the lock: it sees every movement committed before it.
    let on_hand: i64 = sqlx::query_scalar(
        "select coalesce(sum(delta), 0)::bigint from stock_movements where product_id = $1 and location_id = $2",
    )
    .bind(product)
    .bind(m.location)
    .fetch_one(&mut *tx)
    .await?;
    let after = on_hand + m.delta;
    if after < 0 {
        return Err(MovementError::WouldGoNegative { on_hand });
    }
    sqlx::query(
        "insert into stock_movements (product_id, location_id, kind, delta, note, created_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(product)
    .bind(m.location)
    .bind(&m.kind)
    .bind(m.delta)
    .bind(&m.note)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_whole_and_signed_only_for_adjustments() {
        assert_eq!(quantity("12", false), Ok(12));
        assert!(quantity("-3", false).is_err());
        assert_eq!(quantity("-3", true), Ok(-3));
        assert!(quantity("1.5", false).is_err());
        assert!(quantity("", false).is_err());
        assert!(quantity("99999999999", false).is_err());
        let out = MovementInput {
            location: "1".into(),
            kind: "out".into(),
            quantity: "4".into(),
            note: String::new(),
        };
        assert_eq!(out.check().unwrap().delta, -4);
        let zero = MovementInput {
            quantity: "0".into(),
            ..out.clone()
        };
        assert!(zero.check().is_err());
    }
}
