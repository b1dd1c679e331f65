//! Invitations and people management: inviting from the tenant console, accepting on the
//! tenant's host (new person, existing identity), closed links, resend/revoke, roles,
//! the last admin, the plan's user limit, staff invitations, onboarding, and bad input.

use reqwest::StatusCode;

use crate::helpers::{
    PASSWORD, TenantClient, TestApp, assert_redirect_to, mailed_link, path_of, spawn_app,
};

const NEW_PASSWORD: &str = "a long and new passphrase";

/// An active tenant with a signed-in admin.
async fn tenant_with_admin(app: &TestApp, plan: &str) -> (uuid::Uuid, String, TenantClient) {
    let tenant = app.provisioned_tenant_on_plan("inv", "pooled", plan).await;
    let admin = format!("admin@{}.test", tenant.slug);
    app.create_member(&admin, tenant.id, "admin").await;
    let client = TenantClient::signed_in(app, &tenant.slug, &admin).await;
    (tenant.id, tenant.slug, client)
}

async fn invite(admin: &TenantClient, email: &str, role: &str) -> reqwest::Response {
    admin
        .post("/members/invite", &[("email", email), ("role", role)])
        .await
}

/// Accepts as a new person from a fresh browser; returns that browser.
async fn accept_as_new(app: &TestApp, slug: &str, link: &str) -> (TenantClient, reqwest::Response) {
    let guest = TenantClient::new(app, slug);
    let path = path_of(link);
    let token = path.split_once("token=").map(|(_, t)| t).unwrap_or("");
    let page = guest.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let response = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token),
                ("name", "Grace Hopper"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    (guest, response)
}

fn token_of(link: &str) -> &str {
    link.split_once("token=").map(|(_, t)| t).unwrap_or("")
}

#[tokio::test]
async fn an_invited_person_joins_and_lands_signed_in_on_the_tenant() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_admin(&app, "pro").await;

    let response = invite(&admin, "grace@example.test", "member").await;
    assert_redirect_to(&response, "/members");
    let link = mailed_link(&app.db, "grace@example.test").await;
    assert!(link.starts_with(&format!(
        "http://{slug}.localhost:{}/invite?token=",
        app.addr.port()
    )));
    assert!(link.starts_with(&app.config.tenant_url(&slug)));
    // Only the hash is stored.
    let stored: Vec<u8> =
        sqlx::query_scalar("select token_hash from invitations where email = 'grace@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("row");
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(token_of(&link)));

    let (guest, accepted) = accept_as_new(&app, &slug, &link).await;
    assert_redirect_to(&accepted, "/");
    let dashboard = guest.get("/").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.expect("body");
    assert!(
        html.contains("grace@example.test"),
        "signed in as the new member"
    );

    let role: String = sqlx::query_scalar(
        "select m.role from memberships m join users u on u.id = m.user_id where u.email = 'grace@example.test' and m.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("membership");
    assert_eq!(role, "member");
    let members = admin.get("/members").await.text().await.expect("body");
    assert!(members.contains("data-status=\"accepted\""));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"invitation.created".to_owned()));
    assert!(actions.contains(&"invitation.accepted".to_owned()));

    // The link works once.
    let again = TenantClient::new(&app, &slug);
    let reused = again.get(&path_of(&link)).await;
    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(
        reused
            .text()
            .await
            .expect("body")
            .contains("already been used")
    );
}

#[tokio::test]
async fn closed_links_each_get_a_clear_page_and_reveal_no_members() {
    let app = spawn_app().await;
    let (_, slug, admin) = tenant_with_admin(&app, "pro").await;
    let guest = TenantClient::new(&app, &slug);

    let unknown = guest.get("/invite?token=not-a-real-token").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body = unknown.text().await.expect("body");
    assert!(body.contains("not valid"));
    assert!(!body.contains("admin@"), "no member is named");

    invite(&admin, "late@example.test", "member").await;
    let link = mailed_link(&app.db, "late@example.test").await;
    sqlx::query("update invitations set expires_at = now() - interval '1 minute' where email = 'late@example.test'")
        .execute(&app.db)
        .await
        .expect("expire");
    let expired = guest.get(&path_of(&link)).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    let body = expired.text().await.expect("body");
    assert!(body.contains("expired"));
    assert!(!body.contains("admin@"));
    // Posting to an expired link creates nobody.
    let post = guest
        .post_from(
            "/login",
            "/invite",
            &[
                ("token", token_of(&link)),
                ("name", "Late"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(post.status(), StatusCode::GONE);
    let users = app
        .count("select count(*) from users where email = 'late@example.test'")
        .await;
    assert_eq!(users, 0);

    invite(&admin, "gone@example.test", "member").await;
    let link = mailed_link(&app.db, "gone@example.test").await;
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from invitations where email = 'gone@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");
    let revoked = admin.post(&format!("/invitations/{id}/revoke"), &[]).await;
    assert_redirect_to(&revoked, "/members");
    let page = guest.get(&path_of(&link)).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.expect("body").contains("withdrawn"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"invitation.revoked".to_owned())
    );
}

#[tokio::test]
async fn resending_replaces_the_link() {
    let app = spawn_app().await;
    let (_, slug, admin) = tenant_with_admin(&app, "pro").await;
    invite(&admin, "twice@example.test", "member").await;
    let first = mailed_link(&app.db, "twice@example.test").await;
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from invitations where email = 'twice@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");
    let resent = admin.post(&format!("/invitations/{id}/resend"), &[]).await;
    assert_redirect_to(&resent, "/members");
    let second = mailed_link(&app.db, "twice@example.test").await;
    assert_ne!(first, second);

    let guest = TenantClient::new(&app, &slug);
    assert_eq!(
        guest.get(&path_of(&first)).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, accepted) = accept_as_new(&app, &slug, &second).await;
    assert_redirect_to(&accepted, "/");
}

#[tokio::test]
async fn an_existing_identity_signs_in_to_accept_and_the_email_must_match() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_admin(&app, "pro").await;
    // Ada already belongs to another tenant.
    let other = app.provisioned_tenant("other", "pooled").await;
    app.create_member("ada@example.test", other.id, "member")
        .await;
    app.create_member("eve@example.test", other.id, "member")
        .await;

    invite(&admin, "ada@example.test", "admin").await;
    let link = mailed_link(&app.db, "ada@example.test").await;
    let path = path_of(&link);
    let guest = TenantClient::new(&app, &slug);
    let page = guest.get(&path).await.text().await.expect("body");
    assert!(page.contains("sign in to accept"));

    // Someone else's valid credentials do not take Ada's invitation.
    let wrong = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token_of(&link)),
                ("email", "eve@example.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(
        wrong
            .text()
            .await
            .expect("body")
            .contains("different email address")
    );
    let eve_member: i64 = sqlx::query_scalar(
        "select count(*) from memberships m join users u on u.id = m.user_id where u.email = 'eve@example.test' and m.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(eve_member, 0);

    // A wrong password is a plain sign-in failure.
    let bad = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token_of(&link)),
                ("email", "ada@example.test"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    let ok = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token_of(&link)),
                ("email", "ada@example.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&ok, "/");
    assert_eq!(guest.get("/").await.status(), StatusCode::OK);
    let role: String = sqlx::query_scalar(
        "select m.role from memberships m join users u on u.id = m.user_id where u.email = 'ada@example.test' and m.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("membership");
    assert_eq!(role, "admin");
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let app = spawn_app().await;
    let (tenant, _, admin) = tenant_with_admin(&app, "pro").await;
    let admin_id: uuid::Uuid = sqlx::query_scalar(
        "select user_id from memberships where tenant_id = $1 and role = 'admin'",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("admin");

    let demote = admin
        .post(&format!("/members/{admin_id}/role"), &[("role", "member")])
        .await;
    assert_eq!(demote.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(demote.text().await.expect("body").contains("last admin"));
    let remove = admin
        .post(&format!("/members/{admin_id}/remove"), &[])
        .await;
    assert_eq!(remove.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let still: String =
        sqlx::query_scalar("select role from memberships where tenant_id = $1 and user_id = $2")
            .bind(tenant)
            .bind(admin_id)
            .fetch_one(&app.db)
            .await
            .expect("still there");
    assert_eq!(still, "admin");

    // With a second admin, the first may step down, and a member may be removed.
    app.create_member("second@example.test", tenant, "admin")
        .await;
    app.create_member("member@example.test", tenant, "member")
        .await;
    let member_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'member@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");
    assert_redirect_to(
        &admin
            .post(&format!("/members/{member_id}/remove"), &[])
            .await,
        "/members",
    );
    assert_redirect_to(
        &admin
            .post(&format!("/members/{admin_id}/role"), &[("role", "member")])
            .await,
        "/members",
    );
    // Now a plain member: managing people is refused.
    let refused = admin
        .post(&format!("/members/{member_id}/remove"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"member.removed".to_owned()));
    assert!(actions.contains(&"member.role_changed".to_owned()));
}

#[tokio::test]
async fn the_plans_user_limit_and_existing_members_are_refused_clearly() {
    let app = spawn_app().await;
    // Free: 3 users. The admin is one.
    let (tenant, _, admin) = tenant_with_admin(&app, "free").await;
    app.create_member("already@example.test", tenant, "member")
        .await;

    let dup = invite(&admin, "Already@Example.test", "member").await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text().await.expect("body").contains("already a member"));

    assert_redirect_to(
        &invite(&admin, "third@example.test", "member").await,
        "/members",
    );
    let again = invite(&admin, "third@example.test", "member").await;
    assert!(
        again
            .text()
            .await
            .expect("body")
            .contains("already has a pending invitation")
    );

    let over = invite(&admin, "fourth@example.test", "member").await;
    assert_eq!(over.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = over.text().await.expect("body");
    assert!(body.contains("The Free plan allows 3 users"), "{body}");
    let fourth = app
        .count("select count(*) from invitations where email = 'fourth@example.test'")
        .await;
    assert_eq!(fourth, 0);
}

#[tokio::test]
async fn bad_invitations_are_refused_and_nothing_is_stored_or_sent() {
    let app = spawn_app().await;
    let (_, slug, admin) = tenant_with_admin(&app, "pro").await;
    let long = format!("{}@example.test", "a".repeat(10_000));
    let cases: &[(&str, &str)] = &[
        ("not-an-email", "member"),
        ("eve@example.test\r\nBcc: x@evil.test", "member"),
        ("eve@example.test\nSubject: hi", "member"),
        (&long, "member"),
        ("eve@example.test", "owner"),
        ("eve@example.test", "support"),
        (
            "eve@example.test",
            "role:00000000-0000-0000-0000-000000000000",
        ),
        ("eve@example.test", "role:garbage"),
    ];
    for (email, role) in cases {
        let response = invite(&admin, email, role).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email:.40} / {role}"
        );
        let body = response.text().await.expect("body");
        assert!(body.contains("The invitation was not sent."), "{body:.200}");
    }
    assert_eq!(app.count("select count(*) from invitations").await, 0);
    assert_eq!(app.count("select count(*) from outbox").await, 0);

    // A new person's name: 10 kB, or with CR/LF, is refused; nobody is created.
    invite(&admin, "name@example.test", "member").await;
    let link = mailed_link(&app.db, "name@example.test").await;
    let path = path_of(&link);
    let guest = TenantClient::new(&app, &slug);
    for name in ["x".repeat(10_240), "Grace\r\nHopper".into(), String::new()] {
        let response = guest
            .post_from(
                &path,
                "/invite",
                &[
                    ("token", token_of(&link)),
                    ("name", &name),
                    ("password", NEW_PASSWORD),
                    ("password_confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let weak = guest
        .post_from(
            &path,
            "/invite",
            &[
                ("token", token_of(&link)),
                ("name", "Grace"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let users = app
        .count("select count(*) from users where email = 'name@example.test'")
        .await;
    assert_eq!(users, 0);
}

#[tokio::test]
async fn only_those_who_administer_the_tenant_manage_its_people() {
    let app = spawn_app().await;
    let (tenant, slug, admin) = tenant_with_admin(&app, "pro").await;
    invite(&admin, "pending@example.test", "member").await;
    let invitation: uuid::Uuid =
        sqlx::query_scalar("select id from invitations where email = 'pending@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");

    // A member sees the members, not the invitations, and may change nothing.
    app.create_member("plain@example.test", tenant, "member")
        .await;
    let member = TenantClient::signed_in(&app, &slug, "plain@example.test").await;
    let page = member.get("/members").await.text().await.expect("body");
    assert!(!page.contains("pending@example.test"));
    assert!(!page.contains("invite-form"));
    assert_eq!(
        invite(&member, "x@example.test", "member").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .post(&format!("/invitations/{invitation}/revoke"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Support reads but cannot invite.
    app.create_staff("support@example.test", "support").await;
    let support = TenantClient::opened_by_staff(&app, &slug, "support@example.test").await;
    assert!(
        support
            .get("/members")
            .await
            .text()
            .await
            .expect("body")
            .contains("pending@example.test")
    );
    assert_eq!(
        invite(&support, "y@example.test", "member").await.status(),
        StatusCode::FORBIDDEN
    );

    // Another tenant's admin cannot touch this tenant's invitation from their own host.
    let (_, _, stranger) = tenant_with_admin(&app, "pro").await;
    let foreign = stranger
        .post(&format!("/invitations/{invitation}/revoke"), &[])
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let status: String = sqlx::query_scalar("select status from invitations where id = $1")
        .bind(invitation)
        .fetch_one(&app.db)
        .await
        .expect("status");
    assert_eq!(status, "pending");

    // A tenant's invitation link is unknown on another tenant's host.
    let link = mailed_link(&app.db, "pending@example.test").await;
    let (_, other_slug, _) = tenant_with_admin(&app, "pro").await;
    let elsewhere = TenantClient::new(&app, &other_slug)
        .get(&path_of(&link))
        .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn owners_invite_staff_who_accept_on_the_platform_host_and_can_be_deactivated() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let response = app
        .post_form(
            "/staff/invite",
            &[("email", "helper@example.test"), ("role", "support")],
        )
        .await;
    assert_redirect_to(&response, "/staff");
    let link = mailed_link(&app.db, "helper@example.test").await;
    assert!(link.starts_with(&app.url("/invite?token=")));

    // The new staff member accepts in their own browser on the platform host.
    let browser = crate::helpers::client_for(
        app.addr,
        std::sync::Arc::new(reqwest::cookie::Jar::default()),
    );
    let page = browser
        .get(app.url(&path_of(&link)))
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("body");
    let csrf = crate::helpers::extract_csrf(&html).expect("token");
    let accepted = browser
        .post(app.url("/invite"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token_of(&link)),
            ("name", "Helpful Person"),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .expect("accept");
    assert_redirect_to(&accepted, "/");
    let dashboard = browser.get(app.url("/")).send().await.expect("dashboard");
    assert_eq!(dashboard.status(), StatusCode::OK);
    let role: Option<String> =
        sqlx::query_scalar("select platform_role from users where email = 'helper@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("user");
    assert_eq!(role.as_deref(), Some("support"));

    // Support may not manage staff.
    let refused = browser.get(app.url("/staff")).send().await.expect("staff");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Deactivation ends their session at once.
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'helper@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");
    let done = app
        .post_form(&format!("/staff/{id}/status"), &[("active", "false")])
        .await;
    assert_redirect_to(&done, "/staff");
    let after = browser.get(app.url("/")).send().await.expect("dashboard");
    assert!(
        after.status().is_redirection(),
        "sent to sign-in: {}",
        after.status()
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"staff.deactivated".to_owned())
    );

    // An owner cannot deactivate themselves (the last owner), and owners are never invited.
    let me: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'owner@example.test'")
            .fetch_one(&app.db)
            .await
            .expect("id");
    let own = app
        .post_form(&format!("/staff/{me}/status"), &[("active", "false")])
        .await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_role = app
        .post_form(
            "/staff/invite",
            &[("email", "boss@example.test"), ("role", "emperor")],
        )
        .await;
    assert_eq!(unknown_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let staff_invites = app
        .count("select count(*) from invitations where email = 'boss@example.test'")
        .await;
    assert_eq!(staff_invites, 0);
}

#[tokio::test]
async fn super_admins_and_support_cannot_manage_staff() {
    let app = spawn_app().await;
    app.create_staff("super@example.test", "super_admin").await;
    let response = app.login("super@example.test", PASSWORD).await;
    assert_redirect_to(&response, "/");
    assert_eq!(app.get("/staff").await.status(), StatusCode::FORBIDDEN);
    let invite = app
        .post_form(
            "/staff/invite",
            &[("email", "x@example.test"), ("role", "support")],
        )
        .await;
    assert_eq!(invite.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("select count(*) from invitations").await, 0);
}

#[tokio::test]
async fn a_new_tenants_first_admin_is_invited_once_it_is_active_and_onboarding_follows() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let slug = crate::helpers::unique_slug("onb");
    let bad = app
        .post_form(
            "/tenants",
            &[
                ("slug", &slug),
                ("name", "Onboard Inc"),
                ("plan", "pro"),
                ("tier", "pooled"),
                ("first_admin_email", "nope\r\nBcc: x@evil.test"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let tenants: i64 = sqlx::query_scalar("select count(*) from tenants where slug = $1")
        .bind(&slug)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(tenants, 0, "a refused first admin creates no tenant");

    let created = app
        .post_form(
            "/tenants",
            &[
                ("slug", &slug),
                ("name", "Onboard Inc"),
                ("plan", "pro"),
                ("tier", "pooled"),
                ("first_admin_email", "first@example.test"),
            ],
        )
        .await;
    assert_redirect_to(&created, &format!("/tenants/{slug}"));
    let (tenant, held): (uuid::Uuid, Option<uuid::Uuid>) = sqlx::query_as(
        "select t.id, o.tenant_id from tenants t join outbox o on o.tenant_id = t.id where t.slug = $1",
    )
    .bind(&slug)
    .fetch_one(&app.db)
    .await
    .expect("the invitation waits in the outbox");
    assert_eq!(held, Some(tenant));
    app.tenancy
        .settle(tenant, std::time::Duration::from_secs(60))
        .await
        .expect("settled");

    let link = mailed_link(&app.db, "first@example.test").await;
    let (admin, accepted) = accept_as_new(&app, &slug, &link).await;
    assert_redirect_to(&accepted, "/");
    let dashboard = admin.get("/").await.text().await.expect("body");
    assert!(dashboard.contains("id=\"onboarding\""));
    // Pro includes Billing, so billing details are a step.
    assert!(dashboard.contains("0 of 4 done"), "{dashboard:.3000}");

    // Saving the profile and inviting someone tick their steps.
    let settings = admin
        .post(
            "/settings",
            &[
                ("name", "Onboard Inc"),
                ("timezone", "Europe/Paris"),
                ("currency", "EUR"),
                ("language", "fr"),
                ("logo_url", ""),
                ("theme_color", "#336699"),
            ],
        )
        .await;
    assert_redirect_to(&settings, "/settings");
    invite(&admin, "colleague@example.test", "member").await;
    let dashboard = admin.get("/").await.text().await.expect("body");
    let checklist = dashboard
        .split_once("id=\"onboarding\"")
        .map_or("", |(_, rest)| rest);
    // The profile made French the workspace's language: the checklist reads French.
    assert!(dashboard.contains("2 sur 4 terminées"), "{checklist:.3000}");

    // The platform's tenant list shows the progress.
    let list = app
        .get(&format!("/tenants?q={slug}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(list.contains("2/4"), "{list:.3000}");
}

#[tokio::test]
async fn an_owner_invites_another_enterprise_admin_who_can_then_manage_staff() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let response = app
        .post_form(
            "/staff/invite",
            &[("email", "second@example.test"), ("role", "owner")],
        )
        .await;
    assert_redirect_to(&response, "/staff");
    let staff = app.get("/staff").await.text().await.unwrap();
    assert!(
        staff.contains("Enterprise admin"),
        "the pending invitation names the role"
    );

    let link = mailed_link(&app.db, "second@example.test").await;
    let browser = crate::helpers::client_for(
        app.addr,
        std::sync::Arc::new(reqwest::cookie::Jar::default()),
    );
    let html = browser
        .get(app.url(&path_of(&link)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    let csrf = crate::helpers::extract_csrf(&html).expect("token");
    let accepted = browser
        .post(app.url("/invite"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token_of(&link)),
            ("name", "Second Owner"),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .expect("accept");
    assert_redirect_to(&accepted, "/");
    let role: String =
        sqlx::query_scalar("select platform_role from users where email = 'second@example.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(role, "owner");
    // She manages staff now: the Staff page is hers.
    let page = browser.get(app.url("/staff")).send().await.expect("staff");
    assert_eq!(page.status(), StatusCode::OK);

    // A super admin cannot invite anyone, an enterprise admin least of all.
    app.create_staff("sue@example.test", "super_admin").await;
    let sue = TestApp::client_signed_in(&app, "sue@example.test").await;
    let refused = app
        .post_as(
            &sue,
            "/staff/invite",
            &[("email", "third@example.test"), ("role", "owner")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("select count(*) from invitations where lower(email) = 'third@example.test'")
            .await,
        0
    );
}
