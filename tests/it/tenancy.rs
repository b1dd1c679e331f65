//! Provisioning, isolation at the database, crash-resume, placement, lifecycle and fleet
//! migrations, against real PostgreSQL.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};
use tenantry::control::audit::{Actor, Origin};
use tenantry::tenancy::Tenancy;
use tenantry::tenancy::lifecycle::{Action, LifecycleError};
use tenantry::tenancy::tenants::{self, CreateError, NewTenant, Tenant};
use tenantry::tenancy::worker::{self, JobOutcome};

use crate::helpers::*;

async fn create(t: &Tenancy, slug: &str, tier: &str) -> Tenant {
    let new = NewTenant {
        slug,
        name: "Test tenant",
        plan: "free",
        tier: Some(tier),
    };
    let tenant = t
        .create(new, None, &Actor::cli(), &Origin::default())
        .await
        .expect("created");
    t.settle(tenant.id, Duration::from_secs(60))
        .await
        .expect("settled")
}

/// A tenant and its job, queued: no worker runs it.
async fn queue(t: &Tenancy, slug: &str, name: &str, tier: &str) -> Tenant {
    let new = NewTenant {
        slug,
        name,
        plan: "free",
        tier: Some(tier),
    };
    tenants::create(&t.db, new, None, &Actor::cli(), &Origin::default())
        .await
        .expect("queued")
}

fn superuser(database: &str) -> String {
    format!("{}/{database}", server_base_url())
}

/// The tenant role's own credentials, as the pool manager would use them.
async fn tenant_url(t: &Tenancy, tenant: &Tenant, database: &str) -> String {
    let sealed: Vec<u8> = sqlx::query_scalar("select role_password_enc from tenants where id = $1")
        .bind(tenant.id)
        .fetch_one(&t.db)
        .await
        .unwrap();
    let password = t.key.open_string(&sealed).unwrap();
    let base = server_base_url();
    let host = base
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or("127.0.0.1:5432");
    format!(
        "postgres://{}:{}@{host}/{database}",
        tenant.role_name,
        password.expose()
    )
}

async fn catalog_count(sql: &str, name: &str) -> i64 {
    let pool = PgPool::connect(&superuser("postgres")).await.unwrap();
    let n = sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn both_tiers_provision_to_active_with_least_privilege() {
    let app = spawn_app().await;
    let a = create(&app.tenancy, &unique_slug("iso"), "isolated").await;
    let b = create(&app.tenancy, &unique_slug("iso"), "isolated").await;
    let p = create(&app.tenancy, &unique_slug("pool"), "pooled").await;
    let q = create(&app.tenancy, &unique_slug("pool"), "pooled").await;
    for t in [&a, &b, &p, &q] {
        assert_eq!(t.status, "active", "{}: {:?}", t.slug, t.last_error);
        assert!(t.schema_version > 0);
    }

    // Each role reaches its own data.
    let mut own = PgConnection::connect(&tenant_url(&app.tenancy, &a, &a.database_name).await)
        .await
        .unwrap();
    let name: String = sqlx::query_scalar("select name from tenant_settings")
        .fetch_one(&mut own)
        .await
        .unwrap();
    assert_eq!(name, "Test tenant");
    let owner: String = sqlx::query_scalar(
        "select tableowner::text from pg_tables where tablename = 'tenant_settings'",
    )
    .fetch_one(&mut own)
    .await
    .unwrap();
    assert_eq!(owner, a.role_name, "the tenant's role owns its objects");

    // …and nobody else's.
    let cross = PgConnection::connect(&tenant_url(&app.tenancy, &a, &b.database_name).await).await;
    assert!(cross.is_err(), "tr_a must not connect to tenant_b");
    let public_connect: bool =
        sqlx::query_scalar("select has_database_privilege('public', $1, 'CONNECT')")
            .bind(&a.database_name)
            .fetch_one(&PgPool::connect(&superuser("postgres")).await.unwrap())
            .await
            .unwrap();
    assert!(!public_connect, "PUBLIC has no CONNECT on tenant databases");

    let mut p_conn = PgConnection::connect(&tenant_url(&app.tenancy, &p, &p.database_name).await)
        .await
        .unwrap();
    let own_schema = p.schema_name.clone().unwrap();
    let other_schema = q.schema_name.clone().unwrap();
    let mine: i64 = sqlx::query_scalar(&format!(
        "select count(*) from \"{own_schema}\".tenant_settings"
    ))
    .fetch_one(&mut p_conn)
    .await
    .unwrap();
    assert_eq!(mine, 1);
    let theirs = sqlx::query(&format!("select * from \"{other_schema}\".tenant_settings"))
        .fetch_all(&mut p_conn)
        .await;
    let err = theirs.unwrap_err().to_string();
    assert!(
        err.contains("permission denied"),
        "t_q must be closed to tr_p: {err}"
    );
    let public_create = sqlx::query("create table public.sneaky (x int)")
        .execute(&mut p_conn)
        .await;
    assert!(
        public_create.is_err(),
        "the shared database's public schema is closed"
    );
    let role_limit: i32 =
        sqlx::query_scalar("select rolconnlimit from pg_roles where rolname = current_user")
            .fetch_one(&mut p_conn)
            .await
            .unwrap();
    assert!(role_limit > 0, "tenant roles carry a connection limit");
}

#[tokio::test]
async fn a_job_interrupted_after_any_step_finishes_after_restart_without_duplicates() {
    let app = spawn_app().await;
    for tier in ["isolated", "pooled"] {
        let steps = tenantry::tenancy::provision::steps(
            tenantry::tenancy::tenants::Tier::parse(tier).unwrap(),
        )
        .len();
        for k in 1..=steps {
            let tenant = queue(&app.tenancy, &unique_slug("crash"), "Crashy", tier).await;
            // "Kill" the worker after k steps: its claim is rolled back, the job stays queued.
            let first = worker::run_next(&app.tenancy, Some(k)).await.unwrap();
            assert_eq!(
                first,
                Some(JobOutcome::Interrupted {
                    tenant_id: tenant.id
                }),
                "{tier} k={k}"
            );
            let second = worker::run_next(&app.tenancy, None).await.unwrap();
            assert_eq!(
                second,
                Some(JobOutcome::Done {
                    tenant_id: tenant.id
                }),
                "{tier} k={k}"
            );
            let done = tenants::get(&app.tenancy.db, tenant.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(done.status, "active", "{tier} k={k}: {:?}", done.last_error);
            assert_eq!(
                catalog_count(
                    "select count(*) from pg_roles where rolname = $1",
                    &done.role_name
                )
                .await,
                1
            );
            match tier {
                "isolated" => assert_eq!(
                    catalog_count(
                        "select count(*) from pg_database where datname = $1",
                        &done.database_name
                    )
                    .await,
                    1
                ),
                _ => {
                    let pool = PgPool::connect(&superuser(&done.database_name))
                        .await
                        .unwrap();
                    let n: i64 =
                        sqlx::query_scalar("select count(*) from pg_namespace where nspname = $1")
                            .bind(done.schema_name.as_ref().unwrap())
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                    assert_eq!(n, 1);
                    pool.close().await;
                }
            }
        }
    }
    let jobs: i64 =
        sqlx::query_scalar("select count(*) from provisioning_jobs where status <> 'done'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(jobs, 0);
}

/// What provisioning leaves in the catalog for a tenant, with its own names taken out,
/// so two tenants of a tier can be compared.
async fn footprint(t: &Tenant) -> Vec<String> {
    let conn = PgPool::connect(&superuser(&t.database_name)).await.unwrap();
    let schema = t.schema_name.clone().unwrap_or_else(|| "public".into());
    let mut rows: Vec<String> = sqlx::query_scalar(
        "select format('role login=%s inherit=%s limit=%s', rolcanlogin, rolinherit, rolconnlimit)
           from pg_roles where rolname = $1
         union all
         select 'member ' || case when m.rolname like 'tenantry_gw_%' then 'gateway' else m.rolname end
           from pg_auth_members a join pg_roles m on m.oid = a.member
           join pg_roles r on r.oid = a.roleid where r.rolname = $1
         union all
         select format('schema owner=%s acl=%s', n.nspowner = r.oid, replace(n.nspacl::text, $1, 'ROLE'))
           from pg_namespace n, pg_roles r where n.nspname = $2 and r.rolname = $1
         union all
         select format('relation %s kind=%s owned=%s', c.relname, c.relkind, c.relowner = r.oid)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace, pg_roles r
          where n.nspname = $2 and r.rolname = $1
         union all
         select format('connect role=%s public=%s', has_database_privilege($1, d.oid, 'connect'),
                       has_database_privilege('public', d.oid, 'connect'))
           from pg_database d where d.datname = current_database()
         union all
         select format('database owner=%s acl=%s', d.datdba = r.oid, replace(d.datacl::text, $1, 'ROLE'))
           from pg_database d, pg_roles r
          where d.datname = current_database() and r.rolname = $1 and $3 = 'isolated'",
    )
    .bind(&t.role_name)
    .bind(&schema)
    .bind(t.tier().as_str())
    .fetch_all(&conn)
    .await
    .unwrap();
    rows.extend(
        sqlx::query_scalar::<_, String>(&format!(
            "select format('migration %s %s', version, module) from \"{schema}\".tenantry_migrations
             union all select 'seed ' || name from \"{schema}\".tenant_settings"
        ))
        .fetch_all(&conn)
        .await
        .unwrap(),
    );
    rows.sort();
    conn.close().await;
    rows
}

/// A new tenant is made at once (pooled: in one transaction on its shared database) and
/// ends exactly as the steps leave one (here, a job resumed after its first step).
#[tokio::test]
async fn a_new_tenant_is_made_at_once_and_ends_as_the_steps_leave_it() {
    let app = spawn_app().await;
    for tier in ["pooled", "isolated"] {
        // The first tenant takes the steps, which make the shared database or template.
        create(&app.tenancy, &unique_slug(tier), tier).await;
        let at_once = create(&app.tenancy, &unique_slug(tier), tier).await;
        assert_eq!(at_once.status, "active", "{:?}", at_once.last_error);

        let stepped = queue(&app.tenancy, &unique_slug(tier), "Test tenant", tier).await;
        assert_eq!(
            stepped.database_name == at_once.database_name,
            tier == "pooled"
        );
        let first = worker::run_next(&app.tenancy, Some(1)).await.unwrap();
        assert!(matches!(first, Some(JobOutcome::Interrupted { .. })));
        let second = worker::run_next(&app.tenancy, None).await.unwrap();
        assert!(matches!(second, Some(JobOutcome::Done { .. })));
        let stepped = tenants::get(&app.tenancy.db, stepped.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stepped.status, "active", "{:?}", stepped.last_error);
        assert_eq!(stepped.schema_version, at_once.schema_version);

        let footprint_at_once = footprint(&at_once).await;
        for expected in ["connect role=t public=f", "seed Test tenant"] {
            assert!(
                footprint_at_once.iter().any(|r| r == expected),
                "{tier}: {footprint_at_once:?}"
            );
        }
        if tier == "pooled" {
            assert!(
                footprint_at_once.iter().any(|r| r == "member gateway"),
                "{footprint_at_once:?}"
            );
        }
        assert_eq!(footprint_at_once, footprint(&stepped).await, "{tier}");
    }
}

/// A new pooled tenant's role, schema, bookkeeping and seed are one transaction's work;
/// so are a new isolated tenant's privileges and seed.
#[tokio::test]
async fn a_new_tenant_is_made_in_one_transaction_where_it_can_be() {
    let app = spawn_app().await;
    create(&app.tenancy, &unique_slug("pool"), "pooled").await;
    let at_once = create(&app.tenancy, &unique_slug("pool"), "pooled").await;
    let shared = PgPool::connect(&superuser(&at_once.database_name))
        .await
        .unwrap();
    let schema = at_once.schema_name.clone().unwrap();
    let xmins: i64 = sqlx::query_scalar(&format!(
        "select count(distinct x) from (
           select xmin::text as x from pg_authid where rolname = $1
           union all select xmin::text from pg_namespace where nspname = $2
           union all select xmin::text from \"{schema}\".tenantry_migrations
           union all select xmin::text from \"{schema}\".tenant_settings) all_rows"
    ))
    .bind(&at_once.role_name)
    .bind(&schema)
    .fetch_one(&shared)
    .await
    .unwrap();
    assert_eq!(xmins, 1, "made in one transaction");
    shared.close().await;

    // An isolated one's lock-down and seed are one transaction in its new database.
    create(&app.tenancy, &unique_slug("iso"), "isolated").await;
    let isolated = create(&app.tenancy, &unique_slug("iso"), "isolated").await;
    let own = PgPool::connect(&superuser(&isolated.database_name))
        .await
        .unwrap();
    let one: bool = sqlx::query_scalar(
        "select (select xmin::text from pg_database where datname = current_database())
              = (select xmin::text from tenant_settings)",
    )
    .fetch_one(&own)
    .await
    .unwrap();
    assert!(one, "the grants and the seed share a transaction");
    own.close().await;
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let t = &app.tenancy;
    let taken = create(t, &unique_slug("taken"), "pooled").await;
    let cases: Vec<(NewTenant<'_>, &str)> = vec![
        (
            NewTenant {
                slug: "Acme",
                name: "x",
                plan: "free",
                tier: None,
            },
            "slug",
        ),
        (
            NewTenant {
                slug: "a_b",
                name: "x",
                plan: "free",
                tier: None,
            },
            "slug",
        ),
        (
            NewTenant {
                slug: "admin",
                name: "x",
                plan: "free",
                tier: None,
            },
            "slug",
        ),
        (
            NewTenant {
                slug: &taken.slug,
                name: "x",
                plan: "free",
                tier: None,
            },
            "slug",
        ),
        (
            NewTenant {
                slug: "fresh-one",
                name: "",
                plan: "free",
                tier: None,
            },
            "name",
        ),
        (
            NewTenant {
                slug: "fresh-one",
                name: "x",
                plan: "gold",
                tier: None,
            },
            "plan",
        ),
        (
            NewTenant {
                slug: "fresh-one",
                name: "x",
                plan: "free",
                tier: Some("shared"),
            },
            "tier",
        ),
    ];
    for (new, field) in cases {
        let slug = new.slug.to_owned();
        let err = t
            .create(new, None, &Actor::cli(), &Origin::default())
            .await
            .unwrap_err();
        assert_eq!(err.field(), field, "{slug}: {err}");
    }
    // Differing only in case is the same slug.
    let upper = taken.slug.to_uppercase();
    assert!(matches!(
        tenants::check_slug(&t.db, &upper).await,
        Err(CreateError::Slug(_))
    ));
    let n: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&t.db)
        .await
        .unwrap();
    assert_eq!(n, 1, "nothing was created");
}

#[tokio::test]
async fn lifecycle_transitions_and_refusals() {
    let app = spawn_app().await;
    let t = &app.tenancy;
    let tenant = create(t, &unique_slug("life"), "isolated").await;
    let act = async |action| app.transition(tenant.id, action, None).await;

    let refused = act(Action::Purge).await.unwrap_err();
    assert!(
        refused.to_string().contains("delete it before purging"),
        "{refused}"
    );
    assert!(matches!(
        act(Action::Activate).await,
        Err(LifecycleError::Refused(_))
    ));
    act(Action::Suspend).await.unwrap();
    act(Action::Activate).await.unwrap();
    act(Action::Delete).await.unwrap();
    let can_login: bool = sqlx::query_scalar("select rolcanlogin from pg_roles where rolname = $1")
        .bind(&tenant.role_name)
        .fetch_one(&PgPool::connect(&superuser("postgres")).await.unwrap())
        .await
        .unwrap();
    assert!(!can_login, "a deleted tenant's role cannot log in");
    act(Action::Restore).await.unwrap();
    act(Action::Delete).await.unwrap();
    // Purging inside the retention period needs the slug typed.
    assert!(matches!(
        act(Action::Purge).await,
        Err(LifecycleError::ConfirmationNeeded(_))
    ));
    app.transition(tenant.id, Action::Purge, Some(&tenant.slug))
        .await
        .unwrap();
    let purged = t.settle(tenant.id, Duration::from_secs(60)).await.unwrap();
    assert_eq!(purged.status, "purged");
    assert_eq!(
        catalog_count(
            "select count(*) from pg_database where datname = $1",
            &tenant.database_name
        )
        .await,
        0
    );
    assert_eq!(
        catalog_count(
            "select count(*) from pg_roles where rolname = $1",
            &tenant.role_name
        )
        .await,
        0
    );
    assert!(
        matches!(act(Action::Activate).await, Err(LifecycleError::Refused(_))),
        "a purged tenant stays purged"
    );

    let actions = app.audit_actions().await;
    for expected in [
        "tenant.created",
        "tenant.activated",
        "tenant.suspended",
        "tenant.deleted",
        "tenant.restored",
        "tenant.purged",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn placement_prefers_the_server_with_most_free_capacity_and_skips_drained_ones() {
    let app = spawn_app().await;
    let t = &app.tenancy;
    let data = tempfile::tempdir_in("/tmp").unwrap();
    let second =
        tenantry::pg::embedded::EmbeddedCluster::start(tenantry::pg::embedded::ClusterOptions {
            data_dir: data.path().to_path_buf(),
            pg_bin: None,
            settings: vec![("fsync".into(), "off".into())],
        })
        .await
        .unwrap();
    let o = Origin::default();
    let bad = tenantry::tenancy::servers::register(
        &t.db,
        &t.key,
        "nowhere",
        &tenantry::secret::Secret::new("postgres://postgres:x@127.0.0.1:1/postgres"),
        10,
        &Actor::cli(),
        &o,
    )
    .await;
    assert!(bad.is_err(), "a DSN that does not connect is refused");
    // A role that connects but may not create databases and roles is refused too.
    let admin = PgPool::connect(&second.url("postgres")).await.unwrap();
    sqlx::query("create role weakling login password 'weak-but-long-password'")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let weak_url = format!(
        "postgres://weakling:weak-but-long-password@127.0.0.1:{}/postgres",
        second.port()
    );
    let weak = tenantry::tenancy::servers::register(
        &t.db,
        &t.key,
        "weak",
        &tenantry::secret::Secret::new(weak_url),
        10,
        &Actor::cli(),
        &o,
    )
    .await;
    assert!(
        matches!(
            weak,
            Err(tenantry::tenancy::servers::RegisterError::MissingPrivileges)
        ),
        "{weak:?}"
    );
    let registered = tenantry::tenancy::servers::register(
        &t.db,
        &t.key,
        "second",
        &tenantry::secret::Secret::new(second.url("postgres")),
        3,
        &Actor::cli(),
        &o,
    )
    .await
    .unwrap();
    // The primary has 5000 free slots, the second 3: tenants go to the primary…
    let first = create(t, &unique_slug("place"), "isolated").await;
    assert_eq!(first.server_name, "primary");
    // …until the primary is drained.
    let primary = tenantry::tenancy::servers::list(&t.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.is_primary)
        .unwrap();
    tenantry::tenancy::servers::update(
        &t.db,
        primary.id,
        true,
        primary.capacity,
        &Actor::cli(),
        &o,
    )
    .await
    .unwrap();
    let placed = create(t, &unique_slug("place"), "isolated").await;
    assert_eq!(placed.server_name, "second");
    assert_eq!(placed.status, "active", "{:?}", placed.last_error);
    assert_eq!(placed.db_server_id, registered.id);
    // The second server's capacity runs out: a clear refusal.
    create(t, &unique_slug("place"), "pooled").await;
    create(t, &unique_slug("place"), "pooled").await;
    let full = t
        .create(
            NewTenant {
                slug: &unique_slug("full"),
                name: "x",
                plan: "free",
                tier: None,
            },
            None,
            &Actor::cli(),
            &o,
        )
        .await
        .unwrap_err();
    assert!(matches!(full, CreateError::NoCapacity), "{full}");
    t.servers.forget(registered.id, "postgres").await;
    t.servers.forget(registered.id, "tenants_pooled_1").await;
    second.stop().await.unwrap();
}

#[tokio::test]
async fn migrating_the_fleet_isolates_a_broken_tenant() {
    let app = spawn_app().await;
    let t = &app.tenancy;
    let good = create(t, &unique_slug("good"), "isolated").await;
    let pooled = create(t, &unique_slug("good"), "pooled").await;
    let broken = create(t, &unique_slug("broken"), "isolated").await;
    // Enable CRM everywhere; sabotage one tenant so its CRM migration cannot apply.
    for tenant in [&good, &pooled, &broken] {
        sqlx::query("insert into tenant_modules (tenant_id, module) values ($1, 'crm')")
            .bind(tenant.id)
            .execute(&t.db)
            .await
            .unwrap();
    }
    let sabotage = PgPool::connect(&superuser(&broken.database_name))
        .await
        .unwrap();
    sqlx::query("create table public.customers (wrong int)")
        .execute(&sabotage)
        .await
        .unwrap();
    sabotage.close().await;

    let opts = tenantry::tenancy::fleet::Options {
        concurrency: 4,
        tenant: None,
        canary: None,
        all: false,
    };
    let report = tenantry::tenancy::fleet::migrate(t, &opts, |_, _| {})
        .await
        .unwrap();
    assert_eq!(report.migrated.len(), 2, "{report:?}");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, broken.slug);
    let target = tenantry::tenancy::migrate::target_version(&["crm".into()]);
    for ok in [&good, &pooled] {
        let now = tenants::get(&t.db, ok.id).await.unwrap().unwrap();
        assert_eq!(now.schema_version, target);
    }
    let now = tenants::get(&t.db, broken.id).await.unwrap().unwrap();
    assert!(
        now.schema_version < target,
        "the broken tenant keeps its version"
    );
    assert!(
        now.last_error
            .unwrap_or_default()
            .contains("migration failed")
    );

    // The CLI reports the same and exits non-zero.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args([
            "tenants",
            "migrate",
            "--database-url",
            &app.db_url,
            "--master-key",
            TEST_MASTER_KEY,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("FAILED {}", broken.slug)),
        "{stderr}"
    );
}

/// A tenant's name reaches its seed row as data, whatever it holds, when the tenant is
/// made at once (the name travels hex-encoded, never as SQL text).
#[tokio::test]
async fn a_hostile_tenant_name_is_only_data_in_the_seed() {
    let app = spawn_app().await;
    create(&app.tenancy, &unique_slug("pool"), "pooled").await;
    let name = "x'); drop schema public cascade; -- $tenantry$ $$ \\ ü";
    let queued = queue(&app.tenancy, &unique_slug("pool"), name, "pooled").await;
    let tenant = app
        .tenancy
        .settle(queued.id, Duration::from_secs(60))
        .await
        .expect("settled");
    assert_eq!(tenant.status, "active", "{:?}", tenant.last_error);
    let shared = PgPool::connect(&superuser(&tenant.database_name))
        .await
        .unwrap();
    let schema = tenant.schema_name.clone().unwrap();
    let (seeded, one_transaction): (String, bool) = sqlx::query_as(&format!(
        "select name, xmin::text = (select xmin::text from pg_namespace where nspname = $1)
         from \"{schema}\".tenant_settings"
    ))
    .bind(&schema)
    .fetch_one(&shared)
    .await
    .unwrap();
    assert_eq!(seeded, name);
    assert!(one_transaction, "made at once");
    shared.close().await;
}
