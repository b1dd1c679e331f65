//! `POST /language` on both consoles: a person chooses the language of the console's
//! texts (and of numbers and dates), stored on their user so it follows them to every
//! tenant and instance. They land back on the page they chose it from.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;

use crate::control::changes::Change;
use crate::control::users::{self, User};
use crate::state::AppState;
use crate::web::error::{AppError, Result};
use crate::web::flash;
use crate::web::i18n::{self, Locale};
use crate::web::meta::RequestMeta;
use crate::web::platform::Staff;
use crate::web::tenant::Member;

pub fn tenant_router() -> Router<AppState> {
    Router::new().route("/language", post(tenant_language))
}

pub fn platform_router() -> Router<AppState> {
    Router::new().route("/language", post(platform_language))
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    language: String,
}

async fn tenant_language(
    State(state): State<AppState>,
    member: Member,
    meta: RequestMeta,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Result<Response> {
    let home = format!("{}/", member.current.base);
    let asked = Asked {
        user: &member.user,
        session: &member.session,
        locale: &member.locale,
        home: &home,
    };
    choose(&state, &asked, &meta, &headers, &form).await
}

async fn platform_language(
    State(state): State<AppState>,
    staff: Staff,
    meta: RequestMeta,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Result<Response> {
    let locale = staff.locale();
    let asked = Asked {
        user: &staff.user,
        session: &staff.session,
        locale: &locale,
        home: "/",
    };
    choose(&state, &asked, &meta, &headers, &form).await
}

/// Who asks, the language they read now, and where their console starts.
struct Asked<'a> {
    user: &'a User,
    session: &'a tower_sessions::Session,
    locale: &'a Locale,
    home: &'a str,
}

async fn choose(
    state: &AppState,
    asked: &Asked<'_>,
    meta: &RequestMeta,
    headers: &HeaderMap,
    form: &LanguageForm,
) -> Result<Response> {
    let chosen = form.language.trim();
    if !i18n::offered(chosen) {
        return Err(AppError::BadRequest(asked.locale.t("language-unknown")));
    }
    users::set_language(&state.db, asked.user, Some(chosen), &meta.origin).await?;
    // This instance shows the new language at once; others hear of it by notification.
    state.access.apply(&Change::User(asked.user.id));
    flash::success(asked.session, &Locale::new(chosen).t("language-saved")).await?;
    Ok(crate::web::redirect_after_post(
        headers,
        &back(headers, asked.home),
    ))
}

/// The page the form was sent from (its path only, so it stays on this host), or `home`.
fn back(headers: &HeaderMap, home: &str) -> String {
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::web::path_of_url)
        // `//host` and `/\host` would leave this host.
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\"))
        .unwrap_or_else(|| home.to_owned())
}

#[cfg(test)]
mod tests {
    use super::back;
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn back_stays_on_this_host() {
        let with = |referer: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, HeaderValue::from_str(referer).unwrap());
            back(&h, "/")
        };
        assert_eq!(with("http://acme.localhost:3000/crm?page=2"), "/crm?page=2");
        assert_eq!(with("http://acme.localhost:3000//evil.test/x"), "/");
        assert_eq!(with("http://acme.localhost:3000/\\evil.test"), "/");
        assert_eq!(with("not a url"), "/");
        assert_eq!(back(&HeaderMap::new(), "/t/acme/"), "/t/acme/");
    }
}
