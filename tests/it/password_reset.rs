//! Password reset by email: the whole flow on the platform and on a tenant's host, the
//! same answer for unknown addresses, single-use and expiring links, sessions ended by
//! the reset, the hourly limit, bad input and CSRF.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;

use crate::helpers::{
    ADMIN_HOST, PASSWORD, TenantClient, TestApp, assert_redirect_to, client_for, mailed_link,
    path_of, spawn_app,
};

const NEW_PASSWORD: &str = "a brand new passphrase";
const SENT: &str = "If an account exists for that address, we sent a link";

/// A signed-out browser on the platform host, with its own cookie jar.
fn platform_guest(app: &TestApp) -> TenantClient {
    TenantClient {
        client: client_for(app.addr, Arc::new(Jar::default())),
        base: format!("http://{ADMIN_HOST}:{}", app.addr.port()),
    }
}

async fn forgot(guest: &TenantClient, email: &str) -> reqwest::Response {
    guest
        .post_from("/forgot", "/forgot", &[("email", email)])
        .await
}

async fn reset(
    guest: &TenantClient,
    link: &str,
    password: &str,
    confirm: &str,
) -> reqwest::Response {
    let path = path_of(link);
    guest
        .post_from(
            &path,
            "/reset",
            &[
                ("token", token_of(link)),
                ("password", password),
                ("password_confirm", confirm),
            ],
        )
        .await
}

fn token_of(link: &str) -> &str {
    link.split_once("token=").map(|(_, t)| t).unwrap_or("")
}

async fn password_hash(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select password_hash from users where lower(email) = lower($1)")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

async fn body(response: reqwest::Response) -> String {
    response.text().await.expect("body")
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_email_and_every_session_ends() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    // Signed in before the reset, in another browser.
    app.login_as_new_owner(email).await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    let guest = platform_guest(&app);
    let login = body(guest.get("/login").await).await;
    assert!(
        login.contains("href=\"/forgot\""),
        "the sign-in page links to it"
    );
    let sent = forgot(&guest, email).await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(body(sent).await.contains(SENT));

    let link = mailed_link(&app.db, email).await;
    assert!(link.starts_with(&app.url("/reset?token=")), "{link}");
    assert!(link.starts_with(&app.config.admin_url()));
    let (kind, subject, tenant): (String, String, Option<uuid::Uuid>) =
        sqlx::query_as("select kind, subject, tenant_id from outbox where recipient = $1")
            .bind(email)
            .fetch_one(&app.db)
            .await
            .expect("message");
    assert_eq!(kind, "password_reset");
    assert_eq!(subject, "Reset your Tenantry password");
    assert_eq!(tenant, None);
    // Only the hash is stored, and the link lasts an hour.
    let (stored, minutes): (Vec<u8>, f64) = sqlx::query_as(
        "select token_hash, extract(epoch from expires_at - now())::float8 / 60 from password_resets",
    )
    .fetch_one(&app.db)
    .await
    .expect("row");
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(token_of(&link)));
    assert!((58.0..=60.5).contains(&minutes), "{minutes}");

    let page = guest.get(&path_of(&link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let html = body(page).await;
    assert!(html.contains("Choose a new password") && html.contains(email));

    let done = reset(&guest, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_redirect_to(&done, "/login?done=password_reset");
    let login = body(guest.get("/login?done=password_reset").await).await;
    assert!(login.contains("Your password was changed. Sign in with the new one."));

    // The session made before the reset has ended.
    let old_session = app.get("/").await;
    assert!(
        old_session.status().is_redirection(),
        "{}",
        old_session.status()
    );
    let to = old_session
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(to.starts_with("/login"), "{to}");

    assert_eq!(
        app.login(email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect_to(&app.login(email, NEW_PASSWORD).await, "/");

    let actions = app.audit_actions().await;
    assert!(actions.contains(&"password_reset.requested".to_owned()));
    assert!(actions.contains(&"password_reset.completed".to_owned()));

    // The link works once.
    let again = guest.get(&path_of(&link)).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(body(again).await.contains("already been used"));
    let hash = password_hash(&app, email).await;
    let reused = reset(
        &guest,
        &link,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await;
    assert_eq!(reused.status(), StatusCode::GONE);
    assert_eq!(password_hash(&app, email).await, hash, "nothing changed");
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_no_mail() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let tenant = app.provisioned_tenant("rst", "pooled").await;
    // A tenant-only identity cannot sign in on the platform host: no mail there.
    app.create_member("member@example.test", tenant.id, "member")
        .await;
    app.create_staff("gone@example.test", "support").await;
    sqlx::query("update users set status = 'deactivated' where email = 'gone@example.test'")
        .execute(&app.db)
        .await
        .expect("deactivate");
    let guest = platform_guest(&app);

    let known = body(forgot(&guest, "owner@example.test").await).await;
    assert_eq!(app.count("select count(*) from outbox").await, 1);
    for other in [
        "nobody@example.test",
        "member@example.test",
        "gone@example.test",
    ] {
        let response = forgot(&guest, other).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body(response).await, known, "the same page for {other}");
    }
    assert_eq!(
        app.count("select count(*) from outbox").await,
        1,
        "nothing queued for them"
    );
    let requested = app
        .count("select count(*) from audit_events where action = 'password_reset.requested'")
        .await;
    assert_eq!(requested, 4, "every request is audited");
}

#[tokio::test]
async fn expired_and_replaced_links_are_refused() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    app.create_owner(email).await;
    let guest = platform_guest(&app);
    let before = password_hash(&app, email).await;

    forgot(&guest, email).await;
    let first = mailed_link(&app.db, email).await;
    forgot(&guest, email).await;
    let second = mailed_link(&app.db, email).await;
    assert_ne!(first, second);
    // A newer link replaces the older one.
    let replaced = guest.get(&path_of(&first)).await;
    assert_eq!(replaced.status(), StatusCode::GONE);
    assert!(body(replaced).await.contains("expired"));
    let refused = reset(&guest, &first, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::GONE);

    sqlx::query("update password_resets set expires_at = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .expect("expire");
    let expired = guest.get(&path_of(&second)).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(body(expired).await.contains("Ask for a new link"));
    let refused = reset(&guest, &second, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::GONE);
    assert_eq!(password_hash(&app, email).await, before, "nothing changed");

    let unknown = guest.get("/reset?token=not-a-real-token").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(body(unknown).await.contains("not valid"));
}

#[tokio::test]
async fn at_most_three_links_an_hour_are_sent_to_one_person() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    app.create_owner(email).await;
    let guest = platform_guest(&app);
    let first = body(forgot(&guest, email).await).await;
    for _ in 0..3 {
        assert_eq!(body(forgot(&guest, email).await).await, first);
    }
    assert_eq!(app.count("select count(*) from outbox").await, 3);
    // The last link sent still works.
    let link = mailed_link(&app.db, email).await;
    assert_eq!(guest.get(&path_of(&link)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_tenant_host_sends_its_own_link_and_only_to_people_of_that_tenant() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("rst", "pooled").await;
    let other = app.provisioned_tenant("oth", "pooled").await;
    let member = format!("ada@{}.test", tenant.slug);
    app.create_member(&member, tenant.id, "member").await;
    app.create_member("stranger@example.test", other.id, "admin")
        .await;
    // Signed in before the reset.
    let before = TenantClient::signed_in(&app, &tenant.slug, &member).await;
    assert_eq!(before.get("/").await.status(), StatusCode::OK);

    let guest = TenantClient::new(&app, &tenant.slug);
    let login = body(guest.get("/login").await).await;
    assert!(login.contains("href=\"/forgot\""));
    let answer = body(forgot(&guest, &member).await).await;
    assert!(answer.contains(SENT));
    let link = mailed_link(&app.db, &member).await;
    assert!(
        link.starts_with(&format!(
            "http://{}.localhost:{}/reset?token=",
            tenant.slug,
            app.addr.port()
        )),
        "{link}"
    );
    assert!(link.starts_with(&app.config.tenant_url(&tenant.slug)));
    let (subject, held_for): (String, Option<uuid::Uuid>) =
        sqlx::query_as("select subject, tenant_id from outbox where recipient = $1")
            .bind(&member)
            .fetch_one(&app.db)
            .await
            .expect("message");
    assert_eq!(subject, format!("Reset your {} password", tenant.name));
    assert_eq!(held_for, Some(tenant.id));

    // Someone of another tenant: the same answer, no mail.
    let stranger = body(forgot(&guest, "stranger@example.test").await).await;
    assert_eq!(stranger, answer);
    assert_eq!(app.count("select count(*) from outbox").await, 1);

    // The tenant's link means nothing on the platform host (the member is not staff).
    let elsewhere = platform_guest(&app).get(&path_of(&link)).await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    let page = guest.get(&path_of(&link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let done = reset(&guest, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_redirect_to(&done, "/login?done=password_reset");
    let login = body(guest.get("/login?done=password_reset").await).await;
    assert!(login.contains("Your password was changed"));

    let ended = before.get("/").await;
    assert!(ended.status().is_redirection(), "{}", ended.status());
    assert_eq!(
        guest.login(&member, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect_to(&guest.login(&member, NEW_PASSWORD).await, "/");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"password_reset.completed".to_owned()));
}

#[tokio::test]
async fn bad_input_gets_a_clear_message_and_changes_nothing() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    app.create_owner(email).await;
    let guest = platform_guest(&app);

    let long_email = format!("{}@example.test", "a".repeat(10 * 1024));
    for (input, message) in [
        (long_email.as_str(), "too long"),
        ("owner@example.test\r\nBcc: x@evil.test", "valid email"),
        ("not an address", "valid email"),
    ] {
        let response = forgot(&guest, input).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{message}"
        );
        let html = body(response).await;
        assert!(html.contains(message), "{message}");
        assert!(!html.contains(SENT));
    }
    assert_eq!(
        app.count("select count(*) from outbox").await,
        0,
        "nothing sent"
    );

    forgot(&guest, email).await;
    let link = mailed_link(&app.db, email).await;
    let before = password_hash(&app, email).await;
    let long_password = "p".repeat(10 * 1024);
    for (password, confirm, message) in [
        (NEW_PASSWORD, "a different passphrase", "do not match"),
        ("short", "short", "at least 12 characters"),
        (
            long_password.as_str(),
            long_password.as_str(),
            "at most 1024",
        ),
    ] {
        let response = reset(&guest, &link, password, confirm).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{message}"
        );
        assert!(body(response).await.contains(message), "{message}");
    }
    assert_eq!(password_hash(&app, email).await, before);
    // The link still works after refused attempts.
    assert_eq!(guest.get(&path_of(&link)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    app.create_owner(email).await;
    let guest = platform_guest(&app);
    guest.get("/forgot").await;
    let refused = guest
        .client
        .post(format!("{}/forgot", guest.base))
        .form(&[("email", email)])
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("select count(*) from outbox").await, 0);

    forgot(&guest, email).await;
    let link = mailed_link(&app.db, email).await;
    let before = password_hash(&app, email).await;
    let refused = guest
        .client
        .post(format!("{}/reset", guest.base))
        .form(&[
            ("token", token_of(&link)),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(password_hash(&app, email).await, before);
}

#[tokio::test]
async fn a_reset_lifts_the_throttle_on_the_email_but_not_on_the_attacking_address() {
    let app = spawn_app().await;
    let email = "owner@example.test";
    app.create_owner(email).await;
    // Someone elsewhere guessed five times: the email is throttled.
    for _ in 0..5 {
        sqlx::query(
            "insert into login_attempts (email, ip, succeeded) values ($1, '203.0.113.9', false)",
        )
        .bind(email)
        .execute(&app.db)
        .await
        .expect("attempt");
    }
    assert_eq!(
        app.login(email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let guest = platform_guest(&app);
    forgot(&guest, email).await;
    let link = mailed_link(&app.db, email).await;
    let done = reset(&guest, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_redirect_to(&done, "/login?done=password_reset");
    // The mailbox's holder gets in at once; the guesser's address stays throttled.
    assert_redirect_to(&app.login(email, NEW_PASSWORD).await, "/");
    let until = tenantry::control::login_attempts::throttled_until(
        &app.db,
        "someone-else@example.test",
        "203.0.113.9",
    )
    .await
    .expect("throttle");
    assert!(until.is_some(), "the guessing address is still throttled");
}

#[tokio::test]
async fn one_client_address_cannot_request_links_for_many_people() {
    let app = spawn_app().await;
    app.create_owner("owner@example.test").await;
    let guest = platform_guest(&app);
    // Twenty requests from this address within the hour (for twenty different people).
    for i in 0..20 {
        assert_eq!(
            forgot(&guest, &format!("person{i}@example.test"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let before = app.count("select count(*) from outbox").await;
    let refused = forgot(&guest, "owner@example.test").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body(refused)
            .await
            .contains("Too many reset requests came from your network")
    );
    assert_eq!(
        app.count("select count(*) from outbox").await,
        before,
        "nothing sent"
    );
}
