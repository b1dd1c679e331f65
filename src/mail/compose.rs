//! Composes the messages Tenantry sends. Each has a text and an HTML part rendered from
//! Askama templates in `templates/mail/`, and the sender's branding.

use askama::Template;

/// Who the mail comes from, as the recipient should see it: the tenant (its name, logo
/// and theme colour) or the platform.
#[derive(Clone, Debug)]
pub struct Branding {
    pub name: String,
    pub logo_url: String,
    pub color: String,
}

impl Branding {
    pub fn platform() -> Self {
        Self {
            name: "Tenantry".into(),
            logo_url: String::new(),
            color: "#4f46e5".into(),
        }
    }

    /// A tenant's branding; an unset colour falls back to the platform's.
    pub fn tenant(name: &str, logo_url: &str, color: &str) -> Self {
        let fallback = Self::platform();
        Self {
            name: one_line(name),
            logo_url: logo_url.to_owned(),
            color: if is_hex_color(color) {
                color.to_owned()
            } else {
                fallback.color
            },
        }
    }
}

/// A rendered message, ready for the outbox.
#[derive(Clone, Debug)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one link the message carries.
    pub link: Option<String>,
}

/// An invitation to join `brand` (a tenant, or the platform's staff).
pub struct Invitation<'a> {
    pub brand: &'a Branding,
    pub inviter: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub expires: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation<'a>,
}

pub fn invitation(m: &Invitation<'_>) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: one_line(&format!("You are invited to {}", m.brand.name)),
        text: InvitationText { m }.render()?,
        html: InvitationHtml { m }.render()?,
        link: Some(m.link.to_owned()),
    })
}

/// A password reset link.
pub struct PasswordReset<'a> {
    pub brand: &'a Branding,
    pub link: &'a str,
    pub minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    m: &'a PasswordReset<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    m: &'a PasswordReset<'a>,
}

pub fn password_reset(m: &PasswordReset<'_>) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: one_line(&format!("Reset your {} password", m.brand.name)),
        text: ResetText { m }.render()?,
        html: ResetHtml { m }.render()?,
        link: Some(m.link.to_owned()),
    })
}

/// An alert: a limit crossed, a failed job, a server nearly full.
pub struct Alert<'a> {
    pub brand: &'a Branding,
    /// One sentence saying what crossed; also the subject.
    pub headline: &'a str,
    /// What it means and what to do.
    pub detail: &'a str,
    /// The label of the link (e.g. "See acme's usage").
    pub action: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct AlertText<'a> {
    m: &'a Alert<'a>,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct AlertHtml<'a> {
    m: &'a Alert<'a>,
}

pub fn alert(m: &Alert<'_>) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: one_line(m.headline),
        text: AlertText { m }.render()?,
        html: AlertHtml { m }.render()?,
        link: Some(m.link.to_owned()),
    })
}

/// The colour goes into a `style` attribute: only `#rgb` / `#rrggbb` pass.
fn is_hex_color(s: &str) -> bool {
    s.strip_prefix('#')
        .is_some_and(|h| (h.len() == 3 || h.len() == 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Headers are one line: control characters (CR/LF above all) become spaces, so nothing
/// a user typed can add a header. Input is validated before this; this is the last guard.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_has_both_parts_and_a_one_line_subject() {
        let brand = Branding::tenant("Acme\r\nBcc: x@evil.test", "", "#112233");
        let mail = invitation(&Invitation {
            brand: &brand,
            inviter: "ada@acme.test",
            role: "Member",
            link: "http://acme.localhost:3000/invite/abc",
            expires: "2026-12-01",
        })
        .expect("renders");
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert!(mail.text.contains("http://acme.localhost:3000/invite/abc"));
        assert!(
            mail.html
                .contains("href=\"http://acme.localhost:3000/invite/abc\"")
        );
        assert!(mail.html.contains("#112233"));
    }

    #[test]
    fn html_part_escapes_names() {
        let brand = Branding::tenant("<b>Acme</b>", "", "");
        let mail = invitation(&Invitation {
            brand: &brand,
            inviter: "<script>",
            role: "Member",
            link: "http://acme.localhost/invite/abc",
            expires: "2026-12-01",
        })
        .expect("renders");
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&#60;b&#62;Acme"), "{}", mail.html);
    }
}
