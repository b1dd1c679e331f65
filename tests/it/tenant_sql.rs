//! The pooled tier's gateway may become any pooled tenant's role, so the only statement
//! that switches roles must be the one a tenant transaction starts with, and no request
//! input may ever reach SQL as text. Checked from the refused side: the source has no
//! other role switch, and hostile text in the CRM's inputs is only ever data.

use std::path::Path;

use reqwest::StatusCode;

use crate::helpers::*;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where `pattern` occurs as a role switch (not, say, `update … set role = $1`).
fn switches(text: &str, pattern: &str) -> bool {
    text.match_indices(pattern).any(|(at, _)| {
        // A word of its own (`set role` inside `reset role` is the latter).
        if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let rest = &text[at + pattern.len()..];
        let next = rest.trim_start();
        (rest.starts_with(char::is_whitespace) || rest.starts_with(';')) && !next.starts_with('=')
            || pattern.ends_with('\'')
    })
}

#[test]
fn only_the_tenant_transaction_switches_roles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let patterns = [
        "set role",
        "reset role",
        "session authorization",
        "set local role",
        "set_config('role'",
    ];
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .expect("utf-8 source")
            .to_lowercase();
        for pattern in patterns {
            if switches(&text, pattern) {
                let name = file
                    .strip_prefix(&src)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                found.push(format!("{name}: {pattern}"));
            }
        }
    }
    found.sort();
    // The tenant transaction's first statement; and tenant migrations, which run DDL as
    // the tenant's role on the server's admin connection, never on a connection a
    // request uses (a new tenant's provisioning runs them inside its one transaction,
    // and resets the role after them, for the grants that follow).
    assert_eq!(
        found,
        [
            "tenancy/migrate.rs: set local role",
            "tenancy/pools/tx.rs: set_config('role'",
            "tenancy/provision.rs: reset role",
        ],
        "role switching must stay where it is reviewed"
    );
}

#[tokio::test]
async fn hostile_text_in_tenant_inputs_is_only_data() {
    let app = spawn_app().await;
    let tenant = app.provisioned_tenant("hostile", "pooled").await;
    let other = app.provisioned_tenant("victim", "pooled").await;
    app.create_member("eve@hostile.test", tenant.id, "admin")
        .await;
    let eve = TenantClient::signed_in(&app, &tenant.slug, "eve@hostile.test").await;
    assert!(
        eve.post("/modules/crm/enable", &[])
            .await
            .status()
            .is_redirection()
    );
    let other_role = other.role_name.clone();
    for attack in [
        format!("x'); reset role; set role {other_role}; --"),
        "'; select set_config('search_path', 'public', false); --".to_owned(),
        other_role.clone(),
    ] {
        let created = eve
            .post("/crm", &[("name", attack.as_str()), ("status", "lead")])
            .await;
        assert!(
            created.status().is_redirection() || created.status() == StatusCode::OK,
            "{}",
            created.status()
        );
        let q: String = form_urlencoded::byte_serialize(attack.as_bytes()).collect();
        let found = eve.get(&format!("/crm?q={q}")).await;
        assert_eq!(found.status(), StatusCode::OK);
    }
    // Eve's rows hold the text, literally; the role and search path were never switched.
    let page = eve.get("/crm").await.text().await.expect("body");
    assert!(page.contains("reset role"), "the text is stored as data");
    let (role, path): (String, String) = {
        let db = app.tenancy.pool(tenant.id).await.expect("pool");
        let mut tx = db.begin().await.expect("tx");
        sqlx::query_as("select current_user::text, current_setting('search_path')")
            .fetch_one(&mut *tx)
            .await
            .expect("whoami")
    };
    assert_eq!(role, tenant.role_name);
    let schema = tenant
        .schema_name
        .clone()
        .expect("a pooled tenant has a schema");
    assert!(path.contains(&schema), "{path}");
}
