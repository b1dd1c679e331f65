//! Amounts in integer minor units of a currency (cents for EUR, yen for JPY): parsed from
//! what people type and written back for pages, never through floating point.

/// Digits after the decimal point in `currency` (ISO 4217 minor units; 2 for the rest).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The largest amount a form accepts, in minor units (well inside `i64` once multiplied
/// by a quantity and a tax rate).
pub const MAX_MINOR: i64 = 1_000_000_000_000;

/// `"12.5"` in EUR → `1250`. Refuses signs, more decimals than the currency has, and
/// anything that is not plain digits with one optional point.
pub fn parse(text: &str, currency: &str) -> Result<i64, &'static str> {
    let digits = minor_digits(currency);
    let text = text.trim().replace([',', ' '], "");
    if text.is_empty() {
        return Err("Enter an amount, such as 12.50.");
    }
    if text.starts_with('-') {
        return Err("An amount cannot be negative.");
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !plain(whole) || !plain(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err("Enter an amount with digits and one decimal point, such as 12.50.");
    }
    if fraction.len() > digits as usize {
        return Err(if digits == 0 {
            "This currency has no decimals: enter a whole amount."
        } else {
            "Too many decimals for this currency."
        });
    }
    let scale = 10_i64.pow(digits);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "That amount is too large.")?
    };
    let fraction: i64 = format!("{fraction:0<width$}", width = digits as usize)
        .parse()
        .unwrap_or(0);
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .filter(|v| *v <= MAX_MINOR)
        .ok_or("That amount is too large.")
}

/// `1250` in EUR → `"12.50"` (digits only, for a form field).
pub fn plain(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        m / scale as u64,
        m % scale as u64,
        width = digits as usize
    )
}

/// `123450` in EUR → `"1,234.50 EUR"` (for pages).
pub fn display(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let plain = plain(minor, currency);
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    let negative = whole.starts_with('-');
    let whole = whole.trim_start_matches('-');
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{grouped}.{fraction} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_minor_units_without_floats() {
        assert_eq!(parse("12.5", "EUR"), Ok(1250));
        assert_eq!(parse("0.07", "USD"), Ok(7));
        assert_eq!(parse("1,234.56", "USD"), Ok(123_456));
        assert_eq!(parse("1500", "JPY"), Ok(1500));
        assert!(parse("1500.5", "JPY").is_err());
        assert_eq!(parse("1.234", "KWD"), Ok(1234));
        assert!(parse("-1", "EUR").is_err());
        assert!(parse("1.234", "EUR").is_err());
        assert!(parse("abc", "EUR").is_err());
        assert!(parse("", "EUR").is_err());
        assert!(parse("99999999999999999999", "EUR").is_err());
        assert_eq!(plain(1250, "EUR"), "12.50");
        assert_eq!(plain(5, "EUR"), "0.05");
        assert_eq!(display(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(display(1500, "JPY"), "1,500 JPY");
        assert_eq!(display(1234, "KWD"), "1.234 KWD");
        // 0.1 + 0.2 is exactly 0.3 here.
        assert_eq!(
            parse("0.1", "EUR").unwrap() + parse("0.2", "EUR").unwrap(),
            30
        );
    }
}
