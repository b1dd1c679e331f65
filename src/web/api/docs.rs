//! The API's OpenAPI 3.1 document, derived from the handlers' annotations and types (so
//! it cannot drift from them), served at `/api/v1/openapi.json`, and a readable reference
//! page rendered from the same document at `/api/v1/docs` (no script, no CDN).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, RefOr, Required, ResponseBuilder, SecurityRequirement,
};
use utoipa::{OpenApi, ToSchema};

use crate::state::AppState;
use crate::web::api::{audit, moves, people, segments, servers, tenants};
use crate::web::assets;
use crate::web::error::PROBLEM_TYPE_PREFIX;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/docs", get(reference_page))
}

/// An RFC 9457 problem, as every `/api/` error is answered.
#[derive(Serialize, ToSchema)]
pub struct ProblemDoc {
    /// `urn:tenantry:problem:<kind>`; stable per kind of error.
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    /// What went wrong, in plain words.
    detail: String,
    /// The same sentence (kept for clients of the first API version).
    error: String,
    /// Quote it when asking about a failure; also in the `X-Request-Id` header.
    request_id: String,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry platform API", version = "1",
        description = "Drive the platform from programs: tenants, their lifecycle, provisioning and usage, \
their people, segments and assignments, database servers and the audit log. \
Authenticate with a platform token (`Authorization: Bearer tpl_…`) made by an owner on the Tokens page or with \
`tenantry api-tokens create`. A token acts as one staff member, with that member's access (a super admin's token \
sees only their tenants), narrowed by its scope (`read`, `write`, `admin`). Errors are RFC 9457 problem details. \
Each token may make a number of calls a minute; every answer says where it stands in the `RateLimit-Limit`, \
`RateLimit-Remaining` and `RateLimit-Reset` (seconds) headers, and a call over the quota gets 429 with `Retry-After`."),
    paths(
        tenants::tenants_list,
        tenants::tenant_create,
        tenants::tenant_get,
        tenants::tenant_update,
        tenants::tenant_action,
        moves::tenant_move,
        moves::move_status,
        tenants::tenant_progress,
        tenants::tenant_usage,
        people::members_list,
        people::invitations_list,
        people::invitation_create,
        people::invitation_revoke,
        people::member_update,
        people::member_remove,
        segments::segments_list,
        segments::segment_create,
        segments::segment_get,
        segments::segment_update,
        segments::segment_delete,
        segments::segment_tenant_add,
        segments::segment_tenant_remove,
        segments::segment_super_admin_assign,
        segments::segment_super_admin_unassign,
        segments::tenant_super_admins,
        segments::tenant_super_admin_assign,
        segments::tenant_super_admin_unassign,
        servers::servers_list,
        servers::server_register,
        servers::server_update,
        audit::audit_events_list,
    ),
    components(schemas(ProblemDoc)),
    tags((name = "tenants", description = "Tenants and their lifecycle"),
        (name = "people", description = "A tenant's members and invitations"),
        (name = "assignments", description = "Segments, and which super admins manage which tenants (owners)"),
        (name = "servers", description = "Database servers tenants are placed on (owners)"),
        (name = "audit", description = "The audit log (a super admin's token: their tenants' events)"))
)]
struct PlatformDoc;

/// Errors any call can get, with what they mean; every operation lists them, so a
/// status the server sends is always one the document names.
pub const COMMON_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "The request could not be read: bad query, malformed JSON, bad header",
    ),
    ("401", "No token, or an unknown, revoked or expired one"),
    (
        "403",
        "The token's scope or its staff member's role does not allow this",
    ),
    (
        "404",
        "No such tenant, segment, server or super admin (or not one this token may see)",
    ),
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
        "This token's calls for the minute are used up (see Retry-After and RateLimit-Reset)",
    ),
    ("503", "The database cannot be reached; try again"),
];

/// The document, built once.
pub static DOCUMENT: LazyLock<Document> = LazyLock::new(|| {
    finish(
        PlatformDoc::openapi(),
        "A platform token, tpl_…",
        COMMON_ERRORS,
    )
});

/// What every API document gets: bearer-token security on every operation, and the
/// errors any call can get listed on each (so a status the server sends is always one
/// the document names).
pub fn finish(mut doc: Document, token: &str, errors: &[(&str, &str)]) -> Document {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(token))
                .build(),
        ),
    );
    doc.security = Some(vec![SecurityRequirement::new(
        "token",
        Vec::<String>::new(),
    )]);
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            add_common_errors(op, errors);
        }
    }
    doc
}

/// The document as served: with links from a created tenant or segment to the
/// operations on it (for clients, and for the fuzzer's stateful phase, which follows them
/// with real slugs, ids and ETags). Added to the JSON because utoipa 5 spells the link's
/// `operationId` in snake case.
pub static DOCUMENT_JSON: LazyLock<serde_json::Value> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(&*DOCUMENT).unwrap_or_default();
    let slug = "$response.body#/slug";
    let mut tenant_links = links(
        &[
            "tenant_get",
            "tenant_progress",
            "tenant_usage",
            "tenant_action",
            "members_list",
            "invitations_list",
            "invitation_create",
            "tenant_super_admins",
        ],
        "slug",
        slug,
    );
    tenant_links.insert(
        "tenant_update".to_owned(),
        serde_json::json!({ "operationId": "tenant_update",
            "parameters": { "slug": slug, "If-Match": "$response.header.ETag" } }),
    );
    let segment_links = links(
        &[
            "segment_get",
            "segment_update",
            "segment_delete",
            "segment_tenant_add",
            "segment_tenant_remove",
            "segment_super_admin_assign",
            "segment_super_admin_unassign",
        ],
        "id",
        "$response.body#/id",
    );
    add_links(&mut doc, "/api/v1/tenants", tenant_links);
    add_links(&mut doc, "/api/v1/segments", segment_links);
    doc
});

/// Puts `links` on the 201 answer of `POST path`.
pub fn add_links(
    doc: &mut serde_json::Value,
    path: &str,
    links: serde_json::Map<String, serde_json::Value>,
) {
    let pointer = format!("/paths/{}/post/responses/201", path.replace('/', "~1"));
    if let Some(created) = doc.pointer_mut(&pointer).and_then(|c| c.as_object_mut()) {
        created.insert("links".to_owned(), serde_json::Value::Object(links));
    }
}

/// Links to `operations`, each passing `value` as the parameter `name`.
pub fn links(
    operations: &[&str],
    name: &str,
    value: &str,
) -> serde_json::Map<String, serde_json::Value> {
    operations
        .iter()
        .map(|op| {
            let link = serde_json::json!({ "operationId": op, "parameters": { name: value } });
            ((*op).to_owned(), link)
        })
        .collect()
}

fn add_common_errors(op: &mut Operation, errors: &[(&str, &str)]) {
    for (status, description) in errors {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/problem+json",
                            ContentBuilder::new()
                                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                    "ProblemDoc",
                                ))))
                                .build(),
                        )
                        .build(),
                )
            });
    }
}

/// `GET /api/v1/openapi.json`: public, like any API's description.
async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(&DOCUMENT_JSON)
}

/// One operation as the reference page shows it.
struct OperationView {
    method: &'static str,
    path: String,
    summary: String,
    description: String,
    params: Vec<(String, String, bool, String)>,
    body: String,
    responses: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api/reference.html")]
struct ReferencePage {
    css: String,
    title: String,
    description: String,
    operations: Vec<OperationView>,
    schemas: Vec<(String, String)>,
    problem_prefix: &'static str,
}

/// `GET /api/v1/docs`: the document as a page people read.
async fn reference_page() -> ReferencePage {
    let doc = &*DOCUMENT;
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            let Some(op) = op else { continue };
            operations.push(OperationView {
                method,
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                description: op.description.clone().unwrap_or_default(),
                params: op
                    .parameters
                    .iter()
                    .flatten()
                    .map(|p| {
                        let location = serde_json::to_value(&p.parameter_in)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        (
                            p.name.clone(),
                            location,
                            matches!(p.required, Required::True),
                            p.description.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
                body: op
                    .request_body
                    .as_ref()
                    .and_then(|b| b.content.values().next())
                    .and_then(|c| c.schema.as_ref())
                    .map(schema_name)
                    .unwrap_or_default(),
                responses: op
                    .responses
                    .responses
                    .iter()
                    .map(|(status, r)| {
                        let description = match r {
                            RefOr::T(r) => r.description.clone(),
                            RefOr::Ref(r) => r.ref_location.clone(),
                        };
                        (status.clone(), description)
                    })
                    .collect(),
            });
        }
    }
    let schemas: BTreeMap<String, String> = doc
        .components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ReferencePage {
        css: assets::url("app.css"),
        title: doc.info.title.clone(),
        description: doc.info.description.clone().unwrap_or_default(),
        operations,
        schemas: schemas.into_iter().collect(),
        problem_prefix: PROBLEM_TYPE_PREFIX,
    }
}

fn schema_name(schema: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match schema {
        RefOr::Ref(r) => r
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        RefOr::T(_) => "inline".to_owned(),
    }
}
