//! Identifiers that reach DDL. They are validated against a strict pattern and always
//! quoted, so no user text is ever concatenated into SQL.

use std::fmt;

/// A validated, quoted SQL identifier. `Display` writes it quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident(String);

#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not a valid identifier: use 1 to 63 lower-case letters, digits or underscores, starting with a letter"
)]
pub struct InvalidIdent(pub String);

impl Ident {
    /// A database, role or schema name made by Tenantry: `[a-z][a-z0-9_]{0,62}`.
    pub fn new(name: &str) -> Result<Self, InvalidIdent> {
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if first_ok && rest_ok && name.len() <= 63 {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidIdent(name.to_owned()))
        }
    }

    /// Alias of [`Ident::new`] that reads well at call sites creating databases.
    pub fn database(name: &str) -> Result<Self, InvalidIdent> {
        Self::new(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pattern admits no quote, but quoting is the rule for every identifier.
        write!(f, "\"{}\"", self.0.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_quotes_them() {
        assert_eq!(
            Ident::new("tenant_acme").expect("test value").to_string(),
            "\"tenant_acme\""
        );
    }

    #[test]
    fn refuses_anything_that_could_escape() {
        for bad in [
            "",
            "Acme",
            "a-b",
            "a\"; drop",
            "1abc",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(Ident::new(bad).is_err(), "{bad:?} accepted");
        }
    }
}
