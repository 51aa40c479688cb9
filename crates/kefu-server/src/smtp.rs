//! kefu's own SMTP listener: the inbound half of the email channel (MULTICHANNEL). A buyer's
//! mail to `shop<ID>@…` (or `anything+<ID>@…`) becomes a message of shop ID through the same
//! ingest path as every channel (redaction, language, rule clocks).
//!
//! `250` after DATA means stored: the mail was ingested, or — when it cannot be read — kept
//! whole as a failed ingest for an operator, so nothing a sender was told we took is lost.
//! No relaying, no authentication, no TLS: it is meant to sit behind the site's MTA or on
//! 127.0.0.1.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::AppState;
use crate::mail_ingest::{MailOutcome, Shops, ingest_mail};

/// Largest mail accepted (the SIZE we announce).
pub const MAX_MAIL_BYTES: usize = 10 * 1024 * 1024;
/// Longest a command line may be (RFC 5321 says 512; we allow some slack).
const MAX_LINE: usize = 4096;
const IDLE: Duration = Duration::from_secs(300);

/// Accepts SMTP sessions until the process ends.
pub async fn serve(listener: TcpListener, state: AppState, domain: String) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let (state, domain) = (state.clone(), domain.clone());
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &state, &domain).await {
                        tracing::debug!(%peer, error = %e, "SMTP session ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    buf.clear();
    let n = tokio::time::timeout(IDLE, reader.read_until(b'\n', buf))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
    Ok(n)
}

async fn session(stream: TcpStream, state: &AppState, domain: &str) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(format!("220 {domain} kefu ESMTP ready\r\n").as_bytes())
        .await?;
    let mut shops: Vec<i64> = Vec::new();
    let mut sender = false;
    let mut line = Vec::new();
    loop {
        if read_line(&mut reader, &mut line).await? == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE {
            write.write_all(b"500 line too long\r\n").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "HELO" => format!("250 {domain}\r\n"),
            "EHLO" => format!(
                "250-{domain}\r\n250-SIZE {MAX_MAIL_BYTES}\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            ),
            "MAIL" => {
                sender = true;
                shops.clear();
                "250 OK\r\n".into()
            }
            "RCPT" if !sender => "503 MAIL FROM first\r\n".into(),
            "RCPT" => {
                let address = command.split_once(':').map(|(_, a)| a.trim()).unwrap_or("");
                match crate::mail_ingest::shop_of(address) {
                    Some(id)
                        if state
                            .shops
                            .get(state.store.as_ref(), &state.packs, id)
                            .await
                            .is_ok() =>
                    {
                        shops.push(id);
                        "250 OK\r\n".into()
                    }
                    _ => "550 no such mailbox here (write to shop<ID>@ or name+<ID>@)\r\n".into(),
                }
            }
            "DATA" if shops.is_empty() => "503 RCPT TO first\r\n".into(),
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let (raw, too_large) = read_data(&mut reader).await?;
                let reply = if too_large {
                    format!("552 mail larger than {MAX_MAIL_BYTES} bytes\r\n")
                } else {
                    deliver(state, &shops, raw).await
                };
                sender = false;
                shops.clear();
                reply
            }
            "RSET" => {
                sender = false;
                shops.clear();
                "250 OK\r\n".into()
            }
            "NOOP" => "250 OK\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Reads the DATA section up to the lone dot, undoing dot-stuffing.
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        if read_line(reader, &mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed in DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((raw, too_large));
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        if raw.len() + content.len() > MAX_MAIL_BYTES {
            too_large = true;
        } else {
            raw.extend_from_slice(content);
        }
    }
}

/// Ingests a mail for each recipient shop (`mail_ingest`, shared with the IMAP fetcher)
/// and says what SMTP answers.
async fn deliver(state: &AppState, shops: &[i64], raw: Vec<u8>) -> String {
    match ingest_mail(state, raw, Shops::Given(shops), None).await {
        MailOutcome::Stored => "250 OK stored\r\n".into(),
        MailOutcome::Kept(_) => "250 OK kept for review\r\n".into(),
        MailOutcome::TryLater(_) => "451 try again later\r\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::mail_ingest::shop_of;

    #[test]
    fn recipients_name_their_shop() {
        assert_eq!(shop_of("<shop42@desk.example>"), Some(42));
        assert_eq!(shop_of("support+7@desk.example"), Some(7));
        assert_eq!(shop_of("someone@desk.example"), None);
        assert_eq!(shop_of("shopx@desk.example"), None);
    }
}
