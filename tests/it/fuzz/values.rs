//! Values the generator puts where input goes: plausible, hostile or random, and per
//! request one kind of garbage in every text field.

use rand::Rng;
use rand::rngs::StdRng;

/// What the generator may put where a real value would go.
pub(super) struct Known {
    pub(super) slug: String,
    pub(super) other_slug: String,
    pub(super) ids: Vec<String>,
    /// Field names and their declared types.
    pub(super) fields: Vec<(String, String)>,
    pub(super) max_body: usize,
}

pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A value for a field, a parameter or a header: plausible, hostile or random.
pub(super) fn value(rng: &mut StdRng, known: &Known) -> String {
    let plausible = [
        "admin",
        "member",
        "support",
        "super_admin",
        "owner",
        "crm",
        "tasks",
        "billing",
        "inventory",
        "active",
        "inactive",
        "lead",
        "isolated",
        "pooled",
        "free",
        "pro",
        "on",
        "true",
        "1",
        "0",
        "read",
        "write",
        "none",
        "sent",
        "failed",
        "pending",
    ];
    match rng.random_range(0..20) {
        0 => String::new(),
        1 => pick(rng, &plausible).to_string(),
        2 => known.slug.clone(),
        3 => known.other_slug.clone(),
        4 => pick(rng, &known.ids).clone(),
        5 => uuid::Uuid::new_v4().to_string(),
        6 => pick(
            rng,
            &[
                "99999999999999999999",
                "9223372036854775807",
                "-9223372036854775808",
                "-1",
                "1e309",
                "NaN",
                "0x10",
                "1.5",
            ],
        )
        .to_string(),
        7 => format!("user{}@example.test", rng.random_range(0..1000)),
        8 => pick(
            rng,
            &[
                "<script>alert(1)</script>",
                "'; drop table users; --",
                "../../etc/passwd",
                "%00",
                "\r\nX-Injected: 1",
                "{{7*7}}",
                "${jndi:x}",
                "a@b@c",
                "//evil.test",
                "https://evil.test/",
                "\u{202e}evil",
                "\u{0}",
            ],
        )
        .to_string(),
        9 => "x".repeat(rng.random_range(200..20_000)),
        10 | 11 => (0..rng.random_range(1..40))
            .map(|_| char::from_u32(rng.random_range(1..0x11_0000)).unwrap_or('\u{fffd}'))
            .collect(),
        12 => (0..rng.random_range(1..20))
            .map(|_| char::from(rng.random_range(1u8..0x80)))
            .collect(),
        13 => format!("#{:06x}", rng.random_range(0..0x100_0000)),
        14 => "Europe/Paris".into(),
        _ => {
            let words = [
                "acme",
                "Ünïcödé",
                "日本語",
                "🙂",
                "O'Brien",
                "a b",
                "Z",
                "ß",
            ];
            (0..rng.random_range(1..4))
                .map(|_| *pick(rng, &words))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

pub(super) fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The kind of garbage one request carries in every text field, so each kind meets
/// every field a handler reads (one NUL somewhere in a random field is rarely where a
/// handler looks; a NUL in every field is).
#[derive(Clone, Copy, Debug)]
pub(super) enum Mode {
    /// Plausible values, hostile or random now and then.
    Mixed,
    /// A NUL character in every text.
    Nul,
    /// Control characters (CR, LF, tab, escape) in every text.
    Control,
    /// Every text long.
    Long,
    /// Every text random unicode.
    Unicode,
    /// Every value empty.
    Empty,
    /// Numbers at and past the edges of their types, everywhere.
    Numbers,
}

pub(super) const MODES: [Mode; 7] = [
    Mode::Mixed,
    Mode::Nul,
    Mode::Control,
    Mode::Long,
    Mode::Unicode,
    Mode::Empty,
    Mode::Numbers,
];

pub(super) const EDGE_NUMBERS: [&str; 12] = [
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "4294967295",
    "2147483648",
    "65536",
    "1e309",
    "-0",
    "0x1f",
];

/// A value for a field of type `ty` in `mode`: numbers, flags and ids mostly parse as
/// their type (so the form is read and its handler runs); texts carry the mode's garbage.
pub(super) fn typed_value(rng: &mut StdRng, ty: &str, known: &Known, mode: Mode) -> String {
    let inner = ty.trim_start_matches("Option<").trim_end_matches('>');
    let numeric = matches!(
        inner,
        "i64" | "i32" | "u32" | "u64" | "usize" | "u16" | "u8"
    );
    match mode {
        Mode::Empty => return String::new(),
        Mode::Numbers => return pick(rng, &EDGE_NUMBERS).to_string(),
        _ if rng.random_bool(0.1) => return value(rng, known),
        _ => {}
    }
    if numeric {
        return pick(rng, &EDGE_NUMBERS[..5]).to_string();
    }
    match inner {
        "bool" => return pick(rng, &["true", "false"]).to_string(),
        "Uuid" | "uuid::Uuid" => return pick(rng, &known.ids).clone(),
        "String" => {}
        // An enum or a type of ours: one of the words such fields take, so the form is
        // read and the mode's garbage in the other fields reaches the handler.
        _ => {
            let words = [
                "active",
                "inactive",
                "lead",
                "admin",
                "member",
                "support",
                "super_admin",
                "owner",
                "isolated",
                "pooled",
                "free",
                "starter",
                "pro",
                "enterprise",
                "pending",
                "sent",
                "failed",
                "read",
                "write",
                "none",
                "crm",
                "suspend",
                "activate",
                "on",
            ];
            return pick(rng, &words).to_string();
        }
    }
    let base: String = value(rng, known).chars().take(100).collect();
    match mode {
        Mode::Nul => inject(rng, &base, '\0'),
        Mode::Control => {
            let c = *pick(
                rng,
                &['\r', '\n', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}'],
            );
            inject(rng, &base, c)
        }
        Mode::Long => pick(rng, &["a", "é", "日", "🙂", "'"]).repeat(rng.random_range(500..1500)),
        Mode::Unicode => (0..rng.random_range(1..60))
            .map(|_| char::from_u32(rng.random_range(0x80..0x11_0000)).unwrap_or('\u{fffd}'))
            .collect(),
        _ => base,
    }
}

/// `text` with `c` inserted at a random place.
pub(super) fn inject(rng: &mut StdRng, text: &str, c: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.random_range(0..=chars.len());
    chars.insert(at, c);
    chars.into_iter().collect()
}
