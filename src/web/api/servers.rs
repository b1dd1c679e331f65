//! Database servers over the platform API (owners, as on the console's Servers page):
//! list them, register one (its DSN is checked by connecting, then sealed), drain or
//! resize one. The DSN never comes back out.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::secret::Secret;
use crate::state::AppState;
use crate::tenancy::servers::{self, DEFAULT_CAPACITY, DbServer, RegisterError};
use crate::web::api::extract::{ApiJson, PlatformApi};
use crate::web::api::idempotent;
use crate::web::api::problem::{ApiResult, Problem};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/servers", get(servers_list).post(server_register))
        .route("/api/v1/servers/{id}", patch(server_update))
}

/// A database server tenants are placed on.
#[derive(Serialize, ToSchema)]
pub struct ServerOut {
    id: Uuid,
    #[schema(example = "pg-eu-1")]
    name: String,
    /// Host and port (never the credentials).
    address: String,
    /// How many tenants it may hold.
    capacity: i32,
    /// `active` (takes new tenants) or `draining` (keeps its tenants, takes no new ones).
    status: String,
    /// The server behind the control plane.
    is_primary: bool,
    /// Tenants on it now.
    tenants: i64,
    /// Its tenant-connection budget (`null`: the configured default).
    tenant_connections: Option<i32>,
}

impl From<DbServer> for ServerOut {
    fn from(s: DbServer) -> Self {
        Self {
            id: s.id,
            name: s.name,
            address: s.address,
            capacity: s.capacity,
            status: s.status,
            is_primary: s.is_primary,
            tenants: s.tenants,
            tenant_connections: s.tenant_connections,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ServersOut {
    servers: Vec<ServerOut>,
}

fn server_problem(e: RegisterError) -> Problem {
    let detail = e.to_string();
    let (status, kind) = match e {
        RegisterError::Db(db) => return Problem::from(db),
        RegisterError::NameTaken => (StatusCode::CONFLICT, "name-taken"),
        RegisterError::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        RegisterError::Unreachable(_) | RegisterError::MissingPrivileges => {
            (StatusCode::UNPROCESSABLE_ENTITY, "server-unusable")
        }
        RegisterError::BadName | RegisterError::BadCapacity | RegisterError::BadDsn => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
    };
    Problem::new(status, kind, detail)
}

/// The database servers, the primary first.
#[utoipa::path(get, path = "/api/v1/servers", tag = "servers",
    responses((status = 200, body = ServersOut)))]
async fn servers_list(
    State(state): State<AppState>,
    api: PlatformApi,
) -> ApiResult<Json<ServersOut>> {
    api.require(PlatformAction::ViewServers)?;
    let servers = servers::list(&state.db)
        .await?
        .into_iter()
        .map(ServerOut::from)
        .collect();
    Ok(Json(ServersOut { servers }))
}

/// A server to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerIn {
    /// 1 to 63 letters, digits, hyphens or underscores; unique.
    #[schema(example = "pg-eu-1", pattern = "^[A-Za-z0-9_-]{1,63}$")]
    name: String,
    /// `postgres://user:password@host:port/database` of a role with CREATEDB and
    /// CREATEROLE; checked by connecting (5 s at most), then stored encrypted.
    #[schema(
        example = "postgres://tenantry:secret@db2.internal:5432/postgres",
        max_length = 2000
    )]
    dsn: String,
    /// Tenants it may hold, 1 to 100000 (default 5000).
    #[schema(minimum = 1, maximum = 100000)]
    capacity: Option<i32>,
}

/// Registers a database server after connecting to it with the DSN given.
#[utoipa::path(post, path = "/api/v1/servers", tag = "servers", request_body = ServerIn,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = ServerOut, headers(("Location" = String))),
        (status = 409, description = "A server has this name, or the idempotency key is in use", body = crate::web::api::docs::ProblemDoc, content_type = "application/problem+json")))]
async fn server_register(
    State(state): State<AppState>,
    api: PlatformApi,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    api.require(PlatformAction::ManageServers)?;
    idempotent::once(
        &state,
        &api.idempotency_caller(),
        &headers,
        "POST /api/v1/servers",
        &body,
        async {
            let ApiJson(input) = ApiJson::<ServerIn>::from_bytes(&headers, &body)?;
            let dsn = Secret::new(input.dsn.trim());
            let server = servers::register(
                &state.db,
                &state.tenancy.key,
                &input.name,
                &dsn,
                input.capacity.unwrap_or(DEFAULT_CAPACITY),
                &api.caller.actor(),
                &api.origin,
            )
            .await
            .map_err(server_problem)?;
            let location = format!("/api/v1/servers/{}", server.id);
            let mut response = (StatusCode::CREATED, Json(ServerOut::from(server))).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            Ok(response)
        },
    )
    .await
}

/// What may change about a server (absent: unchanged).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerPatch {
    /// `true`: take no new tenants; `false`: take them again.
    draining: Option<bool>,
    #[schema(minimum = 1, maximum = 100000)]
    capacity: Option<i32>,
}

/// Drains a server or makes it active again, and/or changes its capacity.
#[utoipa::path(patch, path = "/api/v1/servers/{id}", tag = "servers", request_body = ServerPatch,
    params(("id" = Uuid, Path)), responses((status = 200, body = ServerOut)))]
async fn server_update(
    State(state): State<AppState>,
    api: PlatformApi,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ServerPatch>,
) -> ApiResult<Json<ServerOut>> {
    api.require(PlatformAction::ManageServers)?;
    let id = Uuid::try_parse(&id).map_err(|_| Problem::not_found())?;
    let find = |list: Vec<DbServer>| list.into_iter().find(|s| s.id == id);
    let current = find(servers::list(&state.db).await?).ok_or_else(Problem::not_found)?;
    servers::update(
        &state.db,
        id,
        patch.draining.unwrap_or(current.status == "draining"),
        patch.capacity.unwrap_or(current.capacity),
        &api.caller.actor(),
        &api.origin,
    )
    .await
    .map_err(server_problem)?;
    let updated = find(servers::list(&state.db).await?).ok_or_else(Problem::not_found)?;
    Ok(Json(updated.into()))
}
