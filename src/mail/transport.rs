//! The SMTP transport: a [`Mailer`] built once from `TENANTRY_SMTP_URL` and
//! `TENANTRY_MAIL_FROM`, and the MIME message (text and HTML alternatives) it sends.
//!
//! URL forms: `smtp://host:port` (plain, for local sinks), `smtp://host:port?tls=required`
//! (STARTTLS, refused if the server does not offer it), `smtp://…?tls=opportunistic`
//! (STARTTLS when offered) and `smtps://host:port` (implicit TLS). Credentials go in the
//! URL's user info, percent-encoded (`smtps://user:p%40ss@host`); the URL is kept in a
//! [`Secret`](crate::secret::Secret) and only [`describe`] (no user info) reaches a log.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::config::Config;

/// An SMTP command (connect, TLS, a reply) that takes longer than this fails the attempt.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A configuration that cannot send mail: the server refuses to start with it.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error(
        "TENANTRY_SMTP_URL is not usable ({0}); expected smtp://host:port, \
         smtp://host:port?tls=required (STARTTLS) or smtps://host:port"
    )]
    Url(String),
    #[error("TENANTRY_MAIL_FROM is not a valid sender such as `Tenantry <no-reply@example.com>`")]
    From,
}

/// Why a message was not handed to the SMTP server.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message can never be sent as it is (an address that does not parse, a control
    /// character in a header): retrying would not help.
    #[error("{0}")]
    Invalid(&'static str),
    /// The exchange with the server failed (down, refused, timed out): worth retrying.
    #[error("{0}")]
    Smtp(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// One message to send, as the outbox holds it.
pub struct Outgoing<'a> {
    /// The outbox row's id: the Message-ID is derived from it, so a message sent twice
    /// (see the worker's at-least-once note) carries the same id both times.
    pub id: Uuid,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Sends mail through one SMTP server (connections are pooled and checked before reuse).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The configured mailer; `None` when no SMTP server is configured (mail then stays in
    /// the outbox and its links are logged). Must be called inside the tokio runtime.
    pub fn from_config(config: &Config) -> Result<Option<Self>, MailerError> {
        match &config.smtp_url {
            Some(url) => Self::new(url.expose(), &config.mail_from).map(Some),
            None => Ok(None),
        }
    }

    pub fn new(url: &str, from: &str) -> Result<Self, MailerError> {
        let from: Mailbox = from.parse().map_err(|_| MailerError::From)?;
        // lettre reads the scheme, `tls=`, port and percent-decoded credentials; its
        // errors name the part that is wrong, never the URL itself.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::Url(one_line(&e.to_string())))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// The MIME message: From, To, Subject, a Message-ID from the outbox id, and
    /// multipart/alternative with the text part first (the fallback) and the HTML part.
    pub fn message(&self, m: &Outgoing<'_>) -> Result<Message, SendError> {
        // lettre would encode a CR/LF rather than let it start a header; refusing
        // outright keeps a malformed row from ever reaching a server in any form.
        if has_control(m.recipient) {
            return Err(SendError::Invalid(
                "the recipient contains a control character",
            ));
        }
        if has_control(m.subject) {
            return Err(SendError::Invalid(
                "the subject contains a control character",
            ));
        }
        let to: Address = m
            .recipient
            .trim()
            .parse()
            .map_err(|_| SendError::Invalid("the recipient is not a valid address"))?;
        let message_id = format!("<{}@{}>", m.id, self.from.email.domain());
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(m.subject)
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                m.text.to_owned(),
                m.html.to_owned(),
            ))
            .map_err(|_| SendError::Invalid("the message could not be built"))
    }

    /// Hands the message to the SMTP server.
    pub async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        let message = self.message(m)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Smtp(one_line(&e.to_string())))
    }
}

/// The SMTP server a URL names, for logs: scheme, host, port and TLS mode, never the
/// credentials.
pub fn describe(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("?", url));
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, q),
        None => (rest, ""),
    };
    let authority = authority.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let tls = match (scheme, query) {
        ("smtps", _) => "implicit TLS",
        (_, q) if q.contains("tls=required") => "STARTTLS required",
        (_, q) if q.contains("tls=opportunistic") => "STARTTLS when offered",
        _ => "no TLS",
    };
    format!("{scheme}://{host} ({tls})")
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Errors are stored and shown on one line, at most 500 characters.
pub fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.len() > 500 {
        let mut cut = 500;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing<'a>(recipient: &'a str, subject: &'a str) -> Outgoing<'a> {
        Outgoing {
            id: Uuid::nil(),
            recipient,
            subject,
            text: "Hello\nhttp://acme.localhost/invite?token=abc",
            html: "<p>Hello</p>",
        }
    }

    #[tokio::test]
    async fn every_url_form_builds_and_bad_ones_do_not_echo_the_url() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com:587?tls=required",
            "smtp://mail.example.com?tls=opportunistic",
            "smtps://user:p%40ss@mail.example.com:465",
        ] {
            assert!(
                Mailer::new(url, "Tenantry <no-reply@example.com>").is_ok(),
                "{url}"
            );
        }
        for url in [
            "http://user:hunter2@mail.example.com",
            "smtp://user:hunter2@mail.example.com?tls=sometimes",
            "not a url hunter2",
        ] {
            let Err(e) = Mailer::new(url, "no-reply@example.com") else {
                panic!("{url} accepted");
            };
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:25", "Tenantry <nobody>"),
            Err(MailerError::From)
        ));
    }

    #[test]
    fn describe_leaves_out_the_credentials() {
        assert_eq!(
            describe("smtps://user:s3cret@mail.example.com:465/ehlo"),
            "smtps://mail.example.com:465 (implicit TLS)"
        );
        assert_eq!(
            describe("smtp://a:b@c@mail.example.com:587?tls=required"),
            "smtp://mail.example.com:587 (STARTTLS required)"
        );
        assert_eq!(
            describe("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525 (no TLS)"
        );
    }

    #[tokio::test]
    async fn the_message_has_both_parts_and_no_header_can_be_injected() {
        let mailer =
            Mailer::new("smtp://127.0.0.1:25", "Acme <no-reply@acme.test>").expect("mailer");
        let raw = String::from_utf8(
            mailer
                .message(&outgoing("ada@example.test", "You are invited"))
                .expect("message")
                .formatted(),
        )
        .expect("utf-8");
        assert!(raw.contains("To: ada@example.test\r\n"), "{raw}");
        assert!(raw.contains("From: Acme <no-reply@acme.test>\r\n"), "{raw}");
        assert!(raw.contains("Subject: You are invited\r\n"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        assert!(raw.contains(&format!("Message-ID: <{}@acme.test>", Uuid::nil())));

        for (to, subject) in [
            ("ada@example.test\r\nBcc: eve@evil.test", "Hi"),
            ("ada@example.test", "Hi\r\nBcc: eve@evil.test"),
            ("ada@example.test", "Hi\nBcc: eve@evil.test"),
            ("not an address", "Hi"),
        ] {
            let refused = mailer.message(&outgoing(to, subject));
            assert!(
                refused.as_ref().is_err_and(SendError::is_permanent),
                "{to:?} / {subject:?}"
            );
        }
    }

    #[test]
    fn errors_are_one_short_line() {
        assert_eq!(one_line("a\r\n  b\tc"), "a b c");
        assert!(one_line(&"é".repeat(600)).chars().count() <= 501);
    }
}
