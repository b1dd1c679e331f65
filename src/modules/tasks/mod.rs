//! Tasks data: work items with a status (to do, doing, done), a priority, a due time on
//! the tenant's clock, an assignee (a member of the tenant, by user id) and optionally a
//! CRM customer, in the tenant's own database.

use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::modules::{TenantDb, clock};

pub const STATUSES: &[&str] = &["todo", "doing", "done"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

/// The status labels a tenant starts with (its migration writes them): a label still
/// equal to its default was never renamed, so a page may show it in the reader's words.
pub const DEFAULT_LABELS: &[(&str, &str)] =
    &[("todo", "To do"), ("doing", "Doing"), ("done", "Done")];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub due_at: Option<OffsetDateTime>,
    /// `due_at` on the tenant's clock, `YYYY-MM-DD HH:MM`.
    pub due_local: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    /// Due in the past and not done.
    pub overdue: bool,
}

impl Task {
    /// The due date and time as the edit form holds them.
    pub fn due_parts(&self) -> (String, String) {
        match &self.due_local {
            Some(local) => {
                let (d, t) = local.split_once(' ').unwrap_or((local, ""));
                (d.to_owned(), t.to_owned())
            }
            None => (String::new(), String::new()),
        }
    }
}

/// A status with the label the tenant gives it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StatusLabel {
    pub status: String,
    pub label: String,
}

/// What the task form submits.
#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct TaskInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 200, message = "Enter a title of 1 to 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub title: String,
    #[serde(default)]
    #[validate(length(max = 10000, message = "A description has at most 10,000 characters."))]
    pub description: String,
    #[serde(default)]
    #[validate(custom(function = "known_status"))]
    pub status: String,
    #[serde(default)]
    #[validate(custom(function = "known_priority"))]
    pub priority: String,
    /// `YYYY-MM-DD` on the tenant's clock, or empty.
    #[serde(default)]
    pub due_date: String,
    /// `HH:MM`, or empty (end of the day).
    #[serde(default)]
    pub due_time: String,
    /// A member's user id, or empty.
    #[serde(default)]
    pub assignee: String,
    /// A customer's id, or empty.
    #[serde(default)]
    pub customer: String,
}

fn known_status(s: &str) -> Result<(), ValidationError> {
    if STATUSES.contains(&s) {
        Ok(())
    } else {
        Err(ValidationError::new("status").with_message("Choose to do, doing or done.".into()))
    }
}

fn known_priority(s: &str) -> Result<(), ValidationError> {
    if PRIORITIES.contains(&s) {
        Ok(())
    } else {
        Err(ValidationError::new("priority")
            .with_message("Choose low, normal, high or urgent.".into()))
    }
}

fn refuse(errors: &mut ValidationErrors, field: &'static str, message: &'static str) {
    errors.add(
        field,
        ValidationError::new(field).with_message(message.into()),
    );
}

/// A task as it will be stored: checked input.
#[derive(Clone, Debug)]
pub struct CheckedTask {
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub due: Option<time::PrimitiveDateTime>,
    pub assignee: Option<Uuid>,
    pub customer: Option<i64>,
}

impl TaskInput {
    /// Checks every field; `members` are the tenant's members (an assignee must be one).
    /// Whether the customer exists is checked when saving.
    pub fn check(&self, members: &[Uuid]) -> Result<CheckedTask, ValidationErrors> {
        let mut errors = self.validate().err().unwrap_or_default();
        let due = clock::local_date_time(&self.due_date, &self.due_time).unwrap_or_else(|m| {
            refuse(&mut errors, "due_date", m);
            None
        });
        let assignee = match self.assignee.trim() {
            "" => None,
            id => match Uuid::parse_str(id).ok().filter(|id| members.contains(id)) {
                Some(id) => Some(id),
                None => {
                    refuse(
                        &mut errors,
                        "assignee",
                        "Choose a member of this workspace.",
                    );
                    None
                }
            },
        };
        let customer = match self.customer.trim() {
            "" => None,
            id => match id.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    refuse(&mut errors, "customer", "Choose a customer from the list.");
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedTask {
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            status: self.status.clone(),
            priority: self.priority.clone(),
            due,
            assignee,
            customer,
        })
    }
}

/// Why a save was refused by what is stored.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("That customer does not exist (any more).")]
    NoSuchCustomer,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Which tasks a list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Text in the title.
    pub q: String,
    /// One of [`STATUSES`], or empty for any.
    pub status: String,
    /// Only tasks assigned to this user ("mine").
    pub assignee: Option<Uuid>,
    /// Only tasks due in the past and not done.
    pub overdue: bool,
    /// Only this customer's tasks.
    pub customer: Option<i64>,
}

const COLUMNS: &str = "t.id, t.title, t.description, t.status, t.priority, t.due_at,
    to_char(t.due_at at time zone $1, 'YYYY-MM-DD HH24:MI') as due_local,
    t.assignee_id, t.customer_id, c.name as customer_name,
    coalesce(t.due_at < now() and t.status <> 'done', false) as overdue";

const MATCHES: &str = "t.title ilike $2 and ($3 = '' or t.status = $3)
    and ($4::uuid is null or t.assignee_id = $4)
    and (not $5 or (t.due_at < now() and t.status <> 'done'))
    and ($6::bigint is null or t.customer_id = $6)";

#[derive(sqlx::FromRow)]
struct TaskOfMany {
    #[sqlx(flatten)]
    task: Task,
    total: i64,
}

fn pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// One page of tasks (soonest due first) and how many match in all; also the tenant's
/// time zone, which the due times are on.
pub async fn list(
    db: &TenantDb,
    filter: &Filter,
    known_zones: &[String],
    page: i64,
    per_page: i64,
) -> sqlx::Result<(Vec<Task>, i64, String)> {
    let mut tx = db.begin().await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let rows: Vec<TaskOfMany> = sqlx::query_as(&format!(
        "select {COLUMNS}, count(*) over () as total
         from tasks t left join customers c on c.id = t.customer_id
         where {MATCHES} order by t.due_at nulls last, t.id limit $7 offset $8"
    ))
    .bind(&zone)
    .bind(pattern(&filter.q))
    .bind(&filter.status)
    .bind(filter.assignee)
    .bind(filter.overdue)
    .bind(filter.customer)
    .bind(per_page)
    .bind(page.max(0).saturating_mul(per_page))
    .fetch_all(&mut *tx)
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            sqlx::query_scalar(&format!(
                "select count(*) from tasks t where $1::text is not null and {MATCHES}"
            ))
            .bind(&zone)
            .bind(pattern(&filter.q))
            .bind(&filter.status)
            .bind(filter.assignee)
            .bind(filter.overdue)
            .bind(filter.customer)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok((rows.into_iter().map(|r| r.task).collect(), total, zone))
}

/// The most cards a board column shows.
pub const BOARD_LIMIT: i64 = 100;

/// The board: each status with its label and up to [`BOARD_LIMIT`] tasks (soonest due
/// first), and the time zone.
pub async fn board(
    db: &TenantDb,
    assignee: Option<Uuid>,
    known_zones: &[String],
) -> sqlx::Result<(Vec<(StatusLabel, Vec<Task>)>, String)> {
    let mut tx = db.begin().await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let labels = labels_in(&mut tx).await?;
    let mut columns = Vec::new();
    for label in labels {
        let tasks: Vec<Task> = sqlx::query_as(&format!(
            "select {COLUMNS} from tasks t left join customers c on c.id = t.customer_id
             where t.status = $2 and ($3::uuid is null or t.assignee_id = $3)
             order by t.due_at nulls last, t.id limit $4"
        ))
        .bind(&zone)
        .bind(&label.status)
        .bind(assignee)
        .bind(BOARD_LIMIT)
        .fetch_all(&mut *tx)
        .await?;
        columns.push((label, tasks));
    }
    tx.commit().await?;
    Ok((columns, zone))
}

pub async fn get(db: &TenantDb, id: i64, known_zones: &[String]) -> sqlx::Result<Option<Task>> {
    let mut tx = db.begin().await?;
    let zone = clock::zone(&mut tx, known_zones).await?;
    let task = sqlx::query_as(&format!(
        "select {COLUMNS} from tasks t left join customers c on c.id = t.customer_id where t.id = $2"
    ))
    .bind(&zone)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(task)
}

async fn customer_exists(tx: &mut sqlx::PgConnection, id: Option<i64>) -> sqlx::Result<bool> {
    match id {
        None => Ok(true),
        Some(id) => {
            sqlx::query_scalar("select exists(select 1 from customers where id = $1)")
                .bind(id)
                .fetch_one(tx)
                .await
        }
    }
}

/// Adds a task; its id. The due time is read on the tenant's clock.
pub async fn create(
    db: &TenantDb,
    t: &CheckedTask,
    by: &str,
    known_zones: &[String],
) -> Result<i64, SaveError> {
    let mut tx = db.begin().await?;
    if !customer_exists(&mut tx, t.customer).await? {
        return Err(SaveError::NoSuchCustomer);
    }
    let zone = clock::zone(&mut tx, known_zones).await?;
    let id = sqlx::query_scalar(
        "insert into tasks (title, description, status, priority, due_at, assignee_id, customer_id, created_by)
         values ($1, $2, $3, $4, $5::timestamp at time zone $6, $7, $8, $9) returning id",
    )
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.status)
    .bind(&t.priority)
    .bind(t.due)
    .bind(&zone)
    .bind(t.assignee)
    .bind(t.customer)
    .bind(by)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a task; `false` when there is no such task.
pub async fn update(
    db: &TenantDb,
    id: i64,
    t: &CheckedTask,
    known_zones: &[String],
) -> Result<bool, SaveError> {
    let mut tx = db.begin().await?;
    if !customer_exists(&mut tx, t.customer).await? {
        return Err(SaveError::NoSuchCustomer);
    }
    let zone = clock::zone(&mut tx, known_zones).await?;
    let done = sqlx::query(
        "update tasks set title = $2, description = $3, status = $4, priority = $5,
             due_at = $6::timestamp at time zone $7, assignee_id = $8, customer_id = $9, updated_at = now()
         where id = $1",
    )
    .bind(id)
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.status)
    .bind(&t.priority)
    .bind(t.due)
    .bind(&zone)
    .bind(t.assignee)
    .bind(t.customer)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a task to `status` (one of [`STATUSES`]); `false` when there is no such task.
pub async fn set_status(db: &TenantDb, id: i64, status: &str) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("update tasks set status = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: &TenantDb, id: i64) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("delete from tasks where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

async fn labels_in(tx: &mut sqlx::PgConnection) -> sqlx::Result<Vec<StatusLabel>> {
    sqlx::query_as("select status, label from task_statuses order by position")
        .fetch_all(tx)
        .await
}

/// The statuses in board order, with their labels.
pub async fn labels(db: &TenantDb) -> sqlx::Result<Vec<StatusLabel>> {
    let mut tx = db.begin().await?;
    let labels = labels_in(&mut tx).await?;
    tx.commit().await?;
    Ok(labels)
}

/// The module settings' form: a label per status.
#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct LabelsInput {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 40, message = "Use 1 to 40 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub todo: String,
    #[serde(default)]
    #[validate(
        length(min = 1, max = 40, message = "Use 1 to 40 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub doing: String,
    #[serde(default)]
    #[validate(
        length(min = 1, max = 40, message = "Use 1 to 40 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub done: String,
}

pub async fn save_labels(db: &TenantDb, input: &LabelsInput) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for (status, label) in [
        ("todo", &input.todo),
        ("doing", &input.doing),
        ("done", &input.done),
    ] {
        sqlx::query("update task_statuses set label = $2 where status = $1")
            .bind(status)
            .bind(label.trim())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}
