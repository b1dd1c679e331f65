//! The reader's language: the console's own texts (Fluent files in `src/web/i18n/<lang>/`,
//! English and French today, English for anything not translated) and numbers, amounts
//! and dates formatted by ICU4X for any language a tenant sets (`de` gets `1.234,5`
//! even though its texts are English).
//!
//! The language is the person's own choice (the language menu, stored on their user),
//! else their tenant's (Settings), else English.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use icu_locale_core::Locale as IcuLocale;

fluent_templates::static_loader! {
    static TEXTS = {
        locales: "./src/web/i18n",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: our arguments are numbers and
        // names in HTML that sets `dir` itself.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages the console's texts exist in, as the language menu offers them.
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("fr", "Français")];

/// Whether `tag` names a language we have texts for (the menu's choices).
pub fn offered(tag: &str) -> bool {
    LANGUAGES.iter().any(|(t, _)| *t == tag)
}

/// A reader's language: texts in one we have, formats in the one they set.
#[derive(Clone, Debug)]
pub struct Locale {
    /// The tag as set (`pt-BR`); numbers and dates follow it.
    tag: String,
    icu: IcuLocale,
    /// The language of the texts (one of [`LANGUAGES`], else English).
    texts: LanguageIdentifier,
}

impl Default for Locale {
    fn default() -> Self {
        Self::new("en")
    }
}

impl Locale {
    /// The locale for `tag`; an unreadable tag is English.
    pub fn new(tag: &str) -> Self {
        let Ok(icu) = tag.parse::<IcuLocale>() else {
            return Self::default();
        };
        let language = icu.id.language.as_str().to_owned();
        let texts = if offered(&language) {
            language
        } else {
            "en".into()
        };
        Self {
            tag: icu.to_string(),
            icu,
            texts: texts.parse().unwrap_or_default(),
        }
    }

    /// The person's choice, else the tenant's language, else English.
    pub fn pick(person: Option<&str>, tenant: Option<&str>) -> Self {
        Self::new(
            person
                .filter(|p| !p.is_empty())
                .or(tenant.filter(|t| !t.is_empty()))
                .unwrap_or("en"),
        )
    }

    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The language code of the texts shown (`en`, `fr`), for the menu's selection.
    pub fn texts(&self) -> String {
        self.texts.to_string()
    }

    /// The text `key` in this language (English when it has no translation).
    pub fn t(&self, key: &str) -> String {
        TEXTS.lookup(&self.texts, key)
    }

    /// The text `key` with the count `$n` (plural forms chosen by the language).
    pub fn t_n(&self, key: &str, n: i64) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
            HashMap::from([(Cow::Borrowed("n"), FluentValue::from(n))]);
        TEXTS.lookup_with_args(&self.texts, key, &args)
    }

    /// The text `key` with text arguments (`$name`…).
    pub fn t_with(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v)))
            .collect();
        TEXTS.lookup_with_args(&self.texts, key, &args)
    }

    /// A whole number with the language's grouping (`1,234`, `1 234`, `1.234`).
    pub fn number(&self, n: i64) -> String {
        self.decimal(n, 0)
    }

    /// `minor / 10^scale` with exactly `scale` fraction digits (`1,234.50`, `1 234,50`).
    pub fn decimal(&self, minor: i64, scale: i16) -> String {
        let mut value = icu_decimal::input::Decimal::from(minor);
        value.multiply_pow10(-scale);
        match icu_decimal::DecimalFormatter::try_new((&self.icu).into(), Default::default()) {
            Ok(f) => f.format(&value).to_string(),
            // Compiled data covers every language; this is only a safe fallback.
            Err(_) => value.to_string(),
        }
    }

    /// An amount in `currency`'s minor units, e.g. `€1,234.50` / `1 234,50 €` — with the
    /// code beside the number, the one form every language reads the same way.
    pub fn money(&self, minor: i64, currency: &str) -> String {
        let digits = crate::modules::money::minor_digits(currency);
        format!("{} {currency}", self.decimal(minor, digits as i16))
    }

    /// A calendar date in the language's medium form (`Dec 1, 2026`, `1 déc. 2026`).
    pub fn date(&self, d: time::Date) -> String {
        let formatted = icu_calendar::Date::try_new_gregorian(
            d.year(),
            u8::from(d.month()),
            d.day(),
        )
        .ok()
        .and_then(|date| {
            icu_datetime::FixedCalendarDateTimeFormatter::<icu_calendar::Gregorian, _>::try_new(
                (&self.icu).into(),
                icu_datetime::fieldsets::YMD::medium(),
            )
            .ok()
            .map(|f| f.format(&date).to_string())
        });
        formatted.unwrap_or_else(|| d.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_fall_back_to_english_and_formats_follow_the_tag() {
        let fr = Locale::new("fr");
        assert_eq!(fr.t("nav-dashboard"), "Tableau de bord");
        assert_eq!(Locale::new("en").t("nav-dashboard"), "Dashboard");
        let de = Locale::new("de");
        assert_eq!(
            de.t("nav-dashboard"),
            "Dashboard",
            "no German texts: English"
        );
        assert_eq!(de.number(1_234_567), "1.234.567");
        assert_eq!(Locale::new("en").number(1_234_567), "1,234,567");
        assert_eq!(fr.number(1234), "1\u{202f}234");
        assert_eq!(Locale::new("en").money(123_450, "EUR"), "1,234.50 EUR");
        assert_eq!(de.money(123_450, "EUR"), "1.234,50 EUR");
        assert_eq!(Locale::new("en").money(1500, "JPY"), "1,500 JPY");
        assert_eq!(Locale::new("en").money(-5, "USD"), "-0.05 USD");
        let day = time::macros::date!(2026 - 12 - 01);
        assert_eq!(Locale::new("en").date(day), "Dec 1, 2026");
        assert_eq!(fr.date(day), "1 déc. 2026");
    }

    #[test]
    fn plurals_and_choices() {
        let en = Locale::new("en");
        assert_eq!(en.t_n("members-count", 1), "1 member");
        assert_eq!(en.t_n("members-count", 3), "3 members");
        assert_eq!(Locale::new("fr").t_n("members-count", 1), "1 membre");
        assert_eq!(Locale::pick(Some(""), Some("fr")).texts(), "fr");
        assert_eq!(Locale::pick(Some("en"), Some("fr")).texts(), "en");
        assert_eq!(Locale::pick(None, None).tag(), "en");
        assert_eq!(Locale::new("not a tag!").tag(), "en");
        assert_eq!(Locale::new("pt-BR").texts(), "en");
        assert_eq!(Locale::new("pt-BR").tag(), "pt-BR");
    }
}
