//! Backups and restores with real `pg_dump`/`pg_restore` on the test cluster: each tier
//! restores to identical rows, a crash between any two steps resumes, a clone is a
//! working second tenant, and what must be refused (a corrupt or foreign archive,
//! another tenant's backup, an unwritable store) is refused before anything changes.
//!
//! The jobs run in-process on a control plane no `serve` is attached to, so a test can
//! "kill" the worker between two steps exactly where it wants (the worker's test hook).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::PgPool;
use tenantry::config::Config;
use tenantry::control::audit::{Actor, Origin};
use tenantry::pg::control_db::ControlDb;
use tenantry::tenancy::Tenancy;
use tenantry::tenancy::backup::{self, BackupError, BackupStatus, Settings, store::StoreConfig};
use tenantry::tenancy::tenants::{self, NewTenant, Tenant};
use tenantry::tenancy::worker::{self, JobOutcome};

use crate::helpers::*;

/// A control plane with the tenancy services and no worker of its own.
struct Bare {
    t: Tenancy,
    control: Option<ControlDb>,
    db_name: String,
    backups: tempfile::TempDir,
}

impl Bare {
    async fn new() -> Self {
        let (url, db_name) = fresh_database().await;
        let backups = tempfile::tempdir().expect("tempdir");
        let dir = backups.path().display().to_string();
        let config = Config::from_args([
            "--database-url",
            &url,
            "--master-key",
            TEST_MASTER_KEY,
            "--backup-dir",
            &dir,
        ])
        .expect("config");
        let control = ControlDb::open(&config.db).await.expect("control plane");
        let t = tenantry::state::tenancy(&control, &config.db, 30, 60)
            .await
            .expect("tenancy");
        Self {
            t,
            control: Some(control),
            db_name,
            backups,
        }
    }

    async fn tenant(&self, prefix: &str, tier: &str) -> Tenant {
        let slug = unique_slug(prefix);
        let new = NewTenant {
            slug: &slug,
            name: "Backed Up Ltd",
            plan: "pro",
            tier: Some(tier),
        };
        let tenant = self
            .t
            .create(new, None, &Actor::cli(), &Origin::default())
            .await
            .expect("create");
        let tenant = self
            .t
            .settle(tenant.id, std::time::Duration::from_secs(60))
            .await
            .expect("settle");
        assert_eq!(tenant.status, "active", "{:?}", tenant.last_error);
        tenant
    }

    async fn fresh(&self, id: uuid::Uuid) -> Tenant {
        tenants::get(&self.t.db, id)
            .await
            .expect("lookup")
            .expect("tenant")
    }

    /// Runs queued jobs until none is left, asserting none was interrupted.
    async fn drain(&self) {
        while let Some(outcome) = worker::run_next(&self.t, None).await.expect("worker") {
            assert!(!matches!(outcome, JobOutcome::Interrupted { .. }));
        }
    }

    async fn backup_of(&self, tenant: &Tenant) -> backup::Backup {
        let queued = backup::request_backup(&self.t, tenant, &Actor::cli(), &Origin::default())
            .await
            .expect("backup queued");
        self.drain().await;
        backup::get(&self.t.db, queued.backup_id)
            .await
            .expect("lookup")
            .expect("backup")
    }

    fn archive_path(&self, b: &backup::Backup) -> PathBuf {
        self.backups.path().join(&b.object_key)
    }

    fn with_store(&self, store: StoreConfig) -> Tenancy {
        let mut t = self.t.clone();
        t.backup_settings = Arc::new(Settings {
            store,
            pg_bin: None,
        });
        t
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(control) = self.control.take() {
            drop(control);
        }
        drop_database(self.db_name.clone());
    }
}

/// A superuser connection to the tenant's database, acting as the tenant's role in its
/// own schema: what the test writes is the tenant's own data.
async fn as_tenant(tenant: &Tenant) -> PgPool {
    let role = tenant.role_name.clone();
    let path = tenant
        .schema_name
        .clone()
        .unwrap_or_else(|| "public".into());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let sql = format!("set role \"{role}\"; set search_path = \"{path}\"");
            Box::pin(async move {
                sqlx::Executor::execute(conn, sql.as_str()).await?;
                Ok(())
            })
        })
        .connect(&format!("{}/{}", server_base_url(), tenant.database_name))
        .await
        .expect("connect as the tenant")
}

/// Rows of every kind worth keeping: text with quotes and newlines, numbers, nulls,
/// json, bytes, and a sequence that must keep its position.
async fn write_rows(tenant: &Tenant) {
    let pool = as_tenant(tenant).await;
    sqlx::raw_sql(
        "create table ledger (id bigserial primary key, label text, amount numeric(12,2),
                              meta jsonb, blob bytea, at timestamptz default now());
         insert into ledger (label, amount, meta, blob)
         select 'row ' || g || E' it''s\\nline', g * 1.25, jsonb_build_object('g', g),
                decode(md5(g::text), 'hex')
         from generate_series(1, 500) g;
         insert into ledger (label, amount, meta, blob) values (null, null, null, null);
         update tenant_settings set name = 'Before the backup';",
    )
    .execute(&pool)
    .await
    .expect("write rows");
    pool.close().await;
}

/// The tenant's rows as text, in order, plus the next value of its sequence.
async fn snapshot(tenant: &Tenant) -> (Vec<String>, String) {
    let pool = as_tenant(tenant).await;
    let rows: Vec<String> = sqlx::query_scalar("select l::text from ledger l order by id")
        .fetch_all(&pool)
        .await
        .expect("rows");
    let settings: String = sqlx::query_scalar("select name from tenant_settings")
        .fetch_one(&pool)
        .await
        .expect("settings");
    let seq: i64 = sqlx::query_scalar("select last_value from ledger_id_seq")
        .fetch_one(&pool)
        .await
        .expect("sequence");
    pool.close().await;
    (rows, format!("{settings}; seq {seq}"))
}

/// Changes made after the backup, which a restore must undo.
async fn scribble(tenant: &Tenant) {
    let pool = as_tenant(tenant).await;
    sqlx::raw_sql(
        "delete from ledger where id % 3 = 0; insert into ledger (label) values ('after');
         update tenant_settings set name = 'After the backup';",
    )
    .execute(&pool)
    .await
    .expect("scribble");
    pool.close().await;
}

/// Databases and schemas a restore may leave behind if it is not clean.
async fn leftovers(tenant: &Tenant) -> Vec<String> {
    let admin = PgPool::connect(&format!("{}/postgres", server_base_url()))
        .await
        .expect("connect");
    let mut found: Vec<String> = sqlx::query_scalar(
        "select datname::text from pg_database
         where datname like $1 || '\\_%' or datname like $2 || '\\_%'",
    )
    .bind(&tenant.database_name)
    .bind(
        tenant
            .schema_name
            .as_deref()
            .unwrap_or(&tenant.database_name),
    )
    .fetch_all(&admin)
    .await
    .expect("databases");
    admin.close().await;
    if let Some(schema) = &tenant.schema_name {
        let shared = PgPool::connect(&format!("{}/{}", server_base_url(), tenant.database_name))
            .await
            .expect("connect");
        let schemas: Vec<String> = sqlx::query_scalar(
            "select nspname::text from pg_namespace where nspname like $1 || '\\_%'",
        )
        .bind(schema)
        .fetch_all(&shared)
        .await
        .expect("schemas");
        shared.close().await;
        found.extend(schemas);
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tier_restores_identical_rows_even_when_the_worker_dies_between_steps() {
    let bare = Bare::new().await;
    // (tier, the backup step after which the worker dies, the restore step after which it dies)
    for (tier, backup_crash, restore_crash) in [("isolated", 1, 3), ("pooled", 0, 4)] {
        let tenant = bare.tenant("bk", tier).await;
        write_rows(&tenant).await;
        let before = snapshot(&tenant).await;

        let queued = backup::request_backup(&bare.t, &tenant, &Actor::cli(), &Origin::default())
            .await
            .expect("backup queued");
        let first = worker::run_next(&bare.t, Some(backup_crash)).await.unwrap();
        assert_eq!(
            first,
            Some(JobOutcome::Interrupted {
                tenant_id: tenant.id
            })
        );
        let half = backup::get(&bare.t.db, queued.backup_id)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(half.status, BackupStatus::Done, "{tier}");
        bare.drain().await;
        let taken = backup::get(&bare.t.db, queued.backup_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            taken.status,
            BackupStatus::Done,
            "{tier}: {:?}",
            taken.error
        );
        let size = std::fs::metadata(bare.archive_path(&taken))
            .expect("the archive is in the store")
            .len();
        assert_eq!(taken.size_bytes, Some(size as i64));
        let raw = std::fs::read(bare.archive_path(&taken)).unwrap();
        assert!(
            !raw.windows(5).any(|w| w == b"row 1"),
            "{tier}: the archive is sealed, not plain"
        );

        scribble(&tenant).await;
        assert_ne!(snapshot(&tenant).await, before);

        let refused = backup::request_restore(
            &bare.t,
            &tenant,
            &taken,
            Some("not-the-slug"),
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, BackupError::ConfirmationNeeded(_)));

        backup::request_restore(
            &bare.t,
            &tenant,
            &taken,
            Some(&tenant.slug),
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .expect("restore queued");
        let first = worker::run_next(&bare.t, Some(restore_crash))
            .await
            .unwrap();
        assert!(matches!(first, Some(JobOutcome::Interrupted { .. })));
        // Mid-restore the tenant is kept out, and nobody may reactivate it meanwhile.
        assert_eq!(bare.fresh(tenant.id).await.status, "suspended", "{tier}");
        let reactivate = tenantry::tenancy::lifecycle::apply(
            &bare.t,
            &bare.fresh(tenant.id).await,
            tenantry::tenancy::lifecycle::Action::Activate,
            None,
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .unwrap_err();
        assert!(
            reactivate.to_string().contains("being restored"),
            "{reactivate}"
        );
        bare.drain().await;

        let after = bare.fresh(tenant.id).await;
        assert_eq!(after.status, "active", "{tier}: {:?}", after.last_error);
        assert_eq!(snapshot(&after).await, before, "{tier}: identical rows");
        // What the restore set aside outlives it (its DROP DATABASE would checkpoint
        // while the tenant is kept out): the old database, or the pooled tier's scratch
        // one. The old-copy sweep drops it once the tenant is back.
        let kept = leftovers(&after).await;
        let aside = if tier == "isolated" { "_o" } else { "_s" };
        assert!(
            kept.len() == 1 && kept[0].contains(aside),
            "{tier}: {kept:?}"
        );
        tenantry::tenancy::moves::sweep_old_copies(&bare.t)
            .await
            .expect("sweep");
        assert!(
            leftovers(&after).await.is_empty(),
            "{tier}: {:?}",
            leftovers(&after).await
        );
        // The tenant's own pool serves it again.
        bare.t
            .pool(after.id)
            .await
            .expect("servable after the restore");
    }
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_events order by id")
        .fetch_all(&bare.t.db)
        .await
        .unwrap();
    for action in [
        "tenant.backup_requested",
        "tenant.backup_taken",
        "tenant.restore_requested",
        "tenant.backup_restored",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_is_a_working_second_tenant_and_leaves_the_source_alone() {
    let bare = Bare::new().await;
    for tier in ["pooled", "isolated"] {
        let source = bare.tenant("src", tier).await;
        write_rows(&source).await;
        let before = snapshot(&source).await;
        let taken = bare.backup_of(&source).await;
        assert_eq!(taken.status, BackupStatus::Done, "{:?}", taken.error);
        scribble(&source).await;
        let source_now = snapshot(&source).await;

        let slug = unique_slug("clone");
        let queued = backup::request_clone(
            &bare.t,
            &source,
            &taken,
            &slug,
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .expect("clone queued");
        bare.drain().await;
        let clone = bare.fresh(queued.tenant_id).await;
        assert_eq!(clone.status, "active", "{tier}: {:?}", clone.last_error);
        assert_eq!(clone.slug, slug);
        assert_eq!(clone.tier, source.tier);
        assert_eq!(
            snapshot(&clone).await,
            before,
            "{tier}: the clone has the backup's rows"
        );
        assert_eq!(
            snapshot(&source).await,
            source_now,
            "{tier}: the source is untouched"
        );
        bare.t.pool(clone.id).await.expect("the clone is servable");
        // Its objects are its own role's, not the source's.
        let admin = as_tenant(&clone).await;
        let owner: String = sqlx::query_scalar(
            "select tableowner::text from pg_tables where tablename = 'ledger' and schemaname = current_schema()",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        admin.close().await;
        assert_eq!(owner, clone.role_name, "{tier}");
        tenantry::tenancy::moves::sweep_old_copies(&bare.t)
            .await
            .expect("sweep");
        assert!(leftovers(&clone).await.is_empty(), "{tier}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_foreign_and_misdirected_archives_are_refused_before_anything_changes() {
    let bare = Bare::new().await;
    let a = bare.tenant("bka", "isolated").await;
    let b = bare.tenant("bkb", "isolated").await;
    write_rows(&a).await;
    write_rows(&b).await;
    let a_backup = bare.backup_of(&a).await;
    let b_backup = bare.backup_of(&b).await;
    scribble(&a).await;
    let a_now = snapshot(&a).await;

    // A's backup can never be restored into B: not found through B, refused by the service.
    let through_b = backup::of_tenant(&bare.t.db, &b, &a_backup.id.to_string())
        .await
        .unwrap_err();
    assert!(matches!(through_b, BackupError::NotFound(_)));
    let into_b = backup::request_restore(
        &bare.t,
        &b,
        &a_backup,
        Some(&b.slug),
        &Actor::cli(),
        &Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(into_b.to_string().contains("its own tenant"), "{into_b}");

    let restore_a = async || {
        backup::request_restore(
            &bare.t,
            &a,
            &backup::get(&bare.t.db, a_backup.id).await.unwrap().unwrap(),
            Some(&a.slug),
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .expect("restore queued");
        bare.drain().await;
        sqlx::query_scalar::<_, String>(
            "select last_error from provisioning_jobs where kind = 'restore' order by id desc limit 1",
        )
        .fetch_one(&bare.t.db)
        .await
        .unwrap()
    };

    // A flipped byte: the checksum no longer matches.
    let path = bare.archive_path(&a_backup);
    let original = std::fs::read(&path).unwrap();
    let mut flipped = original.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    let error = restore_a().await;
    assert!(error.contains("checksum does not match"), "{error}");
    assert_eq!(snapshot(&a).await, a_now);
    assert_eq!(bare.fresh(a.id).await.status, "active");

    // B's archive put in A's place, checksum and all: its seal names another backup.
    std::fs::copy(bare.archive_path(&b_backup), &path).unwrap();
    sqlx::query("update tenant_backups set sha256 = $2 where id = $1")
        .bind(a_backup.id)
        .bind(&b_backup.sha256)
        .execute(&bare.t.db)
        .await
        .unwrap();
    let error = restore_a().await;
    assert!(error.contains("does not belong to this backup"), "{error}");
    assert_eq!(snapshot(&a).await, a_now);
    assert_eq!(bare.fresh(a.id).await.status, "active");
    assert!(leftovers(&a).await.is_empty());
    let failures: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'tenant.restore_failed'",
    )
    .fetch_one(&bare.t.db)
    .await
    .unwrap();
    assert_eq!(failures, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_backup_store_fails_the_job_clearly_and_leaves_the_tenant_alone() {
    let bare = Bare::new().await;
    let tenant = bare.tenant("bkw", "pooled").await;
    // A path under a regular file is not a directory, whoever runs the test (even root).
    let file = bare.backups.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let t = bare.with_store(StoreConfig::Dir(file.join("backups")));
    let queued = backup::request_backup(&t, &tenant, &Actor::cli(), &Origin::default())
        .await
        .expect("queued");
    while worker::run_next(&t, None).await.unwrap().is_some() {}
    let failed = backup::get(&t.db, queued.backup_id).await.unwrap().unwrap();
    assert_eq!(failed.status, BackupStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("is not usable"), "{error}");
    let now = bare.fresh(tenant.id).await;
    assert_eq!(now.status, "active");
    assert_eq!(now.last_error, None);
    assert!(!Path::new(&file).is_dir(), "nothing was made of the file");
}

/// A small tmpfs: a real file system that fills up. Mounting needs CAP_SYS_ADMIN, which
/// this project's machines (and its CI, on the same kind) have; without it the test says so.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full test mounts a small tmpfs and needs root with CAP_SYS_ADMIN: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_a_backup_fails_the_job_clearly_and_leaves_the_tenant_alone() {
    let bare = Bare::new().await;
    let tenant = bare.tenant("bkfull", "isolated").await;
    write_rows(&tenant).await;
    // Data that does not compress: the sealed archive is far larger than the disk.
    let pool = as_tenant(&tenant).await;
    sqlx::raw_sql(
        "create table noise as
         select g, md5(random()::text) || md5(random()::text) || md5(random()::text) as junk
         from generate_series(1, 20000) g",
    )
    .execute(&pool)
    .await
    .expect("noise");
    pool.close().await;
    let before = snapshot(&tenant).await;
    let disk = SmallDisk::mount(256 * 1024);
    let t = bare.with_store(StoreConfig::Dir(disk.path().join("backups")));

    let queued = backup::request_backup(&t, &tenant, &Actor::cli(), &Origin::default())
        .await
        .expect("queued");
    while worker::run_next(&t, None).await.unwrap().is_some() {}
    let failed = backup::get(&t.db, queued.backup_id).await.unwrap().unwrap();
    assert_eq!(failed.status, BackupStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(
        error.contains("writing to the backup store") && error.contains("No space left"),
        "the reason names the store and the full disk: {error}"
    );
    // The tenant goes on as before; nothing half-written is left on the disk.
    let now = bare.fresh(tenant.id).await;
    assert_eq!(now.status, "active");
    assert_eq!(now.last_error, None);
    assert_eq!(snapshot(&tenant).await, before);
    let mut left = Vec::new();
    let mut dirs = vec![disk.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            } else {
                left.push(entry.path());
            }
        }
    }
    assert!(left.is_empty(), "partial archives left: {left:?}");
    // The failure is told and audited like any failed backup.
    let audited = sqlx::query_scalar::<_, i64>(
        "select count(*) from audit_events where action = 'tenant.backup_failed' and tenant_id = $1",
    )
    .bind(tenant.id)
    .fetch_one(&t.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

/// The console's side: an owner backs up and clones from the tenant page (the test runs
/// the worker, as `serve` would); a restore needs the typed slug; a backup is only found under
/// its own tenant; support staff and tenant admins cannot restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_page_backs_up_and_clones_and_refuses_whoever_may_not_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn_app_with(&["--backup-dir", &dir.path().display().to_string()]).await;
    app.login_as_new_owner("owner@example.test").await;
    let a = app.provisioned_tenant("webbk", "pooled").await;
    let b = app.provisioned_tenant("webbk", "pooled").await;

    let r = app
        .post_form(&format!("/tenants/{}/backups", a.slug), &[])
        .await;
    assert_redirect_to(&r, &format!("/tenants/{}#backups", a.slug));
    let taken = poll_until(async || {
        worker::run_next(&app.tenancy, None).await.expect("worker");
        let all = backup::list(&app.db, a.id).await.expect("list");
        assert!(
            all.iter().all(|b| b.status != BackupStatus::Failed),
            "{:?}",
            all[0].error
        );
        all.into_iter().find(|b| b.status == BackupStatus::Done)
    })
    .await;
    let page = app
        .get(&format!("/tenants/{}", a.slug))
        .await
        .text()
        .await
        .unwrap();
    let id = taken.id.to_string();
    assert!(page.contains(&id), "the backup is listed");
    let size = tenantry::web::format::human_bytes(taken.size_bytes.unwrap());
    assert!(page.contains(&size), "with its size {size}");
    assert!(page.contains("just now"), "and its age");

    // No typed slug: refused, nothing queued.
    let restore = format!("/tenants/{}/backups/{id}/restore", a.slug);
    let r = app.post_form(&restore, &[("confirm", "wrong")]).await;
    assert_redirect_to(&r, &format!("/tenants/{}#backups", a.slug));
    let page = app
        .get(&format!("/tenants/{}", a.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("type the slug"), "the refusal is shown");
    assert_eq!(
        app.count("select count(*) from provisioning_jobs where kind = 'restore'")
            .await,
        0
    );

    // A's backup is not found under B.
    let r = app
        .post_form(
            &format!("/tenants/{}/backups/{id}/restore", b.slug),
            &[("confirm", &b.slug)],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);

    // B's admin, on B's console, reaches no restore at all.
    app.create_member("admin-b@example.test", b.id, "admin")
        .await;
    let tenant_b = TenantClient::signed_in(&app, &b.slug, "admin-b@example.test").await;
    let r = tenant_b.post(&restore, &[("confirm", &a.slug)]).await;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);

    // Support reads the page but may not restore.
    app.create_staff("support@example.test", "support").await;
    let support = TestApp::client_signed_in(&app, "support@example.test").await;
    let r = app
        .post_as(&support, &restore, &[("confirm", &a.slug)])
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("select count(*) from provisioning_jobs where kind = 'restore'")
            .await,
        0
    );

    // Into a new tenant: it is set up from the backup and becomes active.
    let clone = unique_slug("webclone");
    let r = app.post_form(&restore, &[("into", &clone)]).await;
    assert_redirect_to(&r, &format!("/tenants/{clone}"));
    let made = poll_until(async || {
        worker::run_next(&app.tenancy, None).await.expect("worker");
        let t = tenants::find_by_slug(&app.db, &clone)
            .await
            .expect("lookup")?;
        let queued: i64 = sqlx::query_scalar(
            "select count(*) from provisioning_jobs where tenant_id = $1 and status <> 'done'",
        )
        .bind(t.id)
        .fetch_one(&app.db)
        .await
        .expect("jobs");
        (queued == 0).then_some(t)
    })
    .await;
    assert_eq!(made.status, "active", "{:?}", made.last_error);
    assert!(
        app.audit_actions()
            .await
            .contains(&"tenant.backup_restored".to_owned())
    );
}

/// `tenantry tenants backup|backups|restore` against the app's control plane: each waits
/// for its job, and a refusal is one clear line with a non-zero exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_backs_up_lists_and_restores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backup_dir = dir.path().display().to_string();
    let app = spawn_app_with(&["--backup-dir", &backup_dir]).await;
    let tenant = app.provisioned_tenant("clibk", "isolated").await;
    write_rows(&tenant).await;
    let before = snapshot(&tenant).await;
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"));
        cmd.env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .arg("tenants")
            .args(args)
            .args([
                "--database-url",
                &app.db_url,
                "--master-key",
                TEST_MASTER_KEY,
                "--backup-dir",
                &backup_dir,
            ]);
        let out = cmd.output().expect("run tenantry");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["backup", "--slug", &tenant.slug]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("of {}", tenant.slug)), "{stdout}");

    let (ok, stdout, stderr) = run(&["backups", "--slug", &tenant.slug, "--json"]);
    assert!(ok, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{stdout}");
    assert_eq!(listed[0]["status"], "done");
    assert!(listed[0]["size_bytes"].as_i64().unwrap_or(0) > 0);
    let id = listed[0]["id"].as_str().expect("an id").to_owned();

    scribble(&tenant).await;
    let (ok, _, stderr) = run(&["restore", "--slug", &tenant.slug, "--backup", &id]);
    assert!(!ok);
    assert!(
        stderr.trim().lines().count() == 1
            && stderr.contains(&format!("--confirm {}", tenant.slug)),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&["restore", "--slug", &tenant.slug, "--backup", "nope"]);
    assert!(!ok);
    assert!(stderr.contains("There is no backup nope"), "{stderr}");
    let (ok, stdout, stderr) = run(&[
        "restore",
        "--slug",
        &tenant.slug,
        "--backup",
        &id,
        "--confirm",
        &tenant.slug,
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("is active"), "{stdout}");
    assert_eq!(snapshot(&tenant).await, before);

    let clone = unique_slug("cliclone");
    let (ok, stdout, stderr) = run(&[
        "restore",
        "--slug",
        &tenant.slug,
        "--backup",
        &id,
        "--into",
        &clone,
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("{clone} is active")), "{stdout}");
    let made = tenants::find_by_slug(&app.db, &clone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(snapshot(&made).await, before);

    let out = dir.path().join("export.tar");
    let (ok, stdout, stderr) = run(&[
        "export",
        "--slug",
        &tenant.slug,
        "--out",
        &out.display().to_string(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("rows"), "{stdout}");
    let files = untar(&std::fs::read(&out).unwrap());
    assert!(files.contains_key("manifest.json") && files.contains_key("data/ledger.csv"));
}

/// Reads a tar archive into (file name → contents).
fn untar(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a path").display().to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("utf-8");
        files.insert(name, text);
    }
    files
}

/// An owner's export of A, from the console: the link works once; the archive has A's
/// rows, members and audit events, and nothing of B (a pooled neighbour in the same
/// shared database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_its_tenant_and_nothing_of_another_through_a_single_use_link() {
    let app = spawn_app().await;
    app.login_as_new_owner("owner@example.test").await;
    let a = app.provisioned_tenant("expa", "pooled").await;
    let b = app.provisioned_tenant("expb", "pooled").await;
    assert_eq!(a.database_name, b.database_name, "neighbours");
    for (t, email) in [(&a, "alice@a.example"), (&b, "bob@b.example")] {
        write_rows(t).await;
        let pool = as_tenant(t).await;
        sqlx::query("insert into ledger (label) values ($1)")
            .bind(format!("marker-{}", t.slug))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        app.create_member(email, t.id, "admin").await;
    }

    let r = app
        .post_form(&format!("/tenants/{}/export", a.slug), &[])
        .await;
    assert_redirect_to(&r, &format!("/tenants/{}#backups", a.slug));
    let page = app
        .get(&format!("/tenants/{}", a.slug))
        .await
        .text()
        .await
        .unwrap();
    let at = page
        .find("/exports/")
        .expect("the export's line is shown once")
        + "/exports/".len();
    let token: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let link = format!("/exports/{token}");
    let line = async |state: &str| {
        let r = app.get(&format!("{link}/status")).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!("data-state=\"{state}\"")),
            "{state}: {body}"
        );
        body
    };
    // While it is prepared the page says so, polls, and offers nothing to click yet.
    let preparing = line("preparing").await;
    assert!(preparing.contains("hx-trigger") && !preparing.contains("href="));
    // Support may read the tenant's page, not its export: neither the line nor the link.
    app.create_staff("support@example.test", "support").await;
    let support = TestApp::client_signed_in(&app, "support@example.test").await;
    for path in [format!("{link}/status"), link.clone()] {
        let r = support.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN, "{path}");
    }
    // The Backups card's refresh keeps the line for the owner, and gives support none.
    let card = format!("/tenants/{}/backups?export={token}", a.slug);
    let owners = app.get(&card).await.text().await.unwrap();
    assert!(owners.contains("data-state=\"preparing\""), "{owners}");
    let supports = support.get(app.url(&card)).send().await.unwrap();
    assert_eq!(supports.status(), reqwest::StatusCode::OK);
    assert!(!supports.text().await.unwrap().contains("export-link"));
    // The export is a job: until the worker has built it, the link says so and is not
    // spent. The worker dies once mid-way (after building, before storing), as a crash
    // would; the job stays queued and the next run finishes it.
    let r = app.get(&link).await;
    assert_eq!(r.status(), reqwest::StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("still being prepared"));
    assert_eq!(
        worker::run_next(&app.tenancy, Some(1)).await.unwrap(),
        Some(JobOutcome::Interrupted { tenant_id: a.id })
    );
    assert_eq!(app.get(&link).await.status(), reqwest::StatusCode::CONFLICT);
    assert_eq!(
        worker::run_next(&app.tenancy, None).await.unwrap(),
        Some(JobOutcome::Done { tenant_id: a.id })
    );
    let stored: Option<String> =
        sqlx::query_scalar("select object_key from tenant_exports where tenant_id = $1")
            .bind(a.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let stored = stored.expect("the sealed archive is in the store");
    let ready = line("ready").await;
    assert!(
        ready.contains(&format!("{link}\"")),
        "the link to download: {ready}"
    );
    assert!(!ready.contains("hx-trigger"), "polling stops: {ready}");
    let r = app.get(&link).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let files = untar(&r.bytes().await.unwrap());
    let again = app.get(&link).await;
    assert_eq!(again.status(), reqwest::StatusCode::GONE, "single use");
    line("gone").await;

    let manifest: serde_json::Value =
        serde_json::from_str(&files["manifest.json"]).expect("a manifest");
    assert_eq!(manifest["tenant"]["slug"], a.slug.as_str());
    let ledger = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ledger")
        .expect("the ledger is listed");
    assert_eq!(ledger["rows"], 502);
    let data = &files["data/ledger.csv"];
    assert!(data.contains(&format!("marker-{}", a.slug)));
    assert!(files["records/members.json"].contains("alice@a.example"));
    assert!(files["records/audit.json"].contains("tenant.created"));
    let everything: String = files.values().cloned().collect();
    for of_b in [
        format!("marker-{}", b.slug),
        "bob@b.example".to_owned(),
        b.slug.clone(),
        b.id.to_string(),
    ] {
        assert!(!everything.contains(&of_b), "{of_b} leaked into A's export");
    }
    assert!(!everything.contains("password_hash") && !everything.contains("token_hash"));
    let actions = app.audit_actions().await;
    for action in [
        "tenant.export_requested",
        "tenant.exported",
        "tenant.export_ready",
        "tenant.export_downloaded",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }
    // Downloaded once, the stored copy is gone too.
    let (status, key): (String, Option<String>) =
        sqlx::query_as("select status, object_key from tenant_exports where tenant_id = $1")
            .bind(a.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), key), ("gone", None), "{stored}");
}

/// When a deleted tenant's retention ends, the sweep queues its purge: its data, role and
/// backups go, and the audit log says why. A tenant deleted recently is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_end_purges_a_deleted_tenant_and_its_backups_audited() {
    use tenantry::tenancy::lifecycle::{self, Action};
    let bare = Bare::new().await;
    let old = bare.tenant("ret", "isolated").await;
    let recent = bare.tenant("ret", "pooled").await;
    let taken = bare.backup_of(&old).await;
    let archive = bare.archive_path(&taken);
    assert!(archive.exists());
    for t in [&old, &recent] {
        lifecycle::apply(
            &bare.t,
            &bare.fresh(t.id).await,
            Action::Delete,
            None,
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .expect("delete");
    }
    // Nothing is due yet.
    assert_eq!(
        tenantry::tenancy::retention::sweep(&bare.t).await.unwrap(),
        0
    );
    sqlx::query("update tenants set deleted_at = now() - interval '31 days' where id = $1")
        .bind(old.id)
        .execute(&bare.t.db)
        .await
        .unwrap();
    assert_eq!(
        tenantry::tenancy::retention::sweep(&bare.t).await.unwrap(),
        1
    );
    // A second sweep does not queue it twice.
    assert_eq!(
        tenantry::tenancy::retention::sweep(&bare.t).await.unwrap(),
        0
    );
    bare.drain().await;

    let purged = bare.fresh(old.id).await;
    assert_eq!(purged.status, "purged", "{:?}", purged.last_error);
    assert_eq!(bare.fresh(recent.id).await.status, "deleted");
    assert!(!archive.exists(), "its backup left the store");
    let gone = backup::get(&bare.t.db, taken.id).await.unwrap().unwrap();
    assert_eq!(gone.status, BackupStatus::Purged);
    let admin = PgPool::connect(&format!("{}/postgres", server_base_url()))
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(
        "select (select count(*) from pg_database where datname = $1)
              + (select count(*) from pg_roles where rolname = $2)",
    )
    .bind(&old.database_name)
    .bind(&old.role_name)
    .fetch_one(&admin)
    .await
    .unwrap();
    admin.close().await;
    assert_eq!(left, 0, "database and role dropped");
    let events: Vec<(String, String)> = sqlx::query_as(
        "select action, actor_label from audit_events where tenant_id = $1 order by id",
    )
    .bind(old.id)
    .fetch_all(&bare.t.db)
    .await
    .unwrap();
    assert!(
        events.contains(&("tenant.retention_ended".into(), "system".into())),
        "{events:?}"
    );
    assert!(events.contains(&("tenant.purged".into(), "system".into())));
}

#[tokio::test]
async fn plans_schedule_backups_and_old_ones_expire_audited() {
    use tenantry::tenancy::backup::schedule::{self, Swept};
    let bare = Bare::new().await;
    // `pro` backs up every 24 hours and keeps 30 days; `free` schedules none.
    let daily = bare.tenant("sch", "pooled").await;
    let unscheduled = bare.tenant("sch", "pooled").await;
    sqlx::query("update tenants set plan_id = 'free' where id = $1")
        .bind(unscheduled.id)
        .execute(&bare.t.db)
        .await
        .unwrap();
    let sweep = async || schedule::sweep(&bare.t).await.expect("sweep");
    assert_eq!(sweep().await, Swept::default(), "a new tenant is not due");

    let age = async |sql: &str, id: uuid::Uuid| {
        sqlx::query(sql).bind(id).execute(&bare.t.db).await.unwrap();
    };
    for t in [&daily, &unscheduled] {
        age(
            "update tenants set created_at = now() - interval '25 hours' where id = $1",
            t.id,
        )
        .await;
    }
    assert_eq!(
        sweep().await,
        Swept {
            queued: 1,
            expired: 0
        }
    );
    assert_eq!(
        sweep().await,
        Swept::default(),
        "queued once, not per sweep"
    );
    bare.drain().await;
    let first = backup::list(&bare.t.db, daily.id).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status, BackupStatus::Done);
    assert_eq!(first[0].requested_by, "backup schedule");
    assert!(
        backup::list(&bare.t.db, unscheduled.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A day later the next is due; the older one, past the plan's 30 days, expires —
    // but never the newest good backup, even when it is old too.
    age(
        "update tenant_backups set created_at = now() - interval '31 days' where tenant_id = $1",
        daily.id,
    )
    .await;
    assert_eq!(
        sweep().await,
        Swept {
            queued: 1,
            expired: 0
        },
        "the only good backup stays however old"
    );
    bare.drain().await;
    let old = &first[0];
    assert_eq!(
        sweep().await,
        Swept {
            queued: 0,
            expired: 1
        }
    );
    let after = backup::list(&bare.t.db, daily.id).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].status, BackupStatus::Done, "the new one");
    assert_eq!(after[1].id, old.id);
    assert_eq!(after[1].status, BackupStatus::Expired);
    assert!(!bare.archive_path(old).exists(), "removed from the store");
    assert!(bare.archive_path(&after[0]).exists());
    let events: Vec<(String, String)> = sqlx::query_as(
        "select action, actor_label from audit_events where tenant_id = $1
           and action in ('tenant.backup_requested', 'tenant.backup_expired') order by id",
    )
    .bind(daily.id)
    .fetch_all(&bare.t.db)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            ("tenant.backup_requested".into(), "backup schedule".into()),
            ("tenant.backup_requested".into(), "backup schedule".into()),
            ("tenant.backup_expired".into(), "system".into()),
        ]
    );
}

/// A local S3-compatible server (moto's server mode, from PyPI), stopped when dropped.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "moto_server (a local S3-compatible server) could not be started: {e}. \
                     Install it with: python3 -m pip install 'moto[server]==5.2.1' (.ci/run does)"
                )
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = crate::helpers::http_client().build().expect("http client");
        let url = format!("{endpoint}/moto-api/");
        poll_until(async || client.get(&url).send().await.ok().map(|_| ())).await;
        Self { child, endpoint }
    }

    async fn create_bucket(&self, bucket: &str) {
        let r = crate::helpers::http_client()
            .build()
            .expect("http client")
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(r.status().is_success(), "{}", r.status());
    }

    async fn keys(&self, bucket: &str) -> String {
        crate::helpers::http_client()
            .build()
            .expect("http client")
            .get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("body")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same backup and restore through the S3 path, against a real local S3-compatible
/// server: the archive lands in the bucket, restores identical rows, and an archive gone
/// from the bucket is a clear failure with the tenant unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_round_trip_through_an_s3_compatible_server() {
    use tenantry::tenancy::backup::store::S3Config;
    let s3 = S3Server::start().await;
    s3.create_bucket("tenant-backups").await;
    let bare = Bare::new().await;
    let t = bare.with_store(StoreConfig::S3(S3Config {
        bucket: "tenant-backups".into(),
        endpoint: Some(s3.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some(tenantry::secret::Secret::new("testing")),
    }));
    let run = async |t: &Tenancy| while worker::run_next(t, None).await.unwrap().is_some() {};
    let tenant = bare.tenant("s3bk", "pooled").await;
    write_rows(&tenant).await;
    let before = snapshot(&tenant).await;
    let queued = backup::request_backup(&t, &tenant, &Actor::cli(), &Origin::default())
        .await
        .unwrap();
    run(&t).await;
    let taken = backup::get(&t.db, queued.backup_id).await.unwrap().unwrap();
    assert_eq!(taken.status, BackupStatus::Done, "{:?}", taken.error);
    assert!(s3.keys("tenant-backups").await.contains(&taken.object_key));
    assert!(!bare.archive_path(&taken).exists(), "not in the directory");

    scribble(&tenant).await;
    let restore = async || {
        backup::request_restore(
            &t,
            &tenant,
            &taken,
            Some(&tenant.slug),
            &Actor::cli(),
            &Origin::default(),
        )
        .await
        .unwrap();
        run(&t).await;
    };
    restore().await;
    assert_eq!(snapshot(&tenant).await, before);

    // Gone from the bucket (removed with the store's own signed request).
    let store = t.backup_settings.store.open().unwrap();
    store.delete(&taken.object_key).await.unwrap();
    assert!(!s3.keys("tenant-backups").await.contains(&taken.object_key));
    scribble(&tenant).await;
    let changed = snapshot(&tenant).await;
    restore().await;
    let error: String = sqlx::query_scalar(
        "select last_error from provisioning_jobs where kind = 'restore' order by id desc limit 1",
    )
    .fetch_one(&t.db)
    .await
    .unwrap();
    assert!(error.contains("missing from the backup store"), "{error}");
    assert_eq!(snapshot(&tenant).await, changed);
    assert_eq!(bare.fresh(tenant.id).await.status, "active");
}
