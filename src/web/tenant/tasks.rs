//! Tasks pages in the tenant console: a list with filters (mine, overdue, by status,
//! search) and pages, a board by status whose cards move with htmx, a task's page, and
//! the module's settings (status labels, admin level). Read sees, write changes, admin
//! also reaches the settings — all decided by the guard's `module_level`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use validator::Validate;

use crate::control::memberships;
use crate::modules::crm;
use crate::modules::tasks::{self, LabelsInput, SaveError, StatusLabel, Task, TaskInput};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form, page_index, showing};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::module_user::module_user;

module_user!(TasksUser, "tasks", "Tasks");

const PER_PAGE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(tasks_list).post(task_create))
        .route("/tasks/board", get(tasks_board))
        .route("/tasks/settings", get(settings_page).post(settings_save))
        .route("/tasks/{id}", get(task_page).post(task_update))
        .route("/tasks/{id}/move", post(task_move))
        .route("/tasks/{id}/delete", post(task_delete))
}

/// A choice in a select: value and label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What the task form offers: members to assign, customers to link, statuses.
struct FormChoices {
    members: Vec<Choice>,
    customers: Vec<Choice>,
    labels: Vec<StatusLabel>,
    priorities: &'static [&'static str],
}

async fn members_of(state: &AppState, user: &TasksUser) -> Result<Vec<(Uuid, String)>> {
    let rows = memberships::list(&state.db, user.member.current.tenant.id).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let label = if m.name.trim().is_empty() {
                m.email
            } else {
                format!("{} ({})", m.name, m.email)
            };
            (m.user_id, label)
        })
        .collect())
}

/// The most customers the task form lists.
const CUSTOMER_CHOICES: i64 = 1000;

async fn choices(state: &AppState, user: &TasksUser) -> Result<FormChoices> {
    let members = members_of(state, user)
        .await?
        .into_iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label,
        })
        .collect();
    let customers = crm::export(&user.db, &crm::Search::ALL, CUSTOMER_CHOICES)
        .await?
        .into_iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name,
        })
        .collect();
    Ok(FormChoices {
        members,
        customers,
        labels: labels_for(user).await?,
        priorities: tasks::PRIORITIES,
    })
}

/// The status labels as the reader reads them: a label the tenant never renamed is in
/// the reader's language (`status-todo`…), a renamed one as the tenant wrote it.
fn localized(labels: Vec<StatusLabel>, locale: &Locale) -> Vec<StatusLabel> {
    labels
        .into_iter()
        .map(|l| localized_one(l, locale))
        .collect()
}

fn localized_one(l: StatusLabel, locale: &Locale) -> StatusLabel {
    let untouched = tasks::DEFAULT_LABELS
        .iter()
        .any(|(status, label)| *status == l.status && *label == l.label);
    if untouched {
        StatusLabel {
            label: locale.status(&l.status),
            ..l
        }
    } else {
        l
    }
}

/// The tenant's status labels for display (see [`localized`]).
async fn labels_for(user: &TasksUser) -> Result<Vec<StatusLabel>> {
    Ok(localized(
        tasks::labels(&user.db).await?,
        &user.member.locale,
    ))
}

/// A task as a row or card shows it: with the assignee's name and the status's label.
pub struct TaskView {
    pub t: Task,
    pub assignee: String,
    pub status_label: String,
}

fn views(tasks: Vec<Task>, members: &[(Uuid, String)], labels: &[StatusLabel]) -> Vec<TaskView> {
    tasks
        .into_iter()
        .map(|t| TaskView {
            assignee: t
                .assignee_id
                .and_then(|id| members.iter().find(|(m, _)| *m == id))
                .map(|(_, label)| label.clone())
                .unwrap_or_default(),
            status_label: labels
                .iter()
                .find(|l| l.status == t.status)
                .map(|l| l.label.clone())
                .unwrap_or_else(|| t.status.clone()),
            t,
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// `mine`, `overdue`, or anything else for all.
    #[serde(default)]
    view: String,
    #[serde(default)]
    page: i64,
}

impl ListQuery {
    fn filter(&self, me: Uuid) -> tasks::Filter {
        tasks::Filter {
            q: self.q.chars().take(100).collect(),
            status: if tasks::STATUSES.contains(&self.status.as_str()) {
                self.status.clone()
            } else {
                String::new()
            },
            assignee: (self.view == "mine").then_some(me),
            overdue: self.view == "overdue",
            customer: None,
        }
    }

    fn view(&self) -> &str {
        match self.view.as_str() {
            "mine" => "mine",
            "overdue" => "overdue",
            _ => "all",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/table.html")]
struct TasksTable {
    locale: Locale,
    base: String,
    rows: Vec<TaskView>,
    zone: String,
    total: i64,
    showing: String,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/list.html")]
struct TasksPage {
    layout: Layout,
    q: String,
    status: String,
    view: String,
    labels: Vec<StatusLabel>,
    can_write: bool,
    can_administer: bool,
    input: TaskInput,
    errors: FieldErrors,
    choices: FormChoices,
    table: TasksTable,
}

async fn table(state: &AppState, user: &TasksUser, q: &ListQuery) -> Result<TasksTable> {
    let zones = crate::pg::timezones::names(&state.db).await?;
    let filter = q.filter(user.member.user.id);
    let requested = page_index(q.page);
    let (rows, total, zone) = tasks::list(&user.db, &filter, zones, requested, PER_PAGE).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = requested.clamp(0, pages - 1);
    let link = |p: i64| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("status", &filter.status)
            .append_pair("view", q.view())
            .append_pair("page", &(p + 1).to_string())
            .finish();
        user.url(&format!("/tasks?{query}"))
    };
    let members = members_of(state, user).await?;
    let labels = labels_for(user).await?;
    Ok(TasksTable {
        locale: user.member.locale.clone(),
        base: user.base(),
        showing: showing(&user.member.locale, page, PER_PAGE, rows.len(), total),
        rows: views(rows, &members, &labels),
        zone,
        total,
        page: page + 1,
        pages,
        prev_url: (page > 0).then(|| link(page - 1)),
        next_url: (page + 1 < pages).then(|| link(page + 1)),
    })
}

async fn list_page(
    state: &AppState,
    user: &TasksUser,
    q: &ListQuery,
    input: TaskInput,
    errors: FieldErrors,
) -> Result<TasksPage> {
    Ok(TasksPage {
        layout: Layout::tenant(&user.member, "tasks", &user.member.locale.t("title-tasks")).await?,
        q: q.q.chars().take(100).collect(),
        status: q.status.clone(),
        view: q.view().to_owned(),
        labels: labels_for(user).await?,
        can_write: user.can_write(),
        can_administer: user.can_administer(),
        input,
        errors,
        choices: choices(state, user).await?,
        table: table(state, user, q).await?,
    })
}

async fn tasks_list(
    State(state): State<AppState>,
    user: TasksUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    if crate::web::is_htmx(&headers) {
        return Ok(table(&state, &user, &q).await?.into_response());
    }
    let input = TaskInput {
        status: "todo".into(),
        priority: "normal".into(),
        assignee: user.member.user.id.to_string(),
        ..Default::default()
    };
    Ok(list_page(&state, &user, &q, input, FieldErrors::default())
        .await?
        .into_response())
}

/// What was typed, cut to the sizes the form allows (kept when a form is refused).
fn typed(input: TaskInput) -> TaskInput {
    TaskInput {
        title: input.title.chars().take(200).collect(),
        description: input.description.chars().take(10_000).collect(),
        due_date: input.due_date.chars().take(20).collect(),
        due_time: input.due_time.chars().take(10).collect(),
        assignee: input.assignee.chars().take(40).collect(),
        customer: input.customer.chars().take(20).collect(),
        ..input
    }
}

async fn task_create(
    State(state): State<AppState>,
    user: TasksUser,
    meta: RequestMeta,
    Form(input): Form<TaskInput>,
) -> Result<Response> {
    user.writable()?;
    let members: Vec<Uuid> = members_of(&state, &user)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let zones = crate::pg::timezones::names(&state.db).await?;
    let (st, us) = (&state, &user);
    let refused = |errors: FieldErrors, input: TaskInput| async move {
        let page = list_page(st, us, &ListQuery::default(), typed(input), errors).await?;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let checked = match input.check(&members) {
        Ok(checked) => checked,
        Err(e) => return refused(e.into(), input).await,
    };
    let id = match tasks::create(&user.db, &checked, &user.member.user.email, zones).await {
        Ok(id) => id,
        Err(SaveError::NoSuchCustomer) => {
            let mut errors = FieldErrors::default();
            errors.add("customer", SaveError::NoSuchCustomer.to_string());
            return refused(errors, input).await;
        }
        Err(SaveError::Db(e)) => return Err(e.into()),
    };
    user.audit(
        &state,
        &meta,
        "tasks.task_created",
        json!({ "task_id": id }),
    )
    .await?;
    flash::success(
        &user.member.session,
        user.member
            .locale
            .t_with("msg-task-added", &[("title", checked.title.as_str())]),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/tasks/{id}"))).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/task.html")]
struct TaskPage {
    layout: Layout,
    view: TaskView,
    zone: String,
    can_write: bool,
    /// Whether the linked customer's page is open to this person.
    sees_crm: bool,
    input: TaskInput,
    errors: FieldErrors,
    choices: FormChoices,
}

async fn task_page_for(state: &AppState, user: &TasksUser, id: i64) -> Result<TaskPage> {
    let zones = crate::pg::timezones::names(&state.db).await?;
    let task = tasks::get(&user.db, id, zones)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = {
        let mut tx = user.db.begin().await?;
        let zone = crate::modules::clock::zone(&mut tx, zones).await?;
        tx.commit().await?;
        zone
    };
    let (due_date, due_time) = task.due_parts();
    let input = TaskInput {
        title: task.title.clone(),
        description: task.description.clone(),
        status: task.status.clone(),
        priority: task.priority.clone(),
        due_date,
        due_time,
        assignee: task
            .assignee_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        customer: task
            .customer_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    };
    let members = members_of(state, user).await?;
    let labels = labels_for(user).await?;
    let view = views(vec![task.clone()], &members, &labels)
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(TaskPage {
        layout: Layout::tenant(&user.member, "tasks", &task.title).await?,
        view,
        zone,
        can_write: user.can_write(),
        sees_crm: user.sees("crm"),
        input,
        errors: FieldErrors::default(),
        choices: choices(state, user).await?,
    })
}

async fn task_page(
    State(state): State<AppState>,
    user: TasksUser,
    Path(id): Path<i64>,
) -> Result<TaskPage> {
    task_page_for(&state, &user, id).await
}

async fn task_update(
    State(state): State<AppState>,
    user: TasksUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(input): Form<TaskInput>,
) -> Result<Response> {
    user.writable()?;
    let members: Vec<Uuid> = members_of(&state, &user)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let zones = crate::pg::timezones::names(&state.db).await?;
    let (st, us) = (&state, &user);
    let refused = |errors: FieldErrors, input: TaskInput| async move {
        let mut page = task_page_for(st, us, id).await?;
        page.input = typed(input);
        page.errors = errors;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let checked = match input.check(&members) {
        Ok(checked) => checked,
        Err(e) => return refused(e.into(), input).await,
    };
    match tasks::update(&user.db, id, &checked, zones).await {
        Ok(true) => {}
        Ok(false) => return Err(AppError::NotFound),
        Err(SaveError::NoSuchCustomer) => {
            let mut errors = FieldErrors::default();
            errors.add("customer", SaveError::NoSuchCustomer.to_string());
            return refused(errors, input).await;
        }
        Err(SaveError::Db(e)) => return Err(e.into()),
    }
    user.audit(
        &state,
        &meta,
        "tasks.task_updated",
        json!({ "task_id": id }),
    )
    .await?;
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-task-saved"),
    )
    .await?;
    Ok(Redirect::to(&user.url(&format!("/tasks/{id}"))).into_response())
}

async fn task_delete(
    State(state): State<AppState>,
    user: TasksUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.writable()?;
    if !tasks::delete(&user.db, id).await? {
        return Err(AppError::NotFound);
    }
    user.audit(
        &state,
        &meta,
        "tasks.task_deleted",
        json!({ "task_id": id }),
    )
    .await?;
    user.done(
        &headers,
        &user.member.locale.t("msg-task-deleted"),
        "/tasks",
    )
    .await
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    #[serde(default)]
    view: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/board_columns.html")]
struct BoardColumns {
    locale: Locale,
    base: String,
    csrf_token: String,
    columns: Vec<(StatusLabel, Vec<TaskView>)>,
    /// Every status with its label, in order (a card moves to its neighbours).
    labels: Vec<StatusLabel>,
    zone: String,
    can_write: bool,
    /// `mine` or `all`, kept when a card moves.
    view: String,
}

impl BoardColumns {
    /// The status before (`-1`) or after (`1`) `status` on the board, if any.
    fn neighbour(&self, status: &str, step: i64) -> Option<&StatusLabel> {
        let at = self.labels.iter().position(|l| l.status == status)? as i64;
        usize::try_from(at + step)
            .ok()
            .and_then(|i| self.labels.get(i))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/board.html")]
struct BoardPage {
    layout: Layout,
    view: String,
    can_administer: bool,
    board: BoardColumns,
}

async fn board_columns(state: &AppState, user: &TasksUser, view: &str) -> Result<BoardColumns> {
    let zones = crate::pg::timezones::names(&state.db).await?;
    let mine = view == "mine";
    let (columns, zone) =
        tasks::board(&user.db, mine.then_some(user.member.user.id), zones).await?;
    let members = members_of(state, user).await?;
    let columns: Vec<_> = columns
        .into_iter()
        .map(|(label, tasks)| (localized_one(label, &user.member.locale), tasks))
        .collect();
    let labels: Vec<StatusLabel> = columns.iter().map(|(l, _)| l.clone()).collect();
    let columns = columns
        .into_iter()
        .map(|(label, tasks)| {
            let cards = views(tasks, &members, &labels);
            (label, cards)
        })
        .collect();
    Ok(BoardColumns {
        locale: user.member.locale.clone(),
        base: user.base(),
        csrf_token: crate::web::csrf::token(&user.member.session).await?,
        columns,
        labels,
        zone,
        can_write: user.can_write(),
        view: if mine { "mine" } else { "all" }.to_owned(),
    })
}

async fn tasks_board(
    State(state): State<AppState>,
    user: TasksUser,
    headers: HeaderMap,
    Query(q): Query<BoardQuery>,
) -> Result<Response> {
    let board = board_columns(&state, &user, &q.view).await?;
    if crate::web::is_htmx(&headers) {
        return Ok(board.into_response());
    }
    Ok(BoardPage {
        layout: Layout::tenant(
            &user.member,
            "tasks",
            &user.member.locale.t("title-task-board"),
        )
        .await?,
        view: board.view.clone(),
        can_administer: user.can_administer(),
        board,
    }
    .into_response())
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    view: String,
}

/// `POST /tasks/{id}/move`: a card to another column; htmx gets the board back.
async fn task_move(
    State(state): State<AppState>,
    user: TasksUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    user.writable()?;
    if !tasks::STATUSES.contains(&form.status.as_str()) {
        return Err(AppError::BadRequest(
            user.member.locale.t("msg-choose-task-status"),
        ));
    }
    if !tasks::set_status(&user.db, id, &form.status).await? {
        return Err(AppError::NotFound);
    }
    user.audit(
        &state,
        &meta,
        "tasks.task_moved",
        json!({ "task_id": id, "status": form.status }),
    )
    .await?;
    if crate::web::is_htmx(&headers) {
        return Ok(board_columns(&state, &user, &form.view)
            .await?
            .into_response());
    }
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-task-moved"),
    )
    .await?;
    let view = if form.view == "mine" {
        "?view=mine"
    } else {
        ""
    };
    Ok(Redirect::to(&user.url(&format!("/tasks/board{view}"))).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/tasks/settings.html")]
struct SettingsPage {
    layout: Layout,
    input: LabelsInput,
    errors: FieldErrors,
}

fn labels_input(labels: &[StatusLabel]) -> LabelsInput {
    let label = |s: &str| {
        labels
            .iter()
            .find(|l| l.status == s)
            .map(|l| l.label.clone())
            .unwrap_or_default()
    };
    LabelsInput {
        todo: label("todo"),
        doing: label("doing"),
        done: label("done"),
    }
}

async fn settings_page(user: TasksUser) -> Result<SettingsPage> {
    user.administrable()?;
    Ok(SettingsPage {
        layout: Layout::tenant(
            &user.member,
            "tasks",
            &user.member.locale.t("title-task-settings"),
        )
        .await?,
        input: labels_input(&tasks::labels(&user.db).await?),
        errors: FieldErrors::default(),
    })
}

async fn settings_save(
    State(state): State<AppState>,
    user: TasksUser,
    meta: RequestMeta,
    Form(input): Form<LabelsInput>,
) -> Result<Response> {
    user.administrable()?;
    if let Err(e) = input.validate() {
        let page = SettingsPage {
            layout: Layout::tenant(
                &user.member,
                "tasks",
                &user.member.locale.t("title-task-settings"),
            )
            .await?,
            input: LabelsInput {
                todo: input.todo.chars().take(40).collect(),
                doing: input.doing.chars().take(40).collect(),
                done: input.done.chars().take(40).collect(),
            },
            errors: e.into(),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    tasks::save_labels(&user.db, &input).await?;
    user.audit(
        &state,
        &meta,
        "tasks.settings_updated",
        json!({ "labels": [input.todo.trim(), input.doing.trim(), input.done.trim()] }),
    )
    .await?;
    flash::success(
        &user.member.session,
        &user.member.locale.t("msg-status-labels-saved"),
    )
    .await?;
    Ok(Redirect::to(&user.url("/tasks/settings")).into_response())
}
