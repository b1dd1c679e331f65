//! Plans: what a tenant may use (users, storage, API calls a month, requests a second,
//! modules) and how it is served (default tier, pool size, how often its tenants are
//! backed up and how long backups are kept). Owners create and edit them
//! on the Plans page and with `tenantry plans …`; both submit text, read here by
//! [`PlanInput::validate`], the one place the limits' rules live. A plan any tenant
//! still points at cannot be deleted. Every change is audited and announced (the
//! `plans_announce` trigger), so every process reads the new limits on its next request.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint::OnConstraint;

/// A plan row; `None` limits are unlimited.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub max_users: Option<i32>,
    pub max_storage_bytes: Option<i64>,
    pub max_api_calls_per_month: Option<i64>,
    pub max_requests_per_second: Option<i32>,
    pub max_modules: Option<i32>,
    pub default_tier: String,
    pub pool_size: i32,
    /// Hours between scheduled backups; `None`: none scheduled.
    pub backup_every_hours: Option<i32>,
    /// Days a backup is kept (the newest good one always stays).
    pub backup_keep_days: i32,
    /// Tenants on this plan (not purged).
    pub tenants: i64,
}

/// Limits as typed (a form or the CLI): empty or `unlimited` means no limit.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanInput {
    pub id: String,
    pub name: String,
    pub max_users: String,
    pub max_storage: String,
    pub max_api_calls: String,
    pub max_rps: String,
    pub max_modules: String,
    pub pool_size: String,
    pub default_tier: String,
    /// Hours between scheduled backups; empty for none.
    pub backup_every: String,
    /// Days backups are kept; empty for the default (30).
    pub backup_keep_days: String,
}

/// Validated limits, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub name: String,
    pub max_users: Option<i32>,
    pub max_storage_bytes: Option<i64>,
    pub max_api_calls_per_month: Option<i64>,
    pub max_requests_per_second: Option<i32>,
    pub max_modules: Option<i32>,
    pub default_tier: String,
    pub pool_size: i32,
    pub backup_every_hours: Option<i32>,
    pub backup_keep_days: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A field's value is refused; the message names the field and the allowed range.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A limit outside `min..=max` (`label` is the field's English name).
    #[error("{label} must be between {min} and {max}, or empty for unlimited.")]
    OutOfRange {
        field: &'static str,
        label: &'static str,
        min: i64,
        max: i64,
    },
    /// A limit that is not a whole number.
    #[error("{label} must be a whole number, or empty for unlimited.")]
    NotWhole {
        field: &'static str,
        label: &'static str,
    },
    #[error("A plan named “{0}” already exists.")]
    Taken(String),
    #[error("There is no plan “{0}”.")]
    NotFound(String),
    #[error("The {name} plan is used by {tenants} tenant(s); move them to another plan first.")]
    InUse { name: String, tenants: i64 },
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

impl PlanError {
    /// The form field the message belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Invalid { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::NotWhole { field, .. } => field,
            Self::Taken(_) => "name",
            Self::NotFound(_) => "id",
            Self::InUse { .. } | Self::Db(_) => "",
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PlanError {
    PlanError::Invalid {
        field,
        message: message.into(),
    }
}

/// Largest values accepted: far above any real plan, below anything absurd.
const MAX_USERS: i64 = 1_000_000;
const MAX_STORAGE: i64 = 1 << 50; // 1 PiB
const MIN_STORAGE: i64 = 1 << 20; // 1 MiB
const MAX_API_CALLS: i64 = 1_000_000_000_000;
const MAX_RPS: i64 = 100_000;
const MAX_MODULES: i64 = 1_000;
const MAX_BACKUP_HOURS: i64 = 8_760; // a year
const MAX_BACKUP_DAYS: i64 = 3_650; // ten years
const DEFAULT_BACKUP_DAYS: i64 = 30;

fn unlimited(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("unlimited")
}

/// A whole number in `min..=max`, or `None` for unlimited.
fn limit(
    field: &'static str,
    label: &'static str,
    text: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, PlanError> {
    if unlimited(text) {
        return Ok(None);
    }
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect();
    match digits.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Ok(_) => Err(PlanError::OutOfRange {
            field,
            label,
            min,
            max,
        }),
        Err(_) => Err(PlanError::NotWhole { field, label }),
    }
}

/// Bytes as typed: a number with an optional unit (`500MB`, `10 GiB`, `1TB`; units of
/// 1024), or `None` for unlimited.
pub fn parse_bytes(text: &str) -> Result<Option<i64>, PlanError> {
    let refused = || {
        invalid(
            "max_storage",
            "Storage must be a size such as 500 MiB, 10 GiB or 1 TiB (at least 1 MiB, at most 1 PiB), or empty for unlimited.",
        )
    };
    if unlimited(text) {
        return Ok(None);
    }
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| refused())?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        "p" | "pb" | "pib" => 1024f64.powi(5),
        _ => return Err(refused()),
    };
    let bytes = number * scale;
    if !bytes.is_finite() || bytes < MIN_STORAGE as f64 || bytes > MAX_STORAGE as f64 {
        return Err(refused());
    }
    Ok(Some(bytes.round() as i64))
}

impl PlanInput {
    /// Reads every field; the first refusal names its field.
    pub fn validate(&self) -> Result<Limits, PlanError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(invalid("name", "Enter a name of 1 to 60 characters."));
        }
        let max_users = limit("max_users", "Users", &self.max_users, 1, MAX_USERS)?;
        let max_storage_bytes = parse_bytes(&self.max_storage)?;
        let max_api_calls_per_month = limit(
            "max_api_calls",
            "API calls a month",
            &self.max_api_calls,
            1,
            MAX_API_CALLS,
        )?;
        let max_requests_per_second =
            limit("max_rps", "Requests a second", &self.max_rps, 1, MAX_RPS)?;
        let max_modules = limit("max_modules", "Modules", &self.max_modules, 0, MAX_MODULES)?;
        let pool_size = limit("pool_size", "Pool size", &self.pool_size, 1, 50)?
            .ok_or_else(|| invalid("pool_size", "Pool size must be between 1 and 50."))?;
        let backup_every_hours = if self.backup_every.trim().eq_ignore_ascii_case("none") {
            None
        } else {
            limit(
                "backup_every",
                "Hours between backups",
                &self.backup_every,
                1,
                MAX_BACKUP_HOURS,
            )?
        };
        let backup_keep_days = limit(
            "backup_keep_days",
            "Days to keep backups",
            &self.backup_keep_days,
            1,
            MAX_BACKUP_DAYS,
        )?
        .unwrap_or(DEFAULT_BACKUP_DAYS);
        let default_tier = match self.default_tier.trim() {
            "isolated" | "pooled" => self.default_tier.trim().to_owned(),
            _ => {
                return Err(invalid(
                    "default_tier",
                    "The default tier must be “isolated” or “pooled”.",
                ));
            }
        };
        // ok: each bound above is within i32 where the column is an integer.
        let small = |n: Option<i64>| n.map(|n| n as i32);
        Ok(Limits {
            name: name.to_owned(),
            max_users: small(max_users),
            max_storage_bytes,
            max_api_calls_per_month,
            max_requests_per_second: small(max_requests_per_second),
            max_modules: small(max_modules),
            default_tier,
            pool_size: pool_size as i32,
            backup_every_hours: small(backup_every_hours),
            backup_keep_days: backup_keep_days as i32,
        })
    }
}

impl Plan {
    /// The plan's values as a form shows them (and the CLI starts an update from).
    pub fn to_input(&self) -> PlanInput {
        let text = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        PlanInput {
            id: self.id.clone(),
            name: self.name.clone(),
            max_users: text(self.max_users.map(i64::from)),
            max_storage: self.max_storage_bytes.map(storage_text).unwrap_or_default(),
            max_api_calls: text(self.max_api_calls_per_month),
            max_rps: text(self.max_requests_per_second.map(i64::from)),
            max_modules: text(self.max_modules.map(i64::from)),
            pool_size: self.pool_size.to_string(),
            default_tier: self.default_tier.clone(),
            backup_every: text(self.backup_every_hours.map(i64::from)),
            backup_keep_days: self.backup_keep_days.to_string(),
        }
    }
}

/// A size in the largest whole binary unit (`10 GiB`), or bytes.
pub fn storage_text(bytes: i64) -> String {
    for (unit, scale) in [("TiB", 1i64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)] {
        if bytes >= scale && bytes % scale == 0 {
            return format!("{} {unit}", bytes / scale);
        }
    }
    bytes.to_string()
}

/// A plan id made from its name: lower-case letters, digits and `_` (`Team Plus` → `team_plus`).
pub fn id_from_name(name: &str) -> Result<String, PlanError> {
    let mut id = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('_') && !id.is_empty() {
            id.push('_');
        }
    }
    let id = id.trim_end_matches('_').to_owned();
    let valid = id.len() >= 2 && id.len() <= 31 && id.starts_with(|c: char| c.is_ascii_lowercase());
    if valid {
        Ok(id)
    } else {
        Err(invalid(
            "name",
            "Start the name with a letter and use 2 to 31 letters or digits.",
        ))
    }
}

/// Every plan with its tenant count, in display order.
pub async fn list(db: &PgPool) -> sqlx::Result<Vec<Plan>> {
    sqlx::query_as!(
        Plan,
        r#"select p.id, p.name, p.max_users, p.max_storage_bytes, p.max_api_calls_per_month,
                  p.max_requests_per_second, p.max_modules, p.default_tier, p.pool_size,
                  p.backup_every_hours, p.backup_keep_days,
                  (select count(*) from tenants t where t.plan_id = p.id and t.status <> 'purged') as "tenants!"
           from plans p order by p.sort_order, p.created_at, p.id"#
    )
    .fetch_all(db)
    .await
}

/// The plan with this id, or (any case) this name.
pub async fn find(db: &PgPool, key: &str) -> sqlx::Result<Option<Plan>> {
    sqlx::query_as!(
        Plan,
        r#"select p.id, p.name, p.max_users, p.max_storage_bytes, p.max_api_calls_per_month,
                  p.max_requests_per_second, p.max_modules, p.default_tier, p.pool_size,
                  p.backup_every_hours, p.backup_keep_days,
                  (select count(*) from tenants t where t.plan_id = p.id and t.status <> 'purged') as "tenants!"
           from plans p where p.id = $1 or lower(p.name) = lower($1)
           order by (p.id = $1) desc limit 1"#,
        key.trim()
    )
    .fetch_optional(db)
    .await
}

/// Creates a plan; its id is made from its name (or given in `input.id`).
pub async fn create(
    db: &PgPool,
    input: &PlanInput,
    actor: &Actor,
    origin: &Origin,
) -> Result<Plan, PlanError> {
    let limits = input.validate()?;
    let id = if input.id.trim().is_empty() {
        id_from_name(&limits.name)?
    } else {
        id_from_name(&input.id)?
    };
    let mut tx = db.begin().await?;
    let taken = || PlanError::Taken(limits.name.clone());
    sqlx::query!(
        "insert into plans (id, name, max_users, max_storage_bytes, max_api_calls_per_month,
                            max_requests_per_second, max_modules, default_tier, pool_size,
                            backup_every_hours, backup_keep_days, sort_order)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 (select coalesce(max(sort_order), 0) + 1 from plans))",
        id,
        limits.name,
        limits.max_users,
        limits.max_storage_bytes,
        limits.max_api_calls_per_month,
        limits.max_requests_per_second,
        limits.max_modules,
        limits.default_tier,
        limits.pool_size,
        limits.backup_every_hours,
        limits.backup_keep_days,
    )
    .execute(&mut *tx)
    .await
    .on_constraint("plans_pkey", taken)
    .map_err(|e| match e {
        PlanError::Db(e) => crate::pg::constraint::map(e, "plans_name_key", taken),
        other => other,
    })?;
    record(&mut tx, actor, origin, "plan.created", &id, &limits, None).await?;
    tx.commit().await?;
    find(db, &id)
        .await?
        .ok_or_else(|| PlanError::NotFound(id.clone()))
}

/// Changes a plan's name and limits. Tenants on it get the new limits on their next
/// request in every process (the trigger announces the change).
pub async fn update(
    db: &PgPool,
    id: &str,
    input: &PlanInput,
    actor: &Actor,
    origin: &Origin,
) -> Result<Plan, PlanError> {
    let limits = input.validate()?;
    let before = find(db, id)
        .await?
        .filter(|p| p.id == id)
        .ok_or_else(|| PlanError::NotFound(id.chars().take(40).collect()))?;
    let mut tx = db.begin().await?;
    sqlx::query!(
        "update plans set name = $2, max_users = $3, max_storage_bytes = $4, max_api_calls_per_month = $5,
                          max_requests_per_second = $6, max_modules = $7, default_tier = $8, pool_size = $9,
                          backup_every_hours = $10, backup_keep_days = $11, updated_at = now()
         where id = $1",
        id,
        limits.name,
        limits.max_users,
        limits.max_storage_bytes,
        limits.max_api_calls_per_month,
        limits.max_requests_per_second,
        limits.max_modules,
        limits.default_tier,
        limits.pool_size,
        limits.backup_every_hours,
        limits.backup_keep_days,
    )
    .execute(&mut *tx)
    .await
    .on_constraint("plans_name_key", || PlanError::Taken(limits.name.clone()))?;
    record(
        &mut tx,
        actor,
        origin,
        "plan.updated",
        id,
        &limits,
        Some(&before),
    )
    .await?;
    tx.commit().await?;
    find(db, id)
        .await?
        .ok_or_else(|| PlanError::NotFound(id.to_owned()))
}

/// Deletes a plan no tenant points at (purged tenants' records included: they keep
/// their plan).
pub async fn delete(
    db: &PgPool,
    id: &str,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), PlanError> {
    let plan = find(db, id)
        .await?
        .filter(|p| p.id == id)
        .ok_or_else(|| PlanError::NotFound(id.chars().take(40).collect()))?;
    let mut tx = db.begin().await?;
    let users = sqlx::query_scalar!(
        r#"select count(*) as "n!" from tenants where plan_id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if users > 0 {
        return Err(PlanError::InUse {
            name: plan.name,
            tenants: users,
        });
    }
    // A tenant moved onto the plan meanwhile is caught by the foreign key.
    let in_use = || PlanError::InUse {
        name: plan.name.clone(),
        tenants: 1,
    };
    sqlx::query!("delete from plans where id = $1", id)
        .execute(&mut *tx)
        .await
        .on_constraint("tenants_plan_id_fkey", in_use)?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "plan.deleted",
            tenant: None,
            target: Some(id),
            origin,
            details: json!({ "plan": id, "name": plan.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
    origin: &Origin,
    action: &str,
    id: &str,
    limits: &Limits,
    before: Option<&Plan>,
) -> sqlx::Result<()> {
    audit::record(
        tx,
        NewEvent {
            actor,
            action,
            tenant: None,
            target: Some(id),
            origin,
            details: json!({
                "plan": id,
                "name": limits.name,
                "max_users": limits.max_users,
                "max_storage_bytes": limits.max_storage_bytes,
                "max_api_calls_per_month": limits.max_api_calls_per_month,
                "max_requests_per_second": limits.max_requests_per_second,
                "max_modules": limits.max_modules,
                "default_tier": limits.default_tier,
                "pool_size": limits.pool_size,
                "backup_every_hours": limits.backup_every_hours,
                "backup_keep_days": limits.backup_keep_days,
                "before": before,
            }),
        },
    )
    .await
}

/// What the request path needs of a tenant's plan (cached per process, dropped on every
/// change of the tenant or of a plan): its rate, its storage limit and the latest
/// storage sample.
#[derive(Clone, Debug)]
pub struct TenantLimits {
    pub plan: String,
    pub tier: String,
    pub max_requests_per_second: Option<i32>,
    pub max_storage_bytes: Option<i64>,
    /// The latest sample of the tenant's storage (0 before the first).
    pub storage_bytes: i64,
    /// The tenant's language (its Settings), read with the limits so pages need no
    /// query of their own for it.
    pub language: String,
}

impl TenantLimits {
    /// The refusal of a write when the latest storage sample is at or over the limit.
    pub fn storage_refusal(&self) -> Option<String> {
        let max = self.max_storage_bytes?;
        (self.storage_bytes >= max).then(|| {
            format!(
                "The {} plan allows {} of storage and this workspace uses {}: new records are refused until data is removed or the plan is raised. Reading still works.",
                self.plan,
                storage_text(max),
                storage_text(self.storage_bytes)
            )
        })
    }
}

pub async fn limits_of(db: &PgPool, tenant: Uuid) -> sqlx::Result<TenantLimits> {
    sqlx::query_as!(
        TenantLimits,
        r#"select p.name as plan, t.tier, p.max_requests_per_second, p.max_storage_bytes,
                  coalesce((select storage_bytes from usage_daily u where u.tenant_id = t.id
                             and u.storage_bytes > 0 order by day desc limit 1), 0) as "storage_bytes!",
                  t.language
           from tenants t join plans p on p.id = t.plan_id where t.id = $1"#,
        tenant
    )
    .fetch_one(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlanInput {
        PlanInput {
            name: "Team".into(),
            max_users: "20".into(),
            max_storage: "5 GiB".into(),
            max_api_calls: "50,000".into(),
            max_rps: "".into(),
            max_modules: "3".into(),
            pool_size: "4".into(),
            default_tier: "pooled".into(),
            ..Default::default()
        }
    }

    #[test]
    fn limits_are_read_and_bounded() {
        let l = input().validate().expect("valid");
        assert_eq!(l.max_storage_bytes, Some(5 << 30));
        assert_eq!(l.max_api_calls_per_month, Some(50_000));
        assert_eq!(l.max_requests_per_second, None);
        assert_eq!((l.backup_every_hours, l.backup_keep_days), (None, 30));
        let mut daily = input();
        daily.backup_every = "24".into();
        daily.backup_keep_days = "7".into();
        let l = daily.validate().expect("valid");
        assert_eq!((l.backup_every_hours, l.backup_keep_days), (Some(24), 7));
        for (field, value) in [
            ("max_users", "-1"),
            ("max_users", "ten"),
            ("max_users", "99999999999999999999"),
            ("max_storage", "12 parsecs"),
            ("max_storage", "-5GB"),
            ("max_storage", "100 PiB"),
            ("pool_size", "0"),
            ("pool_size", ""),
            ("max_rps", "1e9"),
            ("backup_every", "0"),
            ("backup_every", "daily"),
            ("backup_every", "9000"),
            ("backup_keep_days", "-3"),
            ("backup_keep_days", "4000"),
        ] {
            let mut i = input();
            match field {
                "max_users" => i.max_users = value.into(),
                "max_storage" => i.max_storage = value.into(),
                "pool_size" => i.pool_size = value.into(),
                "backup_every" => i.backup_every = value.into(),
                "backup_keep_days" => i.backup_keep_days = value.into(),
                _ => i.max_rps = value.into(),
            }
            let e = i.validate().expect_err(value);
            assert_eq!(e.field(), field, "{value}: {e}");
        }
    }

    #[test]
    fn ids_and_sizes() {
        assert_eq!(id_from_name("Team Plus").unwrap(), "team_plus");
        assert!(id_from_name("9").is_err());
        assert_eq!(storage_text(10 << 30), "10 GiB");
        assert_eq!(parse_bytes("1.5 GiB").unwrap(), Some(3 << 29));
    }
}
