//! Tenant slugs and the PostgreSQL names derived from them. A slug is the tenant's
//! DNS-safe name; every database, role and schema name is derived from a valid slug, so
//! nothing a user types reaches DDL except through these rules.

use crate::pg::ident::Ident;

/// Names no tenant may take: they are hosts, paths or words the platform uses itself.
pub const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "app",
    "apps",
    "assets",
    "auth",
    "billing",
    "blog",
    "cdn",
    "console",
    "dashboard",
    "dev",
    "docs",
    "ftp",
    "help",
    "imap",
    "internal",
    "localhost",
    "login",
    "logout",
    "mail",
    "metrics",
    "mx",
    "ns1",
    "ns2",
    "pop",
    "postgres",
    "root",
    "setup",
    "signup",
    "smtp",
    "staging",
    "static",
    "status",
    "support",
    "system",
    "tenantry",
    "test",
    "www",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error(
        "Use 3 to 40 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
    )]
    Format,
    #[error("“{0}” is reserved; choose another name.")]
    Reserved(String),
}

/// A validated slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Validates `input` as typed (no case folding: `Acme` is refused, not silently changed).
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let bytes = input.as_bytes();
        let ok_len = (3..=40).contains(&bytes.len());
        let ok_first = bytes.first().is_some_and(u8::is_ascii_lowercase);
        let ok_last = bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ok_chars = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if !(ok_len && ok_first && ok_last && ok_chars) {
            return Err(SlugError::Format);
        }
        if RESERVED.contains(&input) {
            return Err(SlugError::Reserved(input.to_owned()));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hyphens become underscores; slugs have no underscores, so this stays one-to-one.
    fn stem(&self) -> String {
        self.0.replace('-', "_")
    }

    /// Isolated tier: `tenant_<slug>`.
    pub fn database(&self) -> Ident {
        self.ident("tenant_")
    }

    /// The tenant's login role: `tr_<slug>`.
    pub fn role(&self) -> Ident {
        self.ident("tr_")
    }

    /// Pooled tier: `t_<slug>`.
    pub fn schema(&self) -> Ident {
        self.ident("t_")
    }

    fn ident(&self, prefix: &str) -> Ident {
        // ok: a valid slug with any of these prefixes always forms a valid identifier.
        Ident::new(&format!("{prefix}{}", self.stem())).expect("slug-derived identifier")
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_safe_names_and_derives_identifiers() {
        let s = Slug::parse("acme-corp2").expect("test value");
        assert_eq!(s.database().as_str(), "tenant_acme_corp2");
        assert_eq!(s.role().as_str(), "tr_acme_corp2");
        assert_eq!(s.schema().as_str(), "t_acme_corp2");
        Slug::parse(&format!("a{}", "b".repeat(39))).expect("test value");
    }

    #[test]
    fn refuses_bad_and_reserved_slugs() {
        for bad in [
            "",
            "ab",
            "Acme",
            "1acme",
            "acme-",
            "ac_me",
            "ac.me",
            "ac me",
            "acmé",
            "a\"; drop",
            &"a".repeat(41),
        ] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Format), "{bad:?}");
        }
        assert!(matches!(Slug::parse("admin"), Err(SlugError::Reserved(_))));
        assert!(matches!(Slug::parse("www"), Err(SlugError::Reserved(_))));
    }
}
