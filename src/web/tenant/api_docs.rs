//! The tenant API's OpenAPI 3.1 document, derived from its handlers like the platform
//! API's, served on every tenant's host at `/api/v1/openapi.json` (the same path as the
//! platform's on the admin host: each host describes the API it serves).

use std::sync::LazyLock;

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;

use crate::state::AppState;
use crate::web::api::docs::{ProblemDoc, add_links, finish, links};
use crate::web::tenant::{api, api_crm, api_people};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry tenant API", version = "1",
        description = "A tenant's data for its integrations, on the tenant's own host (or any host with \
`X-Tenant-Slug`). Authenticate with a tenant token (`Authorization: Bearer tnt_…`) made by a tenant admin on the \
API tokens page; a token serves its own tenant only. A `read` token only reads (PostgreSQL refuses its writes); a \
`write` token also changes customers, contacts and interactions; an `admin` token also manages members and \
invitations. Creates honour `Idempotency-Key`; updates need \
`If-Match` with the `ETag` last read. Errors are RFC 9457 problem details. Each token may make a number of calls a \
minute (the `RateLimit-*` headers say where it stands), within its plan's requests a second and API calls a month."),
    paths(
        api::tenant,
        api::customers,
        api_crm::customer_create,
        api_crm::customer_get,
        api_crm::customer_update,
        api_crm::customer_delete,
        api_crm::contacts_list,
        api_crm::contact_add,
        api_crm::contact_get,
        api_crm::contact_update,
        api_crm::contact_delete,
        api_crm::interactions_list,
        api_crm::interaction_add,
        api_people::members_list,
        api_people::invitations_list,
        api_people::invitation_create,
        api_people::invitation_revoke,
        api_people::member_update,
        api_people::member_remove,
    ),
    components(schemas(ProblemDoc)),
    tags((name = "tenant", description = "The token's tenant"),
        (name = "crm", description = "Customers, their contacts and interactions (the CRM module)"),
        (name = "people", description = "Members and invitations (tokens with the admin scope)"))
)]
struct TenantDoc;

/// Errors any call can get (as for the platform API, in the tenant's words).
const COMMON_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "The request could not be read: bad query, malformed JSON, bad header",
    ),
    ("401", "No token, or an unknown or revoked one"),
    (
        "403",
        "A read token's write, a people call without the admin scope, a module not enabled, a token of another tenant, or a suspended tenant",
    ),
    ("404", "No such customer, contact or invitation"),
    ("405", "This path does not take that method"),
    ("408", "The request took too long"),
    ("413", "The body is larger than the server accepts"),
    ("415", "The body is not JSON"),
    (
        "422",
        "The body does not fit: wrong type, missing or unknown field, invalid value",
    ),
    (
        "429",
        "Too many calls: this token's minute, the plan's requests a second or API calls a month (see Retry-After)",
    ),
    (
        "503",
        "The database cannot be reached, or the tenant is being set up; try again",
    ),
];

/// The document as served, with links from a created customer to the operations on it.
pub static DOCUMENT_JSON: LazyLock<serde_json::Value> = LazyLock::new(|| {
    let doc = finish(TenantDoc::openapi(), "A tenant token, tnt_…", COMMON_ERRORS);
    let mut doc = serde_json::to_value(&doc).unwrap_or_default();
    let id = "$response.body#/id";
    let mut customer_links = links(
        &[
            "customer_get",
            "customer_delete",
            "contact_add",
            "interaction_add",
        ],
        "id",
        id,
    );
    customer_links.insert(
        "customer_update".to_owned(),
        serde_json::json!({ "operationId": "customer_update",
            "parameters": { "id": id, "If-Match": "$response.header.ETag" } }),
    );
    add_links(&mut doc, "/api/v1/customers", customer_links);
    doc
});

/// `GET /api/v1/openapi.json` on a tenant's host: public, like any API's description.
async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(&DOCUMENT_JSON)
}
