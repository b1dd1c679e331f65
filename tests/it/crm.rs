//! The CRM module through the tenant console: real data in the tenant's own database,
//! bad input refused with messages, and every role's side of the access rules.

use reqwest::StatusCode;

use crate::helpers::*;

/// Adds a lead called `name` through the form; the customer page's path.
async fn add_customer(client: &TenantClient, name: &str) -> String {
    let r = client
        .post(
            "/crm",
            &[
                ("name", name),
                ("email", ""),
                ("phone", ""),
                ("status", "lead"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name} added");
    r.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned()
}

#[tokio::test]
async fn an_admin_enables_crm_adds_a_customer_and_finds_it() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crm", "isolated").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;

    assert_eq!(
        ada.get("/crm").await.status(),
        StatusCode::NOT_FOUND,
        "not enabled yet"
    );
    let enabled = ada.post("/modules/crm/enable", &[]).await;
    assert_redirect_to(&enabled, "/modules");
    assert!(
        ada.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("href=\"/crm\""),
        "the CRM appears in the navigation"
    );

    let created = ada
        .post(
            "/crm",
            &[
                ("name", "Wayne Enterprises"),
                ("email", "bruce@wayne.test"),
                ("phone", "555"),
                ("status", "active"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let customer_url = created
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    ada.post(
        "/crm",
        &[
            ("name", "Stark Industries"),
            ("email", ""),
            ("phone", ""),
            ("status", "lead"),
            ("notes", ""),
        ],
    )
    .await;

    let found = ada.get("/crm?q=wayne").await.text().await.unwrap();
    assert_eq!(found.matches("class=\"customer-row\"").count(), 1);
    assert!(found.contains("Wayne Enterprises"));
    let leads = ada
        .client
        .get(format!("{}/crm?status=lead", ada.base))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let leads = leads.text().await.unwrap();
    assert!(
        !leads.contains("<html") && leads.contains("Stark Industries") && !leads.contains("Wayne")
    );

    // Inline edit through htmx returns the updated row.
    let id = customer_url.rsplit('/').next().unwrap();
    let token = ada.token("/").await;
    let edited = ada
        .client
        .post(format!("{}/crm/{id}", ada.base))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(&[
            ("name", "Wayne Enterprises Ltd"),
            ("email", "bruce@wayne.test"),
            ("phone", ""),
            ("status", "churned"),
            ("notes", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let row = edited.text().await.unwrap();
    assert!(
        row.contains("Wayne Enterprises Ltd") && row.contains("churned") && row.starts_with("<tr")
    );

    ada.post(
        &format!("/crm/{id}/contacts"),
        &[
            ("name", "Lucius Fox"),
            ("email", "lucius@wayne.test"),
            ("title", "CEO"),
        ],
    )
    .await;
    ada.post(
        &format!("/crm/{id}/interactions"),
        &[("kind", "call"), ("summary", "Discussed the renewal")],
    )
    .await;
    let page = ada.get(&format!("/crm/{id}")).await.text().await.unwrap();
    assert!(page.contains("Lucius Fox") && page.contains("Discussed the renewal"));

    // The data lives in the tenant's own database.
    let db = sqlx::PgPool::connect(&format!("{}/{}", server_base_url(), tenant.database_name))
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    db.close().await;
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"crm.customer_created".to_owned())
            && actions.contains(&"crm.customer_updated".to_owned())
    );
}

#[tokio::test]
async fn bad_customer_input_is_refused_with_messages_and_changes_nothing() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmbad", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;

    let long = "x".repeat(10 * 1024);
    for (fields, message) in [
        (
            vec![("name", ""), ("email", ""), ("status", "lead")],
            "Enter a name of 1 to 200 characters.",
        ),
        (
            vec![("name", long.as_str()), ("email", ""), ("status", "lead")],
            "Enter a name of 1 to 200 characters.",
        ),
        (
            vec![
                ("name", "Ok"),
                ("email", "not-an-email"),
                ("status", "lead"),
            ],
            "Enter a valid email address",
        ),
        (
            vec![("name", "Ok"), ("email", ""), ("status", "vip")],
            "Choose lead, active or churned.",
        ),
        (
            vec![
                ("name", "Line\r\nBcc: x@evil.test"),
                ("email", ""),
                ("status", "lead"),
            ],
            "Use a single line of text.",
        ),
    ] {
        let r = ada.post("/crm", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
    let list = ada.get("/crm").await.text().await.unwrap();
    assert!(list.contains("No customers match."), "nothing was stored");
    assert_eq!(ada.get("/crm/999999").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        ada.get("/crm/not-a-number").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ada.post("/modules/teleport/enable", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roles_meet_the_crm_as_the_access_table_says() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmroles", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    app.create_staff("sam@example.test", "support").await;
    app.create_owner("olga@example.test").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    ada.post(
        "/crm",
        &[("name", "Acme Widgets"), ("email", ""), ("status", "lead")],
    )
    .await;

    // Members use the module but cannot change modules.
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@acme.test").await;
    assert_eq!(bob.get("/crm").await.status(), StatusCode::OK);
    assert_eq!(
        bob.post(
            "/crm",
            &[("name", "Bob's lead"), ("email", ""), ("status", "lead")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob.post("/modules/crm/disable", &[]).await.status(),
        StatusCode::FORBIDDEN
    );

    // Support reads; its writes are refused by the app, and PostgreSQL would refuse them too.
    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    let list = sam.get("/crm").await.text().await.unwrap();
    assert!(list.contains("Acme Widgets") && !list.contains("id=\"new-customer\""));
    assert_eq!(
        sam.post(
            "/crm",
            &[("name", "Sneaky"), ("email", ""), ("status", "lead")]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let read_only = tenantry::modules::TenantDb::new(pool, true);
    let refused = tenantry::modules::crm::create(
        &read_only,
        &tenantry::modules::crm::CustomerInput {
            name: "Sneaky".into(),
            status: "lead".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );

    // Owners administer tenants from the platform, but do not use module pages.
    let olga = TenantClient::opened_by_staff(&app, &tenant.slug, "olga@example.test").await;
    assert_eq!(olga.get("/crm").await.status(), StatusCode::FORBIDDEN);

    // Disabling hides the pages and keeps the data.
    ada.post("/modules/crm/disable", &[]).await;
    assert_eq!(ada.get("/crm").await.status(), StatusCode::NOT_FOUND);
    ada.post("/modules/crm/enable", &[]).await;
    assert!(
        ada.get("/crm")
            .await
            .text()
            .await
            .unwrap()
            .contains("Acme Widgets")
    );
}

#[tokio::test]
async fn the_tenant_audit_log_is_for_admins_and_shows_only_this_tenant() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("audited", "pooled").await;
    let other = app.provisioned_tenant("elsewhere", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    let log = ada.get("/audit").await.text().await.unwrap();
    assert!(log.contains("module.enabled") && log.contains("tenant.activated"));
    assert!(!log.contains(&other.slug), "nothing about another tenant");
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@acme.test").await;
    assert_eq!(bob.get("/audit").await.status(), StatusCode::FORBIDDEN);

    // The platform's catalog counts the tenants using each module.
    app.login_as_new_owner("olga@example.test").await;
    let catalog = app.get("/modules").await.text().await.unwrap();
    assert_eq!(catalog.matches("class=\"module-row\"").count(), 4);
}

#[tokio::test]
async fn the_list_pages_from_one_sorts_by_column_and_exports_the_view() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmlist", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    for i in 1..=23 {
        let name = format!("Customer {i:02}");
        let status = if i % 2 == 0 { "active" } else { "lead" };
        let notes = if i == 7 { "=cmd|' /C calc'!A0" } else { "" };
        let email = format!("c{i}@example.test");
        let created = ada
            .post(
                "/crm",
                &[
                    ("name", &name),
                    ("email", &email),
                    ("phone", ""),
                    ("status", status),
                    ("notes", notes),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
    }

    // Page 2 (1-based) is the last three by name, and says which rows it shows.
    let page = ada.get("/crm?page=2").await.text().await.unwrap();
    assert!(page.contains("Showing 21–23 of 23"), "{page:.2000}");
    assert!(page.contains("Customer 21") && !page.contains("Customer 20<"));
    assert!(page.contains("page 2 of 2"));
    // 50 rows a page: all on one; a size not offered is the default 20.
    let fifty = ada.get("/crm?per=50").await.text().await.unwrap();
    assert!(fifty.contains("Showing 1–23 of 23") && fifty.contains("page 1 of 1"));
    let odd = ada.get("/crm?per=7").await.text().await.unwrap();
    assert!(odd.contains("Showing 1–20 of 23"), "{odd:.2000}");
    // Sorted by name descending, the first page starts at the end.
    let desc = ada.get("/crm?sort=-name").await.text().await.unwrap();
    let first = desc.find("Customer 23").expect("23 on the first page");
    let second = desc.find("Customer 22").expect("22 on the first page");
    assert!(first < second, "descending");
    assert!(!desc.contains("Customer 03<"), "03 is on page 2");
    assert!(desc.contains("aria-sort=\"descending\""));

    // The export holds every page of the view, as CSV, formulas defused.
    let csv = ada.get("/crm/export.csv?status=lead&sort=name").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "id,name,email,phone,status,added");
    assert_eq!(lines.len(), 1 + 12, "the 12 leads, not one page: {body}");
    assert!(lines.iter().skip(1).all(|l| l.contains(",lead,")));
    assert!(
        app.audit_actions()
            .await
            .contains(&"crm.customers_exported".to_owned())
    );

    // A member may read, so may export; someone without the CRM may not.
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@acme.test").await;
    assert_eq!(bob.get("/crm/export.csv").await.status(), StatusCode::OK);
    let outsider = TenantClient::new(&app, &tenant.slug);
    assert!(
        outsider
            .get("/crm/export.csv")
            .await
            .status()
            .is_redirection(),
        "signed out: to the sign-in page"
    );
}

#[tokio::test]
async fn a_customer_is_edited_on_its_own_page_keeping_input_on_error() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmedit", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    let fields = |name: &'static str, email: &'static str| {
        vec![
            ("name", name),
            ("email", email),
            ("phone", ""),
            ("status", "active"),
            ("notes", "Met at the fair"),
        ]
    };
    let created = ada.post("/crm", &fields("Wayne", "")).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();

    let bad = ada
        .post(&location, &fields("Wayne Ltd", "not an email"))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.unwrap();
    assert!(
        page.contains("id=\"edit-customer\" open"),
        "the form is open"
    );
    assert!(page.contains("value=\"not an email\"") && page.contains("value=\"Wayne Ltd\""));
    assert!(page.contains("field-error"));

    let saved = ada
        .post(&location, &fields("Wayne Ltd", "bruce@wayne.test"))
        .await;
    assert_redirect_to(&saved, &location);
    let page = ada.get(&location).await.text().await.unwrap();
    assert!(page.contains("Customer saved.") && page.contains("bruce@wayne.test"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"crm.customer_updated".to_owned())
    );
}

#[tokio::test]
async fn the_timeline_reads_in_the_tenants_time_zone() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmzone", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    let settings = ada
        .post(
            "/settings",
            &[
                ("name", "Acme"),
                ("timezone", "Asia/Tokyo"),
                ("currency", "JPY"),
                ("language", "ja"),
                ("logo_url", ""),
                ("theme_color", "#336699"),
            ],
        )
        .await;
    assert_redirect_to(&settings, "/settings");
    let customer = add_customer(&ada, "Wayne").await;
    let before = time::OffsetDateTime::now_utc();
    let added = ada
        .post(
            &format!("{customer}/interactions"),
            &[("kind", "call"), ("summary", "Called about the renewal")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let after = time::OffsetDateTime::now_utc();
    let page = ada.get(&customer).await.text().await.unwrap();
    assert!(page.contains("title=\"Asia/Tokyo\""), "{page:.3000}");
    // Tokyo is UTC+9 all year: the shown time is 9 hours ahead of UTC, written the way
    // the workspace's language (`ja`) writes it, though its texts stay English.
    let tokyo = |t: time::OffsetDateTime| {
        let t = t + time::Duration::hours(9);
        tenantry::web::i18n::Locale::new("ja").local_time(&format!(
            "{} {:02}:{:02}",
            t.date(),
            t.hour(),
            t.minute()
        ))
    };
    assert!(
        page.contains(&tokyo(before)) || page.contains(&tokyo(after)),
        "expected {} in the timeline",
        tokyo(before)
    );
}

#[tokio::test]
async fn contacts_are_edited_and_removed_only_under_their_customer() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmcontacts", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    let wayne = add_customer(&ada, "Wayne").await;
    let stark = add_customer(&ada, "Stark").await;
    let added = ada
        .post(
            &format!("{wayne}/contacts"),
            &[("name", "Lucius Fox"), ("email", ""), ("title", "")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let page = ada.get(&wayne).await.text().await.unwrap();
    let id: i64 = page
        .split("id=\"contact-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("a contact id");

    // A bad email is refused in the contact's own form, what was typed kept.
    let bad = ada
        .post(
            &format!("{wayne}/contacts/{id}"),
            &[("name", "Lucius"), ("email", "nope"), ("title", "CEO")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("value=\"nope\"") && html.contains("field-error"));

    let saved = ada
        .post(
            &format!("{wayne}/contacts/{id}"),
            &[
                ("name", "Lucius Fox"),
                ("email", "lucius@wayne.test"),
                ("title", "CEO"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(
        ada.get(&wayne)
            .await
            .text()
            .await
            .unwrap()
            .contains("lucius@wayne.test")
    );

    // Under another customer the contact does not exist: 404, nothing changes.
    let elsewhere = ada
        .post(&format!("{stark}/contacts/{id}/delete"), &[])
        .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let removed = ada
        .post(&format!("{wayne}/contacts/{id}/delete"), &[])
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let page = ada.get(&wayne).await.text().await.unwrap();
    assert!(page.contains("Contact removed.") && page.contains("No contacts yet."));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"crm.contact_updated".to_owned()));
    assert!(actions.contains(&"crm.contact_deleted".to_owned()));
}

#[tokio::test]
async fn ticked_customers_change_status_or_go_together() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("crmbulk", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@acme.test").await;
    assert_redirect_to(&ada.post("/modules/crm/enable", &[]).await, "/modules");
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        let location = add_customer(&ada, name).await;
        ids.push(location.rsplit('/').next().unwrap().to_owned());
    }
    let set = ada
        .post(
            "/crm/bulk",
            &[
                ("ids", &ids[0]),
                ("ids", &ids[1]),
                ("action", "status"),
                ("status", "active"),
            ],
        )
        .await;
    assert_redirect_to(&set, "/crm");
    let page = ada.get("/crm?status=active").await.text().await.unwrap();
    assert!(page.contains("2 customers set to active."), "{page:.3000}");
    assert!(page.contains("Showing 1–2 of 2"));

    let bad = ada
        .post(
            "/crm/bulk",
            &[("ids", &ids[0]), ("action", "status"), ("status", "vip")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let forged = ada
        .post("/crm/bulk", &[("ids", "x"), ("action", "delete")])
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);

    // A member who may write may do it too; a reader may not (see roles).
    let gone = ada
        .post(
            "/crm/bulk",
            &[("ids", &ids[0]), ("ids", &ids[2]), ("action", "delete")],
        )
        .await;
    assert_redirect_to(&gone, "/crm");
    let page = ada.get("/crm").await.text().await.unwrap();
    assert!(page.contains("2 customers deleted.") && page.contains("Showing 1–1 of 1"));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"crm.customers_status_changed".to_owned()));
    assert!(actions.contains(&"crm.customers_deleted".to_owned()));
}
