//! The CRM over the tenant API, for integrations: customers (read one, create, change,
//! delete), their contacts and interactions. A `read` token's transactions are READ ONLY,
//! so PostgreSQL itself refuses its writes; that refusal is answered as a 403 problem.
//! Every change is audited with the token as actor.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use validator::Validate;

use crate::control::audit::{self, NewEvent};
use crate::modules::TenantDb;
use crate::modules::crm::{self, ContactInput, CustomerInput, Guarded, InteractionInput};
use crate::state::AppState;
use crate::web::api::docs::ProblemDoc;
use crate::web::api::extract::ApiJson;
use crate::web::api::problem::{ApiResult, Problem};
use crate::web::api::{idempotent, precondition};
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
        .route(
            "/api/v1/customers/{id}/contacts",
            get(contacts_list).post(contact_add),
        )
        .route(
            "/api/v1/customers/{id}/contacts/{contact}",
            get(contact_get)
                .patch(contact_update)
                .delete(contact_delete),
        )
        .route(
            "/api/v1/customers/{id}/interactions",
            get(interactions_list).post(interaction_add),
        )
}

/// A customer as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct CustomerOut {
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    /// `lead`, `active` or `churned`.
    status: String,
    notes: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
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
            updated_at: c.updated_at,
        }
    }
}

/// The customer as JSON with its `ETag` (what `If-Match` must send back to change it).
fn customer_response(status: StatusCode, customer: crm::Customer) -> Response {
    let version = customer.version();
    let mut response = (status, Json(CustomerOut::from(customer))).into_response();
    precondition::tag(&mut response, &version);
    response
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
    Ok(tenant_db(state, tenant, !api.caller.scope.writes()).await?)
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
    let actor = api.actor();
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

/// A customer's fields; on create, `name` is needed and `status` is `lead` when absent;
/// on update, an absent field is unchanged.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// One line, 1 to 200 characters.
    #[schema(example = "Ada Lovelace", min_length = 1, max_length = 200)]
    name: Option<String>,
    /// An email address, or empty for none.
    #[schema(example = "ada@example.com", max_length = 254)]
    email: Option<String>,
    /// One line, up to 40 characters.
    #[schema(max_length = 40)]
    phone: Option<String>,
    #[schema(inline, value_type = Option<StatusName>)]
    status: Option<String>,
    #[schema(max_length = 10000)]
    notes: Option<String>,
}

/// A customer's status.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StatusName {
    Lead,
    Active,
    Churned,
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

/// Creates a customer (status `lead` unless given). Send `Idempotency-Key` to make
/// retries safe.
#[utoipa::path(post, path = "/api/v1/customers", tag = "crm", request_body = CustomerIn,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = CustomerOut, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "A request with this idempotency key is still running", body = ProblemDoc, content_type = "application/problem+json")))]
pub(super) async fn customer_create(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let db = crm_db(&state, &api).await?;
    let caller = api.idempotency_caller();
    idempotent::once(
        &state,
        &caller,
        &headers,
        "POST /api/v1/customers",
        &body,
        async {
            let ApiJson(input) = ApiJson::<CustomerIn>::from_bytes(&headers, &body)?;
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
            let mut response = customer_response(StatusCode::CREATED, customer);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            Ok(response)
        },
    )
    .await
}

/// A customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "crm",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = CustomerOut, headers(("ETag" = String)))))]
async fn customer_get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    let customer = crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    Ok(customer_response(StatusCode::OK, customer))
}

/// Changes a customer's fields (absent ones stay). `If-Match` must carry the `ETag`
/// last read, so two writers cannot silently overwrite each other: a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "crm", request_body = CustomerIn,
    params(("id" = i64, Path, minimum = 1),
        ("If-Match" = Option<String>, Header, description = "The ETag of the customer as last read (required: 428 without it; `*` matches any version).")),
    responses((status = 200, body = CustomerOut, headers(("ETag" = String))),
        (status = 412, description = "The customer changed since it was read", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDoc, content_type = "application/problem+json")))]
async fn customer_update(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CustomerIn>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    let current = crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let expected = precondition::if_match(&headers, "customer", || current.version())?;
    let input = input.over(CustomerInput {
        name: current.name,
        email: current.email.unwrap_or_default(),
        phone: current.phone.unwrap_or_default(),
        status: current.status,
        notes: current.notes,
    });
    input.validate().map_err(|e| invalid(&e))?;
    let customer = match crm::update_if_version(&db, id, &input, Some(&expected))
        .await
        .map_err(refused_or_failed)?
    {
        Guarded::Done(customer) => customer,
        Guarded::Stale => return Err(precondition::stale("customer")),
        Guarded::Missing => return Err(Problem::not_found()),
    };
    record(
        &state,
        &api,
        &meta,
        "crm.customer_updated",
        json!({ "customer_id": id }),
    )
    .await?;
    Ok(customer_response(StatusCode::OK, customer))
}

/// Deletes a customer with its contacts and interactions.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "crm",
    params(("id" = i64, Path, minimum = 1)), responses((status = 204, description = "Deleted")))]
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

/// A contact person at a customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    #[schema(example = "Charles Babbage", min_length = 1, max_length = 200)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 254)]
    email: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    title: String,
}

/// A contact's fields to change; an absent field is unchanged.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[schema(example = "Charles Babbage", min_length = 1, max_length = 200)]
    name: Option<String>,
    /// An email address, or empty for none.
    #[schema(max_length = 254)]
    email: Option<String>,
    #[schema(max_length = 100)]
    title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    id: i64,
    name: String,
    email: Option<String>,
    title: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<crm::Contact> for ContactOut {
    fn from(c: crm::Contact) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email,
            title: c.title,
            updated_at: c.updated_at,
        }
    }
}

/// A customer's contacts.
#[derive(Serialize, ToSchema)]
pub struct ContactsOut {
    contacts: Vec<ContactOut>,
}

/// The customer's contacts, by name (the caller has found the customer).
async fn contacts_of(db: &TenantDb, customer: i64) -> ApiResult<ContactsOut> {
    let (contacts, _, _) = crm::contacts_and_timeline(db, customer, &[]).await?;
    Ok(ContactsOut {
        contacts: contacts.into_iter().map(ContactOut::from).collect(),
    })
}

/// The contact as JSON with its `ETag`.
fn contact_response(status: StatusCode, contact: crm::Contact) -> Response {
    let version = contact.version();
    let mut response = (status, Json(ContactOut::from(contact))).into_response();
    precondition::tag(&mut response, &version);
    response
}

/// A customer's contacts, by name.
#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts", tag = "crm",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = ContactsOut)))]
async fn contacts_list(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactsOut>> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    Ok(Json(contacts_of(&db, id).await?))
}

/// A contact of a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts/{contact}", tag = "crm",
    params(("id" = i64, Path, minimum = 1), ("contact" = i64, Path, minimum = 1)),
    responses((status = 200, body = ContactOut, headers(("ETag" = String)))))]
async fn contact_get(
    State(state): State<AppState>,
    api: Api,
    Path((id, contact)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (id, contact) = (path_id(&id)?, path_id(&contact)?);
    let db = crm_db(&state, &api).await?;
    let found = crm::get_contact(&db, id, contact)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(contact_response(StatusCode::OK, found))
}

/// Changes a contact's fields (absent ones stay). `If-Match` must carry the `ETag` last
/// read: a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/customers/{id}/contacts/{contact}", tag = "crm",
    request_body = ContactPatch,
    params(("id" = i64, Path, minimum = 1), ("contact" = i64, Path, minimum = 1),
        ("If-Match" = Option<String>, Header, description = "The ETag of the contact as last read (required: 428 without it; `*` matches any version).")),
    responses((status = 200, body = ContactOut, headers(("ETag" = String))),
        (status = 412, description = "The contact changed since it was read", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDoc, content_type = "application/problem+json")))]
async fn contact_update(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((id, contact)): Path<(String, String)>,
    ApiJson(input): ApiJson<ContactPatch>,
) -> ApiResult<Response> {
    let (id, contact) = (path_id(&id)?, path_id(&contact)?);
    let db = crm_db(&state, &api).await?;
    let current = crm::get_contact(&db, id, contact)
        .await?
        .ok_or_else(Problem::not_found)?;
    let expected = precondition::if_match(&headers, "contact", || current.version())?;
    let input = ContactInput {
        name: input.name.unwrap_or(current.name),
        email: input.email.unwrap_or(current.email.unwrap_or_default()),
        title: input.title.unwrap_or(current.title.unwrap_or_default()),
    };
    input.validate().map_err(|e| invalid(&e))?;
    let changed = match crm::update_contact_if_version(&db, id, contact, &input, Some(&expected))
        .await
        .map_err(refused_or_failed)?
    {
        Guarded::Done(changed) => changed,
        Guarded::Stale => return Err(precondition::stale("contact")),
        Guarded::Missing => return Err(Problem::not_found()),
    };
    record(
        &state,
        &api,
        &meta,
        "crm.contact_updated",
        json!({ "customer_id": id, "contact_id": contact }),
    )
    .await?;
    Ok(contact_response(StatusCode::OK, changed))
}

/// Adds a contact to a customer; answers with the customer's contacts. Send
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", tag = "crm", request_body = ContactIn,
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = ContactsOut),
        (status = 409, description = "A request with this idempotency key is still running", body = ProblemDoc, content_type = "application/problem+json")))]
async fn contact_add(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let what = format!("POST /api/v1/customers/{id}/contacts");
    let caller = api.idempotency_caller();
    idempotent::once(&state, &caller, &headers, &what, &body, async {
        let ApiJson(input) = ApiJson::<ContactIn>::from_bytes(&headers, &body)?;
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
        let contacts = contacts_of(&db, id).await?;
        Ok((StatusCode::CREATED, Json(contacts)).into_response())
    })
    .await
}

/// Removes a contact from a customer.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/contacts/{contact}", tag = "crm",
    params(("id" = i64, Path, minimum = 1), ("contact" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Removed")))]
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

/// Something that happened with a customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionIn {
    #[schema(inline, value_type = InteractionKind)]
    kind: String,
    #[schema(
        example = "Called about the renewal",
        min_length = 1,
        max_length = 5000
    )]
    summary: String,
}

/// An interaction's kind.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum InteractionKind {
    Call,
    Email,
    Meeting,
    Note,
}

/// The interaction as logged.
#[derive(Serialize, ToSchema)]
pub struct InteractionOut {
    customer_id: i64,
    kind: String,
    summary: String,
}

/// An interaction in a customer's timeline.
#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    id: i64,
    #[schema(inline, value_type = InteractionKind)]
    kind: String,
    summary: String,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
    /// Who logged it: a member's email or `api-token:<id>`.
    created_by: String,
}

/// A customer's timeline, newest first (the latest 200).
#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
    interactions: Vec<TimelineEntry>,
}

/// A customer's interactions, newest first (the latest 200).
#[utoipa::path(get, path = "/api/v1/customers/{id}/interactions", tag = "crm",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = TimelineOut)))]
async fn interactions_list(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> ApiResult<Json<TimelineOut>> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let (_, timeline, _) = crm::contacts_and_timeline(&db, id, &[]).await?;
    let interactions = timeline
        .into_iter()
        .map(|i| TimelineEntry {
            id: i.id,
            kind: i.kind,
            summary: i.summary,
            occurred_at: i.occurred_at,
            created_by: i.created_by,
        })
        .collect();
    Ok(Json(TimelineOut { interactions }))
}

/// Logs a call, email, meeting or note with a customer. Send `Idempotency-Key` to make
/// retries safe.
#[utoipa::path(post, path = "/api/v1/customers/{id}/interactions", tag = "crm", request_body = InteractionIn,
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body get the first answer.")),
    responses((status = 201, body = InteractionOut),
        (status = 409, description = "A request with this idempotency key is still running", body = ProblemDoc, content_type = "application/problem+json")))]
async fn interaction_add(
    State(state): State<AppState>,
    api: Api,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let db = crm_db(&state, &api).await?;
    crm::get(&db, id).await?.ok_or_else(Problem::not_found)?;
    let what = format!("POST /api/v1/customers/{id}/interactions");
    let caller = api.idempotency_caller();
    idempotent::once(&state, &caller, &headers, &what, &body, async {
        let ApiJson(input) = ApiJson::<InteractionIn>::from_bytes(&headers, &body)?;
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
        let out = InteractionOut {
            customer_id: id,
            kind: input.kind,
            summary: input.summary.trim().to_owned(),
        };
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
    .await
}
