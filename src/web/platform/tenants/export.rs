//! A tenant's export from its platform page, for owners: a POST queues the export job and
//! gives its download link (shown once); the link downloads the archive once it is ready
//! (once, and only soon after), and says so while it is still being prepared. The page
//! shows where the export stands and polls it until it is ready or failed.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::export;
use crate::tenancy::export_jobs::{self, LinkState, Redeemed};
use crate::tenancy::tenants;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::Form;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

use super::visible_tenant;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants/{slug}/export", post(export_link))
        .route("/exports/{token}", get(export_download))
        .route("/exports/{token}/status", get(export_status))
}

/// The export's line on the tenant page: preparing (polling itself), ready with its
/// link, failed with why, or gone.
#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/_export_link.html")]
pub(super) struct ExportLine {
    locale: crate::web::i18n::Locale,
    /// The whole download link (`…/exports/{token}`).
    link: String,
    token: String,
    state: &'static str,
    message: String,
}

impl ExportLine {
    /// The line for the export behind `token`, as it stands now.
    pub(super) async fn of(state: &AppState, staff: &Staff, token: &str) -> Result<Self> {
        let link = format!("{}/exports/{token}", state.config.admin_url());
        let token = token.to_owned();
        let now = if well_formed(&token) {
            export_jobs::state(&state.tenancy, &token).await?
        } else {
            LinkState::Gone
        };
        let locale = staff.locale();
        let (state, message) = match now {
            LinkState::Preparing => ("preparing", locale.t("pf-export-preparing")),
            LinkState::Ready => ("ready", locale.t("pf-export-ready")),
            LinkState::Failed(error) => (
                "failed",
                locale.t_with("msg-export-failed", &[("error", error.as_str())]),
            ),
            LinkState::Gone => ("gone", locale.t("msg-export-link-gone")),
        };
        Ok(Self {
            locale,
            link,
            token,
            state,
            message,
        })
    }

    /// The export's token (the card's polling carries it, to keep showing this line).
    pub(super) fn token(&self) -> &str {
        &self.token
    }
}

/// Tokens are URL-safe base64; anything else is no link of ours.
fn well_formed(token: &str) -> bool {
    token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /exports/{token}/status`: the export's line, for the page's polling. Never
/// spends the link.
async fn export_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(token): Path<String>,
) -> Result<ExportLine> {
    staff.require(PlatformAction::ManageTenantLifecycle)?;
    ExportLine::of(&state, &staff, &token).await
}

#[derive(Deserialize)]
struct Empty {}

/// `POST /tenants/{slug}/export`: a single-use download link, shown once.
async fn export_link(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(_form): Form<Empty>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    staff.require(PlatformAction::ManageTenantLifecycle)?;
    if !tenant.status.has_data() || tenant.status == tenants::TenantStatus::Deleted {
        let status = staff.locale().status(tenant.status.as_str());
        return Err(AppError::Conflict(
            staff
                .locale()
                .t_with("msg-cannot-export", &[("status", status.as_str())]),
        ));
    }
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let asked = export_jobs::request(&state.tenancy, &tenant, &actor, &meta.origin).await?;
    flash::secret(
        &staff.session,
        staff.locale().t_with(
            "msg-export-ready",
            &[
                ("name", tenant.slug.as_str()),
                ("minutes", export::LINK_MINUTES.to_string().as_str()),
            ],
        ),
        format!("{}/exports/{}", state.config.admin_url(), asked.token),
    )
    .await?;
    Ok(
        crate::web::redirect_after_post(&headers, &format!("/tenants/{}#backups", tenant.slug))
            .into_response(),
    )
}

/// `GET /exports/{token}`: the archive, once. A used, expired or unknown link is 410.
async fn export_download(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageTenantLifecycle)?;
    let gone = || AppError::Refused {
        status: StatusCode::GONE,
        message: staff.locale().t("msg-export-link-gone"),
    };
    if !well_formed(&token) {
        return Err(gone());
    }
    let ready = match export_jobs::redeem(&state.tenancy, &token).await? {
        Redeemed::Ready(ready) => ready,
        Redeemed::Preparing => {
            return Err(AppError::Conflict(staff.locale().t("msg-export-preparing")));
        }
        Redeemed::Failed(error) => {
            return Err(AppError::Conflict(
                staff
                    .locale()
                    .t_with("msg-export-failed", &[("error", error.as_str())]),
            ));
        }
        Redeemed::Gone => return Err(gone()),
    };
    let tenant = tenants::get(&state.db, ready.tenant_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let file = tempfile::Builder::new()
        .prefix("tenantry-export-")
        .suffix(".tar")
        .tempfile()
        .map_err(anyhow::Error::from)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    export_jobs::fetch(&state.tenancy, &ready, file.path(), &actor, &meta.origin).await?;
    // Open before the temporary file is unlinked: the handle keeps it readable.
    let open = tokio::fs::File::open(file.path())
        .await
        .map_err(anyhow::Error::from)?;
    let size = open.metadata().await.map_err(anyhow::Error::from)?.len();
    drop(file);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(open));
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-export.tar\"", tenant.slug),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
