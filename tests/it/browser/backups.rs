//! Journey: an owner backs up acme from its page, watches the backup finish, and restores
//! it into a clone that becomes a working tenant of its own.

use super::Browser;
use super::tenants::Worker;
use crate::helpers::*;

#[tokio::test]
async fn an_owner_backs_up_acme_and_restores_it_into_a_clone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn_app_with(&["--backup-dir", &dir.path().display().to_string()]).await;
    let email = "ada@example.test";
    app.create_owner(email).await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let worker = Worker::start(&app);
    let browser = Browser::start(&app).await;
    browser.sign_in(email).await;

    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    browser.click("#backup-now").await;
    // The card polls itself while the backup runs.
    browser.wait_for_text("#backup-list", "done").await;
    let size = browser.text("#backup-list .backup-size").await;
    assert!(size.ends_with('B'), "a size is shown: {size}");

    browser.click("#backup-list details summary").await;
    browser.screenshot("backup-taken").await;
    let clone = unique_slug("acme-copy");
    browser.fill(".clone-form input[name=into]", &clone).await;
    browser.click(".clone-form button[type=submit]").await;
    browser.wait_for_path(&format!("/tenants/{clone}")).await;

    // Provisioned, then restored from the backup: both jobs done, the clone active.
    let restored = "select count(*) from provisioning_jobs j join tenants t on t.id = j.tenant_id
                    where t.slug = $1 and j.kind = 'restore' and j.status = 'done'";
    browser
        .poll("the clone's restore", async || {
            let n: i64 = sqlx::query_scalar(restored)
                .bind(&clone)
                .fetch_one(&app.db)
                .await
                .map_err(|e| e.to_string())?;
            if n == 1 {
                Ok(())
            } else {
                Err("not restored yet".to_owned())
            }
        })
        .await;
    browser.goto(&format!("/tenants/{clone}")).await;
    assert_eq!(
        browser.wait_for_text("#tenant-status", "active").await,
        "active"
    );
    worker.stop().await;
}

/// Journey: an owner exports acme from its page while a backup runs; the line says the
/// export is being prepared and polls until its link appears, and stays while the card
/// around it refreshes; the link downloads the archive once.
#[tokio::test]
async fn an_owner_exports_acme_and_its_link_downloads_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn_app_with(&["--backup-dir", &dir.path().display().to_string()]).await;
    let email = "ada@example.test";
    app.create_owner(email).await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let browser = Browser::start(&app).await;
    browser.sign_in(email).await;

    browser.goto(&format!("/tenants/{}", acme.slug)).await;
    // A backup queued too: the Backups card, which holds the export's line, refreshes
    // itself every second until it is done.
    browser.click("#backup-now").await;
    browser.click("#export-now").await;
    // No worker yet: the export waits, and the page says so without a link to click.
    browser
        .wait_for_text("#export-link", "Preparing the export")
        .await;
    assert!(!browser.has("#export-download").await);
    // The card is replaced by its next refresh, and the export's line is still in it.
    browser
        .script(
            "document.getElementById('backups').dataset.before = 'refresh'; return 0",
            vec![],
        )
        .await;
    browser
        .poll("the Backups card's refresh", async || {
            let fresh = browser
                .script(
                    "return !document.getElementById('backups').dataset.before",
                    vec![],
                )
                .await;
            if fresh == true {
                Ok(())
            } else {
                Err("not refreshed yet".to_owned())
            }
        })
        .await;
    assert!(
        browser
            .text("#export-link")
            .await
            .contains("Preparing the export"),
        "the refreshed card keeps the export's line"
    );
    let worker = Worker::start(&app);
    browser.wait_for_text("#export-link", "Ready").await;
    browser.screenshot("export-ready").await;
    let href = browser
        .find("#export-download")
        .await
        .attr("href")
        .await
        .expect("attribute")
        .expect("a link");

    // Followed from the page, with the page's own session: the archive, then never again.
    let fetch = "return fetch(arguments[0]).then(async r => \
                 [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength])";
    let first = browser.script(fetch, vec![href.clone().into()]).await;
    assert_eq!(first[0], 200, "{first}");
    assert_eq!(first[1], "application/x-tar", "{first}");
    assert!(first[2].as_u64().unwrap_or(0) > 0, "{first}");
    let again = browser.script(fetch, vec![href.into()]).await;
    assert_eq!(again[0], 410, "single use: {again}");
    worker.stop().await;
}
