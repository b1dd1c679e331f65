//! A tenant's backups on its platform page: take one, watch it (htmx polls while one is
//! waiting or running), and restore one over the tenant's data (the slug typed to
//! confirm) or into a new tenant (a clone). Owners restore; owners and the tenant's
//! super admins take backups.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::backup::{self, Backup, BackupError, BackupStatus, jobs};
use crate::tenancy::tenants::Tenant;
use crate::web::error::{Refusal, Result};
use crate::web::flash;
use crate::web::form::Form;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

use super::visible_tenant;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/tenants/{slug}/backups",
            get(backups_card).post(backup_create),
        )
        .route("/tenants/{slug}/backups/{id}/restore", post(backup_restore))
}

impl Refusal for BackupError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Refused(_) | Self::NotCopyable(_) => Some(StatusCode::CONFLICT),
            Self::NotFound(_) => Some(StatusCode::NOT_FOUND),
            Self::ConfirmationNeeded(_) => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Self::Create(e) => e.status(),
            Self::Db(_) => None,
        }
    }

    fn message_in(&self, locale: &crate::web::i18n::Locale) -> String {
        match self {
            Self::NotFound(id) => locale.t_with("err-no-backup", &[("name", id.as_str())]),
            Self::ConfirmationNeeded(slug) => {
                locale.t_with("err-type-slug-to-restore", &[("name", slug.as_str())])
            }
            Self::NotCopyable(status) => locale.t_with(
                "err-tenant-cannot-be-copied",
                &[("status", &locale.status(status.as_str()))],
            ),
            Self::Create(e) => e.message_in(locale),
            other => locale.message(&other.message()),
        }
    }
}

/// One backup as the card lists it.
struct Row {
    id: String,
    status: BackupStatus,
    /// The status in the reader's words (`backup-status-<code>`: a backup's "done" is
    /// not a task's "Done").
    label: String,
    /// What it is doing now, while it runs.
    step: &'static str,
    size: String,
    taken: time::OffsetDateTime,
    error: String,
}

impl Row {
    fn of(b: &Backup, locale: &crate::web::i18n::Locale) -> Self {
        let code = b.status.as_str();
        Self {
            id: b.id.to_string(),
            status: b.status,
            label: locale
                .try_t(&format!("backup-status-{code}"))
                .unwrap_or_else(|| code.to_owned()),
            step: b.step.as_deref().map(jobs::step_label).unwrap_or(""),
            size: b.size_bytes.map(|n| locale.bytes(n)).unwrap_or_default(),
            taken: b.created_at,
            error: b.error.clone().unwrap_or_default(),
        }
    }
}

/// The Backups card (also the htmx partial it polls itself with).
#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/_backups.html")]
pub(super) struct BackupsCard {
    locale: crate::web::i18n::Locale,
    slug: String,
    csrf_token: String,
    rows: Vec<Row>,
    can_backup: bool,
    can_restore: bool,
    polling: bool,
    store: String,
    /// A fresh export's line with its download link, shown this once.
    export: Option<super::export::ExportLine>,
}

impl BackupsCard {
    pub(super) async fn load(state: &AppState, staff: &Staff, tenant: &Tenant) -> Result<Self> {
        let all = backup::list(&state.db, tenant.id).await?;
        let polling = all
            .iter()
            .any(|b| matches!(b.status, BackupStatus::Queued | BackupStatus::Running));
        let locale = staff.locale();
        Ok(Self {
            rows: all.iter().map(|b| Row::of(b, &locale)).collect(),
            locale,
            slug: tenant.slug.clone(),
            csrf_token: crate::web::csrf::token(&staff.session).await?,
            can_backup: staff.can(PlatformAction::BackupTenant),
            can_restore: staff.can(PlatformAction::ManageTenantLifecycle),
            polling,
            store: state.tenancy.backup_settings.store.describe(),
            export: None,
        })
    }

    /// Moves a just-issued export link out of the page's flashes into the card.
    pub(super) async fn take_export_link(
        &mut self,
        state: &AppState,
        staff: &Staff,
        flashes: &mut Vec<flash::Flash>,
    ) -> Result<()> {
        if let Some(i) = flashes.iter().position(|f| f.secret.is_some()) {
            // The flash holds the whole link; the line rebuilds it from its token.
            let link = flashes.remove(i).secret.unwrap_or_default();
            let token = link.rsplit('/').next().unwrap_or_default();
            self.export = Some(super::export::ExportLine::of(state, staff, token).await?);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct CardQuery {
    /// The token of an export whose line the card shows: its polling keeps it.
    #[serde(default)]
    export: String,
}

/// `GET /tenants/{slug}/backups`: the card alone, for htmx polling (with the export line
/// it showed, if any).
async fn backups_card(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    Query(q): Query<CardQuery>,
) -> Result<BackupsCard> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    let mut card = BackupsCard::load(&state, &staff, &tenant).await?;
    if !q.export.is_empty() && card.can_restore {
        card.export = Some(super::export::ExportLine::of(&state, &staff, &q.export).await?);
    }
    Ok(card)
}

fn back_to(tenant: &str) -> String {
    format!("/tenants/{tenant}#backups")
}

/// `POST /tenants/{slug}/backups`: queue a backup.
async fn backup_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(_form): Form<Empty>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    staff.require(PlatformAction::BackupTenant)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match backup::request_backup(&state.tenancy, &tenant, &actor, &meta.origin).await {
        Ok(_) => flash::success(&staff.session, staff.locale().t("msg-backup-started")).await?,
        Err(e) => flash::refusal(&staff.session, e.into_message_in(&staff.locale())?).await?,
    }
    Ok(crate::web::redirect_after_post(&headers, &back_to(&tenant.slug)).into_response())
}

#[derive(Deserialize)]
struct Empty {}

#[derive(Deserialize)]
struct RestoreForm {
    /// The slug typed to restore over the tenant's data.
    #[serde(default)]
    confirm: String,
    /// A new slug: restore into a new tenant instead.
    #[serde(default)]
    into: String,
}

/// `POST /tenants/{slug}/backups/{id}/restore`: over the tenant (typed slug) or into a
/// new tenant. Only one of the tenant's own backups is found here.
async fn backup_restore(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<RestoreForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    staff.require(PlatformAction::ManageTenantLifecycle)?;
    let chosen = backup::of_tenant(&state.db, &tenant, &id).await?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let into = form.into.trim();
    let result = if into.is_empty() {
        backup::request_restore(
            &state.tenancy,
            &tenant,
            &chosen,
            Some(&form.confirm),
            &actor,
            &meta.origin,
        )
        .await
        .map(|_| (tenant.slug.clone(), "msg-restore-started"))
    } else {
        backup::request_clone(&state.tenancy, &tenant, &chosen, into, &actor, &meta.origin)
            .await
            .map(|_| (into.to_owned(), "msg-clone-started"))
    };
    match result {
        Ok((target, message)) => {
            flash::success(&staff.session, staff.locale().t(message)).await?;
            Ok(
                crate::web::redirect_after_post(&headers, &format!("/tenants/{target}"))
                    .into_response(),
            )
        }
        Err(e) => {
            flash::refusal(&staff.session, e.into_message_in(&staff.locale())?).await?;
            Ok(crate::web::redirect_after_post(&headers, &back_to(&tenant.slug)).into_response())
        }
    }
}
