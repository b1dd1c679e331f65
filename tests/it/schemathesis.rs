//! The schema-driven fuzzer against the live server: schemathesis reads the OpenAPI
//! document the app serves and sends generated requests — valid ones, broken ones, and
//! stateful chains that follow the document's links (create a tenant, then read, update,
//! suspend it) — with a real platform token. Any 5xx, any answer that breaks the
//! document's schemas, and any status the document does not list fails the test.
//!
//! Needs the `schemathesis` command (`.ci/run` installs the pinned version from PyPI).

use std::process::Command;

use tenantry::auth::guard::TokenScope;
use tenantry::control::audit::{Actor, Origin};
use tenantry::control::platform_tokens::{self, NewToken};

use crate::helpers::*;

/// The version `.ci/run` installs.
const VERSION: &str = "4.32.5";

/// Test cases per operation and phase: the run stays within a minute or two on CI.
const MAX_EXAMPLES: &str = "25";

/// The checks that fail the run: no 5xx, answers match the schemas, statuses and
/// headers are documented, content types are what the document says, auth is enforced.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance,missing_required_header,\
ignored_auth,use_after_free,ensure_resource_availability";

fn schemathesis() -> String {
    let program = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    match Command::new(&program).arg("--version").output() {
        Ok(out) if out.status.success() => program,
        _ => panic!(
            "schemathesis is not installed (looked for `{program}`; set SCHEMATHESIS to its path). \
             Install it with: pip install 'schemathesis=={VERSION}' (.ci/run does this in CI)"
        ),
    }
}

/// Runs schemathesis against the document served at `/api/v1/openapi.json` on `host`,
/// calling with `token`; the number of generated cases.
async fn fuzz(program: String, app: &TestApp, host: &str, token: &str) -> u32 {
    let port = app.addr.port();
    let client = client_for_hosts(app.addr, std::sync::Arc::default(), &[host]);
    let document = client
        .get(format!("http://{host}:{port}/api/v1/openapi.json"))
        .send()
        .await
        .expect("document")
        .text()
        .await
        .expect("document");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, document).expect("write document");
    let (host_header, token) = (host.to_owned(), token.to_owned());
    let hooks_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .current_dir(dir.path())
            // Unique idempotency keys (why: tests/schemathesis/tenantry_hooks.py).
            .env("PYTHONPATH", hooks_dir)
            .env("SCHEMATHESIS_HOOKS", "tenantry_hooks")
            .args(["run", path.to_str().expect("utf-8 path")])
            .args(["--url", &format!("http://127.0.0.1:{port}")])
            .args(["--header", &format!("Host: {host_header}:{port}")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", CHECKS])
            .args(["--max-examples", MAX_EXAMPLES])
            .args(["--seed", "20261204", "--workers", "1", "--no-color"])
            .args(["--generation-database", "none"])
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let generated = stdout
        .lines()
        .find_map(|l| l.trim().split_once(" generated,")?.0.parse::<u32>().ok())
        .unwrap_or(0);
    // Shown with --nocapture: the run's summary and warnings.
    println!("{stdout}\nschemathesis generated {generated} test cases on {host}");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    generated
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_schema_violation_or_undocumented_status() {
    let program = schemathesis();
    // A quota the run cannot reach: it tests the operations, not the rate limit.
    let app = spawn_app_with(&["--api-rate-limit", "1000000"]).await;
    let owner = app.create_owner("owner@example.test").await;
    let token = platform_tokens::create(
        &app.db,
        &NewToken {
            name: "fuzzer",
            scope: TokenScope::Admin,
            user: owner.id,
            expires_days: Some(1),
        },
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .expect("token");
    let generated = fuzz(program, &app, ADMIN_HOST, &token).await;
    assert!(generated >= 200, "too few cases ran: {generated}");
    // The fuzzer's writes went through the audit log as the token.
    let audited = app
        .count("select count(*) from audit_events where actor_label like 'api-token:fuzzer%'")
        .await;
    assert!(
        audited > 0,
        "the fuzzer's creates were audited as its token"
    );
}

#[tokio::test]
async fn schemathesis_finds_nothing_in_the_tenant_api_either() {
    let program = schemathesis();
    // Neither the token's minute nor the plan's rate: the run tests the operations.
    let app = spawn_app_with(&["--api-rate-limit", "1000000", "--metering", "false"]).await;
    let tenant = app.provisioned_tenant("fuzz", "pooled").await;
    app.create_member("ada@fuzz.test", tenant.id, "admin").await;
    let ada = TenantClient::signed_in(&app, &tenant.slug, "ada@fuzz.test").await;
    ada.post("/modules/crm/enable", &[]).await;
    let token = crate::tenant_api_writes::token(&ada, "fuzzer", "write").await;
    let host = format!("{}.localhost", tenant.slug);
    let generated = fuzz(program, &app, &host, &token).await;
    assert!(generated >= 100, "too few cases ran: {generated}");
    let audited = app
        .count("select count(*) from audit_events where actor_label like 'api-token:%' and action like 'crm.%'")
        .await;
    assert!(audited > 0, "the fuzzer's writes were audited as its token");
}
