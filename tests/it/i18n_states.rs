//! What tells a French reader about a state, in French: the lifecycle's refusals that
//! name a status, the error pages shown before anyone signs in (by `Accept-Language`),
//! the alerts' banners on both consoles (said from the values each alert kept; an older
//! row keeps its English) and the owners' alert mail over real SMTP, and a failed step's
//! framing around its technical cause.

use reqwest::StatusCode;
use tenantry::mail::{transport::Mailer, worker};
use tenantry::tenancy::lifecycle::Action;

use crate::helpers::*;
use crate::i18n_pages::{assert_french, english_texts};
use crate::i18n_platform::speak_french;
use crate::module_levels::body;
use crate::smtp_sink::SmtpSink;

const FRENCH_BROWSER: &str = "fr-FR,fr;q=0.9,en;q=0.5";

/// `path` on `base` (a host's URL) asked by a browser that prefers `language`.
async fn get_in(
    client: &reqwest::Client,
    url: &str,
    language: Option<&str>,
) -> (StatusCode, String) {
    let mut request = client.get(url);
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    let r = request.send().await.expect("request");
    (r.status(), r.text().await.expect("body"))
}

#[tokio::test]
async fn status_refusals_and_error_pages_before_sign_in_are_french() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@etat.test").await;
    assert_redirect_to(
        &app.post_form("/language", &[("language", "fr")]).await,
        "/",
    );
    let tenant = app.provisioned_tenant("etat", "pooled").await;
    let actions = format!("/tenants/{}/actions", tenant.slug);
    let english = english_texts();

    // The lifecycle refuses by status; the page says the status and the action in French.
    let refused = app.post_form(&actions, &[("action", "purge")]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = body(refused).await;
    assert!(
        page.contains("Le locataire est actif : supprimez-le avant de le purger."),
        "{page}"
    );
    assert_french("a refused purge", &page, &english);
    app.transition(tenant.id, Action::Suspend, None)
        .await
        .expect("suspended");
    let refused = app.post_form(&actions, &[("action", "suspend")]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = body(refused).await;
    assert!(
        page.contains("Un locataire suspendu ne peut pas être suspendu."),
        "{page}"
    );
    assert_french("a refused suspension", &page, &english);

    // Nobody is signed in on the suspended workspace's host: the browser's language.
    let visitor = TenantClient::new(&app, &tenant.slug);
    let home = format!("{}/", visitor.base);
    let (status, page) = get_in(&visitor.client, &home, Some(FRENCH_BROWSER)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("<html lang=\"fr-FR\""), "{page}");
    assert!(page.contains("Accès refusé"), "{page}");
    assert!(
        page.contains("Cet espace de travail est suspendu. Contactez votre administrateur ou le support de la plateforme."),
        "{page}"
    );
    assert_french("a suspended workspace, signed out", &page, &english);
    // English stays the default.
    let (_, page) = get_in(&visitor.client, &home, None).await;
    assert!(page.contains("This workspace is suspended."), "{page}");
    let (_, page) = get_in(&visitor.client, &home, Some("de, en;q=0.5, fr;q=0.4")).await;
    assert!(
        page.contains("This workspace is suspended."),
        "English preferred to French"
    );

    // An unknown workspace and an unknown page on the admin host, signed out.
    let nobody = client_for_hosts(app.addr, Default::default(), &["nobody-here.localhost"]);
    let (status, page) = get_in(
        &nobody,
        &format!("http://nobody-here.localhost:{}/", app.addr.port()),
        Some(FRENCH_BROWSER),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("Introuvable") && page.contains("Il n&#39;y a rien ici"),
        "{page}"
    );
    assert_french("an unknown workspace", &page, &english);
    let (status, page) = get_in(
        &nobody,
        &format!(
            "http://{ADMIN_HOST}:{}/static/no-such-file.css",
            app.addr.port()
        ),
        Some(FRENCH_BROWSER),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Introuvable"), "{page}");
    assert_french("an unknown file on the admin host", &page, &english);

    // A workspace whose upgrade failed answers 503, in French too.
    app.transition(tenant.id, Action::Activate, None)
        .await
        .expect("active again");
    sqlx::query("update tenants set quarantined_at = now() where id = $1")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .unwrap();
    tenantry::tenancy::Tenancy::changed(&app.tenancy, tenant.id);
    let page = poll_until(async || {
        let (status, page) = get_in(&visitor.client, &home, Some(FRENCH_BROWSER)).await;
        (status == StatusCode::SERVICE_UNAVAILABLE).then_some(page)
    })
    .await;
    assert!(page.contains("Service indisponible"), "{page}");
    assert!(
        page.contains("Cet espace de travail est indisponible"),
        "{page}"
    );
    assert_french("a quarantined workspace", &page, &english);
}

#[tokio::test]
async fn alerts_are_told_in_each_readers_language_and_failed_steps_framed_in_french() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&["--smtp-url", &sink.url()]).await;
    // A French owner (the language menu) and an English one (no choice made).
    app.login_as_new_owner("owner@banniere.test").await;
    assert_redirect_to(
        &app.post_form("/language", &[("language", "fr")]).await,
        "/",
    );
    app.create_owner("olga@banniere.test").await;
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
        .provisioned_tenant_on_plan("banniere", "pooled", "cinq")
        .await;
    for (who, role) in [
        ("ada", "admin"),
        ("b", "member"),
        ("c", "member"),
        ("d", "member"),
    ] {
        app.create_member(&format!("{who}@banniere.test"), tenant.id, role)
            .await;
    }
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@banniere.test").await;
    speak_french(&ada, &tenant.name).await;
    // Its flash was written before the workspace spoke French.
    ada.get("/settings").await;
    // One tenant on a server that takes one: the server is at 100 % of its capacity.
    sqlx::query("update db_servers set capacity = 1, name = 'serveur-a'")
        .execute(&app.db)
        .await
        .unwrap();

    // 4 of 5 users and the full server, each told once.
    let checked = tenantry::tenancy::alerts::check(&app.tenancy, &app.config)
        .await
        .expect("the check runs");
    assert_eq!(checked.raised, 2, "{checked:?}");
    let name = &tenant.name;
    let near_fr =
        format!("{name} a utilisé 80 % de sa limite d'utilisateurs (4 sur 5) avec l'offre Cinq.");
    let near_en = format!("{name} has used 80 % of its users (4 of 5) on the Cinq plan.");
    let full_fr = "Le serveur de bases de données serveur-a est à 100 % de sa capacité en locataires (1 sur 1).";
    let full_en = "Database server serveur-a is at 100 % of its tenant capacity (1 of 1).";

    // The owners' mail, over SMTP: the French owner reads French, the other English.
    let mailer = Mailer::from_config(&app.config).unwrap().unwrap();
    let sent = worker::run_once(&app.db, Some(&mailer), &app.config)
        .await
        .expect("delivers");
    assert_eq!(
        sent.sent, 5,
        "two owners twice, the tenant's admin once: {sent:?}"
    );
    let received = sink.messages();
    let to = |who: &str| {
        let mut subjects: Vec<_> = received
            .iter()
            .filter(|m| m.rcpt_to == [who])
            .map(|m| m.header("Subject").unwrap_or_default())
            .collect();
        subjects.sort();
        subjects
    };
    assert_eq!(
        to("owner@banniere.test"),
        [full_fr.to_owned(), near_fr.clone()]
    );
    assert_eq!(
        to("olga@banniere.test"),
        [full_en.to_owned(), near_en.clone()]
    );
    assert_eq!(to("ada@banniere.test"), std::slice::from_ref(&near_fr));
    let to_owner = received
        .iter()
        .find(|m| {
            m.rcpt_to == ["owner@banniere.test"] && m.header("Subject").as_deref() == Some(full_fr)
        })
        .expect("the server's alert");
    let text = to_owner.part("text/plain").expect("a text part");
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(text.contains("Enregistrez un autre serveur"), "{text}");
    assert!(
        text.contains("L'ouvrir dans la console de la plateforme"),
        "{text}"
    );
    let html = to_owner.part("text/html").expect("an HTML part");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    for english in [
        "Hello",
        "Database server",
        "Open it on the platform console",
    ] {
        assert!(
            !text.contains(english) && !html.contains(english),
            "{english}"
        );
    }

    // The banners, said from the alerts' values in each reader's language.
    let english = english_texts();
    let escaped = |s: &str| s.replace('\'', "&#39;");
    let dashboard = body(app.get("/").await).await;
    assert!(dashboard.contains(&escaped(&near_fr)), "{dashboard}");
    assert!(dashboard.contains(full_fr), "{dashboard}");
    assert_french("the platform dashboard's banners", &dashboard, &english);
    let detail = body(app.get(&format!("/tenants/{}", tenant.slug)).await).await;
    assert!(detail.contains(&escaped(&near_fr)), "the tenant's page");
    let home = body(ada.get("/").await).await;
    assert!(home.contains(&escaped(&near_fr)), "{home}");
    assert_french("the tenant's dashboard banner", &home, &english);
    let olga = TestApp::client_signed_in(&app, "olga@banniere.test").await;
    let olgas = olga
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        olgas.contains(&near_en) && olgas.contains(full_en),
        "English stays the default"
    );

    // An alert raised before alerts kept their values shows the sentence it was told with.
    sqlx::query(
        "insert into usage_alerts (subject, metric, threshold, period, tenant_id, message)
         values ($1, 'modules', 80, '', $2, 'An alert from before.')",
    )
    .bind(format!("tenant:{}", tenant.id))
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .unwrap();
    assert!(
        body(ada.get("/").await)
            .await
            .contains("An alert from before.")
    );

    // A failed step: its framing in French, the technical cause as recorded.
    sqlx::query("update tenants set last_error = 'Creating its schema: permission denied for database x' where id = $1")
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .unwrap();
    let progress = body(app.get(&format!("/tenants/{}/progress", tenant.slug)).await).await;
    assert!(
        progress.contains(
            "L&#39;étape « Création de son schéma » a échoué : permission denied for database x"
        ),
        "{progress}"
    );
    assert_french("a failed step", &progress, &english);
    // A fleet migration's failure: the quarantined tenant on the tenants list, its alert.
    sqlx::query(
        "update tenants set last_error = 'migration failed: migration 9 (crm) failed: relation x exists',
                quarantined_at = now() where id = $1",
    )
    .bind(tenant.id)
    .execute(&app.db)
    .await
    .unwrap();
    let list = body(app.get("/tenants").await).await;
    assert!(
        list.contains("Une migration a échoué : migration 9 (crm) failed: relation x exists"),
        "{list}"
    );
    assert_french("the tenants list", &list, &english);
    tenantry::tenancy::alerts::check(&app.tenancy, &app.config)
        .await
        .expect("the check runs");
    let dashboard = body(app.get("/").await).await;
    assert!(
        dashboard.contains(&format!("Une migration de {name} a échoué.")),
        "{dashboard}"
    );
}
