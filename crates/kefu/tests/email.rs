//! The email channel end to end: a real SMTP session on 127.0.0.1 against `kefu serve
//! --smtp-listen`, with mails from kefu-mail's corpus (GBK, Big5 …) and its malformed corpus;
//! a seller's mailbox read over IMAPS from Dovecot; replies handed to a relay that wants
//! STARTTLS or TLS and AUTH (issue 10, item 11). Rule: MULTICHANNEL (serve buyers by email).

mod common;
mod mail_servers;

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
    // Dot-stuffing, CRLF line ends; bytes as they are (8-bit GBK or Big5 bodies too).
    for l in raw.split(|&b| b == b'\n') {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.starts_with(b".") {
            writer.write_all(b".").unwrap();
        }
        writer.write_all(l).unwrap();
        writer.write_all(b"\r\n").unwrap();
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
            "--public-url",
            "https://desk.example/",
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
    rate_from_the_mail(&server, id, &text);
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

/// Polls `what` until it holds, for at most `secs` seconds.
fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Every conversation's (customer handle, customer name, message bodies), by handle.
fn conversations(server: &Server) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    // Conversation ids are dense from 1 on a fresh database.
    for id in 1.. {
        let (status, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
        if status == 404 {
            break;
        }
        assert_eq!(status, 200, "{conv}");
        out.push((
            conv["customer"]["handle"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            conv["customer"]["name"].as_str().unwrap_or("").to_string(),
            conv["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["body"].as_str().unwrap_or("").to_string())
                .collect(),
        ));
    }
    out.sort();
    out
}

fn failed_ingests(server: &Server) -> Vec<serde_json::Value> {
    let (status, failed) = server.call("GET", "/api/v1/failed-ingests", None);
    assert_eq!(status, 200, "{failed}");
    failed["failed_ingests"].as_array().unwrap().clone()
}

#[test]
fn a_from_that_is_one_encoded_word_reaches_the_inbox() {
    // Before the fix this mail was kept as a failed ingest: "the sender is not an email address".
    let smtp = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let server = Server::start(&db, &["--smtp-listen", &smtp]);
    let taobao = shop(&server, "taobao");
    for fixture in ["python-gbk-encoded-from.eml", "swaks-big5-encoded-from.eml"] {
        let raw = std::fs::read(format!("{MAILS}/mails/{fixture}")).unwrap();
        let reply = send_mail(&smtp, &format!("shop{taobao}@desk.example"), &raw);
        assert!(reply.starts_with("250 OK stored"), "{fixture}: {reply}");
    }
    assert!(failed_ingests(&server).is_empty(), "nothing refused");
    let convs = conversations(&server);
    assert_eq!(convs.len(), 2, "{convs:?}");
    assert_eq!(convs[0].0, "lilei@163.example.com");
    assert_eq!(convs[0].1, "李雷");
    assert!(convs[0].2[0].contains("2026120101 已付款五天"), "{convs:?}");
    assert_eq!(convs[1].0, "meiling@example.com.hk");
    assert_eq!(convs[1].1, "黃美玲");
    assert!(convs[1].2[0].contains("外套尺寸太大"), "{convs:?}");
}

#[test]
fn a_sellers_mailbox_is_read_over_imaps_once_and_completely() {
    let dir = tempfile::tempdir().unwrap();
    let certs = mail_servers::Certs::make(dir.path());
    let dovecot = mail_servers::Dovecot::start(
        &dir.path().join("dovecot"),
        &certs,
        "seller@desk.example",
        "app-secret",
    );
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    // The shop is 1 on a fresh database; it is made before any mail arrives.
    let url = format!(
        "imaps://seller%40desk.example:app-secret@127.0.0.1:{}/INBOX?shop=1",
        dovecot.port
    );
    let ca = certs.ca.display().to_string();
    let args = ["--imap-url", &url, "--imap-every", "0.3", "--imap-ca", &ca];
    let mut server = Server::start(&db, &args);
    assert_eq!(shop(&server, "taobao"), 1);

    for fixture in ["python-gb18030-encoded-from.eml", "taobao-gbk-base64.eml"] {
        dovecot.deliver(&std::fs::read(format!("{MAILS}/mails/{fixture}")).unwrap());
    }
    // No Message-ID: the UIDVALIDITY and UID name it, so it too is stored once.
    dovecot.deliver(
        b"From: buyer@example.com\r\nTo: seller@desk.example\r\nSubject: no id\r\n\r\nWhere is order 31337?\r\n",
    );
    // Unreadable: kept for an operator once, not again on every pass.
    dovecot.deliver(&std::fs::read(format!("{MAILS}/malformed/missing-from.eml")).unwrap());

    eventually(30, "the mails did not all arrive over IMAP", || {
        conversations(&server).len() == 3 && failed_ingests(&server).len() == 1
    });
    let convs = conversations(&server);
    assert_eq!(convs[0].0, "buyer@example.com");
    assert_eq!(convs[0].2, ["Where is order 31337?"]);
    assert_eq!(
        (convs[1].0.as_str(), convs[1].1.as_str()),
        ("hanmeimei@qq.example.com", "韩梅梅"),
        "the encoded-word From, fetched over IMAP"
    );
    assert_eq!(convs[2].0, "wangxm@qq.example.com");
    // Each stored mail is flagged \Seen at the provider once it is durable.
    eventually(10, "mails were not flagged \\Seen", || {
        dovecot.seen().len() == 4
    });

    // More passes, and a restart, fetch nothing twice: the cursor is in the database.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kill();
    let server = Server::start(&db, &args);
    dovecot.deliver(&std::fs::read(format!("{MAILS}/mails/swaks-utf-8-encoded-from.eml")).unwrap());
    eventually(30, "the mail after the restart did not arrive", || {
        conversations(&server).len() == 4
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let convs = conversations(&server);
    assert!(
        convs.iter().all(|(_, _, messages)| messages.len() == 1),
        "each mail stored once: {convs:?}"
    );
    assert_eq!(failed_ingests(&server).len(), 1, "the bad mail kept once");
    assert!(
        convs
            .iter()
            .any(|(h, n, _)| h == "zoe.mueller@mail.example.de" && n == "Zoë Müller 李"),
        "{convs:?}"
    );
    assert!(!dovecot.log().contains("Fatal"), "{}", dovecot.log());
}

/// A reply to a mail that came in over SMTP, handed to `relay` as `relay_args` say; returns
/// the conversation's event kinds once the relay has the mail, and the mail.
fn reply_through(
    relay: &mail_servers::Relay,
    relay_args: &[&str],
) -> (Vec<String>, mail_servers::Relayed) {
    let smtp = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let mut args = vec![
        "--smtp-listen",
        &smtp,
        "--smtp-retry-after",
        "1",
        "--smtp-from",
        "service@desk.example",
    ];
    args.extend_from_slice(relay_args);
    let server = Server::start(&db, &args);
    let ebay = shop(&server, "ebay");
    let raw = std::fs::read(format!("{MAILS}/mails/english-gmail-reply.eml")).unwrap();
    assert!(send_mail(&smtp, &format!("shop{ebay}@desk.example"), &raw).starts_with("250"));
    let (status, sent) = server.call(
        "POST",
        "/api/v1/conversations/1/replies",
        Some(&serde_json::json!({"body": "Hello Amy, the carrier confirms tracking 9400111899223344556677 moves again. Sorry for the wait!", "confirm": true})),
    );
    assert_eq!(status, 201, "{sent}");
    eventually(30, "the reply never reached the TLS relay", || {
        !relay.relayed().is_empty()
    });
    let kinds = || -> Vec<String> {
        let (_, conv) = server.call("GET", "/api/v1/conversations/1", None);
        conv["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    eventually(10, "no reply_delivered event", || {
        kinds().contains(&"reply_delivered".to_string())
    });
    let mut mails = relay.relayed();
    assert_eq!(mails.len(), 1, "sent once");
    (kinds(), mails.remove(0))
}

fn assert_relayed(mail: &mail_servers::Relayed) {
    assert_eq!(mail.meta["tls"], true, "{}", mail.meta);
    assert_eq!(mail.meta["authenticated"], true, "{}", mail.meta);
    assert_eq!(mail.meta["login"], "service@desk.example", "{}", mail.meta);
    assert_eq!(mail.meta["rcpt_tos"][0], "amy.turner@gmail.example.com");
    let text = mail.raw.replace("=\r\n", "");
    assert!(text.contains("9400111899223344556677"), "{}", mail.raw);
    // The Message-ID is the outbox entry's: kefu.<outbox id>.<message id>@<domain>.
    assert!(mail.raw.contains("Message-ID: <kefu."), "{}", mail.raw);
    assert!(
        mail.raw.contains("In-Reply-To: <"),
        "threaded: {}",
        mail.raw
    );
}

#[test]
fn replies_leave_through_a_starttls_relay_with_auth() {
    let dir = tempfile::tempdir().unwrap();
    let certs = mail_servers::Certs::make(dir.path());
    let relay = mail_servers::Relay::start(
        dir.path(),
        &certs,
        mail_servers::RelayMode::StartTls,
        "service@desk.example",
        "relay-secret",
    );
    let url = format!("smtp+starttls://127.0.0.1:{}", relay.port);
    let ca = certs.ca.display().to_string();
    let (kinds, mail) = reply_through(
        &relay,
        &[
            "--smtp-relay",
            &url,
            "--smtp-relay-user",
            "service@desk.example",
            "--smtp-relay-password",
            "relay-secret",
            "--smtp-relay-ca",
            &ca,
        ],
    );
    assert_relayed(&mail);
    assert!(kinds.contains(&"reply_delivered".to_string()), "{kinds:?}");
}

#[test]
fn replies_leave_through_an_implicit_tls_relay_and_a_wrong_password_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let certs = mail_servers::Certs::make(dir.path());
    let relay = mail_servers::Relay::start(
        dir.path(),
        &certs,
        mail_servers::RelayMode::Tls,
        "service@desk.example",
        "relay-secret",
    );
    let ca = certs.ca.display().to_string();
    // Credentials in the URL (percent-encoded '@'), as KEFU_SMTP_RELAY may carry them.
    let url = format!(
        "smtps://service%40desk.example:relay-secret@127.0.0.1:{}",
        relay.port
    );
    let (_, mail) = reply_through(&relay, &["--smtp-relay", &url, "--smtp-relay-ca", &ca]);
    assert_relayed(&mail);

    // A password the relay refuses: nothing is sent, the relay's answer (535) is in the
    // thread, and the reply waits for its retry.
    let smtp = format!("127.0.0.1:{}", free_port());
    let db_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", db_dir.path().join("kefu.db").display());
    let wrong = format!(
        "smtps://service%40desk.example:wrong@127.0.0.1:{}",
        relay.port
    );
    let server = Server::start(
        &db,
        &[
            "--smtp-listen",
            &smtp,
            "--smtp-relay",
            &wrong,
            "--smtp-relay-ca",
            &ca,
            "--smtp-retry-after",
            "60",
        ],
    );
    let ebay = shop(&server, "ebay");
    let raw = std::fs::read(format!("{MAILS}/mails/english-gmail-reply.eml")).unwrap();
    assert!(send_mail(&smtp, &format!("shop{ebay}@desk.example"), &raw).starts_with("250"));
    let (status, _) = server.call(
        "POST",
        "/api/v1/conversations/1/replies",
        Some(&serde_json::json!({"body": "Hello Amy, your parcel moves again with tracking 9400111899223344556677.", "confirm": true})),
    );
    assert_eq!(status, 201);
    eventually(30, "a refused login was not recorded", || {
        let (_, conv) = server.call("GET", "/api/v1/conversations/1", None);
        conv["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "reply_delivery_failed" && e.to_string().contains("535"))
    });
    assert_eq!(
        relay.relayed().len(),
        1,
        "nothing sent with the wrong password"
    );
}

/// A form POST without a token, as a browser sends it; returns the status.
fn form_post(addr: &str, path: &str, form: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The reply carries a rating link per score (FEEDBACK-RATING): the buyer opens the
/// 4-star one, sends it, and it counts once in the KPI report; a forged link rates nothing.
fn rate_from_the_mail(server: &Server, id: i64, text: &str) {
    let text = text.replace("=3D", "=");
    let link = text
        .lines()
        .find(|l| l.contains("/rate/") && l.ends_with("score=4"))
        .unwrap_or_else(|| panic!("no 4-star link in {text}"));
    let path = &link[link.find("/rate/").unwrap()..];
    assert!(link.contains("https://desk.example/rate/"), "{link}");
    let (status, page) = server.raw("GET", path, None, None);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.as_str().unwrap().contains(r#"value="4" checked"#),
        "{page}"
    );
    let post_path = path.split('?').next().unwrap();
    assert_eq!(
        form_post(&server.addr, post_path, "score=4&comment=fast"),
        201
    );
    assert_eq!(form_post(&server.addr, post_path, "score=1"), 409);
    let forged = format!("/rate/{id}/0123456789abcdef");
    assert_eq!(form_post(&server.addr, &forged, "score=1"), 404);
    // The real binary runs on the system clock, so the report's period reads it too.
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let query = format!(
        "/api/v1/reports/kpis?from={}&to={}",
        (now - chrono::Duration::hours(1))
            .to_rfc3339()
            .replace('+', "%2B"),
        (now + chrono::Duration::hours(1))
            .to_rfc3339()
            .replace('+', "%2B")
    );
    let (status, report) = server.call("GET", &query, None);
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["csat"],
        serde_json::json!({"responses": 1, "mean": 4.0}),
        "{report}"
    );
}
