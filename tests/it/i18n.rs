//! The console's language: a tenant's Settings make French the default for its people,
//! each person may choose their own (kept on their user, audited), numbers follow the
//! language, and a language we have no texts for is refused with a reason.

use reqwest::StatusCode;

use crate::helpers::*;

fn nav(html: &str) -> &str {
    html.split_once("<nav").expect("a navigation").1
}

#[tokio::test]
async fn the_tenants_language_is_the_default_and_each_person_may_choose_their_own() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("langs", "pooled").await;
    app.create_member("ada@langs.test", tenant.id, "admin")
        .await;
    app.create_member("bob@langs.test", tenant.id, "member")
        .await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@langs.test").await;
    let bob = TenantClient::signed_in(&app, &tenant.slug, "bob@langs.test").await;

    let home = ada.get("/").await.text().await.unwrap();
    assert!(home.contains("<html lang=\"en\"") && nav(&home).contains(">Dashboard<"));

    // The admin makes French the workspace's language: everyone without a choice of
    // their own reads French, with French number formats.
    let saved = ada
        .post(
            "/settings",
            &[
                ("name", "Langs Inc"),
                ("timezone", "Europe/Paris"),
                ("currency", "EUR"),
                ("language", "fr"),
                ("logo_url", ""),
                ("theme_color", "#336699"),
            ],
        )
        .await;
    assert_redirect_to(&saved, "/settings");
    let page = poll_until(async || {
        let html = bob.get("/").await.text().await.ok()?;
        html.contains("<html lang=\"fr\"").then_some(html)
    })
    .await;
    assert!(nav(&page).contains(">Tableau de bord<") && page.contains("Se déconnecter"));
    assert!(page.contains("id=\"members\">2<"));

    // Bob prefers English: his choice wins, for him only; he lands where he was.
    let chosen = bob
        .client
        .post(format!("{}/language", bob.base))
        .header("referer", format!("{}/members", bob.base))
        .form(&[("language", "en"), ("csrf_token", &bob.token("/").await)])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&chosen, "/members");
    let his = bob.get("/").await.text().await.unwrap();
    assert!(his.contains("<html lang=\"en\"") && nav(&his).contains(">Dashboard<"));
    assert!(his.contains("Language saved."), "the choice is confirmed");
    let hers = ada.get("/").await.text().await.unwrap();
    assert!(nav(&hers).contains(">Tableau de bord<"));
    let audited: i64 = app
        .count("select count(*) from audit_events where action = 'user.language_changed'")
        .await;
    assert_eq!(audited, 1);

    // A language we have no texts for is refused, in the person's language; the forged
    // form without a CSRF token changes nothing.
    let refused = ada.post("/language", &[("language", "xx")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let text = refused.text().await.unwrap();
    assert!(text.contains("Choisissez l&#39;une des langues du menu."));
    let forged = ada
        .client
        .post(format!("{}/language", ada.base))
        .form(&[("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let language: Option<String> =
        sqlx::query_scalar("select language from users where email = 'ada@langs.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(language, None);
}

#[tokio::test]
async fn staff_choose_the_platform_consoles_language_too() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let r = app.post_form("/language", &[("language", "fr")]).await;
    assert_redirect_to(&r, "/");
    let html = app.get("/").await.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"fr\"") && html.contains(">Locataires<"),
        "{html:.1500}"
    );
}
