//! People in the tenant console: members (change role, remove — never the last admin),
//! invitations (invite, resend, revoke). Tenant admins manage their own tenant; owners
//! and assigned super admins may act for them; support reads; members see the list.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use crate::control::audit::Actor;
use crate::control::invitations::{self, InviteError, Listed, NewInvitation, Role, Scope};
use crate::control::memberships::{self, MemberRow, MembershipError};
use crate::control::roles;
use crate::state::AppState;
use crate::web::error::Refusal;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::tenant::{Member, mail_branding};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(members_page))
        // The address bar after a refused invitation: the form is on the Members page.
        .route("/members/invite", get(to_members).post(invite))
        .route("/members/{user}/role", post(change_role))
        .route("/members/{user}/remove", post(remove))
        .route("/invitations/{id}/resend", post(resend))
        .route("/invitations/{id}/revoke", post(revoke))
}

/// A role the selects offer: the submitted value and its name.
pub struct RoleOption {
    pub key: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/members.html")]
struct MembersPage {
    layout: Layout,
    rows: Vec<(MemberRow, String)>,
    invitations: Vec<Listed>,
    roles: Vec<RoleOption>,
    can_manage: bool,
    error: String,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
}

impl MembersPage {
    async fn load(state: &AppState, member: &Member) -> Result<Self> {
        let tenant = member.current.tenant.id;
        let can_manage = member.access.administers();
        let rows = memberships::list(&state.db, tenant)
            .await?
            .into_iter()
            .map(|m| {
                let seen = m.last_login_at.map_or_else(
                    || member.locale.t("common-never"),
                    |t| {
                        let t = t.to_offset(time::UtcOffset::UTC);
                        format!(
                            "{} {:02}:{:02} UTC",
                            member.locale.date(t.date()),
                            t.hour(),
                            t.minute()
                        )
                    },
                );
                (m, seen)
            })
            .collect();
        // Pending addresses are the admins' business, not every member's.
        let invitations = if can_manage || member.access.read_only() {
            invitations::list(&state.db, Scope::Tenant(tenant)).await?
        } else {
            Vec::new()
        };
        Ok(Self {
            layout: Layout::tenant(member, "members", &member.locale.t("title-members")).await?,
            rows,
            invitations,
            roles: role_options(state, tenant).await?,
            can_manage,
            error: String::new(),
            invite_email: String::new(),
            invite_role: "member".into(),
            errors: FieldErrors::default(),
        })
    }

    /// The page again with a refusal at the top.
    fn refused(mut self, message: String) -> Response {
        self.error = message;
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

/// Built-in roles, then the tenant's custom roles.
async fn role_options(state: &AppState, tenant: Uuid) -> Result<Vec<RoleOption>> {
    let builtin = [("admin", "Admin"), ("member", "Member")].map(|(key, label)| RoleOption {
        key: key.into(),
        label: label.into(),
    });
    let custom = roles::list(&state.db, tenant)
        .await?
        .into_iter()
        .map(|r| RoleOption {
            key: format!("role:{}", r.role.id),
            label: r.role.name,
        });
    Ok(builtin.into_iter().chain(custom).collect())
}

async fn members_page(State(state): State<AppState>, member: Member) -> Result<MembersPage> {
    MembersPage::load(&state, &member).await
}

/// Refuses anyone who may not manage this tenant's people.
fn require_manager(member: &Member) -> Result<()> {
    if member.access.administers() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            member.locale.t("msg-admins-manage-people"),
        ))
    }
}

async fn to_members(member: Member) -> Redirect {
    Redirect::to(&format!("{}/members", member.current.base))
}

/// Back to the members page, saying there what was done.
async fn back(member: &Member, done: &str) -> Result<Response> {
    flash::success(&member.session, done).await?;
    Ok(Redirect::to(&format!("{}/members", member.current.base)).into_response())
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
    member: Member,
    meta: RequestMeta,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    require_manager(&member)?;
    let tenant = &member.current.tenant;
    let scope = Scope::Tenant(tenant.id);
    let mut page = MembersPage::load(&state, &member).await?;
    page.invite_email = form.email.trim().chars().take(254).collect();
    page.invite_role = form.role.chars().take(60).collect();
    let Some(role) = Role::parse(scope, &form.role) else {
        page.errors
            .add("role", InviteError::UnknownRole.to_string());
        return Ok(page.refused(member.locale.t("msg-invitation-not-sent")));
    };
    let brand = mail_branding(&state, &member.current).await;
    let base_url = state.config.tenant_url(&tenant.slug);
    let mail = invitations::Mail {
        brand: &brand,
        base_url: &base_url,
        days: state.config.invitation_days,
    };
    let actor = Actor::user(member.user.id, &member.user.email);
    let new = NewInvitation {
        scope,
        email: &form.email,
        role,
    };
    let mut tx = state.db.begin().await?;
    match invitations::create(&mut tx, &new, &mail, &actor, &meta.origin).await {
        Ok(_) => {
            tx.commit().await?;
            back(&member, &member.locale.t("msg-invitation-sent")).await
        }
        Err(e @ (InviteError::Email | InviteError::AlreadyMember(_))) => {
            page.errors.add("email", e.to_string());
            Ok(page.refused(member.locale.t("msg-invitation-not-sent")))
        }
        Err(e @ InviteError::UnknownRole) => {
            page.errors.add("role", e.to_string());
            Ok(page.refused(member.locale.t("msg-invitation-not-sent")))
        }
        Err(e @ (InviteError::AlreadyInvited(_) | InviteError::UserLimit { .. })) => {
            Ok(page.refused(e.message_in(&member.locale)))
        }
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    Path(user): Path<Uuid>,
    Form(form): Form<RoleForm>,
) -> Result<Response> {
    require_manager(&member)?;
    let tenant = member.current.tenant.id;
    let page = MembersPage::load(&state, &member).await?;
    let Some(role) = Role::parse(Scope::Tenant(tenant), &form.role) else {
        return Ok(page.refused(MembershipError::UnknownRole.to_string()));
    };
    let actor = Actor::user(member.user.id, &member.user.email);
    match memberships::change_role(&state.db, tenant, user, role, &actor, &meta.origin).await {
        Ok(()) => back(&member, &member.locale.t("msg-role-changed")).await,
        // Someone who is not a member here is as unknown as any other id: 404.
        Err(e @ MembershipError::NotMember) => Err(e.into()),
        Err(e) => Ok(page.refused(e.into_message_in(&member.locale)?)),
    }
}

/// Removal asks for confirmation through htmx; a refusal then shows as a toast.
async fn remove(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(user): Path<Uuid>,
) -> Result<Response> {
    require_manager(&member)?;
    let tenant = member.current.tenant.id;
    let actor = Actor::user(member.user.id, &member.user.email);
    match memberships::remove(&state.db, tenant, user, &actor, &meta.origin).await {
        Ok(()) => {
            flash::success(&member.session, &member.locale.t("msg-member-removed")).await?;
            let target = format!("{}/members", member.current.base);
            Ok(crate::web::redirect_after_post(&headers, &target))
        }
        Err(e @ (MembershipError::NotMember | MembershipError::Db(_))) => Err(e.into()),
        Err(e) if crate::web::is_htmx(&headers) => {
            Err(AppError::Conflict(e.message_in(&member.locale)))
        }
        Err(e) => Ok(MembersPage::load(&state, &member)
            .await?
            .refused(e.message_in(&member.locale))),
    }
}

async fn resend(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    require_manager(&member)?;
    let tenant = &member.current.tenant;
    let brand = mail_branding(&state, &member.current).await;
    let base_url = state.config.tenant_url(&tenant.slug);
    let mail = invitations::Mail {
        brand: &brand,
        base_url: &base_url,
        days: state.config.invitation_days,
    };
    let actor = Actor::user(member.user.id, &member.user.email);
    let done = invitations::resend(
        &state.db,
        Scope::Tenant(tenant.id),
        id,
        &mail,
        &actor,
        &meta.origin,
    )
    .await;
    let text = &member.locale.t("msg-invitation-resent");
    invitation_outcome(&state, &member, done, text).await
}

async fn revoke(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    require_manager(&member)?;
    let actor = Actor::user(member.user.id, &member.user.email);
    let scope = Scope::Tenant(member.current.tenant.id);
    let done = invitations::revoke(&state.db, scope, id, &actor, &meta.origin).await;
    // Revoking is confirmed in a dialog (htmx): its answer is a redirect htmx follows as
    // a page load, or a refusal shown as a toast.
    if crate::web::is_htmx(&headers) {
        done.map_err(|e| AppError::Conflict(e.to_string()))?;
        flash::success(&member.session, &member.locale.t("msg-invitation-revoked")).await?;
        let target = format!("{}/members", member.current.base);
        return Ok(crate::web::redirect_after_post(&headers, &target));
    }
    invitation_outcome(
        &state,
        &member,
        done,
        &member.locale.t("msg-invitation-revoked"),
    )
    .await
}

async fn invitation_outcome(
    state: &AppState,
    member: &Member,
    done: Result<(), InviteError>,
    what: &str,
) -> Result<Response> {
    match done {
        Ok(()) => back(member, what).await,
        Err(e @ (InviteError::NotPending(_) | InviteError::AlreadyInvited(_))) => {
            Ok(MembersPage::load(state, member)
                .await?
                .refused(e.message_in(&member.locale)))
        }
        Err(e) => Err(e.into()),
    }
}
