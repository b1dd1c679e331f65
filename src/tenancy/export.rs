//! A tenant's export (a GDPR access request, or leaving): one tar archive holding
//! `manifest.json`, every table of the tenant's database or schema as CSV (read as the
//! tenant's own role, so nothing of another tenant can be in it), and the control
//! plane's records about the tenant — the tenant itself, members, custom roles,
//! invitations and its audit log — as JSON. Secrets (password hashes, token hashes, the
//! sealed role password) are left out.
//!
//! It is built by a durable job (`export_jobs`); owners download it from the console
//! through a link that works once and expires.

use std::path::Path;

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::ident::Ident;
use crate::tenancy::Tenancy;
use crate::tenancy::backup::tools::Login;
use crate::tenancy::status::TenantStatus;
use crate::tenancy::tenants::Tenant;

/// How long a download link works.
pub const LINK_MINUTES: i64 = 15;

/// The archive's table of contents, written first as `manifest.json`.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub tenant: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub schema_version: i64,
    pub tables: Vec<Entry>,
    pub records: Vec<Entry>,
}

/// One file of the archive.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub file: String,
    pub rows: i64,
    pub sha256: String,
}

/// Writes `tenant`'s export to `out` and records it in the audit log.
#[tracing::instrument(skip_all, err)]
pub async fn write(
    t: &Tenancy,
    tenant: &Tenant,
    out: &Path,
    actor: &Actor,
    origin: &Origin,
) -> anyhow::Result<Manifest> {
    if !matches!(
        tenant.status,
        TenantStatus::Active | TenantStatus::Suspended
    ) {
        anyhow::bail!(
            "a tenant that is {} cannot be exported (its role cannot log in)",
            tenant.status
        );
    }
    let work = tempfile::Builder::new()
        .prefix("tenantry-export-")
        .tempdir()?;
    std::fs::create_dir(work.path().join("data"))?;
    std::fs::create_dir(work.path().join("records"))?;
    let tables = tables(t, tenant, work.path()).await?;
    let records = records(t, tenant, work.path()).await?;
    let manifest = Manifest {
        format: "tenantry-export/1",
        tenant: json!({
            "id": tenant.id,
            "slug": tenant.slug,
            "name": tenant.name,
            "plan": tenant.plan_id,
            "tier": tenant.tier,
            "status": tenant.status,
        }),
        exported_at: OffsetDateTime::now_utc(),
        schema_version: tenant.schema_version,
        tables,
        records,
    };
    std::fs::write(
        work.path().join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    let dir = work.path().to_owned();
    let target = out.to_owned();
    let files: Vec<String> = std::iter::once("manifest.json".to_owned())
        .chain(manifest.tables.iter().map(|e| e.file.clone()))
        .chain(manifest.records.iter().map(|e| e.file.clone()))
        .collect();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let file = std::fs::File::create(&target)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
        let mut tar = tar::Builder::new(file);
        tar.mode(tar::HeaderMode::Deterministic);
        for name in files {
            tar.append_path_with_name(dir.join(&name), &name)?;
        }
        tar.into_inner()?.sync_all()?;
        Ok(())
    })
    .await??;
    audit::record(
        &t.db,
        NewEvent {
            actor,
            action: "tenant.exported",
            tenant: Some(tenant.id),
            target: Some(&tenant.slug),
            origin,
            details: json!({
                "tenant_id": tenant.id,
                "tables": manifest.tables.len(),
                "rows": manifest.tables.iter().map(|e| e.rows).sum::<i64>(),
            }),
        },
    )
    .await?;
    drop(work);
    Ok(manifest)
}

/// Every table of the tenant's schema as CSV with a header, read as the tenant's role.
async fn tables(t: &Tenancy, tenant: &Tenant, dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let login = Login::of(&t.db, &t.key, tenant.id).await?;
    let options = PgConnectOptions::new_without_pgpass()
        .host(&login.host)
        .port(login.port)
        .username(&login.role)
        .password(login.password.expose())
        .database(&tenant.database_name)
        .application_name("tenantry:export");
    let mut conn = PgConnection::connect_with(&options).await?;
    let schema = tenant
        .schema_name
        .clone()
        .unwrap_or_else(|| "public".into());
    let names: Vec<String> = sqlx::query_scalar(
        "select tablename::text from pg_tables where schemaname = $1 order by tablename",
    )
    .bind(&schema)
    .fetch_all(&mut conn)
    .await?;
    let schema = Ident::new(&schema)?;
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        // Table names come from the catalog of our own migrations; skip anything else.
        let Ok(table) = Ident::new(&name) else {
            continue;
        };
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from {schema}.{table}"))
            .fetch_one(&mut conn)
            .await?;
        let file = format!("data/{name}.csv");
        let mut out = tokio::fs::File::create(dir.join(&file)).await?;
        let mut hash = Sha256::new();
        let mut copy = conn
            .copy_out_raw(&format!(
                "copy {schema}.{table} to stdout with (format csv, header true)"
            ))
            .await?;
        while let Some(chunk) = copy.next().await {
            let chunk = chunk?;
            hash.update(&chunk);
            out.write_all(&chunk).await?;
        }
        drop(copy);
        out.flush().await?;
        entries.push(Entry {
            name,
            file,
            rows,
            sha256: hex::encode(hash.finalize()),
        });
    }
    conn.close().await?;
    Ok(entries)
}

/// The control plane's records about the tenant, one JSON array per kind.
async fn records(t: &Tenancy, tenant: &Tenant, dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let id = tenant.id;
    let tenant_row = sqlx::query_scalar!(
        r#"select to_jsonb(t) - 'role_password_enc' as "v!" from tenants t where id = $1"#,
        id
    )
    .fetch_one(&t.db)
    .await?;
    let members = sqlx::query_scalar!(
        r#"select coalesce(jsonb_agg(jsonb_build_object(
                      'email', u.email, 'name', u.name, 'role', m.role, 'custom_role', r.name,
                      'member_since', m.created_at, 'last_login_at', m.last_login_at)
                  order by lower(u.email)), '[]') as "v!"
           from memberships m join users u on u.id = m.user_id
           left join tenant_roles r on r.id = m.role_id
           where m.tenant_id = $1"#,
        id
    )
    .fetch_one(&t.db)
    .await?;
    let roles = sqlx::query_scalar!(
        r#"select coalesce(jsonb_agg(to_jsonb(r) - 'tenant_id' order by r.name), '[]') as "v!"
           from tenant_roles r where r.tenant_id = $1"#,
        id
    )
    .fetch_one(&t.db)
    .await?;
    let invitations = sqlx::query_scalar!(
        r#"select coalesce(jsonb_agg(to_jsonb(i) - 'token_hash' - 'tenant_id' order by i.created_at), '[]') as "v!"
           from invitations i where i.tenant_id = $1"#,
        id
    )
    .fetch_one(&t.db)
    .await?;
    let audit = sqlx::query_scalar!(
        r#"select coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' order by a.id), '[]') as "v!"
           from audit_events a where a.tenant_id = $1"#,
        id
    )
    .fetch_one(&t.db)
    .await?;
    let mut entries = Vec::new();
    for (name, value) in [
        ("tenant", Value::Array(vec![tenant_row])),
        ("members", members),
        ("roles", roles),
        ("invitations", invitations),
        ("audit", audit),
    ] {
        let bytes = serde_json::to_vec_pretty(&value)?;
        let file = format!("records/{name}.json");
        tokio::fs::write(dir.join(&file), &bytes).await?;
        entries.push(Entry {
            name: name.to_owned(),
            file,
            rows: value.as_array().map_or(0, |a| a.len() as i64),
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }
    Ok(entries)
}

/// The manifest of an export archive at `path`, as JSON.
pub fn read_manifest(path: &Path) -> anyhow::Result<Value> {
    let file = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries()? {
        let entry = entry?;
        if entry.path()?.as_os_str() == "manifest.json" {
            return Ok(serde_json::from_reader(entry)?);
        }
    }
    anyhow::bail!("{} holds no manifest.json", path.display())
}
