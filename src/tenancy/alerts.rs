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
    /// One sentence: the mail's subject and the banner's text.
    pub message: String,
    /// What it means and what to do.
    pub detail: String,
    /// The tenant whose admins are told too (limits of their own tenant).
    pub tell_tenant: Option<String>,
    /// Where owners look: a path on the admin host.
    pub admin_path: String,
    /// A limit's crossing by its values, so the tenant's admins read it in their
    /// tenant's language (`message` and `detail` are the platform's English).
    pub limit: Option<LimitWords>,
}

/// What a limit's crossing says, by its values.
#[derive(Clone, Debug)]
pub struct LimitWords {
    pub tenant: String,
    pub plan: String,
    /// `users`, `modules`, `api_calls`, `storage`.
    pub metric: &'static str,
    pub used: String,
    pub max: String,
    pub percent: i64,
    /// 80 (near it), 100 (reached), or over it.
    pub over: bool,
    pub threshold: i64,
}

impl LimitWords {
    /// The headline and detail in `t`'s language.
    fn said(&self, t: &crate::mail::texts::MailTexts) -> (String, String) {
        let what = t.t(match self.metric {
            "users" => "mail-limit-users",
            "modules" => "mail-limit-modules",
            "api_calls" => "mail-limit-api-calls",
            _ => "mail-limit-storage",
        });
        let percent = self.percent.to_string();
        let args = [
            ("name", self.tenant.as_str()),
            ("what", what.as_str()),
            ("used", self.used.as_str()),
            ("max", self.max.as_str()),
            ("plan", self.plan.as_str()),
            ("percent", percent.as_str()),
        ];
        let headline = if self.over && self.threshold >= 100 {
            t.t_with("mail-alert-over", &args)
        } else if self.threshold >= 100 {
            t.t_with("mail-alert-reached", &args)
        } else {
            t.t_with("mail-alert-near", &args)
        };
        (headline, t.t("mail-alert-limit-detail"))
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
                let (used, max) = if limit.metric == "storage" {
                    (
                        plans::storage_text(limit.used),
                        plans::storage_text(limit.max),
                    )
                } else {
                    (limit.used.to_string(), limit.max.to_string())
                };
                let message = if limit.used > limit.max && threshold >= 100 {
                    format!(
                        "{} is over its limit of {} ({used} of {max}) on the {} plan.",
                        tenant.name, limit.label, tenant.plan
                    )
                } else if threshold >= 100 {
                    format!(
                        "{} has reached its limit of {} ({used} of {max}) on the {} plan.",
                        tenant.name, limit.label, tenant.plan
                    )
                } else {
                    format!(
                        "{} has used {pct} % of its {} ({used} of {max}) on the {} plan.",
                        tenant.name, limit.label, tenant.plan
                    )
                };
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
                    message,
                    detail: "Past the limit, what it counts is refused with a message naming \
                             the plan. A larger plan lifts the limit."
                        .into(),
                    tell_tenant: Some(tenant.slug.clone()),
                    admin_path: format!("/tenants/{}", tenant.slug),
                    limit: Some(LimitWords {
                        tenant: tenant.name.clone(),
                        plan: tenant.plan.clone(),
                        metric: limit.metric,
                        used,
                        max,
                        percent: pct,
                        over: limit.used > limit.max,
                        threshold,
                    }),
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
        let what = match f.kind.as_deref() {
            Some("provision") if f.error.starts_with("migration") => "A migration",
            Some("provision") => "Provisioning",
            Some("purge") => "Purging",
            Some("backup") => "A backup",
            Some("restore") => "A restore",
            _ => "A migration",
        };
        out.push(Crossing {
            subject: format!("tenant:{}", f.id),
            tenant: Some(f.id),
            metric: "failure",
            threshold: 100,
            period: String::new(),
            message: format!("{what} of {} failed.", f.name),
            detail: format!(
                "The error: {}. Its page on the platform console shows it; Retry runs the job again.",
                f.error.chars().take(300).collect::<String>()
            ),
            tell_tenant: None,
            admin_path: format!("/tenants/{}", f.slug),
            limit: None,
        });
    }
    for server in crate::tenancy::servers::list(&t.db).await? {
        if server.status != "active" {
            continue;
        }
        let budget = server
            .tenant_connections
            .map_or(i64::from(config.tenant_connections), i64::from);
        let mut figures = vec![(
            "capacity",
            "tenant capacity",
            server.tenants,
            i64::from(server.capacity),
        )];
        let health = stats::server_health(t, server.id).await;
        if health.reachable {
            figures.push((
                "connections",
                "tenant connection budget",
                health.tenant_connections,
                budget,
            ));
        }
        for (metric, label, used, max) in figures {
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
                message: format!(
                    "Database server {} is at {pct} % of its {label} ({used} of {max}).",
                    server.name
                ),
                detail: "Register another server, raise the figure on the Database servers \
                         page, or drain this one so new tenants go elsewhere."
                    .into(),
                tell_tenant: None,
                admin_path: "/servers".into(),
                limit: None,
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
                "insert into usage_alerts (subject, metric, threshold, period, tenant_id, message)
                 values ($1, $2, $3, $4, $5, $6)",
                c.subject,
                c.metric,
                c.threshold,
                c.period,
                c.tenant,
                c.message
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
async fn announce(tx: &mut PgConnection, config: &Config, c: &Crossing) -> anyhow::Result<()> {
    let brand = Branding::platform();
    let owners_link = format!("{}{}", config.admin_url(), c.admin_path);
    let mut told = HashSet::new();
    let owners = sqlx::query_scalar!(
        "select email from users where platform_role = 'owner' and status = 'active' order by email"
    )
    .fetch_all(&mut *tx)
    .await?;
    for email in owners {
        let mail = compose::alert(&compose::Alert {
            brand: &brand,
            headline: &c.message,
            detail: &c.detail,
            action: &brand.texts().t("mail-alert-open-console"),
            link: &owners_link,
        })?;
        outbox::enqueue(&mut *tx, Kind::Alert, None, &email, &mail).await?;
        told.insert(email);
    }
    if let (Some(slug), Some(tenant)) = (&c.tell_tenant, c.tenant) {
        let link = format!("{}/usage", config.tenant_url(slug));
        // The tenant's admins read it in their tenant's language.
        let language: Option<String> =
            sqlx::query_scalar("select language from tenants where id = $1")
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
        let brand = brand
            .clone()
            .speaking(language.as_deref().unwrap_or_default());
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
            let texts = brand.texts();
            let (headline, detail) = match &c.limit {
                Some(words) => words.said(&texts),
                None => (c.message.clone(), c.detail.clone()),
            };
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
    let payload = json!({
        "subject": c.subject,
        "tenant_id": c.tenant,
        "metric": c.metric,
        "threshold": c.threshold,
        "period": c.period,
        "message": c.message,
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
                             "message": c.message, "told": told.len() }),
        },
    )
    .await?;
    metrics::counter!("tenantry_alerts_raised_total", "metric" => c.metric).increment(1);
    Ok(())
}

/// An alert that holds, as a banner shows it.
#[derive(Clone, Debug)]
pub struct Active {
    pub message: String,
    pub threshold: i32,
    pub sent_at: time::OffsetDateTime,
}

/// The alerts that hold for one tenant (its console's banner), the highest threshold
/// of each limit only.
pub async fn active_for_tenant(db: &sqlx::PgPool, tenant: Uuid) -> sqlx::Result<Vec<Active>> {
    sqlx::query_as!(
        Active,
        "select distinct on (metric) message, threshold, sent_at from usage_alerts
         where tenant_id = $1 and metric <> 'failure'
         order by metric, threshold desc",
        tenant
    )
    .fetch_all(db)
    .await
}

/// Every alert that holds in `scope` (a super admin's tenants; `None`: all, servers too),
/// newest first, the highest threshold of each limit only.
pub async fn active(db: &sqlx::PgPool, scope: Option<Uuid>) -> sqlx::Result<Vec<Active>> {
    sqlx::query_as!(
        Active,
        r#"select message as "message!", threshold as "threshold!", sent_at as "sent_at!" from (
               select distinct on (subject, metric) message, threshold, sent_at, tenant_id
               from usage_alerts order by subject, metric, threshold desc) a
           where $1::uuid is null or (a.tenant_id is not null and tenantry_assigned($1, a.tenant_id))
           order by sent_at desc"#,
        scope
    )
    .fetch_all(db)
    .await
}
