//! A small SMTP server for tests: listens on 127.0.0.1, speaks enough SMTP for lettre
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), records every message, and can be
//! stopped and started again on the same port to play "the mail server is down".
//! `Received` reads what arrived: headers (unfolded, RFC 2047 decoded) and the decoded
//! text of a MIME part (quoted-printable or base64).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, with CRLF line ends.
    pub data: String,
}

type Store = Arc<Mutex<Vec<Received>>>;

pub struct SmtpSink {
    addr: SocketAddr,
    store: Store,
    server: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        let listener = bind("127.0.0.1:0".parse().expect("addr")).expect("bind the sink");
        let addr = listener.local_addr().expect("addr");
        let store = Store::default();
        let server = Some(tokio::spawn(serve(listener, store.clone())));
        Self {
            addr,
            store,
            server,
        }
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, as for a local sink.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.store.lock().expect("store").clone()
    }

    /// Closes the listener and every open connection: connecting is refused until
    /// [`SmtpSink::restart`].
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port, keeping what was received.
    pub async fn restart(&mut self) {
        self.stop().await;
        // The port was just released; another socket could briefly hold it.
        let mut tries = 0;
        let listener = loop {
            match bind(self.addr) {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("the sink could not listen on {} again: {e}", self.addr),
            }
        };
        self.server = Some(tokio::spawn(serve(listener, self.store.clone())));
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(64)
}

/// Accepts until aborted; aborting drops the set, which ends every session with it.
async fn serve(listener: TcpListener, store: Store) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    sessions.spawn(session(stream, store.clone()));
                }
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// The address inside `<…>` of a MAIL FROM / RCPT TO argument.
fn path_arg(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

async fn session(stream: TcpStream, store: Store) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                mail_from = path_arg(&command);
                rcpt_to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                rcpt_to.push(path_arg(&command));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if read.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                store.lock().expect("store").push(Received {
                    mail_from: std::mem::take(&mut mail_from),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                b"250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
}

impl Received {
    fn split(text: &str) -> (&str, &str) {
        text.split_once("\r\n\r\n").unwrap_or((text, ""))
    }

    /// A header of the message, unfolded and decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(Self::split(&self.data).0, name)
    }

    /// The decoded body of the first MIME part whose type starts with `content_type`
    /// (`text/plain`, `text/html`), looking one multipart level deep.
    pub fn part(&self, content_type: &str) -> Option<String> {
        let (headers, body) = Self::split(&self.data);
        let top = header_in(headers, "Content-Type")?;
        let boundary = top
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))?
            .trim_matches('"')
            .to_owned();
        body.split(&format!("--{boundary}"))
            .map(|p| p.trim_start_matches("\r\n"))
            .find_map(|part| {
                let (h, b) = Self::split(part);
                let kind = header_in(h, "Content-Type")?;
                if !kind.to_ascii_lowercase().starts_with(content_type) {
                    return None;
                }
                let encoding = header_in(h, "Content-Transfer-Encoding")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                Some(decode_body(&encoding, b))
            })
    }
}

fn header_in(headers: &str, name: &str) -> Option<String> {
    let mut unfolded: Vec<String> = Vec::new();
    for line in headers.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push(' ');
                last.push_str(line.trim_start());
            }
        } else {
            unfolded.push(line.to_owned());
        }
    }
    unfolded.iter().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| decode_words(v.trim()))
    })
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for (i, word) in value.split(' ').enumerate() {
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut it = w.splitn(3, '?');
                let (_charset, enc, text) = (it.next()?, it.next()?, it.next()?);
                match enc.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok()),
                    "q" => Some(decode_qp(&text.replace('_', " "))),
                    _ => None,
                }
            });
        if i > 0 && !(previous_encoded && decoded.is_some()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(decoded.as_deref().unwrap_or(word));
    }
    out
}

fn decode_body(encoding: &str, body: &str) -> String {
    match encoding {
        "quoted-printable" => decode_qp(body),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("a base64 body");
            String::from_utf8(bytes).expect("utf-8 body")
        }
        _ => body.to_owned(),
    }
}

/// Quoted-printable: soft line breaks removed, `=XX` turned back into bytes.
fn decode_qp(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 after quoted-printable")
}

#[test]
fn decoders_read_what_mailers_write() {
    assert_eq!(decode_qp("a=3Db=\r\nc =C3=A9"), "a=bc é");
    assert_eq!(
        decode_words("=?utf-8?b?w6k=?= =?utf-8?b?w6k=?= and x"),
        "éé and x"
    );
    let sample = Received {
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        data: "Subject: Hello\r\n there\r\nContent-Type: multipart/alternative;\r\n boundary=\"XyZ\"\r\n\r\n--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nlink=3D1\r\n--XyZ\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<p>hi</p>\r\n--XyZ--\r\n".into(),
    };
    assert_eq!(sample.header("subject").as_deref(), Some("Hello there"));
    assert_eq!(sample.part("text/plain").as_deref(), Some("link=1\r\n"));
    assert_eq!(sample.part("text/html").as_deref(), Some("<p>hi</p>\r\n"));
}
