//! The plan's limits at the tenant console's boundary, right after the tenant is
//! resolved: requests a second (429 with `Retry-After`; a page for browsers, a problem
//! for the API), storage (module writes refused while the latest sample is at or over the
//! limit — reads, sign-in and deletes still work — with a banner on every page), and the
//! metering of what was served (pages, API calls that succeeded, module records written).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::control::api_tokens::ApiCaller;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::tenant::CurrentTenant;

/// Set by the API extractor when the call was counted against the month's allowance,
/// so a call that then fails with a 4xx is given back.
#[derive(Clone, Default)]
pub struct Metered(Arc<AtomicBool>);

impl Metered {
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why this tenant's writes are refused, shown as a banner on its pages.
#[derive(Clone)]
pub struct LimitNotice(pub String);

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A module's pages are under `/<module id>`; a write there writes module records.
fn module_of<'p>(path: &'p str, modules: &[String]) -> Option<&'p str> {
    let first = path.trim_start_matches('/').split('/').next()?;
    modules.iter().any(|m| m == first).then_some(first)
}

fn too_many(plan: &str, rate: i32, wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut r = AppError::Refused {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: format!(
            "The {plan} plan allows {rate} requests a second; slow down and try again in {seconds} s."
        ),
    }
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

pub async fn enforce(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !state.config.metering {
        return next.run(req).await;
    }
    let Some(current) = req.extensions().get::<CurrentTenant>().cloned() else {
        return next.run(req).await;
    };
    let tenant = current.tenant.id;
    let limits = match state.tenancy.limits(tenant).await {
        Ok(l) => l,
        Err(e) => return AppError::from(e).into_response(),
    };
    let token = req.extensions().get::<ApiCaller>().map(|c| c.token_id);
    // Each instance holds the tenant to its part of the plan's rate: behind a balancer
    // the instances together allow the plan's rate, not a multiple of it.
    if let Some(rate) = limits.max_requests_per_second
        && let Err(wait) = state.throttle.check(
            tenant,
            token,
            crate::tenancy::instances::part(
                u32::try_from(rate).unwrap_or(1),
                state.instance.live(),
            ),
        )
    {
        metrics::counter!("rate_limited_requests_total", "tier" => limits.tier.clone())
            .increment(1);
        return too_many(&limits.plan, rate, wait);
    }
    let path = req.uri().path().to_owned();
    let api = is_api(&path);
    let writes = !req.method().is_safe();
    let modules = match state.tenancy.modules_for_pages(tenant).await {
        Ok(m) => m,
        Err(e) => return AppError::from(e).into_response(),
    };
    let module_write = writes && !api && module_of(&path, &modules).is_some();
    if let Some(refusal) = limits.storage_refusal() {
        // Deleting is how a tenant gets back under the limit.
        if module_write && !path.ends_with("/delete") {
            return AppError::Refused {
                status: StatusCode::FORBIDDEN,
                message: refusal,
            }
            .into_response();
        }
        req.extensions_mut().insert(LimitNotice(refusal));
    }
    let metered = Metered::default();
    if api {
        req.extensions_mut().insert(metered.clone());
    }
    let response = next.run(req).await;
    let status = response.status();
    if api {
        if metered.marked() {
            if status.is_client_error() {
                // Refused calls do not use the allowance.
                if let Err(e) = crate::control::api_tokens::unmeter(&state.db, tenant).await {
                    tracing::warn!(error = %e, "could not give back a refused API call");
                }
            } else if status.is_success() {
                state.meter.api_call(tenant);
            }
        }
    } else {
        state.meter.page_request(tenant);
        if module_write && (status.is_success() || status.is_redirection()) {
            state.meter.record_written(tenant);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::module_of;

    #[test]
    fn module_paths() {
        let m = vec!["crm".to_owned()];
        assert_eq!(module_of("/crm/12/edit", &m), Some("crm"));
        assert_eq!(module_of("/crm", &m), Some("crm"));
        assert_eq!(module_of("/crmx", &m), None);
        assert_eq!(module_of("/settings", &m), None);
    }
}
