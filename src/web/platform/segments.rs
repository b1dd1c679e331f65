//! Segments (owners only): named groups of tenants assigned to super admins as a whole.
//! The list with a create form, and a segment's page with its tenants, its super admins,
//! rename and delete. Assignment is owner business, so every route needs `ManageStaff`,
//! the action that also guards direct assignments on a tenant's page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::control::segments::{self, Listed, Segment, SegmentError, SegmentTenant};
use crate::state::AppState;
use crate::tenancy::status::TenantStatus;
use crate::web::error::{AppError, Refusal, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;
use crate::web::redirect_after_post;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/segments", get(segments_list).post(segment_create))
        .route("/segments/{id}", get(segment_detail).post(segment_update))
        .route("/segments/{id}/delete", post(segment_delete))
        .route("/segments/{id}/tenants", post(segment_tenant_add))
        .route("/segments/{id}/tenants/remove", post(segment_tenant_remove))
        .route("/segments/{id}/super-admins", post(segment_staff_set))
}

/// Refuses anyone but owners first, so other roles learn nothing (not even whether an id
/// exists); a malformed id is the same 404 as an unknown one.
fn owner_and_id(staff: &Staff, id: &str) -> Result<Uuid> {
    staff.require(PlatformAction::ManageStaff)?;
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// What was typed, kept (shortened) to refill a refused form.
fn refill(typed: &str, max: usize) -> String {
    typed.trim().chars().take(max).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/segments/list.html")]
struct SegmentsPage {
    layout: Layout,
    rows: Vec<Listed>,
    error: String,
    name: String,
    description: String,
    errors: FieldErrors,
}

impl SegmentsPage {
    async fn load(state: &AppState, staff: &Staff) -> Result<Self> {
        Ok(Self {
            layout: Layout::staff(staff, "segments", &staff.locale().t("title-segments")).await?,
            rows: segments::list(&state.db).await?,
            error: String::new(),
            name: String::new(),
            description: String::new(),
            errors: FieldErrors::default(),
        })
    }
}

async fn segments_list(State(state): State<AppState>, staff: Staff) -> Result<SegmentsPage> {
    staff.require(PlatformAction::ManageStaff)?;
    SegmentsPage::load(&state, &staff).await
}

#[derive(Deserialize)]
struct NamingForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn segment_create(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<NamingForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match segments::create(
        &state.db,
        &form.name,
        &form.description,
        &actor,
        &meta.origin,
    )
    .await
    {
        Ok(segment) => back_to(&staff, &headers, segment.id, "msg-segment-created").await,
        Err(e @ SegmentError::Db(_)) => Err(e.into()),
        Err(e) => {
            let mut page = SegmentsPage::load(&state, &staff).await?;
            page.name = refill(&form.name, 80);
            page.description = refill(&form.description, 600);
            let locale = staff.locale();
            page.errors
                .add(e.field().unwrap_or("name"), e.message_in(&locale));
            page.error = locale.t("msg-segment-not-created");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/segments/detail.html")]
struct SegmentPage {
    layout: Layout,
    segment: Segment,
    tenants: Vec<SegmentTenant>,
    super_admins: Vec<(Uuid, String, bool)>,
    error: String,
    /// The rename form's values (the stored ones unless a refused edit is shown).
    name: String,
    description: String,
    slug: String,
    errors: FieldErrors,
    /// Tenants the slug field suggests as it is typed (slug, name): those not in it yet.
    choices: Vec<(String, String)>,
}

/// How many tenants the slug field suggests (a datalist, filtered by the browser).
const CHOICES: i64 = 1000;

impl SegmentPage {
    async fn load(state: &AppState, staff: &Staff, id: Uuid) -> Result<Self> {
        let segment = segments::get(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let tenants = segments::tenants_of(&state.db, id).await?;
        let filter = crate::tenancy::tenants::ListFilter {
            sort: "slug".into(),
            per_page: CHOICES,
            ..Default::default()
        };
        let choices = crate::tenancy::tenants::list(&state.db, &filter)
            .await?
            .0
            .into_iter()
            .filter(|t| !matches!(t.status, TenantStatus::Deleted | TenantStatus::Purged))
            .filter(|t| !tenants.iter().any(|in_it| in_it.slug == t.slug))
            .map(|t| (t.slug, t.name))
            .collect();
        Ok(Self {
            layout: Layout::staff(staff, "segments", &segment.name).await?,
            tenants,
            choices,
            super_admins: segments::super_admins_for(&state.db, id).await?,
            error: String::new(),
            name: segment.name.clone(),
            description: segment.description.clone(),
            slug: String::new(),
            errors: FieldErrors::default(),
            segment,
        })
    }

    /// The page again, with the refusal next to its field (or on top) and nothing changed.
    async fn refused(
        state: &AppState,
        staff: &Staff,
        id: Uuid,
        e: SegmentError,
        fill: impl FnOnce(&mut Self),
    ) -> Result<Response> {
        if let e @ (SegmentError::Db(_) | SegmentError::NotFound) = e {
            return Err(e.into());
        }
        let mut page = Self::load(state, staff, id).await?;
        fill(&mut page);
        let locale = staff.locale();
        match e.field() {
            Some(field) => {
                page.errors.add(field, e.message_in(&locale));
                page.error = locale.t("msg-nothing-changed");
            }
            None => page.error = e.message_in(&locale),
        }
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    }
}

async fn segment_detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<SegmentPage> {
    let id = owner_and_id(&staff, &id)?;
    SegmentPage::load(&state, &staff, id).await
}

/// Back to the segment's page, saying there what was done (the text `done`).
async fn back_to(staff: &Staff, headers: &HeaderMap, id: Uuid, done: &str) -> Result<Response> {
    flash::success(&staff.session, staff.locale().t(done)).await?;
    Ok(redirect_after_post(headers, &format!("/segments/{id}")))
}

async fn segment_update(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<NamingForm>,
) -> Result<Response> {
    let id = owner_and_id(&staff, &id)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let done = segments::update(
        &state.db,
        id,
        &form.name,
        &form.description,
        &actor,
        &meta.origin,
    )
    .await;
    match done {
        Ok(()) => back_to(&staff, &headers, id, "msg-segment-saved").await,
        Err(e) => {
            SegmentPage::refused(&state, &staff, id, e, |page| {
                page.name = refill(&form.name, 80);
                page.description = refill(&form.description, 600);
            })
            .await
        }
    }
}

async fn segment_delete(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = owner_and_id(&staff, &id)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match segments::delete(&state.db, id, &actor, &meta.origin).await {
        Ok(()) => {
            let text = staff.locale().t("msg-segment-deleted");
            flash::success(&staff.session, text).await?;
            Ok(redirect_after_post(&headers, "/segments"))
        }
        Err(e @ (SegmentError::NotFound | SegmentError::Db(_))) => Err(e.into()),
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}

#[derive(Deserialize)]
struct SlugForm {
    #[serde(default)]
    slug: String,
}

async fn segment_tenant_add(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<SlugForm>,
) -> Result<Response> {
    let id = owner_and_id(&staff, &id)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match segments::add_tenant(&state.db, id, &form.slug, &actor, &meta.origin).await {
        Ok(_) => back_to(&staff, &headers, id, "msg-segment-tenant-added").await,
        Err(e) => {
            SegmentPage::refused(&state, &staff, id, e, |page| {
                page.slug = refill(&form.slug, 60);
            })
            .await
        }
    }
}

async fn segment_tenant_remove(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<SlugForm>,
) -> Result<Response> {
    let id = owner_and_id(&staff, &id)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match segments::remove_tenant(&state.db, id, &form.slug, &actor, &meta.origin).await {
        Ok(()) => back_to(&staff, &headers, id, "msg-segment-tenant-removed").await,
        Err(e) => SegmentPage::refused(&state, &staff, id, e, |_| {}).await,
    }
}

#[derive(Deserialize)]
struct AssignmentForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    assigned: String,
}

async fn segment_staff_set(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response> {
    let id = owner_and_id(&staff, &id)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let done = match Uuid::parse_str(form.user_id.trim()) {
        Ok(user) => {
            let assigned = form.assigned == "1";
            segments::set_super_admin(&state.db, id, user, assigned, &actor, &meta.origin).await
        }
        Err(_) => Err(SegmentError::NotSuperAdmin),
    };
    match done {
        Ok(()) => back_to(&staff, &headers, id, "msg-assignments-saved").await,
        Err(e) => SegmentPage::refused(&state, &staff, id, e, |_| {}).await,
    }
}
