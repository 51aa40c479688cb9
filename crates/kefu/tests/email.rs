//! The email channel end to end: a real SMTP session on 127.0.0.1 against `kefu serve
//! --smtp-listen`, with mails from kefu-mail's corpus (GBK, Big5 …) and its malformed corpus.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use common::{Server, free_port, shop};

const MAILS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../kefu-mail/tests");

/// Speaks SMTP: sends `raw` to `to` and returns the server's final reply line.
fn send_mail(addr: &str, to: &str, raw: &[u8]) -> String {
    let stream = TcpStream::connect(addr).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    let mut expect = |reader: &mut BufReader<TcpStream>, code: &str| {
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            // Multi-line replies ("250-…") end with a line "250 …".
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        line.clone()
    };
    expect(&mut reader, "220");
    for (command, code) in [
        ("EHLO buyer.example".to_string(), "250"),
        ("MAIL FROM:<buyer@example.com>".into(), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".into(), "354"),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        expect(&mut reader, code);
    }
    // Dot-stuffing, CRLF line ends.
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    for l in text.split('\n') {
        let l = if l.starts_with('.') {
            format!(".{l}")
        } else {
            l.to_string()
        };
        writer.write_all(format!("{l}\r\n").as_bytes()).unwrap();
    }
    writer.write_all(b".\r\n").unwrap();
    let reply = expect(&mut reader, "");
    writer.write_all(b"QUIT\r\n").unwrap();
    reply
}

#[test]
fn buyers_mail_becomes_a_conversation_and_bad_mail_is_kept() {
    let smtp = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let server = Server::start(&db, &["--smtp-listen", &smtp]);
    let taobao = shop(&server, "taobao");

    let raw = std::fs::read(format!("{MAILS}/mails/taobao-gbk-base64.eml")).unwrap();
    let reply = send_mail(&smtp, &format!("shop{taobao}@desk.example"), &raw);
    assert!(reply.starts_with("250"), "{reply}");
    // The same mail again (an MTA retry) is stored once: its Message-ID is the external id.
    assert!(send_mail(&smtp, &format!("shop{taobao}@desk.example"), &raw).starts_with("250"));

    let (_, list) = server.call("GET", "/api/v1/obligations?state=open", None);
    let conversation = list["obligations"][0]["conversation_id"]
        .as_i64()
        .expect("the mail opened a clock");
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{conversation}"),
        None,
    );
    assert_eq!(conv["channel"], "email");
    assert_eq!(conv["customer"]["handle"], "wangxm@qq.example.com");
    assert_eq!(conv["customer"]["name"], "王小明");
    let messages = conv["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body = messages[0]["body"].as_str().unwrap();
    assert!(
        body.contains("2026111188") && !body.contains("原始邮件"),
        "decoded and trimmed: {body}"
    );
    assert_eq!(messages[0]["language"], "zh");

    // A mail kefu cannot read is accepted and kept for an operator, not bounced or lost.
    let garbage = std::fs::read(format!("{MAILS}/malformed/missing-from.eml")).unwrap();
    let reply = send_mail(&smtp, &format!("shop{taobao}@desk.example"), &garbage);
    assert!(reply.starts_with("250"), "{reply}");
    let (status, failed) = server.call("GET", "/api/v1/failed-ingests", None);
    assert_eq!(status, 200);
    let failed = failed["failed_ingests"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["channel"], "email");

    // Mail for a shop that does not exist is refused at RCPT.
    let stream = TcpStream::connect(&smtp).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    writer
        .write_all(b"HELO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<shop424242@desk.example>\r\n")
        .unwrap();
    for _ in 0..3 {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    assert!(line.starts_with("550"), "{line}");
}

/// A relay on 127.0.0.1 that refuses the first mail with 451 and accepts the rest, keeping
/// what it accepted.
fn flaky_relay() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = accepted.clone();
    std::thread::spawn(move || {
        let mut refused_once = false;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            writer.write_all(b"220 relay\r\n").unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                if verb == "DATA" {
                    writer.write_all(b"354 go\r\n").unwrap();
                    let mut mail = String::new();
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == ".\r\n" {
                            break;
                        }
                        mail.push_str(&line);
                    }
                    if refused_once {
                        kept.lock().unwrap().push(mail);
                        writer.write_all(b"250 queued\r\n").unwrap();
                    } else {
                        refused_once = true;
                        writer.write_all(b"451 try later\r\n").unwrap();
                    }
                } else if verb == "QUIT" {
                    let _ = writer.write_all(b"221 bye\r\n");
                    break;
                } else {
                    writer.write_all(b"250 ok\r\n").unwrap();
                }
            }
        }
    });
    (addr, accepted)
}

#[test]
fn email_replies_leave_through_the_outbox_threaded_and_retried() {
    let smtp = format!("127.0.0.1:{}", free_port());
    let (relay, accepted) = flaky_relay();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let server = Server::start(
        &db,
        &[
            "--smtp-listen",
            &smtp,
            "--smtp-relay",
            &relay,
            "--smtp-retry-after",
            "1",
            "--smtp-from",
            "service@desk.example",
        ],
    );
    let ebay = shop(&server, "ebay");
    let raw = std::fs::read(format!("{MAILS}/mails/english-gmail-reply.eml")).unwrap();
    assert!(send_mail(&smtp, &format!("shop{ebay}@desk.example"), &raw).starts_with("250"));
    let (_, list) = server.call("GET", "/api/v1/obligations?state=open", None);
    let id = list["obligations"][0]["conversation_id"].as_i64().unwrap();
    let (status, sent) = server.call("POST", &format!("/api/v1/conversations/{id}/replies"), Some(&serde_json::json!({"body": "Hello, your replacement ships today with tracking 9400111899223344556677. Sorry for the trouble!", "confirm": true})));
    assert_eq!(status, 201, "{sent}");

    // Refused once (451), retried a second later, accepted once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while accepted.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached the relay"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mails = accepted.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "sent exactly once");
    // Quoted-printable may wrap long lines with soft breaks ("=" at the end).
    let text = mails[0].replace("=\r\n", "");
    assert!(text.contains("9400111899223344556677"), "{}", mails[0]);
    assert!(
        mails[0].contains("In-Reply-To: <"),
        "threaded under the buyer's mail: {}",
        mails[0]
    );
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let kinds: Vec<_> = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains(&"reply_delivery_failed".to_string())
            && kinds.contains(&"reply_delivered".to_string()),
        "{kinds:?}"
    );
}
