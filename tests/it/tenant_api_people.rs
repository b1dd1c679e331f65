//! The tenant's people over its own API: an `admin` token lists members, invites (once per
//! `Idempotency-Key`) and revokes invitations, audited with the token as actor; `read` and
//! `write` tokens, and another tenant's admin token, are refused and change nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::tenant_api_writes::{Caller, token};

async fn pending(app: &TestApp, tenant: uuid::Uuid) -> i64 {
    sqlx::query_scalar(
        "select count(*) from invitations where tenant_id = $1 and status = 'pending'",
    )
    .bind(tenant)
    .fetch_one(&app.db)
    .await
    .expect("count")
}

#[tokio::test]
async fn an_admin_token_manages_people_and_lesser_tokens_are_refused() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("papi", "pooled").await;
    let globex = app.provisioned_tenant("papix", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let ada = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let gus = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let admin = Caller::new(&app, &acme.slug, &token(&ada, "HR sync", "admin").await);
    let writer = Caller::new(&app, &acme.slug, &token(&ada, "CRM sync", "write").await);
    let reader = Caller::new(&app, &acme.slug, &token(&ada, "Reports", "read").await);
    // Another tenant's admin token, sent to acme's host.
    let stranger = Caller::new(&app, &acme.slug, &token(&gus, "Theirs", "admin").await);

    let (status, members) = admin.call(Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, StatusCode::OK, "{members}");
    assert_eq!(members["members"][0]["email"], "ada@acme.test");
    assert_eq!(members["members"][0]["role"], "admin");

    // Refused from every side that must be: lesser scopes, and another tenant's token.
    let invite = json!({ "email": "new@acme.test", "role": "member" });
    for caller in [&writer, &reader] {
        let (status, problem) = caller.call(Method::GET, "/api/v1/members", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("scope admin")),
            "{problem}"
        );
        let (status, _) = caller
            .call(Method::POST, "/api/v1/invitations", Some(invite.clone()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, problem) = stranger
        .call(Method::POST, "/api/v1/invitations", Some(invite.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("another tenant")),
        "{problem}"
    );
    assert_eq!(pending(&app, acme.id).await, 0, "nothing was invited");

    // Invite, retried with the same key: one invitation, the same answer.
    let key = [("Idempotency-Key", "hr-42")];
    let (status, headers, first) = admin
        .send(
            Method::POST,
            "/api/v1/invitations",
            Some(invite.clone()),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/api/v1/invitations")
    );
    assert_eq!(first["email"], "new@acme.test");
    assert_eq!(first["status"], "pending");
    let (status, _, again) = admin
        .send(
            Method::POST,
            "/api/v1/invitations",
            Some(invite.clone()),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(pending(&app, acme.id).await, 1);

    // Bad input is named and changes nothing; a second invitation of the same person
    // conflicts.
    let (status, problem) = admin
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({ "email": "new2@acme.test", "role": "emperor" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = admin
        .call(Method::POST, "/api/v1/invitations", Some(invite.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(pending(&app, acme.id).await, 1);

    let (_, listed) = admin.call(Method::GET, "/api/v1/invitations", None).await;
    let id = first["id"].as_str().expect("id");
    assert_eq!(listed["invitations"][0]["id"], id);

    // Another tenant's admin cannot revoke acme's invitation, even knowing its id.
    let path = format!("/api/v1/invitations/{id}");
    let (status, _) = Caller::new(&app, &globex.slug, &token(&gus, "Theirs 2", "admin").await)
        .call(Method::DELETE, &path, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = writer.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(pending(&app, acme.id).await, 1);
    let (status, body) = admin.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(pending(&app, acme.id).await, 0);
    let (status, problem) = admin.call(Method::DELETE, &path, None).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only a pending one: {problem}"
    );
    let (status, _) = admin
        .call(Method::DELETE, "/api/v1/invitations/not-a-uuid", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let audit: Vec<(String, String)> = sqlx::query_as(
        "select action, actor_label from audit_events
         where tenant_id = $1 and action like 'invitation.%' order by id",
    )
    .bind(acme.id)
    .fetch_all(&app.db)
    .await
    .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["invitation.created", "invitation.revoked"]);
    assert!(
        audit
            .iter()
            .all(|(_, actor)| actor.starts_with("api-token:")),
        "{audit:?}"
    );
}

async fn user_id(app: &TestApp, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

async fn role_of(app: &TestApp, tenant: uuid::Uuid, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "select m.role from memberships m join users u on u.id = m.user_id
         where m.tenant_id = $1 and u.email = $2",
    )
    .bind(tenant)
    .bind(email)
    .fetch_optional(&app.db)
    .await
    .expect("role")
}

#[tokio::test]
async fn an_admin_token_changes_roles_and_removes_members_but_never_the_last_admin() {
    let app = spawn_app().await;
    let acme = app.provisioned_tenant("papr", "pooled").await;
    let globex = app.provisioned_tenant("paprx", "pooled").await;
    app.create_member("ada@acme.test", acme.id, "admin").await;
    app.create_member("bob@acme.test", acme.id, "member").await;
    let ada = user_id(&app, "ada@acme.test").await;
    let bob = user_id(&app, "bob@acme.test").await;
    app.create_member("gus@globex.test", globex.id, "admin")
        .await;
    let ada_web = TenantClient::signed_in(&app, &acme.slug, "ada@acme.test").await;
    let gus_web = TenantClient::signed_in(&app, &globex.slug, "gus@globex.test").await;
    let admin = Caller::new(&app, &acme.slug, &token(&ada_web, "HR", "admin").await);
    let writer = Caller::new(&app, &acme.slug, &token(&ada_web, "CRM", "write").await);
    let theirs = Caller::new(
        &app,
        &globex.slug,
        &token(&gus_web, "Theirs", "admin").await,
    );

    // The listing names each member's id, which the changes below use.
    let (_, members) = admin.call(Method::GET, "/api/v1/members", None).await;
    let ids: Vec<&str> = members["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&bob.to_string().as_str()), "{members}");
    let bob_path = format!("/api/v1/members/{bob}");
    let ada_path = format!("/api/v1/members/{ada}");
    let promote = json!({ "role": "admin" });

    // Refused: a lesser scope, another tenant's admin (bob is no member there), a role
    // that does not exist, an id that is not one.
    let (status, _) = writer
        .call(Method::PATCH, &bob_path, Some(promote.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = theirs
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{bob}"),
            Some(promote.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = admin
        .call(Method::PATCH, &bob_path, Some(json!({ "role": "emperor" })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = admin
        .call(
            Method::PATCH,
            "/api/v1/members/nobody",
            Some(promote.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        role_of(&app, acme.id, "bob@acme.test").await.as_deref(),
        Some("member")
    );

    // Ada cannot be demoted or removed while she is the only admin: the reason is named.
    let (status, problem) = admin
        .call(Method::PATCH, &ada_path, Some(json!({ "role": "member" })))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("last admin")),
        "{problem}"
    );
    let (status, _) = admin.call(Method::DELETE, &ada_path, None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Promote bob; then ada may step down, and bob may remove her.
    let (status, bob_now) = admin
        .call(Method::PATCH, &bob_path, Some(promote.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{bob_now}");
    assert_eq!(bob_now["role"], "admin");
    assert_eq!(bob_now["email"], "bob@acme.test");
    let (status, _) = writer.call(Method::DELETE, &ada_path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = admin.call(Method::DELETE, &ada_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(role_of(&app, acme.id, "ada@acme.test").await, None);
    let (status, _) = admin.call(Method::DELETE, &ada_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone already");

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events
         where tenant_id = $1 and action like 'member.%' and actor_label like 'api-token:%'
         order by id",
    )
    .bind(acme.id)
    .fetch_all(&app.db)
    .await
    .expect("audit");
    assert_eq!(actions, ["member.role_changed", "member.removed"]);
}
