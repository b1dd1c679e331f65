//! Plans and plan changes: owners create, edit and delete plans (a plan in use is kept);
//! owners and assigned super admins change a tenant's plan and name, which apply on the
//! next request; a downgrade the tenant's use exceeds is refused naming what is over.
//! Every refusal leaves everything as it was.

use reqwest::StatusCode;

use crate::helpers::*;

fn plan_form<'a>(name: &'a str, users: &'a str, storage: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("max_users", users),
        ("max_storage", storage),
        ("max_api_calls", "50000"),
        ("max_rps", "20"),
        ("max_modules", "2"),
        ("pool_size", "3"),
        ("default_tier", "pooled"),
    ]
}

async fn plan_row(app: &TestApp, id: &str) -> Option<(String, Option<i32>, Option<i64>)> {
    sqlx::query_as("select name, max_users, max_storage_bytes from plans where id = $1")
        .bind(id)
        .fetch_optional(&app.db)
        .await
        .expect("plan")
}

#[tokio::test]
async fn owners_create_edit_and_delete_plans_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let page = app.get("/plans").await.text().await.expect("body");
    assert!(page.contains("href=\"/plans\""), "in the navigation");
    assert!(page.contains("data-plan=\"free\"") && page.contains("data-plan=\"enterprise\""));
    // Each plan says which modules it brings.
    let includes = |plan: &str| {
        let row = page
            .split_once(&format!("data-plan=\"{plan}\""))
            .expect("row")
            .1;
        let cell = row.split_once("plan-includes\">").expect("includes").1;
        cell.split('<').next().expect("text").to_owned()
    };
    assert_eq!(includes("free"), "CRM");
    assert_eq!(includes("pro"), "CRM, Tasks, Inventory, Billing");

    let r = app
        .post_form("/plans", &plan_form("Team", "20", "5 GiB"))
        .await;
    assert_redirect_to(&r, "/plans");
    let list = app.get("/plans").await.text().await.expect("body");
    assert!(list.contains("Plan Team created."), "a toast says so");
    assert!(list.contains("data-plan=\"team\"") && list.contains("5 GiB"));
    assert_eq!(
        plan_row(&app, "team").await,
        Some(("Team".into(), Some(20), Some(5 << 30)))
    );

    // Refused: negative, non-numeric, absurd, a name taken. Nothing is written.
    for (users, storage, name, says) in [
        ("-3", "1 GiB", "Bad", "Users must be between 1 and 1000000"),
        ("lots", "1 GiB", "Bad", "Users must be a whole number"),
        ("5", "900 PiB", "Bad", "Storage must be a size"),
        ("5", "1 GiB", "team", "A plan named “team” already exists."),
    ] {
        let r = app
            .post_form("/plans", &plan_form(name, users, storage))
            .await;
        assert!(r.status().is_client_error(), "{users} {storage} {name}");
        let html = r.text().await.expect("body");
        assert!(html.contains(says), "{says}: {html:.3000}");
        assert!(html.contains("Nothing was changed."));
    }
    assert_eq!(app.count("select count(*) from plans").await, 5);

    // Edit: the new limits are stored; a bad edit changes nothing.
    let r = app
        .post_form("/plans/team", &plan_form("Team", "25", ""))
        .await;
    assert_redirect_to(&r, "/plans");
    assert_eq!(
        plan_row(&app, "team").await,
        Some(("Team".into(), Some(25), None))
    );
    let r = app
        .post_form("/plans/team", &plan_form("Team", "0", ""))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        plan_row(&app, "team").await,
        Some(("Team".into(), Some(25), None))
    );

    // A plan in use is not deleted; an unused one is.
    app.provisioned_tenant_on_plan("inuse", "pooled", "team")
        .await;
    let r = app.post_form("/plans/team/delete", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("The Team plan is used by 1 tenant(s); move them to another plan first."),
        "{html:.3000}"
    );
    assert!(plan_row(&app, "team").await.is_some());
    let r = app.post_form("/plans", &plan_form("Spare", "", "")).await;
    assert_redirect_to(&r, "/plans");
    assert_redirect_to(&app.post_form("/plans/spare/delete", &[]).await, "/plans");
    assert!(plan_row(&app, "spare").await.is_none());

    let actions = app.audit_actions().await;
    for action in ["plan.created", "plan.updated", "plan.deleted"] {
        assert!(actions.contains(&action.to_owned()), "{action}");
    }
}

#[tokio::test]
async fn only_owners_manage_plans() {
    let app = spawn_app().await;
    app.create_staff("sue@example.test", "super_admin").await;
    app.create_staff("sam@example.test", "support").await;
    for email in ["sue@example.test", "sam@example.test"] {
        let client = TestApp::client_signed_in(&app, email).await;
        let r = client.get(app.url("/plans")).send().await.expect("request");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
        let r = app
            .post_as(&client, "/plans", &plan_form("Sneaky", "5", ""))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
    }
    assert!(plan_row(&app, "sneaky").await.is_none());
}

#[tokio::test]
async fn a_plan_change_applies_at_once_and_a_downgrade_over_use_is_refused() {
    let app = spawn_app().await;
    let tenant = app
        .provisioned_tenant_on_plan("move", "pooled", "pro")
        .await;
    for who in ["a", "b", "c", "d"] {
        app.create_member(&format!("{who}@move.test"), tenant.id, "admin")
            .await;
    }
    app.login_as_new_owner("owner@example.test").await;
    let path = format!("/tenants/{}/plan", tenant.slug);

    // Free allows 3 users: 4 members are over it. Refused, named, nothing changed.
    let r = app
        .post_form(&path, &[("plan", "free"), ("name", "Renamed Inc")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(
        html.contains(
            "move Inc is over the Free plan&#39;s limits: 4 users and pending invitations, 3 allowed."
        ),
        "{}",
        html.split_once("plan-error").map(|(_, r)| &r[..300.min(r.len())]).unwrap_or("no plan-error")
    );
    let stored: (String, String) =
        sqlx::query_as("select plan_id, name from tenants where id = $1")
            .bind(tenant.id)
            .fetch_one(&app.db)
            .await
            .expect("tenant");
    assert_eq!(stored, ("pro".into(), "move Inc".into()));
    assert!(
        html.contains(r#"name="allow_over""#),
        "after the refusal, the form offers to apply the plan anyway"
    );

    // Bad input: an unknown plan, an empty name.
    for (plan, name, says) in [
        ("gold", "X", "There is no plan “gold”."),
        ("starter", "  ", "Enter a name of 1 to 200 characters"),
    ] {
        let r = app
            .post_form(&path, &[("plan", plan), ("name", name)])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{plan}");
        assert!(r.text().await.expect("body").contains(says), "{says}");
    }

    // Starter (10 users) fits: applied with the new name, audited, seen by the tenant.
    let ada = TenantClient::signed_in(&app, &tenant.slug, "a@move.test").await;
    let r = app
        .post_form(&path, &[("plan", "starter"), ("name", "Moved Corp")])
        .await;
    assert_redirect_to(&r, &format!("/tenants/{}", tenant.slug));
    let page = app
        .get(&format!("/tenants/{}", tenant.slug))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("Plan and name saved"));
    let stored: (String, String) =
        sqlx::query_as("select plan_id, name from tenants where id = $1")
            .bind(tenant.id)
            .fetch_one(&app.db)
            .await
            .expect("tenant");
    assert_eq!(stored, ("starter".into(), "Moved Corp".into()));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"tenant.plan_changed".to_owned()));
    assert!(actions.contains(&"tenant.renamed".to_owned()));
    let usage = poll_until(async || {
        let html = ada.get("/usage").await.text().await.ok()?;
        (html.contains("Moved Corp") && html.contains("Starter")).then_some(html)
    })
    .await;
    assert!(usage.contains("<svg"), "the usage page has charts");

    // Confirmed, the downgrade applies although 4 users are over Free's 3; the audit
    // event records the excess.
    let r = app
        .post_form(
            &path,
            &[
                ("plan", "free"),
                ("name", "Moved Corp"),
                ("allow_over", "1"),
            ],
        )
        .await;
    assert_redirect_to(&r, &format!("/tenants/{}", tenant.slug));
    let (plan, over): (String, serde_json::Value) = sqlx::query_as(
        "select t.plan_id, e.details->'over_limits' from tenants t, audit_events e
         where t.id = $1 and e.action = 'tenant.plan_changed' order by e.id desc limit 1",
    )
    .bind(tenant.id)
    .fetch_one(&app.db)
    .await
    .expect("plan and audit");
    assert_eq!(plan, "free");
    assert_eq!(
        over,
        serde_json::json!(["4 users and pending invitations, 3 allowed"])
    );
}

#[tokio::test]
async fn super_admins_change_plans_of_their_tenants_only_and_support_none() {
    let app = spawn_app().await;
    let mine = app
        .provisioned_tenant_on_plan("mine", "pooled", "free")
        .await;
    let other = app
        .provisioned_tenant_on_plan("other", "pooled", "free")
        .await;
    app.create_staff("sue@example.test", "super_admin").await;
    app.create_staff("sam@example.test", "support").await;
    sqlx::query(
        "insert into staff_assignments (user_id, tenant_id) select id, $1 from users where email = 'sue@example.test'",
    )
    .bind(mine.id)
    .execute(&app.db)
    .await
    .expect("assigned");
    let sue = TestApp::client_signed_in(&app, "sue@example.test").await;
    let form = [("plan", "pro"), ("name", "Mine Inc")];
    let r = app
        .post_as(&sue, &format!("/tenants/{}/plan", mine.slug), &form)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_as(&sue, &format!("/tenants/{}/plan", other.slug), &form)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not hers: not even seen");
    let sam = TestApp::client_signed_in(&app, "sam@example.test").await;
    let r = app
        .post_as(&sam, &format!("/tenants/{}/plan", other.slug), &form)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let plans: Vec<String> = sqlx::query_scalar("select plan_id from tenants order by slug")
        .fetch_all(&app.db)
        .await
        .expect("plans");
    assert_eq!(plans, ["pro", "free"]);
}

fn tenantry(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(args)
        .args([
            "--database-url",
            &app.db_url,
            "--master-key",
            TEST_MASTER_KEY,
        ])
        .output()
        .expect("run tenantry");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_lists_creates_updates_plans_and_moves_tenants() {
    let app = spawn_app().await;
    let (ok, out, err) = tenantry(&app, &["plans", "list", "--json"]);
    assert!(ok, "{err}");
    let plans: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(plans.as_array().map(Vec::len), Some(4));
    assert_eq!(plans[0]["id"], "free");
    assert_eq!(plans[0]["max_requests_per_second"], 20);

    let (ok, out, err) = tenantry(
        &app,
        &[
            "plans",
            "create",
            "--name",
            "Team",
            "--max-users",
            "2",
            "--max-storage",
            "2GiB",
            "--max-rps",
            "5",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created plan team (Team)"));
    let (ok, _, err) = tenantry(
        &app,
        &["plans", "update", "--name", "team", "--max-users", "-4"],
    );
    assert!(!ok);
    assert!(
        err.contains("--max-users: Users must be between 1 and 1000000"),
        "{err}"
    );
    let (ok, _, err) = tenantry(
        &app,
        &[
            "plans",
            "update",
            "--name",
            "team",
            "--max-api-calls",
            "many",
        ],
    );
    assert!(!ok && err.contains("--max-api-calls:"), "{err}");
    assert_eq!(
        plan_row(&app, "team").await,
        Some(("Team".into(), Some(2), Some(2 << 30)))
    );
    let (ok, _, err) = tenantry(
        &app,
        &[
            "plans",
            "update",
            "--name",
            "Team",
            "--max-users",
            "unlimited",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        plan_row(&app, "team").await,
        Some(("Team".into(), None, Some(2 << 30)))
    );

    let tenant = app
        .provisioned_tenant_on_plan("cli", "pooled", "free")
        .await;
    for who in ["a", "b"] {
        app.create_member(&format!("{who}@cli.test"), tenant.id, "member")
            .await;
    }
    let slug = tenant.slug.as_str();
    let (ok, out, err) = tenantry(
        &app,
        &[
            "tenants", "update", "--slug", slug, "--plan", "team", "--name", "Cli Corp",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("plan team, name “Cli Corp”"), "{out}");
    let (ok, _, err) = tenantry(&app, &["plans", "delete", "--name", "team"]);
    assert!(
        !ok && err.contains("The Team plan is used by 1 tenant(s)"),
        "{err}"
    );
    // A downgrade over use: 2 members, a plan of 1 user.
    tenantry(
        &app,
        &["plans", "create", "--name", "Solo", "--max-users", "1"],
    );
    let (ok, _, err) = tenantry(
        &app,
        &["tenants", "update", "--slug", slug, "--plan", "solo"],
    );
    assert!(!ok);
    assert!(
        err.contains("--plan: Cli Corp is over the Solo plan's limits: 2 users and pending invitations, 1 allowed. (--allow-over applies it anyway)"),
        "{err}"
    );
    let (ok, _, err) = tenantry(
        &app,
        &["tenants", "update", "--slug", slug, "--plan", "nope"],
    );
    assert!(!ok && err.contains("There is no plan “nope”."), "{err}");
    let plan: String = sqlx::query_scalar("select plan_id from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .expect("plan");
    assert_eq!(plan, "team");
    // Confirmed, the downgrade over use applies.
    let (ok, out, err) = tenantry(
        &app,
        &[
            "tenants",
            "update",
            "--slug",
            slug,
            "--plan",
            "solo",
            "--allow-over",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("plan solo"), "{out}");
}
