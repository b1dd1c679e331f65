//! The tenant's Usage page: people, modules, API calls and storage beside the plan's
//! limits, for admins and support; members are refused.

use reqwest::StatusCode;

use crate::helpers::*;

/// The text of the element `id` (its first `usage-used` and `usage-limit` spans).
fn figures(html: &str, id: &str) -> (String, String) {
    let card = html
        .split_once(&format!("id=\"{id}\""))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{id} on the page"));
    let grab = |class: &str| {
        let marker = format!("class=\"{class}");
        let after = card.split_once(&marker).expect(class).1;
        let text = after.split_once('>').expect("tag").1;
        text.split('<').next().expect("text").to_owned()
    };
    (grab("usage-used"), grab("usage-limit"))
}

#[tokio::test]
async fn admins_and_support_see_usage_against_the_plan_and_members_do_not() {
    let app = spawn_app().await;
    let tenant = app
        .provisioned_tenant_on_plan("usage", "isolated", "starter")
        .await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    app.create_staff("sam@example.test", "support").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    ada.post(
        "/members/invite",
        &[("email", "cy@acme.test"), ("role", "member")],
    )
    .await;
    ada.post("/modules/crm/enable", &[]).await;

    let page = ada.get("/usage").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    // Starter: 10 users, 2 modules, 100,000 API calls, 1 GiB.
    assert_eq!(figures(&html, "usage-users"), ("3".into(), "10".into()));
    assert!(html.contains("2 members and 1 pending invitation<"));
    assert_eq!(figures(&html, "usage-modules"), ("1".into(), "2".into()));
    assert_eq!(figures(&html, "usage-api"), ("0".into(), "100,000".into()));
    let (storage, limit) = figures(&html, "usage-storage");
    assert!(
        storage.ends_with("MiB") || storage.ends_with("KiB"),
        "{storage}"
    );
    assert_eq!(limit, "1.0 GiB");
    assert!(html.contains("href=\"/usage\""), "in the navigation");

    // Support reads it; a member is refused and has no link to it.
    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    assert_eq!(sam.get("/usage").await.status(), StatusCode::OK);
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@acme.test").await;
    assert_eq!(bob.get("/usage").await.status(), StatusCode::FORBIDDEN);
    let dashboard = bob.get("/").await.text().await.expect("body");
    assert!(!dashboard.contains("href=\"/usage\""));

    // The platform's tenant page shows the same figures to staff.
    app.login_as_new_owner("owner@example.test").await;
    let detail = app
        .get(&format!("/tenants/{}", tenant.slug))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        detail.contains("2 members, 1 invited <span class=\"text-slate-500\">of 10</span>"),
        "{detail:.4000}"
    );
    assert!(detail.contains("of 1.0 GiB"));
}

/// The rows of the usage table, cell texts in order.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let table = html
        .split_once("id=\"usage-table\"")
        .expect("the table")
        .1
        .split_once("<tbody")
        .expect("a body")
        .1
        .split_once("</tbody>")
        .expect("its end")
        .0;
    table
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            tr.split("<td class=\"table-cell\">")
                .skip(1)
                .map(|td| td.split('<').next().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn usage_history_is_charted_tabled_and_exported_alike() {
    let app = spawn_app().await;
    let tenant = app
        .provisioned_tenant_on_plan("hist", "pooled", "starter")
        .await;
    sqlx::query(
        "insert into usage_daily (tenant_id, day, page_requests, api_calls, mail_sent, records_written, active_users, storage_bytes)
         values ($1, (now() at time zone 'utc')::date - 3, 120, 4, 1, 9, 2, 5000000),
                ($1, (now() at time zone 'utc')::date - 400, 99, 0, 0, 0, 1, 0)",
    )
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .expect("usage");
    app.create_member("ada@hist.test", tenant.id, "admin").await;
    app.create_member("bob@hist.test", tenant.id, "member")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@hist.test").await;

    let html = ada.get("/usage").await.text().await.expect("body");
    // Charts are inline SVG with each bar's figure in its title.
    let chart = html
        .split_once("id=\"chart-day-page_requests\"")
        .expect("the page requests chart")
        .1;
    assert!(
        chart.contains("<svg") && chart.contains(": 120</title>"),
        "{:.2000}",
        chart
    );
    assert_eq!(
        html.matches("<svg class=\"usage-chart").count(),
        12,
        "30 days and 12 months, six metrics"
    );
    assert!(
        html.contains("<title>Limit: 1.0 GiB</title>"),
        "storage against the plan"
    );

    // The table and the CSV have the same rows.
    let rows = table_rows(&html);
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter()
            .any(|r| r[1..] == ["120", "4", "1", "9", "2", "5000000"])
    );
    let csv = ada.get("/usage.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("day,page_requests,api_calls,mail_sent,records_written,active_users,storage_bytes")
    );
    let csv_rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(csv_rows, rows);

    // Other ranges: up to 400 days; ten years is refused with a reason.
    let long = ada.get("/usage.csv?from=2025-01-01&to=2026-01-01").await;
    assert_eq!(long.status(), StatusCode::OK);
    assert_eq!(long.text().await.unwrap().lines().count(), 366 + 1);
    let ten_years = ada.get("/usage.csv?from=2016-01-01&to=2026-01-01").await;
    assert_eq!(ten_years.status(), StatusCode::BAD_REQUEST);
    assert!(
        ten_years
            .text()
            .await
            .unwrap()
            .contains("at most 400 days; this range has 3654")
    );
    let bad = ada.get("/usage.csv?from=soon").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@hist.test").await;
    assert_eq!(bob.get("/usage.csv").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_platform_shows_fleet_usage_busiest_tenants_and_those_near_a_limit() {
    let app = spawn_app().await;
    let busy = app
        .provisioned_tenant_on_plan("busy", "pooled", "free")
        .await;
    let quiet = app
        .provisioned_tenant_on_plan("quiet", "pooled", "pro")
        .await;
    // Free allows 3 users: 3 members are 100 % of it.
    for who in ["a", "b", "c"] {
        app.create_member(&format!("{who}@busy.test"), busy.id, "member")
            .await;
    }
    sqlx::query(
        "insert into usage_daily (tenant_id, day, page_requests) values
         ($1, (now() at time zone 'utc')::date, 500), ($2, (now() at time zone 'utc')::date, 5)",
    )
    .bind(busy.id)
    .bind(quiet.id)
    .execute(&app.db)
    .await
    .expect("usage");
    app.login_as_new_owner("owner@example.test").await;
    let html = app.get("/usage").await.text().await.expect("body");
    assert!(html.contains("href=\"/usage\""), "in the navigation");
    assert!(html.contains("id=\"fleet-pages\">505<"), "{html:.3000}");
    assert!(html.contains("id=\"fleet-page_requests\"") && html.contains(": 505</title>"));
    let top = html.split_once("id=\"top-tenants\"").expect("top").1;
    assert!(top.find("busy Inc").expect("busy") < top.find("quiet Inc").expect("quiet"));
    let near = html.split_once("id=\"near-limits\"").expect("near").1;
    assert!(near.contains(&format!("data-slug=\"{}\"", busy.slug)) && near.contains("users 100 %"));
    assert!(!near.contains(&format!("data-slug=\"{}\"", quiet.slug)));

    // A super admin sees their tenants only.
    app.create_staff("sue@example.test", "super_admin").await;
    sqlx::query("insert into staff_assignments (user_id, tenant_id) select id, $1 from users where email = 'sue@example.test'")
        .bind(quiet.id)
        .execute(&app.db)
        .await
        .expect("assigned");
    let sue = TestApp::client_signed_in(&app, "sue@example.test").await;
    let html = sue
        .get(app.url("/usage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"fleet-pages\">5<") && !html.contains("busy Inc"));

    // Ranked by another figure: users puts busy (3) first; an unknown one is refused.
    let by_users = app.get("/usage?by=users").await.text().await.expect("body");
    let top = by_users
        .split_once("id=\"top-tenants\" data-by=\"users\"")
        .expect("ranked")
        .1;
    assert!(top.find("busy Inc").expect("busy") < top.find("quiet Inc").expect("quiet"));
    assert_eq!(
        app.get("/usage?by=%00evil").await.status(),
        StatusCode::BAD_REQUEST
    );
    let bad = app.get("/usage?by=cost").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Tenants can be ranked by page_requests, api_calls, users, storage.")
    );

    // The fleet CSV has this month's row per tenant the staff member sees.
    let csv = app.get("/usage.csv").await.text().await.expect("csv");
    let busy_row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{},", busy.slug)))
        .expect("busy row");
    assert_eq!(
        busy_row,
        format!("{},Free,500,0,10000,3,3,0,104857600,0,1", busy.slug)
    );
    let sue_csv = sue
        .get(app.url("/usage.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!sue_csv.contains(&busy.slug) && sue_csv.contains(&quiet.slug));

    // A tenant's own usage page on the platform: the same charts; not for tenants out of
    // a super admin's scope (the same 404 as an unknown slug).
    let page = app
        .get(&format!("/tenants/{}/usage", busy.slug))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("id=\"chart-day-page_requests\"") && page.contains(": 500</title>"),
        "{page:.2000}"
    );
    let own = app
        .get(&format!("/tenants/{}/usage.csv", busy.slug))
        .await
        .text()
        .await
        .expect("csv");
    assert!(own.lines().any(|l| l.ends_with(",500,0,0,0,0,0")), "{own}");
    let refused = sue
        .get(app.url(&format!("/tenants/{}/usage", busy.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let refused = sue
        .get(app.url(&format!("/tenants/{}/usage.csv", busy.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_usage_pages_count_each_enabled_modules_records() {
    let app = spawn_app().await;
    let (tenant, ada) =
        crate::module_levels::tenant_with(&app, "counts", "pooled", &["crm", "tasks"]).await;
    for name in ["Wayne", "Stark"] {
        let r = ada
            .post(
                "/crm",
                &[("name", name), ("email", ""), ("status", "active")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let html = ada.get("/usage").await.text().await.expect("body");
    let records = html
        .split_once("id=\"usage-records\"")
        .expect("a records card")
        .1;
    let records = records.split_once("</dl>").expect("its list").0;
    assert!(
        records.contains(
            "Customers</dt><dd class=\"text-lg font-semibold text-slate-900 usage-record\">2<"
        ),
        "{records}"
    );
    assert!(
        records.contains("Tasks</dt>"),
        "every enabled module is counted"
    );
    assert!(!records.contains("Invoices"), "not the modules left off");
    // The platform's view of the tenant counts the same.
    app.login_as_new_owner("owner@example.test").await;
    let platform = app
        .get(&format!("/tenants/{}/usage", tenant.slug))
        .await
        .text()
        .await
        .expect("body");
    assert!(platform.contains("id=\"usage-records\""));
}
