//! How numbers read in pages: sizes, durations and how long ago something happened.

/// `1536` → `1.5 KiB`.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `3725` → `1h 2m`.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// `then` as people say it relative to `now`: "just now", "3 minutes ago", "yesterday",
/// "in 6 days", then the date.
pub fn time_ago(then: time::OffsetDateTime, now: time::OffsetDateTime) -> String {
    let secs = (now - then).whole_seconds();
    let count = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let ago = |n: i64, unit: &str| format!("{} ago", count(n, unit));
    let ahead = |n: i64, unit: &str| format!("in {}", count(n, unit));
    match secs {
        -59..60 => "just now".into(),
        60..3600 => ago(secs / 60, "minute"),
        3600..86_400 => ago(secs / 3600, "hour"),
        86_400..172_800 => "yesterday".into(),
        172_800..2_592_000 => ago(secs / 86_400, "day"),
        -3599..-59 => ahead(-secs / 60, "minute"),
        -86_399..-3599 => ahead(-secs / 3600, "hour"),
        -2_592_000..-86_399 => ahead((-secs + 86_399) / 86_400, "day"),
        _ => then.date().to_string(),
    }
}

/// A moment shown to people: relative text, with the exact UTC time on hover and the
/// machine-readable one in `datetime` (the `moment` macro renders it as `<time>`).
pub struct Moment {
    pub iso: String,
    pub exact: String,
    pub relative: String,
}

/// `t` as a [`Moment`] relative to now.
pub fn moment(t: &time::OffsetDateTime) -> Moment {
    let t = t.to_offset(time::UtcOffset::UTC);
    Moment {
        iso: t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        exact: format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()),
        relative: time_ago(t, time::OffsetDateTime::now_utc()),
    }
}

/// One CSV field (RFC 4180), defused for spreadsheets: a value that starts like a
/// formula gets a leading apostrophe, so opening the file runs nothing.
pub fn csv_field(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanises() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(8 * 1024 * 1024), "8.0 MiB");
        assert_eq!(human_duration(42), "42s");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }

    #[test]
    fn says_when_relative_to_now() {
        let now = time::macros::datetime!(2026-12-01 12:00 UTC);
        let at = |secs: i64| time_ago(now - time::Duration::seconds(secs), now);
        assert_eq!(at(5), "just now");
        assert_eq!(at(-5), "just now");
        assert_eq!(at(180), "3 minutes ago");
        assert_eq!(at(3600), "1 hour ago");
        assert_eq!(at(90_000), "yesterday");
        assert_eq!(at(3 * 86_400), "3 days ago");
        assert_eq!(at(-7200), "in 2 hours");
        assert_eq!(at(-6 * 86_400 + 60), "in 6 days");
        assert_eq!(at(90 * 86_400), "2026-09-02");
        assert_eq!(human_duration(3725), "1h 2m");
        let now = time::macros::datetime!(2026-11-30 12:00 UTC);
        let ago = |secs: i64| time_ago(now - time::Duration::seconds(secs), now);
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(3 * 60 + 5), "3 minutes ago");
        assert_eq!(ago(2 * 3600), "2 hours ago");
        assert_eq!(ago(30 * 3600), "yesterday");
        assert_eq!(ago(5 * 86_400), "5 days ago");
        assert_eq!(ago(90 * 86_400), "2026-09-01");
        assert_eq!(human_duration(90_000), "1d 1h");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Wayne"), "Wayne");
        assert_eq!(csv_field("Wayne, Inc"), "\"Wayne, Inc\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+33 1 23"), "'+33 1 23");
    }
}
