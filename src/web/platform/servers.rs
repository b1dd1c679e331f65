//! Database servers: tenants placed, capacity, connections in use, health; register a
//! server (its DSN is checked by connecting) and drain or resize one. Owners only.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::secret::Secret;
use crate::state::AppState;
use crate::tenancy::servers::{self, DEFAULT_CAPACITY, DbServer, RegisterError};
use crate::tenancy::stats::{self, ServerHealth};
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/servers", get(servers_list).post(server_register))
        .route("/servers/{id}", post(server_update))
        .route("/servers/{id}/drain", post(server_drain))
}

struct ServerRow {
    server: DbServer,
    health: ServerHealth,
    used_percent: i64,
    /// The round trip in milliseconds, one decimal, as the reader writes numbers.
    latency: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/servers/list.html")]
struct ServersPage {
    layout: Layout,
    rows: Vec<ServerRow>,
    budget: u32,
    name: String,
    capacity: String,
    errors: FieldErrors,
}

async fn page(state: &AppState, staff: &Staff) -> Result<ServersPage> {
    let list = servers::list(&state.db).await?;
    let healths = futures_util::future::join_all(
        list.iter()
            .map(|s| stats::server_health(&state.tenancy, s.id)),
    )
    .await;
    let locale = staff.locale();
    let rows = list
        .into_iter()
        .zip(healths)
        .map(|(server, health)| ServerRow {
            used_percent: server.tenants * 100 / i64::from(server.capacity.max(1)),
            latency: locale.decimal((health.latency_ms * 10.0).round() as i64, 1),
            server,
            health,
        })
        .collect();
    Ok(ServersPage {
        layout: Layout::staff(
            staff,
            "servers",
            &staff.locale().t("title-database-servers"),
        )
        .await?,
        rows,
        budget: state.config.tenant_connections,
        name: String::new(),
        capacity: DEFAULT_CAPACITY.to_string(),
        errors: FieldErrors::default(),
    })
}

async fn servers_list(State(state): State<AppState>, staff: Staff) -> Result<ServersPage> {
    staff.require(PlatformAction::ManageServers)?;
    page(&state, &staff).await
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    dsn: String,
    #[serde(default)]
    capacity: String,
}

async fn server_register(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Form(form): Form<RegisterForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageServers)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let result = match form.capacity.trim().parse::<i32>() {
        Ok(capacity) => {
            let dsn = Secret::new(form.dsn.trim());
            servers::register(
                &state.db,
                &state.tenancy.key,
                &form.name,
                &dsn,
                capacity,
                &actor,
                &meta.origin,
            )
            .await
        }
        Err(_) => Err(RegisterError::BadCapacity),
    };
    let field = match &result {
        Ok(_) => return Ok(Redirect::to("/servers").into_response()),
        Err(RegisterError::Db(_)) => "",
        Err(RegisterError::BadName | RegisterError::NameTaken) => "name",
        Err(RegisterError::BadCapacity) => "capacity",
        Err(_) => "dsn",
    };
    let message = match result.err() {
        Some(e) => e.into_message_in(&staff.locale())?,
        None => String::new(),
    };
    let mut page = page(&state, &staff).await?;
    page.errors.add(field, message);
    page.name = form.name.chars().take(63).collect();
    page.capacity = form.capacity.chars().take(10).collect();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
struct UpdateForm {
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    draining: Option<String>,
}

async fn server_update(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<UpdateForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageServers)?;
    let capacity = form
        .capacity
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest(staff.locale().t("msg-capacity-whole-number")))?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match servers::update(
        &state.db,
        id,
        form.draining.is_some(),
        capacity,
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/servers").into_response()),
        Err(e @ (RegisterError::NotFound | RegisterError::Db(_))) => Err(e.into()),
        Err(e) => Err(AppError::BadRequest(e.message_in(&staff.locale()))),
    }
}

#[derive(Deserialize)]
struct DrainForm {}

/// `POST /servers/{id}/drain`: the server takes no new tenants and no moves, and the
/// moves of its tenants to the servers with most room are queued. What was refused is
/// said with its reason.
async fn server_drain(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(_form): Form<DrainForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageServers)?;
    let name = servers::list(&state.db)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| s.name)
        .ok_or(AppError::NotFound)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match crate::tenancy::moves::drain(&state.tenancy, &name, &actor, &meta.origin).await {
        Ok(drained) => {
            flash::success(
                &staff.session,
                format!(
                    "{name} is draining: {} move(s) queued.",
                    drained.queued.len()
                ),
            )
            .await?;
            for (slug, why) in &drained.refused {
                flash::refusal(&staff.session, format!("{slug} was not moved: {why}")).await?;
            }
        }
        Err(e) => flash::refusal(&staff.session, e.into_message()?).await?,
    }
    Ok(crate::web::redirect_after_post(&headers, "/servers"))
}
