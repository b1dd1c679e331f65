//! Plans (owners only): the list with each plan's limits and tenant count, a create
//! form, and a plan's edit form with delete (refused while any tenant is on the plan).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::control::plans::{self, Plan, PlanError, PlanInput};
use crate::state::AppState;
use crate::tenancy::modules::{self, Module};
use crate::web::error::{AppError, Refusal, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;
use crate::web::redirect_after_post;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plans_list).post(plan_create))
        .route("/plans/{id}", get(plan_edit).post(plan_update))
        .route("/plans/{id}/delete", post(plan_delete))
}

/// A plan's limits as the list shows them ("unlimited" for none).
pub struct PlanRow {
    pub plan: Plan,
    pub users: String,
    pub storage: String,
    pub api_calls: String,
    pub rps: String,
    pub modules: String,
    /// The catalog's modules this plan includes, by name.
    pub includes: String,
    /// How often its tenants are backed up, and for how long backups are kept.
    pub backups: String,
}

impl PlanRow {
    fn of(plan: Plan, catalog: &[Module], locale: &Locale) -> Self {
        let includes = catalog
            .iter()
            .filter(|m| m.plans.contains(&plan.id))
            .map(|m| locale.module_name(&m.id, &m.name))
            .collect::<Vec<_>>()
            .join(", ");
        let show = |n: Option<i64>| {
            n.map(|n| locale.number(n))
                .unwrap_or_else(|| locale.t("usage-unlimited"))
        };
        Self {
            users: show(plan.max_users.map(i64::from)),
            storage: plan
                .max_storage_bytes
                .map(plans::storage_text)
                .unwrap_or_else(|| locale.t("usage-unlimited")),
            api_calls: show(plan.max_api_calls_per_month),
            rps: show(plan.max_requests_per_second.map(i64::from)),
            modules: show(plan.max_modules.map(i64::from)),
            backups: {
                let days = plan.backup_keep_days.to_string();
                match plan.backup_every_hours {
                    Some(h) => locale.t_with(
                        "pf-plan-backups-every",
                        &[("hours", &h.to_string()), ("days", &days)],
                    ),
                    None => locale.t_with("pf-plan-backups-on-request", &[("days", &days)]),
                }
            },
            includes: if includes.is_empty() {
                locale.t("pf-none-lower")
            } else {
                includes
            },
            plan,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/plans/list.html")]
struct PlansPage {
    layout: Layout,
    rows: Vec<PlanRow>,
    input: PlanInput,
    errors: FieldErrors,
    error: String,
}

impl PlansPage {
    async fn load(state: &AppState, staff: &Staff) -> Result<Self> {
        let catalog = modules::catalog(&state.db).await?;
        let locale = staff.locale();
        Ok(Self {
            layout: Layout::staff(staff, "plans", &staff.locale().t("title-plans")).await?,
            rows: plans::list(&state.db)
                .await?
                .into_iter()
                .map(|plan| PlanRow::of(plan, &catalog, &locale))
                .collect(),
            input: PlanInput {
                pool_size: "3".into(),
                default_tier: "pooled".into(),
                ..Default::default()
            },
            errors: FieldErrors::default(),
            error: String::new(),
        })
    }
}

async fn plans_list(State(state): State<AppState>, staff: Staff) -> Result<PlansPage> {
    staff.require(PlatformAction::ManagePlans)?;
    PlansPage::load(&state, &staff).await
}

fn actor(staff: &Staff) -> Actor {
    Actor::user(staff.user.id, &staff.user.email)
}

/// Puts a refusal next to its field (or on top) of a page that shows `errors`/`error`.
fn place(e: PlanError, errors: &mut FieldErrors, error: &mut String, l: &Locale) -> Result<()> {
    let field = e.field();
    let message = e.into_message_in(l)?;
    if field.is_empty() {
        *error = message;
    } else {
        errors.add(field, message);
        *error = l.t("msg-nothing-changed");
    }
    Ok(())
}

/// The text `key` with the plan's `name`, in the staff member's language.
fn said(staff: &Staff, key: &str, name: &str) -> String {
    staff.locale().t_with(key, &[("name", name)])
}

async fn plan_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(input): Form<PlanInput>,
) -> Result<Response> {
    staff.require(PlatformAction::ManagePlans)?;
    match plans::create(&state.db, &input, &actor(&staff), &meta.origin).await {
        Ok(plan) => {
            flash::success(&staff.session, said(&staff, "msg-plan-created", &plan.name)).await?;
            Ok(redirect_after_post(&headers, "/plans"))
        }
        Err(e) => {
            let mut page = PlansPage::load(&state, &staff).await?;
            place(e, &mut page.errors, &mut page.error, &staff.locale())?;
            page.input = input;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/plans/edit.html")]
struct PlanPage {
    layout: Layout,
    plan: Plan,
    input: PlanInput,
    errors: FieldErrors,
    error: String,
}

impl PlanPage {
    async fn load(state: &AppState, staff: &Staff, id: &str) -> Result<Self> {
        staff.require(PlatformAction::ManagePlans)?;
        let plan = plans::find(&state.db, id)
            .await?
            .filter(|p| p.id == id)
            .ok_or(AppError::NotFound)?;
        Ok(Self {
            layout: Layout::staff(staff, "plans", &said(staff, "title-plan", &plan.name)).await?,
            input: plan.to_input(),
            plan,
            errors: FieldErrors::default(),
            error: String::new(),
        })
    }
}

async fn plan_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<PlanPage> {
    PlanPage::load(&state, &staff, &id).await
}

async fn plan_update(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<PlanInput>,
) -> Result<Response> {
    let mut page = PlanPage::load(&state, &staff, &id).await?;
    match plans::update(&state.db, &id, &input, &actor(&staff), &meta.origin).await {
        Ok(plan) => {
            flash::success(&staff.session, said(&staff, "msg-plan-saved", &plan.name)).await?;
            Ok(redirect_after_post(&headers, "/plans"))
        }
        Err(e) => {
            place(e, &mut page.errors, &mut page.error, &staff.locale())?;
            page.input = input;
            page.input.id = id;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn plan_delete(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let mut page = PlanPage::load(&state, &staff, &id).await?;
    match plans::delete(&state.db, &id, &actor(&staff), &meta.origin).await {
        Ok(()) => {
            let text = said(&staff, "msg-plan-deleted", &page.plan.name);
            flash::success(&staff.session, text).await?;
            Ok(redirect_after_post(&headers, "/plans"))
        }
        Err(e) => {
            place(e, &mut page.errors, &mut page.error, &staff.locale())?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}
