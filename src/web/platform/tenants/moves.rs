//! A tenant's move on its platform page: where it is, its latest move (htmx polls the
//! card while one is waiting or running), the copies kept after a move, and — for owners
//! — the Move form: another server and/or tier.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::state::AppState;
use crate::tenancy::moves::{self, jobs};
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::Tenant;
use crate::web::error::{Refusal, Result};
use crate::web::flash;
use crate::web::form::Form;
use crate::web::i18n::Locale;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

use super::visible_tenant;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/tenants/{slug}/move", get(move_card).post(move_request))
}

/// One step of a running move as the card lists it.
struct StepView {
    label: String,
    /// `done`, `running` or `waiting`.
    state: &'static str,
}

/// The Move card (also the htmx partial it polls itself with).
#[derive(Template, WebTemplate)]
#[template(path = "platform/tenants/_move.html")]
pub(super) struct MoveCard {
    locale: Locale,
    slug: String,
    csrf_token: String,
    /// Where the tenant lives now.
    here: String,
    current_server: String,
    current_tier: String,
    /// The latest move: its status, from and to, error, suspension window, when.
    last: Option<moves::MoveView>,
    from: String,
    to: String,
    steps: Vec<StepView>,
    percent: usize,
    polling: bool,
    /// Copies kept after moves: (place, dropped after).
    old_copies: Vec<(String, time::OffsetDateTime)>,
    /// The form: owners, a tenant with data, no move under way; servers it may go to.
    can_move: bool,
    servers: Vec<String>,
}

impl MoveCard {
    pub(super) async fn load(state: &AppState, staff: &Staff, tenant: &Tenant) -> Result<Self> {
        let last = moves::latest(&state.db, tenant.id).await?;
        let running = last.as_ref().is_some_and(|m| m.status == "queued");
        let locale = staff.locale();
        let current = if running {
            jobs::step_index(tenant.progress_step.as_deref())
        } else {
            None
        };
        let steps = if running {
            jobs::MOVE_STEPS
                .iter()
                .enumerate()
                .map(|(i, (key, _))| StepView {
                    label: locale.t(&format!("pf-move-step-{key}")),
                    state: match current {
                        Some(c) if i < c => "done",
                        Some(c) if i == c => "running",
                        _ => "waiting",
                    },
                })
                .collect()
        } else {
            Vec::new()
        };
        let plan = last.as_ref().and_then(|m| m.plan.as_ref());
        let servers = crate::tenancy::servers::list(&state.db)
            .await?
            .into_iter()
            .filter(|s| s.status == "active")
            .map(|s| s.name)
            .collect();
        Ok(Self {
            slug: tenant.slug.clone(),
            csrf_token: crate::web::csrf::token(&staff.session).await?,
            here: place_text(&locale, &moves::Place::of(tenant)),
            current_server: tenant.server_name.clone(),
            current_tier: tenant.tier.as_str().to_owned(),
            from: plan
                .map(|p| place_text(&locale, &p.from))
                .unwrap_or_default(),
            to: plan.map(|p| place_text(&locale, &p.to)).unwrap_or_default(),
            percent: current.unwrap_or(0) * 100 / jobs::MOVE_STEPS.len(),
            steps,
            polling: running,
            old_copies: moves::old_copies(&state.db, tenant.id)
                .await?
                .into_iter()
                .map(|c| (place_text(&locale, &c.place()), c.drop_after))
                .collect(),
            can_move: staff.can(PlatformAction::ManageServers)
                && !running
                && matches!(
                    tenant.status,
                    TenantStatus::Active | TenantStatus::Suspended
                ),
            servers,
            last,
            locale,
        })
    }
}

/// Where a tenant's data is, in the reader's words.
fn place_text(locale: &Locale, place: &moves::Place) -> String {
    match &place.schema {
        Some(schema) => locale.t_with(
            "pf-place-schema",
            &[
                ("schema", schema),
                ("database", &place.database),
                ("server", &place.server),
            ],
        ),
        None => locale.t_with(
            "pf-place-database",
            &[("database", &place.database), ("server", &place.server)],
        ),
    }
}

/// `GET /tenants/{slug}/move`: the card alone, for htmx polling.
async fn move_card(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
) -> Result<MoveCard> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    MoveCard::load(&state, &staff, &tenant).await
}

#[derive(Deserialize)]
struct MoveForm {
    /// The target server's name (empty: the one it is on).
    #[serde(default)]
    to: String,
    /// `isolated` or `pooled` (empty: the tier it has).
    #[serde(default)]
    tier: String,
}

/// `POST /tenants/{slug}/move`: queue a move (owners). A refusal is flashed with its
/// reason and nothing is queued.
async fn move_request(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    let tenant = visible_tenant(&state, &staff, &slug).await?;
    staff.require(PlatformAction::ManageServers)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match moves::request_move(
        &state.tenancy,
        &tenant,
        Some(&form.to),
        Some(&form.tier),
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(_) => flash::success(&staff.session, &staff.locale().t("msg-move-started")).await?,
        Err(e) => {
            let reason = staff.locale().message(&e.into_message()?);
            flash::refusal(&staff.session, reason).await?
        }
    }
    Ok(
        crate::web::redirect_after_post(&headers, &format!("/tenants/{}#move", tenant.slug))
            .into_response(),
    )
}
