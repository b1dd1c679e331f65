//! The reader's language: the console's own texts (Fluent files in `src/web/i18n/<lang>/`,
//! English and French today, English for anything not translated) and numbers, amounts
//! and dates formatted by ICU4X for any language a tenant sets (`de` gets `1.234,5`
//! even though its texts are English).
//!
//! The language is the person's own choice (the language menu, stored on their user),
//! else their tenant's (Settings), else English.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use icu_calendar::Gregorian;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{YM, YMD, YMDT};
use icu_decimal::DecimalFormatter;
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

/// The ICU formatters of one locale, each made on its first use. Making one finds and
/// loads its patterns, which costs about as much as formatting a page's twenty dates, so
/// each thread keeps those of the locales it served (`None`: the locale has none).
#[derive(Default)]
struct Formatters {
    month: OnceCell<Option<FixedCalendarDateTimeFormatter<Gregorian, YM>>>,
    date: OnceCell<Option<FixedCalendarDateTimeFormatter<Gregorian, YMD>>>,
    date_time: OnceCell<Option<FixedCalendarDateTimeFormatter<Gregorian, YMDT>>>,
    decimal: OnceCell<Option<DecimalFormatter>>,
}

thread_local! {
    /// Per locale tag; tags come from settings, so the map is emptied past a few dozen.
    static FORMATTERS: RefCell<HashMap<String, Rc<Formatters>>> = RefCell::new(HashMap::new());
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

    /// The language a browser asks for (`Accept-Language: fr-CH, fr;q=0.9, en;q=0.8`):
    /// the one with texts it prefers most (the first of equals), `None` when it names
    /// none of ours. Formats follow the tag as asked (`fr-CH`).
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, &str)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                Some(q) => q.trim().parse::<f32>().unwrap_or(0.0),
                None => 1.0,
            };
            let language = tag.split(['-', '_']).next().unwrap_or_default();
            if q > 0.0 && offered(&language.to_ascii_lowercase()) && best.is_none_or(|(b, _)| q > b)
            {
                best = Some((q, tag));
            }
        }
        best.map(|(_, tag)| Self::new(tag))
    }

    /// This locale's formatters on this thread.
    fn formatters(&self) -> Rc<Formatters> {
        FORMATTERS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(found) = cache.get(&self.tag) {
                return found.clone();
            }
            if cache.len() >= 64 {
                cache.clear();
            }
            cache.entry(self.tag.clone()).or_default().clone()
        })
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

    /// The text `key` when there is one (for ids made from a value, such as a status).
    pub fn try_t(&self, key: &str) -> Option<String> {
        TEXTS.try_lookup(&self.texts, key)
    }

    /// A message written in English where its rule lives (a validation or refusal in the
    /// data layer, which does not know the reader) in this language: the Fluent text
    /// `err-<its words>` (see [`message_id`]), else the English as it is.
    pub fn message(&self, english: &str) -> String {
        TEXTS
            .try_lookup(&self.texts, &message_id(english))
            .unwrap_or_else(|| english.to_owned())
    }

    /// The text `key` with the count `$n` (plural forms chosen by the language).
    pub fn t_n(&self, key: &str, n: i64) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
            HashMap::from([(Cow::Borrowed("n"), FluentValue::from(n))]);
        TEXTS.lookup_with_args(&self.texts, key, &args)
    }

    /// The text `key` with numeric arguments (`$page`, `$pages`…), plurals chosen by them
    /// and each number grouped as the language groups it.
    pub fn t_nums(&self, key: &str, args: &[(&'static str, i64)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v)))
            .collect();
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

    /// A status, kind or level stored as a code (`lead`, `todo`, `issued`) in the reader's
    /// words: the text `status-<code>`, else the code itself.
    pub fn status(&self, code: &str) -> String {
        TEXTS
            .try_lookup(&self.texts, &format!("status-{code}"))
            .unwrap_or_else(|| code.to_owned())
    }

    /// Someone's access to a tenant in these words: the built-in roles translated
    /// (`role-admin`, `role-member`), a custom role as the tenant named it.
    pub fn access(&self, access: &crate::auth::guard::TenantAccess) -> String {
        use crate::auth::guard::{MemberRole, TenantAccess};
        match access {
            TenantAccess::Member(MemberRole::Admin) => self.t("role-admin"),
            TenantAccess::Member(MemberRole::Member) => self.t("role-member"),
            other => other.label().to_owned(),
        }
    }

    /// A role's name as stored with a membership or invitation: the built-in `Admin` and
    /// `Member` in these words, a custom role as the tenant named it.
    pub fn role_name(&self, label: &str) -> String {
        match label {
            "Admin" => self.t("role-admin"),
            "Member" => self.t("role-member"),
            other => other.to_owned(),
        }
    }

    /// A module named by its id (`billing`) in these words (`module-<id>`).
    pub fn module(&self, id: &str) -> String {
        TEXTS
            .try_lookup(&self.texts, &format!("module-{id}"))
            .unwrap_or_else(|| id.to_owned())
    }

    /// A module's name in these words (`module-<id>`) while the catalog still has its
    /// original English one; a name the platform changed is shown as it wrote it.
    pub fn module_name(&self, id: &str, name: &str) -> String {
        self.catalog_text(&format!("module-{id}"), name)
    }

    /// A module's description, the same way (`module-<id>-description`).
    pub fn module_description(&self, id: &str, description: &str) -> String {
        self.catalog_text(&format!("module-{id}-description"), description)
    }

    /// `stored` in these words when it is still the English text of `key`.
    fn catalog_text(&self, key: &str, stored: &str) -> String {
        let english: LanguageIdentifier = fluent_templates::langid!("en");
        match TEXTS.try_lookup(&english, key) {
            Some(original) if original == stored => self.t(key),
            _ => stored.to_owned(),
        }
    }

    /// A whole number with the language's grouping (`1,234`, `1 234`, `1.234`).
    pub fn number(&self, n: i64) -> String {
        self.decimal(n, 0)
    }

    /// `minor / 10^scale` with exactly `scale` fraction digits (`1,234.50`, `1 234,50`).
    pub fn decimal(&self, minor: i64, scale: i16) -> String {
        let mut value = icu_decimal::input::Decimal::from(minor);
        value.multiply_pow10(-scale);
        let formatters = self.formatters();
        let formatter = formatters
            .decimal
            .get_or_init(|| DecimalFormatter::try_new((&self.icu).into(), Default::default()).ok());
        match formatter {
            Some(f) => f.format(&value).to_string(),
            // Compiled data covers every language; this is only a safe fallback.
            None => value.to_string(),
        }
    }

    /// An amount in `currency`'s minor units, e.g. `€1,234.50` / `1 234,50 €` — with the
    /// code beside the number, the one form every language reads the same way.
    pub fn money(&self, minor: i64, currency: &str) -> String {
        let digits = crate::modules::money::minor_digits(currency);
        format!("{} {currency}", self.decimal(minor, digits as i16))
    }

    /// How many of something (a length), grouped like [`Self::number`].
    pub fn count(&self, n: usize) -> String {
        self.number(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// A date as PostgreSQL writes it (`YYYY-MM-DD`) in the language's medium form;
    /// text in another shape is shown as it is.
    pub fn day(&self, text: &str) -> String {
        time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| self.date(d))
        .unwrap_or_else(|_| text.to_owned())
    }

    /// A size in bytes with binary units and the language's decimal sign (`1.5 KiB`,
    /// `1,5 KiB`).
    pub fn bytes(&self, bytes: i64) -> String {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = bytes.max(0) as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            format!("{} B", self.number(bytes))
        } else {
            format!(
                "{} {}",
                self.decimal((value * 10.0).round() as i64, 1),
                UNITS[unit]
            )
        }
    }

    /// A month and its year (`December 2026`, `décembre 2026`).
    pub fn month(&self, d: time::Date) -> String {
        let formatters = self.formatters();
        let formatter = formatters.month.get_or_init(|| {
            FixedCalendarDateTimeFormatter::try_new((&self.icu).into(), YM::long()).ok()
        });
        icu_calendar::Date::try_new_gregorian(d.year(), u8::from(d.month()), 1)
            .ok()
            .zip(formatter.as_ref())
            .map(|(date, f)| f.format(&date).to_string())
            .unwrap_or_else(|| format!("{} {}", d.month(), d.year()))
    }

    /// What a module's record count is called (`records-<words>`), else the module's
    /// English label.
    pub fn record_label(&self, english: &str) -> String {
        let key = format!("records{}", &message_id(english)[3..]);
        TEXTS
            .try_lookup(&self.texts, &key)
            .unwrap_or_else(|| english.to_owned())
    }

    /// A calendar date in the language's medium form (`Dec 1, 2026`, `1 déc. 2026`).
    pub fn date(&self, d: time::Date) -> String {
        let formatters = self.formatters();
        let formatter = formatters.date.get_or_init(|| {
            FixedCalendarDateTimeFormatter::try_new((&self.icu).into(), YMD::medium()).ok()
        });
        icu_calendar::Date::try_new_gregorian(d.year(), u8::from(d.month()), d.day())
            .ok()
            .zip(formatter.as_ref())
            .map(|(date, f)| f.format(&date).to_string())
            .unwrap_or_else(|| d.to_string())
    }

    /// `then` as people say it relative to now, in this language ("3 minutes ago",
    /// "il y a 3 minutes"), with the exact UTC time for hovering (see `format::moment`).
    pub fn moment(&self, then: &time::OffsetDateTime) -> crate::web::format::Moment {
        let then = then.to_offset(time::UtcOffset::UTC);
        let mut m = crate::web::format::moment(&then);
        m.exact = format!(
            "{} {:02}:{:02} UTC",
            self.date(then.date()),
            then.hour(),
            then.minute()
        );
        m.relative = self.time_ago(then, time::OffsetDateTime::now_utc());
        m
    }

    /// The words of [`Self::moment`]: just now, minutes, hours, yesterday, days, then
    /// the date.
    pub fn time_ago(&self, then: time::OffsetDateTime, now: time::OffsetDateTime) -> String {
        let secs = (now - then).whole_seconds();
        let n = |key: &str, n: i64| self.t_n(key, n);
        match secs {
            -59..60 => self.t("time-just-now"),
            60..3600 => n("time-minutes-ago", secs / 60),
            3600..86_400 => n("time-hours-ago", secs / 3600),
            86_400..172_800 => self.t("time-yesterday"),
            172_800..2_592_000 => n("time-days-ago", secs / 86_400),
            -3599..-59 => n("time-in-minutes", -secs / 60),
            -86_399..-3599 => n("time-in-hours", -secs / 3600),
            -2_592_000..-86_399 => n("time-in-days", (-secs + 86_399) / 86_400),
            _ => self.date(then.date()),
        }
    }

    /// A wall-clock time already in the tenant's zone (PostgreSQL's `YYYY-MM-DD HH24:MI`)
    /// in the language's medium form (`Dec 1, 2026, 5:30 PM`, `1 déc. 2026, 17:30`); text
    /// in another shape is shown as it is.
    pub fn local_time(&self, text: &str) -> String {
        let parsed = time::PrimitiveDateTime::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
        );
        let Ok(at) = parsed else {
            return text.to_owned();
        };
        let formatters = self.formatters();
        let formatter = formatters.date_time.get_or_init(|| {
            FixedCalendarDateTimeFormatter::try_new(
                (&self.icu).into(),
                YMD::medium().with_time_hm(),
            )
            .ok()
        });
        icu_calendar::Date::try_new_gregorian(at.year(), u8::from(at.month()), at.day())
            .ok()
            .zip(icu_datetime::input::Time::try_new(at.hour(), at.minute(), 0, 0).ok())
            .zip(formatter.as_ref())
            .map(|((date, time), f)| {
                f.format(&icu_datetime::input::DateTime { date, time })
                    .to_string()
            })
            .unwrap_or_else(|| text.to_owned())
    }
}

/// The reader's language as the request learned it, for what is written after the
/// handler has returned (the error pages): the layer that writes those puts an empty one
/// in the request, and the extractors that know who reads (staff, a tenant's member)
/// fill it.
#[derive(Clone, Debug, Default)]
pub struct ReaderLocale(std::sync::Arc<std::sync::OnceLock<Locale>>);

impl ReaderLocale {
    /// Records `locale` on the request whose extensions are `extensions` (nothing when
    /// no error layer listens, as in a handler test).
    pub fn record(extensions: &axum::http::Extensions, locale: &Locale) {
        if let Some(reader) = extensions.get::<Self>() {
            // The first reader known wins; a request has one.
            let _ = reader.0.set(locale.clone());
        }
    }

    /// The reader's language, when an extractor learned it.
    pub fn get(&self) -> Option<Locale> {
        self.0.get().cloned()
    }
}

/// The Fluent id of an English message: `err-` and its words, lowercase, joined by `-`
/// (`Choose a location.` → `err-choose-a-location`).
pub fn message_id(english: &str) -> String {
    let mut id = String::from("err");
    let mut gap = true;
    for c in english.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if gap {
                id.push('-');
            }
            id.push(c);
            gap = false;
        } else {
            gap = true;
        }
    }
    id
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

    fn ids(ftl: &str) -> std::collections::BTreeSet<&str> {
        ftl.lines()
            .filter(|l| !l.starts_with([' ', '#', '}']))
            .filter_map(|l| l.split_once(" ="))
            .map(|(id, _)| id.trim())
            .collect()
    }

    #[test]
    fn every_text_exists_in_every_language_and_every_id_used_exists() {
        let en = ids(include_str!("i18n/en/console.ftl"));
        let fr = ids(include_str!("i18n/fr/console.ftl"));
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        // Each resolves (texts with arguments are formatted with every argument given).
        let french = Locale::new("fr");
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = [
            "n", "name", "done", "total", "first", "last", "page", "pages", "id", "date", "when",
            "email", "limit", "plan", "missing", "location", "module", "level", "number", "status",
            "sku", "on_hand", "names", "title", "members", "invited", "version", "duration",
            "minutes", "used", "hours", "days", "tier", "schema", "database", "server", "ms",
            "action", "what", "max", "percent", "job", "step", "error", "kind",
        ]
        .into_iter()
        .map(|k| (Cow::Borrowed(k), FluentValue::from(1)))
        .collect();
        for id in &en {
            assert!(
                TEXTS
                    .try_lookup_with_args(&french.texts, id, &args)
                    .is_some(),
                "{id} does not resolve in French"
            );
        }
        // Every id a template or handler asks for by name exists (a typo would show
        // the reader "Unknown localization …").
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("src/web")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    // The mail has its own texts (`mail::texts`, tested there).
                    if !path.ends_with("templates/mail") {
                        dirs.push(path);
                    }
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                // Handlers also name ids as values (a button's label, a flash's text):
                // a quoted `pf-…`, `msg-…`, `error-…`, `title-…` or `err-…` in Rust.
                if path.extension().is_some_and(|e| e == "rs") {
                    for prefix in ["\"pf-", "\"msg-", "\"error-", "\"title-", "\"err-"] {
                        for (at, _) in text.match_indices(prefix) {
                            let id = &text[at + 1..];
                            let id = &id[..id.find('"').unwrap_or(0)];
                            let kebab = id
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                            if kebab && !id.ends_with('-') {
                                used.push((path.display().to_string(), id.to_owned()));
                            }
                        }
                    }
                }
                for call in [".t(\"", ".t_with(\"", ".t_nums(\"", ".t_n(\""] {
                    for (at, _) in text.match_indices(call) {
                        let id = &text[at + call.len()..];
                        let id = &id[..id.find('"').unwrap_or(0)];
                        if !id.is_empty()
                            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        {
                            used.push((path.display().to_string(), id.to_owned()));
                        }
                    }
                }
            }
        }
        assert!(used.len() > 300, "the scan finds the ids in use");
        let unknown: Vec<_> = used
            .iter()
            .filter(|(_, id)| !en.contains(id.as_str()))
            .collect();
        assert!(unknown.is_empty(), "ids without a text: {unknown:?}");
    }

    #[test]
    fn messages_of_the_data_layer_and_wall_clock_times() {
        assert_eq!(message_id("Choose a location."), "err-choose-a-location");
        let fr = Locale::new("fr");
        assert_eq!(
            fr.message("Choose a location."),
            "Choisissez un emplacement."
        );
        assert_eq!(fr.message("Not a known message."), "Not a known message.");
        assert_eq!(
            Locale::new("en").message("Choose a location."),
            "Choose a location."
        );
        assert_eq!(fr.local_time("2026-12-01 17:30"), "1 déc. 2026, 17:30");
        assert_eq!(
            Locale::new("en").local_time("2026-12-01 17:30"),
            "Dec 1, 2026, 5:30\u{202f}PM"
        );
        assert_eq!(fr.local_time("not a time"), "not a time");
        assert_eq!(fr.day("2026-12-01"), "1 déc. 2026");
        assert_eq!(fr.status("issued"), "émise");
        assert_eq!(fr.status("unheard-of"), "unheard-of");
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(
            fr.time_ago(now - time::Duration::minutes(3), now),
            "il y a 3 minutes"
        );
        assert_eq!(
            Locale::new("en").time_ago(now + time::Duration::days(2), now),
            "in 2 days"
        );
        assert_eq!(fr.module_name("billing", "Billing"), "Facturation");
        assert_eq!(
            fr.module_name("billing", "Invoicing"),
            "Invoicing",
            "renamed"
        );
    }

    #[test]
    fn the_browser_s_language_when_nobody_is_known() {
        let asked = |h: &str| Locale::from_accept_language(h).map(|l| l.tag().to_owned());
        assert_eq!(asked("fr-CH, fr;q=0.9, en;q=0.8").as_deref(), Some("fr-CH"));
        assert_eq!(
            asked("de-DE,de;q=0.9,fr;q=0.7,en;q=0.8").as_deref(),
            Some("en")
        );
        assert_eq!(asked("de, FR;q=0.5").as_deref(), Some("fr"));
        assert_eq!(
            asked("en, fr").as_deref(),
            Some("en"),
            "the first of equals"
        );
        assert_eq!(
            asked("fr;q=0, en;q=0.1").as_deref(),
            Some("en"),
            "q=0: not wanted"
        );
        assert_eq!(asked("de, *;q=0.1"), None);
        assert_eq!(asked(""), None);
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
