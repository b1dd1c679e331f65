//! Alerts: each crossing of 80 % and 100 % of a limit is told once (mail over real SMTP,
//! the consoles' banners), again only after the use fell back and crossed anew; failed
//! jobs and nearly full servers are told to owners; the platform webhook is signed and
//! retried.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use tenantry::control::audit::{Actor, Origin};
use tenantry::mail::{transport::Mailer, webhook, worker};
use tenantry::secret::Secret;
use tenantry::tenancy::alerts::{self, Checked};

use crate::helpers::*;
use crate::smtp_sink::SmtpSink;

async fn check(app: &TestApp) -> Checked {
    alerts::check(&app.tenancy, &app.config)
        .await
        .expect("the check runs")
}

/// Subjects of the alert mails queued for `recipient`, oldest first.
async fn alert_subjects(app: &TestApp, recipient: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select subject from outbox where kind = 'alert' and recipient = $1 order by id",
    )
    .bind(recipient)
    .fetch_all(&app.db)
    .await
    .expect("outbox")
}

async fn plan_of_five_users(app: &TestApp) {
    let input = tenantry::control::plans::PlanInput {
        name: "Five".into(),
        max_users: "5".into(),
        pool_size: "2".into(),
        default_tier: "pooled".into(),
        ..Default::default()
    };
    tenantry::control::plans::create(&app.db, &input, &Actor::cli(), &Origin::default())
        .await
        .expect("plan");
}

async fn remove_member(app: &TestApp, email: &str) {
    sqlx::query("delete from memberships where user_id = (select id from users where email = $1)")
        .bind(email)
        .execute(&app.db)
        .await
        .expect("removed");
}

#[tokio::test]
async fn a_limit_is_told_once_per_crossing_by_mail_and_on_both_consoles() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    app.login_as_new_owner("owner@alerts.test").await;
    plan_of_five_users(&app).await;
    let tenant = app
        .provisioned_tenant_on_plan("alerts", "pooled", "five")
        .await;
    app.create_member("ada@alerts.test", tenant.id, "admin")
        .await;
    for who in ["b", "c", "d"] {
        app.create_member(&format!("{who}@alerts.test"), tenant.id, "member")
            .await;
    }

    // 4 of 5 users: 80 %, told to the owner and the tenant's admin, members not.
    let first = check(&app).await;
    assert_eq!((first.raised, first.cleared), (1, 0), "{first:?}");
    let headline = "alerts Inc has used 80 % of its users (4 of 5) on the Five plan.";
    assert_eq!(alert_subjects(&app, "owner@alerts.test").await, [headline]);
    assert_eq!(alert_subjects(&app, "ada@alerts.test").await, [headline]);
    assert!(alert_subjects(&app, "b@alerts.test").await.is_empty());

    // Delivered over SMTP; the admin's link leads to the tenant's usage page.
    let mailer = Mailer::from_config(&app.config).unwrap().unwrap();
    let sent = worker::run_once(&app.db, Some(&mailer), &app.config)
        .await
        .expect("delivers");
    assert_eq!(sent.sent, 2, "{sent:?}");
    let to_ada = sink
        .messages()
        .into_iter()
        .find(|m| m.rcpt_to == ["ada@alerts.test"])
        .expect("mail to the admin");
    assert_eq!(to_ada.header("Subject").as_deref(), Some(headline));
    let text = to_ada.part("text/plain").expect("text part");
    assert!(
        text.contains(&format!(
            "{}.localhost:{}/usage",
            tenant.slug,
            app.addr.port()
        )),
        "{text}"
    );

    // Checked again (and by two instances at once): nothing is told twice.
    let (a, b) = tokio::join!(check(&app), check(&app));
    assert_eq!(a.raised + b.raised, 0, "{a:?} {b:?}");
    assert_eq!(alert_subjects(&app, "owner@alerts.test").await.len(), 1);

    // The banner on the tenant's dashboard (admins) and the platform's.
    let admin = TenantClient::signed_in(&app, &tenant.slug, "ada@alerts.test").await;
    let home = admin.get("/").await.text().await.expect("body");
    assert!(
        home.contains(r#"id="alerts""#) && home.contains(headline),
        "{home}"
    );
    let member = TenantClient::signed_in(&app, &tenant.slug, "b@alerts.test").await;
    let home = member.get("/").await.text().await.expect("body");
    assert!(
        !home.contains(r#"id="alerts""#),
        "members see no alert banner"
    );
    let platform = app.get("/").await.text().await.expect("body");
    assert!(
        platform.contains(headline),
        "the platform dashboard shows it"
    );

    // 5 of 5: the limit reached is told once.
    app.create_member("e@alerts.test", tenant.id, "member")
        .await;
    assert_eq!(check(&app).await.raised, 1);
    assert_eq!(
        alert_subjects(&app, "owner@alerts.test")
            .await
            .last()
            .unwrap(),
        "alerts Inc has reached its limit of users (5 of 5) on the Five plan."
    );

    // Back to 3 of 5 re-arms both thresholds; 4 of 5 is a new crossing, told again.
    remove_member(&app, "e@alerts.test").await;
    remove_member(&app, "d@alerts.test").await;
    let cleared = check(&app).await;
    assert_eq!((cleared.raised, cleared.cleared), (0, 2), "{cleared:?}");
    let home = admin.get("/").await.text().await.expect("body");
    assert!(!home.contains(r#"id="alerts""#), "the banner is gone");
    app.create_member("d@alerts.test", tenant.id, "member")
        .await;
    assert_eq!(check(&app).await.raised, 1);
    assert_eq!(alert_subjects(&app, "owner@alerts.test").await.len(), 3);
    let raised: i64 = app
        .count("select count(*) from audit_events where action = 'alert.raised'")
        .await;
    assert_eq!(raised, 3, "each crossing is audited");
}

#[tokio::test]
async fn a_jump_past_both_thresholds_is_told_once_at_the_higher() {
    let app = spawn_app().await;
    app.create_owner("owner@jump.test").await;
    plan_of_five_users(&app).await;
    let tenant = app
        .provisioned_tenant_on_plan("jump", "pooled", "five")
        .await;
    for who in ["a", "b", "c", "d", "e", "f"] {
        app.create_member(&format!("{who}@jump.test"), tenant.id, "member")
            .await;
    }
    assert_eq!(check(&app).await.raised, 1);
    assert_eq!(
        alert_subjects(&app, "owner@jump.test").await,
        ["jump Inc is over its limit of users (6 of 5) on the Five plan."]
    );
}

#[tokio::test]
async fn failed_jobs_and_nearly_full_servers_are_told_to_owners() {
    let app = spawn_app().await;
    app.create_owner("owner@fleet.test").await;
    let tenant = app.provisioned_tenant("broken", "pooled").await;
    app.create_member("admin@fleet.test", tenant.id, "admin")
        .await;
    // As a fleet migration records a failure on its tenant.
    sqlx::query(
        "update tenants set last_error = 'migration failed: relation x exists' where id = $1",
    )
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .expect("failure recorded");
    // One tenant on a server that takes one: at 100 % of its capacity.
    sqlx::query("update db_servers set capacity = 1")
        .execute(&app.db)
        .await
        .expect("capacity");

    let checked = check(&app).await;
    assert_eq!(checked.raised, 2, "{checked:?}");
    let subjects = alert_subjects(&app, "owner@fleet.test").await;
    assert!(
        subjects.contains(&"A migration of broken Inc failed.".to_owned()),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("is at 100 % of its tenant capacity (1 of 1)")),
        "{subjects:?}"
    );
    assert!(
        alert_subjects(&app, "admin@fleet.test").await.is_empty(),
        "platform failures go to owners, not to the tenant's admins"
    );

    // A retry that succeeds clears the failure; the next failure is told again.
    sqlx::query("update tenants set last_error = null where id = $1")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .expect("cleared");
    assert_eq!(check(&app).await.cleared, 1);
}

/// One request the receiver got: its headers and body.
type Request = (HeaderMap, Vec<u8>);

/// A webhook receiver that answers `statuses` in turn (then 200) and keeps what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Request>>>,
}

async fn receiver(statuses: Vec<StatusCode>) -> Receiver {
    let got = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(statuses.into_iter()));
    let (store, answers2) = (got.clone(), answers.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (store, answers) = (store.clone(), answers2.clone());
            async move {
                store.lock().unwrap().push((headers, body.to_vec()));
                answers.lock().unwrap().next().unwrap_or(StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    drop(answers);
    Receiver {
        url: format!("http://{addr}/hook"),
        got,
    }
}

#[tokio::test]
async fn the_webhook_is_signed_and_retried_until_the_receiver_takes_it() {
    let hook_rx = receiver(vec![StatusCode::SERVICE_UNAVAILABLE]).await;
    let secret = "a-webhook-secret-of-some-length";
    let app = spawn_app_with(&[
        "--alert-webhook-url",
        &hook_rx.url,
        "--alert-webhook-secret",
        secret,
    ])
    .await;
    app.create_owner("owner@hook.test").await;
    plan_of_five_users(&app).await;
    let tenant = app
        .provisioned_tenant_on_plan("hook", "pooled", "five")
        .await;
    for who in ["a", "b", "c", "d"] {
        app.create_member(&format!("{who}@hook.test"), tenant.id, "member")
            .await;
    }
    assert_eq!(check(&app).await.raised, 1);

    let hook = webhook::Webhook::from_config(&app.config)
        .expect("valid webhook settings")
        .expect("configured");
    // The receiver is unavailable: retried later, not lost.
    let first = webhook::run_once(&app.db, &hook, &app.config)
        .await
        .unwrap();
    assert_eq!(first.retrying, 1, "{first:?}");
    sqlx::query("update webhook_deliveries set next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let second = webhook::run_once(&app.db, &hook, &app.config)
        .await
        .unwrap();
    assert_eq!(second.sent, 1, "{second:?}");

    let got = hook_rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failed attempt, one delivery");
    let (headers, body) = &got[1];
    assert_eq!(headers["tenantry-event"], "alert.raised");
    assert_eq!(
        headers["tenantry-delivery"], got[0].0["tenantry-delivery"],
        "a retry carries the same delivery id"
    );
    let signed = headers["tenantry-signature"].to_str().unwrap();
    let t: i64 = signed
        .strip_prefix("t=")
        .and_then(|r| r.split(',').next())
        .and_then(|t| t.parse().ok())
        .expect("a timestamp");
    assert_eq!(signed, webhook::signature(&Secret::new(secret), t, body));
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["data"]["metric"], "users");
    assert_eq!(json["data"]["threshold"], 80);
    assert_eq!(json["data"]["tenant_id"], tenant.id.to_string());
}

#[tokio::test]
async fn webhook_settings_that_cannot_work_stop_the_start_with_a_clear_reason() {
    for (args, says) in [
        (
            vec!["--alert-webhook-url", "http://127.0.0.1:9/hook"],
            "TENANTRY_ALERT_WEBHOOK_SECRET",
        ),
        (
            vec![
                "--alert-webhook-url",
                "ftp://example.test/hook",
                "--alert-webhook-secret",
                "long-enough-secret-value",
            ],
            "must be an http:// or https:// URL",
        ),
    ] {
        let mut all = vec!["--master-key", "x"];
        all.extend(args);
        let config = tenantry::config::Config::from_args(all).expect("parses");
        let err = webhook::Webhook::from_config(&config)
            .err()
            .expect("refused");
        assert!(format!("{err:#}").contains(says), "{err:#}");
    }
}
