//! PostgreSQL stopped (a fast shutdown) and started again while requests run: during the
//! outage every request gets a clean 503 (an HTML page, JSON under `/api/`) before the
//! request timeout; once PostgreSQL is back, the same process serves again — the control
//! pool, tenant pools, sessions, change and outbox listeners, and the job and mail
//! workers all recover without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;

use super::*;
use crate::smtp_sink::SmtpSink;

/// One request the test repeats through the outage.
struct Probe<'a> {
    name: &'static str,
    client: &'a TenantClient,
    path: &'static str,
    /// A bearer token (the JSON API).
    token: Option<&'a str>,
    /// A form to post, with the CSRF token read before the outage.
    form: Option<Vec<(&'static str, String)>>,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Probe<'_> {
    async fn send(&self) -> Result<Answer, reqwest::Error> {
        let url = format!("{}{}", self.client.base, self.path);
        let mut request = match &self.form {
            Some(form) => self.client.client.post(&url).form(form),
            None => self.client.client.get(&url),
        };
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await?;
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }
}

/// Every probe at once; their answers in order.
async fn send_all(probes: &[Probe<'_>]) -> Vec<Answer> {
    futures_util::future::join_all(probes.iter().map(|p| async move {
        p.send()
            .await
            .unwrap_or_else(|e| panic!("{}: no answer: {e}", p.name))
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_postgres_stopped_and_restarted_under_requests_answers_503_then_recovers() {
    let mut pg = OwnCluster::start().await;
    let db_url = pg.create_database("tenantry").await;
    let sink = SmtpSink::start().await;
    let serve = Serve::start(
        &[
            "--database-url",
            &db_url,
            "--smtp-url",
            &sink.url(),
            "--request-timeout-secs",
            "20",
        ],
        &[],
    )
    .await;
    let db = PgPool::connect(&db_url).await.expect("connect");
    create_owner(&db_url, "owner@outage.test");
    let owner = serve.client(ADMIN_HOST);
    sign_in(&owner, "owner@outage.test").await;
    let (iso, pooled) = (unique_slug("out"), unique_slug("outp"));
    create_tenant(&owner, &iso, "isolated", &[]).await;
    create_tenant(&owner, &pooled, "pooled", &[]).await;
    until_active(&db, &[&iso, &pooled], Duration::from_secs(60)).await;
    let mut admins = Vec::new();
    for slug in [&iso, &pooled] {
        add_member(&db, slug, "ada@outage.test", "admin").await;
        let ada = serve.client(&format!("{slug}.localhost"));
        sign_in(&ada, "ada@outage.test").await;
        let enabled = ada.post("/modules/crm/enable", &[]).await;
        assert!(enabled.status().is_redirection(), "{}", enabled.status());
        admins.push(ada);
    }
    let (ada_iso, ada_pooled) = (&admins[0], &admins[1]);
    let token = create_api_token(ada_iso, "outage").await;
    let program = serve.client(&format!("{iso}.localhost"));
    let visitor = serve.client(ADMIN_HOST);
    let csrf = ada_pooled.token("/crm").await;
    let customer = |name: &str| {
        Some(vec![
            ("name", name.to_owned()),
            ("email", String::new()),
            ("phone", String::new()),
            ("status", "active".to_owned()),
            ("notes", String::new()),
            ("csrf_token", csrf.clone()),
        ])
    };
    let page = |name, client, path| Probe {
        name,
        client,
        path,
        token: None,
        form: None,
    };
    let probes = vec![
        page("healthz", &visitor, "/healthz"),
        page("signed-out sign-in page", &visitor, "/login"),
        page("platform tenants", &owner, "/tenants"),
        page("platform system", &owner, "/system"),
        page("isolated dashboard", ada_iso, "/"),
        page("isolated crm", ada_iso, "/crm"),
        page("pooled crm", ada_pooled, "/crm"),
        Probe {
            name: "pooled crm write",
            form: customer("Written Before"),
            ..page("", ada_pooled, "/crm")
        },
        Probe {
            name: "api customers",
            token: Some(&token),
            ..page("", &program, "/api/v1/customers")
        },
    ];
    for (probe, answer) in probes.iter().zip(send_all(&probes).await) {
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::SEE_OTHER,
            "{} before the outage: {} {}",
            probe.name,
            answer.status,
            answer.body
        );
    }

    // Load through the whole fault: nothing but answers that mean "served" or "try again".
    let load_stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = load_stop.clone();
        let client = ada_iso.client.clone();
        let url = format!("{}/crm", ada_iso.base);
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let status = client.get(&url).send().await.map(|r| r.status());
                seen.push(status.map_err(|e| e.to_string()));
            }
            seen
        })
    };

    pg.stop().await;
    for (probe, answer) in probes.iter().zip(send_all(&probes).await) {
        let name = probe.name;
        // 503, not 500 (a bug) and not 408 (the request timeout: a hang).
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{name} during the outage: {}",
            answer.body
        );
        if probe.path.starts_with("/api/") {
            assert_eq!(answer.content_type, "application/problem+json", "{name}");
            let problem: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
            assert_eq!(problem["status"], 503, "{name}: {problem}");
        } else if probe.path == "/healthz" {
            assert!(
                answer.body.contains("unavailable"),
                "{name}: {}",
                answer.body
            );
        } else {
            assert!(answer.content_type.starts_with("text/html"), "{name}");
            assert!(
                answer.body.contains("temporarily unavailable"),
                "{name}: {}",
                answer.body
            );
        }
    }

    pg.restart().await;
    // The same process serves again: every probe succeeds, with the sessions it had.
    for probe in &probes {
        let status = poll(probe.name, Duration::from_secs(60), || async {
            let answer = probe.send().await.ok()?;
            (answer.status == StatusCode::OK || answer.status == StatusCode::SEE_OTHER)
                .then_some(answer.status)
        })
        .await;
        if probe.form.is_none() && probe.path != "/login" {
            assert_eq!(status, StatusCode::OK, "{} after the outage", probe.name);
        }
    }
    load_stop.store(true, Ordering::Relaxed);
    let seen = load.await.expect("load task");
    let unexpected: Vec<_> = seen
        .iter()
        .filter(|s| !matches!(s, Ok(StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "under load through the outage, only 200 or 503: {unexpected:?}"
    );
    assert!(seen.contains(&Ok(StatusCode::SERVICE_UNAVAILABLE)));

    // Tenant pools and writes: the customer written after the outage is there.
    let written = Probe {
        name: "write after",
        form: customer("Written After"),
        ..page("", ada_pooled, "/crm")
    };
    assert_eq!(
        written.send().await.expect("answer").status,
        StatusCode::SEE_OTHER
    );
    let list = ada_pooled.get("/crm").await.text().await.expect("body");
    assert!(list.contains("Written After"), "{list:.3000}");

    // Both listeners are back (on the control plane, from this process)…
    poll(
        "the change and outbox listeners reconnect",
        Duration::from_secs(60),
        || async {
            let listening: Vec<String> = sqlx::query_scalar(
                "select query from pg_stat_activity
             where datname = current_database() and query ilike 'listen%'",
            )
            .fetch_all(&db)
            .await
            .ok()?;
            let both = ["tenantry_changes", "tenantry_outbox"]
                .iter()
                .all(|channel| listening.iter().any(|q| q.contains(channel)));
            both.then_some(())
        },
    )
    .await;
    // …and a change made elsewhere reaches the caches: a suspension made with psql.
    sqlx::query("update tenants set status = 'suspended' where slug = $1")
        .bind(&pooled)
        .execute(&db)
        .await
        .expect("suspend");
    poll(
        "the suspension is honoured",
        Duration::from_secs(20),
        || async { (ada_pooled.get("/").await.status() == StatusCode::FORBIDDEN).then_some(()) },
    )
    .await;

    // The job and mail workers: a tenant created now is provisioned, and its first
    // admin's invitation is delivered.
    let late = unique_slug("late");
    create_tenant(
        &owner,
        &late,
        "pooled",
        &[("first_admin_email", "first@late.test")],
    )
    .await;
    until_active(&db, &[&late], Duration::from_secs(60)).await;
    poll(
        "the invitation is delivered",
        Duration::from_secs(60),
        || async {
            sink.messages()
                .iter()
                .any(|m| m.rcpt_to.iter().any(|r| r.contains("first@late.test")))
                .then_some(())
        },
    )
    .await;

    serve.assert_no_panic();
    let log = serve.log();
    assert!(
        !log.contains("request failed"),
        "an outage was logged as a failure of ours (500):\n{log}"
    );
}
