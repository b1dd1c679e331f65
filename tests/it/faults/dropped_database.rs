//! A tenant database dropped behind the app's back: that tenant's pages answer a clear
//! 503 page (JSON for its API), never a 500; the other tenants are served as before; and
//! the System page names what is missing.

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_a_dropped_tenant_database_is_a_clear_503_for_that_tenant_only_and_shows_on_the_system_page()
 {
    let app = spawn_app().await;
    let serve = Serve::start(&["--database-url", &app.db_url], &[]).await;
    let gone = app.provisioned_tenant("gone", "isolated").await;
    let kept = app.provisioned_tenant("kept", "isolated").await;
    let pooled = app.provisioned_tenant("keptp", "pooled").await;
    let mut clients = Vec::new();
    for tenant in [&gone, &kept, &pooled] {
        add_member(&app.db, &tenant.slug, "admin@dropped.test", "admin").await;
        let client = serve.client(&format!("{}.localhost", tenant.slug));
        sign_in(&client, "admin@dropped.test").await;
        let enabled = client.post("/modules/crm/enable", &[]).await;
        assert!(enabled.status().is_redirection(), "{}", enabled.status());
        assert_eq!(client.get("/crm").await.status(), StatusCode::OK);
        clients.push(client);
    }
    let token = create_api_token(&clients[0], "dropped").await;

    let server = PgPool::connect(&format!("{}/postgres", server_base_url()))
        .await
        .expect("server");
    sqlx::query(&format!(
        "drop database \"{}\" with (force)",
        gone.database_name
    ))
    .execute(&server)
    .await
    .expect("drop the tenant's database");
    server.close().await;

    // The tenant's module pages: a 503 page that says what is wrong. (A connection the
    // drop terminated may first answer "cannot be reached": a 503 too.)
    for path in ["/crm", "/settings"] {
        poll(
            "the page says the database is missing",
            Duration::from_secs(30),
            || async {
                let r = clients[0].get(path).await;
                assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
                let html = r.text().await.expect("body");
                assert!(html.contains("Request id"), "{path}: {html}");
                html.contains("its database is missing").then_some(())
            },
        )
        .await;
    }
    // Its API: a JSON problem.
    let api = clients[0]
        .client
        .get(format!("{}/api/v1/customers", clients[0].base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: serde_json::Value = api.json().await.expect("JSON");
    let said = problem["detail"].as_str().or(problem["error"].as_str());
    assert!(said.is_some_and(|s| s.contains("unavailable")), "{problem}");
    // Everyone else is served as before.
    for client in &clients[1..] {
        assert_eq!(client.get("/crm").await.status(), StatusCode::OK);
        assert_eq!(client.get("/settings").await.status(), StatusCode::OK);
    }

    // The System page names the missing database and its tenant, and only that.
    create_owner(&app.db_url, "owner@dropped.test");
    let owner = serve.client(ADMIN_HOST);
    sign_in(&owner, "owner@dropped.test").await;
    let system = owner.get("/system").await;
    assert_eq!(system.status(), StatusCode::OK);
    let html = system.text().await.expect("body");
    let rows: Vec<&str> = html
        .split("<tr class=\"missing-row\">")
        .skip(1)
        .map(|row| row.split("</tr>").next().unwrap_or_default())
        .collect();
    assert_eq!(rows.len(), 1, "one missing row: {rows:?}");
    assert!(rows[0].contains(&gone.slug), "{}", rows[0]);
    assert!(
        rows[0].contains(&format!("database {}", gone.database_name)),
        "{}",
        rows[0]
    );

    serve.assert_no_panic();
    let log = serve.log();
    assert!(!log.contains("request failed"), "logged as a 500:\n{log}");
    assert!(
        log.contains("database missing"),
        "the operators are told:\n{log}"
    );
}
