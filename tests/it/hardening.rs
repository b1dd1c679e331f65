//! Findings from probing the product as an attacker would, each tested from the side
//! that must be refused.

use reqwest::StatusCode;
use tenantry::tenancy::lifecycle::Action;

use crate::helpers::*;

#[tokio::test]
async fn the_csrf_token_is_renewed_at_sign_in() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("csrfnew", "pooled").await;
    app.create_member("cy@csrf.test", tenant.id, "admin").await;
    let cy = TenantClient::new(&app, &tenant.slug);
    let before = cy.token("/login").await;
    assert_redirect_to(&cy.login("cy@csrf.test", PASSWORD).await, "/");
    let after = cy.token("/").await;
    assert_ne!(
        before, after,
        "a token read before sign-in must not survive it"
    );
    // The old token no longer passes; the new one does.
    let stale = cy
        .client
        .post(format!("{}/modules/crm/enable", cy.base))
        .form(&[("csrf_token", before.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    assert!(
        cy.post("/modules/crm/enable", &[])
            .await
            .status()
            .is_redirection()
    );
}

#[tokio::test]
async fn deleting_a_tenant_ends_its_sessions_for_good() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("endsess", "isolated").await;
    let other = app.provisioned_tenant("keepsess", "isolated").await;
    app.create_member("di@end.test", tenant.id, "admin").await;
    app.create_member("ko@keep.test", other.id, "admin").await;
    let di = TenantClient::signed_in(&app, &tenant.slug, "di@end.test").await;
    let ko = TenantClient::signed_in(&app, &other.slug, "ko@keep.test").await;
    assert_eq!(di.get("/").await.status(), StatusCode::OK);

    app.transition(tenant.id, Action::Delete, None)
        .await
        .expect("deleted");
    app.transition(tenant.id, Action::Restore, None)
        .await
        .expect("restored");
    // Restored, the tenant is served again, but the old session is gone: sign in anew.
    let response = di.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login")),
        "{response:?}"
    );
    // Another tenant's sessions are untouched.
    assert_eq!(ko.get("/").await.status(), StatusCode::OK);
}
