//! Sessions in the browser (journey (c), first part): the console's session cookie stays
//! on the console's host.

use fantoccini::cookies::Cookie;
use tenantry::web::SESSION_COOKIE;

use super::Browser;
use crate::helpers::*;

#[tokio::test]
async fn the_session_cookie_stays_on_the_admin_host() {
    let app = spawn_app().await;
    let email = "ada@example.test";
    app.create_owner(email).await;
    let browser = Browser::start(&app).await;
    browser.sign_in(email).await;

    let session = browser
        .cookies()
        .await
        .into_iter()
        .find(|c| c.name() == SESSION_COOKIE)
        .expect("a session cookie after signing in");
    assert_eq!(session.domain(), Some(ADMIN_HOST), "a host-only cookie");
    assert_eq!(session.http_only(), Some(true));

    // Another host under the same domain gets neither the cookie nor the console.
    browser
        .goto_url(&browser.url_on("other.localhost", "/"))
        .await;
    browser
        .wait_for_text("#error-message", "There is nothing here")
        .await;
    assert!(
        browser
            .cookies()
            .await
            .iter()
            .all(|c| c.name() != SESSION_COOKIE),
        "admin.localhost's cookie is not sent to other.localhost"
    );

    // A copy of the cookie planted on that host opens nothing there either.
    browser
        .client()
        .add_cookie(
            Cookie::parse(format!(
                "{SESSION_COOKIE}={}; Domain=other.localhost; Path=/; HttpOnly; SameSite=Lax",
                session.value()
            ))
            .expect("a cookie"),
        )
        .await
        .expect("plant the copy");
    browser
        .goto_url(&browser.url_on("other.localhost", "/tenants"))
        .await;
    browser
        .wait_for_text("#error-message", "There is nothing here")
        .await;
    assert!(!browser.has("#whoami").await);
    assert!(browser.client().title().await.unwrap().starts_with("404"));

    // The console still knows the owner on its own host.
    browser.goto("/").await;
    browser.wait_for_text("#whoami", email).await;
    assert_eq!(browser.path().await, "/");
}
