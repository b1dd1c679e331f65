//! Billing data: invoices for CRM customers, their lines (from inventory products or
//! free text), tax rates, and numbering without gaps per tenant and year
//! (`INV-2026-0001`), the number taken in the transaction that issues the invoice.
//! Amounts are integers in minor units of the tenant's currency, computed here with
//! checked integer arithmetic (never floating point). Issued invoices are immutable: the
//! service refuses, and a trigger in the tenant's database backs it up.

use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::modules::{TenantDb, clock, money};
use crate::pg::constraint::OnConstraint;

pub const STATUSES: &[&str] = &["draft", "issued", "paid", "void"];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invoice {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    /// Given when issued.
    pub number: Option<String>,
    pub status: String,
    pub currency: String,
    pub notes: String,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// On the tenant's clock, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
}

impl Invoice {
    pub fn is_draft(&self) -> bool {
        self.status == "draft"
    }

    /// Its number, or "Draft #id".
    pub fn label(&self) -> String {
        self.number
            .clone()
            .unwrap_or_else(|| format!("Draft #{}", self.id))
    }

    /// `minor` in the invoice's currency (a reference: templates pass fields so).
    pub fn amount(&self, minor: &i64) -> String {
        money::display(*minor, &self.currency)
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Line {
    pub id: i64,
    pub product_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub tax_rate_bp: i32,
}

impl Line {
    /// Quantity × unit price.
    pub fn net(&self) -> Option<i64> {
        self.quantity.checked_mul(self.unit_price)
    }

    /// The line's tax, rounded half up to a minor unit.
    pub fn tax(&self) -> Option<i64> {
        let net = self.net()?;
        net.checked_mul(i64::from(self.tax_rate_bp))?
            .checked_add(5_000)
            .map(|v| v / 10_000)
    }

    /// The rate as people read it: `20 %`, `5.5 %`.
    pub fn rate(&self) -> String {
        percent(self.tax_rate_bp)
    }
}

/// Basis points as a percentage: 2000 → `20 %`, 550 → `5.5 %`.
pub fn percent(bp: i32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        format!("{whole} %")
    } else {
        format!("{whole}.{} %", format!("{frac:02}").trim_end_matches('0'))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
}

/// The invoice's totals from its lines; `None` if they overflow.
pub fn totals(lines: &[Line]) -> Option<Totals> {
    let mut t = Totals::default();
    for line in lines {
        t.subtotal = t.subtotal.checked_add(line.net()?)?;
        t.tax = t.tax.checked_add(line.tax()?)?;
    }
    t.total = t.subtotal.checked_add(t.tax)?;
    Some(t)
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("That customer does not exist.")]
    NoSuchCustomer,
    #[error("That product does not exist here, or it is inactive.")]
    NoSuchProduct,
    #[error("That tax rate does not exist.")]
    NoSuchTaxRate,
    #[error("This invoice is issued: it cannot be changed any more.")]
    NotDraft,
    #[error("Add at least one line before issuing.")]
    NoLines,
    #[error("Only an issued invoice can be marked paid or void.")]
    NotIssued,
    #[error("The amounts are too large.")]
    TooLarge,
    #[error("There is no such invoice.")]
    NotFound,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

const INVOICE: &str =
    "i.id, i.customer_id, c.name as customer_name, i.number, i.status, i.currency,
    i.notes, i.subtotal, i.tax, i.total, to_char(i.issued_on, 'YYYY-MM-DD') as issued_on";

#[derive(sqlx::FromRow)]
struct InvoiceOfMany {
    #[sqlx(flatten)]
    invoice: Invoice,
    total_rows: i64,
}

/// Which invoices a list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Text in the number or the customer's name.
    pub q: String,
    /// One of [`STATUSES`], or empty for any.
    pub status: String,
}

const MATCHES: &str =
    "(coalesce(i.number, '') ilike $1 or c.name ilike $1) and ($2 = '' or i.status = $2)";

fn pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// One page of invoices (newest first) and how many match in all.
pub async fn list(
    db: &TenantDb,
    filter: &Filter,
    page: i64,
    per_page: i64,
) -> sqlx::Result<(Vec<Invoice>, i64)> {
    let mut tx = db.begin().await?;
    let rows: Vec<InvoiceOfMany> = sqlx::query_as(&format!(
        "select {INVOICE}, count(*) over () as total_rows
         from invoices i join customers c on c.id = i.customer_id
         where {MATCHES} order by i.id desc limit $3 offset $4"
    ))
    .bind(pattern(&filter.q))
    .bind(&filter.status)
    .bind(per_page)
    .bind(page.max(0).saturating_mul(per_page))
    .fetch_all(&mut *tx)
    .await?;
    let total = match rows.first() {
        Some(r) => r.total_rows,
        None => {
            sqlx::query_scalar(&format!(
                "select count(*) from invoices i join customers c on c.id = i.customer_id where {MATCHES}"
            ))
            .bind(pattern(&filter.q))
            .bind(&filter.status)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok((rows.into_iter().map(|r| r.invoice).collect(), total))
}

/// An invoice with its lines.
pub async fn get(db: &TenantDb, id: i64) -> sqlx::Result<Option<(Invoice, Vec<Line>)>> {
    let mut tx = db.begin().await?;
    let invoice: Option<Invoice> = sqlx::query_as(&format!(
        "select {INVOICE} from invoices i join customers c on c.id = i.customer_id where i.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(invoice) = invoice else {
        tx.commit().await?;
        return Ok(None);
    };
    let lines = sqlx::query_as(
        "select id, product_id, description, quantity, unit_price, tax_rate_bp
         from invoice_lines where invoice_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some((invoice, lines)))
}

/// A new draft for `customer` in the tenant's currency; its id.
pub async fn create_draft(db: &TenantDb, customer: i64) -> Result<i64, BillingError> {
    let mut tx = db.begin().await?;
    let exists: bool = sqlx::query_scalar("select exists(select 1 from customers where id = $1)")
        .bind(customer)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(BillingError::NoSuchCustomer);
    }
    let currency = clock::currency(&mut tx).await?;
    let id = sqlx::query_scalar(
        "insert into invoices (customer_id, currency) values ($1, $2) returning id",
    )
    .bind(customer)
    .bind(currency)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Locks the invoice for the rest of the transaction; refuses unless it is a draft.
async fn lock_draft(tx: &mut sqlx::PgConnection, id: i64) -> Result<String, BillingError> {
    let row: Option<(String, String)> =
        sqlx::query_as("select status, currency from invoices where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        None => Err(BillingError::NotFound),
        Some((status, _)) if status != "draft" => Err(BillingError::NotDraft),
        Some((_, currency)) => Ok(currency),
    }
}

/// Stores the totals of the invoice's lines on it.
async fn recompute(tx: &mut sqlx::PgConnection, id: i64) -> Result<Totals, BillingError> {
    let lines: Vec<Line> = sqlx::query_as(
        "select id, product_id, description, quantity, unit_price, tax_rate_bp
         from invoice_lines where invoice_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let t = totals(&lines).ok_or(BillingError::TooLarge)?;
    sqlx::query("update invoices set subtotal = $2, tax = $3, total = $4 where id = $1")
        .bind(id)
        .bind(t.subtotal)
        .bind(t.tax)
        .bind(t.total)
        .execute(&mut *tx)
        .await?;
    Ok(t)
}

/// What the line form submits: a product (with inventory), or a description and price.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LineInput {
    /// A product's id, or empty for a free-text line.
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub description: String,
    /// For a free-text line, as typed (`12.50`).
    #[serde(default)]
    pub unit_price: String,
    #[serde(default)]
    pub quantity: String,
    /// A tax rate's id, or empty for none.
    #[serde(default)]
    pub tax_rate: String,
}

/// Where a line comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineSource {
    Product(i64),
    Text {
        description: String,
        unit_price: i64,
    },
}

#[derive(Clone, Debug)]
pub struct CheckedLine {
    pub source: LineSource,
    pub quantity: i64,
    pub tax_rate: Option<i64>,
}

fn refuse(errors: &mut ValidationErrors, field: &'static str, message: &'static str) {
    errors.add(
        field,
        ValidationError::new(field).with_message(message.into()),
    );
}

impl LineInput {
    /// Checks the line; prices are read in `currency`. `products` says whether product
    /// lines are possible (inventory enabled).
    pub fn check(&self, currency: &str, products: bool) -> Result<CheckedLine, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let quantity = match self.quantity.trim() {
            q if q.starts_with('-') => {
                refuse(&mut errors, "quantity", "A quantity cannot be negative.");
                0
            }
            q => match q.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    refuse(
                        &mut errors,
                        "quantity",
                        "Enter a whole quantity from 1 to 1,000,000.",
                    );
                    0
                }
            },
        };
        let source = match self.product.trim() {
            "" => {
                let description = self.description.trim();
                if description.is_empty() || description.chars().count() > 500 {
                    refuse(
                        &mut errors,
                        "description",
                        "Describe the line in 1 to 500 characters.",
                    );
                } else if description.chars().any(char::is_control) {
                    refuse(&mut errors, "description", "Use a single line of text.");
                }
                let unit_price = money::parse(&self.unit_price, currency).unwrap_or_else(|m| {
                    refuse(&mut errors, "unit_price", m);
                    0
                });
                LineSource::Text {
                    description: description.to_owned(),
                    unit_price,
                }
            }
            _ if !products => {
                refuse(
                    &mut errors,
                    "product",
                    "Products come from Inventory, which is not enabled or not open to you: describe the line instead.",
                );
                LineSource::Product(0)
            }
            id => LineSource::Product(id.parse().unwrap_or_else(|_| {
                refuse(&mut errors, "product", "Choose a product from the list.");
                0
            })),
        };
        let tax_rate = match self.tax_rate.trim() {
            "" => None,
            id => Some(id.parse().unwrap_or_else(|_| {
                refuse(&mut errors, "tax_rate", "Choose a tax rate from the list.");
                0
            })),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedLine {
            source,
            quantity,
            tax_rate,
        })
    }
}

/// Adds a line to a draft, from a product (its name and current price are copied) or as
/// free text; the invoice's totals follow.
pub async fn add_line(db: &TenantDb, invoice: i64, line: &CheckedLine) -> Result<(), BillingError> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, invoice).await?;
    let (product, description, unit_price) = match &line.source {
        LineSource::Text {
            description,
            unit_price,
        } => (None, description.clone(), *unit_price),
        LineSource::Product(id) => {
            let row: Option<(String, String, i64)> = sqlx::query_as(
                "select sku, name, unit_price from products where id = $1 and active",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let (sku, name, price) = row.ok_or(BillingError::NoSuchProduct)?;
            (Some(*id), format!("{sku} · {name}"), price)
        }
    };
    let rate: i32 = match line.tax_rate {
        None => 0,
        Some(id) => sqlx::query_scalar("select rate_bp from tax_rates where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(BillingError::NoSuchTaxRate)?,
    };
    sqlx::query(
        "insert into invoice_lines (invoice_id, product_id, description, quantity, unit_price, tax_rate_bp)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(invoice)
    .bind(product)
    .bind(description)
    .bind(line.quantity)
    .bind(unit_price)
    .bind(rate)
    .execute(&mut *tx)
    .await?;
    recompute(&mut tx, invoice).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_line(db: &TenantDb, invoice: i64, line: i64) -> Result<(), BillingError> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, invoice).await?;
    let done = sqlx::query("delete from invoice_lines where invoice_id = $1 and id = $2")
        .bind(invoice)
        .bind(line)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(BillingError::NotFound);
    }
    recompute(&mut tx, invoice).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_draft(db: &TenantDb, invoice: i64) -> Result<(), BillingError> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, invoice).await?;
    sqlx::query("delete from invoices where id = $1")
        .bind(invoice)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues a draft: takes the next number of the year on the tenant's clock
/// (`<prefix>-<year>-0001`) in the same transaction, so a failed issue gives it back and
/// concurrent issues get consecutive numbers. The number.
pub async fn issue(
    db: &TenantDb,
    invoice: i64,
    known_zones: &[String],
) -> Result<String, BillingError> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, invoice).await?;
    let lines: i64 = sqlx::query_scalar("select count(*) from invoice_lines where invoice_id = $1")
        .bind(invoice)
        .fetch_one(&mut *tx)
        .await?;
    if lines == 0 {
        return Err(BillingError::NoLines);
    }
    recompute(&mut tx, invoice).await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let (year, prefix): (i32, String) = sqlx::query_as(
        "select extract(year from now() at time zone $1)::int, prefix from invoice_settings",
    )
    .bind(&zone)
    .fetch_one(&mut *tx)
    .await?;
    let n: i32 = sqlx::query_scalar(
        "insert into invoice_counters (year, last) values ($1, 1)
         on conflict (year) do update set last = invoice_counters.last + 1 returning last",
    )
    .bind(year)
    .fetch_one(&mut *tx)
    .await?;
    let number = format!("{prefix}-{year}-{n:04}");
    sqlx::query(
        "update invoices set status = 'issued', number = $2,
             issued_on = (now() at time zone $3)::date, issued_at = now()
         where id = $1",
    )
    .bind(invoice)
    .bind(&number)
    .bind(&zone)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// Moves an issued invoice to `paid` or `void`.
pub async fn settle(db: &TenantDb, invoice: i64, to: &str) -> Result<(), BillingError> {
    let column = match to {
        "paid" => "paid_at",
        "void" => "voided_at",
        _ => return Err(BillingError::NotIssued),
    };
    let mut tx = db.begin().await?;
    let status: Option<String> =
        sqlx::query_scalar("select status from invoices where id = $1 for update")
            .bind(invoice)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(BillingError::NotFound),
        Some("issued") => {}
        Some(_) => return Err(BillingError::NotIssued),
    }
    // `column` is one of the two names above, never input.
    sqlx::query(&format!(
        "update invoices set status = $2, {column} = now() where id = $1"
    ))
    .bind(invoice)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Invoiced this month on the tenant's clock (issued and paid invoices), in minor units,
/// and the currency.
pub async fn revenue_this_month(
    db: &TenantDb,
    known_zones: &[String],
) -> sqlx::Result<(i64, String)> {
    let mut tx = db.begin().await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let currency = clock::currency(&mut tx).await?;
    let total: i64 = sqlx::query_scalar(
        "select coalesce(sum(total), 0)::bigint from invoices
         where status in ('issued', 'paid') and currency = $2
           and issued_on >= date_trunc('month', now() at time zone $1)::date",
    )
    .bind(&zone)
    .bind(&currency)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((total, currency))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TaxRate {
    pub id: i64,
    pub name: String,
    pub rate_bp: i32,
}

impl TaxRate {
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, percent(self.rate_bp))
    }
}

/// The module's settings: the number prefix and the tax rates.
pub async fn settings(db: &TenantDb) -> sqlx::Result<(String, Vec<TaxRate>)> {
    let mut tx = db.begin().await?;
    let prefix = sqlx::query_scalar("select prefix from invoice_settings")
        .fetch_one(&mut *tx)
        .await?;
    let rates =
        sqlx::query_as("select id, name, rate_bp from tax_rates order by rate_bp, lower(name)")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok((prefix, rates))
}

fn prefix_chars(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if !t.is_empty()
        && t.len() <= 10
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(ValidationError::new("prefix")
            .with_message("Use 1 to 10 capital letters or digits, such as INV.".into()))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct PrefixInput {
    #[serde(default)]
    #[validate(custom(function = "prefix_chars"))]
    pub prefix: String,
}

pub async fn save_prefix(db: &TenantDb, input: &PrefixInput) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("update invoice_settings set prefix = $1")
        .bind(input.prefix.trim())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TaxRateInput {
    #[serde(default)]
    pub name: String,
    /// A percentage as typed: `20`, `5.5`.
    #[serde(default)]
    pub rate: String,
}

impl TaxRateInput {
    /// The name and the rate in basis points.
    pub fn check(&self) -> Result<(String, i32), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            refuse(
                &mut errors,
                "name",
                "Enter a name of 1 to 60 characters on one line.",
            );
        }
        // A percentage with up to two decimals is a whole number of basis points: read
        // it as an amount with two minor digits.
        let bp = match money::parse(&self.rate, "EUR") {
            Ok(bp) if bp <= 100_000 => bp as i32,
            _ => {
                refuse(
                    &mut errors,
                    "rate",
                    "Enter a percentage from 0 to 1000 with at most two decimals, such as 20 or 5.5.",
                );
                0
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((name.to_owned(), bp))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TaxRateError {
    #[error("There is already a tax rate with that name.")]
    Duplicate,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

pub async fn add_tax_rate(db: &TenantDb, name: &str, rate_bp: i32) -> Result<i64, TaxRateError> {
    let mut tx = db.begin().await?;
    let id =
        sqlx::query_scalar("insert into tax_rates (name, rate_bp) values ($1, $2) returning id")
            .bind(name)
            .bind(rate_bp)
            .fetch_one(&mut *tx)
            .await
            .on_constraint("tax_rates_name_key", || TaxRateError::Duplicate)?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, unit_price: i64, tax_rate_bp: i32) -> Line {
        Line {
            id: 0,
            product_id: None,
            description: String::new(),
            quantity,
            unit_price,
            tax_rate_bp,
        }
    }

    #[test]
    fn totals_are_exact_integers() {
        // 3 × 19.99 at 20 % + 1 × 0.05 at 5.5 % (0.00275 rounds to 0.00).
        let t = totals(&[line(3, 1999, 2000), line(1, 5, 550)]).unwrap();
        assert_eq!(
            t,
            Totals {
                subtotal: 6002,
                tax: 1199,
                total: 7201
            }
        );
        // Half a cent rounds up: 0.25 at 10 % = 0.025 → 0.03.
        assert_eq!(line(1, 25, 1000).tax(), Some(3));
        assert_eq!(totals(&[line(i64::MAX, 2, 0)]), None);
        assert_eq!(percent(2000), "20 %");
        assert_eq!(percent(550), "5.5 %");
        assert_eq!(percent(5), "0.05 %");
    }
}
