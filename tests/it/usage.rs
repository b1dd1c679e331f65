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
    assert!(html.contains("2 members and 1 pending invitations"));
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
