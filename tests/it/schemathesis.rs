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
    let document = app
        .get("/api/v1/openapi.json")
        .await
        .text()
        .await
        .expect("document");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, document).expect("write document");
    let port = app.addr.port();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .current_dir(dir.path())
            .args(["run", path.to_str().expect("utf-8 path")])
            .args(["--url", &format!("http://127.0.0.1:{port}")])
            .args(["--header", &format!("Host: {ADMIN_HOST}:{port}")])
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
    println!("schemathesis generated {generated} test cases");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(generated >= 200, "too few cases ran:\n{stdout}");
    // The fuzzer's writes went through the audit log as the token.
    let audited = app
        .count("select count(*) from audit_events where actor_label like 'api-token:fuzzer%'")
        .await;
    assert!(
        audited > 0,
        "the fuzzer's creates were audited as its token"
    );
}
