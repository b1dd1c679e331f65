//! Platform staff (owners only): who is on the staff, inviting super admins and support
//! by email, and deactivating or reactivating them.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::control::invitations::{self, InviteError, Listed, NewInvitation, Role, Scope};
use crate::control::users::{self, PlatformRole, StaffError, StaffRow};
use crate::mail::compose::Branding;
use crate::state::AppState;
use crate::web::error::{AppError, Refusal, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(staff_page))
        .route("/staff/invite", post(invite))
        .route("/staff/{id}/status", post(set_status))
        .route("/staff/invitations/{id}/resend", post(resend))
        .route("/staff/invitations/{id}/revoke", post(revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/staff.html")]
struct StaffPage {
    layout: Layout,
    me: Uuid,
    rows: Vec<(StaffRow, String, String)>,
    invitations: Vec<Listed>,
    error: String,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
}

impl StaffPage {
    async fn load(state: &AppState, staff: &Staff) -> Result<Self> {
        let l = staff.locale();
        let rows = users::list_staff(&state.db)
            .await?
            .into_iter()
            .map(|r| {
                let label = PlatformRole::parse(&r.platform_role)
                    .map_or(String::new(), |role| l.message(role.label()));
                let now = time::OffsetDateTime::now_utc();
                let seen = r
                    .last_login_at
                    .map(|t| l.time_ago(t, now))
                    .unwrap_or_else(|| l.t("common-never"));
                (r, label, seen)
            })
            .collect();
        Ok(Self {
            layout: Layout::staff(staff, "staff", &staff.locale().t("title-staff")).await?,
            me: staff.user.id,
            rows,
            invitations: invitations::list(&state.db, Scope::Platform).await?,
            error: String::new(),
            invite_email: String::new(),
            invite_role: "support".into(),
            errors: FieldErrors::default(),
        })
    }

    fn refused(mut self, message: String) -> Response {
        self.error = message;
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

async fn staff_page(State(state): State<AppState>, staff: Staff) -> Result<StaffPage> {
    staff.require(PlatformAction::ManageStaff)?;
    StaffPage::load(&state, &staff).await
}

/// Back to the staff page, saying there what was done.
async fn back(staff: &Staff, done: &str) -> Result<Response> {
    flash::success(&staff.session, done).await?;
    Ok(Redirect::to("/staff").into_response())
}

fn mail(state: &AppState) -> (Branding, String, u32) {
    (
        Branding::platform(),
        state.config.admin_url(),
        state.config.invitation_days,
    )
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let mut page = StaffPage::load(&state, &staff).await?;
    page.invite_email = form.email.trim().chars().take(254).collect();
    page.invite_role = form.role.chars().take(60).collect();
    let l = staff.locale();
    let Some(role) = Role::parse(Scope::Platform, &form.role) else {
        page.errors.add("role", l.t("msg-choose-staff-role"));
        return Ok(page.refused(l.t("msg-invitation-not-sent")));
    };
    let (brand, base_url, days) = mail(&state);
    let mail = invitations::Mail {
        brand: &brand,
        base_url: &base_url,
        days,
    };
    let new = NewInvitation {
        scope: Scope::Platform,
        email: &form.email,
        role,
    };
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let mut tx = state.db.begin().await?;
    match invitations::create(&mut tx, &new, &mail, &actor, &meta.origin).await {
        Ok(_) => {
            tx.commit().await?;
            back(&staff, &l.t("msg-invitation-sent")).await
        }
        Err(e @ (InviteError::Email | InviteError::AlreadyStaff(_))) => {
            page.errors.add("email", e.message_in(&l));
            Ok(page.refused(l.t("msg-invitation-not-sent")))
        }
        Err(e @ (InviteError::AlreadyInvited(_) | InviteError::UnknownRole)) => {
            Ok(page.refused(e.message_in(&l)))
        }
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    active: String,
}

async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<StatusForm>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::BadRequest(
                staff.locale().t("msg-choose-activate"),
            ));
        }
    };
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match users::set_staff_active(&state.db, id, active, &actor, &meta.origin).await {
        Ok(()) => {
            let done = if active {
                "msg-staff-reactivated"
            } else {
                "msg-staff-deactivated"
            };
            back(&staff, &staff.locale().t(done)).await
        }
        Err(e @ (StaffError::NotFound | StaffError::Db(_))) => Err(e.into()),
        Err(e) => Ok(StaffPage::load(&state, &staff)
            .await?
            .refused(e.message_in(&staff.locale()))),
    }
}

async fn resend(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let (brand, base_url, days) = mail(&state);
    let mail = invitations::Mail {
        brand: &brand,
        base_url: &base_url,
        days,
    };
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let done =
        invitations::resend(&state.db, Scope::Platform, id, &mail, &actor, &meta.origin).await;
    let text = staff.locale().t("msg-invitation-resent");
    outcome(&state, &staff, done, &text).await
}

async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    staff.require(PlatformAction::ManageStaff)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    let done = invitations::revoke(&state.db, Scope::Platform, id, &actor, &meta.origin).await;
    let text = staff.locale().t("msg-invitation-revoked");
    outcome(&state, &staff, done, &text).await
}

async fn outcome(
    state: &AppState,
    staff: &Staff,
    done: Result<(), InviteError>,
    what: &str,
) -> Result<Response> {
    match done {
        Ok(()) => back(staff, what).await,
        Err(e @ (InviteError::NotPending(_) | InviteError::AlreadyInvited(_))) => {
            let text = e.message_in(&staff.locale());
            Ok(StaffPage::load(state, staff).await?.refused(text))
        }
        Err(e) => Err(e.into()),
    }
}
