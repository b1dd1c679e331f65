//! A French-speaking staff member finds no English on any page of the platform console
//! (the same check as the tenant console's, [`crate::i18n_pages`]); its refusals with
//! values and its error pages say why in French; and a French tenant's invitation
//! arrives in French.

use reqwest::StatusCode;
use tenantry::mail::transport::Mailer;

use crate::helpers::*;
use crate::i18n_pages::{assert_french, english_texts, strip_between};
use crate::module_levels::{body, tenant_with};
use crate::smtp_sink::SmtpSink;

/// The tenant console's Settings form with `language` (Paris time, euros).
fn settings(name: &str, language: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("timezone", "Europe/Paris".into()),
        ("currency", "EUR".into()),
        ("language", language.into()),
        ("logo_url", String::new()),
        ("theme_color", "#336699".into()),
    ]
}

pub(crate) async fn speak_french(admin: &TenantClient, name: &str) {
    let form = settings(name, "fr");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_redirect_to(&admin.post("/settings", &fields).await, "/settings");
}

#[tokio::test]
async fn a_french_staff_member_finds_no_english_on_any_platform_page() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "plateforme", "pooled", &["crm"]).await;
    speak_french(&ada, &tenant.name).await;
    assert_redirect_to(
        &ada.post(
            "/members/invite",
            &[("email", "zoe@plateforme.test"), ("role", "member")],
        )
        .await,
        "/members",
    );

    // The first database server is named `primary`, which is also the console's word
    // for its badge: named otherwise here, so a name is not taken for an English text.
    sqlx::query("update db_servers set name = 'serveur-a'")
        .execute(&app.db)
        .await
        .unwrap();

    app.login_as_new_owner("owner@plateforme.test").await;
    assert_redirect_to(
        &app.post_form("/language", &[("language", "fr")]).await,
        "/",
    );

    // Something on every page: a small plan, a segment holding the tenant, a custom
    // domain waiting for DNS, an API token, a French invitation in the outbox.
    let plan = [
        ("name", "Petite"),
        ("max_users", "1"),
        ("max_storage", ""),
        ("max_api_calls", "50000"),
        ("max_rps", "20"),
        ("max_modules", "2"),
        ("pool_size", "3"),
        ("default_tier", "pooled"),
    ];
    assert_redirect_to(&app.post_form("/plans", &plan).await, "/plans");
    let r = app.post_form("/segments", &[("name", "Europe")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let segment = r.headers()["location"].to_str().unwrap().to_owned();
    let slug = tenant.slug.as_str();
    app.post_form(&format!("{segment}/tenants"), &[("slug", slug)])
        .await;
    app.post_form(
        &format!("/tenants/{slug}/domains"),
        &[("domain", "app.client-fr.test")],
    )
    .await;
    let owner: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'owner@plateforme.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_redirect_to(
        &app.post_form(
            "/api-tokens",
            &[
                ("name", "Synchro"),
                ("scope", "read"),
                ("acts_as", &owner.to_string()),
                ("expires_days", "90"),
            ],
        )
        .await,
        "/api-tokens",
    );
    let message: uuid::Uuid =
        sqlx::query_scalar("select id from outbox where recipient = 'zoe@plateforme.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    let english = english_texts();
    let pages = [
        "/".to_owned(),
        "/tenants".to_owned(),
        "/tenants/new".to_owned(),
        format!("/tenants/{slug}"),
        format!("/tenants/{slug}/usage"),
        "/plans".to_owned(),
        "/plans/petite".to_owned(),
        "/segments".to_owned(),
        segment.clone(),
        "/servers".to_owned(),
        "/outbox".to_owned(),
        format!("/outbox/{message}"),
        "/system".to_owned(),
        "/usage".to_owned(),
        "/api-tokens".to_owned(),
        "/staff".to_owned(),
        "/modules".to_owned(),
        "/audit".to_owned(),
    ];
    let mut html = std::collections::HashMap::new();
    for path in &pages {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let page = body(r).await;
        assert!(page.contains("<html lang=\"fr\""), "{path}");
        // Audit details are the record as written, not the console's sentences.
        let checked = strip_between(&page, "<dl class=\"audit-details", "</dl>");
        assert_french(path, &checked, &english);
        html.insert(path.clone(), page);
    }
    // The tenant page's partials, as htmx polls them.
    for path in [
        format!("/tenants/{slug}/progress"),
        format!("/tenants/{slug}/backups"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_french(&path, &body(r).await, &english);
    }

    // French words and formats where values are shown.
    let detail = &html[&format!("/tenants/{slug}")];
    assert!(
        detail.contains("1 membre, 1 invité"),
        "the people, counted in French"
    );
    assert!(detail.contains("en attente du DNS"), "the domain's state");
    assert!(
        html[&format!("/outbox/{message}")].contains("vous invite à rejoindre"),
        "the tenant's invitation is written in its language"
    );
    assert!(html["/servers"].contains("connexions"));

    // A refusal that carries values says them in French: the small plan allows one user,
    // the tenant has a member and an invitation.
    let refused = app
        .post_form(
            &format!("/tenants/{slug}/plan"),
            &[("plan", "petite"), ("name", &tenant.name)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(refused).await;
    assert!(
        page.contains("dépasse les limites de l")
            && page.contains("2 utilisateurs et invitations en attente, 1 permis"),
        "{}",
        page.split_once("plan-error")
            .map_or("no plan-error", |(_, r)| &r[..300.min(r.len())])
    );
    assert_french("the refused plan change", &page, &english);
    // So does a refused form, next to its field.
    let refused = app.post_form("/plans", &[("name", "")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(refused).await;
    assert!(page.contains("Saisissez un nom de 1 à 60 caractères."));
    assert_french("the refused plan", &page, &english);
    let refused = app
        .post_form("/plans", &[("name", "Moyenne"), ("max_users", "-3")])
        .await;
    let page = body(refused).await;
    assert!(
        page.contains("Utilisateurs : un nombre entre 1 et 1000000, ou vide pour illimité."),
        "a range refusal names its bounds in French"
    );

    // Error pages, full and as htmx's toast, are in the reader's language.
    let missing = app.get("/tenants/there-is-no-such-tenant").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let page = body(missing).await;
    assert!(page.contains("<html lang=\"fr\"") && page.contains("Introuvable"));
    assert_french("a missing tenant", &page, &english);
    let toast = app
        .client
        .get(app.url("/tenants/there-is-no-such-tenant"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(toast.status(), StatusCode::NOT_FOUND);
    let page = body(toast).await;
    assert!(page.contains("Il n&#39;y a rien ici") || page.contains("Il n'y a rien ici"));
    assert_french("a missing tenant's toast", &page, &english);
}

#[tokio::test]
async fn a_french_tenants_invitation_arrives_in_french() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    let (tenant, ada) = tenant_with(&app, "courrier", "pooled", &[]).await;
    speak_french(&ada, "Atelier Dupont").await;
    assert_redirect_to(
        &ada.post(
            "/members/invite",
            &[("email", "zoe@courrier.test"), ("role", "member")],
        )
        .await,
        "/members",
    );

    let mailer = Mailer::from_config(&app.config)
        .expect("a usable SMTP configuration")
        .expect("SMTP configured");
    let counts = tenantry::mail::worker::run_once(&app.db, Some(&mailer), &app.config)
        .await
        .expect("the worker runs");
    assert_eq!(counts.sent, 1, "{counts:?}");
    let received = sink.messages();
    let mail = received.first().expect("the invitation");
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Vous êtes invité à rejoindre Atelier Dupont")
    );
    let text = mail.part("text/plain").expect("a text part");
    let admin = format!("admin@{}.test", tenant.slug);
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(
        text.contains(&format!(
            "{admin} vous invite à rejoindre Atelier Dupont (rôle : membre)."
        )),
        "{text}"
    );
    assert!(text.contains("Acceptez l'invitation ici :"), "{text}");
    // The expiry date is written the French way (`8 déc. 2026 10:00 UTC`).
    let expires = text
        .lines()
        .find(|l| l.contains("expire le"))
        .unwrap_or_else(|| panic!("an expiry line in {text}"));
    assert!(
        [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc."
        ]
        .iter()
        .any(|m| expires.contains(m)),
        "{expires}"
    );
    let html = mail.part("text/html").expect("an HTML part");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Accepter l&#39;invitation"), "{html}");
    for english in [
        "Hello",
        "invited you",
        "Accept the invitation",
        "expires on",
    ] {
        assert!(
            !text.contains(english) && !html.contains(english),
            "{english}"
        );
    }
}

#[tokio::test]
async fn a_french_admin_is_told_the_plans_user_limit_in_french() {
    let app = spawn_app().await;
    // Free allows 3 users, counting pending invitations.
    let tenant = app
        .provisioned_tenant_on_plan("limite", "pooled", "free")
        .await;
    let admin = format!("admin@{}.test", tenant.slug);
    app.create_member(&admin, tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, &admin).await;
    speak_french(&ada, &tenant.name).await;
    for email in ["bea@limite.test", "cyd@limite.test"] {
        let r = ada
            .post("/members/invite", &[("email", email), ("role", "member")])
            .await;
        assert_redirect_to(&r, "/members");
    }
    let refused = ada
        .post(
            "/members/invite",
            &[("email", "dan@limite.test"), ("role", "member")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(refused).await;
    assert!(
        page.contains("L&#39;offre Free permet 3 utilisateurs, invitations en attente comprises.")
            || page
                .contains("L'offre Free permet 3 utilisateurs, invitations en attente comprises."),
        "{}",
        &page[page.find("role=\"alert\"").unwrap_or(0)..][..400.min(page.len())]
    );
    assert_french("the refused invitation", &page, &english_texts());
}

#[tokio::test]
async fn a_french_tenants_admins_read_its_limit_alert_in_french() {
    let app = spawn_app().await;
    app.create_owner("owner@alerte.test").await;
    let input = tenantry::control::plans::PlanInput {
        name: "Cinq".into(),
        max_users: "5".into(),
        pool_size: "2".into(),
        default_tier: "pooled".into(),
        ..Default::default()
    };
    tenantry::control::plans::create(
        &app.db,
        &input,
        &tenantry::control::audit::Actor::cli(),
        &tenantry::control::audit::Origin::default(),
    )
    .await
    .expect("plan");
    let tenant = app
        .provisioned_tenant_on_plan("alerte", "pooled", "cinq")
        .await;
    for (who, role) in [
        ("ada", "admin"),
        ("b", "member"),
        ("c", "member"),
        ("d", "member"),
    ] {
        app.create_member(&format!("{who}@alerte.test"), tenant.id, role)
            .await;
    }
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@alerte.test").await;
    speak_french(&ada, &tenant.name).await;

    // 4 of 5 users: the owner reads the platform's English, the admin her tenant's French.
    tenantry::tenancy::alerts::check(&app.tenancy, &app.config)
        .await
        .expect("the check runs");
    let db = &app.db;
    let subject = |recipient: &'static str| async move {
        sqlx::query_scalar::<_, String>(
            "select subject from outbox where kind = 'alert' and recipient = $1",
        )
        .bind(recipient)
        .fetch_one(db)
        .await
        .expect("an alert")
    };
    assert_eq!(
        subject("owner@alerte.test").await,
        "alerte Inc has used 80 % of its users (4 of 5) on the Cinq plan."
    );
    assert_eq!(
        subject("ada@alerte.test").await,
        "alerte Inc a utilisé 80 % de sa limite d'utilisateurs (4 sur 5) avec l'offre Cinq."
    );
    let text: String = sqlx::query_scalar(
        "select body_text from outbox where kind = 'alert' and recipient = 'ada@alerte.test'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        text.starts_with("Bonjour,") && text.contains("Voir votre utilisation"),
        "{text}"
    );
}
