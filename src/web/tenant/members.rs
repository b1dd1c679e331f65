//! The Members page (read-only until invitations arrive).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::app::AppState;
use crate::control::memberships::{self, MemberRow};
use crate::web::error::Result;
use crate::web::layout::Layout;
use crate::web::tenant::Member;

pub fn router() -> Router<AppState> {
    Router::new().route("/members", get(members_list))
}

#[derive(Template, WebTemplate)]
#[template(path = "tenant/members.html")]
struct MembersPage {
    layout: Layout,
    rows: Vec<(MemberRow, String)>,
}

async fn members_list(State(state): State<AppState>, member: Member) -> Result<MembersPage> {
    let rows = memberships::list(&state.db, member.current.tenant.id)
        .await?
        .into_iter()
        .map(|m| {
            let seen = m
                .last_login_at
                .map(|t| t.date().to_string())
                .unwrap_or_else(|| "never".into());
            (m, seen)
        })
        .collect();
    Ok(MembersPage {
        layout: Layout::tenant(&member, "members", "Members").await?,
        rows,
    })
}
