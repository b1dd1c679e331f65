//! Plan limits at the boundary: requests a second (429 with Retry-After, a page or a
//! problem), storage (module writes refused with a banner, reads work), modules, and the
//! API allowance (refused calls do not count). Metering: counts across concurrent
//! requests and a restart are written exactly once; days roll up into months.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;
use tenantry::control::audit::{Actor, Origin};

use crate::helpers::*;

async fn plan(app: &TestApp, name: &str, fields: &[(&str, &str)]) {
    let mut input = tenantry::control::plans::PlanInput {
        name: name.into(),
        pool_size: "2".into(),
        default_tier: "isolated".into(),
        ..Default::default()
    };
    for (k, v) in fields {
        match *k {
            "max_rps" => input.max_rps = (*v).into(),
            "max_storage" => input.max_storage = (*v).into(),
            "max_modules" => input.max_modules = (*v).into(),
            "max_api_calls" => input.max_api_calls = (*v).into(),
            _ => unreachable!("{k}"),
        }
    }
    tenantry::control::plans::create(&app.db, &input, &Actor::cli(), &Origin::default())
        .await
        .expect("plan");
}

fn api_client(app: &TestApp, slug: &str) -> (reqwest::Client, String) {
    let host = format!("{slug}.localhost");
    (
        client_for_hosts(app.addr, Arc::new(Jar::default()), &[&host]),
        format!("http://{host}:{}", app.addr.port()),
    )
}

#[tokio::test]
async fn requests_past_the_plans_rate_get_429_with_retry_after() {
    let app = spawn_app().await;
    plan(&app, "Tiny", &[("max_rps", "2")]).await;
    let tenant = app
        .provisioned_tenant_on_plan("rate", "pooled", "tiny")
        .await;
    let token = tenantry::control::api_tokens::create(
        &app.db,
        tenant.id,
        "robot",
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("token");
    let (client, base) = api_client(&app, &tenant.slug);

    // Twenty calls at once against a bucket of two: some are refused, as JSON problems.
    let calls = (0..20).map(|_| {
        client
            .get(format!("{base}/api/v1/tenant"))
            .bearer_auth(&token)
            .send()
    });
    let answers = futures_util_join(calls).await;
    let refused: Vec<&reqwest::Response> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(refused.len() >= 10, "{} refused", refused.len());
    let r = refused[0];
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait));
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    // Pages: an HTML page naming the plan and its rate.
    let pages = (0..20).map(|_| client.get(format!("{base}/login")).send());
    let answers = futures_util_join(pages).await;
    let page = answers
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .expect("a page refused");
    assert!(page.headers().contains_key("retry-after"));
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("The Tiny plan allows 2 requests a second"),
        "{html:.2000}"
    );

    // Another tenant's bucket is its own.
    let other = app
        .provisioned_tenant_on_plan("calm", "pooled", "tiny")
        .await;
    let (client, base) = api_client(&app, &other.slug);
    assert_eq!(
        client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rate_limited_requests_total{tier=\"pooled\"}"),
        "by tier"
    );
}

/// Runs the requests concurrently.
async fn futures_util_join(
    requests: impl Iterator<
        Item = impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    >,
) -> Vec<reqwest::Response> {
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task").expect("request"));
    }
    out
}

#[tokio::test]
async fn over_storage_module_writes_are_refused_with_a_banner_and_reads_work() {
    let app = spawn_app().await;
    plan(&app, "Small", &[("max_storage", "1 MiB")]).await;
    let tenant = app
        .provisioned_tenant_on_plan("full", "isolated", "small")
        .await;
    tenantry::tenancy::modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        true,
        tenantry::tenancy::modules::Authority::Platform,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("crm");
    app.create_member("ada@full.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@full.test").await;
    let customer = [
        ("name", "Acme"),
        ("email", ""),
        ("phone", ""),
        ("status", "lead"),
        ("notes", ""),
    ];
    assert_eq!(
        ada.post("/crm", &customer).await.status(),
        StatusCode::SEE_OTHER,
        "below: allowed"
    );

    // An isolated database is several MiB: the sample puts it over 1 MiB.
    assert!(
        tenantry::tenancy::stats::sample_storage(&app.tenancy)
            .await
            .unwrap()
            >= 1
    );
    let r = ada.post("/crm", &customer).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("The Small plan allows 1 MiB of storage"),
        "{html:.3000}"
    );
    let list = ada.get("/crm").await;
    assert_eq!(list.status(), StatusCode::OK, "reads still work");
    let list = list.text().await.unwrap();
    assert!(list.contains("id=\"limit-notice\"") && list.contains("new records are refused"));
    let n: i64 = {
        let db = tenantry::modules::TenantDb::new(app.tenancy.pool(tenant.id).await.unwrap(), true);
        tenantry::modules::crm::list(
            &db,
            &tenantry::modules::crm::Search {
                q: "",
                status: "",
                sort: Default::default(),
            },
            0,
            50,
        )
        .await
        .unwrap()
        .1
    };
    assert_eq!(n, 1, "the refused write wrote nothing");

    // Raising the plan lifts it on the next request.
    let r = ada.post("/crm", &customer).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    tenantry::tenancy::plan_change::update(
        &app.tenancy,
        &tenantry::tenancy::tenants::get(&app.db, tenant.id)
            .await
            .unwrap()
            .unwrap(),
        &tenantry::tenancy::plan_change::TenantUpdate {
            plan: Some("enterprise"),
            name: None,
            allow_over: false,
        },
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("upgrade");
    let status = poll_until(async || {
        let s = ada.post("/crm", &customer).await.status();
        (s == StatusCode::SEE_OTHER).then_some(s)
    })
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn modules_past_the_plan_are_refused_for_everyone() {
    let app = spawn_app().await;
    plan(&app, "None", &[("max_modules", "0")]).await;
    let tenant = app
        .provisioned_tenant_on_plan("nomods", "pooled", "none")
        .await;
    let refused = tenantry::tenancy::modules::enable(
        &app.tenancy,
        tenant.id,
        "crm",
        true,
        tenantry::tenancy::modules::Authority::Platform,
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect_err("over the plan");
    assert_eq!(
        refused.to_string(),
        "The None plan allows 0 module(s) at once: disable one or change the plan."
    );
    assert_eq!(
        app.count("select count(*) from tenant_modules").await,
        0,
        "nothing enabled"
    );
}

#[tokio::test]
async fn api_calls_refused_with_4xx_do_not_use_the_allowance() {
    let app = spawn_app().await;
    let tenant = app
        .provisioned_tenant_on_plan("quota", "pooled", "pro")
        .await;
    let token = tenantry::control::api_tokens::create(
        &app.db,
        tenant.id,
        "robot",
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("token");
    let (client, base) = api_client(&app, &tenant.slug);
    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        get("/api/v1/tenant").await.unwrap().status(),
        StatusCode::OK
    );
    // CRM is not enabled (403) and a bad query (400): refused, not counted.
    assert_eq!(
        get("/api/v1/customers").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get("/api/v1/customers?page=x").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let calls: i64 = sqlx::query_scalar("select calls from api_usage where tenant_id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(calls, 1);
}

async fn day_totals(app: &TestApp, tenant: uuid::Uuid) -> (i64, i64) {
    sqlx::query_as(
        "select coalesce(sum(page_requests), 0)::int8, coalesce(sum(api_calls), 0)::int8
         from usage_daily where tenant_id = $1 and day = (now() at time zone 'utc')::date",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn concurrent_requests_and_a_restart_are_counted_exactly_once() {
    let app = spawn_app_with(&["--usage-flush-secs", "1"]).await;
    let tenant = app
        .provisioned_tenant_on_plan("meter", "pooled", "enterprise")
        .await;
    // Yesterday's row stays as it is: counts go to the day they happened.
    sqlx::query(
        "insert into usage_daily (tenant_id, day, page_requests)
         values ($1, (now() at time zone 'utc')::date - 1, 7)",
    )
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .unwrap();
    let (client, base) = api_client(&app, &tenant.slug);
    let first = (0..40).map(|_| client.get(format!("{base}/login")).send());
    for r in futures_util_join(first).await {
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Flushed on a timer while the app runs…
    poll_until(async || (day_totals(&app, tenant.id).await.0 == 40).then_some(())).await;
    let second = (0..25).map(|_| client.get(format!("{base}/login")).send());
    futures_util_join(second).await;
    // …and at shutdown: a restart loses nothing and counts nothing twice.
    let app = app.restart().await;
    assert_eq!(day_totals(&app, tenant.id).await.0, 65);
    let (client, base) = api_client(&app, &tenant.slug);
    let third = (0..10).map(|_| client.get(format!("{base}/login")).send());
    futures_util_join(third).await;
    poll_until(async || (day_totals(&app, tenant.id).await.0 == 75).then_some(())).await;
    let yesterday: i64 = sqlx::query_scalar(
        "select page_requests from usage_daily where tenant_id = $1 and day = (now() at time zone 'utc')::date - 1",
    )
    .bind(tenant.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(yesterday, 7);
}

#[tokio::test]
async fn old_days_roll_up_into_their_months() {
    let app = spawn_app().await;
    let tenant = app
        .provisioned_tenant_on_plan("roll", "pooled", "free")
        .await;
    sqlx::query(
        "insert into usage_daily (tenant_id, day, page_requests, api_calls, storage_bytes, active_users)
         values ($1, date '2025-01-10', 5, 1, 100, 2), ($1, date '2025-01-20', 7, 2, 300, 1),
                ($1, date '2025-02-01', 1, 0, 50, 1), ($1, (now() at time zone 'utc')::date, 3, 0, 0, 0)",
    )
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .unwrap();
    let rolled = tenantry::control::metering::roll_up(&app.db, 35)
        .await
        .unwrap();
    assert_eq!(rolled, 2, "two months");
    let months: Vec<(time::Date, i64, i64, i64, i64)> = sqlx::query_as(
        "select month, page_requests, api_calls, storage_bytes, active_users from usage_monthly order by month",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        months,
        vec![
            (time::macros::date!(2025 - 01 - 01), 12, 3, 300, 2),
            (time::macros::date!(2025 - 02 - 01), 1, 0, 50, 1),
        ]
    );
    assert_eq!(
        app.count("select count(*) from usage_daily").await,
        1,
        "today stays"
    );
    // Rolling up again adds nothing.
    assert_eq!(
        tenantry::control::metering::roll_up(&app.db, 35)
            .await
            .unwrap(),
        0
    );
}
