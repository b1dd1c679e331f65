//! One tenant's usage as both consoles show it (the tenant's **Usage** page and the
//! platform's tenant usage page): this month against each limit, the last 30 days and
//! 12 months per metric as inline SVG charts, the days as a table, and the CSV export.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::control::usage;
use crate::state::AppState;
use crate::tenancy::stats;
use crate::tenancy::tenants::Tenant;
use crate::web::chart::{self, Point};
use crate::web::error::{AppError, Result};
use crate::web::i18n::Locale;

/// One figure beside its limit.
pub struct Meter {
    pub id: &'static str,
    pub label: String,
    pub used: String,
    pub limit: String,
    /// Percent of the limit (0 when unlimited or unmeasured), for the bar.
    pub percent: u32,
    pub note: String,
}

impl Meter {
    fn new(id: &'static str, label: String, used: i64, limit: Option<i64>, l: &Locale) -> Self {
        Self {
            id,
            label,
            used: l.number(used),
            limit: limit.map_or_else(|| l.t("usage-unlimited"), |n| l.number(n)),
            percent: percent(used, limit),
            note: String::new(),
        }
    }
}

fn percent(used: i64, limit: Option<i64>) -> u32 {
    match limit {
        Some(l) if l > 0 => {
            u32::try_from((used.max(0).saturating_mul(100) / l).min(100)).unwrap_or(100)
        }
        _ => 0,
    }
}

/// A chart and what it shows.
pub struct Chart {
    pub id: String,
    pub title: String,
    pub svg: String,
}

/// The metrics charted, with the text id of their titles.
const METRICS: &[(&str, &str)] = &[
    ("page_requests", "usage-page-requests"),
    ("api_calls", "usage-api-calls"),
    ("mail_sent", "usage-mail-sent"),
    ("records_written", "usage-records-written"),
    ("active_users", "usage-active-users"),
    ("storage_bytes", "usage-storage"),
];

fn value(p: &usage::Period, metric: &str) -> i64 {
    match metric {
        "page_requests" => p.page_requests,
        "api_calls" => p.api_calls,
        "mail_sent" => p.mail_sent,
        "records_written" => p.records_written,
        "active_users" => p.active_users,
        _ => p.storage_bytes,
    }
}

/// How `metric`'s values read in `l`'s language.
fn show<'a>(metric: &str, l: &'a Locale) -> impl Fn(i64) -> String + 'a {
    let bytes = metric == "storage_bytes";
    move |n| if bytes { l.bytes(n) } else { l.number(n) }
}

fn charts(
    periods: &[usage::Period],
    prefix: &str,
    label: impl Fn(time::Date) -> String,
    limits: &usage::TenantUsage,
    l: &Locale,
) -> Vec<Chart> {
    let limit_word = l.t("usage-limit");
    METRICS
        .iter()
        .map(|(metric, title)| {
            let title = l.t(title);
            let points: Vec<Point> = periods
                .iter()
                .map(|p| Point {
                    label: label(p.start),
                    value: value(p, metric),
                })
                .collect();
            let limit = match *metric {
                "storage_bytes" => limits.max_storage_bytes,
                "api_calls" if prefix == "month" => limits.max_api_calls,
                _ => None,
            };
            Chart {
                id: format!("chart-{prefix}-{metric}"),
                svg: chart::bars(
                    &title,
                    &points,
                    limit.map(|n| (n, limit_word.as_str())),
                    show(metric, l),
                ),
                title,
            }
        })
        .collect()
}

/// One CSV or table row per period, in [`CSV_HEADER`]'s order: the page's table shows
/// exactly the export's figures (the charts show them in the reader's format).
fn row(p: &usage::Period) -> Vec<String> {
    let mut row = vec![p.start.to_string()];
    row.extend(METRICS.iter().map(|(m, _)| value(p, m).to_string()));
    row
}

const CSV_HEADER: &str =
    "day,page_requests,api_calls,mail_sent,records_written,active_users,storage_bytes";

/// The longest range a CSV export covers.
const MAX_RANGE_DAYS: i64 = 400;

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[derive(Deserialize)]
pub struct RangeQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The days a query asks for: `from`/`to` as `YYYY-MM-DD` (default: the last 30 days),
/// in order, at most [`MAX_RANGE_DAYS`] long; a refusal in the reader's language `l`.
pub fn range(q: &RangeQuery, l: &Locale) -> std::result::Result<(time::Date, time::Date), String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let parse = |s: &str, default: time::Date| {
        if s.trim().is_empty() {
            Ok(default)
        } else {
            time::Date::parse(s.trim(), &format).map_err(|_| {
                let shown: String = s.chars().take(20).collect();
                l.t_with("err-usage-not-a-date", &[("name", shown.as_str())])
            })
        }
    };
    let to = parse(&q.to, today())?;
    let from = parse(&q.from, to - time::Duration::days(29))?;
    if from > to {
        return Err(l.t("err-usage-range-reversed"));
    }
    let days = (to - from).whole_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(l.t_with(
            "err-usage-range-too-long",
            &[
                ("limit", MAX_RANGE_DAYS.to_string().as_str()),
                ("n", days.to_string().as_str()),
            ],
        ));
    }
    Ok((from, to))
}

/// A CSV download of `tenant`'s days from `q`'s range (400 days at most, refused with a
/// reason, in the reader's language `l`, past that).
pub async fn csv(
    state: &AppState,
    tenant: uuid::Uuid,
    slug: &str,
    q: &RangeQuery,
    l: &Locale,
) -> Result<Response> {
    let (from, to) = range(q, l).map_err(AppError::BadRequest)?;
    let periods = usage::daily(&state.db, tenant, from, to).await?;
    let mut csv = format!("{CSV_HEADER}\n");
    for p in &periods {
        csv.push_str(&row(p).join(","));
        csv.push('\n');
    }
    let filename = format!("attachment; filename=\"usage-{slug}-{from}-{to}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        csv,
    )
        .into_response())
}

/// Everything the usage pages show of one tenant.
pub struct UsageView {
    pub plan: String,
    pub meters: Vec<Meter>,
    /// The last 30 days and the last 12 months, one chart per metric.
    pub days: Vec<Chart>,
    pub months: Vec<Chart>,
    /// The days' figures as a table (the charts' fallback; the CSV has the same rows).
    pub rows: Vec<Vec<String>>,
    /// Where the CSV export is.
    pub csv: String,
    /// Records per enabled module ("Customers", "1,204"); empty when none is enabled
    /// or the tenant's data cannot be read now (logged).
    pub records: Vec<(String, String)>,
}

/// What the tenant's enabled modules hold; the page still answers when the tenant's
/// database does not (the counts are left out, with a warning in the log).
async fn records(state: &AppState, tenant: &Tenant, l: &Locale) -> Vec<(String, String)> {
    let read = async {
        let enabled = state.tenancy.enabled_modules(tenant.id).await?;
        if enabled.is_empty() {
            return Ok(Vec::new());
        }
        let db = crate::web::tenant::tenant_db(state, tenant.id, true).await?;
        Ok::<_, AppError>(crate::modules::record_counts(&db, &enabled).await?)
    };
    match read.await {
        Ok(counts) => counts
            .into_iter()
            .map(|(label, n)| (l.record_label(label), l.number(n)))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "module records could not be counted");
            Vec::new()
        }
    }
}

impl UsageView {
    /// `tenant`'s usage; `csv` is the export's address on the console showing it.
    /// `tenant`'s usage in the reader's language `l`; `csv` is the export's address on
    /// the console showing it.
    pub async fn load(state: &AppState, tenant: &Tenant, csv: String, l: &Locale) -> Result<Self> {
        let id = tenant.id;
        let u = usage::of_tenant(&state.db, id).await?;
        let mut people = Meter::new(
            "usage-users",
            l.t("usage-people"),
            u.members + u.pending_invitations,
            u.max_users.map(i64::from),
            l,
        );
        people.note = l.t_nums(
            "usage-people-note",
            &[("members", u.members), ("invited", u.pending_invitations)],
        );
        let mut storage = Meter::new(
            "usage-storage",
            l.t("usage-storage"),
            0,
            u.max_storage_bytes,
            l,
        );
        match stats::tenant_size(&state.tenancy, tenant).await {
            Ok(bytes) => {
                storage.used = l.bytes(bytes);
                storage.percent = percent(bytes, u.max_storage_bytes);
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "tenant size unavailable");
                storage.used = l.t("usage-unavailable");
            }
        }
        storage.limit = u
            .max_storage_bytes
            .map_or_else(|| l.t("usage-unlimited"), |n| l.bytes(n));
        let to = today();
        let days = usage::daily(&state.db, id, to - time::Duration::days(29), to).await?;
        let year_ago = to.replace_day(1).unwrap_or(to) - time::Duration::days(335);
        let months = usage::monthly(&state.db, id, year_ago, to).await?;
        let month_label = |d: time::Date| l.month(d);
        Ok(Self {
            records: if tenant.status.has_data() {
                records(state, tenant, l).await
            } else {
                Vec::new()
            },
            rows: days.iter().map(row).collect(),
            csv,
            days: charts(&days, "day", |d| l.date(d), &u, l),
            months: charts(&months, "month", month_label, &u, l),
            plan: u.plan,
            meters: vec![
                people,
                Meter::new(
                    "usage-modules",
                    l.t("usage-modules"),
                    u.modules,
                    u.max_modules.map(i64::from),
                    l,
                ),
                Meter::new(
                    "usage-api",
                    l.t("usage-api"),
                    u.api_calls,
                    u.max_api_calls,
                    l,
                ),
                storage,
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{RangeQuery, percent, range};
    use crate::web::i18n::Locale;

    #[test]
    fn export_ranges_are_bounded() {
        let q = |from: &str, to: &str| RangeQuery {
            from: from.into(),
            to: to.into(),
        };
        let range_en = |q: &RangeQuery| range(q, &Locale::default());
        assert!(range_en(&q("2026-01-01", "2026-12-31")).is_ok());
        let ten_years = range_en(&q("2016-01-01", "2026-01-01")).unwrap_err();
        assert!(
            ten_years.contains("at most 400 days; this range has 3654"),
            "{ten_years}"
        );
        assert!(range_en(&q("2026-02-01", "2026-01-01")).is_err());
        assert!(
            range_en(&q("yesterday", ""))
                .unwrap_err()
                .contains("is not a date")
        );
        let fr = range(&q("2026-02-01", "2026-01-01"), &Locale::new("fr")).unwrap_err();
        assert_eq!(fr, "La période commence après sa fin.");
    }

    #[test]
    fn percent_of_a_limit_is_capped_and_unlimited_is_zero() {
        assert_eq!(percent(1, Some(4)), 25);
        assert_eq!(percent(9, Some(4)), 100);
        assert_eq!(percent(5, None), 0);
        assert_eq!(percent(-1, Some(4)), 0);
    }
}
