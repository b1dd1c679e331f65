//! The words of the messages Tenantry sends, in the recipient's language: the language
//! of the tenant the message comes from (its Settings), English for the platform's own.
//! Fluent files in `src/mail/i18n/<lang>/mail.ftl`, English for anything not translated;
//! dates by ICU4X in the tenant's language.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use icu_locale_core::Locale as IcuLocale;

fluent_templates::static_loader! {
    static TEXTS = {
        locales: "./src/mail/i18n",
        fallback_language: "en",
        // No Unicode isolation marks: the arguments are names and links in plain text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages the messages' words exist in.
const LANGUAGES: &[&str] = &["en", "fr"];

/// A recipient's language for a message's words and dates.
#[derive(Clone, Debug)]
pub struct MailTexts {
    icu: IcuLocale,
    texts: LanguageIdentifier,
}

impl MailTexts {
    /// The words for the language `tag` (`fr`, `fr-CA`); an unreadable or unknown one
    /// is English.
    pub fn new(tag: &str) -> Self {
        let icu = tag
            .parse::<IcuLocale>()
            .unwrap_or(icu_locale_core::locale!("en"));
        let language = icu.id.language.as_str();
        let texts = if LANGUAGES.contains(&language) {
            language
        } else {
            "en"
        };
        Self {
            texts: texts.parse().unwrap_or_default(),
            icu,
        }
    }

    /// The text `key`.
    pub fn t(&self, key: &str) -> String {
        TEXTS.lookup(&self.texts, key)
    }

    /// The text `key` with text arguments (`$name`…).
    pub fn t_with(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v)))
            .collect();
        TEXTS.lookup_with_args(&self.texts, key, &args)
    }

    /// A role's name as stored with an invitation: the built-in ones in these words, a
    /// tenant's own role as it named it.
    pub fn role(&self, label: &str) -> String {
        match label {
            "Admin" => self.t("mail-role-admin"),
            "Member" => self.t("mail-role-member"),
            other => other.to_owned(),
        }
    }

    /// A moment in UTC with its date in this language's medium form
    /// (`Dec 1, 2026 17:30 UTC`, `1 déc. 2026 17:30 UTC`).
    pub fn when(&self, at: time::OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        let date = icu_calendar::Date::try_new_gregorian(at.year(), u8::from(at.month()), at.day())
            .ok()
            .and_then(|date| {
                icu_datetime::FixedCalendarDateTimeFormatter::<icu_calendar::Gregorian, _>::try_new(
                    (&self.icu).into(),
                    icu_datetime::fieldsets::YMD::medium(),
                )
                .ok()
                .map(|f| f.format(&date).to_string())
            })
            .unwrap_or_else(|| at.date().to_string());
        format!("{date} {:02}:{:02} UTC", at.hour(), at.minute())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ftl: &str) -> std::collections::BTreeSet<&str> {
        ftl.lines()
            .filter(|l| !l.starts_with([' ', '#', '}']))
            .filter_map(|l| l.split_once(" ="))
            .map(|(id, _)| id.trim())
            .collect()
    }

    #[test]
    fn every_text_exists_in_every_language_and_every_id_used_exists() {
        let en = ids(include_str!("i18n/en/mail.ftl"));
        let fr = ids(include_str!("i18n/fr/mail.ftl"));
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for dir in [
            root.join("templates/mail"),
            root.join("src/mail"),
            root.join("src/tenancy"),
        ] {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                for call in [".t(\"", ".t_with(\""] {
                    for (at, _) in text.match_indices(call) {
                        let id = &text[at + call.len()..];
                        let id = &id[..id.find('"').unwrap_or(0)];
                        if id.starts_with("mail-") {
                            used.push(id.to_owned());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 10, "the scan finds the ids in use");
        let unknown: Vec<_> = used.iter().filter(|id| !en.contains(id.as_str())).collect();
        assert!(unknown.is_empty(), "ids without a text: {unknown:?}");
    }

    #[test]
    fn french_words_and_dates_english_otherwise() {
        let fr = MailTexts::new("fr");
        assert_eq!(fr.t("mail-hello"), "Bonjour,");
        assert_eq!(
            MailTexts::new("de").t("mail-hello"),
            "Hello,",
            "no German texts"
        );
        assert_eq!(MailTexts::new("not a tag!").t("mail-hello"), "Hello,");
        let at = time::macros::datetime!(2026-12-01 17:30 UTC);
        assert_eq!(fr.when(at), "1 déc. 2026 17:30 UTC");
        assert_eq!(MailTexts::new("en").when(at), "Dec 1, 2026 17:30 UTC");
        assert_eq!(fr.role("Member"), "membre");
        assert_eq!(fr.role("Ventes"), "Ventes");
    }
}
