//! The web chat channel end to end against the real binary on 127.0.0.1: the widget's API,
//! the live stream (server-sent events) with replay on reconnect, typing, delivery receipts,
//! CSAT, the off-hours notice, size checks and rate limits.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The real binary runs on the system clock, so the tests read the same clock for their data.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::{Server, SseClient, public_request, shop};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn session(server: &Server, shop_id: i64) -> Value {
    let (status, _, body) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": shop_id, "language": "en-GB"})),
    );
    assert_eq!(status, 200, "{body}");
    body
}

fn send(server: &Server, token: &str, client_id: &str, body: &str) -> (u16, Value) {
    let (status, _, body) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/messages",
        Some(&json!({"token": token, "client_id": client_id, "body": body})),
    );
    (status, body)
}

fn stream_path(token: &str, conversation: Option<i64>, after: Option<i64>) -> String {
    let mut path = format!("/chat/v1/stream?token={token}");
    if let Some(c) = conversation {
        path.push_str(&format!("&conversation={c}"));
    }
    if let Some(a) = after {
        path.push_str(&format!("&after={a}"));
    }
    path
}

/// Skips events of other kinds until one named `kind` arrives.
fn next_of(stream: &mut SseClient, kind: &str) -> common::SseEvent {
    loop {
        let e = stream
            .next(WAIT)
            .unwrap_or_else(|| panic!("no {kind} event"));
        if e.event == kind {
            return e;
        }
    }
}

#[test]
fn a_visitor_chats_live_and_a_reconnect_neither_loses_nor_doubles() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let s = session(&server, ebay);
    let token = s["token"].as_str().unwrap().to_string();
    assert_eq!(s["shop"]["id"], ebay);

    // The widget opens its stream before the first message: it follows the visitor.
    let (status, stream) = SseClient::open(&server.addr, &stream_path(&token, None, None), None);
    assert_eq!(status, 200);
    let mut stream = stream.unwrap();

    let (status, first) = send(&server, &token, "c-1", "Hi, does this jacket come in XL?");
    assert_eq!(status, 201, "{first}");
    let conv = first["conversation_id"].as_i64().unwrap();
    let echo = next_of(&mut stream, "message");
    assert_eq!(echo.data["from"], "buyer");
    assert_eq!(echo.data["body"], "Hi, does this jacket come in XL?");
    assert_eq!(echo.id.as_deref(), Some(&*first["message_id"].to_string()));

    // A retry of the same message (the widget lost the answer) is not stored twice.
    let (status, again) = send(&server, &token, "c-1", "Hi, does this jacket come in XL?");
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["message_id"], first["message_id"]);
    assert_eq!(again["duplicate"], true);

    // It went through the common ingest path: web_chat channel, language, the eBay clock.
    let (_, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    assert_eq!(detail["channel"], "web_chat");
    assert_eq!(detail["messages"].as_array().unwrap().len(), 1);
    assert_eq!(detail["messages"][0]["language"], "en");
    assert!(
        detail["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["rule"] == "EBAY-FRT-24H" && o["state"] == "open"),
        "{detail}"
    );

    // The agent types, then answers: the buyer sees both live.
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/typing"),
        None,
    );
    assert_eq!(status, 204);
    let typing = next_of(&mut stream, "typing");
    assert_eq!(typing.data["conversation_id"], conv);
    let (status, reply) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/replies"),
        Some(&json!({"body": "Yes, XL is in stock in black and navy; it ships within 24 hours of payment."})),
    );
    assert_eq!(status, 201, "{reply}");
    let answer = next_of(&mut stream, "message");
    assert_eq!(answer.data["from"], "shop");
    assert_eq!(answer.data["id"], reply["message_id"]);
    let answer_id = answer.data["id"].as_i64().unwrap();

    // The widget acknowledges the reply it showed: delivery is recorded once in the thread.
    for _ in 0..2 {
        let (status, _, body) = public_request(
            &server.addr,
            "POST",
            "/chat/v1/ack",
            Some(&json!({"token": token, "conversation_id": conv, "message_id": answer_id})),
        );
        assert_eq!(status, 204, "{body}");
    }
    let (_, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    let delivered: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reply_delivered")
        .collect();
    assert_eq!(delivered.len(), 1, "{detail}");
    assert_eq!(delivered[0]["data"]["message_id"], answer_id);
    drop(stream);

    // While the widget is away, the agent writes again and the buyer had sent one more.
    let (status, more) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/replies"),
        Some(&json!({"body": "The navy one is also available in XXL if you prefer a looser fit."})),
    );
    assert_eq!(status, 201, "{more}");

    // Reconnecting with Last-Event-ID replays exactly what was missed, then goes live.
    let (status, stream) = SseClient::open(
        &server.addr,
        &stream_path(&token, Some(conv), None),
        Some(&answer_id.to_string()),
    );
    assert_eq!(status, 200);
    let mut stream = stream.unwrap();
    let missed = next_of(&mut stream, "message");
    assert_eq!(missed.data["id"], more["message_id"]);
    assert!(
        stream.next(Duration::from_millis(500)).is_none(),
        "nothing else is replayed"
    );
    // A page reload (`after=0`) replays the whole conversation in order, once.
    let (_, reload) = SseClient::open(
        &server.addr,
        &stream_path(&token, Some(conv), Some(0)),
        None,
    );
    let mut reload = reload.unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|_| next_of(&mut reload, "message").data["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            first["message_id"].as_i64().unwrap(),
            answer_id,
            more["message_id"].as_i64().unwrap()
        ]
    );
    assert!(reload.next(Duration::from_millis(300)).is_none());

    // Resolving the conversation asks the buyer for a rating; one rating is kept.
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/status"),
        Some(&json!({"status": "resolved"})),
    );
    assert_eq!(status, 200);
    let resolved = next_of(&mut stream, "status");
    assert_eq!(resolved.data["status"], "resolved");
    assert_eq!(resolved.data["rate"], true);
    let rate = |score: Value| {
        public_request(
            &server.addr,
            "POST",
            "/chat/v1/csat",
            Some(
                &json!({"token": token, "conversation_id": conv, "score": score, "comment": "fast and friendly"}),
            ),
        )
    };
    assert_eq!(rate(json!(9)).0, 422);
    assert_eq!(rate(json!(5)).0, 201);
    assert_eq!(rate(json!(4)).0, 409);
    let (_, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    let csat = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "csat_rated")
        .expect("csat event");
    assert_eq!(csat["data"]["score"], 5);
}

#[test]
fn visitors_cannot_forge_tokens_or_read_each_others_chats() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let alice = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(alice, bob);
    let (_, sent) = send(&server, &alice, "a-1", "Where is my order 778?");
    let conv = sent["conversation_id"].as_i64().unwrap();

    // Bob's token does not open Alice's conversation.
    let (status, _) = SseClient::open(&server.addr, &stream_path(&bob, Some(conv), None), None);
    assert_eq!(status, 404);
    let (status, _, _) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/csat",
        Some(&json!({"token": bob, "conversation_id": conv, "score": 1})),
    );
    assert_eq!(status, 404);
    // A forged or truncated token is refused with a clear message.
    // The last hex digit changed (to one it is not).
    let last = if alice.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &alice[..alice.len() - 1]);
    let (status, body) = send(&server, &forged, "f-1", "hello");
    assert_eq!(status, 401, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("token"));
    let (status, _) = SseClient::open(&server.addr, &stream_path("nonsense", None, None), None);
    assert_eq!(status, 401);
    // Bob's messages go to his own conversation.
    let (_, bobs) = send(&server, &bob, "b-1", "Do you ship to Canada?");
    assert_ne!(bobs["conversation_id"], sent["conversation_id"]);
}

#[test]
fn bad_chat_input_gets_clear_errors_and_floods_are_limited() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let token = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, body) = send(&server, &token, "long-1", &"x".repeat(2_001));
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2000"));
    let (status, body) = send(&server, &token, "blank-1", "   ");
    assert_eq!(status, 422, "{body}");
    let (status, body) = send(&server, &token, "bad id with spaces", "hello");
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("client_id")
    );
    let (status, _, body) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": 999_999})),
    );
    assert_eq!(status, 404, "{body}");

    // One visitor: a burst of 10 passes, then 429 with Retry-After.
    let mut limited = None;
    for i in 0..15 {
        let (status, headers, body) = public_request(
            &server.addr,
            "POST",
            "/chat/v1/messages",
            Some(
                &json!({"token": token, "client_id": format!("m-{i}"), "body": format!("message {i}")}),
            ),
        );
        if status == 429 {
            limited = Some((i, headers, body));
            break;
        }
        assert_eq!(status, 201, "{body}");
    }
    let (at, headers, body) = limited.expect("the flood was limited");
    assert_eq!(at, 10, "the burst allowance is 10 messages");
    let retry: u64 = headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .map(|(_, v)| v.parse().unwrap())
        .expect("Retry-After header");
    assert!((1..=3).contains(&retry), "{retry}");
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another visitor on the same address is not held back by the first one's flood.
    let other = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(send(&server, &other, "o-1", "hello there").0, 201);
}

#[test]
fn a_closed_shop_shows_its_notice_and_the_widget_is_served() {
    let server = Server::sqlite();
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let (status, shop) = server.call(
        "POST",
        "/api/v1/shops",
        Some(
            &json!({"name": "Closed Boutique", "platform": "ebay", "settings": {
                "timezone": "UTC",
                "extra_holidays": [today.to_string(), tomorrow.to_string()],
            }}),
        ),
    );
    assert_eq!(status, 201, "{shop}");
    let id = shop["id"].as_i64().unwrap();
    let (status, _, s) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": id, "language": "de-DE"})),
    );
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["open"], false, "{s}");
    let next_open = s["next_open"].as_str().unwrap();
    assert!(next_open > tomorrow.to_string().as_str(), "{next_open}");
    assert!(
        s["notice"].as_str().unwrap().contains("Arbeitszeit"),
        "German visitor, German notice: {s}"
    );
    // A resumed session keeps the visitor's token.
    let token = s["token"].as_str().unwrap();
    let (_, _, again) = public_request(
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": id, "token": token})),
    );
    assert_eq!(again["token"], token);

    let (status, headers, js) = public_request(&server.addr, "GET", "/widget.js", None);
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/javascript"))
    );
    let js = js.as_str().unwrap();
    assert!(js.contains("/chat/v1/stream") && js.contains("client_id"));
    assert!(
        !js.contains("http://") && !js.contains("https://cdn"),
        "no third-party assets"
    );
    let (status, _, page) = public_request(&server.addr, "GET", &format!("/chat/demo/{id}"), None);
    assert_eq!(status, 200);
    assert!(
        page.as_str().unwrap().contains(
            "data-shop=\"{id}\""
                .replace("{id}", &id.to_string())
                .as_str()
        )
    );
}

/// Sends raw bytes with a content type; returns the status, headers and body.
fn send_bytes(server: &Server, path: &str, content_type: &str, bytes: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything: a failed write is fine.
    let _ = stream.write_all(bytes);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn buyers_send_photos_checked_for_size_and_type() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let token = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = |client: &str| {
        format!("/chat/v1/attachments?token={token}&client_id={client}&name=broken%20box.png")
    };
    let png: Vec<u8> = [
        &[0x89u8, b'P', b'N', b'G', 13, 10, 26, 10][..],
        &[7u8; 2000][..],
    ]
    .concat();

    let (status, body) = send_bytes(&server, &path("f-1"), "image/png", &png);
    assert_eq!(status, 201, "{body}");
    let json: Value = serde_json::from_str(body.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let conv = json["conversation_id"].as_i64().unwrap();
    let file = json["attachment_id"].as_i64().unwrap();
    // A retry is the same message, not a second file.
    let (status, _) = send_bytes(&server, &path("f-1"), "image/png", &png);
    assert_eq!(status, 200);
    let (_, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["body"]
            .as_str()
            .unwrap()
            .contains("broken box.png")
    );

    // The agent and the visitor get the bytes back; another visitor does not.
    let (status, agent_copy) = {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
        let req = format!(
            "GET /api/v1/attachments/{file} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\n\r\n",
            common::KEY
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        (head, raw[split + 4..].to_vec())
    };
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(
        status
            .to_ascii_lowercase()
            .contains("x-content-type-options: nosniff")
    );
    assert_eq!(agent_copy, png);
    let (status, _, _) = public_request(
        &server.addr,
        "GET",
        &format!("/chat/v1/attachments/{file}?token={token}"),
        None,
    );
    assert_eq!(status, 200);
    let stranger = session(&server, ebay)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, _) = public_request(
        &server.addr,
        "GET",
        &format!("/chat/v1/attachments/{file}?token={stranger}"),
        None,
    );
    assert_eq!(status, 404);

    // Too large, a type we do not take, empty: clear errors.
    let big = vec![0u8; 5 * 1024 * 1024 + 10];
    let (status, body) = send_bytes(&server, &path("f-2"), "image/png", &big);
    assert_eq!(status, 413, "{}", &body[..body.len().min(300)]);
    assert!(
        body.contains("at most 5 MB"),
        "{}",
        &body[..body.len().min(300)]
    );
    let (status, body) = send_bytes(&server, &path("f-3"), "application/x-msdownload", b"MZ....");
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("photo"));
    let (status, _) = send_bytes(&server, &path("f-4"), "image/png", b"");
    assert_eq!(status, 422);
}

/// A shop whose bot answers whenever no agent is free, so it would answer "where is my
/// parcel" from an order linked to the conversation.
fn shop_with_bot(server: &Server) -> i64 {
    let (status, body) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({
            "name": "chat shop",
            "platform": "ebay",
            "settings": {
                "bot_when_busy": true,
                "offhours_reply": {"en": "Thanks for writing; an agent will answer by {due}."},
            },
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

fn order(server: &Server, shop_id: i64, external_id: &str, tracking: &str, email: &str) {
    let (status, body) = server.call(
        "POST",
        "/api/v1/orders",
        Some(&json!({
            "shop_id": shop_id, "external_id": external_id, "total": "25.00", "currency": "USD",
            "paid_at": "2026-11-20T10:00:00Z", "shipped_at": "2026-11-21T09:00:00Z",
            "carrier": "USPS", "tracking_number": tracking,
            "buyer_email": email, "buyer_phone": "+1 (415) 555-0142", "buyer_postcode": "94107",
        })),
    );
    assert_eq!(status, 201, "{body}");
    assert!(
        body.get("buyer_email").is_none(),
        "contact is never shown: {body}"
    );
}

fn send_with(
    server: &Server,
    source: &str,
    token: &str,
    client_id: &str,
    extra: Value,
) -> (u16, Value) {
    let mut msg = json!({"token": token, "client_id": client_id, "body": "Where is my parcel?"});
    for (k, v) in extra.as_object().unwrap() {
        msg[k] = v.clone();
    }
    let (status, _, body) = common::public_request_from(
        source,
        &server.addr,
        "POST",
        "/chat/v1/messages",
        Some(&msg),
    );
    (status, body)
}

fn new_token(server: &Server, source: &str, shop_id: i64) -> String {
    let (status, _, body) = common::public_request_from(
        source,
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": shop_id})),
    );
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// Every message the shop (bot or agent) sent in the conversation, joined.
fn shop_said(server: &Server, conv: i64) -> (Value, String) {
    let (status, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    assert_eq!(status, 200, "{detail}");
    let said = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n");
    (detail, said)
}

/// Issue 10, item 3: order numbers are sequential, so a visitor who types someone else's
/// gets none of its facts and the agent sees the claim as unverified; the right proof links
/// it; a wrong proof and an unknown order answer alike; guessing is rate limited.
#[test]
fn a_visitor_sees_an_order_only_once_it_is_proved_theirs() {
    let server = Server::sqlite();
    let s = shop_with_bot(&server);
    order(
        &server,
        s,
        "E-1001",
        "9400TRACK1001",
        "Alice.Buyer@example.com",
    );

    // Mallory attaches Alice's order with a wrong email, then an order that does not exist.
    let mallory = new_token(&server, "127.0.0.21", s);
    let (status, wrong) = send_with(
        &server,
        "127.0.0.21",
        &mallory,
        "m-1",
        json!({"order": "E-1001", "order_proof": "mallory@example.com"}),
    );
    assert_eq!(status, 201, "{wrong}");
    assert_eq!(
        wrong["order"],
        json!({"number": "E-1001", "verified": false})
    );
    let conv = wrong["conversation_id"].as_i64().unwrap();
    let (detail, said) = shop_said(&server, conv);
    assert!(detail["order"].is_null(), "{detail}");
    assert_eq!(detail["order_claim"], "E-1001");
    assert!(detail.get("entitlements").is_none(), "{detail}");
    assert!(!said.is_empty(), "the bot answered something");
    assert!(
        !said.contains("9400TRACK1001") && !said.contains("USPS"),
        "no order facts for an unproved claim: {said}"
    );
    // No after-sales case on a claim.
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/cases"),
        Some(&json!({"rule": "LOST-RESHIP-OR-REFUND", "action": "refund"})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no order"),
        "{body}"
    );
    let (status, unknown) = send_with(
        &server,
        "127.0.0.21",
        &mallory,
        "m-2",
        json!({"order": "E-9999", "order_proof": "mallory@example.com"}),
    );
    assert_eq!(status, 201, "{unknown}");
    assert_eq!(
        unknown["order"]["verified"], wrong["order"]["verified"],
        "a wrong proof and an unknown order answer alike"
    );
    assert_eq!(
        unknown.as_object().unwrap().keys().collect::<Vec<_>>(),
        wrong.as_object().unwrap().keys().collect::<Vec<_>>()
    );

    // Alice gives her email (other case, spaces): the order is hers and the bot tracks it.
    let alice = new_token(&server, "127.0.0.22", s);
    let (status, right) = send_with(
        &server,
        "127.0.0.22",
        &alice,
        "a-1",
        json!({"order": "E-1001", "order_proof": "  alice.buyer@EXAMPLE.com "}),
    );
    assert_eq!(status, 201, "{right}");
    assert_eq!(
        right["order"],
        json!({"number": "E-1001", "verified": true})
    );
    let (detail, said) = shop_said(&server, right["conversation_id"].as_i64().unwrap());
    assert_eq!(detail["order"]["external_id"], "E-1001", "{detail}");
    assert!(detail["order_claim"].is_null());
    assert!(said.contains("9400TRACK1001"), "{said}");
    assert!(
        detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "order_verified" && e["data"]["by"] == "email"),
        "{detail}"
    );

    // Guessing is slow: five proofs per visitor, then 429 with Retry-After.
    let eve = new_token(&server, "127.0.0.23", s);
    for i in 0..5 {
        let (status, body) = send_with(
            &server,
            "127.0.0.23",
            &eve,
            &format!("e-{i}"),
            json!({"order": "E-1001", "order_proof": format!("guess{i}@example.com")}),
        );
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["order"]["verified"], false);
    }
    let (status, _, body) = common::public_request_from(
        "127.0.0.23",
        &server.addr,
        "POST",
        "/chat/v1/messages",
        Some(
            &json!({"token": eve, "client_id": "e-5", "body": "hm", "order": "E-1001", "order_proof": "alice.buyer@example.com"}),
        ),
    );
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The shop's order page signs the order for its buyer, as the documentation says: the link
/// proves the order; a tampered one, or one for another order, does not.
#[test]
fn a_signed_link_from_the_shops_order_page_proves_the_order() {
    use hmac::{Hmac, Mac};
    let server = Server::sqlite();
    let s = shop_with_bot(&server);
    order(&server, s, "E-2002", "9400TRACK2002", "carol@example.com");
    let (status, secret) =
        server.call("GET", &format!("/api/v1/shops/{s}/order-link-secret"), None);
    assert_eq!(status, 200, "{secret}");
    let secret = secret["secret"].as_str().unwrap().to_string();
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let sign = |order: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{s}|{order}|{expires}").as_bytes());
        format!("{expires}.{}", hex(&mac.finalize().into_bytes()))
    };
    let link = sign("E-2002");

    let carol = new_token(&server, "127.0.0.31", s);
    let (status, ok) = send_with(
        &server,
        "127.0.0.31",
        &carol,
        "c-1",
        json!({"order": "E-2002", "order_link": link}),
    );
    assert_eq!(status, 201, "{ok}");
    assert_eq!(ok["order"]["verified"], true, "{ok}");
    let (detail, said) = shop_said(&server, ok["conversation_id"].as_i64().unwrap());
    assert_eq!(detail["order"]["external_id"], "E-2002");
    assert!(said.contains("9400TRACK2002"), "{said}");

    // Tampered: one changed character of the MAC, a later expiry, another order's link.
    let last = link.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &link[..link.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let later = link.replacen(&expires.to_string(), &(expires + 60).to_string(), 1);
    let other = sign("E-1001");
    for (i, bad) in [flipped, later, other].into_iter().enumerate() {
        let dave = new_token(&server, "127.0.0.32", s);
        let (status, body) = send_with(
            &server,
            "127.0.0.32",
            &dave,
            &format!("d-{i}"),
            json!({"order": "E-2002", "order_link": bad}),
        );
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["order"]["verified"], false, "{bad}: {body}");
        let (detail, said) = shop_said(&server, body["conversation_id"].as_i64().unwrap());
        assert!(detail["order"].is_null());
        assert_eq!(detail["order_claim"], "E-2002");
        assert!(!said.contains("9400TRACK2002"), "{said}");
    }
    // Only admins read the secret.
    let (status, _) = server.raw(
        "GET",
        &format!("/api/v1/shops/{s}/order-link-secret"),
        None,
        None,
    );
    assert_eq!(status, 401);
}

/// Issue 10, item 4a: one address may mint 20 visitor tokens at once (then 10 a minute) and
/// start as many conversations, whatever tokens it holds; then 429 with Retry-After.
#[test]
fn one_address_cannot_mint_tokens_or_start_conversations_without_limit() {
    let server = Server::sqlite();
    let s = shop(&server, "ebay");
    let mint = |source: &str| {
        common::public_request_from(
            source,
            &server.addr,
            "POST",
            "/chat/v1/sessions",
            Some(&json!({"shop_id": s})),
        )
    };
    let mut tokens = Vec::new();
    for i in 0..25 {
        let (status, headers, body) = mint("127.0.0.41");
        if status == 429 {
            assert_eq!(i, 20, "a burst of 20 tokens");
            assert_eq!(body["error"]["code"], "rate_limited");
            let retry: u64 = headers
                .iter()
                .find(|(k, _)| k == "retry-after")
                .map(|(_, v)| v.parse().unwrap())
                .expect("Retry-After");
            assert!((1..=6).contains(&retry), "{retry}");
            break;
        }
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_string());
    }
    assert_eq!(tokens.len(), 20, "the 21st token was refused");
    // Resuming a token is not minting; another address is not held back.
    let (status, _, resumed) = common::public_request_from(
        "127.0.0.41",
        &server.addr,
        "POST",
        "/chat/v1/sessions",
        Some(&json!({"shop_id": s, "token": tokens[0]})),
    );
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["token"], tokens[0]);
    assert_eq!(mint("127.0.0.42").0, 200);

    // Tokens minted elsewhere, all used from one address: 20 conversations, then 429.
    let mut more: Vec<String> = (0..20)
        .map(|_| new_token(&server, "127.0.0.43", s))
        .collect();
    more.push(new_token(&server, "127.0.0.44", s));
    let mut started = Vec::new();
    for (i, token) in more.iter().enumerate() {
        let (status, body) = send_with(&server, "127.0.0.45", token, &format!("x-{i}"), json!({}));
        if status == 429 {
            assert_eq!(i, 20, "a burst of 20 conversations");
            assert_eq!(body["error"]["code"], "rate_limited");
            break;
        }
        assert_eq!(status, 201, "{body}");
        started.push(body["conversation_id"].as_i64().unwrap());
    }
    assert_eq!(started.len(), 20, "the 21st conversation was refused");
    // A visitor already chatting goes on.
    let (status, body) = send_with(&server, "127.0.0.45", &more[0], "x-again", json!({}));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["conversation_id"], started[0]);
}
