//! The tenant's own settings (name, timezone, currency, language, branding), kept in its
//! own database like the rest of its data.

use serde::Deserialize;
use validator::Validate;

use crate::modules::TenantDb;

#[derive(Clone, Debug, Default, Deserialize, Validate, sqlx::FromRow)]
pub struct TenantSettings {
    #[serde(default)]
    #[validate(
        length(min = 1, max = 200, message = "Enter a name of 1 to 200 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub name: String,
    #[serde(default)]
    #[validate(custom(function = "timezone"))]
    pub timezone: String,
    #[serde(default)]
    #[validate(custom(function = "currency"))]
    pub currency: String,
    #[serde(default)]
    #[validate(custom(function = "language"))]
    pub language: String,
    #[serde(default)]
    #[validate(custom(function = "logo_url"))]
    pub logo_url: String,
    #[serde(default)]
    #[validate(custom(function = "color"))]
    pub theme_color: String,
}

fn fail(code: &'static str, message: &'static str) -> Result<(), validator::ValidationError> {
    Err(validator::ValidationError::new(code).with_message(message.into()))
}

fn timezone(s: &str) -> Result<(), validator::ValidationError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if ok {
        Ok(())
    } else {
        fail(
            "timezone",
            "Use an IANA time zone such as Europe/Paris or UTC.",
        )
    }
}

fn currency(s: &str) -> Result<(), validator::ValidationError> {
    if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        fail("currency", "Use a three-letter code such as EUR or USD.")
    }
}

fn language(s: &str) -> Result<(), validator::ValidationError> {
    let b = s.as_bytes();
    let ok = (b.len() == 2 && b.iter().all(u8::is_ascii_lowercase))
        || (b.len() == 5
            && b[..2].iter().all(u8::is_ascii_lowercase)
            && b[2] == b'-'
            && b[3..].iter().all(u8::is_ascii_uppercase));
    if ok {
        Ok(())
    } else {
        fail("language", "Use a language code such as en or pt-BR.")
    }
}

/// Empty, or an https URL that is safe to place in `url("…")` of a stylesheet.
fn logo_url(s: &str) -> Result<(), validator::ValidationError> {
    if s.is_empty() {
        return Ok(());
    }
    let safe = s.len() <= 2048
        && s.starts_with("https://")
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !"\"'()\\<>`".contains(c));
    if safe {
        Ok(())
    } else {
        fail(
            "logo_url",
            "Use an https:// address of at most 2048 characters, without quotes or parentheses.",
        )
    }
}

fn color(s: &str) -> Result<(), validator::ValidationError> {
    let b = s.as_bytes();
    if b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit) {
        Ok(())
    } else {
        fail("theme_color", "Use a colour such as #4f46e5.")
    }
}

pub async fn get(db: &TenantDb) -> sqlx::Result<TenantSettings> {
    let mut tx = db.begin().await?;
    let row = sqlx::query_as::<_, TenantSettings>(
        "select name, timezone, currency, language, coalesce(logo_url, '') as logo_url, theme_color from tenant_settings",
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.unwrap_or_else(|| TenantSettings {
        timezone: "UTC".into(),
        currency: "USD".into(),
        language: "en".into(),
        theme_color: "#4f46e5".into(),
        ..Default::default()
    }))
}

pub async fn save(db: &TenantDb, s: &TenantSettings) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into tenant_settings (id, name, timezone, currency, language, logo_url, theme_color, updated_at)
         values (true, $1, $2, $3, $4, nullif($5, ''), $6, now())
         on conflict (id) do update set name = excluded.name, timezone = excluded.timezone,
             currency = excluded.currency, language = excluded.language, logo_url = excluded.logo_url,
             theme_color = excluded.theme_color, updated_at = now()",
    )
    .bind(s.name.trim())
    .bind(&s.timezone)
    .bind(&s.currency)
    .bind(&s.language)
    .bind(&s.logo_url)
    .bind(&s.theme_color)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The tenant's branding as a stylesheet (no inline styles: the CSP forbids them): the
/// theme colour on the header bar, primary buttons and links, with button text in black
/// or white, whichever reads better on it.
pub fn brand_css(s: &TenantSettings) -> String {
    let mut css = String::new();
    if color(&s.theme_color).is_ok() {
        let brand = &s.theme_color;
        let text = readable_text_on(brand);
        css.push_str(&format!(
            ":root{{--brand:{brand}}}\n\
             .brand-bar{{border-top:4px solid var(--brand)}}\n\
             .btn-primary{{background-color:var(--brand);color:{text}}}\n\
             .btn-primary:hover{{background-color:var(--brand);filter:brightness(.92)}}\n\
             .text-brand-700,.tenant-link{{color:var(--brand)}}\n"
        ));
    }
    if !s.logo_url.is_empty() && logo_url(&s.logo_url).is_ok() {
        css.push_str(&format!(
            ".tenant-logo{{display:inline-block;width:2rem;height:2rem;background:url(\"{}\") center/contain no-repeat}}\n",
            s.logo_url
        ));
    }
    css
}

/// `#000` or `#fff`, whichever contrasts more with `hex` (a checked `#rrggbb`), by
/// WCAG's relative luminance.
fn readable_text_on(hex: &str) -> &'static str {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with white (1.05 / (L + .05)) beats contrast with black ((L + .05) / .05)
    // below L ≈ 0.179.
    if luminance < 0.179 { "#fff" } else { "#000" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_could_break_out_of_css() {
        assert!(logo_url("https://cdn.example.com/logo.png").is_ok());
        for bad in [
            "http://x.test/a.png",
            "https://x.test/a\").png",
            "https://x.test/a b.png",
            "javascript:alert(1)",
        ] {
            assert!(logo_url(bad).is_err(), "{bad}");
        }
        assert!(color("#4f46e5").is_ok() && color("red").is_err() && color("#4f46e5;x").is_err());
        assert!(language("pt-BR").is_ok() && language("english").is_err());
    }

    #[test]
    fn button_text_stays_readable_on_the_brand_colour() {
        assert_eq!(readable_text_on("#4f46e5"), "#fff");
        assert_eq!(readable_text_on("#ffeb3b"), "#000");
        assert_eq!(readable_text_on("#000000"), "#fff");
        assert_eq!(readable_text_on("#ffffff"), "#000");
    }
}
