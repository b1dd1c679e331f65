//! Journey (a): an owner signs in, onboards a pooled tenant through the console and
//! watches it provision live; htmx's unsafe requests carry the CSRF token.

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Browser, PATIENCE};
use crate::helpers::*;

/// The provisioning worker `tenantry serve` runs, which `spawn_app` leaves out.
pub(super) struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    pub(super) fn start(app: &TestApp) -> Worker {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(tenantry::tenancy::worker::run_forever(
            app.tenancy.clone(),
            stopped,
        ));
        Worker { stop, task }
    }

    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the worker stops")
            .expect("the worker's task");
    }
}

const SUSPEND: &str = "#tenant-actions form:has(input[name=action][value=suspend]) button";

#[tokio::test]
async fn an_owner_creates_a_pooled_tenant_and_watches_it_become_active() {
    let app = spawn_app().await;
    let email = "ada@example.test";
    app.create_owner(email).await;
    let browser = Browser::start(&app).await;
    browser.sign_in(email).await;

    browser.click("nav a[href='/tenants']").await;
    browser.click("a[href='/tenants/new']").await;
    let slug = unique_slug("acme");
    browser.fill("#slug", &slug).await;
    // The check runs as the slug is typed; wait for the answer about the whole slug.
    browser
        .wait_for_text("#slug-check", &format!("is available: {slug}.localhost"))
        .await;
    browser.fill("#name", "Acme Corp").await;
    browser.select("#tier", "pooled").await;
    browser
        .click("form[action='/tenants'] button[type=submit]")
        .await;

    // No worker runs yet: the tenant waits, and its page polls the progress.
    assert_eq!(
        browser.wait_for_text("#tenant-status", "pending").await,
        "pending"
    );
    assert_eq!(browser.path().await, format!("/tenants/{slug}"));
    browser
        .script(
            "window.polls = [];
             document.body.addEventListener('htmx:afterRequest', e =>
                 window.polls.push([e.detail.requestConfig.path, e.detail.xhr.status]));",
            vec![],
        )
        .await;
    let progress = format!("/tenants/{slug}/progress");
    let first_poll = browser
        .poll("a progress poll", async || {
            let polls = browser.script("return window.polls", vec![]).await;
            polls
                .as_array()
                .and_then(|p| p.first().cloned())
                .ok_or_else(|| "none yet".to_owned())
        })
        .await;
    assert_eq!(first_poll, json!([progress, 200]));

    // Once the worker has set it up, the poll answers HX-Refresh and the page reloads
    // (the status sits outside the polled card: only a reload changes it).
    let worker = Worker::start(&app);
    assert_eq!(
        browser.wait_for_text("#tenant-status", "active").await,
        "active"
    );
    let navigation = browser
        .script(
            "return performance.getEntriesByType('navigation')[0].type",
            vec![],
        )
        .await;
    assert_eq!(navigation, "reload");
    assert!(browser.text("#progress-status").await.contains("100%"));
    assert!(!browser.has("#progress[hx-get]").await, "polling stopped");
    worker.stop().await;

    // htmx sends the session's token (the meta tag's) from <body hx-headers>…
    let tokens = browser
        .script(
            "return [document.querySelector('meta[name=csrf-token]').content,
                     document.body.getAttribute('hx-headers')]",
            vec![],
        )
        .await;
    let token = tokens[0].as_str().expect("a meta token");
    let hx_headers = tokens[1].as_str().expect("hx-headers on <body>").to_owned();
    let sent: serde_json::Value = serde_json::from_str(&hx_headers).expect("JSON");
    assert!(!token.is_empty());
    assert_eq!(sent["X-CSRF-Token"], token);

    // …without it (and without the forms' own field) an htmx post is refused…
    browser
        .script(
            "document.querySelectorAll('#tenant-actions input[name=csrf_token]')
                 .forEach(i => i.remove());
             document.body.removeAttribute('hx-headers');",
            vec![],
        )
        .await;
    browser.click(SUSPEND).await;
    assert!(
        browser
            .accept_confirm()
            .await
            .starts_with("Suspend this tenant?")
    );
    browser
        .wait_for_text("#toasts [role=alert]", "did not come from this site")
        .await;
    assert_eq!(browser.text("#tenant-status").await, "active");

    // …and with the header alone it goes through (HX-Redirect back to the page).
    browser
        .script(
            "document.body.setAttribute('hx-headers', arguments[0])",
            vec![json!(hx_headers)],
        )
        .await;
    browser.click(SUSPEND).await;
    browser.accept_confirm().await;
    assert_eq!(
        browser.wait_for_text("#tenant-status", "suspended").await,
        "suspended"
    );
}
