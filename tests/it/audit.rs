//! The audit log belongs to its tenant: every tenant-related event carries the tenant's
//! id, a tenant's log shows those events and no other (whatever their free-text target
//! says), and the platform log filters by tenant, actor, action and dates, with super
//! admins kept to the events of their own tenants.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::Jar;
use tenantry::control::audit::{Actor, Origin};
use tenantry::control::segments;
use uuid::Uuid;

use crate::helpers::*;

async fn text(response: reqwest::Response) -> String {
    response.text().await.expect("body")
}

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where lower(email) = lower($1)")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

/// Whether a row of the page shows `action` (the filter's drop-down names actions too).
fn listed(html: &str, action: &str) -> bool {
    html.contains(&format!(">{action}</span>"))
}

/// Rows of an audit page (or partial).
fn rows(html: &str) -> usize {
    html.matches("class=\"audit-row\"").count()
}

#[tokio::test]
async fn a_token_named_like_another_tenants_slug_stays_in_its_own_tenants_log() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let created = ada
        .post_from("/api-tokens", "/api-tokens", &[("name", &globex.slug)])
        .await;
    assert_redirect_to(&created, "/api-tokens");
    let token: Uuid = sqlx::query_scalar("select id from api_tokens where tenant_id = $1")
        .bind(acme.id)
        .fetch_one(&app.db)
        .await
        .expect("token");
    let revoked = ada
        .post_from("/api-tokens", &format!("/api-tokens/{token}/revoke"), &[])
        .await;
    assert!(revoked.status().is_redirection() || revoked.status().is_success());

    let gus = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let theirs = text(gus.get("/audit").await).await;
    assert!(rows(&theirs) > 0, "globex's log lists its own events");
    for leaked in [
        "api_token.created",
        "api_token.revoked",
        "ada@acme.test",
        "tnt_",
    ] {
        assert!(!theirs.contains(leaked), "globex's log shows {leaked}");
    }
    let ours = text(ada.get("/audit").await).await;
    assert!(ours.contains("api_token.created") && ours.contains("api_token.revoked"));
    let filed: Vec<Option<Uuid>> =
        sqlx::query_scalar("select tenant_id from audit_events where action like 'api_token.%'")
            .fetch_all(&app.db)
            .await
            .expect("events");
    assert_eq!(filed, vec![Some(acme.id); 2]);
}

#[tokio::test]
async fn people_token_sign_in_hand_off_and_reset_events_reach_their_tenants_log_only() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("bob@acme.test", acme.id, "member").await;
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;

    // People: an invitation made and revoked, a member's role changed, then removed.
    let invited = ada
        .post(
            "/members/invite",
            &[("email", "grace@elsewhere.test"), ("role", "member")],
        )
        .await;
    assert!(invited.status().is_redirection(), "{}", invited.status());
    let invitation: Uuid = sqlx::query_scalar("select id from invitations where tenant_id = $1")
        .bind(acme.id)
        .fetch_one(&app.db)
        .await
        .expect("invitation");
    let revoked = ada
        .post(&format!("/invitations/{invitation}/revoke"), &[])
        .await;
    assert!(revoked.status().is_redirection(), "{}", revoked.status());
    let bob = user_id(&app, "bob@acme.test").await;
    let changed = ada
        .post(&format!("/members/{bob}/role"), &[("role", "admin")])
        .await;
    assert!(changed.status().is_redirection(), "{}", changed.status());
    let removed = ada.post(&format!("/members/{bob}/remove"), &[]).await;
    assert!(removed.status().is_redirection(), "{}", removed.status());
    // A token, a failed sign-in and a reset request made on acme's host, a sign-out.
    let token = ada
        .post_from("/api-tokens", "/api-tokens", &[("name", "ci")])
        .await;
    assert_redirect_to(&token, "/api-tokens");
    let stranger = TenantClient::new(&app, &acme.slug);
    assert_eq!(
        stranger
            .login("ada@acme.test", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let reset = stranger
        .post_from("/forgot", "/forgot", &[("email", "ada@acme.test")])
        .await;
    assert!(reset.status().is_success() || reset.status().is_redirection());
    assert!(ada.post("/logout", &[]).await.status().is_redirection());
    // Staff open the console with a reason (the hand-off lands on acme's host).
    app.login_as_new_owner("olga@example.test").await;
    let open = app
        .post_form(
            &format!("/tenants/{}/open-console", acme.slug),
            &[("reason", "Ticket 12")],
        )
        .await;
    assert_eq!(open.status(), StatusCode::SEE_OTHER);
    let link = open.headers()["location"].to_str().unwrap().to_owned();
    let olga = TenantClient::new(&app, &acme.slug);
    assert!(olga.get(&path_of(&link)).await.status().is_redirection());

    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let ours = text(ada.get("/audit").await).await;
    let expected = [
        "invitation.created",
        "invitation.revoked",
        "member.role_changed",
        "member.removed",
        "api_token.created",
        "auth.login_failed",
        "password_reset.requested",
        "auth.logout",
        "auth.login",
        "tenant.console_link_issued",
        "tenant.console_opened",
    ];
    for action in expected {
        assert!(ours.contains(action), "acme's log shows {action}");
    }
    assert!(ours.contains("Ticket 12"), "with the staff member's reason");

    let gus = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let theirs = text(gus.get("/audit").await).await;
    for leaked in [
        "ada@acme.test",
        "bob@acme.test",
        "grace@elsewhere.test",
        "olga@example.test",
        "Ticket 12",
    ] {
        assert!(!theirs.contains(leaked), "globex's log shows {leaked}");
    }
    // Every one of those events is filed under acme, none under nothing.
    let unfiled: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = any($1) and tenant_id is distinct from $2
           and actor_label <> 'gus@globex.test'
           and not (action = 'auth.login' and details ->> 'audience' = 'Platform')",
    )
    .bind(expected.map(str::to_owned).to_vec())
    .bind(acme.id)
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(unfiled, 0);
}

#[tokio::test]
async fn a_reset_asked_on_a_tenant_host_does_not_tell_its_admins_who_exists_elsewhere() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let gus = user_id(&app, "gus@globex.test").await;
    let stranger = TenantClient::new(&app, &acme.slug);
    for email in ["gus@globex.test", "nobody@nowhere.test"] {
        let r = stranger
            .post_from("/forgot", "/forgot", &[("email", email)])
            .await;
        assert!(r.status().is_success() || r.status().is_redirection());
    }
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let log = text(ada.get("/audit").await).await;
    assert_eq!(log.matches("password_reset.requested").count(), 2);
    assert!(
        !log.contains(&gus.to_string()),
        "an identity of another tenant is not named"
    );
}

#[tokio::test]
async fn the_platform_log_filters_by_tenant_actor_action_and_dates() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.login_as_new_owner("olga@example.test").await;
    let insert = |at: &'static str, action: &'static str, tenant: Uuid| {
        let db = app.db.clone();
        async move {
            sqlx::query(
                "insert into audit_events (at, actor_label, action, tenant_id, target)
                 values ($1::timestamptz, 'system', $2, $3, 'x')",
            )
            .bind(at)
            .bind(action)
            .bind(tenant)
            .execute(&db)
            .await
            .expect("event");
        }
    };
    insert("2020-01-01 00:00:00Z", "test.first_day", acme.id).await;
    insert("2020-01-03 23:59:59Z", "test.last_day", acme.id).await;
    insert("2020-01-04 00:00:00Z", "test.day_after", acme.id).await;
    insert("2020-01-02 12:00:00Z", "test.other_tenant", globex.id).await;

    // Tenant, by slug in any case: only that tenant's events.
    let by_tenant = text(
        app.get(&format!("/audit?tenant={}", acme.slug.to_uppercase()))
            .await,
    )
    .await;
    let acme_events: i64 =
        sqlx::query_scalar("select count(*) from audit_events where tenant_id = $1")
            .bind(acme.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(rows(&by_tenant) as i64, acme_events);
    assert!(!listed(&by_tenant, "test.other_tenant"));
    assert!(!by_tenant.contains(&format!(">{}<", globex.slug)));
    assert!(by_tenant.contains(&format!("class=\"table-cell audit-tenant\">{}<", acme.slug)));

    // Dates: whole UTC days, both ends included.
    let range = text(app.get("/audit?from=2020-01-01&to=2020-01-03").await).await;
    assert_eq!(rows(&range), 3, "{range}");
    assert!(listed(&range, "test.first_day") && listed(&range, "test.last_day"));
    assert!(!listed(&range, "test.day_after"));
    let from_only = text(app.get("/audit?from=2020-01-02&to=2020-01-02").await).await;
    assert_eq!(rows(&from_only), 1);
    assert!(listed(&from_only, "test.other_tenant"));

    // Action and actor, together with the tenant.
    let combined = text(
        app.get(&format!(
            "/audit?tenant={}&action=test.last_day&actor=SYST",
            acme.slug
        ))
        .await,
    )
    .await;
    assert_eq!(rows(&combined), 1);
    assert!(listed(&combined, "test.last_day"));
    let nobody = text(
        app.get(&format!("/audit?tenant={}&actor=olga", acme.slug))
            .await,
    )
    .await;
    assert!(nobody.contains("No events match."));

    // Bad dates are a message in the page (and in the htmx partial), not a 500.
    for (query, says) in [
        ("from=2020-13-01", "must be a date"),
        ("to=yesterday", "must be a date"),
        ("from=2020-01-03&to=2020-01-01", "after"),
    ] {
        let page = app.get(&format!("/audit?{query}")).await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{query}");
        let html = text(page).await;
        assert!(
            html.contains("id=\"audit-notice\"") && html.contains(says),
            "{query}: {html}"
        );
        assert!(html.contains("<form"), "the filters stay on the page");
        let partial = app
            .client
            .get(app.url(&format!("/audit?{query}")))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(partial.status(), StatusCode::BAD_REQUEST);
        let html = text(partial).await;
        assert!(
            !html.contains("<html") && html.contains(says),
            "{query}: {html}"
        );
    }
}

#[tokio::test]
async fn load_more_keeps_every_filter() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.login_as_new_owner("olga@example.test").await;
    for (tenant, n) in [(acme.id, 55), (globex.id, 20)] {
        sqlx::query(
            "insert into audit_events (at, actor_label, action, tenant_id)
             select '2021-06-15 12:00Z', 'system', 'test.many', $1 from generate_series(1, $2)",
        )
        .bind(tenant)
        .bind(n)
        .execute(&app.db)
        .await
        .unwrap();
    }
    // Outside the date range: would fill the second page if the dates were dropped.
    sqlx::query(
        "insert into audit_events (at, actor_label, action, tenant_id)
         select '2021-07-01 12:00Z', 'system', 'test.many', $1 from generate_series(1, 10)",
    )
    .bind(acme.id)
    .execute(&app.db)
    .await
    .unwrap();

    let first = text(
        app.get(&format!(
            "/audit?tenant={}&action=test.many&actor=system&from=2021-06-15&to=2021-06-15",
            acme.slug
        ))
        .await,
    )
    .await;
    assert_eq!(rows(&first), 50);
    let start = first.find("hx-get=\"/audit?").expect("load more") + "hx-get=\"".len();
    let next = first[start..start + first[start..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    for kept in [
        format!("tenant={}", acme.slug),
        "action=test.many".into(),
        "actor=system".into(),
        "from=2021-06-15".into(),
        "to=2021-06-15".into(),
    ] {
        assert!(next.contains(&kept), "{next} keeps {kept}");
    }
    let more = app
        .client
        .get(app.url(&next))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let partial = text(more).await;
    assert_eq!(rows(&partial), 5, "the rest of acme's 55, and nothing else");
    assert!(!partial.contains("Load more"));
}

/// A staff member's own browser on the platform console.
async fn platform_client(app: &TestApp, email: &str) -> reqwest::Client {
    let client = client_for(app.addr, Arc::new(Jar::default()));
    let url = |p: &str| format!("http://{ADMIN_HOST}:{}{p}", app.addr.port());
    let html = text(client.get(url("/login")).send().await.unwrap()).await;
    let token = extract_csrf(&html).unwrap();
    let r = client
        .post(url("/login"))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&r, "/");
    client
}

async fn platform_get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .get(format!("http://{ADMIN_HOST}:{}{path}", app.addr.port()))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_super_admin_sees_only_the_events_of_their_own_segments_tenants() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    let initech = app.provisioned_tenant("initech", "pooled").await;
    app.create_staff("sue@example.test", "super_admin").await;
    app.create_staff("tom@example.test", "super_admin").await;
    let (cli, origin) = (Actor::cli(), Origin::default());
    for (name, tenant, staff) in [
        ("West", &acme, "sue@example.test"),
        ("East", &globex, "tom@example.test"),
    ] {
        let segment = segments::create(&app.db, name, "", &cli, &origin)
            .await
            .unwrap();
        segments::add_tenant(&app.db, segment.id, &tenant.slug, &cli, &origin)
            .await
            .unwrap();
        let user = user_id(&app, staff).await;
        segments::set_super_admin(&app.db, segment.id, user, true, &cli, &origin)
            .await
            .unwrap();
    }
    // Tom works in his tenant; the owner works on the platform.
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let gus = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let token = gus
        .post_from("/api-tokens", "/api-tokens", &[("name", &acme.slug)])
        .await;
    assert_redirect_to(&token, "/api-tokens");
    app.login_as_new_owner("olga@example.test").await;

    let sue = platform_client(&app, "sue@example.test").await;
    let dashboard = text(platform_get(&app, &sue, "/").await).await;
    assert!(
        dashboard.contains("href=\"/audit\""),
        "the log is in her navigation"
    );
    let log = text(platform_get(&app, &sue, "/audit").await).await;
    let tenant_cell = |slug: &str| format!("class=\"table-cell audit-tenant\">{slug}<");
    assert!(
        log.contains(&tenant_cell(&acme.slug)),
        "her tenant's events"
    );
    for hidden in [
        globex.slug.as_str(),
        initech.slug.as_str(),
        "gus@globex.test",
        "olga@example.test",
        "api_token.created",
        "segment.created",
    ] {
        assert!(!log.contains(hidden), "Sue sees {hidden}");
    }
    let expected: i64 =
        sqlx::query_scalar("select count(*) from audit_events where tenant_id = $1")
            .bind(acme.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(rows(&log) as i64, expected);
    // Naming another segment's tenant, or paging past the start, changes nothing.
    for path in [
        format!("/audit?tenant={}", globex.slug),
        format!("/audit?tenant={}&action=api_token.created", globex.slug),
        "/audit?before=9223372036854775807&actor=gus".to_owned(),
    ] {
        let page = text(platform_get(&app, &sue, &path).await).await;
        assert!(page.contains("No events match."), "{path}");
    }

    // Tom, the other way round.
    let tom = platform_client(&app, "tom@example.test").await;
    let log = text(platform_get(&app, &tom, "/audit").await).await;
    assert!(log.contains("api_token.created") && log.contains("gus@globex.test"));
    assert!(
        !log.contains(&tenant_cell(&acme.slug)),
        "nothing of Sue's tenant"
    );

    // The owner sees all of it.
    let all = text(app.get("/audit").await).await;
    assert!(
        all.contains("segment.created") && all.contains(&globex.slug) && all.contains(&acme.slug)
    );
}

/// The control-plane migration that gave events their tenant.
const AUDIT_TENANT_MIGRATION: i64 = 20261201000001;

#[tokio::test]
async fn existing_events_are_filed_under_their_tenant_only_where_it_is_certain() {
    use sqlx::migrate::Migrator;
    let (url, name) = fresh_database().await;
    let db = sqlx::PgPool::connect(&url).await.expect("connect");
    let all = tenantry::pg::control_db::migrator();
    let before = Migrator {
        migrations: all
            .iter()
            .filter(|m| m.version < AUDIT_TENANT_MIGRATION)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..Migrator::DEFAULT
    };
    before.run(&db).await.expect("earlier migrations");

    // A purged tenant whose slug was taken again later, and another tenant.
    let (old, new, globex) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "insert into db_servers (id, name, admin_dsn_enc, address, capacity)
         values ('00000000-0000-0000-0000-000000000001', 'main', '\\x00', 'x:5432', 10);
         ",
    )
    .execute(&db)
    .await
    .unwrap();
    for (id, slug, status, created) in [
        (old, "acme", "purged", "2020-01-01Z"),
        (new, "acme", "active", "2022-01-01Z"),
        (globex, "globex", "active", "2020-01-01Z"),
    ] {
        sqlx::query(
            "insert into tenants (id, slug, name, status, plan_id, tier, db_server_id, database_name,
                                  role_name, created_at)
             values ($1, $2, 'T', $3, 'pro', 'isolated', '00000000-0000-0000-0000-000000000001',
                     'tenant_' || $2, 'tr_' || $2, $4::timestamptz)",
        )
        .bind(id)
        .bind(slug)
        .bind(status)
        .bind(created)
        .execute(&db)
        .await
        .unwrap();
    }
    let message = Uuid::now_v7();
    sqlx::query(
        "insert into outbox (id, kind, tenant_id, recipient, subject, body_text, body_html)
         values ($1, 'invitation', $2, 'g@globex.test', 's', 't', 'h')",
    )
    .bind(message)
    .bind(globex)
    .execute(&db)
    .await
    .unwrap();

    // (action, target, details, when) → the tenant the event must be filed under.
    let cases: Vec<(&str, &str, serde_json::Value, &str, Option<Uuid>)> = vec![
        // Named in the details, whatever the target says.
        (
            "api_token.created",
            "globex",
            serde_json::json!({ "tenant_id": new }),
            "2023-01-01Z",
            Some(new),
        ),
        (
            "member.removed",
            "bob@acme.test",
            serde_json::json!({ "tenant_id": globex }),
            "2023-01-01Z",
            Some(globex),
        ),
        // A sign-in on a tenant's host, and one on the platform.
        (
            "auth.login",
            "ada@acme.test",
            serde_json::json!({ "audience": format!("Tenant({new})") }),
            "2023-01-01Z",
            Some(new),
        ),
        (
            "auth.login",
            "olga@example.test",
            serde_json::json!({ "audience": "Platform" }),
            "2023-01-01Z",
            None,
        ),
        // A slug target of a tenant event: the tenant that had the slug then.
        (
            "tenant.domain_added",
            "acme",
            serde_json::json!({}),
            "2021-06-01Z",
            Some(old),
        ),
        (
            "tenant.domain_added",
            "acme",
            serde_json::json!({}),
            "2023-06-01Z",
            Some(new),
        ),
        (
            "crm.customer_created",
            "globex",
            serde_json::json!({}),
            "2023-01-01Z",
            Some(globex),
        ),
        (
            "segment.tenant_added",
            "globex",
            serde_json::json!({ "segment": "EU" }),
            "2023-01-01Z",
            Some(globex),
        ),
        // Mail, through its message.
        (
            "outbox.sent",
            "g@globex.test",
            serde_json::json!({ "message_id": message }),
            "2023-01-01Z",
            Some(globex),
        ),
        // Free text that looks like a slug is never trusted; nor is an unknown tenant id.
        (
            "api_token.created",
            "globex",
            serde_json::json!({}),
            "2023-01-01Z",
            None,
        ),
        (
            "invitation.created",
            "acme",
            serde_json::json!({ "tenant_id": null }),
            "2023-01-01Z",
            None,
        ),
        (
            "member.removed",
            "x",
            serde_json::json!({ "tenant_id": Uuid::now_v7() }),
            "2023-01-01Z",
            None,
        ),
        (
            "staff.deactivated",
            "acme",
            serde_json::json!({}),
            "2023-01-01Z",
            None,
        ),
    ];
    let mut ids = Vec::new();
    for (action, target, details, at, _) in &cases {
        let id: i64 = sqlx::query_scalar(
            "insert into audit_events (actor_label, action, target, details, at)
             values ('system', $1, $2, $3, $4::timestamptz) returning id",
        )
        .bind(action)
        .bind(target)
        .bind(details)
        .bind(at)
        .fetch_one(&db)
        .await
        .unwrap();
        ids.push(id);
    }

    all.run(&db).await.expect("the audit migration");
    for (id, (action, target, _, at, expected)) in ids.iter().zip(&cases) {
        let filed: Option<Uuid> =
            sqlx::query_scalar("select tenant_id from audit_events where id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(filed, *expected, "{action} {target} at {at}");
    }
    db.close().await;
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_base_url()))
        .await
        .unwrap();
    sqlx::query(&format!("drop database \"{name}\" with (force)"))
        .execute(&admin)
        .await
        .unwrap();
}
