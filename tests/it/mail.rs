//! Mail: invitations delivered to a real SMTP server on loopback (the test's sink),
//! retries while it is down, nothing lost across a restart, giving up after N attempts
//! and resending from the owners' Outbox page, the no-SMTP mode (links logged once),
//! messages held until their tenant is active, and refusals.

use reqwest::StatusCode;
use tenantry::mail::transport::Mailer;
use tenantry::mail::worker::{self, Counts};
use uuid::Uuid;

use crate::helpers::{
    PASSWORD, TenantClient, TestApp, assert_redirect_to, mailed_link, path_of, spawn_app,
    spawn_app_with, unique_slug,
};
use crate::smtp_sink::SmtpSink;

/// An active tenant with a signed-in admin.
async fn tenant_with_admin(app: &TestApp) -> (String, TenantClient) {
    let tenant = app.provisioned_tenant("mail", "pooled").await;
    let admin = format!("admin@{}.test", tenant.slug);
    app.create_member(&admin, tenant.id, "admin").await;
    let client = TenantClient::signed_in(app, &tenant.slug, &admin).await;
    (tenant.slug, client)
}

async fn invite(admin: &TenantClient, email: &str) -> reqwest::Response {
    admin
        .post("/members/invite", &[("email", email), ("role", "member")])
        .await
}

/// The app's mailer, as `serve` builds it.
fn mailer(app: &TestApp) -> Mailer {
    Mailer::from_config(&app.config)
        .expect("a usable SMTP configuration")
        .expect("SMTP configured")
}

/// One run of the mail worker against the app's outbox.
async fn deliver(app: &TestApp, mailer: Option<&Mailer>) -> Counts {
    worker::run_once(&app.db, mailer, &app.config)
        .await
        .expect("the worker runs")
}

/// (status, attempts, last_error) of the newest message to `recipient`.
async fn state_of(app: &TestApp, recipient: &str) -> (String, i32, Option<String>) {
    sqlx::query_as(
        "select status, attempts, last_error from outbox where recipient = $1 order by id desc limit 1",
    )
    .bind(recipient)
    .fetch_one(&app.db)
    .await
    .expect("a message")
}

async fn message_id(app: &TestApp, recipient: &str) -> Uuid {
    sqlx::query_scalar("select id from outbox where recipient = $1 order by id desc limit 1")
        .bind(recipient)
        .fetch_one(&app.db)
        .await
        .expect("a message")
}

#[tokio::test]
async fn an_invitation_arrives_over_smtp_with_branding_and_a_link_that_opens_the_accept_page() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    let (slug, admin) = tenant_with_admin(&app).await;
    let branded = admin
        .post(
            "/settings",
            &[
                ("name", "Acme Branded"),
                ("timezone", "Europe/Paris"),
                ("currency", "EUR"),
                ("language", "en"),
                ("logo_url", ""),
                ("theme_color", "#336699"),
            ],
        )
        .await;
    assert_redirect_to(&branded, "/settings");
    assert_redirect_to(&invite(&admin, "grace@example.test").await, "/members");

    let mailer = mailer(&app);
    let counts = deliver(&app, Some(&mailer)).await;
    assert_eq!(counts.sent, 1, "{counts:?}");
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.rcpt_to, vec!["grace@example.test".to_owned()]);
    assert_eq!(mail.mail_from, "no-reply@tenantry.localhost");
    assert_eq!(mail.header("To").as_deref(), Some("grace@example.test"));
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You are invited to Acme Branded")
    );
    let content_type = mail.header("Content-Type").unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );

    // The text part's link is the outbox's, and it opens the accept form on the tenant.
    let text = mail.part("text/plain").expect("a text part");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/invite?token="))
        .expect("a link in the text part")
        .to_owned();
    assert_eq!(link, mailed_link(&app.db, "grace@example.test").await);
    assert!(link.starts_with(&format!("http://{slug}.localhost:{}/", app.addr.port())));
    let guest = TenantClient::new(&app, &slug);
    let page = guest.get(&path_of(&link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let form = page.text().await.expect("body");
    assert!(form.contains("name=\"password\""), "{form:.2000}");

    // The HTML part carries the tenant's name and colour, and the same link.
    let html = mail.part("text/html").expect("an HTML part");
    assert!(html.contains("#336699"), "{html}");
    assert!(html.contains("Acme Branded"), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    let (status, attempts, error) = state_of(&app, "grace@example.test").await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 1, None));
    assert!(
        app.audit_actions()
            .await
            .contains(&"outbox.sent".to_owned())
    );
    // A sent message is not sent again.
    assert_eq!(deliver(&app, Some(&mailer)).await, Counts::default());
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn while_smtp_is_down_attempts_back_off_and_after_a_restart_the_message_is_delivered() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url(), "--mail-retry-secs", "30"]).await;
    let (_, admin) = tenant_with_admin(&app).await;
    sink.stop().await;
    invite(&admin, "ada@example.test").await;

    let mailer = mailer(&app);
    let counts = deliver(&app, Some(&mailer)).await;
    assert_eq!(counts.retrying, 1, "{counts:?}");
    let (status, attempts, error) = state_of(&app, "ada@example.test").await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    let error = error.expect("the error is recorded");
    assert!(!error.contains('\n') && !error.is_empty(), "{error}");
    // The retry waits for the base delay: another run now leaves the message alone.
    assert_eq!(deliver(&app, Some(&mailer)).await, Counts::default());
    let waits: bool = sqlx::query_scalar(
        "select next_attempt_at > now() + interval '20 seconds' from outbox where recipient = $1",
    )
    .bind("ada@example.test")
    .fetch_one(&app.db)
    .await
    .expect("row");
    assert!(waits, "the first retry waits about mail_retry_secs");

    // Its time comes; it fails again and the wait doubles.
    let due = "update outbox set next_attempt_at = now() where recipient = 'ada@example.test'";
    sqlx::query(due).execute(&app.db).await.expect("due");
    assert_eq!(deliver(&app, Some(&mailer)).await.retrying, 1);
    let (_, attempts, _) = state_of(&app, "ada@example.test").await;
    assert_eq!(attempts, 2);
    let doubled: bool = sqlx::query_scalar(
        "select next_attempt_at > now() + interval '31 seconds' from outbox where recipient = $1",
    )
    .bind("ada@example.test")
    .fetch_one(&app.db)
    .await
    .expect("row");
    assert!(doubled, "the second retry waits twice as long");
    assert!(sink.messages().is_empty());

    // The app restarts (as after a deploy) and the server comes back: nothing is lost.
    let app = app.restart().await;
    sink.restart().await;
    sqlx::query(due).execute(&app.db).await.expect("due");
    let mailer = self::mailer(&app);
    assert_eq!(deliver(&app, Some(&mailer)).await.sent, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["ada@example.test".to_owned()]);
    let (status, attempts, error) = state_of(&app, "ada@example.test").await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 3, None));
}

#[tokio::test]
async fn after_max_attempts_a_message_fails_shows_in_the_outbox_and_resend_delivers_it() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_app_with(&[
        "--smtp-url",
        &sink.url(),
        "--mail-retry-secs",
        "0",
        "--mail-max-attempts",
        "2",
    ])
    .await;
    let (_, admin) = tenant_with_admin(&app).await;
    app.login_as_new_owner("owner@example.test").await;
    sink.stop().await;
    invite(&admin, "lin@example.test").await;

    let mailer = mailer(&app);
    assert_eq!(deliver(&app, Some(&mailer)).await.retrying, 1);
    assert_eq!(deliver(&app, Some(&mailer)).await.failed, 1);
    let (status, attempts, error) = state_of(&app, "lin@example.test").await;
    assert_eq!((status.as_str(), attempts), ("failed", 2));
    let error = error.expect("the last error");
    // Given up: later runs leave it alone.
    assert_eq!(deliver(&app, Some(&mailer)).await, Counts::default());
    assert!(
        app.audit_actions()
            .await
            .contains(&"outbox.failed".to_owned())
    );

    // The owner sees it, with its error, among the failed messages.
    let list = app.get("/outbox?status=failed").await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.expect("body");
    assert!(
        list.contains("data-recipient=\"lin@example.test\" data-status=\"failed\""),
        "{list:.4000}"
    );
    assert!(list.contains("You are invited to"));
    let first_words: String = error
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(list.contains(&first_words), "{first_words} in {list:.4000}");
    let sent_only = app
        .get("/outbox?status=sent")
        .await
        .text()
        .await
        .expect("body");
    assert!(!sent_only.contains("lin@example.test"));
    let id = message_id(&app, "lin@example.test").await;
    let detail = app.get(&format!("/outbox/{id}")).await;
    assert_eq!(detail.status(), StatusCode::OK);
    let detail = detail.text().await.expect("body");
    assert!(detail.contains("/invite?token="), "the text body is shown");
    assert!(detail.contains("id=\"resend\""));
    let link = detail
        .split("id=\"message-link\">")
        .nth(1)
        .expect("the link, to copy");
    assert!(
        link.split('<')
            .next()
            .unwrap_or_default()
            .contains("/invite?token=")
    );
    assert!(detail.contains("data-copy=\"#message-link\""));
    // The HTML body shows in a sandboxed frame, served under a policy of its own.
    assert!(detail.contains(&format!("src=\"/outbox/{id}/html\" sandbox")));
    let html = app.get(&format!("/outbox/{id}/html")).await;
    assert_eq!(html.status(), StatusCode::OK);
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(html.text().await.expect("body").contains("/invite?token="));
    assert_eq!(
        app.get("/outbox/00000000-0000-0000-0000-000000000000/html")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Resend needs the CSRF token; with it, the message is pending again from zero.
    let forged = app.post_raw(&format!("/outbox/{id}/resend"), &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, "lin@example.test").await.0, "failed");
    let resent = app.post_form(&format!("/outbox/{id}/resend"), &[]).await;
    assert_redirect_to(&resent, &format!("/outbox/{id}"));
    assert_eq!(
        state_of(&app, "lin@example.test").await,
        ("pending".to_owned(), 0, None)
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"outbox.resent".to_owned())
    );

    sink.restart().await;
    assert_eq!(deliver(&app, Some(&mailer)).await.sent, 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(state_of(&app, "lin@example.test").await.0, "sent");
    // A sent message is not resent.
    let again = app.post_form(&format!("/outbox/{id}/resend"), &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        app.get("/outbox/00000000-0000-0000-0000-000000000000")
            .await
            .status()
            == StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn without_smtp_each_link_is_logged_once_and_the_message_stays_readable() {
    let app = spawn_app().await;
    let (_, admin) = tenant_with_admin(&app).await;
    invite(&admin, "kay@example.test").await;

    assert_eq!(deliver(&app, None).await.logged, 1);
    let logged: Option<time::OffsetDateTime> =
        sqlx::query_scalar("select link_logged_at from outbox where recipient = $1")
            .bind("kay@example.test")
            .fetch_one(&app.db)
            .await
            .expect("row");
    assert!(logged.is_some());
    assert_eq!(deliver(&app, None).await, Counts::default(), "logged once");
    let app = app.restart().await;
    assert_eq!(
        deliver(&app, None).await,
        Counts::default(),
        "not again after a restart"
    );
    assert_eq!(
        state_of(&app, "kay@example.test").await,
        ("pending".to_owned(), 0, None)
    );

    app.login_as_new_owner("owner@example.test").await;
    let list = app.get("/outbox").await.text().await.expect("body");
    assert!(list.contains("id=\"no-smtp\""));
    assert!(list.contains("data-recipient=\"kay@example.test\" data-status=\"pending\""));
    let id = message_id(&app, "kay@example.test").await;
    let detail = app
        .get(&format!("/outbox/{id}"))
        .await
        .text()
        .await
        .expect("body");
    let link = mailed_link(&app.db, "kay@example.test").await;
    assert!(
        detail.contains(&link),
        "the link can be read in the console"
    );
}

#[tokio::test]
async fn a_first_admins_invitation_waits_until_the_tenant_is_active() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    app.login_as_new_owner("owner@example.test").await;
    let slug = unique_slug("held");
    let created = app
        .post_form(
            "/tenants",
            &[
                ("slug", &slug),
                ("name", "Held Inc"),
                ("plan", "pro"),
                ("tier", "pooled"),
                ("first_admin_email", "first@example.test"),
            ],
        )
        .await;
    assert_redirect_to(&created, &format!("/tenants/{slug}"));

    // The test app runs no provisioning worker: the tenant is still pending.
    let mailer = mailer(&app);
    assert_eq!(deliver(&app, Some(&mailer)).await, Counts::default());
    assert_eq!(
        deliver(&app, None).await,
        Counts::default(),
        "no link logged yet"
    );
    let list = app.get("/outbox").await.text().await.expect("body");
    assert!(list.contains(&format!("waits for {slug}")), "{list:.4000}");

    let tenant: Uuid = sqlx::query_scalar("select id from tenants where slug = $1")
        .bind(&slug)
        .fetch_one(&app.db)
        .await
        .expect("tenant");
    app.tenancy
        .settle(tenant, std::time::Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(deliver(&app, Some(&mailer)).await.sent, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["first@example.test".to_owned()]);
}

#[tokio::test]
async fn workers_running_side_by_side_send_each_message_once() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    let (_, admin) = tenant_with_admin(&app).await;
    let people: Vec<String> = (0..6).map(|i| format!("p{i}@example.test")).collect();
    for p in &people {
        assert_redirect_to(&invite(&admin, p).await, "/members");
    }
    let (a, b) = (mailer(&app), mailer(&app));
    let (one, two) = tokio::join!(deliver(&app, Some(&a)), deliver(&app, Some(&b)));
    assert_eq!(one.sent + two.sent, people.len(), "{one:?} {two:?}");
    let mut received: Vec<String> = sink
        .messages()
        .into_iter()
        .flat_map(|m| m.rcpt_to)
        .collect();
    received.sort();
    assert_eq!(received, people);
}

#[tokio::test]
async fn the_outbox_is_for_owners_only() {
    let app = spawn_app().await;
    let (_, admin) = tenant_with_admin(&app).await;
    invite(&admin, "zed@example.test").await;
    let id = message_id(&app, "zed@example.test").await;
    for role in ["super_admin", "support"] {
        let email = format!("{role}@example.test");
        app.create_staff(&email, role).await;
        assert_redirect_to(&app.login(&email, PASSWORD).await, "/");
        let dashboard = app.get("/").await.text().await.expect("body");
        assert!(
            !dashboard.contains("href=\"/outbox\""),
            "{role} sees no Outbox link"
        );
        assert_eq!(app.get("/outbox").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("/outbox/{id}")).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&format!("/outbox/{id}/html")).await.status(),
            StatusCode::FORBIDDEN
        );
        let resend = app.post_form(&format!("/outbox/{id}/resend"), &[]).await;
        assert_eq!(resend.status(), StatusCode::FORBIDDEN);
        let token = app.csrf_token().await;
        app.post_raw("/logout", &[("csrf_token", &token)]).await;
    }
    assert!(
        !app.audit_actions()
            .await
            .contains(&"outbox.resent".to_owned())
    );
    app.login_as_new_owner("owner@example.test").await;
    let dashboard = app.get("/").await.text().await.expect("body");
    assert!(dashboard.contains("href=\"/outbox\""));
    assert_eq!(app.get("/outbox").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn header_injection_is_refused_at_invite_time_and_stopped_at_send_time() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    let (_, admin) = tenant_with_admin(&app).await;
    for email in [
        "eve@example.test\r\nBcc: mallory@evil.test",
        "eve@example.test\nSubject: hi",
        "eve@example.test\rX: y",
    ] {
        let refused = invite(&admin, email).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = refused.text().await.expect("body");
        assert!(
            body.contains("Enter a valid email address."),
            "{body:.2000}"
        );
    }
    let stored = app
        .count("select (select count(*) from invitations) + (select count(*) from outbox)")
        .await;
    assert_eq!(stored, 0, "nothing stored, nothing queued");

    // A row that somehow carries CR/LF in a header field never reaches the server: it
    // fails at once, without retries.
    sqlx::query(
        "insert into outbox (id, kind, recipient, subject, body_text, body_html)
         values ($1, 'notice', 'ok@example.test', 'Hi\r\nBcc: mallory@evil.test', 't', '<p>h</p>')",
    )
    .bind(Uuid::now_v7())
    .execute(&app.db)
    .await
    .expect("row");
    let mailer = mailer(&app);
    assert_eq!(deliver(&app, Some(&mailer)).await.failed, 1);
    assert!(sink.messages().is_empty());
    let (status, attempts, error) = state_of(&app, "ok@example.test").await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(error.unwrap_or_default().contains("control character"));
}
