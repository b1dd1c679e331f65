//! The CRM over the tenant API, for integrations: customers (read one, create, change,
//! delete), their contacts and interactions. A `read` token's transactions are READ ONLY,
//! so PostgreSQL itself refuses its writes; that refusal is answered as a 403 problem.
//! Every change is audited with the token as actor.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use validator::Validate;

use crate::control::audit::{self, Actor, NewEvent};
use crate::modules::TenantDb;
use crate::modules::crm::{self, ContactInput, CustomerInput, InteractionInput};
use crate::state::AppState;
use crate::web::api::extract::ApiJson;
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::meta::RequestMeta;
use crate::web::tenant::api::Api;
use crate::web::tenant::tenant_db;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/{id}",
            get(customer_get)
                .patch(customer_update)
                .delete(customer_delete),
        )
        .route("/api/v1/customers/{id}/contacts", post(contact_add))
        .route(
            "/api/v1/customers/{id}/contacts/{contact}",
            delete(contact_delete),
        )
        .route("/api/v1/customers/{id}/interactions", post(interaction_add))
}

#[derive(Serialize)]
struct CustomerOut {
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    status: String,
    notes: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<crm::Customer> for CustomerOut {
    fn from(c: crm::Customer) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            status: c.status,
            notes: c.notes,
            created_at: c.created_at,
        }
    }
}

/// The tenant's data for this token while the CRM is enabled: read-only unless the
/// token's scope is `write`.
async fn crm_db(state: &AppState, api: &Api) -> ApiResult<TenantDb> {
    let tenant = api.current.tenant.id;
    let enabled = state.tenancy.modules_for_pages(tenant).await?;
    if !enabled.iter().any(|m| m == "crm") {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "module-disabled",
            "The CRM module is not enabled for this tenant.",
        ));
    }
    Ok(tenant_db(state, tenant, !api.caller.writes).await?)
}

/// A database error as the caller should see it: PostgreSQL refusing a write in a
/// read-only transaction is this token's scope talking.
fn refused_or_failed(e: sqlx::Error) -> Problem {
    let read_only = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "25006");
    if read_only {
        return Problem::new(
            StatusCode::FORBIDDEN,
            "read-only-token",
            "This token only reads: the database refused the change. Use a token with the write scope.",
        );
    }
    Problem::from(e)
}

/// Records a change made with the token.
async fn record(
    state: &AppState,
    api: &Api,
    meta: &RequestMeta,
    action: &str,
    details: serde_json::Value,
) -> ApiResult<()> {
    let actor = Actor {
        id: None,
        label: format!("api-token:{}", api.caller.token_id),
    };
    audit::record(
        &state.db,
        NewEvent {
            actor: &actor,
            action,
            tenant: Some(api.current.tenant.id),
            target: Some(&api.current.tenant.slug),
            origin: &meta.origin,
            details,
        },
    )
    .await?;
    Ok(())
}

/// Input the rules refused: a 422 naming each field and what is wrong with it.
fn invalid(e: &validator::ValidationErrors) -> Problem {
    let detail = e
        .field_errors()
        .iter()
        .map(|(field, errors)| {
            let why = errors
                .iter()
                .filter_map(|e| e.message.as_deref())
                .collect::<Vec<_>>()
                .join(" ");
            format!("{field}: {why}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerIn {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    status: Option<String>,
    notes: Option<String>,
}

impl CustomerIn {
    /// This input over `base` (the current customer, or a new one's defaults).
    fn over(self, base: CustomerInput) -> CustomerInput {
        CustomerInput {
            name: self.name.unwrap_or(base.name),
            email: self.email.unwrap_or(base.email),
            phone: self.phone.unwrap_or(base.phone),
            status: self.status.unwrap_or(base.status),
            notes: self.notes.unwrap_or(base.notes),
        }
    }
}

fn path_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(Problem::not_found)
}

/// `POST /api/v1/customers`: a new customer (status `lead` unless given).
pub(super) async fn customer_create(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    ApiJson(input): ApiJson<CustomerIn>,
) -> ApiResult<Response> {
    let db = crm_db(&state, &api).await?;
    let input = input.over(CustomerInput {
        status: "lead".into(),
        ..CustomerInput::default()
    });
    input.validate().map_err(|e| invalid(&e))?;
    let customer = crm::create(&db, &input).await.map_err(refused_or_failed)?;
    record(
        &state,
        &api,
        &meta,
        "crm.customer_created",
        json!({ "customer_id": customer.id }),
    )
    .await?;
    let location = format!("/api/v1/customers/{}", customer.id);
    let mut response = (StatusCode::CREATED, Json(CustomerOut::from(customer))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

async fn customer_get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerOut>> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    let customer = crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    Ok(Json(customer.into()))
}

async fn customer_update(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CustomerIn>,
) -> ApiResult<Json<CustomerOut>> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    let current = crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let input = input.over(CustomerInput {
        name: current.name,
        email: current.email.unwrap_or_default(),
        phone: current.phone.unwrap_or_default(),
        status: current.status,
        notes: current.notes,
    });
    input.validate().map_err(|e| invalid(&e))?;
    let customer = crm::update(&db, id, &input)
        .await
        .map_err(refused_or_failed)?
        .ok_or_else(Problem::not_found)?;
    record(
        &state,
        &api,
        &meta,
        "crm.customer_updated",
        json!({ "customer_id": id }),
    )
    .await?;
    Ok(Json(customer.into()))
}

async fn customer_delete(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    if !crm::delete(&db, id).await.map_err(refused_or_failed)? {
        return Err(Problem::not_found());
    }
    record(
        &state,
        &api,
        &meta,
        "crm.customer_deleted",
        json!({ "customer_id": id }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactIn {
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    title: String,
}

#[derive(Serialize)]
struct ContactOut {
    id: i64,
    name: String,
    email: Option<String>,
    title: Option<String>,
}

/// `POST /api/v1/customers/{id}/contacts`: adds a contact; answers with the customer's
/// contacts.
async fn contact_add(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactIn>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let input = ContactInput {
        name: input.name,
        email: input.email,
        title: input.title,
    };
    input.validate().map_err(|e| invalid(&e))?;
    crm::add_contact(&db, id, &input)
        .await
        .map_err(refused_or_failed)?;
    record(
        &state,
        &api,
        &meta,
        "crm.contact_added",
        json!({ "customer_id": id }),
    )
    .await?;
    let (contacts, _, _) = crm::contacts_and_timeline(&db, id, &[]).await?;
    let contacts: Vec<ContactOut> = contacts
        .into_iter()
        .map(|c| ContactOut {
            id: c.id,
            name: c.name,
            email: c.email,
            title: c.title,
        })
        .collect();
    Ok((StatusCode::CREATED, Json(json!({ "contacts": contacts }))).into_response())
}

async fn contact_delete(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path((id, contact)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, contact) = (path_id(&id)?, path_id(&contact)?);
    let db = crm_db(&state, &api).await?;
    if !crm::delete_contact(&db, id, contact)
        .await
        .map_err(refused_or_failed)?
    {
        return Err(Problem::not_found());
    }
    record(
        &state,
        &api,
        &meta,
        "crm.contact_removed",
        json!({ "customer_id": id, "contact_id": contact }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InteractionIn {
    kind: String,
    summary: String,
}

/// `POST /api/v1/customers/{id}/interactions`: logs a call, email, meeting or note.
async fn interaction_add(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<InteractionIn>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let input = InteractionInput {
        kind: input.kind,
        summary: input.summary,
    };
    input.validate().map_err(|e| invalid(&e))?;
    let by = format!("api-token:{}", api.caller.token_id);
    crm::add_interaction(&db, id, &input, &by)
        .await
        .map_err(refused_or_failed)?;
    record(
        &state,
        &api,
        &meta,
        "crm.interaction_added",
        json!({ "customer_id": id }),
    )
    .await?;
    let body = json!({ "customer_id": id, "kind": input.kind, "summary": input.summary.trim() });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
