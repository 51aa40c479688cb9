//! A marketplace connector end to end: the real `kefu serve` polls a fake eBay on 127.0.0.1
//! (kefu-connect's, serving recorded payloads in eBay's formats), stores the buyers' questions,
//! orders and return requests once however often it polls, pushes a reply back to the right
//! thread through the outbox, and shows the connector backing off while eBay is down.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The real binary runs on the system clock, so the tests read the same clock for their data.
#![allow(clippy::disallowed_methods)]

mod common;

#[path = "../../kefu-connect/tests/common/mod.rs"]
mod fake;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Server, shop};
use serde_json::{Value, json};

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn connector(server: &Server) -> Value {
    let (status, body) = server.call("GET", "/api/v1/connectors", None);
    assert_eq!(status, 200, "{body}");
    body["connectors"][0].clone()
}

/// The shop's conversations, from the clocks their messages opened.
fn conversations(server: &Server, shop_id: i64) -> Vec<Value> {
    let (status, obligations) = server.call(
        "GET",
        &format!("/api/v1/obligations?shop_id={shop_id}&limit=500"),
        None,
    );
    assert_eq!(status, 200, "{obligations}");
    let ids: BTreeSet<i64> = obligations
        .as_array()
        .or_else(|| obligations["obligations"].as_array())
        .unwrap()
        .iter()
        .filter_map(|o| o["conversation_id"].as_i64())
        .collect();
    ids.into_iter()
        .map(|id| {
            server
                .call("GET", &format!("/api/v1/conversations/{id}"), None)
                .1
        })
        .collect()
}

fn by_buyer<'a>(conversations: &'a [Value], handle: &str) -> &'a Value {
    conversations
        .iter()
        .find(|c| c["customer"]["handle"] == handle)
        .unwrap_or_else(|| panic!("no conversation of {handle}"))
}

/// Copies eBay's recorded payloads with every date moved so that the recording's "now"
/// (2025-03-11) becomes two days ago: the server polls with the real clock and looks back 30
/// days.
fn fixtures_moved_to_now(into: &std::path::Path) {
    let from = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kefu-connect/tests/fixtures/ebay"
    );
    let recorded = chrono::NaiveDate::from_ymd_opt(2025, 3, 11).unwrap();
    let shift = (chrono::Utc::now().date_naive() - chrono::Duration::days(2)) - recorded;
    let date = regex_lite_dates;
    let dir = into.join("ebay");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.join(path.file_name().unwrap()), date(&text, shift)).unwrap();
    }
}

/// Moves every `YYYY-MM-DD` in `text` by `shift`.
fn regex_lite_dates(text: &str, shift: chrono::Duration) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if i + 10 <= text.len()
            && text.is_char_boundary(i)
            && text.is_char_boundary(i + 10)
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && let Ok(d) = chrono::NaiveDate::parse_from_str(&text[i..i + 10], "%Y-%m-%d")
        {
            out.push_str(&(d + shift).format("%Y-%m-%d").to_string());
            i += 10;
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ebay_shop_is_pulled_answered_and_watched() {
    let fixtures = tempfile::tempdir().unwrap();
    fixtures_moved_to_now(fixtures.path());
    // SAFETY: set before the fake platform (the only reader) starts; no other thread reads
    // the environment in this test binary.
    unsafe { std::env::set_var("KEFU_CONNECT_FIXTURES", fixtures.path()) };
    let fake = fake::Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let server = tokio::task::spawn_blocking(move || Server::start(&db, &["--poll-every", "0.1"]))
        .await
        .unwrap();
    let base = fake.base.clone();
    let server = std::sync::Arc::new(server);
    let s = server.clone();
    let fake = std::sync::Arc::new(fake);
    let f = fake.clone();
    tokio::task::spawn_blocking(move || run(&s, &f, &base))
        .await
        .unwrap();
}

fn run(server: &Server, fake: &fake::Fake, base: &str) {
    let ebay = shop(server, "ebay");

    // Bad input is refused clearly; credentials are never echoed.
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/shops/{ebay}/connectors"),
        Some(&json!({"kind": "ebay", "base_url": base, "credentials": {}})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("credentials")
    );
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/shops/{ebay}/connectors"),
        Some(&json!({"kind": "amazon", "credentials": {"oauth_user_token": "x"}})),
    );
    assert_eq!(status, 422, "{body}");
    let (status, created) = server.call(
        "POST",
        &format!("/api/v1/shops/{ebay}/connectors"),
        Some(&json!({
            "kind": "ebay",
            "base_url": base,
            "credentials": {"oauth_user_token": fake::EBAY_TOKEN},
            "poll_interval_secs": 1,
            "first_retry_secs": 1,
        })),
    );
    assert_eq!(status, 201, "{created}");
    assert!(!created.to_string().contains(fake::EBAY_TOKEN), "{created}");
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/shops/{ebay}/connectors"),
        Some(&json!({"kind": "ebay", "base_url": base, "credentials": {"oauth_user_token": "y"}})),
    );
    assert_eq!(status, 409, "one eBay connector per shop");

    // The first polls store the buyers' questions; the seller's own message is not a buyer's.
    wait_for("the first successful poll", || {
        connector(server)["health"]["last_success_at"].is_string()
    });
    // Let it poll a few more times over the same pages: nothing may be stored twice.
    std::thread::sleep(Duration::from_millis(2500));
    let convs = conversations(server, ebay);
    let jens = by_buyer(&convs, "jens.k_78");
    let inbound: Vec<&Value> = jens["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    let ids: Vec<&str> = inbound
        .iter()
        .map(|m| m["external_id"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "stored once each: {ids:?}");
    let question = inbound
        .iter()
        .find(|m| m["external_id"] == "ebay:2847561001")
        .expect("Jens's question");
    assert!(question["body"].as_str().unwrap().contains("Akku"));
    assert_eq!(question["language"], "de");
    // His return request became an after-sales message on the same conversation.
    let ret = inbound
        .iter()
        .find(|m| m["external_id"] == "ebay-return:5098765432")
        .expect("the return request");
    assert!(ret["body"].as_str().unwrap().contains("DEFECTIVE_ITEM"));
    assert_eq!(jens["channel"], "marketplace");
    assert!(
        convs
            .iter()
            .all(|c| c["customer"]["handle"] != "acme_gadgets_de"),
        "the seller's own message is not a buyer's"
    );
    // A question about an order is linked to the order eBay reported, with its facts.
    let wang = by_buyer(&convs, "wang_li_2019");
    assert_eq!(wang["order"]["external_id"], "12-34567-89012", "{wang}");

    // A reply goes back to the buyer's thread on eBay, once, and its delivery is recorded.
    let jens_id = jens["id"].as_i64().unwrap();
    // Jens also filed a return (DEFECTIVE_ITEM): the conversation is a complaint, and the
    // eBay pack asks a reply to one for three solutions (OPTIONS-3), a warning to confirm.
    let body = "Hallo Jens, ja, der Akku ist austauschbar, und wir liefern auch nach Österreich.";
    let replies = format!("/api/v1/conversations/{jens_id}/replies");
    let (status, held) = server.call("POST", &replies, Some(&json!({"body": body})));
    assert_eq!(
        (status, &held["findings"][0]["rule"]),
        (422, &json!("OPTIONS-3")),
        "{held}"
    );
    let (status, reply) = server.call(
        "POST",
        &replies,
        Some(&json!({"body": body, "confirm": true})),
    );
    assert_eq!(status, 201, "{reply}");
    wait_for("the reply on eBay", || {
        !fake.calls("AddMemberMessageRTQ").is_empty()
    });
    let pushed = &fake.calls("AddMemberMessageRTQ")[0];
    // It answers the buyer's latest question on the thread.
    assert_eq!(pushed.params["ParentMessageID"], "2847561005");
    assert_eq!(pushed.params["RecipientID"], "jens.k_78");
    assert_eq!(pushed.params["ItemID"], "394857261001");
    assert!(pushed.params["Body"].contains("austauschbar"));
    wait_for("the delivery record", || {
        let (_, c) = server.call("GET", &format!("/api/v1/conversations/{jens_id}"), None);
        c["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "reply_delivered")
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(fake.calls("AddMemberMessageRTQ").len(), 1, "sent once");

    // eBay goes down: the connector backs off and says why; when eBay is back, it recovers.
    fake.set_fault(Some(fake::Fault::new(
        "/ws/api.dll",
        503,
        "text/plain",
        "Service Unavailable",
    )));
    wait_for("backing off", || {
        connector(server)["state"] == "backing_off"
    });
    let c = connector(server);
    assert!(
        c["health"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("503")
            || c["health"]["last_error_kind"] == "transient",
        "{c}"
    );
    fake.set_fault(None);
    wait_for("recovery", || connector(server)["state"] == "ok");
    fake.assert_no_problems();
}
