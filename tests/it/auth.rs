//! Sign-in, sign-out, throttling, sessions, CSRF and first-run setup, each from the side
//! that must be refused as well as the side that succeeds.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;

use crate::helpers::*;

#[tokio::test]
async fn sign_in_rotates_the_session_and_lands_on_the_dashboard() {
    let app = spawn_app().await;
    app.create_owner("ada@example.test").await;
    let before = {
        app.csrf_token().await;
        session_cookie(&app).expect("an anonymous session exists once a form is shown")
    };

    let r = app.login("ada@example.test", PASSWORD).await;
    assert_redirect_to(&r, "/");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie set")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.to_ascii_lowercase().contains("domain="),
        "cookies are host-only: {cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "no Secure flag over plain http: {cookie}"
    );
    let after = session_cookie(&app).expect("session");
    assert_ne!(before, after, "the session id must change at sign-in");

    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("ada@example.test"));
    assert!(
        html.contains("id=\"staff-count\">1<"),
        "dashboard shows real staff count"
    );
    assert!(app.audit_actions().await.contains(&"auth.login".to_owned()));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_owner("ada@example.test").await;

    let wrong = app
        .login("ada@example.test", "not the password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = app
        .login("nobody@example.test", "not the password at all")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();

    for html in [&wrong, &unknown] {
        assert!(html.contains("Incorrect email or password."));
    }
    assert!(
        wrong.contains("value=\"ada@example.test\""),
        "the email is kept in the form"
    );
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );
    let actions = app.audit_actions().await;
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.login_failed").count(),
        2
    );
}

#[tokio::test]
async fn five_failures_throttle_the_email_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_owner("ada@example.test").await;
    for _ in 0..5 {
        assert_eq!(
            app.login("ada@example.test", "wrong password!!")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.login("ada@example.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = r.text().await.unwrap();
    assert!(html.contains("Try again in 15 minutes."), "{html}");
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "no session was made"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"auth.login_throttled".to_owned())
    );
}

#[tokio::test]
async fn five_failures_from_one_address_throttle_other_emails_too() {
    let app = spawn_app().await;
    app.create_owner("ada@example.test").await;
    for i in 0..5 {
        let email = format!("guess{i}@example.test");
        assert_eq!(
            app.login(&email, "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.login("ada@example.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let r = app.login("not-an-email", "x").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter a valid email address."));
    assert!(html.contains("value=\"not-an-email\""));
    assert!(app.audit_actions().await.is_empty());
}

#[tokio::test]
async fn tenant_only_identities_cannot_sign_in_to_the_platform_console() {
    let app = spawn_app().await;
    let hash = tenantry::auth::password::hash(PASSWORD.into())
        .await
        .unwrap();
    sqlx::query("insert into users (id, email, password_hash) values ($1, 'member@acme.test', $2)")
        .bind(uuid::Uuid::now_v7())
        .bind(hash)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app.login("member@acme.test", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.create_owner("ada@example.test").await;
    app.csrf_token().await; // the session has a token, the form just doesn't send it

    let missing = app
        .post_raw(
            "/login",
            &[("email", "ada@example.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("did not come from this site")
    );
    let wrong = app
        .post_raw(
            "/login",
            &[
                ("email", "ada@example.test"),
                ("password", PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A cross-site browser request is refused by the Sec-Fetch-Site layer even with a token.
    let token = app.csrf_token().await;
    let cross = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("email", "ada@example.test"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let page = cross.text().await.unwrap();
    assert!(page.contains("sent from another site"), "{page}");

    assert_eq!(
        app.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "not signed in"
    );
    let attempts = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a.starts_with("auth."))
        .count();
    assert_eq!(attempts, 0, "nothing was attempted");
}

#[tokio::test]
async fn htmx_requests_may_send_the_token_as_a_header() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let token = app.csrf_token().await;
    let r = app
        .client
        .post(app.url("/logout"))
        .header("x-csrf-token", token)
        .send()
        .await
        .unwrap();
    assert_redirect_to(&r, "/login");
}

#[tokio::test]
async fn logout_ends_the_session_and_needs_a_token() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;

    assert_eq!(
        app.post_raw("/logout", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "a refused logout changes nothing"
    );

    let r = app.post_form("/logout", &[]).await;
    assert_redirect_to(&r, "/login");
    assert_redirect_to(&app.get("/").await, "/login?next=%2F");
    assert!(
        app.audit_actions()
            .await
            .contains(&"auth.logout".to_owned())
    );
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    assert_redirect_to(
        &app.get("/audit?action=x").await,
        "/login?next=%2Faudit%3Faction%3Dx",
    );
    let htmx = app
        .client
        .get(app.url("/audit"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(
        htmx.headers().get("hx-redirect").unwrap(),
        "/login?next=%2Faudit"
    );

    app.create_owner("ada@example.test").await;
    let r = app
        .post_form(
            "/login",
            &[
                ("email", "ada@example.test"),
                ("password", PASSWORD),
                ("next", "/audit"),
            ],
        )
        .await;
    assert_redirect_to(&r, "/audit");
    let evil = app
        .post_form(
            "/login",
            &[
                ("email", "ada@example.test"),
                ("password", PASSWORD),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_redirect_to(&evil, "/");
}

#[tokio::test]
async fn a_session_survives_an_app_restart() {
    let app = spawn_app().await;
    app.login_as_new_owner("ada@example.test").await;
    let app = app.restart().await;
    let r = app.get("/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("ada@example.test"));
}

#[tokio::test]
async fn a_session_cookie_is_refused_on_another_host() {
    let app = spawn_app().await;
    // An owner may use any tenant's console, so only the host binding can refuse here.
    let tenant = app.provisioned_tenant("hostbind", "pooled").await;
    app.login_as_new_owner("ada@example.test").await;
    let cookie = session_cookie(&app).unwrap();
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    // Replay the cookie by hand against the tenant's host, served by the same app.
    let host = format!("{}.localhost", tenant.slug);
    let client = client_for_hosts(app.addr, Arc::new(Jar::default()), &[&host]);
    let r = client
        .get(format!("http://{host}:{}/", app.addr.port()))
        .header("cookie", format!("tenantry_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent to sign in there");
    assert!(
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login")),
        "{r:?}"
    );
}

#[tokio::test]
async fn the_setup_token_creates_exactly_one_owner() {
    let app = spawn_app().await;
    let token = tenantry::control::setup_tokens::issue(&app.db)
        .await
        .unwrap();
    let path = format!("/setup?token={token}");
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/setup?token=wrong").await.status(),
        StatusCode::FORBIDDEN
    );

    // Bad input first: re-rendered with messages, nothing created.
    let bad = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("email", "ada@example.test"),
                ("name", "Ada"),
                ("password", "short"),
                ("password_confirm", "other"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Use at least 12 characters."));
    assert!(html.contains("The passwords do not match."));
    assert!(html.contains("value=\"ada@example.test\""));

    let ok = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("email", "ada@example.test"),
                ("name", "Ada"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&ok, "/");
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "the new owner is signed in"
    );

    // The same link again, from another browser: refused, nothing created.
    let other = crate::helpers::client_for(app.addr, Default::default());
    // Nothing is left to set up: the link leads to the sign-in page, which says so.
    let again = other.get(app.url(&path)).send().await.unwrap();
    assert_redirect_to(&again, "/login?done=setup_complete");
    let login = other
        .get(app.url("/login?done=setup_complete"))
        .send()
        .await
        .unwrap();
    assert!(
        login
            .text()
            .await
            .unwrap()
            .contains("Setup is already complete")
    );
    let owners: i64 =
        sqlx::query_scalar("select count(*) from users where platform_role = 'owner'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(owners, 1);
    assert!(
        app.audit_actions()
            .await
            .contains(&"setup.owner_created".to_owned())
    );
}

#[tokio::test]
async fn a_setup_token_stops_working_once_an_owner_exists() {
    let app = spawn_app().await;
    let token = tenantry::control::setup_tokens::issue(&app.db)
        .await
        .unwrap();
    app.create_owner("cli@example.test").await;
    let r = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("email", "late@example.test"),
                ("name", ""),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let n: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
