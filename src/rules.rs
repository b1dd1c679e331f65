//! Input rules shared by every form (validator custom functions), so each rule lives in
//! one place.

use validator::{ValidateEmail, ValidationError};

fn refuse(code: &'static str, message: &'static str) -> Result<(), ValidationError> {
    Err(ValidationError::new(code).with_message(message.into()))
}

/// One line of text: no CR, LF or other control characters (header injection, log
/// forging, broken layouts).
pub fn one_line(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(char::is_control) {
        refuse("one_line", "Use a single line of text.")
    } else {
        Ok(())
    }
}

/// Empty, or a valid email address.
pub fn optional_email(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() || s.trim().validate_email() {
        Ok(())
    } else {
        refuse("email", "Enter a valid email address, or leave it empty.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(one_line("Acme Corp").is_ok() && one_line("a\r\nBcc: x").is_err());
        assert!(
            optional_email("").is_ok()
                && optional_email("a@b.test").is_ok()
                && optional_email("nope").is_err()
        );
    }
}
