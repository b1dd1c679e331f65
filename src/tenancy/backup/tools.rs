//! `pg_dump` and `pg_restore`, found beside the server binaries (`PG_BIN`, else `PATH`,
//! else the newest `/usr/lib/postgresql/*/bin`) and run as the tenant's own role, so a
//! backup can read, and a restore can write, only what that role owns.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use uuid::Uuid;

use crate::secret::Secret;
use crate::tenancy::crypto::MasterKey;
use crate::tenancy::pools::target::split_address;

/// The client programs, located once per job.
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    pub fn find(pg_bin: Option<&Path>) -> anyhow::Result<Self> {
        let dir = crate::pg::embedded::find_pg_bin(pg_bin)
            .map_err(|e| anyhow::anyhow!("the PostgreSQL client programs were not found: {e}"))?;
        for program in ["pg_dump", "pg_restore"] {
            anyhow::ensure!(
                dir.join(program).is_file(),
                "{program} is missing from {} (install the PostgreSQL client package)",
                dir.display()
            );
        }
        Ok(Self { dir })
    }

    /// `pg_dump --format=custom` of `database` (only `schema` when given) into `out`.
    pub async fn dump(
        &self,
        login: &Login,
        database: &str,
        schema: Option<&str>,
        out: &Path,
    ) -> anyhow::Result<()> {
        let mut args = vec![
            "--format=custom".to_owned(),
            "--no-owner".to_owned(),
            "--no-acl".to_owned(),
            format!("--file={}", out.display()),
        ];
        if let Some(schema) = schema {
            // An exact name: `--schema` takes a pattern, so quote it.
            args.push(format!("--schema=\"{schema}\""));
        }
        self.run("pg_dump", login, database, &args).await
    }

    /// Restores `dump` into `database` in one transaction, stopping at the first error;
    /// `list` limits it to the entries of a `--use-list` file.
    pub async fn restore(
        &self,
        login: &Login,
        database: &str,
        dump: &Path,
        list: Option<&Path>,
    ) -> anyhow::Result<()> {
        let mut args = vec![
            "--no-owner".to_owned(),
            "--no-acl".to_owned(),
            "--exit-on-error".to_owned(),
            "--single-transaction".to_owned(),
        ];
        if let Some(list) = list {
            args.push(format!("--use-list={}", list.display()));
        }
        args.push(dump.display().to_string());
        self.run("pg_restore", login, database, &args).await
    }

    /// The table of contents of a dump: fails unless it is a readable custom-format dump.
    pub async fn contents(&self, dump: &Path) -> anyhow::Result<String> {
        let output = tokio::process::Command::new(self.dir.join("pg_restore"))
            .arg("--list")
            .arg(dump)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .context("running pg_restore --list")?;
        if !output.status.success() {
            anyhow::bail!(
                "the archive holds no readable dump: {}",
                last_line(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    async fn run(
        &self,
        program: &str,
        login: &Login,
        database: &str,
        args: &[String],
    ) -> anyhow::Result<()> {
        // The password goes through a private passfile, never the command line or a log.
        let passfile = tempfile::Builder::new()
            .prefix("tenantry-pgpass-")
            .tempfile()?;
        let escaped = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
        {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .mode(0o600)
                .open(passfile.path())?;
            writeln!(
                f,
                "{}:{}:*:{}:{}",
                escaped(&login.host),
                login.port,
                escaped(&login.role),
                escaped(login.password.expose())
            )?;
        }
        let output = tokio::process::Command::new(self.dir.join(program))
            .args(args)
            .arg(format!("--host={}", login.host))
            .arg(format!("--port={}", login.port))
            .arg(format!("--username={}", login.role))
            .arg(format!("--dbname={database}"))
            .arg("--no-password")
            .env("PGPASSFILE", passfile.path())
            .env("PGAPPNAME", "tenantry:backup")
            .env_remove("PGPASSWORD")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("running {program}"))?;
        if !output.status.success() {
            anyhow::bail!("{program} failed: {}", last_line(&output.stderr));
        }
        Ok(())
    }
}

/// The last non-empty line a program wrote to stderr, which names what went wrong.
fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_owned()
}

/// How a tenant's role logs in to its server.
pub struct Login {
    pub host: String,
    pub port: u16,
    pub role: String,
    pub password: Secret,
}

impl Login {
    /// The tenant's role on its server, whatever the tenant's status (a suspended tenant
    /// is backed up and restored too).
    pub async fn of(db: &sqlx::PgPool, key: &MasterKey, tenant: Uuid) -> anyhow::Result<Self> {
        let row = sqlx::query!(
            "select s.address, t.role_name, t.role_password_enc
             from tenants t join db_servers s on s.id = t.db_server_id where t.id = $1",
            tenant
        )
        .fetch_one(db)
        .await?;
        let sealed = row
            .role_password_enc
            .context("the tenant's role has no password yet")?;
        let (host, port) = split_address(&row.address)
            .with_context(|| format!("db server address {:?} is not host:port", row.address))?;
        Ok(Self {
            host,
            port,
            role: row.role_name,
            password: key.open_string(&sealed)?,
        })
    }

    /// The tenant's role on server `server` (a move's target, where the role has the
    /// same name and password).
    pub async fn on(
        db: &sqlx::PgPool,
        key: &MasterKey,
        tenant: Uuid,
        server: Uuid,
    ) -> anyhow::Result<Self> {
        let mut login = Self::of(db, key, tenant).await?;
        let address: String = sqlx::query_scalar("select address from db_servers where id = $1")
            .bind(server)
            .fetch_one(db)
            .await?;
        let (host, port) = split_address(&address)
            .with_context(|| format!("db server address {address:?} is not host:port"))?;
        login.host = host;
        login.port = port;
        Ok(login)
    }
}
