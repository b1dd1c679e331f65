//! CRM data: customers, their contacts and interactions, in the tenant's own database.

use serde::Deserialize;
use time::OffsetDateTime;
use validator::Validate;

use crate::modules::TenantDb;

pub const STATUSES: &[&str] = &["lead", "active", "churned"];
pub const KINDS: &[&str] = &["call", "email", "meeting", "note"];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub status: String,
    pub notes: String,
    pub created_at: OffsetDateTime,
    /// Moves forward at every change; [`Customer::version`] is made from it.
    pub updated_at: OffsetDateTime,
}

/// What the customer form submits.
#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct CustomerInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 200, message = "Enter a name of 1 to 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub name: String,
    #[serde(default)]
    #[validate(
        length(max = 254, message = "That email address is too long."),
        custom(function = "crate::rules::optional_email")
    )]
    pub email: String,
    #[serde(default)]
    #[validate(
        length(max = 40, message = "Use at most 40 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub phone: String,
    #[serde(default)]
    #[validate(custom(function = "known_status"))]
    pub status: String,
    #[serde(default)]
    #[validate(length(max = 10000, message = "Notes are limited to 10,000 characters."))]
    pub notes: String,
}

fn known_status(s: &str) -> Result<(), validator::ValidationError> {
    if STATUSES.contains(&s) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("status")
            .with_message("Choose lead, active or churned.".into()))
    }
}

fn blank_to_none(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// How a customer list is ordered: a column and a direction, from a closed set (the SQL
/// is chosen here, never built from the request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    NameAsc,
    NameDesc,
    StatusAsc,
    StatusDesc,
    NewestFirst,
    OldestFirst,
}

impl Sort {
    /// From a URL's `sort` value; anything else is the default.
    pub fn parse(s: &str) -> Self {
        match s {
            "-name" => Self::NameDesc,
            "status" => Self::StatusAsc,
            "-status" => Self::StatusDesc,
            "-created" => Self::NewestFirst,
            "created" => Self::OldestFirst,
            _ => Self::NameAsc,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::StatusAsc => "status",
            Self::StatusDesc => "-status",
            Self::NewestFirst => "-created",
            Self::OldestFirst => "created",
        }
    }

    fn order_by(self) -> &'static str {
        match self {
            Self::NameAsc => "lower(name), id",
            Self::NameDesc => "lower(name) desc, id desc",
            Self::StatusAsc => "status, lower(name), id",
            Self::StatusDesc => "status desc, lower(name), id",
            Self::NewestFirst => "created_at desc, id desc",
            Self::OldestFirst => "created_at, id",
        }
    }
}

/// A search: text in the name or email, a status (empty: any), an order.
pub struct Search<'a> {
    pub q: &'a str,
    pub status: &'a str,
    pub sort: Sort,
}

impl Search<'static> {
    /// Every customer, by name.
    pub const ALL: Self = Search {
        q: "",
        status: "",
        sort: Sort::NameAsc,
    };
}

impl Search<'_> {
    /// `q` as an ILIKE pattern matching it anywhere, its wildcards taken literally.
    fn pattern(&self) -> String {
        format!(
            "%{}%",
            self.q
                .trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    }
}

const MATCHES: &str =
    "(name ilike $1 or coalesce(email, '') ilike $1) and ($2 = '' or status = $2)";

/// A row of a page, with how many rows match in all.
#[derive(sqlx::FromRow)]
struct CustomerOfMany {
    #[sqlx(flatten)]
    customer: Customer,
    total: i64,
}

/// One page of customers matching the search, and how many match in all: one statement
/// (the total rides along as a window count), plus a count only for a page past the end.
pub async fn list(
    db: &TenantDb,
    search: &Search<'_>,
    page: i64,
    per_page: i64,
) -> sqlx::Result<(Vec<Customer>, i64)> {
    let pattern = search.pattern();
    let mut tx = db.begin().await?;
    let rows: Vec<CustomerOfMany> = sqlx::query_as(&format!(
        "select id, name, email, phone, status, notes, created_at, updated_at, count(*) over () as total from customers
             where {MATCHES} order by {} limit $3 offset $4",
        search.sort.order_by()
    ))
    .bind(&pattern)
    .bind(search.status)
    .bind(per_page)
    .bind(page.max(0).saturating_mul(per_page))
    .fetch_all(&mut *tx)
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            sqlx::query_scalar(&format!("select count(*) from customers where {MATCHES}"))
                .bind(&pattern)
                .bind(search.status)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    tx.commit().await?;
    let customers = rows.into_iter().map(|row| row.customer).collect();
    Ok((customers, total))
}

/// Every customer matching the search, up to `limit`, for an export.
pub async fn export(db: &TenantDb, search: &Search<'_>, limit: i64) -> sqlx::Result<Vec<Customer>> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as::<_, Customer>(&format!(
        "select id, name, email, phone, status, notes, created_at, updated_at from customers
         where {MATCHES} order by {} limit $3",
        search.sort.order_by()
    ))
    .bind(search.pattern())
    .bind(search.status)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(db: &TenantDb, id: i64) -> sqlx::Result<Option<Customer>> {
    let mut tx = db.begin().await?;
    let row = sqlx::query_as::<_, Customer>(
        "select id, name, email, phone, status, notes, created_at, updated_at from customers where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn create(db: &TenantDb, input: &CustomerInput) -> sqlx::Result<Customer> {
    let mut tx = db.begin().await?;
    let row = sqlx::query_as::<_, Customer>(
        "insert into customers (name, email, phone, status, notes) values ($1, $2, $3, $4, $5)
         returning id, name, email, phone, status, notes, created_at, updated_at",
    )
    .bind(input.name.trim())
    .bind(blank_to_none(&input.email))
    .bind(blank_to_none(&input.phone))
    .bind(&input.status)
    .bind(input.notes.trim())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update(
    db: &TenantDb,
    id: i64,
    input: &CustomerInput,
) -> sqlx::Result<Option<Customer>> {
    Ok(match update_if_version(db, id, input, None).await? {
        Guarded::Done(customer) => Some(customer),
        Guarded::Stale | Guarded::Missing => None,
    })
}

/// What a guarded update did.
pub enum Guarded<T> {
    Done(T),
    /// The record's version is no longer the one expected: nothing changed.
    Stale,
    Missing,
}

/// Updates the customer if its version is still `expected` (`None`: whatever it is).
/// The comparison is in the statement that writes, so of two writers who read the same
/// version only the first changes anything.
pub async fn update_if_version(
    db: &TenantDb,
    id: i64,
    input: &CustomerInput,
    expected: Option<&str>,
) -> sqlx::Result<Guarded<Customer>> {
    let expected = match expected.map(version_instant) {
        Some(None) => return Ok(Guarded::Stale),
        Some(Some(at)) => Some(at),
        None => None,
    };
    let mut tx = db.begin().await?;
    // `updated_at` always moves forward, even for two changes within a microsecond.
    let row = sqlx::query_as::<_, Customer>(
        "update customers set name = $2, email = $3, phone = $4, status = $5, notes = $6,
                updated_at = greatest(now(), updated_at + interval '1 microsecond')
         where id = $1 and ($7::timestamptz is null or updated_at = $7)
         returning id, name, email, phone, status, notes, created_at, updated_at",
    )
    .bind(id)
    .bind(input.name.trim())
    .bind(blank_to_none(&input.email))
    .bind(blank_to_none(&input.phone))
    .bind(&input.status)
    .bind(input.notes.trim())
    .bind(expected)
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        Some(customer) => Guarded::Done(customer),
        None => {
            let exists: bool =
                sqlx::query_scalar("select exists(select 1 from customers where id = $1)")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if exists {
                Guarded::Stale
            } else {
                Guarded::Missing
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The instant a version names (microseconds since the epoch, in hex), if it is one.
fn version_instant(version: &str) -> Option<OffsetDateTime> {
    let micros = i64::from_str_radix(version, 16).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

pub async fn delete(db: &TenantDb, id: i64) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("delete from customers where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the customers `ids` the status `status` (one of [`STATUSES`]); how many changed.
pub async fn set_status_of(db: &TenantDb, ids: &[i64], status: &str) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("update customers set status = $2 where id = any($1) and status <> $2")
        .bind(ids)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Deletes the customers `ids` with their contacts and interactions; how many went.
pub async fn delete_all(db: &TenantDb, ids: &[i64]) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("delete from customers where id = any($1)")
        .bind(ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    /// Moves forward at every change; [`Contact::version`] is made from it.
    pub updated_at: OffsetDateTime,
}

impl Contact {
    /// The version `ETag` names, as for customers.
    pub fn version(&self) -> String {
        version_of(self.updated_at)
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Interaction {
    pub id: i64,
    pub kind: String,
    pub summary: String,
    pub occurred_at: OffsetDateTime,
    pub created_by: String,
    /// `occurred_at` on the tenant's clock (its time zone setting), `YYYY-MM-DD HH:MM`.
    pub local_time: String,
}

impl Interaction {
    /// `occurred_at` as RFC 3339, for a `<time datetime>` attribute.
    pub fn iso(&self) -> String {
        rfc3339(self.occurred_at)
    }
}

impl Customer {
    /// The version `ETag` names: when the customer last changed, in microseconds (what
    /// PostgreSQL stores).
    pub fn version(&self) -> String {
        version_of(self.updated_at)
    }

    /// `created_at` as RFC 3339, for a `<time datetime>` attribute.
    pub fn created_iso(&self) -> String {
        rfc3339(self.created_at)
    }
}

/// A version as `ETag` names it: the instant of the last change in microseconds (what
/// PostgreSQL stores), in hex.
fn version_of(updated_at: OffsetDateTime) -> String {
    format!("{:x}", updated_at.unix_timestamp_nanos() / 1000)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A customer's contacts and timeline, the timeline's times in the tenant's time zone
/// (one of `known_zones`; UTC when the setting is missing or not one of them). Also that
/// zone's name.
pub async fn contacts_and_timeline(
    db: &TenantDb,
    customer: i64,
    known_zones: &[String],
) -> sqlx::Result<(Vec<Contact>, Vec<Interaction>, String)> {
    let mut tx = db.begin().await?;
    let zone: Option<String> = sqlx::query_scalar("select timezone from tenant_settings")
        .fetch_optional(&mut *tx)
        .await?;
    // Checked here, so a zone PostgreSQL does not know never reaches `at time zone`.
    let zone = zone
        .filter(|z| known_zones.iter().any(|k| k == z))
        .unwrap_or_else(|| "UTC".to_owned());
    let contacts = sqlx::query_as::<_, Contact>(
        "select id, name, email, title, updated_at from contacts
         where customer_id = $1 order by lower(name), id",
    )
    .bind(customer)
    .fetch_all(&mut *tx)
    .await?;
    let timeline = sqlx::query_as::<_, Interaction>(
        "select id, kind, summary, occurred_at, created_by,
                to_char(occurred_at at time zone $2, 'YYYY-MM-DD HH24:MI') as local_time
         from interactions
         where customer_id = $1 order by occurred_at desc, id desc limit 200",
    )
    .bind(customer)
    .bind(&zone)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((contacts, timeline, zone))
}

#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct ContactInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 200, message = "Enter a name of 1 to 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub name: String,
    #[serde(default)]
    #[validate(
        length(max = 254, message = "That email address is too long."),
        custom(function = "crate::rules::optional_email")
    )]
    pub email: String,
    #[serde(default)]
    #[validate(
        length(max = 100, message = "Use at most 100 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub title: String,
}

pub async fn add_contact(db: &TenantDb, customer: i64, input: &ContactInput) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("insert into contacts (customer_id, name, email, title) values ($1, $2, $3, $4)")
        .bind(customer)
        .bind(input.name.trim())
        .bind(blank_to_none(&input.email))
        .bind(blank_to_none(&input.title))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Changes a contact of `customer`; `false` when there is no such contact there.
pub async fn update_contact(
    db: &TenantDb,
    customer: i64,
    contact: i64,
    input: &ContactInput,
) -> sqlx::Result<bool> {
    Ok(matches!(
        update_contact_if_version(db, customer, contact, input, None).await?,
        Guarded::Done(_)
    ))
}

/// One contact of `customer`.
pub async fn get_contact(
    db: &TenantDb,
    customer: i64,
    contact: i64,
) -> sqlx::Result<Option<Contact>> {
    let mut tx = db.begin().await?;
    let found = sqlx::query_as::<_, Contact>(
        "select id, name, email, title, updated_at from contacts where customer_id = $1 and id = $2",
    )
    .bind(customer)
    .bind(contact)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Changes a contact of `customer` if its version is still `expected` (`None`: whatever
/// it is), compared in the statement that writes, as for customers.
pub async fn update_contact_if_version(
    db: &TenantDb,
    customer: i64,
    contact: i64,
    input: &ContactInput,
    expected: Option<&str>,
) -> sqlx::Result<Guarded<Contact>> {
    let expected = match expected.map(version_instant) {
        Some(None) => return Ok(Guarded::Stale),
        Some(Some(at)) => Some(at),
        None => None,
    };
    let mut tx = db.begin().await?;
    let row = sqlx::query_as::<_, Contact>(
        "update contacts set name = $3, email = $4, title = $5,
                updated_at = greatest(now(), updated_at + interval '1 microsecond')
         where customer_id = $1 and id = $2 and ($6::timestamptz is null or updated_at = $6)
         returning id, name, email, title, updated_at",
    )
    .bind(customer)
    .bind(contact)
    .bind(input.name.trim())
    .bind(blank_to_none(&input.email))
    .bind(blank_to_none(&input.title))
    .bind(expected)
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        Some(contact) => Guarded::Done(contact),
        None => {
            let exists: bool = sqlx::query_scalar(
                "select exists(select 1 from contacts where customer_id = $1 and id = $2)",
            )
            .bind(customer)
            .bind(contact)
            .fetch_one(&mut *tx)
            .await?;
            if exists {
                Guarded::Stale
            } else {
                Guarded::Missing
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Removes a contact of `customer`; `false` when there is no such contact there.
pub async fn delete_contact(db: &TenantDb, customer: i64, contact: i64) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("delete from contacts where customer_id = $1 and id = $2")
        .bind(customer)
        .bind(contact)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct InteractionInput {
    #[serde(default)]
    #[validate(custom(function = "known_kind"))]
    pub kind: String,
    #[serde(default)]
    #[validate(length(min = 1, max = 5000, message = "Write 1 to 5,000 characters."))]
    pub summary: String,
}

fn known_kind(s: &str) -> Result<(), validator::ValidationError> {
    if KINDS.contains(&s) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("kind")
            .with_message("Choose call, email, meeting or note.".into()))
    }
}

pub async fn add_interaction(
    db: &TenantDb,
    customer: i64,
    input: &InteractionInput,
    by: &str,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into interactions (customer_id, kind, summary, created_by) values ($1, $2, $3, $4)",
    )
    .bind(customer)
    .bind(&input.kind)
    .bind(input.summary.trim())
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
