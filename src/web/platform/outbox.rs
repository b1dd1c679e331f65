//! The outbox in the platform console (owners only: message bodies carry invitation
//! links): every message with its delivery state, one message's text, and resending a
//! message that failed or is still waiting.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::guard::PlatformAction;
use crate::control::audit::Actor;
use crate::control::outbox::{self, Detail, Listed, ResendError, Status};
use crate::state::AppState;
use crate::web::error::{AppError, Refusal, Result};
use crate::web::i18n::Locale;
use crate::web::layout::Layout;
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;

const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(outbox_list))
        .route("/outbox/{id}", get(message_detail))
        .route("/outbox/{id}/resend", post(message_resend))
        .route("/outbox/{id}/html", get(message_html))
}

/// `Nov 23, 2026 14:05 UTC` (the date as the reader writes it), or empty.
fn when(t: Option<OffsetDateTime>, l: &Locale) -> String {
    t.map(|t| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!("{} {:02}:{:02} UTC", l.date(t.date()), t.hour(), t.minute())
    })
    .unwrap_or_default()
}

/// Whether the Resend button is offered: a message given up on, or one still retrying.
fn resendable(status: Status, attempts: i32) -> bool {
    status == Status::Failed || (status == Status::Pending && attempts > 0)
}

/// A message as a row of the list.
struct Row {
    m: Listed,
    created: String,
    sent: String,
    resendable: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
    before: Option<Uuid>,
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/outbox/list.html")]
struct OutboxPage {
    layout: Layout,
    status: String,
    counts: Vec<(String, i64)>,
    total: i64,
    rows: Vec<Row>,
    next_url: Option<String>,
    smtp: bool,
}

async fn outbox_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<OutboxPage> {
    staff.require(PlatformAction::ViewOutbox)?;
    // An unknown status filter shows everything rather than an error.
    let status = Status::parse(&q.status);
    let (messages, more) = outbox::list(&state.db, status, q.before, PAGE_SIZE).await?;
    let next_url = more
        .then(|| messages.last().map(|m| next_page_url(status, m.id)))
        .flatten();
    let counts = outbox::counts(&state.db).await?;
    let l = staff.locale();
    let rows = messages
        .into_iter()
        .map(|m| Row {
            created: when(Some(m.created_at), &l),
            sent: when(m.sent_at, &l),
            resendable: resendable(m.status, m.attempts),
            m,
        })
        .collect();
    Ok(OutboxPage {
        layout: Layout::staff(&staff, "outbox", &staff.locale().t("title-outbox")).await?,
        status: status.map(Status::as_str).unwrap_or_default().to_owned(),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        rows,
        next_url,
        smtp: state.config.smtp_url.is_some(),
    })
}

fn next_page_url(status: Option<Status>, before: Uuid) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(s) = status {
        query.append_pair("status", s.as_str());
    }
    query.append_pair("before", &before.to_string());
    format!("/outbox?{}", query.finish())
}

#[derive(Template, WebTemplate)]
#[template(path = "platform/outbox/detail.html")]
struct MessagePage {
    layout: Layout,
    m: Detail,
    created: String,
    sent: String,
    next_attempt: String,
    link_logged: String,
    /// The link the message carries (an invitation's, a reset's), for the copy button.
    link: Option<String>,
    resendable: bool,
    error: String,
}

/// The first http(s) URL in a message's text.
fn first_link(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|word| word.starts_with("https://") || word.starts_with("http://"))
        .map(|word| word.trim_end_matches(['.', ',', ')', '>']).to_owned())
}

impl MessagePage {
    async fn load(state: &AppState, staff: &Staff, id: Uuid) -> Result<Self> {
        let m = outbox::get(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let l = staff.locale();
        Ok(Self {
            layout: Layout::staff(staff, "outbox", &l.t("title-message")).await?,
            created: when(Some(m.created_at), &l),
            sent: when(m.sent_at, &l),
            next_attempt: if m.status == Status::Pending {
                when(Some(m.next_attempt_at), &l)
            } else {
                String::new()
            },
            link_logged: when(m.link_logged_at, &l),
            link: first_link(&m.body_text),
            resendable: resendable(m.status, m.attempts),
            m,
            error: String::new(),
        })
    }
}

async fn message_detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<MessagePage> {
    staff.require(PlatformAction::ViewOutbox)?;
    MessagePage::load(&state, &staff, id).await
}

/// The message's HTML as the recipient's mail program shows it, for the detail page's
/// sandboxed frame. Its own policy: no script, no requests but images, framed only by
/// this host's pages.
async fn message_html(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    staff.require(PlatformAction::ViewOutbox)?;
    let html = outbox::html_body(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let headers = [
        (
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
             frame-ancestors 'self'; sandbox",
        ),
        (axum::http::header::X_FRAME_OPTIONS, "SAMEORIGIN"),
    ];
    Ok((headers, axum::response::Html(html)).into_response())
}

async fn message_resend(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    staff.require(PlatformAction::ViewOutbox)?;
    let actor = Actor::user(staff.user.id, &staff.user.email);
    match outbox::resend(&state.db, id, &actor, &meta.origin).await {
        Ok(()) => {
            let text = staff.locale().t("msg-message-queued-again");
            crate::web::flash::success(&staff.session, text).await?;
            Ok(Redirect::to(&format!("/outbox/{id}")).into_response())
        }
        Err(e @ ResendError::AlreadySent) => {
            let mut page = MessagePage::load(&state, &staff, id).await?;
            page.error = e.message_in(&staff.locale());
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::first_link;

    #[test]
    fn a_message_s_link_is_found_for_copying() {
        let text = "Hello,\n\nOpen http://acme.localhost:3000/invite?token=abc.\nThanks";
        assert_eq!(
            first_link(text).as_deref(),
            Some("http://acme.localhost:3000/invite?token=abc")
        );
        assert_eq!(first_link("no link here"), None);
    }
}
