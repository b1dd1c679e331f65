//! Composes the messages Tenantry sends. Each has a text and an HTML part rendered from
//! Askama templates in `templates/mail/`, the sender's branding, and the words of the
//! sender's language ([`MailTexts`]).

use askama::Template;

use crate::mail::texts::MailTexts;

/// Who the mail comes from, as the recipient should see it: the tenant (its name, logo,
/// theme colour and language) or the platform.
#[derive(Clone, Debug)]
pub struct Branding {
    pub name: String,
    pub logo_url: String,
    pub color: String,
    /// The language the message is written in (a BCP 47 tag; English by default).
    pub language: String,
}

impl Branding {
    pub fn platform() -> Self {
        Self {
            name: "Tenantry".into(),
            logo_url: String::new(),
            color: "#4f46e5".into(),
            language: "en".into(),
        }
    }

    /// The same branding, writing in `language` (the tenant's Settings); an empty one
    /// keeps English.
    pub fn speaking(mut self, language: &str) -> Self {
        if !language.trim().is_empty() {
            self.language = language.trim().to_owned();
        }
        self
    }

    /// The words of this sender's language.
    pub fn texts(&self) -> MailTexts {
        MailTexts::new(&self.language)
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
            language: fallback.language,
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
    /// Who invites (empty: the platform itself, said as "the platform team").
    pub inviter: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub expires: time::OffsetDateTime,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation<'a>,
    t: &'a MailTexts,
    /// "Ada invited you to join Acme as member." in the recipient's words.
    invited: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation<'a>,
    t: &'a MailTexts,
    invited: &'a str,
    expires: &'a str,
}

pub fn invitation(m: &Invitation<'_>) -> Result<Composed, askama::Error> {
    let t = &m.brand.texts();
    let inviter = if m.inviter.is_empty() {
        t.t("mail-platform-team")
    } else {
        m.inviter.to_owned()
    };
    let invited = &t.t_with(
        "mail-invited",
        &[
            ("inviter", &inviter),
            ("name", &m.brand.name),
            ("role", &t.role(m.role)),
        ],
    );
    let expires = &t.when(m.expires);
    Ok(Composed {
        subject: one_line(&t.t_with("mail-invitation-subject", &[("name", &m.brand.name)])),
        text: InvitationText {
            m,
            t,
            invited,
            expires,
        }
        .render()?,
        html: InvitationHtml {
            m,
            t,
            invited,
            expires,
        }
        .render()?,
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
    t: &'a MailTexts,
    minutes: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    m: &'a PasswordReset<'a>,
    t: &'a MailTexts,
    minutes: &'a str,
}

pub fn password_reset(m: &PasswordReset<'_>) -> Result<Composed, askama::Error> {
    let t = &m.brand.texts();
    let minutes = &m.minutes.to_string();
    Ok(Composed {
        subject: one_line(&t.t_with("mail-reset-subject", &[("name", &m.brand.name)])),
        text: ResetText { m, t, minutes }.render()?,
        html: ResetHtml { m, t, minutes }.render()?,
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
    t: &'a MailTexts,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct AlertHtml<'a> {
    m: &'a Alert<'a>,
    t: &'a MailTexts,
}

pub fn alert(m: &Alert<'_>) -> Result<Composed, askama::Error> {
    let t = &m.brand.texts();
    Ok(Composed {
        subject: one_line(m.headline),
        text: AlertText { m, t }.render()?,
        html: AlertHtml { m, t }.render()?,
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
            expires: time::macros::datetime!(2026-12-01 10:00 UTC),
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
    fn a_tenant_speaking_french_writes_in_french_and_the_platform_in_english() {
        let brand = Branding::tenant("Atelier", "", "").speaking("fr");
        let expires = time::macros::datetime!(2026-12-01 10:00 UTC);
        let mail = invitation(&Invitation {
            brand: &brand,
            inviter: "",
            role: "Admin",
            link: "http://atelier.localhost/invite?token=abc",
            expires,
        })
        .expect("renders");
        assert_eq!(mail.subject, "Vous êtes invité à rejoindre Atelier");
        assert!(
            mail.text.contains(
                "L'équipe de la plateforme vous invite à rejoindre Atelier (rôle : administrateur)."
            ),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("expire le 1 déc. 2026 10:00 UTC"),
            "{}",
            mail.text
        );
        assert!(mail.html.contains("<html lang=\"fr\">"));
        let platform = invitation(&Invitation {
            brand: &Branding::platform(),
            inviter: "olga@example.test",
            role: "Support",
            link: "http://admin.localhost/invite?token=abc",
            expires,
        })
        .expect("renders");
        assert_eq!(platform.subject, "You are invited to Tenantry");
        assert!(
            platform
                .text
                .contains("olga@example.test invited you to join Tenantry as Support.")
        );
        let reset = password_reset(&PasswordReset {
            brand: &brand,
            link: "http://atelier.localhost/reset?token=abc",
            minutes: 60,
        })
        .expect("renders");
        assert_eq!(reset.subject, "Réinitialisez votre mot de passe Atelier");
        assert!(reset.text.contains("expire dans 60 minutes"));
    }

    #[test]
    fn html_part_escapes_names() {
        let brand = Branding::tenant("<b>Acme</b>", "", "");
        let mail = invitation(&Invitation {
            brand: &brand,
            inviter: "<script>",
            role: "Member",
            link: "http://acme.localhost/invite/abc",
            expires: time::macros::datetime!(2026-12-01 10:00 UTC),
        })
        .expect("renders");
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&#60;b&#62;Acme"), "{}", mail.html);
    }
}
