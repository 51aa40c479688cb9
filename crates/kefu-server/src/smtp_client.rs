//! A minimal SMTP client for handing replies to the site's relay: EHLO, MAIL, RCPT, DATA,
//! QUIT, with dot-stuffing and timeouts. No TLS or authentication (the relay is local).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `message` (a complete RFC 5322 mail) to `to` through the relay at `addr`.
pub async fn send(
    addr: &str,
    helo: &str,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<(), String> {
    tokio::time::timeout(TIMEOUT * 4, exchange(addr, helo, from, to, message))
        .await
        .map_err(|_| format!("SMTP relay {addr} timed out"))?
}

async fn exchange(
    addr: &str,
    helo: &str,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<(), String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot reach SMTP relay {addr}: {e}"))?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    expect(&mut reader, 220).await?;
    for (command, code) in [
        (format!("EHLO {helo}"), 250),
        (format!("MAIL FROM:<{from}>"), 250),
        (format!("RCPT TO:<{to}>"), 250),
        ("DATA".to_string(), 354),
    ] {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        expect(&mut reader, code).await?;
    }
    let mut data = Vec::with_capacity(message.len() + 64);
    for line in message.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(line);
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    write.write_all(&data).await.map_err(|e| e.to_string())?;
    expect(&mut reader, 250).await?;
    let _ = write.write_all(b"QUIT\r\n").await;
    Ok(())
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    code: u16,
) -> Result<(), String> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(TIMEOUT, reader.read_line(&mut line))
            .await
            .map_err(|_| "SMTP relay stopped answering".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("SMTP relay closed the connection".into());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
    if got == code {
        Ok(())
    } else {
        Err(format!("SMTP relay answered {}", line.trim_end()))
    }
}
