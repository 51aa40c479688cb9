//! The eBay connector against the fake eBay on 127.0.0.1.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The fake platform stands for a real one: it checks timestamps against the wall clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{EBAY_TOKEN, Fake, Fault, fixture};
use kefu_connect::{
    ConnectError, Connector, Credentials, EbayCredentials, Kind, Pull, ReplyTarget, connector,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Just after the last message of the first batch (07:45:10 on the 11th).
fn first_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 8, 0, 0).unwrap()
}

fn second_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 16, 0, 0).unwrap()
}

fn ebay(fake: &Fake, token: &str) -> Box<dyn Connector> {
    let mut creds = EbayCredentials::new(token);
    creds.site_id = 77;
    creds.marketplace_id = "EBAY_DE".into();
    creds.app_id = Some("AcmeDesk-kefu-PRD-1a2b3c4d5-6e7f8a9b".into());
    connector(Kind::Ebay, &fake.base, Credentials::Ebay(creds))
}

async fn first_pull(fake: &Fake) -> (Box<dyn Connector>, Pull) {
    let c = ebay(fake, EBAY_TOKEN);
    let pull = c.pull(None, first_now()).await.expect("first pull");
    (c, pull)
}

#[tokio::test]
async fn pull_parses_messages_orders_and_returns() {
    let fake = Fake::start().await;
    let (c, pull) = first_pull(&fake).await;
    fake.assert_no_problems();
    assert_eq!(c.platform(), kefu_core::Platform::Ebay);

    // Two pages of GetMemberMessages, with the window the cursor implies.
    let calls = fake.calls("GetMemberMessages");
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].params["PageNumber"], "1");
    assert_eq!(calls[1].params["PageNumber"], "2");
    assert_eq!(
        calls[0].params["StartCreationTime"],
        "2025-02-09T08:00:00.000Z"
    );
    assert_eq!(
        calls[0].params["EndCreationTime"],
        "2025-03-11T08:00:00.000Z"
    );

    // Five exchanges, one of them the seller's own: four buyer messages, oldest first.
    let ids: Vec<&str> = pull
        .messages
        .iter()
        .map(|m| m.external_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["2847561001", "2847561003", "2847561004", "2847561005"]
    );
    assert!(
        pull.messages
            .iter()
            .all(|m| m.buyer_handle != "acme_gadgets_de")
    );

    let de = &pull.messages[0];
    assert_eq!(de.buyer_handle, "jens.k_78");
    assert_eq!(de.buyer_name, None);
    assert_eq!(
        de.body,
        "Hallo, ist der Akku austauschbar? Und liefern Sie Akku & Ladegerät auch nach Österreich? Grüße, Jens"
    );
    assert_eq!(de.received_at, t("2025-03-10T08:15:42Z"));
    assert_eq!(
        de.thread,
        ReplyTarget::Ebay {
            item_id: "394857261001".into(),
            parent_message_id: "2847561001".into(),
            recipient_id: "jens.k_78".into(),
        }
    );
    // Tied to the buyer's order of that listing.
    assert_eq!(de.order_external_id.as_deref(), Some("07-11223-44556"));

    let zh = &pull.messages[1];
    assert_eq!(zh.buyer_handle, "wang_li_2019");
    assert_eq!(
        zh.body,
        "你好，我上周买的无人机还没有发货，请问什么时候可以发出？订单号 12-34567-89012。"
    );
    assert_eq!(zh.order_external_id.as_deref(), Some("12-34567-89012"));

    let en = &pull.messages[2];
    assert_eq!(
        en.body,
        "Hi! Does the drone come with a spare battery? I'm thinking about ordering two <one for my brother>."
    );
    assert_eq!(en.order_external_id, None, "sarah has not bought anything");
    assert_eq!(
        pull.messages[3].order_external_id.as_deref(),
        Some("07-11223-44556")
    );

    // Orders: the modified one (shipped, with tracking) and the one the Chinese message names.
    assert_eq!(pull.orders.len(), 2, "{:#?}", pull.orders);
    let shipped = pull
        .orders
        .iter()
        .find(|o| o.external_id == "07-11223-44556")
        .unwrap();
    assert_eq!(shipped.total.to_string(), "89.90 EUR");
    assert_eq!(shipped.buyer_handle.as_deref(), Some("jens.k_78"));
    assert_eq!(shipped.paid_at, t("2025-03-04T19:22:10Z"));
    assert_eq!(shipped.shipped_at, Some(t("2025-03-05T14:02:11Z")));
    assert_eq!(shipped.carrier.as_deref(), Some("DHL"));
    assert_eq!(
        shipped.tracking_number.as_deref(),
        Some("00340434161094042557")
    );
    assert_eq!(shipped.delivered_at, None);
    assert_eq!(shipped.promised_ship_by, Some(t("2025-03-06T22:59:59Z")));
    assert_eq!(shipped.status.as_deref(), Some("FULFILLED"));
    assert_eq!(shipped.item_ids, ["394857261001"]);

    let big = pull
        .orders
        .iter()
        .find(|o| o.external_id == "12-34567-89012")
        .unwrap();
    assert_eq!(big.total.to_string(), "649.99 USD");
    assert!(big.total.amount > kefu_core::Money::parse("500", "USD").unwrap().amount);
    assert_eq!(big.shipped_at, None);
    assert_eq!(big.tracking_number, None);
    assert_eq!(big.paid_at, t("2025-03-03T06:11:25Z"));
    assert_eq!(big.promised_ship_by, Some(t("2025-03-06T23:59:59Z")));
    let by_id = fake.calls("GET /sell/fulfillment/v1/order");
    assert!(
        by_id
            .iter()
            .any(|r| r.params.get("orderIds").map(String::as_str) == Some("12-34567-89012")),
        "{by_id:#?}"
    );
    assert_eq!(
        by_id[0].params["filter"],
        "lastmodifieddate:[2025-02-09T08:00:00.000Z..]"
    );
    // Only the order that started shipping was asked for its fulfillments.
    let ship = fake.calls("GET shipping_fulfillment");
    assert_eq!(ship.len(), 1);
    assert_eq!(ship[0].params["orderId"], "07-11223-44556");

    // The return request.
    assert_eq!(pull.returns.len(), 1);
    let r = &pull.returns[0];
    assert_eq!(r.external_id, "5098765432");
    assert_eq!(r.order_external_id.as_deref(), Some("07-11223-44556"));
    assert_eq!(r.buyer_handle, "jens.k_78");
    assert_eq!(r.reason.as_deref(), Some("DEFECTIVE_ITEM"));
    assert_eq!(r.return_type.as_deref(), Some("MONEY_BACK"));
    assert_eq!(r.state, "RETURN_REQUESTED");
    assert_eq!(r.item_id.as_deref(), Some("394857261001"));
    assert_eq!(r.created_at, t("2025-03-10T16:40:00Z"));
    assert_eq!(
        r.comments.as_deref(),
        Some("Der linke Ohrhörer hat nach zwei Tagen keinen Ton mehr.")
    );
    assert_eq!(r.estimated_refund.unwrap().to_string(), "89.90 EUR");
    assert!(r.summary().contains("DEFECTIVE_ITEM") && r.summary().contains("07-11223-44556"));
    let ret = fake.calls("GET /post-order/v2/return/search");
    assert_eq!(
        ret[0].params["creation_date_range_from"],
        "2025-02-09T08:00:00.000Z"
    );
    assert_eq!(ret[0].params["offset"], "1");

    // The pull round-trips through JSON (the desk may queue it).
    let json = serde_json::to_string(&pull).unwrap();
    let back: Pull = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pull);
}

#[tokio::test]
async fn cursor_round_trip_returns_only_new_items() {
    let fake = Fake::start().await;
    let (c, first) = first_pull(&fake).await;
    let cursor = first.cursor.clone().expect("a cursor");

    fake.set_phase(2);
    fake.clear_requests();
    let second = c.pull(Some(&cursor), second_now()).await.unwrap();
    fake.assert_no_problems();

    // The page repeats message 5 (same millisecond as the cursor): it is not delivered again.
    let ids: Vec<&str> = second
        .messages
        .iter()
        .map(|m| m.external_id.as_str())
        .collect();
    assert_eq!(ids, ["2847561006"]);
    assert_eq!(
        second.messages[0].body,
        "看到已经发货了，谢谢！请问遥控器的电池是原装的吗？"
    );
    let gm = fake.calls("GetMemberMessages");
    assert_eq!(gm.len(), 1);
    assert_eq!(
        gm[0].params["StartCreationTime"],
        "2025-03-11T07:45:10.000Z"
    );
    assert_eq!(gm[0].params["EndCreationTime"], "2025-03-11T16:00:00.000Z");

    // Orders: the unchanged one is not repeated; the drone order shipped meanwhile.
    assert_eq!(second.orders.len(), 1, "{:#?}", second.orders);
    let o = &second.orders[0];
    assert_eq!(o.external_id, "12-34567-89012");
    assert_eq!(o.status.as_deref(), Some("IN_PROGRESS"));
    assert_eq!(o.carrier.as_deref(), Some("UPS"));
    assert_eq!(o.tracking_number.as_deref(), Some("1Z999AA10123456784"));
    assert_eq!(o.shipped_at, Some(t("2025-03-11T09:29:58Z")));
    assert_eq!(
        second.messages[0].order_external_id.as_deref(),
        Some("12-34567-89012")
    );
    let orders = fake.calls("GET /sell/fulfillment/v1/order");
    assert_eq!(
        orders[0].params["filter"],
        "lastmodifieddate:[2025-03-05T14:02:30.000Z..]"
    );

    // The same return is on the platform's page again; it is not new.
    assert!(second.returns.is_empty());
    let ret = fake.calls("GET /post-order/v2/return/search");
    assert_eq!(
        ret[0].params["creation_date_range_from"],
        "2025-03-10T16:40:00.000Z"
    );

    // And a third pull over the same data finds nothing at all.
    let third = c
        .pull(
            second.cursor.as_deref(),
            second_now() + chrono::TimeDelta::minutes(1),
        )
        .await
        .unwrap();
    assert!(third.messages.is_empty() && third.orders.is_empty() && third.returns.is_empty());
    fake.assert_no_problems();
}

#[tokio::test]
async fn push_reply_answers_the_question_on_its_thread() {
    let fake = Fake::start().await;
    let (c, pull) = first_pull(&fake).await;
    let question = &pull.messages[1];
    let body =
        "您好！无人机今天发货，UPS 单号稍后提供。Drone ships today <UPS> & tracking follows.";
    let id = c.push_reply(&question.thread, body).await.unwrap();
    assert_eq!(id, "", "AddMemberMessageRTQ returns no message id");
    fake.assert_no_problems();
    let sent = fake.calls("AddMemberMessageRTQ");
    assert_eq!(sent.len(), 1);
    let p = &sent[0].params;
    assert_eq!(p["ItemID"], "394857261002");
    assert_eq!(p["ParentMessageID"], "2847561003");
    assert_eq!(p["RecipientID"], "wang_li_2019");
    assert_eq!(p["Body"], body);
    assert_eq!(p["DisplayToPublic"], "false");

    // The ReplyTarget survives being stored as JSON by the desk.
    let stored = serde_json::to_string(&question.thread).unwrap();
    let target: ReplyTarget = serde_json::from_str(&stored).unwrap();
    c.push_reply(&target, "Second answer").await.unwrap();
    assert_eq!(fake.calls("AddMemberMessageRTQ").len(), 2);
}

#[tokio::test]
async fn push_reply_refuses_what_ebay_would_refuse() {
    let fake = Fake::start().await;
    let c = ebay(&fake, EBAY_TOKEN);
    let target = ReplyTarget::Ebay {
        item_id: "394857261001".into(),
        parent_message_id: "2847561001".into(),
        recipient_id: "jens.k_78".into(),
    };
    let long = "ä".repeat(1001);
    let err = c.push_reply(&target, &long).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected(ref m) if m.contains("1000")),
        "{err:?}"
    );
    let err = c.push_reply(&target, "   ").await.unwrap_err();
    assert!(matches!(err, ConnectError::Rejected(_)));
    let other = ReplyTarget::Aliexpress {
        channel_id: "1".into(),
        buyer_login_id: "x".into(),
        message_type: "member".into(),
        extern_id: "0".into(),
    };
    assert!(matches!(
        c.push_reply(&other, "hi").await,
        Err(ConnectError::Rejected(_))
    ));
    assert!(fake.requests().is_empty(), "nothing was sent");

    // The platform's own refusal is Rejected too. (The error code in this fixture is
    // illustrative: eBay does not publish one list of AddMemberMessageRTQ refusals.)
    *fake.state.reject_rtq.lock().unwrap() = true;
    let err = c
        .push_reply(&target, "Ja, der Akku ist austauschbar.")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected(ref m) if m.contains("answered")),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_token_is_auth() {
    let fake = Fake::start().await;
    let c = ebay(&fake, "v^1.1#expired-token");
    let err = c.pull(None, first_now()).await.unwrap_err();
    match err {
        ConnectError::Auth(m) => assert!(m.contains("931"), "{m}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    // A REST 401 with eBay's OAuth error body is Auth as well.
    fake.set_fault(Some(Fault::new(
        "/sell/fulfillment",
        401,
        "application/json",
        &fixture("ebay", "rest_error_invalid_token.json"),
    )));
    let c = ebay(&fake, EBAY_TOKEN);
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(ref m) if m.contains("Invalid access token")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unavailable_is_transient() {
    let fake = Fake::start().await;
    fake.set_fault(Some(Fault::new(
        "/ws/api.dll",
        503,
        "text/html",
        "<html><body><h1>503 Service Unavailable</h1></body></html>",
    )));
    let c = ebay(&fake, EBAY_TOKEN);
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Transient(ref m) if m.contains("503")),
        "{err:?}"
    );

    // Nobody listening at all.
    let dead = connector(
        Kind::Ebay,
        "http://127.0.0.1:9",
        Credentials::Ebay(EbayCredentials::new(EBAY_TOKEN)),
    );
    let err = dead.pull(None, first_now()).await.unwrap_err();
    assert!(matches!(err, ConnectError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let fake = Fake::start().await;
    let c = ebay(&fake, EBAY_TOKEN);
    fake.set_fault(Some(
        Fault::new(
            "/post-order",
            429,
            "application/json",
            &fixture("ebay", "rest_error_rate_limited.json"),
        )
        .header("Retry-After", "42"),
    ));
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert_eq!(
        err,
        ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(42))
        }
    );
    // Trading's "call usage limit" comes as an error code in a 200 response.
    fake.set_fault(Some(Fault::new(
        "/ws/api.dll",
        200,
        "text/xml",
        &fixture("ebay", "error_518.xml"),
    )));
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert_eq!(err, ConnectError::RateLimited { retry_after: None });
}

#[tokio::test]
async fn malformed_responses_are_reported_not_panicked_on() {
    let fake = Fake::start().await;
    let c = ebay(&fake, EBAY_TOKEN);
    let p1 = fixture("ebay", "get_member_messages_p1.xml");
    let cases: Vec<(&str, String, &str)> = vec![
        ("/ws/api.dll", p1[..p1.len() / 2].to_string(), "text/xml"),
        (
            "/ws/api.dll",
            "<html><body>Bad gateway</body></html>".into(),
            "text/html",
        ),
        (
            "/ws/api.dll",
            "{\"Ack\":\"Success\"}".into(),
            "application/json",
        ),
        ("/ws/api.dll", String::new(), "text/xml"),
        (
            "/ws/api.dll",
            p1.replace(
                "<CreationDate>2025-03-10T08:15:42.000Z",
                "<CreationDate>10/03/2025 08:15",
            ),
            "text/xml",
        ),
        (
            "/sell/fulfillment",
            "{\"orders\": [{\"orderId\": 7}]}".into(),
            "application/json",
        ),
        (
            "/sell/fulfillment",
            "{\"orders\": [".into(),
            "application/json",
        ),
        (
            "/sell/fulfillment",
            fixture("ebay", "orders_modified.json").replace("\"EUR\"", "\"XXX\""),
            "application/json",
        ),
        ("/post-order", "not json".into(), "text/plain"),
        (
            "/post-order",
            fixture("ebay", "returns_search.json").replace("\"creationDate\"", "\"created\""),
            "application/json",
        ),
    ];
    for (path, body, ct) in cases {
        fake.set_fault(Some(Fault::new(path, 200, ct, &body)));
        let err = c.pull(None, first_now()).await.unwrap_err();
        assert!(
            matches!(err, ConnectError::Malformed(_)),
            "{path} {:?}: {err:?}",
            body.chars().take(60).collect::<String>()
        );
    }
}

#[tokio::test]
async fn a_cursor_from_elsewhere_is_refused_clearly() {
    let fake = Fake::start().await;
    let c = ebay(&fake, EBAY_TOKEN);
    let err = c.pull(Some("not-a-cursor"), first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected(ref m) if m.contains("cursor")),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn every_truncation_of_a_page_is_an_error_or_a_result_never_a_panic() {
    let fake = Fake::start().await;
    let c = ebay(&fake, EBAY_TOKEN);
    for (path, name, ct) in [
        ("/ws/api.dll", "get_member_messages_p1.xml", "text/xml"),
        (
            "/sell/fulfillment",
            "orders_modified.json",
            "application/json",
        ),
        ("/post-order", "returns_search.json", "application/json"),
    ] {
        let bytes = fixture("ebay", name).into_bytes();
        for n in (0..bytes.len()).step_by(61) {
            let body = String::from_utf8_lossy(&bytes[..n]).into_owned();
            fake.set_fault(Some(Fault::new(path, 200, ct, &body)));
            match c.pull(None, first_now()).await {
                Ok(_) | Err(ConnectError::Malformed(_)) => {}
                Err(other) => panic!("{name} cut at {n}: {other:?}"),
            }
        }
    }
}
