//! The tenant console: resolution, status pages, and who may sign in where — each rule
//! from the side that must be refused.

use reqwest::StatusCode;
use tenantry::control::audit::{Actor, Origin};
use tenantry::tenancy::lifecycle::Action;

use crate::helpers::*;

#[tokio::test]
async fn a_member_signs_in_on_the_tenant_host_and_only_there() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("acme", "pooled").await;
    let globex = app.provisioned_tenant("globex", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;

    let at_acme = TenantClient::new(&app, &acme.slug);
    let login_page = at_acme.get("/login").await.text().await.unwrap();
    assert!(
        login_page.contains("Sign in to acme Inc"),
        "the tenant's name on its own login page"
    );
    let signed_in = at_acme.login("ada@acme.test", PASSWORD).await;
    assert_redirect_to(&signed_in, "/");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let dash = at_acme.get("/").await.text().await.unwrap();
    assert!(dash.contains("id=\"tenant-name\">acme Inc<") && dash.contains("id=\"access\">Admin<"));
    app.create_member("bob@acme.test", acme.id, "member").await;
    let members = at_acme.get("/members").await.text().await.unwrap();
    assert_eq!(members.matches("class=\"member-row\"").count(), 2);
    assert!(members.contains("bob@acme.test") && !members.contains("globex"));

    // The same identity has no membership at globex: the same answer as a wrong password.
    let at_globex = TenantClient::new(&app, &globex.slug);
    assert_eq!(
        at_globex.login("ada@acme.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Nor on the platform console: she is not staff.
    assert_eq!(
        app.login("ada@acme.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // acme's cookie replayed on globex's host (or the platform's) is no session there.
    let replay = at_globex
        .client
        .get(format!("{}/", at_globex.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_redirect_to(&replay, "/login?next=%2F");
    let replay_admin = app
        .client
        .get(app.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_redirect_to(&replay_admin, "/login?next=%2F");
}

#[tokio::test]
async fn unknown_and_deleted_tenants_get_the_same_404_and_statuses_get_their_pages() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("status", "pooled").await;
    let client = TenantClient::new(&app, &tenant.slug);
    assert_eq!(client.get("/login").await.status(), StatusCode::OK);

    // Suspension shows at once (the resolution cache is dropped on every change).
    app.transition(tenant.id, Action::Suspend, None)
        .await
        .unwrap();
    let suspended = client.get("/login").await;
    assert_eq!(suspended.status(), StatusCode::FORBIDDEN);
    let page = suspended.text().await.unwrap();
    assert!(page.contains("This workspace is suspended"), "{page}");
    assert!(
        !page.contains(&tenant.name),
        "anonymous visitors are not told whose it is"
    );

    app.transition(tenant.id, Action::Delete, None)
        .await
        .unwrap();
    let deleted = client.get("/login").await;
    assert_eq!(deleted.status(), StatusCode::NOT_FOUND);
    let deleted_body = deleted.text().await.unwrap();

    let unknown = TenantClient::new(&app, "no-such-tenant");
    let unknown = unknown.get("/login").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let strip = |s: &str| s.split("Request id").next().unwrap_or_default().to_owned();
    assert_eq!(
        strip(&unknown.text().await.unwrap()),
        strip(&deleted_body),
        "indistinguishable"
    );

    // A tenant still being set up.
    let slug = unique_slug("pending");
    let new = tenantry::tenancy::tenants::NewTenant {
        slug: &slug,
        name: "Soon",
        plan: "free",
        tier: None,
    };
    tenantry::tenancy::tenants::create(&app.db, new, None, &Actor::cli(), &Origin::default())
        .await
        .unwrap();
    let soon = TenantClient::new(&app, &slug).get("/login").await;
    assert_eq!(soon.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(soon.headers().get("retry-after").unwrap(), "5");
}

#[tokio::test]
async fn the_path_form_resolves_and_the_query_form_needs_dev_mode() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("pathy", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    let base = format!("http://localhost:{}", app.addr.port());
    let prefix = format!("/t/{}", tenant.slug);

    // Signed out, a page under the prefix sends to the sign-in page under the prefix…
    let r = app
        .client
        .get(format!("{base}{prefix}/members"))
        .send()
        .await
        .unwrap();
    assert_redirect_to(&r, &format!("{prefix}/login?next=%2Fmembers"));
    // …whose form signs in and comes back under the prefix.
    let html = app
        .client
        .get(format!("{base}{prefix}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&html).unwrap();
    let r = app
        .client
        .post(format!("{base}{prefix}/login"))
        .form(&[
            ("email", "ada@acme.test"),
            ("password", PASSWORD),
            ("csrf_token", &token),
            ("next", "/members"),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&r, &format!("{prefix}/members"));
    let members = app
        .client
        .get(format!("{base}{prefix}/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(members.status(), StatusCode::OK);
    assert!(
        members
            .text()
            .await
            .unwrap()
            .contains(&format!("href=\"{prefix}/members\"")),
        "links keep the prefix"
    );
    let r = app
        .client
        .get(format!("{base}/t/{}/login", tenant.slug))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"/t/{}/login\"", tenant.slug)),
        "links keep the prefix"
    );
    let r = app
        .client
        .get(format!("{base}/login?tenant={}", tenant.slug))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "?tenant= is off outside dev mode"
    );
    for bad in ["/t/UPPER/login", "/t/a%20b/login", "/t/../login"] {
        let r = app.client.get(format!("{base}{bad}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn staff_reach_tenant_consoles_by_role() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("staffed", "pooled").await;
    app.create_staff("sam@example.test", "support").await;
    app.create_staff("sue@example.test", "super_admin").await;
    let client = TenantClient::new(&app, &tenant.slug);

    assert_eq!(
        client.login("sue@example.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "not assigned"
    );
    // Staff who reach the tenant only by their platform role do not sign in with a
    // password here: they are told to open the console from the platform, with a reason.
    let direct = client.login("sam@example.test", PASSWORD).await;
    assert_eq!(direct.status(), StatusCode::FORBIDDEN);
    let page = direct.text().await.unwrap();
    assert!(page.contains("Open console"), "{page}");
    assert!(
        !client.get("/").await.status().is_success(),
        "not signed in"
    );

    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    for path in ["/", "/members", "/settings"] {
        let page = sam.get(path).await.text().await.unwrap();
        assert!(
            page.contains("id=\"viewing-as\"") && page.contains("as Support: read only"),
            "{path} says who is looking: {page}"
        );
    }
}

#[tokio::test]
async fn admins_edit_settings_and_the_branding_follows() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("brand", "pooled").await;
    app.create_member("ada@acme.test", tenant.id, "admin").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    let ada = TenantClient::new(&app, &tenant.slug);
    assert_redirect_to(&ada.login("ada@acme.test", PASSWORD).await, "/");
    let good = |color: &str, logo: &str| {
        vec![
            ("name", "Acme Corporation".to_owned()),
            ("timezone", "Europe/Paris".to_owned()),
            ("currency", "EUR".to_owned()),
            ("language", "fr".to_owned()),
            ("theme_color", color.to_owned()),
            ("logo_url", logo.to_owned()),
        ]
    };
    let saved = post_settings(&ada, good("#ff0000", "https://cdn.example.com/acme.png")).await;
    assert_redirect_to(&saved, "/settings");
    let page = ada.get("/settings").await.text().await.unwrap();
    assert!(
        page.contains("Settings saved."),
        "said once, after the redirect"
    );
    assert!(
        !ada.get("/settings")
            .await
            .text()
            .await
            .unwrap()
            .contains("Settings saved.")
    );
    let css = ada.get("/brand.css").await;
    assert_eq!(css.headers()["cache-control"], "private, no-cache");
    let etag = css.headers()["etag"].clone();
    let css = css.text().await.unwrap();
    assert!(
        css.contains("--brand:#ff0000") && css.contains("https://cdn.example.com/acme.png"),
        "{css}"
    );
    assert!(
        css.contains(".btn-primary{background-color:var(--brand)"),
        "{css}"
    );
    let unchanged = ada
        .client
        .get(format!("{}/brand.css", ada.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    // The name saved here is the tenant's one name: the header, the platform, the API.
    let name: String = sqlx::query_scalar("select name from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Acme Corporation");
    let dash = ada.get("/").await.text().await.unwrap();
    assert!(dash.contains("id=\"tenant-name\">Acme Corporation</span>"));

    // A time zone PostgreSQL does not know is refused, keeping what was typed — in
    // French now, the workspace's language.
    let mut mars = good("#ff0000", "");
    mars[1].1 = "Mars/Olympus".to_owned();
    let r = post_settings(&ada, mars).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choisissez un fuseau horaire dans la liste")
    );

    for (color, logo, message) in [
        ("red", "", "Utilisez une couleur comme #4f46e5."),
        (
            "#00ff00",
            "javascript:alert(1)",
            "Utilisez une adresse https://",
        ),
        (
            "#00ff00",
            "https://x.test/a\").png",
            "Utilisez une adresse https://",
        ),
    ] {
        let r = post_settings(&ada, good(color, logo)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
    assert!(
        ada.get("/brand.css")
            .await
            .text()
            .await
            .unwrap()
            .contains("--brand:#ff0000"),
        "refusals changed nothing"
    );

    let bob = TenantClient::new(&app, &tenant.slug);
    assert_redirect_to(&bob.login("bob@acme.test", PASSWORD).await, "/");
    assert_eq!(
        post_settings(&bob, good("#000000", "")).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn post_settings(
    client: &TenantClient,
    fields: Vec<(&'static str, String)>,
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post("/settings", &fields).await
}

#[tokio::test]
async fn open_console_hands_staff_over_once_with_a_recorded_reason() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("handoff", "pooled").await;
    app.login_as_new_owner("olga@example.test").await;
    let path = format!("/tenants/{}/open-console", tenant.slug);

    let no_reason = app.post_form(&path, &[("reason", "")]).await;
    assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post_form(&path, &[("reason", "Ticket 42: invoice question")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = r
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        link.starts_with(&format!(
            "http://{}.localhost:{}/handoff?token=",
            tenant.slug,
            app.addr.port()
        )),
        "{link}"
    );
    let handoff_path = link
        .split_once(&format!(":{}", app.addr.port()))
        .unwrap()
        .1
        .to_owned();

    let tenant_side = TenantClient::new(&app, &tenant.slug);
    assert_redirect_to(&tenant_side.get(&handoff_path).await, "/");
    let dash = tenant_side.get("/").await.text().await.unwrap();
    assert!(dash.contains("olga@example.test") && dash.contains("Enterprise admin"));

    // Single use: the same link from another browser is refused.
    let again = TenantClient::new(&app, &tenant.slug)
        .get(&handoff_path)
        .await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let forged = TenantClient::new(&app, &tenant.slug)
        .get("/handoff?token=forged")
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let reason: String = sqlx::query_scalar(
        "select details->>'reason' from audit_events where action = 'tenant.console_opened'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reason, "Ticket 42: invoice question");
    // The link's issue and the console's opening are two events: a link never
    // followed leaves no "opened".
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"tenant.console_link_issued".to_owned()));
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "tenant.console_opened")
            .count(),
        1
    );
}

#[tokio::test]
async fn owners_assign_super_admins_and_verify_custom_domains() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("domains", "pooled").await;
    app.create_staff("sue@example.test", "super_admin").await;
    app.login_as_new_owner("olga@example.test").await;
    let detail = format!("/tenants/{}", tenant.slug);

    let sue_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'sue@example.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let r = app
        .post_form(
            &format!("{detail}/assignments"),
            &[("user_id", &sue_id.to_string()), ("assigned", "1")],
        )
        .await;
    assert_redirect_to(&r, &detail);
    assert!(
        tenantry::tenancy::tenants::in_scope(&app.db, tenant.id, Some(sue_id))
            .await
            .unwrap()
    );

    for bad in [
        "not a domain",
        "x.localhost",
        "admin.localhost",
        "-bad-.example.com",
    ] {
        let r = app
            .post_form(&format!("{detail}/domains"), &[("domain", bad)])
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let domain = format!("{}.customer.test", tenant.slug);
    assert_redirect_to(
        &app.post_form(&format!("{detail}/domains"), &[("domain", &domain)])
            .await,
        &detail,
    );
    let page = app.get(&detail).await.text().await.unwrap();
    assert!(page.contains("waiting for DNS") && page.contains(&format!("TXT _tenantry.{domain}")));

    let custom = client_for_hosts(app.addr, Default::default(), &[&domain]);
    let url = format!("http://{domain}:{}/login", app.addr.port());
    assert_eq!(
        custom.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "not before verification"
    );
    let r = app
        .post_form(
            &format!("{detail}/domains/state"),
            &[("domain", &domain), ("verify", "1")],
        )
        .await;
    assert_redirect_to(&r, &detail);
    let served = custom.get(&url).send().await.unwrap();
    assert_eq!(
        served.status(),
        StatusCode::OK,
        "resolves once verified (caches dropped)"
    );
    assert!(
        served
            .text()
            .await
            .unwrap()
            .contains("Sign in to domains Inc")
    );

    // Support cannot manage either.
    app.post_form("/logout", &[]).await;
    app.create_staff("sam@example.test", "support").await;
    assert_redirect_to(&app.login("sam@example.test", PASSWORD).await, "/");
    let refused = app
        .post_form(
            &format!("{detail}/domains"),
            &[("domain", "other.customer.test")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_refused_member_can_always_sign_out() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("leave", "pooled").await;
    app.create_member("bob@acme.test", tenant.id, "member")
        .await;
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@acme.test").await;

    // Removed while signed in: every page is refused, and the refusal offers a way out
    // (not "the dashboard", which is the same refusal).
    sqlx::query("delete from memberships where tenant_id = $1")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .unwrap();
    let refused = poll_until(async || {
        let r = bob.get("/").await;
        (r.status() == StatusCode::FORBIDDEN).then_some(r)
    })
    .await;
    let page = refused.text().await.unwrap();
    assert!(page.contains("href=\"/logout\""), "{page}");
    assert!(!page.contains("Go to the dashboard"), "{page}");

    let sign_out = bob.get("/logout").await;
    assert_eq!(sign_out.status(), StatusCode::OK);
    assert!(
        sign_out
            .text()
            .await
            .unwrap()
            .contains("id=\"logout-form\"")
    );
    assert_redirect_to(&bob.post_from("/logout", "/logout", &[]).await, "/login");
    let after = bob.get("/logout").await.text().await.unwrap();
    assert!(after.contains("You are not signed in here."));

    // A suspended workspace still lets people leave.
    let ann = {
        app.create_member("ann@acme.test", tenant.id, "member")
            .await;
        TenantClient::signed_in(&app, &tenant.slug, "ann@acme.test").await
    };
    app.transition(tenant.id, Action::Suspend, None)
        .await
        .unwrap();
    let token = extract_csrf(&ann.get("/logout").await.text().await.unwrap()).expect("a form");
    let r = ann
        .client
        .post(format!("{}/logout", ann.base))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&r, "/login");
}
