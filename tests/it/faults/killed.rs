//! The app killed with SIGKILL in the middle of its work — provisioning, a mail
//! delivery, module enables, a fleet migration — and started again: every job finishes,
//! nothing is done twice, and the catalog holds exactly what the control plane says (no
//! orphan role, database or schema).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;
use tenantry::control::audit::{Actor, Origin};
use tenantry::tenancy::tenants::NewTenant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::*;
use crate::smtp_sink::SmtpSink;

/// An SMTP server that takes a message and never answers its end of DATA: a delivery
/// to it hangs (until the sender dies). Counts the messages it is holding.
async fn stalling_smtp() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let held = Arc::new(AtomicUsize::new(0));
    let counter = held.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let held = counter.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 stall ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        held.fetch_add(1, Ordering::SeqCst);
                        // Never answered: hold the connection open.
                        std::future::pending::<()>().await;
                        return;
                    } else {
                        match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                            Some("DATA") => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            Some("QUIT") => b"221 bye\r\n",
                            _ => b"250 OK\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, held)
}

/// Counts of the test's tenants by status.
async fn by_status(db: &PgPool, prefix: &str) -> (i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where status = 'active'),
                count(*) filter (where status = 'provisioning')
         from tenants where slug like $1 || '%'",
    )
    .bind(prefix)
    .fetch_one(db)
    .await
    .expect("status counts")
}

/// Starts `serve` on the app's control plane and kills it once `ready` says so.
async fn kill_when<F, Fut>(app: &TestApp, extra: &[&str], what: &str, ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<()>>,
{
    let mut args = vec!["--database-url", app.db_url.as_str()];
    args.extend_from_slice(extra);
    let mut serve = Serve::start(&args, &[]).await;
    poll(what, Duration::from_secs(60), ready).await;
    serve.kill();
}

/// Roles, databases and pooled schemas on the server whose names carry `prefix`.
async fn catalog(server: &PgPool, db: &PgPool, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let roles: Vec<String> = sqlx::query_scalar(
        "select rolname::text from pg_roles where rolname like 'tr\\_' || $1 || '%'",
    )
    .bind(prefix)
    .fetch_all(server)
    .await
    .expect("roles");
    found.extend(roles.into_iter().map(|r| format!("role {r}")));
    let databases: Vec<String> = sqlx::query_scalar(
        "select datname::text from pg_database where datname like 'tenant\\_' || $1 || '%'",
    )
    .bind(prefix)
    .fetch_all(server)
    .await
    .expect("databases");
    found.extend(databases.into_iter().map(|d| format!("database {d}")));
    let shared: Vec<String> = sqlx::query_scalar(
        "select distinct database_name from tenants where tier = 'pooled' and slug like $1 || '%'",
    )
    .bind(prefix)
    .fetch_all(db)
    .await
    .expect("shared databases");
    for database in shared {
        let pool = PgPool::connect(&format!("{}/{database}", server_base_url()))
            .await
            .expect("connect to the shared database");
        let schemas: Vec<String> = sqlx::query_scalar(
            "select nspname::text from pg_namespace where nspname like 't\\_' || $1 || '%'",
        )
        .bind(prefix)
        .fetch_all(&pool)
        .await
        .expect("schemas");
        found.extend(
            schemas
                .into_iter()
                .map(|s| format!("schema {database}.{s}")),
        );
        pool.close().await;
    }
    found
}

/// What the control plane says should exist for the test's live tenants.
async fn expected(db: &PgPool, prefix: &str) -> BTreeSet<String> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "select tier, role_name, database_name, schema_name from tenants
         where slug like $1 || '%' and status <> 'purged'",
    )
    .bind(prefix)
    .fetch_all(db)
    .await
    .expect("tenants");
    let mut want = BTreeSet::new();
    for (tier, role, database, schema) in rows {
        want.insert(format!("role {role}"));
        if tier == "isolated" {
            want.insert(format!("database {database}"));
        } else {
            want.insert(format!(
                "schema {database}.{}",
                schema.expect("a pooled tenant has a schema")
            ));
        }
    }
    want
}

/// Rows of a tenant's `tenantry_migrations`, and whether its CRM table exists.
async fn tenant_migrations(db: &PgPool, slug: &str) -> (Vec<i64>, bool) {
    let (tier, database, schema): (String, String, Option<String>) =
        sqlx::query_as("select tier, database_name, schema_name from tenants where slug = $1")
            .bind(slug)
            .fetch_one(db)
            .await
            .expect("tenant");
    let pool = PgPool::connect(&format!("{}/{database}", server_base_url()))
        .await
        .expect("connect");
    let schema = if tier == "pooled" {
        schema.expect("schema")
    } else {
        "public".to_owned()
    };
    let versions: Vec<i64> = sqlx::query_scalar(&format!(
        "select version from \"{schema}\".tenantry_migrations order by version"
    ))
    .fetch_all(&pool)
    .await
    .expect("migrations");
    let crm: bool = sqlx::query_scalar(
        "select exists(select 1 from pg_tables where schemaname = $1 and tablename = 'customers')",
    )
    .bind(&schema)
    .fetch_one(&pool)
    .await
    .expect("crm table");
    pool.close().await;
    (versions, crm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_sigkill_mid_work_then_restart_finishes_every_job_once_and_leaves_no_orphans() {
    let app = spawn_app().await;
    let server = PgPool::connect(&format!("{}/postgres", server_base_url()))
        .await
        .expect("server");
    // Slugs without dashes, so the catalog names are the slug with a prefix.
    let prefix = format!("k{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let slugs: Vec<String> = (0..8).map(|i| format!("{prefix}x{i}")).collect();
    // Queued while no worker runs (the test's in-process app runs none).
    for (i, slug) in slugs.iter().enumerate() {
        let tier = if i % 2 == 0 { "isolated" } else { "pooled" };
        let new = NewTenant {
            slug,
            name: "Killed Inc",
            plan: "pro",
            tier: Some(tier),
        };
        app.tenancy
            .create(new, None, &Actor::cli(), &Origin::default())
            .await
            .expect("queued");
    }

    // Provisioning: killed twice while a job is under way.
    let db = &app.db;
    for at_least in [2, 5] {
        kill_when(&app, &[], "a job under way", || async {
            let (active, provisioning) = by_status(db, &prefix).await;
            (active >= at_least && provisioning >= 1).then_some(())
        })
        .await;
    }
    let (url, held) = stalling_smtp().await;
    let serve = Serve::start(&["--database-url", &app.db_url, "--smtp-url", &url], &[]).await;
    until_active(
        db,
        &slugs.iter().map(String::as_str).collect::<Vec<_>>(),
        Duration::from_secs(90),
    )
    .await;
    let jobs: Vec<(String, i64, i64)> = sqlx::query_as(
        "select t.slug, count(j.*), count(*) filter (where j.status = 'done')
         from tenants t join provisioning_jobs j on j.tenant_id = t.id
         where t.slug like $1 || '%' group by t.slug",
    )
    .bind(&prefix)
    .fetch_all(db)
    .await
    .expect("jobs");
    assert_eq!(jobs.len(), slugs.len());
    for (slug, all, done) in &jobs {
        assert_eq!((*all, *done), (1, 1), "{slug}: one job, done once");
    }
    let activated: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'tenant.activated'")
            .fetch_one(db)
            .await
            .expect("audit");
    assert_eq!(
        activated,
        slugs.len() as i64,
        "each activation recorded once"
    );
    assert_eq!(
        catalog(&server, db, &prefix).await,
        expected(db, &prefix).await
    );

    // A mail delivery: killed while the SMTP server holds the message; the next process
    // delivers it to a working server, once.
    add_member(db, &slugs[0], "admin@killed.test", "admin").await;
    let admin = serve.client(&format!("{}.localhost", slugs[0]));
    sign_in(&admin, "admin@killed.test").await;
    let invited = admin
        .post(
            "/members/invite",
            &[("email", "new@killed.test"), ("role", "member")],
        )
        .await;
    assert!(invited.status().is_redirection() || invited.status() == StatusCode::OK);
    let mut serve = serve;
    poll(
        "the delivery hangs in the SMTP server",
        Duration::from_secs(60),
        || async { (held.load(Ordering::SeqCst) >= 1).then_some(()) },
    )
    .await;
    serve.kill();
    let sink = SmtpSink::start().await;
    let serve = Serve::start(
        &["--database-url", &app.db_url, "--smtp-url", &sink.url()],
        &[],
    )
    .await;
    poll(
        "the invitation is delivered",
        Duration::from_secs(60),
        || async {
            let status: String =
                sqlx::query_scalar("select status from outbox where recipient = 'new@killed.test'")
                    .fetch_one(db)
                    .await
                    .ok()?;
            (status == "sent").then_some(())
        },
    )
    .await;
    let copies = sink
        .messages()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.contains("new@killed.test")))
        .count();
    assert_eq!(copies, 1, "delivered once");
    let sent: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'outbox.sent'
         and details->>'message_id' = (select id::text from outbox where recipient = 'new@killed.test')",
    )
    .fetch_one(db)
    .await
    .expect("audit");
    assert_eq!(sent, 1);

    // Module enables: four admins enable the CRM at once; the process is killed as soon as
    // the first one is done, the others in flight.
    let enabling = &slugs[..4];
    let mut admins = Vec::new();
    for slug in enabling {
        add_member(db, slug, "admin@killed.test", "admin").await;
        let client = serve.client(&format!("{slug}.localhost"));
        sign_in(&client, "admin@killed.test").await;
        let token = client.token("/modules").await;
        admins.push((client, token));
    }
    let mut serve = serve;
    let enables = futures_util::future::select_all(admins.iter().map(|(client, token)| {
        Box::pin(
            client
                .client
                .post(format!("{}/modules/crm/enable", client.base))
                .form(&[("csrf_token", token.as_str())])
                .send(),
        )
    }));
    let (first, _, _in_flight) = enables.await;
    serve.kill();
    assert!(first.is_ok_and(|r| r.status().is_redirection()));
    let serve = Serve::start(&["--database-url", &app.db_url], &[]).await;
    for (slug, (client, _)) in enabling.iter().zip(&admins) {
        // The session outlived the process (it is in PostgreSQL); enabling again either
        // finishes the interrupted enable or says it is done.
        let client = TenantClient {
            client: client.client.clone(),
            base: format!("http://{slug}.localhost:{}", serve.addr.port()),
        };
        let again = client.post("/modules/crm/enable", &[]).await;
        // (409: already enabled; the page does not carry the refusal's words yet.)
        let status = again.status();
        assert!(
            status.is_redirection() || status == StatusCode::CONFLICT,
            "{slug}: {status}"
        );
        assert_eq!(client.get("/crm").await.status(), StatusCode::OK, "{slug}");
    }
    drop(serve);
    let enabled_events: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'module.enabled'")
            .fetch_one(db)
            .await
            .expect("audit");
    assert_eq!(enabled_events, 4, "each enable recorded once");

    // A fleet migration: the CRM switched on for the other four in the control plane
    // only; `tenants migrate` is killed after the first tenant, then run again.
    let behind = &slugs[4..];
    for slug in behind {
        sqlx::query(
            "insert into tenant_modules (tenant_id, module) select id, 'crm' from tenants where slug = $1",
        )
        .bind(slug)
        .execute(db)
        .await
        .expect("crm switched on");
    }
    let target = tenantry::tenancy::migrate::target_version(&["crm".into()]);
    let migrate = || {
        tenantry()
            .args(["tenants", "migrate", "--concurrency", "1"])
            .args([
                "--database-url",
                &app.db_url,
                "--master-key",
                TEST_MASTER_KEY,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tenants migrate")
    };
    let mut child = migrate();
    let behind_names: Vec<String> = behind.to_vec();
    poll(
        "the first tenant is migrated",
        Duration::from_secs(60),
        || async {
            let done: i64 = sqlx::query_scalar(
                "select count(*) from tenants where slug = any($1) and schema_version >= $2",
            )
            .bind(&behind_names)
            .bind(target)
            .fetch_one(db)
            .await
            .ok()?;
            (done >= 1).then_some(())
        },
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();

    let status = migrate().wait().expect("tenants migrate again");
    assert!(status.success());
    for slug in &slugs {
        let (versions, crm) = tenant_migrations(db, slug).await;
        let unique: BTreeSet<i64> = versions.iter().copied().collect();
        assert_eq!(unique.len(), versions.len(), "{slug}: no migration twice");
        assert!(crm, "{slug}: the CRM's tables exist");
        let version: i64 = sqlx::query_scalar("select schema_version from tenants where slug = $1")
            .bind(slug)
            .fetch_one(db)
            .await
            .expect("version");
        assert_eq!(version, target, "{slug}: recorded at the target version");
    }
    assert_eq!(
        catalog(&server, db, &prefix).await,
        expected(db, &prefix).await
    );
    server.close().await;
}
