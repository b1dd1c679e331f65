//! Helpers for the module tests: a tenant admin with modules enabled, and members holding
//! a custom role with given levels per module.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::*;

/// A provisioned tenant (`tier`) whose admin `admin@<slug>.test` has enabled `modules`
/// (with their dependencies); the tenant and the admin's client.
pub async fn tenant_with(
    app: &TestApp,
    prefix: &str,
    tier: &str,
    modules: &[&str],
) -> (tenantry::tenancy::tenants::Tenant, TenantClient) {
    let tenant = app.provisioned_tenant(prefix, tier).await;
    let admin = format!("admin@{}.test", tenant.slug);
    app.create_member(&admin, tenant.id, "admin").await;
    let client = TenantClient::signed_in(app, &tenant.slug, &admin).await;
    if modules.contains(&"billing") {
        sqlx::query(
            "insert into tenant_billing (tenant_id, company, address) values ($1, 'Acme SA', '1 Rue de la Paix, Paris')",
        )
        .bind(tenant.id)
        .execute(&app.db)
        .await
        .expect("billing details");
    }
    for module in modules {
        let r = client
            .post(
                &format!("/modules/{module}/enable"),
                &[("with_dependencies", "1")],
            )
            .await;
        assert_redirect_to(&r, "/modules");
        let page = client.get("/modules").await.text().await.unwrap();
        assert!(
            !page.contains("role=\"alert\""),
            "{module} enabled without refusal"
        );
    }
    let enabled = app.tenancy.enabled_modules(tenant.id).await.unwrap();
    for module in modules {
        assert!(enabled.iter().any(|m| m == module), "{module} enabled");
    }
    (tenant, client)
}

/// A member `email` holding a new custom role named `name` with `levels` (module, level),
/// signed in.
pub async fn member_with_levels(
    app: &TestApp,
    admin: &TenantClient,
    tenant: &tenantry::tenancy::tenants::Tenant,
    email: &str,
    name: &str,
    levels: &[(&str, &str)],
) -> TenantClient {
    let fields: Vec<(String, String)> = std::iter::once(("name".to_owned(), name.to_owned()))
        .chain(
            levels
                .iter()
                .map(|(m, l)| (format!("perm.{m}"), (*l).to_owned())),
        )
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = admin.post("/roles", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "role {name} created");
    let role: Uuid =
        sqlx::query_scalar("select id from tenant_roles where tenant_id = $1 and name = $2")
            .bind(tenant.id)
            .bind(name)
            .fetch_one(&app.db)
            .await
            .expect("role");
    app.create_member(email, tenant.id, "member").await;
    sqlx::query(
        "update memberships set role = 'custom', role_id = $3
         where tenant_id = $1 and user_id = (select id from users where email = $2)",
    )
    .bind(tenant.id)
    .bind(email)
    .bind(role)
    .execute(&app.db)
    .await
    .expect("role given");
    TenantClient::signed_in(app, &tenant.slug, email).await
}

/// The tenant's own database or schema, as a superuser connection with the tenant's
/// schema first on the search path.
pub async fn tenant_data(tenant: &tenantry::tenancy::tenants::Tenant) -> sqlx::PgPool {
    let schema = tenant
        .schema_name
        .clone()
        .unwrap_or_else(|| "public".to_owned());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                sqlx::query(&format!("set search_path = \"{schema}\""))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(&format!("{}/{}", server_base_url(), tenant.database_name))
        .await
        .expect("tenant data")
}

/// The body of a response.
pub async fn body(r: reqwest::Response) -> String {
    r.text().await.expect("body")
}

/// Posts as htmx does (the token as a header), returning the response.
pub async fn htmx_post(
    client: &TenantClient,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = client.token("/").await;
    client
        .client
        .post(format!("{}{path}", client.base))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(fields)
        .send()
        .await
        .expect("request")
}

/// The id at the end of a redirect's location (`/tasks/12` → 12).
pub fn id_from(r: &reqwest::Response) -> i64 {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a redirect");
    r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .expect("an id")
}
