//! Alerts: a tenant passing 80 % or 100 % of a plan limit, a provisioning job or a
//! migration that failed, a database server passing 80 % of its tenant capacity or of
//! its connection budget. Each crossing is told once — by mail through the outbox, on
//! the consoles' banners, and to the platform webhook when one is configured — and not
//! again until the figure falls back below the threshold and crosses it anew.
//!
//! [`check`] compares what holds now with the rows of `usage_alerts` (one per crossing
//! announced and still holding): new crossings are inserted and announced in the same
//! transaction, rows that no longer hold are deleted (re-armed). One instance checks at
//! a time (a transaction-level advisory lock), so two instances announce a crossing once.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::outbox::{self, Kind};
use crate::control::{plans, usage, webhooks};
use crate::mail::compose::{self, Branding};
use crate::tenancy::Tenancy;
use crate::tenancy::stats;

/// Share of a limit at which the first alert goes out; the second is at 100 %.
const WARN_AT: i64 = 80;

/// One crossing that holds now.
#[derive(Clone, Debug)]
pub struct Crossing {
    /// `tenant:<id>` or `server:<id>`.
    pub subject: String,
    pub tenant: Option<Uuid>,
    /// `users`, `modules`, `api_calls`, `storage`, `failure`, `capacity`, `connections`.
    pub metric: &'static str,
    /// 80 or 100.
    pub threshold: i32,
    /// The month for monthly limits (`2026-12`), empty otherwise: a new month re-arms.
    pub period: String,
    /// What it says, by its values; each reader is told it in their language.
    pub words: Words,
    /// The tenant whose admins are told too (limits of their own tenant).
    pub tell_tenant: Option<String>,
    /// Where owners look: a path on the admin host.
    pub admin_path: String,
}

/// What a crossing says, by its values. Stored with the alert (`usage_alerts.words`) so
/// the consoles' banners say it in their reader's language; the mail says it in its
/// recipient's ([`Words::said`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Words {
    /// A tenant near (80 %), at or over a limit of its plan.
    Limit {
        tenant: String,
        plan: String,
        /// `users`, `modules`, `api_calls`, `storage` (bytes).
        metric: String,
        used: i64,
        max: i64,
        percent: i64,
    },
    /// A tenant's job failed.
    Failure {
        tenant: String,
        /// `provision`, `migration`, `purge`, `backup` or `restore`.
        job: String,
        /// The technical cause, as recorded (shown to staff as it is).
        error: String,
    },
    /// A database server near its tenant capacity or connection budget.
    Server {
        server: String,
        /// `capacity` or `connections`.
        metric: String,
        used: i64,
        max: i64,
        percent: i64,
    },
}

/// Which sentence a limit's crossing takes: over the limit, at it, or near it.
/// A limit's metric as the texts name it (`mail-limit-…`, `alert-limit-…`).
pub fn metric_text(metric: &str) -> &'static str {
    match metric {
        "users" => "users",
        "modules" => "modules",
        "api_calls" => "api-calls",
        _ => "storage",
    }
}

pub fn degree(used: i64, max: i64, threshold: i32) -> &'static str {
    match threshold {
        100.. if used > max => "over",
        100.. => "reached",
        _ => "near",
    }
}

impl Words {
    /// The headline and what to do, in `t`'s language (the mail's words; `en` is the
    /// platform's English kept with the alert).
    pub fn said(&self, threshold: i32, t: &crate::mail::texts::MailTexts) -> (String, String) {
        match self {
            Self::Limit {
                tenant,
                plan,
                metric,
                used,
                max,
                percent,
            } => {
                let what = t.t(&format!("mail-limit-{}", metric_text(metric)));
                let amount = |n: i64| {
                    if metric == "storage" {
                        plans::storage_text(n)
                    } else {
                        n.to_string()
                    }
                };
                let (used_text, max_text, percent) =
                    (amount(*used), amount(*max), percent.to_string());
                let args = [
                    ("name", tenant.as_str()),
                    ("what", what.as_str()),
                    ("used", used_text.as_str()),
                    ("max", max_text.as_str()),
                    ("plan", plan.as_str()),
                    ("percent", percent.as_str()),
                ];
                let headline = match degree(*used, *max, threshold) {
                    "over" => t.t_with("mail-alert-over", &args),
                    "reached" => t.t_with("mail-alert-reached", &args),
                    _ => t.t_with("mail-alert-near", &args),
                };
                (headline, t.t("mail-alert-limit-detail"))
            }
            Self::Failure { tenant, job, error } => (
                t.t_with("mail-alert-failed", &[("name", tenant), ("job", job)]),
                t.t_with("mail-alert-failure-detail", &[("error", error)]),
            ),
            Self::Server {
                server,
                metric,
                used,
                max,
                percent,
            } => {
                let (used, max, percent) = (used.to_string(), max.to_string(), percent.to_string());
                let args = [
                    ("name", server.as_str()),
                    ("used", used.as_str()),
                    ("max", max.as_str()),
                    ("percent", percent.as_str()),
                ];
                let headline = if metric == "connections" {
                    t.t_with("mail-alert-server-connections", &args)
                } else {
                    t.t_with("mail-alert-server-capacity", &args)
                };
                (headline, t.t("mail-alert-server-detail"))
            }
        }
    }
}

impl Crossing {
    fn key(&self) -> (String, String, i32, String) {
        (
            self.subject.clone(),
            self.metric.to_owned(),
            self.threshold,
            self.period.clone(),
        )
    }

    /// The headline and detail in the platform's English (webhook, audit, stored text).
    fn english(&self) -> (String, String) {
        self.words
            .said(self.threshold, &crate::mail::texts::MailTexts::new("en"))
    }
}

/// What one check did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Crossings announced now.
    pub raised: usize,
    /// Crossings that no longer hold (re-armed).
    pub cleared: usize,
    /// Another instance was checking; this one did nothing.
    pub skipped: bool,
}

/// Everything that crosses a threshold now.
pub async fn crossings(t: &Tenancy, config: &Config) -> anyhow::Result<Vec<Crossing>> {
    let mut out = Vec::new();
    let month = time::OffsetDateTime::now_utc().date();
    let month = format!("{}-{:02}", month.year(), u8::from(month.month()));
    for tenant in usage::fleet_month(&t.db, None).await? {
        for limit in tenant.limits() {
            let pct = limit.percent();
            for threshold in [WARN_AT, 100].into_iter().filter(|th| pct >= *th) {
                out.push(Crossing {
                    subject: format!("tenant:{}", tenant.id),
                    tenant: Some(tenant.id),
                    metric: limit.metric,
                    threshold: threshold as i32,
                    period: if limit.metric == "api_calls" {
                        month.clone()
                    } else {
                        String::new()
                    },
                    words: Words::Limit {
                        tenant: tenant.name.clone(),
                        plan: tenant.plan.clone(),
                        metric: limit.metric.to_owned(),
                        used: limit.used,
                        max: limit.max,
                        percent: pct,
                    },
                    tell_tenant: Some(tenant.slug.clone()),
                    admin_path: format!("/tenants/{}", tenant.slug),
                });
            }
        }
    }
    for f in sqlx::query!(
        r#"select t.id, t.slug, t.name, j.kind as "kind?",
                  coalesce(t.last_error, j.last_error, '') as "error!"
           from tenants t
           left join lateral (select kind, status, last_error from provisioning_jobs
                              where tenant_id = t.id order by id desc limit 1) j on true
           where t.status <> 'purged' and (t.last_error is not null or j.status = 'failed')
           order by t.slug"#
    )
    .fetch_all(&t.db)
    .await?
    {
        let job = match f.kind.as_deref() {
            Some("provision") if f.error.starts_with("migration") => "migration",
            Some(kind @ ("provision" | "purge" | "backup" | "restore")) => kind,
            _ => "migration",
        };
        out.push(Crossing {
            subject: format!("tenant:{}", f.id),
            tenant: Some(f.id),
            metric: "failure",
            threshold: 100,
            period: String::new(),
            words: Words::Failure {
                tenant: f.name,
                job: job.to_owned(),
                error: f.error.chars().take(300).collect(),
            },
            tell_tenant: None,
            admin_path: format!("/tenants/{}", f.slug),
        });
    }
    for server in crate::tenancy::servers::list(&t.db).await? {
        if server.status != "active" {
            continue;
        }
        let budget = server
            .tenant_connections
            .map_or(i64::from(config.tenant_connections), i64::from);
        let mut figures = vec![("capacity", server.tenants, i64::from(server.capacity))];
        let health = stats::server_health(t, server.id).await;
        if health.reachable {
            figures.push(("connections", health.tenant_connections, budget));
        }
        for (metric, used, max) in figures {
            let pct = used.saturating_mul(100) / max.max(1);
            if pct < WARN_AT {
                continue;
            }
            out.push(Crossing {
                subject: format!("server:{}", server.id),
                tenant: None,
                metric,
                threshold: WARN_AT as i32,
                period: String::new(),
                words: Words::Server {
                    server: server.name.clone(),
                    metric: metric.to_owned(),
                    used,
                    max,
                    percent: pct,
                },
                tell_tenant: None,
                admin_path: "/servers".into(),
            });
        }
    }
    Ok(out)
}

/// Announces new crossings and re-arms the ones that no longer hold.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn check(t: &Tenancy, config: &Config) -> anyhow::Result<Checked> {
    let mut tx = t.db.begin().await?;
    let mine: bool = sqlx::query_scalar!(
        r#"select pg_try_advisory_xact_lock(hashtext('tenantry.alerts')) as "ok!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if !mine {
        return Ok(Checked {
            skipped: true,
            ..Checked::default()
        });
    }
    let now = crossings(t, config).await?;
    let held: HashSet<(String, String, i32, String)> =
        sqlx::query!("select subject, metric, threshold, period from usage_alerts")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.subject, r.metric, r.threshold, r.period))
            .collect();

    let mut checked = Checked::default();
    let current: HashSet<_> = now.iter().map(Crossing::key).collect();
    for (subject, metric, threshold, period) in held.difference(&current) {
        sqlx::query!(
            "delete from usage_alerts
             where subject = $1 and metric = $2 and threshold = $3 and period = $4",
            subject,
            metric,
            threshold,
            period
        )
        .execute(&mut *tx)
        .await?;
        checked.cleared += 1;
    }

    // Per subject and metric, only the highest new threshold is told: a jump from
    // 50 % to 100 % sends one message, not two.
    let mut groups: BTreeMap<(String, &str, String), Vec<&Crossing>> = BTreeMap::new();
    for c in now.iter().filter(|c| !held.contains(&c.key())) {
        groups
            .entry((c.subject.clone(), c.metric, c.period.clone()))
            .or_default()
            .push(c);
    }
    for new in groups.values() {
        for c in new {
            sqlx::query!(
                "insert into usage_alerts (subject, metric, threshold, period, tenant_id, message, words)
                 values ($1, $2, $3, $4, $5, $6, $7)",
                c.subject,
                c.metric,
                c.threshold,
                c.period,
                c.tenant,
                c.english().0,
                serde_json::to_value(&c.words)?
            )
            .execute(&mut *tx)
            .await?;
        }
        let Some(top) = new.iter().max_by_key(|c| c.threshold) else {
            continue;
        };
        announce(&mut tx, config, top).await?;
        checked.raised += 1;
    }
    tx.commit().await?;
    Ok(checked)
}

/// Mails owners (and the tenant's admins for its own limits), queues the webhook, audits.
/// Each owner reads it in their own language (the language menu's choice), each tenant
/// admin in their tenant's (as its invitations are).
async fn announce(tx: &mut PgConnection, config: &Config, c: &Crossing) -> anyhow::Result<()> {
    let brand = Branding::platform();
    let owners_link = format!("{}{}", config.admin_url(), c.admin_path);
    let mut told = HashSet::new();
    let owners = sqlx::query!(
        "select email, language from users where platform_role = 'owner' and status = 'active' order by email"
    )
    .fetch_all(&mut *tx)
    .await?;
    for owner in owners {
        let brand = brand
            .clone()
            .speaking(owner.language.as_deref().unwrap_or_default());
        let texts = brand.texts();
        let (headline, detail) = c.words.said(c.threshold, &texts);
        let mail = compose::alert(&compose::Alert {
            brand: &brand,
            headline: &headline,
            detail: &detail,
            action: &texts.t("mail-alert-open-console"),
            link: &owners_link,
        })?;
        outbox::enqueue(&mut *tx, Kind::Alert, None, &owner.email, &mail).await?;
        told.insert(owner.email);
    }
    if let (Some(slug), Some(tenant)) = (&c.tell_tenant, c.tenant) {
        let link = format!("{}/usage", config.tenant_url(slug));
        let language: Option<String> =
            sqlx::query_scalar("select language from tenants where id = $1")
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
        let brand = brand
            .clone()
            .speaking(language.as_deref().unwrap_or_default());
        let texts = brand.texts();
        let (headline, detail) = c.words.said(c.threshold, &texts);
        let admins = sqlx::query_scalar!(
            "select u.email from memberships m join users u on u.id = m.user_id
             where m.tenant_id = $1 and m.role = 'admin' and u.status = 'active'
             order by u.email",
            tenant
        )
        .fetch_all(&mut *tx)
        .await?;
        for email in admins {
            if told.contains(&email) {
                continue;
            }
            let mail = compose::alert(&compose::Alert {
                brand: &brand,
                headline: &headline,
                detail: &detail,
                action: &texts.t("mail-alert-see-usage"),
                link: &link,
            })?;
            outbox::enqueue(&mut *tx, Kind::Alert, Some(tenant), &email, &mail).await?;
            told.insert(email);
        }
    }
    let (message, _) = c.english();
    let payload = json!({
        "subject": c.subject,
        "tenant_id": c.tenant,
        "metric": c.metric,
        "threshold": c.threshold,
        "period": c.period,
        "message": message,
        "link": owners_link,
    });
    if config.alert_webhook_url.is_some() {
        webhooks::enqueue(&mut *tx, "alert.raised", &payload).await?;
    }
    audit::record(
        &mut *tx,
        NewEvent {
            actor: &Actor::system(),
            action: "alert.raised",
            tenant: c.tenant,
            target: Some(&c.subject),
            origin: &Origin::default(),
            details: json!({ "metric": c.metric, "threshold": c.threshold,
                             "message": message, "told": told.len() }),
        },
    )
    .await?;
    metrics::counter!("tenantry_alerts_raised_total", "metric" => c.metric).increment(1);
    Ok(())
}

/// An alert that holds, as a banner shows it.
#[derive(Clone, Debug)]
pub struct Active {
    /// The platform's English, as announced (what rows from before `words` show).
    pub message: String,
    /// What it says by its values, for the reader's language (`None` on older rows).
    pub words: Option<Words>,
    pub threshold: i32,
    pub sent_at: time::OffsetDateTime,
}

/// A row of `usage_alerts` as read, its `words` still JSON.
struct Row {
    message: String,
    words: Option<serde_json::Value>,
    threshold: i32,
    sent_at: time::OffsetDateTime,
}

impl From<Row> for Active {
    fn from(r: Row) -> Self {
        Self {
            message: r.message,
            // Unreadable words (a later shape) fall back to the stored sentence.
            words: r.words.and_then(|w| serde_json::from_value(w).ok()),
            threshold: r.threshold,
            sent_at: r.sent_at,
        }
    }
}

/// The alerts that hold for one tenant (its console's banner), the highest threshold
/// of each limit only.
pub async fn active_for_tenant(db: &sqlx::PgPool, tenant: Uuid) -> sqlx::Result<Vec<Active>> {
    let rows = sqlx::query_as!(
        Row,
        "select distinct on (metric) message, words, threshold, sent_at from usage_alerts
         where tenant_id = $1 and metric <> 'failure'
         order by metric, threshold desc",
        tenant
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Active::from).collect())
}

/// Every alert that holds in `scope` (a super admin's tenants; `None`: all, servers too),
/// newest first, the highest threshold of each limit only.
pub async fn active(db: &sqlx::PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<Active>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select message as "message!", words, threshold as "threshold!", sent_at as "sent_at!" from (
               select distinct on (subject, metric) message, words, threshold, sent_at, tenant_id
               from usage_alerts order by subject, metric, threshold desc) a
           where $1::uuid is null or (a.tenant_id is not null and tenantry_assigned($1, a.tenant_id))
           order by sent_at desc"#,
        scope
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Active::from).collect())
}
