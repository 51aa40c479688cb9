//! The HTTP API of DESIGN.md against the real binary on 127.0.0.1 with a real SQLite file
//! (and one run on PostgreSQL).

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The real binary runs on the system clock, so the tests read the same clock for their data.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{KEY, Server, shop};
use serde_json::{Value, json};

/// A day `n` days before today in Shanghai (`2026-12-03`): the server takes a `received_at`
/// from 30 days back only, so fixed dates would stop working a few weeks after they were
/// written.
fn shanghai_day(n: i64) -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(n)).date_naive()
}

fn inbound(shop_id: i64, handle: &str, body: &str) -> Value {
    json!({"shop_id": shop_id, "channel": "marketplace", "customer": {"handle": handle}, "body": body})
}

#[test]
fn inbound_then_get_shows_the_message_and_its_clocks() {
    let server = Server::sqlite();
    let taobao = shop(&server, "taobao");
    let mut msg = inbound(taobao, "xiaoming", "亲，我的订单什么时候发货呀？");
    let day = shanghai_day(3);
    msg["received_at"] = json!(format!("{day}T22:58:00+08:00"));
    let (status, created) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{created}");
    let id = created["conversation_id"].as_i64().unwrap();

    let (status, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(conv["messages"][0]["body"], "亲，我的订单什么时候发货呀？");
    assert_eq!(conv["messages"][0]["language"], "zh");
    assert_eq!(conv["status"], "new");
    let frt = conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "TB-FRT-5M")
        .expect("TB-FRT-5M clock");
    assert_eq!(
        frt["due"],
        format!("{}T09:03:00+08:00", day.succ_opt().unwrap()),
        "the Taobao clock pauses at 23:00: {frt}"
    );
    assert_eq!(frt["state"], "open");
    assert_eq!(frt["severity"], "platform");
    assert!(frt["explanation"].as_str().unwrap().contains("resumed"));

    // The same buyer's next message continues the conversation.
    let (status, next) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(taobao, "xiaoming", "在吗？")),
    );
    assert_eq!(status, 201);
    assert_eq!(next["conversation_id"], id);
}

#[test]
fn bad_input_gets_a_clear_4xx_never_a_5xx() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let order = |total: Value, currency: &str, paid_at: &str| json!({"shop_id": ebay, "external_id": "o-1", "total": total, "currency": currency, "paid_at": paid_at});
    // (what, path, body, token, expected status, words the message must contain)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<String>,
        Option<&'a str>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        ("unknown shop", "/api/v1/inbound", Some(inbound(9999, "a", "hi").to_string()), Some(KEY), 404, "shop 9999"),
        ("malformed time", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["received_at"] = json!("yesterday"); m.to_string() }), Some(KEY), 422, "RFC 3339"),
        ("negative total", "/api/v1/orders", Some(order(json!("-5"), "USD", "2026-11-11T10:00:00Z").to_string()), Some(KEY), 422, "negative"),
        ("unknown currency", "/api/v1/orders", Some(order(json!("5"), "XYZ", "2026-11-11T10:00:00Z").to_string()), Some(KEY), 422, "currency"),
        ("malformed order time", "/api/v1/orders", Some(order(json!(5), "USD", "11/11/2026").to_string()), Some(KEY), 422, "paid_at"),
        ("empty body", "/api/v1/inbound", None, Some(KEY), 400, "empty"),
        ("not JSON", "/api/v1/inbound", Some("{shop_id:".into()), Some(KEY), 400, "invalid JSON"),
        ("missing field", "/api/v1/inbound", Some(json!({"shop_id": ebay}).to_string()), Some(KEY), 422, "missing field"),
        ("unknown channel", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["channel"] = json!("fax"); m.to_string() }), Some(KEY), 422, "channel"),
        ("empty message", "/api/v1/inbound", Some(inbound(ebay, "a", "   ").to_string()), Some(KEY), 422, "body must not be empty"),
        ("oversize body", "/api/v1/inbound", Some(inbound(ebay, "a", &"x".repeat(300_000)).to_string()), Some(KEY), 413, "larger than"),
        ("wrong token", "/api/v1/inbound", Some(inbound(ebay, "a", "hi").to_string()), Some("not-the-key"), 401, "token"),
        ("no token", "/api/v1/shops", None, None, 401, "Authorization"),
        ("unknown platform", "/api/v1/shops", Some(json!({"name": "x", "platform": "amazon"}).to_string()), Some(KEY), 422, "platform"),
        ("unknown time zone", "/api/v1/shops", Some(json!({"name": "x", "platform": "ebay", "timezone": "Mars/Base"}).to_string()), Some(KEY), 422, "time zone"),
        ("bad shop settings", "/api/v1/shops", Some(json!({"name": "x", "platform": "taobao", "settings": {"aftersales_promise_hours": 36}}).to_string()), Some(KEY), 422, "settings"),
        ("unknown conversation", "/api/v1/conversations/424242/replies", Some(json!({"body": "hi"}).to_string()), Some(KEY), 404, "conversation"),
        ("unknown route", "/api/v1/nothing", None, Some(KEY), 404, "endpoint"),
        // Item 4c: a received_at far from now would move clocks and KPIs.
        ("received_at in 9999", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["received_at"] = json!("9999-01-01T00:00:00Z"); m.to_string() }), Some(KEY), 422, "received_at"),
        ("received_at in 0001", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["received_at"] = json!("0001-01-01T00:00:00Z"); m.to_string() }), Some(KEY), 422, "30 days before to 5 minutes after"),
        ("received_at an hour ahead", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["received_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()); m.to_string() }), Some(KEY), 422, "outside the accepted window"),
        ("received_at 31 days back", "/api/v1/inbound", Some({ let mut m = inbound(ebay, "a", "hi"); m["received_at"] = json!((chrono::Utc::now() - chrono::Duration::days(31)).to_rfc3339()); m.to_string() }), Some(KEY), 422, "received_at"),
    ];
    for (name, path, body, token, want, needle) in cases {
        let method = if matches!(name, "no token" | "unknown route") {
            "GET"
        } else {
            "POST"
        };
        let (status, answer) = server.raw(method, path, token, body.as_deref());
        assert_eq!(status, want, "{name}: {answer}");
        let message = answer["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no JSON error message in {answer}"));
        assert!(
            message.contains(needle),
            "{name}: {message:?} should mention {needle:?}"
        );
    }
    // The server is still healthy and stored nothing from all that.
    let (status, _) = server.call("GET", "/healthz", None);
    assert_eq!(status, 200);
    let (_, metrics) = server.raw("GET", "/metrics", None, None);
    assert!(
        metrics.as_str().unwrap().contains("kefu_conversations 0"),
        "{metrics}"
    );
}

/// Issue 10, item 4c: inside the window (29 days back, a minute ahead) a sender's time is
/// kept as given.
#[test]
fn received_at_inside_the_window_is_kept() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    for (buyer, at) in [
        ("old", chrono::Utc::now() - chrono::Duration::days(29)),
        ("skewed", chrono::Utc::now() + chrono::Duration::minutes(1)),
    ] {
        let mut m = inbound(ebay, buyer, "Where is my parcel?");
        m["received_at"] = json!(at.to_rfc3339());
        let (status, created) = server.call("POST", "/api/v1/inbound", Some(&m));
        assert_eq!(status, 201, "{buyer}: {created}");
        let (_, conv) = server.call(
            "GET",
            &format!("/api/v1/conversations/{}", created["conversation_id"]),
            None,
        );
        let stored: chrono::DateTime<chrono::Utc> = conv["messages"][0]["created_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((stored - at).num_seconds().abs() < 1, "{buyer}: {conv}");
    }
}

/// Issue 10, item 4d: a path segment or query value that does not parse answers in the JSON
/// error shape with a 4xx, like every other API error (axum's own answer is plain text).
#[test]
fn path_and_query_errors_answer_in_json() {
    let server = Server::sqlite();
    for (path, method, body) in [
        ("/api/v1/conversations/abc", "GET", None),
        ("/api/v1/obligations?due_before=notadate", "GET", None),
        ("/api/v1/obligations?limit=many", "GET", None),
        (
            "/api/v1/conversations/abc/replies",
            "POST",
            Some(r#"{"body": "hi"}"#),
        ),
        ("/api/v1/agents/x1/unlock", "POST", None),
        ("/chat/v1/attachments/abc?token=t", "GET", None),
        ("/chat/v1/stream", "GET", None),
    ] {
        let (status, answer) = server.raw(method, path, Some(KEY), body);
        assert!((400..500).contains(&status), "{path}: {status} {answer}");
        assert!(
            answer["error"]["code"].is_string() && answer["error"]["message"].is_string(),
            "{path}: not the JSON error shape: {answer}"
        );
    }
    let (status, answer) = server.raw("GET", "/api/v1/conversations/abc", Some(KEY), None);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("abc"),
        "{answer}"
    );
    let (status, answer) = server.raw(
        "GET",
        "/api/v1/obligations?due_before=notadate",
        Some(KEY),
        None,
    );
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("due_before"),
        "{answer}"
    );
}

#[test]
fn a_retried_message_is_stored_once() {
    let server = Server::sqlite();
    let ae = shop(&server, "aliexpress");
    let mut m = inbound(ae, "klaus", "Wo ist mein Paket?");
    m["external_id"] = json!("ae-123");
    let (s1, first) = server.call("POST", "/api/v1/inbound", Some(&m));
    let (s2, again) = server.call("POST", "/api/v1/inbound", Some(&m));
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["message_id"], again["message_id"]);
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", first["conversation_id"]),
        None,
    );
    assert_eq!(conv["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn replies_pass_the_guard_and_close_the_clocks() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let (_, created) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(
            ebay,
            "jess",
            "My parcel never arrived, order 1234.",
        )),
    );
    let id = created["conversation_id"].as_i64().unwrap();
    let replies = format!("/api/v1/conversations/{id}/replies");

    let (status, blocked) = server.call(
        "POST",
        &replies,
        Some(&json!({"body": "Please send us a photo of your ID card so we can verify you."})),
    );
    assert_eq!(status, 422, "{blocked}");
    assert_eq!(blocked["verdict"], "block");
    assert!(
        blocked["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "PRIV-NO-ID-PHOTO"),
        "{blocked}"
    );
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert!(
        conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["direction"] == "inbound"),
        "nothing was sent"
    );
    let kept = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reply_blocked")
        .expect("draft kept");
    assert!(
        kept["data"]["draft"]
            .as_str()
            .unwrap()
            .contains("photo of your ID card")
    );

    // An acknowledgement alone as a first response: a warning that needs confirmation, and
    // once confirmed it still does not stop the first-response clock (EBAY-SUBSTANTIVE).
    let ack = json!({"body": "We received your message."});
    let (status, held) = server.call("POST", &replies, Some(&ack));
    assert_eq!((status, &held["verdict"]), (422, &json!("warn")), "{held}");
    let (status, sent) = server.call(
        "POST",
        &replies,
        Some(&json!({"body": "We received your message.", "confirm": true})),
    );
    assert_eq!(status, 201, "{sent}");
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let frt = conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "EBAY-FRT-24H")
        .unwrap()
        .clone();
    assert_eq!(
        frt["state"], "open",
        "an acknowledgement does not answer the buyer"
    );
    let overrides: Vec<_> = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["data"]["guard_override"].is_null())
        .collect();
    assert_eq!(overrides.len(), 1, "the confirmed warning is recorded");
    assert_eq!(overrides[0]["data"]["guard_override"]["by"], "master");
    assert!(
        overrides[0]["data"]["guard_override"]["name"]
            .as_str()
            .unwrap()
            .contains("master key")
    );

    // The buyer complained (the parcel never arrived) and the eBay pack asks for three
    // solutions (OPTIONS-3, [complaint_options]): two are a warning to confirm.
    let two = "I'm sorry your parcel hasn't arrived. We will reship it today at no cost, or refund you in full if you prefer.";
    let (status, held) = server.call("POST", &replies, Some(&json!({"body": two})));
    assert_eq!((status, &held["verdict"]), (422, &json!("warn")), "{held}");
    assert!(
        held["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "OPTIONS-3"),
        "{held}"
    );
    let (status, sent) = server.call(
        "POST",
        &replies,
        Some(&json!({"body": two, "confirm": true})),
    );
    assert_eq!(status, 201, "{sent}");
    assert!(!sent["met_obligations"].as_array().unwrap().is_empty());
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let frt = conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "EBAY-FRT-24H")
        .unwrap()
        .clone();
    assert_eq!(frt["state"], "met");
    assert_eq!(conv["status"], "pending_customer");

    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/status"),
        Some(&json!({"status": "resolved"})),
    );
    assert_eq!(status, 200);
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(conv["status"], "resolved");
}

#[test]
fn buyers_secrets_are_masked_before_they_reach_the_database() {
    // Debug logs in JSON, to a file that is searched for the secrets too.
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("kefu.log");
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Server::start_logging(&db, &["--log-format", "json"], "debug", log.into());
    let taobao = shop(&server, "taobao");
    // A Luhn-valid card number and a password announced as such.
    let body = "我的卡号是 6222 0212 3456 7894，密码是 qwe789zz，帮我查一下退款";
    let (status, created) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(taobao, "buyer", body)),
    );
    assert_eq!(status, 201);
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", created["conversation_id"]),
        None,
    );
    let stored = conv["messages"][0]["body"].as_str().unwrap();
    assert!(
        stored.contains("7894") && !stored.contains("0212 3456"),
        "{stored}"
    );
    assert!(!stored.contains("qwe789zz"), "{stored}");
    let received = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "message_received")
        .unwrap();
    assert_eq!(
        received["data"]["redacted"],
        json!(["bank_card", "password"])
    );
    // Nothing unredacted on disk: the database file, its WAL and the search index.
    let path = server.db_path();
    search_until(&server, "q=%E9%80%80%E6%AC%BE", 1);
    let index_dir = std::path::PathBuf::from(format!("{}.index", path.display()));
    let mut files = vec![path.clone(), path.with_extension("db-wal")];
    files.extend(
        std::fs::read_dir(&index_dir)
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    assert!(files.len() > 3, "the index has files");
    for file in files {
        if let Ok(bytes) = std::fs::read(&file) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("6222 0212 3456 7894") && !text.contains("qwe789zz"),
                "secret found in {}",
                file.display()
            );
        }
    }
    server.kill();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.lines().count() >= 3,
        "the debug log has request lines: {log}"
    );
    for line in log.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
    assert!(
        log.contains("/api/v1/inbound"),
        "requests are logged: {log}"
    );
    assert!(
        !log.contains("0212 3456") && !log.contains("qwe789zz"),
        "a secret reached the log"
    );
}

#[test]
fn health_metrics_and_openapi() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(ebay, "a", "hello there, where is my order?")),
    );
    let (status, health) = server.raw("GET", "/healthz", None, None);
    assert_eq!((status, &health["status"]), (200, &json!("ok")));
    let (status, metrics) = server.raw("GET", "/metrics", None, None);
    assert_eq!(status, 200);
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains(
            "kefu_http_requests_total{method=\"POST\",route=\"/api/v1/inbound\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("kefu_open_conversations 1"));
    assert!(text.contains("kefu_messages_ingested_total 1"));
    assert!(text.contains("kefu_http_request_duration_seconds_bucket"));
    let (status, spec) = server.raw("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    for path in [
        "/shops",
        "/orders",
        "/inbound",
        "/conversations/{id}",
        "/conversations/{id}/replies",
        "/conversations/{id}/rating",
        "/conversations/{id}/complaint",
        "/conversations/{id}/complaint/resolution",
        "/incidents",
        "/incidents/{id}/reply",
        "/staffing/coverage",
        "/staffing/peak-prep",
    ] {
        assert!(spec["paths"][path].is_object(), "openapi misses {path}");
    }
}

#[test]
fn agent_tokens_authenticate_and_roles_are_enforced() {
    let mut first = Server::sqlite();
    first.kill(); // the CLI writes to the database directly; avoid two writers in the test
    let db = first.db.clone();
    let out = common::kefu()
        .args([
            "admin",
            "create-agent",
            "--db",
            &db,
            "--email",
            "sam@example.com",
            "--name",
            "Sam",
            "--languages",
            "en,de",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let agent: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = common::kefu()
        .args([
            "admin",
            "create-token",
            "--db",
            &db,
            "--agent-id",
            &agent["id"].to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let server = Server::start(&db, &[]);
    let (status, _) = server.raw("GET", "/api/v1/shops", Some(&token), None);
    assert_eq!(status, 200);
    let (status, denied) = server.raw(
        "POST",
        "/api/v1/shops",
        Some(&token),
        Some(&json!({"name": "x", "platform": "ebay"}).to_string()),
    );
    assert_eq!(status, 403, "{denied}");
    // Agents answer with the FAQ but do not edit it, nor connect marketplaces.
    let (_, created) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({"name": "s", "platform": "taobao"})),
    );
    let shop = created["id"].as_i64().unwrap();
    let faq =
        json!({"questions": ["能开发票吗"], "answer": "可以开发票，确认收货后在订单页申请即可。"});
    let (status, denied) = server.raw(
        "PUT",
        &format!("/api/v1/shops/{shop}/faqs/invoice/zh"),
        Some(&token),
        Some(&faq.to_string()),
    );
    assert_eq!(status, 403, "{denied}");
    let (status, _) = server.raw(
        "GET",
        &format!("/api/v1/shops/{shop}/faqs"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "agents may read the FAQ");
    let (status, denied) = server.raw(
        "POST",
        &format!("/api/v1/shops/{shop}/connectors"),
        Some(&token),
        Some(&json!({"kind": "ebay", "credentials": {"oauth_user_token": "t"}}).to_string()),
    );
    assert_eq!(status, 403, "{denied}");
}

#[test]
fn the_same_api_works_on_postgresql() {
    let server = Server::postgres("api");
    let taobao = shop(&server, "taobao");
    let mut msg = inbound(taobao, "xiaoming", "亲，在吗？");
    let day = shanghai_day(3);
    msg["received_at"] = json!(format!("{day}T22:58:00+08:00"));
    let (status, created) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{created}");
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", created["conversation_id"]),
        None,
    );
    assert_eq!(
        conv["obligations"][0]["due"],
        format!("{}T09:03:00+08:00", day.succ_opt().unwrap())
    );
    let (status, health) = server.call("GET", "/healthz", None);
    assert_eq!((status, &health["backend"]), (200, &json!("postgres")));
}

#[test]
fn obligations_are_listed_across_conversations() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let day = shanghai_day(5);
    let next = day.succ_opt().unwrap();
    for (buyer, at) in [("a", "10:00:00Z"), ("b", "09:00:00Z")] {
        let mut m = inbound(ebay, buyer, "Where is my parcel?");
        m["received_at"] = json!(format!("{day}T{at}"));
        assert_eq!(server.call("POST", "/api/v1/inbound", Some(&m)).0, 201);
    }
    // Listed whatever their state (the scheduler may already have marked them).
    let (status, list) = server.call(
        "GET",
        &format!("/api/v1/obligations?due_before={next}T09:30:00Z"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let list = list["obligations"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "only b's clock is due before 09:30 the next day: {list:?}"
    );
    assert_eq!(list[0]["rule"], "EBAY-FRT-24H");
    assert_eq!(list[0]["due"], format!("{next}T09:00:00+00:00"));
    // Both are long overdue: the scheduler (every second) marks them breached.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, breached) = server.call("GET", "/api/v1/obligations?state=breached", None);
        let n = breached["obligations"].as_array().unwrap().len();
        if n == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduler did not mark the breaches: {breached}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, open) = server.call("GET", "/api/v1/obligations?state=open", None);
    assert!(open["obligations"].as_array().unwrap().is_empty());
    let (status, bad) = server.call("GET", "/api/v1/obligations?state=late", None);
    assert_eq!(status, 422, "{bad}");
    let (status, _) = server.call("GET", "/api/v1/obligations?due_before=soon", None);
    assert_eq!(status, 422);
}

#[test]
fn an_orders_entitlements_come_from_the_shops_rules() {
    let server = Server::sqlite();
    let taobao = shop(&server, "taobao");
    // Paid ¥700, promised to ship within 48 h, shipped on day 4: late-shipment compensation
    // is 5 % of 700 = 35, capped at ¥30 (TB-SHIP-PROMISE).
    let order = json!({
        "shop_id": taobao, "external_id": "TB-1", "total": "700.00", "currency": "CNY",
        "paid_at": "2026-11-11T10:00:00+08:00", "promised_ship_by": "2026-11-13T10:00:00+08:00",
        "shipped_at": "2026-11-15T10:00:00+08:00", "promises": ["ship-time", "return", "fake-3x"]
    });
    let (status, stored) = server.call("POST", "/api/v1/orders", Some(&order));
    assert_eq!(status, 201, "{stored}");
    let (status, list) = server.call(
        "GET",
        &format!("/api/v1/shops/{taobao}/orders/TB-1/entitlements"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let list = list["entitlements"].as_array().unwrap();
    let late = list
        .iter()
        .find(|e| e["rule"] == "TB-SHIP-PROMISE")
        .expect("late-shipment entitlement");
    assert_eq!(late["entitled"], true, "{late}");
    assert_eq!(
        (late["amount"].as_str(), late["currency"].as_str()),
        (Some("30.00"), Some("CNY"))
    );
    let fake = list
        .iter()
        .find(|e| e["rule"] == "TB-FAKE-3X")
        .expect("fake-goods entry");
    assert_eq!(fake["total"], "2100.00");
    let (status, _) = server.call(
        "GET",
        &format!("/api/v1/shops/{taobao}/orders/NOPE/entitlements"),
        None,
    );
    assert_eq!(status, 404);
    // The conversation about the order shows them beside the thread.
    let mut m = inbound(taobao, "buyer", "怎么还没发货？");
    m["order_external_id"] = json!("TB-1");
    let (_, created) = server.call("POST", "/api/v1/inbound", Some(&m));
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", created["conversation_id"]),
        None,
    );
    assert!(
        conv["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == "TB-SHIP-PROMISE")
    );

    // An after-sales case from it: the amount comes from the rulebook, not from the client;
    // it has its own state and the after-sales deadline, and shows in the thread.
    let id = created["conversation_id"].as_i64().unwrap();
    let cases = format!("/api/v1/conversations/{id}/cases");
    let (status, bad) = server.call(
        "POST",
        &cases,
        Some(&json!({"rule": "TB-SHIP-PROMISE", "action": "reship"})),
    );
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("compensation")
    );
    let (status, bad) = server.call(
        "POST",
        &cases,
        Some(&json!({"rule": "NOPE", "action": "refund"})),
    );
    assert_eq!(status, 422, "{bad}");
    let (status, case) = server.call(
        "POST",
        &cases,
        Some(&json!({"rule": "TB-SHIP-PROMISE", "action": "compensation"})),
    );
    assert_eq!(status, 201, "{case}");
    assert_eq!(
        (case["amount"].as_str(), case["currency"].as_str()),
        (Some("30.00"), Some("CNY"))
    );
    assert_eq!(case["state"], "offered");
    let (status, _) = server.call(
        "POST",
        &cases,
        Some(&json!({"rule": "TB-SHIP-PROMISE", "action": "compensation"})),
    );
    assert_eq!(status, 409, "offered once");
    let move_to = |to: &str| {
        server.call(
            "POST",
            &format!("{cases}/{}/state", case["id"]),
            Some(&json!({"state": to})),
        )
    };
    assert_eq!(move_to("accepted").0, 200);
    let (status, done) = move_to("done");
    assert_eq!((status, done["state"].as_str()), (200, Some("done")));
    assert_eq!(move_to("rejected").0, 409, "a done case stays done");
    assert_eq!(move_to("lost").0, 422);
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(conv["cases"][0]["state"], "done");
    let kinds: Vec<&str> = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"case_opened") && kinds.contains(&"case_updated"),
        "{kinds:?}"
    );
    assert!(
        conv["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["clock"] == "aftersales"),
        "the after-sales clock runs: {conv}"
    );
}

#[test]
fn complex_issues_escalations_and_resolutions_move_the_clocks() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let (_, created) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(
            ebay,
            "dave",
            "The drone crashed on its first flight.",
        )),
    );
    let id = created["conversation_id"].as_i64().unwrap();
    let (status, started) = server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/clocks"),
        Some(&json!({"trigger": "complex_issue"})),
    );
    assert_eq!(status, 201, "{started}");
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let state_of = |conv: &Value, rule: &str| {
        conv["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["rule"] == rule)
            .map(|o| o["state"].clone())
    };
    assert_eq!(
        state_of(&conv, "EBAY-ESCALATE-2H"),
        Some(json!("open")),
        "{conv}"
    );
    server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/status"),
        Some(&json!({"status": "escalated"})),
    );
    server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/status"),
        Some(&json!({"status": "resolved", "reason": "refund issued"})),
    );
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(state_of(&conv, "EBAY-ESCALATE-2H"), Some(json!("met")));
    assert_eq!(
        state_of(&conv, "EBAY-FOLLOWUP-48H"),
        Some(json!("open")),
        "resolving starts the follow-up clock"
    );
    // The follow-up reply meets it.
    let (status, _) = server.call("POST", &format!("/api/v1/conversations/{id}/replies"), Some(&json!({"body": "Hi Dave, your refund of $89.00 was issued yesterday. Has it reached your account? If not, we will chase it with PayPal today."})));
    assert_eq!(status, 201);
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(state_of(&conv, "EBAY-FOLLOWUP-48H"), Some(json!("met")));
    let (status, bad) = server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/clocks"),
        Some(&json!({"trigger": "full_moon"})),
    );
    assert_eq!(status, 422, "{bad}");
}

#[test]
fn a_shops_own_phrases_and_internal_notes() {
    let server = Server::sqlite();
    let (status, shop) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({
            "name": "Outlet", "platform": "taobao",
            "settings": {"forbidden_phrases": {"zh": ["全网最低价"]}}
        })),
    );
    assert_eq!(status, 201, "{shop}");
    let id = shop["id"].as_i64().unwrap();
    let (_, created) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(id, "buyer", "这个能便宜点吗？")),
    );
    let conv = created["conversation_id"].as_i64().unwrap();
    let (status, held) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/replies"),
        Some(&json!({"body": "亲，这已经是全网最低价了，请您放心购买。"})),
    );
    assert_eq!(status, 422, "{held}");
    assert!(
        held["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "SHOP-FORBIDDEN"),
        "{held}"
    );

    let (status, note) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/notes"),
        Some(&json!({"body": "老客户，可以送优惠券"})),
    );
    assert_eq!(status, 201, "{note}");
    let (_, detail) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    let kinds: Vec<_> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].clone())
        .collect();
    assert_eq!(kinds, [json!("inbound"), json!("note")]);
    assert_eq!(detail["status"], "new", "a note is no answer");
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/notes"),
        Some(&json!({"body": " "})),
    );
    assert_eq!(status, 422);
}

#[test]
fn no_input_makes_a_5xx() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    // A small deterministic generator of hostile values for every field of every endpoint.
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let values = [
        json!(null),
        json!(""),
        json!(" "),
        json!(-1),
        json!(0),
        json!(1e308),
        json!(9_223_372_036_854_775_807i64),
        json!("9999999999999999999999999"),
        json!(true),
        json!([]),
        json!({}),
        json!([1, 2, 3]),
        json!("2026-13-45T99:99:99Z"),
        json!("\u{0000}\u{FFFF}💥"),
        json!("x".repeat(5000)),
        json!("-0.001"),
        json!("1e5"),
        json!("CNY"),
        json!("xx"),
        json!({"handle": null}),
        json!({"handle": "a", "extra": 1}),
    ];
    let shapes: Vec<(&str, Value)> = vec![
        ("/api/v1/inbound", inbound(ebay, "fuzz", "hello")),
        (
            "/api/v1/orders",
            json!({"shop_id": ebay, "external_id": "o", "total": "1", "currency": "USD", "paid_at": "2026-11-11T00:00:00Z"}),
        ),
        (
            "/api/v1/shops",
            json!({"name": "n", "platform": "ebay", "timezone": "UTC", "currency": "USD", "settings": {}}),
        ),
        (
            "/api/v1/conversations/1/replies",
            json!({"body": "Thanks, we will reship today.", "confirm": true}),
        ),
        (
            "/api/v1/conversations/1/status",
            json!({"status": "resolved"}),
        ),
        (
            "/api/v1/conversations/1/clocks",
            json!({"trigger": "complex_issue"}),
        ),
    ];
    for round in 0..400 {
        let (path, base) = &shapes[round % shapes.len()];
        let mut body = base.clone();
        let keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        for _ in 0..(1 + next() % 3) {
            let key = &keys[(next() % keys.len() as u64) as usize];
            match next() % 4 {
                0 => {
                    body.as_object_mut().unwrap().remove(key);
                }
                _ => body[key.as_str()] = values[(next() % values.len() as u64) as usize].clone(),
            }
        }
        let (status, answer) = server.call("POST", path, Some(&body));
        assert!(
            status < 500,
            "{path} with {body} answered {status}: {answer}"
        );
        if status >= 400 {
            assert!(
                answer["error"]["message"].is_string(),
                "{path} with {body}: no error message in {answer}"
            );
        }
    }
    let (status, _) = server.call("GET", "/healthz", None);
    assert_eq!(status, 200);
}

/// Polls the search API until `q` finds `want` hits (the index follows the database within a
/// second) and returns the answer.
fn search_until(server: &Server, q: &str, want: u64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, found) = server.call("GET", &format!("/api/v1/search?{q}"), None);
        assert_eq!(status, 200, "{found}");
        if found["total"] == want {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search {q} never reached {want} hits: {found}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn messages_are_found_in_chinese_and_english_with_highlights() {
    let server = Server::sqlite();
    let taobao = shop(&server, "taobao");
    let ebay = shop(&server, "ebay");
    server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(
            taobao,
            "a",
            "亲，我的快递三天没更新了，帮忙查一下物流",
        )),
    );
    server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(taobao, "b", "收到的保温杯有破损，申请退款")),
    );
    server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(
            ebay,
            "c",
            "I was refunded twice for order 1234 <script>alert(1)</script>",
        )),
    );

    // 快递 inside a longer sentence, found by word segmentation.
    let found = search_until(&server, "q=%E5%BF%AB%E9%80%92", 1);
    let hit = &found["hits"][0];
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>快递</mark>"),
        "{found}"
    );
    assert!(hit["conversation_id"].is_i64() && hit["message_id"].is_i64());
    // English stemming, and snippets escape what buyers type.
    let found = search_until(&server, "q=refund", 1);
    let snippet = found["hits"][0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>") && !snippet.contains("<script>"),
        "{snippet}"
    );
    // 退款 in the other shop only when filtered to it.
    search_until(&server, "q=%E9%80%80%E6%AC%BE", 1);
    search_until(&server, &format!("q=%E9%80%80%E6%AC%BE&shop_id={ebay}"), 0);
    // The status filter follows a conversation's status changes.
    let refund = search_until(&server, "q=%E9%80%80%E6%AC%BE&status=new", 1);
    let conversation = refund["hits"][0]["conversation_id"].as_i64().unwrap();
    server.call(
        "POST",
        &format!("/api/v1/conversations/{conversation}/status"),
        Some(&json!({"status": "resolved"})),
    );
    search_until(&server, "q=%E9%80%80%E6%AC%BE&status=resolved", 1);
    search_until(&server, "q=%E9%80%80%E6%AC%BE&status=new", 0);
    let (status, bad) = server.call("GET", "/api/v1/search?q=", None);
    assert_eq!(status, 422, "{bad}");
}

#[test]
fn a_logged_call_is_a_message_and_a_promised_callback_a_clock() {
    let server = Server::sqlite();
    let taobao = shop(&server, "taobao");
    let call = json!({
        "shop_id": taobao, "phone": "13812345678", "name": "张伟", "order_external_id": "TB-9",
        "summary": "包裹显示已签收但没收到", "outcome": "unresolved",
        "called_at": "2026-11-11T10:00:00+08:00", "callback_by": "2026-11-11T16:00:00+08:00"
    });
    let (status, logged) = server.call("POST", "/api/v1/calls", Some(&call));
    assert_eq!(status, 201, "{logged}");
    let id = logged["conversation_id"].as_i64().unwrap();
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(conv["channel"], "phone");
    let body = conv["messages"][0]["body"].as_str().unwrap();
    assert!(
        body.contains("13812345678") && body.contains("TB-9") && body.contains("unresolved"),
        "{body}"
    );
    let callback = conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["clock"] == "callback")
        .expect("callback clock");
    assert_eq!(
        (callback["rule"].as_str(), callback["due"].as_str()),
        (Some("REC-CUSTOMER-INFO"), Some("2026-11-11T16:00:00+08:00"))
    );
    assert!(
        conv["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["clock"] != "first_response"),
        "an answered call starts no reply clock"
    );
    // Calling back (a reply) keeps the promise.
    let (status, _) = server.call("POST", &format!("/api/v1/conversations/{id}/replies"), Some(&json!({"body": "张先生您好，我们已联系快递核实，今天会为您补发，请您留意短信通知。", "confirm": true})));
    assert_eq!(status, 201);
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let callback = conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["clock"] == "callback")
        .unwrap()
        .clone();
    assert_eq!(callback["state"], "met");
    let mut bad = call.clone();
    bad["callback_by"] = json!("2026-11-11T09:00:00+08:00");
    assert_eq!(server.call("POST", "/api/v1/calls", Some(&bad)).0, 422);
}

#[test]
fn new_conversations_go_to_an_available_agent_who_speaks_the_language() {
    let server = Server::sqlite();
    let ae = shop(&server, "aliexpress");
    let (status, lucia) = server.call("POST", "/api/v1/agents", Some(&json!({"email": "lucia@desk.example", "name": "Lucía", "role": "agent", "languages": ["es", "de"]})));
    assert_eq!(status, 201, "{lucia}");
    let (_, sam) = server.call("POST", "/api/v1/agents", Some(&json!({"email": "sam@desk.example", "name": "Sam", "role": "agent", "languages": ["en"]})));
    let (status, dup) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": "sam@desk.example", "name": "Sam", "role": "agent"})),
    );
    assert_eq!(status, 409, "{dup}");
    let (_, es) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(
            ae,
            "javier",
            "Hola, mi pedido todavía no ha llegado. ¿Pueden revisar el seguimiento?",
        )),
    );
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", es["conversation_id"]),
        None,
    );
    assert_eq!(conv["assignee_id"], lucia["id"], "{conv}");
    // Lucía goes away: Sam takes her conversation.
    let (status, moved) = server.call(
        "POST",
        &format!("/api/v1/agents/{}/availability", lucia["id"]),
        Some(&json!({"available": false})),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["reassigned"], json!([es["conversation_id"]]));
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", es["conversation_id"]),
        None,
    );
    assert_eq!(conv["assignee_id"], sam["id"]);
}

#[test]
fn high_value_orders_are_routed_to_their_team() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let agent = |email: &str| {
        let (status, a) = server.call(
            "POST",
            "/api/v1/agents",
            Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["en"]})),
        );
        assert_eq!(status, 201, "{a}");
        a["id"].as_i64().unwrap()
    };
    let (ann, ben) = (agent("ann@example.com"), agent("ben@example.com"));
    let (status, bad) = server.call(
        "POST",
        "/api/v1/teams",
        Some(&json!({"name": "HV", "routing": "random"})),
    );
    assert_eq!(status, 422, "{bad}");
    let (status, bad) = server.call(
        "POST",
        "/api/v1/teams",
        Some(&json!({"name": "HV", "members": [999]})),
    );
    assert_eq!(status, 422, "{bad}");
    let (status, team) = server.call(
        "POST",
        "/api/v1/teams",
        Some(&json!({"name": "High value", "high_value": true, "routing": "round_robin", "members": [ben]})),
    );
    assert_eq!(status, 201, "{team}");
    // A US$899 order: the eBay pack opens EBAY-HIGHVALUE-12H, and the team's agent gets it.
    let order = json!({"shop_id": ebay, "external_id": "E-1", "total": "899.00", "currency": "USD", "paid_at": "2026-11-20T10:00:00Z"});
    assert_eq!(server.call("POST", "/api/v1/orders", Some(&order)).0, 201);
    let mut m = inbound(ebay, "rich", "Is the camera covered by warranty?");
    m["order_external_id"] = json!("E-1");
    let (_, hv) = server.call("POST", "/api/v1/inbound", Some(&m));
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", hv["conversation_id"]),
        None,
    );
    assert_eq!(conv["assignee_id"], ben, "{conv}");
    let (_, plain) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(ebay, "joe", "Hi, do you ship to Canada?")),
    );
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", plain["conversation_id"]),
        None,
    );
    assert_eq!(conv["assignee_id"], ann, "ordinary ones by load");
}

#[test]
fn an_agent_off_shift_goes_away_and_hands_conversations_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let server = Server::start(&db, &["--shift-check-every", "0.2"]);
    let ebay = shop(&server, "ebay");
    let agent = |email: &str| {
        let (status, a) = server.call(
            "POST",
            "/api/v1/agents",
            Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["en"]})),
        );
        assert_eq!(status, 201, "{a}");
        a["id"].as_i64().unwrap()
    };
    let (ann, ben) = (agent("ann@shift.example"), agent("ben@shift.example"));
    let (_, first) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(ebay, "one", "Hello, is this in stock?")),
    );
    let conv = first["conversation_id"].as_i64().unwrap();
    let (_, c) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
    let holder = c["assignee_id"].as_i64().unwrap();
    assert!(holder == ann || holder == ben);
    // The holder's only shift starts two hours from now: they go away, and the conversation
    // moves to the other agent.
    let hour = chrono::Utc::now()
        .format("%H")
        .to_string()
        .parse::<u32>()
        .unwrap();
    let from = (hour + 2) % 24;
    let shifts = json!({"timezone": "UTC", "windows": [{"days": "daily", "from": format!("{from:02}:00"), "to": format!("{:02}:00", from + 1)}]});
    let (status, set) = server.call(
        "POST",
        &format!("/api/v1/agents/{holder}/shifts"),
        Some(&shifts),
    );
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["on_shift_now"], false);
    let other = if holder == ann { ben } else { ann };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, c) = server.call("GET", &format!("/api/v1/conversations/{conv}"), None);
        if c["assignee_id"] == other {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not handed on: {c}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, bad) = server.call(
        "POST",
        &format!("/api/v1/agents/{holder}/shifts"),
        Some(&json!({"timezone": "UTC", "windows": [{"days": "someday", "from": "09:00", "to": "18:00"}]})),
    );
    assert_eq!(status, 422, "{bad}");
    assert_eq!(
        server
            .call(
                "POST",
                &format!("/api/v1/agents/{holder}/shifts"),
                Some(&json!({}))
            )
            .0,
        200
    );
}

#[test]
fn a_shop_chooses_round_robin_or_least_load() {
    let server = Server::sqlite();
    let make = |name: &str, routing: &str| {
        let (status, s) = server.call(
            "POST",
            "/api/v1/shops",
            Some(&json!({"name": name, "platform": "ebay", "settings": {"routing": routing}})),
        );
        assert_eq!(status, 201, "{s}");
        s["id"].as_i64().unwrap()
    };
    let (status, bad) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({"name": "x", "platform": "ebay", "settings": {"routing": "random"}})),
    );
    assert_eq!(status, 422, "{bad}");
    let rr = make("RR shop", "round_robin");
    let ll = make("LL shop", "least_load");
    let agent = |email: &str| {
        let (_, a) = server.call(
            "POST",
            "/api/v1/agents",
            Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["en"], "shops": [rr, ll]})),
        );
        a["id"].as_i64().unwrap()
    };
    let (ann, ben) = (agent("ann@rr.example"), agent("ben@rr.example"));
    let assignee = |shop: i64, buyer: &str| {
        let (_, m) = server.call(
            "POST",
            "/api/v1/inbound",
            Some(&inbound(shop, buyer, "Hello, is this in stock?")),
        );
        let id = m["conversation_id"].as_i64().unwrap();
        let (_, c) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
        (id, c["assignee_id"].as_i64().unwrap())
    };
    // Ann, then Ben; Ben's conversation is resolved, so Ben has the least load while Ann
    // waited longest.
    let (_, first) = assignee(rr, "b1");
    let (second_id, second) = assignee(rr, "b2");
    assert_eq!((first, second), (ann, ben));
    server.call(
        "POST",
        &format!("/api/v1/conversations/{second_id}/status"),
        Some(&json!({"status": "resolved"})),
    );
    let (_, third) = assignee(rr, "b3");
    assert_eq!(third, ann, "round robin: whoever waited longest");
    // In the least-load shop the same situation goes to the one with fewer open conversations.
    let (_, c) = server.call("GET", "/api/v1/shops", None);
    assert!(c["shops"].as_array().unwrap().len() >= 2);
    let (_, fourth) = assignee(ll, "b4");
    assert_eq!(fourth, ben, "least load: Ann holds two, Ben none");
}

/// The rules of a conversation's clocks, and the explanation of one of them.
fn clocks_of(server: &Server, created: &Value) -> Vec<(String, String)> {
    let (status, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", created["conversation_id"]),
        None,
    );
    assert_eq!(status, 200, "{conv}");
    conv["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["rule"].as_str().unwrap().to_string(),
                o["explanation"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// EBAY-HIGHVALUE-12H compares each item's unit price with the limit of the order's
/// currency (an eBay UK shop sells in GBP), and GEN-FIRST-30S opens on live chat only.
#[test]
fn high_value_clock_per_item_and_currency_and_live_chat_target_per_channel() {
    let server = Server::sqlite();
    let (status, uk) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({"name": "eBay UK", "platform": "ebay", "timezone": "Europe/London"})),
    );
    assert_eq!(status, 201, "{uk}");
    let uk = uk["id"].as_i64().unwrap();
    let order = |id: &str, total: &str, items: Value| {
        let o = json!({"shop_id": uk, "external_id": id, "total": total, "currency": "GBP",
            "paid_at": "2026-11-20T10:00:00Z", "items": items});
        let (status, body) = server.call("POST", "/api/v1/orders", Some(&o));
        assert_eq!(status, 201, "{body}");
    };
    // One camera at £450: above the pack's GBP 400 limit (US$500).
    order(
        "UK-1",
        "470.00",
        json!([{"title": "Leica M6", "quantity": 1, "unit_price": "450.00"},
               {"title": "Strap", "quantity": 1, "unit_price": "20.00"}]),
    );
    // Three £200 lenses: a £600 order, but no unit price above the limit.
    order(
        "UK-2",
        "600.00",
        json!([{"title": "Lens", "quantity": 3, "unit_price": "200.00"}]),
    );
    let ask = |handle: &str, order: &str| {
        let mut m = inbound(uk, handle, "Is this covered by warranty?");
        m["order_external_id"] = json!(order);
        let (status, created) = server.call("POST", "/api/v1/inbound", Some(&m));
        assert_eq!(status, 201, "{created}");
        clocks_of(&server, &created)
    };
    let camera = ask("rich", "UK-1");
    let hv = camera
        .iter()
        .find(|(rule, _)| rule == "EBAY-HIGHVALUE-12H")
        .unwrap_or_else(|| panic!("no high-value clock: {camera:?}"));
    assert!(
        hv.1.contains("unit price of item \"Leica M6\" (the highest of 2 items) 450.00 GBP above 400 GBP (the pack's limit for GBP, standing for 500 USD)"),
        "{}",
        hv.1
    );
    let lenses = ask("lena", "UK-2");
    assert!(
        lenses.iter().all(|(rule, _)| rule != "EBAY-HIGHVALUE-12H"),
        "{lenses:?}"
    );
    assert!(lenses.iter().any(|(rule, _)| rule == "EBAY-FRT-24H"));

    // GEN-FIRST-30S: an email to the shop of its own gets none, its web chat does; so does a
    // Taobao shop's web chat, while its marketplace chat keeps TB-FRT-5M alone.
    let own = shop(&server, "own");
    let taobao = shop(&server, "taobao");
    let first = |shop_id: i64, channel: &str, handle: &str| {
        let mut m = inbound(shop_id, handle, "Hello, is this in stock?");
        m["channel"] = json!(channel);
        let (status, created) = server.call("POST", "/api/v1/inbound", Some(&m));
        assert_eq!(status, 201, "{created}");
        clocks_of(&server, &created)
            .into_iter()
            .map(|(rule, _)| rule)
            .collect::<Vec<_>>()
    };
    let email = first(own, "email", "mail-buyer");
    assert!(!email.contains(&"GEN-FIRST-30S".to_string()), "{email:?}");
    assert!(email.contains(&"GEN-SIMPLE-5M".to_string()), "{email:?}");
    let chat = first(own, "web_chat", "chat-visitor");
    assert!(chat.contains(&"GEN-FIRST-30S".to_string()), "{chat:?}");
    let tb_chat = first(taobao, "web_chat", "tb-visitor");
    assert!(
        tb_chat.contains(&"GEN-FIRST-30S".to_string()),
        "{tb_chat:?}"
    );
    assert!(tb_chat.contains(&"TB-FRT-5M".to_string()), "{tb_chat:?}");
    let tb_market = first(taobao, "marketplace", "tb-buyer");
    assert_eq!(tb_market, ["TB-FRT-5M"]);
}

/// LOST-RESHIP-OR-REFUND waits for the parcel to be late by the pack's definition (10 days
/// after shipping without delivery): 22 hours after shipping no refund is offered or opened.
#[test]
fn a_parcel_on_its_way_is_not_lost_yet() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let ago = |hours: i64| (chrono::Utc::now() - chrono::Duration::hours(hours)).to_rfc3339();
    for (id, shipped_hours_ago) in [("E-NEW", 22), ("E-OLD", 11 * 24)] {
        let o = json!({"shop_id": ebay, "external_id": id, "total": "80.00", "currency": "USD",
            "paid_at": ago(shipped_hours_ago + 24), "shipped_at": ago(shipped_hours_ago)});
        let (status, body) = server.call("POST", "/api/v1/orders", Some(&o));
        assert_eq!(status, 201, "{body}");
    }
    let lost = |id: &str| {
        let (status, list) = server.call(
            "GET",
            &format!("/api/v1/shops/{ebay}/orders/{id}/entitlements"),
            None,
        );
        assert_eq!(status, 200, "{list}");
        list["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["rule"] == "LOST-RESHIP-OR-REFUND")
            .cloned()
            .unwrap_or_else(|| panic!("no LOST-RESHIP-OR-REFUND in {list}"))
    };
    let young = lost("E-NEW");
    assert_eq!(young["entitled"], false, "{young}");
    assert_eq!(young["reason_code"], "parcel_not_late_yet", "{young}");
    assert!(
        young["reason"]
            .as_str()
            .unwrap()
            .starts_with("not yet: the parcel is not late until "),
        "{young}"
    );
    assert!(young["reason_params"]["late_at"].is_string(), "{young}");
    let old = lost("E-OLD");
    assert_eq!(old["entitled"], true, "{old}");
    assert_eq!(old["reason_code"], "parcel_late", "{old}");
    assert_eq!(old["refund"], "80.00", "{old}");
    // The server refuses a refund case on the young parcel, and opens one on the late one.
    for (id, want) in [("E-NEW", 422), ("E-OLD", 201)] {
        let mut m = inbound(ebay, &format!("buyer-{id}"), "Where is my parcel?");
        m["order_external_id"] = json!(id);
        let (_, created) = server.call("POST", "/api/v1/inbound", Some(&m));
        let (status, case) = server.call(
            "POST",
            &format!("/api/v1/conversations/{}/cases", created["conversation_id"]),
            Some(&json!({"rule": "LOST-RESHIP-OR-REFUND", "action": "refund"})),
        );
        assert_eq!(status, want, "{id}: {case}");
    }
}

/// Issue 10 item 6 (LANG-LOCAL): a short follow-up keeps the conversation's language, one
/// Chinese line does not turn an English chat Chinese, and a first short message follows the
/// customer's known language or the shop's market before a detector's guess.
#[test]
fn short_messages_keep_the_conversations_language() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let taobao = shop(&server, "taobao");
    let post = |msg: &Value| {
        let (status, created) = server.call("POST", "/api/v1/inbound", Some(msg));
        assert_eq!(status, 201, "{created}");
        created["conversation_id"].as_i64().unwrap()
    };
    let languages = |id: i64| {
        let (status, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
        assert_eq!(status, 200, "{conv}");
        let messages: Vec<(String, Value)> = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["body"].as_str().unwrap().to_string(),
                    m["language"].clone(),
                )
            })
            .collect();
        (conv["language"].clone(), messages)
    };

    // A German buyer on an eBay US shop (whose market is English).
    let german = post(&inbound(ebay, "jonas", "Hallo, wo bleibt mein Paket?"));
    for follow_up in ["Gibt es Neuigkeiten?", "Danke, das passt.", "Super!", "ok"] {
        assert_eq!(post(&inbound(ebay, "jonas", follow_up)), german);
    }
    let (conversation, messages) = languages(german);
    assert_eq!(conversation, "de", "{messages:?}");
    for (body, language) in &messages {
        assert_eq!(language, "de", "{body:?} in a German conversation");
    }

    // An English buyer who writes one short Chinese line.
    let mut first = inbound(ebay, "sam", "Hi, where is my order?");
    first["customer"]["language"] = json!("en");
    let english = post(&first);
    assert_eq!(post(&inbound(ebay, "sam", "好的，谢谢")), english);
    assert_eq!(
        post(&inbound(ebay, "sam", "Is the 小米手环 waterproof?")),
        english
    );
    let (conversation, messages) = languages(english);
    assert_eq!(conversation, "en", "{messages:?}");
    for (body, language) in &messages {
        assert_eq!(language, "en", "{body:?} in an English conversation");
    }

    // A first message that tells nothing by itself: the customer's language, then the market.
    let mut stated = inbound(ebay, "lea", "ok super");
    stated["customer"]["language"] = json!("de");
    assert_eq!(languages(post(&stated)).0, "de");
    assert_eq!(languages(post(&inbound(taobao, "xiaoli", "hello"))).0, "zh");
    // A buyer who writes at length in another language is answered in it.
    let long = "你好，我想申请退款，因为收到的商品和描述完全不一样";
    assert_eq!(post(&inbound(ebay, "sam", long)), english);
    assert_eq!(languages(english).0, "zh");
}

/// PDD-NO-ABUSE through the API: an abusive buyer message on a Pinduoduo shop is stored with
/// a `flagged` event naming the rule and the words, opens the same clocks as any message and
/// is not refused; a merely angry buyer, and the same words on a Taobao shop, flag nothing.
#[test]
fn an_abusive_buyer_message_is_flagged_for_a_supervisor() {
    let server = Server::sqlite();
    let pdd = shop(&server, "pinduoduo");
    let taobao = shop(&server, "taobao");
    let flags = |shop_id: i64, handle: &str, body: &str| -> (Value, Vec<Value>) {
        let (status, created) = server.call(
            "POST",
            "/api/v1/inbound",
            Some(&inbound(shop_id, handle, body)),
        );
        assert_eq!(status, 201, "{created}");
        let (status, conv) = server.call(
            "GET",
            &format!("/api/v1/conversations/{}", created["conversation_id"]),
            None,
        );
        assert_eq!(status, 200, "{conv}");
        let flagged = conv["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "flagged")
            .cloned()
            .collect();
        (conv, flagged)
    };
    let (conv, flagged) = flags(pdd, "abusive", "你们这群傻逼，还不发货");
    assert_eq!(flagged.len(), 1, "{conv}");
    assert_eq!(flagged[0]["data"]["rule"], "PDD-NO-ABUSE");
    assert_eq!(flagged[0]["actor"], "rulebook");
    assert!(
        flagged[0]["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("傻逼"),
        "{flagged:?}"
    );
    assert!(
        !conv["obligations"].as_array().unwrap().is_empty(),
        "a flag changes no clock: {conv}"
    );
    let (conv, flagged) = flags(pdd, "angry", "你们太差劲了，我要投诉");
    assert!(flagged.is_empty(), "{conv}");
    let (conv, flagged) = flags(taobao, "abusive-tb", "你们这群傻逼，还不发货");
    assert!(flagged.is_empty(), "{conv}");
}

/// FEEDBACK-RATING through the API (issue 12's contract): a rating of 1..5 is taken once per
/// conversation; a second is 409, a score outside 1..5 or none is 422, and it shows in the
/// conversation's log. An agent limited to another shop cannot rate it (404).
#[test]
fn a_conversation_takes_one_rating_through_the_api() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let (status, created) = server.call(
        "POST",
        "/api/v1/inbound",
        Some(&inbound(ebay, "buyer-r", "Where is my parcel?")),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["conversation_id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{id}/rating");
    for bad in [
        json!({"score": 0}),
        json!({"score": 6}),
        json!({"comment": "ok"}),
    ] {
        let (status, body) = server.call("POST", &path, Some(&bad));
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, body) = server.call(
        "POST",
        &path,
        Some(&json!({"score": 4, "comment": "quick answer"})),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["score"], 4);
    let (status, body) = server.call("POST", &path, Some(&json!({"score": 5})));
    assert_eq!(status, 409, "{body}");
    let (_, conv) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    let rated: Vec<_> = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "csat_rated")
        .collect();
    assert_eq!(rated.len(), 1, "{conv}");
    assert_eq!(rated[0]["data"]["score"], 4);
    let (status, _) = server.call(
        "POST",
        "/api/v1/conversations/999999/rating",
        Some(&json!({"score": 3})),
    );
    assert_eq!(status, 404);
}
