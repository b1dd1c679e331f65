//! The tenant's JSON API (writes to the CRM live in `api_crm`). Callers authenticate with `Authorization: Bearer tnt_…`; the
//! tenant comes from the host as for the console, or — for API calls only — from the
//! `X-Tenant-Slug` header. A token serves only its own tenant, whichever way it was named.

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::control::api_tokens::{self, ApiCaller};
use crate::modules::crm;
use crate::state::AppState;
use crate::web::tenant::{CurrentTenant, tenant_db};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/tenant", get(tenant)).route(
        "/api/v1/customers",
        get(customers).post(super::api_crm::customer_create),
    )
}

/// The bearer token a request carries, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// An API error: a status and a JSON body `{"error": "…"}`.
pub struct ApiError(pub StatusCode, pub &'static str);

/// Answered as every `/api/` error is: an RFC 9457 problem, made by the error layer from
/// the refusal's status and message (so the API has one error shape, request id included).
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = crate::web::error::AppError::Refused {
            status: self.0,
            message: self.1.to_owned(),
        }
        .into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// 429 for a tenant whose plan's API calls for the month are used up.
pub fn over_quota(usage: &crate::control::usage::TenantUsage) -> Response {
    let message = format!(
        "The {} plan allows {} API calls a month, and this month's are used up.",
        usage.plan,
        usage.max_api_calls.unwrap_or(usage.api_calls)
    );
    crate::web::error::AppError::Refused {
        status: StatusCode::TOO_MANY_REQUESTS,
        message,
    }
    .into_response()
}

impl From<crate::web::error::AppError> for ApiError {
    fn from(e: crate::web::error::AppError) -> Self {
        use crate::web::error::AppError;
        match e {
            AppError::NotFound => ApiError(StatusCode::NOT_FOUND, "Not found."),
            AppError::Unavailable(_) => ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable; try again shortly.",
            ),
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        crate::web::error::AppError::from(e).into()
    }
}

/// A request authenticated by a token of the tenant it is for (the resolution middleware
/// checked both and left the caller in the request).
pub struct Api {
    pub caller: ApiCaller,
    pub current: CurrentTenant,
}

impl Api {
    /// Whose `Idempotency-Key`s this call uses: its token's.
    pub fn idempotency_caller(&self) -> String {
        format!("tenant-token:{}", self.caller.token_id)
    }

    /// Who the audit trail names for this call: the token.
    pub fn actor(&self) -> crate::control::audit::Actor {
        crate::control::audit::Actor {
            id: None,
            label: format!("api-token:{}", self.caller.token_id),
        }
    }
}

impl FromRequestParts<AppState> for Api {
    type Rejection = Response;

    /// Also counts the call against the plan's monthly allowance (only API handlers
    /// count: a token sent to a console page is no API call).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let unauthorized = ApiError(
            StatusCode::UNAUTHORIZED,
            "Send an API token: Authorization: Bearer tnt_…",
        );
        let caller = parts
            .extensions
            .get::<ApiCaller>()
            .cloned()
            .ok_or_else(|| unauthorized.into_response())?;
        let current = parts
            .extensions
            .get::<CurrentTenant>()
            .cloned()
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "Not found.").into_response())?;
        match api_tokens::meter(&state.db, current.tenant.id).await {
            Ok(Ok(())) => {
                if let Some(metered) = parts.extensions.get::<super::limits::Metered>() {
                    metered.mark();
                }
                Ok(Self { caller, current })
            }
            Ok(Err(usage)) => Err(over_quota(&usage)),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// The tenant the token belongs to.
#[derive(Serialize, ToSchema)]
pub struct TenantInfo {
    slug: String,
    name: String,
    plan: String,
    /// The modules enabled for it (`crm`, …).
    modules: Vec<String>,
}

/// The token's tenant: its name, plan and enabled modules.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    responses((status = 200, body = TenantInfo)))]
pub(super) async fn tenant(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<TenantInfo>, ApiError> {
    let t = &api.current.tenant;
    let modules = Vec::clone(&*state.tenancy.modules_for_pages(t.id).await?);
    Ok(Json(TenantInfo {
        slug: t.slug.clone(),
        name: t.name.clone(),
        plan: t.plan_id.clone(),
        modules,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomersQuery {
    /// Part of the name or email.
    #[serde(default)]
    #[param(max_length = 200)]
    q: String,
    #[serde(default)]
    #[param(inline, value_type = Option<super::api_crm::StatusName>)]
    status: String,
    /// The page, from 0.
    #[serde(default)]
    #[param(minimum = 0, maximum = 100000)]
    page: i64,
}

/// One page of customers (50 a page), and how many match in all.
#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    total: i64,
    page: i64,
    per_page: i64,
    customers: Vec<super::api_crm::CustomerOut>,
}

const PER_PAGE: i64 = 50;

/// The tenant's customers, filtered, newest first.
#[utoipa::path(get, path = "/api/v1/customers", tag = "crm", params(CustomersQuery),
    responses((status = 200, body = CustomerPage)))]
pub(super) async fn customers(
    State(state): State<AppState>,
    api: Api,
    query: Result<Query<CustomersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "Query parameters: q (text), status (lead, active, churned), page (from 0).",
        ));
    };
    if !query.status.is_empty() && !crm::STATUSES.contains(&query.status.as_str()) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "status must be lead, active or churned.",
        ));
    }
    if query.q.len() > 200 || !(0..=100_000).contains(&query.page) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "q is limited to 200 bytes and page to 0…100000.",
        ));
    }
    let tenant = api.current.tenant.id;
    let enabled = state.tenancy.modules_for_pages(tenant).await?;
    if !enabled.iter().any(|m| m == "crm") {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "The CRM module is not enabled for this tenant.",
        ));
    }
    // Tokens only read: PostgreSQL refuses writes in these transactions.
    let db = tenant_db(&state, tenant, true).await?;
    let search = crm::Search {
        q: &query.q,
        status: &query.status,
        sort: crm::Sort::default(),
    };
    let (rows, total) = crm::list(
        &db,
        &search,
        crate::web::form::page_number(query.page),
        PER_PAGE,
    )
    .await?;
    tracing::debug!(token = %api.caller.token_id, "API customers");
    Ok(Json(CustomerPage {
        total,
        page: query.page,
        per_page: PER_PAGE,
        customers: rows.into_iter().map(Into::into).collect(),
    })
    .into_response())
}
