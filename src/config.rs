//! Every setting, typed once at start from flags and environment variables.
//!
//! Each option has an `env` name, so `tenantry serve --help` lists every variable with
//! its default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

use crate::secret::Secret;

#[derive(Parser, Debug)]
#[command(
    name = "tenantry",
    version,
    about = "Control plane and admin console of a multi-tenant SaaS on PostgreSQL"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the platform console (and, later, the tenant consoles) over HTTP.
    Serve(Box<Config>),
    /// Manage platform staff from the shell.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Tenants: create, list, migrate, and move through their lifecycle.
    Tenants {
        /// Act through the platform API at this URL (e.g. `https://admin.example.com`)
        /// instead of the database, with the token in TENANTRY_API_TOKEN: list, create,
        /// update and the lifecycle verbs.
        #[arg(long, env = "TENANTRY_API_URL", global = true)]
        api_url: Option<String>,
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Plans: list, create, update and delete (a plan in use cannot be deleted).
    Plans {
        #[command(subcommand)]
        command: PlansCommand,
    },
    /// Platform API tokens for programs that drive the platform over /api/v1.
    ApiTokens {
        #[command(subcommand)]
        command: ApiTokensCommand,
    },
    /// Database servers that host tenants: drain one.
    Servers {
        #[command(subcommand)]
        command: ServersCommand,
    },
    /// The database server behind the control plane.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an enterprise admin (owner). The password is read from standard input.
    Create {
        /// The new owner's email address.
        #[arg(long)]
        email: String,
        /// The new owner's display name.
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantsCommand {
    /// Create a tenant and wait until it is active (non-zero exit on failure).
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "free")]
        plan: String,
        /// isolated or pooled (default: the plan's tier).
        #[arg(long)]
        tier: Option<String>,
        /// Seconds to wait for provisioning.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Invite this person as the tenant's first admin. The invitation waits in the
        /// outbox until the tenant is active; its link is built from the settings `serve`
        /// reads (TENANTRY_PUBLIC_URL, TENANTRY_ADMIN_HOST, TENANTRY_BASE_DOMAIN,
        /// TENANTRY_LISTEN, TENANTRY_INVITATION_DAYS).
        #[arg(long)]
        first_admin_email: Option<String>,
        /// Pin it to this database server (by name; default: the one with most room).
        #[arg(long)]
        server: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tenants.
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Migrate the fleet (or one tenant) to this binary's tenant schema.
    Migrate {
        /// Tenants migrated at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Migrate this many tenants first and stop if any fails.
        #[arg(long)]
        canary: Option<usize>,
        /// Re-check tenants already recorded as current.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change a tenant's plan and/or name (a downgrade its use exceeds is refused).
    Update {
        #[arg(long)]
        slug: String,
        /// The new plan (its id or name).
        #[arg(long)]
        plan: Option<String>,
        /// The new name, shown everywhere.
        #[arg(long)]
        name: Option<String>,
        /// Apply a plan whose limits the tenant's use exceeds (it stays over them,
        /// flagged, until brought under them).
        #[arg(long)]
        allow_over: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Suspend an active tenant.
    Suspend(LifecycleArgs),
    /// Reactivate a suspended tenant.
    Activate(LifecycleArgs),
    /// Soft-delete a tenant (data kept for the retention period, role NOLOGIN).
    Delete(LifecycleArgs),
    /// Restore a deleted tenant; with --backup, restore one of its backups over its data
    /// (--confirm SLUG) or into a new tenant (--into NEW_SLUG).
    Restore(RestoreArgs),
    /// Drop a deleted tenant's database or schema and its role.
    Purge(LifecycleArgs),
    /// Retry a tenant's failed provisioning or purge job.
    Retry(LifecycleArgs),
    /// Back a tenant up (pg_dump as its role, sealed with the master key) and wait.
    Backup {
        #[arg(long)]
        slug: String,
        /// Seconds to wait for the backup.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export a tenant (its tables as CSV, its members, roles, invitations and audit log
    /// as JSON, with a manifest) into one tar archive.
    Export {
        #[arg(long)]
        slug: String,
        /// The archive to write.
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List a tenant's backups.
    Backups {
        #[arg(long)]
        slug: String,
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Move a tenant to another database server and/or tier, and wait (the tenant is
    /// suspended while its data is copied; the old copy is kept for the grace period).
    Move {
        #[arg(long)]
        slug: String,
        /// The database server to move it to (default: the one it is on).
        #[arg(long)]
        to: Option<String>,
        /// isolated or pooled (default: the tier it has).
        #[arg(long)]
        tier: Option<String>,
        /// Seconds to wait for the move.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ServersCommand {
    /// Drain a database server: it takes no new tenants and no moves, and each of its
    /// active and suspended tenants is moved to the server with the most room.
    Drain {
        /// The server's name.
        #[arg(long)]
        name: String,
        /// Queue the moves and return without waiting for them.
        #[arg(long)]
        no_wait: bool,
        /// Seconds to wait for each move.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `tenants restore`: undelete, or restore a backup.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub lifecycle: LifecycleArgs,
    /// The backup to restore (its id, from `tenants backups`).
    #[arg(long)]
    pub backup: Option<String>,
    /// Restore the backup into a new tenant with this slug (a clone) instead.
    #[arg(long, requires = "backup")]
    pub into: Option<String>,
    /// Seconds to wait for the restore.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum ApiTokensCommand {
    /// Create a platform API token and print it (only it) on standard output; it is
    /// stored hashed and never shown again.
    Create {
        /// What uses the token, e.g. "CI".
        #[arg(long)]
        name: String,
        /// read, write or admin.
        #[arg(long)]
        scope: String,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_days: Option<u32>,
        /// The staff member it acts as (default: the first owner).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum PlansCommand {
    /// List plans with their limits and tenant counts.
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create a plan (its id is made from its name unless --id is given).
    Create(PlanArgs),
    /// Change a plan's limits (only the options given change).
    Update(PlanArgs),
    /// Delete a plan no tenant is on.
    Delete {
        /// The plan's id or name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// A plan's fields from the shell; a limit takes a number or `unlimited`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The plan's name (update: the plan's id or name).
    #[arg(long)]
    pub name: String,
    /// create: the plan's id (default: made from the name).
    #[arg(long)]
    pub id: Option<String>,
    /// update: a new name.
    #[arg(long)]
    pub rename: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub max_users: Option<String>,
    /// A size: 500MiB, 10GiB, 1TiB (or bytes).
    #[arg(long, allow_hyphen_values = true)]
    pub max_storage: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub max_api_calls: Option<String>,
    /// Requests a second per tenant (pages and API).
    #[arg(long, allow_hyphen_values = true)]
    pub max_rps: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub max_modules: Option<String>,
    /// Connections of an isolated tenant's pool (1–50).
    #[arg(long, allow_hyphen_values = true)]
    pub pool_size: Option<String>,
    /// isolated or pooled.
    #[arg(long)]
    pub default_tier: Option<String>,
    /// Hours between scheduled backups of each tenant (24 = daily); `none` for none.
    #[arg(long, allow_hyphen_values = true)]
    pub backup_every: Option<String>,
    /// Days each backup is kept (the newest good one always stays).
    #[arg(long, allow_hyphen_values = true)]
    pub backup_keep_days: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args, Debug)]
pub struct LifecycleArgs {
    #[arg(long)]
    pub slug: String,
    /// The slug again, to purge before the retention period ends.
    #[arg(long)]
    pub confirm: Option<String>,
    #[arg(long, env = "TENANTRY_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u32,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Print the embedded cluster's superuser URL.
    Url {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Where the control plane lives: an external server, or the embedded cluster.
#[derive(Args, Clone, Debug)]
pub struct DbArgs {
    /// Control-plane database URL. Unset: run the embedded PostgreSQL cluster.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Data directory: the embedded cluster, the generated master key.
    #[arg(long, env = "TENANTRY_DATA_DIR", default_value = "./.tenantry")]
    pub data_dir: PathBuf,
    /// Directory of the PostgreSQL server binaries (default: PATH, then the newest
    /// /usr/lib/postgresql/*/bin).
    #[arg(long, env = "PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// Name of the control-plane database inside the embedded cluster.
    #[arg(long, env = "TENANTRY_DATABASE_NAME", default_value = "tenantry")]
    pub database_name: String,
    /// 32-byte key (base64) that encrypts tenant role passwords and server DSNs.
    /// Unset: a key file is generated in the data directory (mode 0600).
    #[arg(long, env = "TENANTRY_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<Secret>,
    /// Directory where tenant backups are kept, sealed with the master key (default:
    /// `backups` in the data directory).
    #[arg(long, env = "TENANTRY_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Keep backups in this S3 bucket instead of the backup directory.
    #[arg(long, env = "TENANTRY_BACKUP_S3_BUCKET")]
    pub backup_s3_bucket: Option<String>,
    /// Endpoint of an S3-compatible server (default: AWS).
    #[arg(long, env = "TENANTRY_BACKUP_S3_ENDPOINT")]
    pub backup_s3_endpoint: Option<String>,
    #[arg(long, env = "TENANTRY_BACKUP_S3_REGION", default_value = "us-east-1")]
    pub backup_s3_region: String,
    #[arg(long, env = "TENANTRY_BACKUP_S3_ACCESS_KEY_ID")]
    pub backup_s3_access_key_id: Option<String>,
    #[arg(
        long,
        env = "TENANTRY_BACKUP_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub backup_s3_secret_access_key: Option<Secret>,
    /// Hours the copy a tenant's move leaves behind is kept before it is dropped.
    #[arg(long, env = "TENANTRY_MOVE_GRACE_HOURS", default_value_t = 24)]
    pub move_grace_hours: u32,
}

/// A DNS host name, lower-cased: dot-separated labels of letters, digits and hyphens. It
/// ends up in the Content-Security-Policy and in links, so nothing else may pass.
fn host_name(value: &str) -> Result<String, String> {
    let name = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() <= 253 && name.split('.').all(label_ok) {
        Ok(name)
    } else {
        Err(format!(
            "{value:?} is not a host name (letters, digits, hyphens and dots)"
        ))
    }
}

/// Settings of `tenantry serve`.
#[derive(Parser, Clone, Debug)]
#[command(name = "serve")]
pub struct Config {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "TENANTRY_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Tenants are served on `<slug>.<base domain>`.
    #[arg(long, env = "TENANTRY_BASE_DOMAIN", default_value = "localhost", value_parser = host_name)]
    pub base_domain: String,
    /// Host name of the platform console.
    #[arg(long, env = "TENANTRY_ADMIN_HOST", default_value = "admin.localhost", value_parser = host_name)]
    pub admin_host: String,
    /// Public URL of the platform console (e.g. https://admin.example.com). https makes
    /// cookies Secure. Default: http://<admin host>:<listen port>.
    #[arg(long, env = "TENANTRY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// SMTP server for outgoing mail (smtp://, smtps://, smtp://…?tls=required).
    /// Unset: mail stays in the outbox.
    #[arg(long, env = "TENANTRY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// Bearer token that `/metrics` requires (on the admin host only). Unset: `/metrics`
    /// answers on the admin host without one (fine on loopback; set it elsewhere).
    #[arg(long, env = "TENANTRY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "TENANTRY_MAIL_FROM",
        default_value = "Tenantry <no-reply@tenantry.localhost>"
    )]
    pub mail_from: String,
    /// Delivery attempts before a message is marked failed.
    #[arg(long, env = "TENANTRY_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long.
    #[arg(long, env = "TENANTRY_MAIL_RETRY_SECS", default_value_t = 30)]
    pub mail_retry_secs: u64,
    /// URL that alert events are POSTed to as signed JSON (see README, Alerts). Unset:
    /// alerts go by mail and banners only.
    #[arg(long, env = "TENANTRY_ALERT_WEBHOOK_URL", hide_env_values = true)]
    pub alert_webhook_url: Option<String>,
    /// Key of the webhook's HMAC-SHA256 signature (16 characters or more).
    #[arg(long, env = "TENANTRY_ALERT_WEBHOOK_SECRET", hide_env_values = true)]
    pub alert_webhook_secret: Option<Secret>,
    /// Seconds between two checks for limits, failures and servers to alert on.
    #[arg(long, env = "TENANTRY_ALERT_CHECK_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub alert_check_secs: u64,
    /// Days an invitation link stays valid.
    #[arg(long, env = "TENANTRY_INVITATION_DAYS", default_value_t = 7)]
    pub invitation_days: u32,
    /// Connection budget per database server for all tenant pools together.
    #[arg(long, env = "TENANTRY_TENANT_CONNECTIONS", default_value_t = 60)]
    pub tenant_connections: u32,
    /// Days a deleted tenant's data is kept before it may be purged without confirmation.
    #[arg(long, env = "TENANTRY_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u32,
    /// Order of tenant resolution strategies (host, header, path, query).
    #[arg(
        long,
        env = "TENANTRY_RESOLUTION",
        default_value = "host,header,path,query"
    )]
    pub resolution: String,
    /// Development mode (enables `?tenant=` resolution).
    #[arg(long, env = "TENANTRY_DEV", value_parser = BoolishValueParser::new())]
    pub dev: bool,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "TENANTRY_LOG_JSON", value_parser = BoolishValueParser::new())]
    pub log_json: bool,
    /// Log filter (tracing-subscriber EnvFilter syntax).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "TENANTRY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes (larger → 413).
    #[arg(long, env = "TENANTRY_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Hours of inactivity after which a session ends.
    #[arg(long, env = "TENANTRY_SESSION_IDLE_HOURS", default_value_t = 12)]
    pub session_idle_hours: i64,
    /// Seconds between two writes of the usage counters (also written at shutdown).
    #[arg(long, env = "TENANTRY_USAGE_FLUSH_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub usage_flush_secs: u64,
    /// Days of daily usage kept; older days are rolled up into months.
    #[arg(long, env = "TENANTRY_USAGE_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(i32).range(35..=3650))]
    pub usage_retention_days: i32,
    /// Seconds between two samples of every tenant's storage.
    #[arg(long, env = "TENANTRY_STORAGE_SAMPLE_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub storage_sample_secs: u64,
    /// Count usage and hold tenants to their requests a second (off only to measure
    /// what they cost: `cargo bench --bench metering`).
    #[arg(long, env = "TENANTRY_METERING", default_value_t = true, action = clap::ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub metering: bool,
    /// Percent of its tenant's requests a second one API token may use.
    #[arg(long, env = "TENANTRY_TOKEN_RATE_PERCENT", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub token_rate_percent: u32,
    /// Calls a minute one API token (platform or tenant) may make, announced in the
    /// `RateLimit-*` headers of every API answer.
    #[arg(long, env = "TENANTRY_API_RATE_LIMIT", default_value_t = 1200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub api_rate_limit: u32,
}

impl Config {
    /// Parses a configuration from flags only, ignoring nothing: for tests and tools.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(
            std::iter::once("serve".into()).chain(args.into_iter().map(Into::into)),
        )
    }

    /// The settings `serve` would run with, from the environment alone: for CLI commands
    /// that write links (a first admin's invitation).
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["serve"])
    }

    /// Cookies carry `Secure` only when the console is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Base URL of the platform console, for links in logs and mail.
    pub fn admin_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}:{}", self.admin_host, self.listen.port()),
        }
    }

    /// Base URL of a tenant's console on its own host, with the platform's scheme and port.
    pub fn tenant_url(&self, slug: &str) -> String {
        let admin = self.admin_url();
        let (scheme, rest) = admin.split_once("://").unwrap_or(("http", admin.as_str()));
        let authority = rest.split('/').next().unwrap_or(rest);
        // The port is what follows the last ':' unless that is inside an IPv6 literal.
        let port = authority
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, p)| format!(":{p}"))
            .unwrap_or_default();
        format!("{scheme}://{slug}.{}{port}", self.base_domain)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
