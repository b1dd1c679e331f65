//! The tenant's clock: its time zone setting (checked against the zones PostgreSQL
//! knows, so an unknown zone never reaches `at time zone`) and the parsing of the dates
//! and times people type in it.

use sqlx::PgConnection;

/// The tenant's time zone, one of `known` (UTC when missing or unknown).
pub async fn zone(tx: &mut PgConnection, known: &[String]) -> sqlx::Result<String> {
    let zone: Option<String> = sqlx::query_scalar("select timezone from tenant_settings")
        .fetch_optional(&mut *tx)
        .await?;
    Ok(zone
        .filter(|z| known.iter().any(|k| k == z))
        .unwrap_or_else(|| "UTC".to_owned()))
}

/// The tenant's currency (`USD` when the setting is missing).
pub async fn currency(tx: &mut PgConnection) -> sqlx::Result<String> {
    let currency: Option<String> = sqlx::query_scalar("select currency from tenant_settings")
        .fetch_optional(&mut *tx)
        .await?;
    Ok(currency.unwrap_or_else(|| "USD".to_owned()))
}

/// A date (`YYYY-MM-DD`) and an optional time (`HH:MM`, end of the day when empty) as
/// typed in a form; `Ok(None)` when both are empty.
pub fn local_date_time(
    date: &str,
    time_of_day: &str,
) -> Result<Option<time::PrimitiveDateTime>, &'static str> {
    let (date, time_of_day) = (date.trim(), time_of_day.trim());
    if date.is_empty() {
        return if time_of_day.is_empty() {
            Ok(None)
        } else {
            Err("Give a date with the time, as YYYY-MM-DD.")
        };
    }
    let date = time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| "Enter a real date as YYYY-MM-DD, such as 2026-12-31.")?;
    let at = if time_of_day.is_empty() {
        time::macros::time!(23:59)
    } else {
        time::Time::parse(
            time_of_day,
            time::macros::format_description!("[hour]:[minute]"),
        )
        .map_err(|_| "Enter a time as HH:MM (24 hours), such as 17:30.")?
    };
    if !(2000..=2200).contains(&date.year()) {
        return Err("Enter a date between the years 2000 and 2200.");
    }
    Ok(Some(time::PrimitiveDateTime::new(date, at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_and_times_as_typed() {
        let at = local_date_time("2026-12-31", "17:30").unwrap().unwrap();
        assert_eq!(at.to_string(), "2026-12-31 17:30:00.0");
        assert_eq!(
            local_date_time("2026-12-31", "").unwrap().unwrap().time(),
            time::macros::time!(23:59)
        );
        assert_eq!(local_date_time("", ""), Ok(None));
        assert!(local_date_time("2026-02-30", "").is_err());
        assert!(local_date_time("31/12/2026", "").is_err());
        assert!(local_date_time("2026-12-31", "25:00").is_err());
        assert!(local_date_time("", "10:00").is_err());
        assert!(local_date_time("1900-01-01", "").is_err());
    }
}
