//! Custom roles: the Roles page (create, edit, delete, refusals), and what a role opens
//! in the module pages (read, write, nothing), in invitations and in role changes.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TenantClient, TestApp, assert_redirect_to, mailed_link, path_of, spawn_app};

const PASSWORD_NEW: &str = "a long and new passphrase";

/// An active tenant with the CRM enabled and a signed-in admin.
async fn tenant_with_crm(app: &TestApp, prefix: &str) -> (Uuid, String, TenantClient) {
    let tenant = app.provisioned_tenant(prefix, "pooled").await;
    let admin = format!("admin@{}.test", tenant.slug);
    app.create_member(&admin, tenant.id, "admin").await;
    let client = TenantClient::signed_in(app, &tenant.slug, &admin).await;
    let enabled = client.post("/modules/crm/enable", &[]).await;
    assert_eq!(enabled.status(), StatusCode::SEE_OTHER);
    (tenant.id, tenant.slug, client)
}

async fn create_role(admin: &TenantClient, name: &str, crm: &str) -> reqwest::Response {
    admin
        .post(
            "/roles",
            &[("name", name), ("perm.crm", crm), ("perm.tasks", "")],
        )
        .await
}

async fn role_id(app: &TestApp, tenant: Uuid, name: &str) -> Uuid {
    sqlx::query_scalar("select id from tenant_roles where tenant_id = $1 and name = $2")
        .bind(tenant)
        .bind(name)
        .fetch_one(&app.db)
        .await
        .expect("role")
}

/// A member of `tenant` holding the custom role `role`, signed in.
async fn member_with_role(
    app: &TestApp,
    tenant: Uuid,
    slug: &str,
    email: &str,
    role: Uuid,
) -> TenantClient {
    app.create_member(email, tenant, "member").await;
    sqlx::query(
        "update memberships set role = 'custom', role_id = $3
         where tenant_id = $1 and user_id = (select id from users where email = $2)",
    )
    .bind(tenant)
    .bind(email)
    .bind(role)
    .execute(&app.db)
    .await
    .expect("role given");
    TenantClient::signed_in(app, slug, email).await
}

/// Posts as htmx would (the token in the form is as good as the header).
async fn htmx_post(
    client: &TenantClient,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = client.token("/").await;
    let mut body = fields.to_vec();
    body.push(("csrf_token", &token));
    client
        .client
        .post(format!("{}{path}", client.base))
        .header("hx-request", "true")
        .form(&body)
        .send()
        .await
        .expect("request")
}

async fn customers(app: &TestApp, tenant: Uuid) -> Vec<String> {
    let pool = app.tenancy.pool(tenant).await.expect("pool");
    let db = tenantry::modules::TenantDb::new(pool, true);
    let (rows, _) = tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 0, 100)
        .await
        .expect("list");
    rows.into_iter().map(|c| c.name).collect()
}

async fn body(r: reqwest::Response) -> String {
    r.text().await.expect("body")
}

#[tokio::test]
async fn an_admin_creates_edits_and_deletes_a_role() {
    let app = spawn_app().await;
    let (tenant, _, admin) = tenant_with_crm(&app, "roles").await;

    let dashboard = body(admin.get("/").await).await;
    assert!(dashboard.contains("href=\"/roles\""), "admins see Roles");

    let created = create_role(&admin, "  Sales ", "write").await;
    assert_redirect_to(&created, "/roles");
    let id = role_id(&app, tenant, "Sales").await;
    let page = body(admin.get("/roles").await).await;
    assert!(page.contains("Role created."));
    assert!(page.contains("data-name=\"Sales\"") && page.contains("CRM: write"));

    // The edit form comes alone for htmx, inside the page otherwise.
    let form = admin
        .client
        .get(format!("{}/roles/{id}", admin.base))
        .header("hx-request", "true")
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), StatusCode::OK);
    let form = body(form).await;
    assert!(form.contains("id=\"role-form\"") && !form.contains("<html"));
    assert!(form.contains("value=\"Sales\"") && form.contains("<option value=\"write\" selected>"));

    let saved = admin
        .post(
            &format!("/roles/{id}"),
            &[
                ("name", "Sales team"),
                ("perm.crm", "read"),
                ("perm.tasks", "write"),
            ],
        )
        .await;
    assert_redirect_to(&saved, "/roles");
    let (name, permissions): (String, serde_json::Value) =
        sqlx::query_as("select name, permissions from tenant_roles where id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .expect("role");
    assert_eq!(name, "Sales team");
    assert_eq!(
        permissions,
        serde_json::json!({ "crm": "read", "tasks": "write" })
    );

    // htmx deletes answer with a redirect header.
    let deleted = htmx_post(&admin, &format!("/roles/{id}/delete"), &[]).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        deleted
            .headers()
            .get("hx-redirect")
            .and_then(|v| v.to_str().ok()),
        Some("/roles")
    );
    assert_eq!(app.count("select count(*) from tenant_roles").await, 0);
    assert_eq!(
        admin.get(&format!("/roles/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let actions = app.audit_actions().await;
    for a in ["role.created", "role.updated", "role.deleted"] {
        assert!(actions.contains(&a.to_owned()), "{a} audited");
    }
    // They are the tenant's events, so its own log shows them.
    let log = body(admin.get("/audit").await).await;
    assert!(log.contains("role.updated"));
}

#[tokio::test]
async fn a_duplicate_name_is_refused_ignoring_case() {
    let app = spawn_app().await;
    let (tenant, _, admin) = tenant_with_crm(&app, "dupes").await;
    create_role(&admin, "Sales", "read").await;
    create_role(&admin, "Support desk", "read").await;

    let again = create_role(&admin, "SALES", "write").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(again).await;
    assert!(
        page.contains("There is already a role called “SALES”"),
        "{page}"
    );
    assert_eq!(app.count("select count(*) from tenant_roles").await, 2);

    // Renaming onto another role's name is refused too, and the form keeps the input.
    let desk = role_id(&app, tenant, "Support desk").await;
    let renamed = htmx_post(
        &admin,
        &format!("/roles/{desk}"),
        &[("name", "sales"), ("perm.crm", "write")],
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = body(renamed).await;
    assert!(form.contains("already a role called") && form.contains("value=\"sales\""));
    assert!(!form.contains("<html"), "htmx gets the form alone");
    let name: String = sqlx::query_scalar("select name from tenant_roles where id = $1")
        .bind(desk)
        .fetch_one(&app.db)
        .await
        .expect("role");
    assert_eq!(name, "Support desk");

    // Another tenant may use the same name.
    let other = app.provisioned_tenant("dupes2", "pooled").await;
    app.create_member("ada@other.test", other.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &other.slug, "ada@other.test").await;
    assert_redirect_to(&create_role(&ada, "Sales", "read").await, "/roles");
}

#[tokio::test]
async fn a_role_in_use_cannot_be_deleted_and_invitations_can_grant_it() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_crm(&app, "inuse").await;
    create_role(&admin, "Viewer", "read").await;
    let id = role_id(&app, tenant, "Viewer").await;
    let key = format!("role:{id}");

    // The members page offers the custom role, and an invitation can grant it.
    let members = body(admin.get("/members").await).await;
    assert!(members.contains(&format!("<option value=\"{key}\"")));
    let invited = admin
        .post(
            "/members/invite",
            &[("email", "vera@example.test"), ("role", &key)],
        )
        .await;
    assert_redirect_to(&invited, "/members");
    app.create_member("bob@example.test", tenant, "member")
        .await;
    let bob: Uuid = sqlx::query_scalar("select id from users where email = 'bob@example.test'")
        .fetch_one(&app.db)
        .await
        .expect("bob");
    let changed = admin
        .post(&format!("/members/{bob}/role"), &[("role", &key)])
        .await;
    assert_redirect_to(&changed, "/members");

    let refused = admin.post(&format!("/roles/{id}/delete"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = body(refused).await;
    assert!(
        page.contains("“Viewer” is still given to 1 member and 1 pending invitation"),
        "{page}"
    );
    let toast = htmx_post(&admin, &format!("/roles/{id}/delete"), &[]).await;
    assert_eq!(toast.status(), StatusCode::CONFLICT);
    assert!(body(toast).await.contains("still given to"));
    assert_eq!(app.count("select count(*) from tenant_roles").await, 1);
    let roles = body(admin.get("/roles").await).await;
    assert!(roles.contains("data-members=\"1\""));

    // The invitee joins with the role.
    let link = mailed_link(&app.db, "vera@example.test").await;
    assert!(link.starts_with(&format!("{}/invite?token=", app.config.tenant_url(&slug))));
    let guest = TenantClient::new(&app, &slug);
    let path = path_of(&link);
    let token = path.split_once("token=").map(|(_, t)| t).unwrap_or("");
    let accepted = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token),
                ("name", "Vera"),
                ("password", PASSWORD_NEW),
                ("password_confirm", PASSWORD_NEW),
            ],
        )
        .await;
    assert_redirect_to(&accepted, "/");
    let (role, role_id): (String, Option<Uuid>) = sqlx::query_as(
        "select m.role, m.role_id from memberships m join users u on u.id = m.user_id
         where u.email = 'vera@example.test' and m.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("membership");
    assert_eq!((role.as_str(), role_id), ("custom", Some(id)));
    let dashboard = body(guest.get("/").await).await;
    assert!(dashboard.contains("id=\"access\">Viewer<"));

    // Once nobody holds it, it goes.
    let vera: Uuid = sqlx::query_scalar("select id from users where email = 'vera@example.test'")
        .fetch_one(&app.db)
        .await
        .expect("vera");
    for user in [bob, vera] {
        admin
            .post(&format!("/members/{user}/role"), &[("role", "member")])
            .await;
    }
    let deleted = admin.post(&format!("/roles/{id}/delete"), &[]).await;
    assert_redirect_to(&deleted, "/roles");
    assert_eq!(app.count("select count(*) from tenant_roles").await, 0);
}

#[tokio::test]
async fn a_reading_role_sees_customers_but_changes_nothing() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_crm(&app, "reader").await;
    let made = admin
        .post(
            "/crm",
            &[("name", "Acme Widgets"), ("email", ""), ("status", "lead")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let customer = customers_id(&app, tenant).await;
    create_role(&admin, "Viewer", "read").await;
    let role = role_id(&app, tenant, "Viewer").await;
    let carol = member_with_role(&app, tenant, &slug, "carol@example.test", role).await;

    let list = body(carol.get("/crm").await).await;
    assert!(list.contains("Acme Widgets"));
    assert!(!list.contains("id=\"new-customer\""), "no create form");
    assert!(!list.contains("/edit\""), "no edit buttons");
    let page = body(carol.get(&format!("/crm/{customer}")).await).await;
    assert!(page.contains("Acme Widgets") && !page.contains("Delete customer"));
    assert!(
        page.contains("href=\"/crm\""),
        "the navigation links the CRM"
    );

    let writes: [(String, Vec<(&str, &str)>); 8] = [
        (
            "/crm".into(),
            vec![("name", "Sneaky"), ("email", ""), ("status", "lead")],
        ),
        (
            format!("/crm/{customer}"),
            vec![("name", "Renamed"), ("email", ""), ("status", "won")],
        ),
        (format!("/crm/{customer}/delete"), vec![]),
        (format!("/crm/{customer}/contacts"), vec![("name", "Eve")]),
        (format!("/crm/{customer}/contacts/1"), vec![("name", "Eve")]),
        (format!("/crm/{customer}/contacts/1/delete"), vec![]),
        (
            "/crm/bulk".to_owned(),
            vec![("ids", "1"), ("action", "delete")],
        ),
        (
            format!("/crm/{customer}/interactions"),
            vec![("kind", "note"), ("summary", "hi")],
        ),
    ];
    for (path, fields) in &writes {
        let r = carol.post(path, fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        carol.get(&format!("/crm/{customer}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        customers(&app, tenant).await,
        vec!["Acme Widgets".to_owned()]
    );
    let page = body(admin.get(&format!("/crm/{customer}")).await).await;
    assert!(page.contains("No contacts yet."));
}

async fn customers_id(app: &TestApp, tenant: Uuid) -> i64 {
    let pool = app.tenancy.pool(tenant).await.expect("pool");
    let db = tenantry::modules::TenantDb::new(pool, true);
    let (rows, _) = tenantry::modules::crm::list(&db, &tenantry::modules::crm::Search::ALL, 0, 1)
        .await
        .expect("list");
    rows.first().expect("a customer").id
}

#[tokio::test]
async fn a_writing_role_creates_and_an_edit_takes_effect_at_once() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_crm(&app, "writer").await;
    create_role(&admin, "Sales", "write").await;
    let role = role_id(&app, tenant, "Sales").await;
    let sid = member_with_role(&app, tenant, &slug, "sid@example.test", role).await;

    let list = body(sid.get("/crm").await).await;
    assert!(list.contains("id=\"new-customer\""));
    let made = sid
        .post(
            "/crm",
            &[("name", "Sid's lead"), ("email", ""), ("status", "lead")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    assert_eq!(customers(&app, tenant).await, vec!["Sid's lead".to_owned()]);
    // Writing in a module is not administering the tenant.
    assert_eq!(sid.get("/roles").await.status(), StatusCode::FORBIDDEN);

    // Down to read: the next request already refuses the write.
    admin
        .post(
            &format!("/roles/{role}"),
            &[("name", "Sales"), ("perm.crm", "read")],
        )
        .await;
    let refused = sid
        .post(
            "/crm",
            &[("name", "Another"), ("email", ""), ("status", "lead")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(customers(&app, tenant).await.len(), 1);
}

#[tokio::test]
async fn a_role_without_the_crm_does_not_see_it() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_crm(&app, "hidden").await;
    create_role(&admin, "Tasks only", "").await;
    let role = role_id(&app, tenant, "Tasks only").await;
    let tom = member_with_role(&app, tenant, &slug, "tom@example.test", role).await;

    let crm = tom.get("/crm").await;
    assert_eq!(crm.status(), StatusCode::FORBIDDEN);
    assert!(body(crm).await.contains("does not include the CRM"));
    assert_eq!(tom.get("/crm/1").await.status(), StatusCode::FORBIDDEN);
    let dashboard = body(tom.get("/").await).await;
    assert!(!dashboard.contains("href=\"/crm\""), "no CRM link");
    assert!(
        !dashboard.contains(">crm</li>"),
        "not among the modules shown"
    );
    assert!(
        !dashboard.contains("href=\"/roles\"") && !dashboard.contains("href=\"/audit\""),
        "no administration links"
    );
    assert_eq!(tom.get("/audit").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_role_of_another_tenant_is_refused_in_invitations_and_role_changes() {
    let app = spawn_app().await;
    let (tenant, _, admin) = tenant_with_crm(&app, "mine").await;
    let other = app.provisioned_tenant("theirs", "pooled").await;
    app.create_member("ada@theirs.test", other.id, "admin")
        .await;
    let ada = TenantClient::signed_in(&app, &other.slug, "ada@theirs.test").await;
    create_role(&ada, "Theirs", "admin").await;
    let theirs = role_id(&app, other.id, "Theirs").await;

    for key in [format!("role:{theirs}"), format!("role:{}", Uuid::now_v7())] {
        let r = admin
            .post(
                "/members/invite",
                &[("email", "eve@example.test"), ("role", &key)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body(r).await.contains("That role does not exist here."));
    }
    let invitations = app.count("select count(*) from invitations").await;
    let outbox = app.count("select count(*) from outbox").await;
    assert_eq!(
        (invitations, outbox),
        (0, 0),
        "nothing stored, nothing queued"
    );

    app.create_member("bob@example.test", tenant, "member")
        .await;
    let bob: Uuid = sqlx::query_scalar("select id from users where email = 'bob@example.test'")
        .fetch_one(&app.db)
        .await
        .expect("bob");
    let r = admin
        .post(
            &format!("/members/{bob}/role"),
            &[("role", &format!("role:{theirs}"))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(r).await.contains("That role does not exist here."));
    let role: String = sqlx::query_scalar("select role from memberships where user_id = $1")
        .bind(bob)
        .fetch_one(&app.db)
        .await
        .expect("membership");
    assert_eq!(role, "member");

    // Nor can its page be reached from here.
    assert_eq!(
        admin.get(&format!("/roles/{theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = admin
        .post(&format!("/roles/{theirs}"), &[("name", "Mine now")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        admin
            .post(&format!("/roles/{theirs}/delete"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(role_id(&app, other.id, "Theirs").await, theirs);
}

#[tokio::test]
async fn only_those_who_administer_the_tenant_manage_roles() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_crm(&app, "guarded").await;
    create_role(&admin, "Viewer", "read").await;
    let role = role_id(&app, tenant, "Viewer").await;
    app.create_member("bob@example.test", tenant, "member")
        .await;
    app.create_staff("sam@example.test", "support").await;
    let bob = TenantClient::signed_in(&app, &slug, "bob@example.test").await;
    let sam = TenantClient::opened_by_staff(&app, &slug, "sam@example.test").await;
    let vic = member_with_role(&app, tenant, &slug, "vic@example.test", role).await;

    for client in [&bob, &sam, &vic] {
        assert_eq!(client.get("/roles").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            client.get(&format!("/roles/{role}")).await.status(),
            StatusCode::FORBIDDEN
        );
        let r = create_role(client, "Mine", "admin").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = client
            .post(
                &format!("/roles/{role}"),
                &[("name", "Viewer"), ("perm.crm", "admin")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = client.post(&format!("/roles/{role}/delete"), &[]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(
            !body(client.get("/").await)
                .await
                .contains("href=\"/roles\"")
        );
    }
    let (count, permissions): (i64, serde_json::Value) =
        sqlx::query_as("select count(*) over (), permissions from tenant_roles")
            .fetch_one(&app.db)
            .await
            .expect("role");
    assert_eq!(
        (count, permissions),
        (1, serde_json::json!({ "crm": "read" }))
    );

    // Owners act for the tenant's admins.
    app.create_owner("olga@example.test").await;
    let olga = TenantClient::opened_by_staff(&app, &slug, "olga@example.test").await;
    assert_eq!(olga.get("/roles").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_role_input_gets_a_clear_message_and_stores_nothing() {
    let app = spawn_app().await;
    let (_, _, admin) = tenant_with_crm(&app, "badroles").await;
    let long = "x".repeat(10 * 1024);
    let cases: [(Vec<(&str, &str)>, &str); 6] = [
        (
            vec![("name", &long), ("perm.crm", "read")],
            "at most 60 characters",
        ),
        (
            vec![("name", "  "), ("perm.crm", "read")],
            "Give the role a name.",
        ),
        (vec![("name", "Two\nlines")], "one line of plain text"),
        (
            vec![("name", "Teleporters"), ("perm.teleport", "read")],
            "There is no module “teleport”.",
        ),
        (
            vec![("name", "Root"), ("perm.crm", "root")],
            "“root” is not a permission level for crm",
        ),
        (
            vec![("name", "Caps"), ("perm.crm", "WRITE")],
            "is not a permission level",
        ),
    ];
    for (fields, message) in &cases {
        let r = admin.post("/roles", fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let page = body(r).await;
        assert!(page.contains(message), "{message}: {page}");
        assert!(!page.contains(&long), "the long name is not echoed whole");
    }
    assert_eq!(app.count("select count(*) from tenant_roles").await, 0);
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a.starts_with("role."))
    );
    // A malformed id is not a role.
    assert_eq!(
        admin.get("/roles/not-a-uuid").await.status(),
        StatusCode::BAD_REQUEST
    );
}
