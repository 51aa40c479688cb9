//! The AliExpress connector against the fake open-platform gateway on 127.0.0.1.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The fake platform stands for a real one: it checks timestamps against the wall clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{AE_APP_KEY, AE_SECRET, AE_SELLER, AE_TOKEN, Fake, Fault, fixture};
use kefu_connect::{
    AliExpressCredentials, ConnectError, Connector, Credentials, Kind, ReplyTarget, SignMethod,
    connector,
};

const RELATIONS: &str = "aliexpress.message.redefining.versiontwo.querymsgrelationlist";
const DETAILS: &str = "aliexpress.message.redefining.versiontwo.querymsgdetaillist";
const ADD: &str = "aliexpress.message.redefining.versiontwo.addmsg";

fn ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).unwrap()
}

fn first_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 12, 0, 0).unwrap()
}

fn second_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 16, 0, 0).unwrap()
}

fn creds(secret: &str, token: &str, method: SignMethod) -> Credentials {
    let mut c = AliExpressCredentials::new(AE_APP_KEY, secret, token);
    c.seller_login_id = Some(AE_SELLER.into());
    c.sign_method = method;
    Credentials::Aliexpress(c)
}

fn ae(fake: &Fake) -> Box<dyn Connector> {
    connector(
        Kind::AliExpress,
        &fake.base,
        creds(AE_SECRET, AE_TOKEN, SignMethod::Sha256),
    )
}

#[tokio::test]
async fn pull_keeps_the_buyers_messages() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    assert_eq!(c.platform(), kefu_core::Platform::Aliexpress);
    let pull = c.pull(None, first_now()).await.unwrap();
    fake.assert_no_problems();

    // The relation list was asked for the look-back window, in epoch milliseconds.
    let rel = fake.calls(RELATIONS);
    assert_eq!(rel.len(), 1);
    let q: serde_json::Value = serde_json::from_str(&rel[0].params["query"]).unwrap();
    assert_eq!(q["start_time"], 1_739_016_000_000i64);
    assert_eq!(q["end_time"], 1_741_608_000_000i64);
    assert_eq!(fake.calls(DETAILS).len(), 2);

    // Two seller messages skipped, three buyer messages kept, oldest first.
    let ids: Vec<&str> = pull
        .messages
        .iter()
        .map(|m| m.external_id.as_str())
        .collect();
    assert_eq!(ids, ["9001001", "9001002", "9002001"]);
    let first = &pull.messages[0];
    assert_eq!(first.buyer_handle, "de1234567abcd");
    assert_eq!(first.buyer_name.as_deref(), Some("Klaus Becker"));
    assert_eq!(
        first.body,
        "Hallo, ich habe gestern bestellt. Können Sie an eine Packstation liefern? Packstation 123, 10115 Berlin."
    );
    assert_eq!(first.received_at, ms(1_741_597_920_000));
    assert_eq!(first.order_external_id.as_deref(), Some("8123456789012345"));
    assert_eq!(
        first.thread,
        ReplyTarget::Aliexpress {
            channel_id: "3004998877001".into(),
            buyer_login_id: "de1234567abcd".into(),
            message_type: "order".into(),
            extern_id: "8123456789012345".into(),
        }
    );
    let zh = &pull.messages[2];
    assert_eq!(zh.buyer_name.as_deref(), Some("李娜"));
    assert_eq!(zh.body, "你好，请问这款手机壳有黑色的吗？什么时候能发货？");
    assert_eq!(zh.order_external_id, None, "a product question, no order");
    assert_eq!(
        zh.thread,
        ReplyTarget::Aliexpress {
            channel_id: "3004998877002".into(),
            buyer_login_id: "cn88776655".into(),
            message_type: "product".into(),
            extern_id: "1005004455667788".into(),
        }
    );
    assert!(pull.orders.is_empty() && pull.returns.is_empty());
}

#[tokio::test]
async fn cursor_round_trip_returns_only_new_messages() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    let first = c.pull(None, first_now()).await.unwrap();
    fake.set_phase(2);
    fake.clear_requests();
    let second = c.pull(first.cursor.as_deref(), second_now()).await.unwrap();
    fake.assert_no_problems();
    let ids: Vec<&str> = second
        .messages
        .iter()
        .map(|m| m.external_id.as_str())
        .collect();
    assert_eq!(ids, ["9001004"]);
    assert_eq!(
        second.messages[0].body,
        "Danke! Das Paket ist angekommen, aber die Farbe ist falsch (bestellt: schwarz, geliefert: weiß)."
    );
    // The window starts at the newest message seen, the seller's own reply at 11:10.
    let rel = fake.calls(RELATIONS);
    let q: serde_json::Value = serde_json::from_str(&rel[0].params["query"]).unwrap();
    assert_eq!(q["start_time"], 1_741_605_000_000i64);
    assert_eq!(q["end_time"], 1_741_708_800_000i64);

    let third = c
        .pull(second.cursor.as_deref(), second_now())
        .await
        .unwrap();
    assert!(third.messages.is_empty());
}

#[tokio::test]
async fn push_reply_is_signed_and_addressed() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    let pull = c.pull(None, first_now()).await.unwrap();
    let body = "Guten Tag Herr Becker, Ihr Paket liegt im Verteilzentrum Leipzig & kommt morgen.";
    let id = c.push_reply(&pull.messages[1].thread, body).await.unwrap();
    assert_eq!(id, "");
    fake.assert_no_problems();
    let sent = fake.calls(ADD);
    assert_eq!(sent.len(), 1);
    let create: serde_json::Value = serde_json::from_str(&sent[0].params["create_param"]).unwrap();
    assert_eq!(create["buyer_id"], "de1234567abcd");
    assert_eq!(create["content"], body);
    assert_eq!(create["message_type"], "order");
    assert_eq!(create["extern_id"], 8_123_456_789_012_345i64);
    assert_eq!(create["seller_id"], AE_SELLER);
    assert_eq!(sent[0].params["sign_method"], "sha256");
    assert_eq!(sent[0].params["access_token"], AE_TOKEN);

    let zh = c
        .push_reply(
            &pull.messages[2].thread,
            "您好，黑色有现货，今天下单明天发货。",
        )
        .await;
    assert_eq!(zh.unwrap(), "");
    let create: serde_json::Value =
        serde_json::from_str(&fake.calls(ADD)[1].params["create_param"]).unwrap();
    assert_eq!(create["message_type"], "product");
    assert_eq!(create["extern_id"], 1_005_004_455_667_788i64);
}

#[tokio::test]
async fn top_dialect_signs_with_md5_and_hmac() {
    let fake = Fake::start().await;
    for method in [SignMethod::Md5, SignMethod::HmacMd5] {
        fake.clear_requests();
        let c = connector(
            Kind::AliExpress,
            &format!("{}/router/rest", fake.base),
            creds(AE_SECRET, AE_TOKEN, method),
        );
        let pull = c.pull(None, first_now()).await.unwrap();
        assert_eq!(pull.messages.len(), 3, "{method:?}");
        let rel = fake.calls(RELATIONS);
        assert_eq!(rel[0].path, "/router/rest");
        assert_eq!(rel[0].params["sign_method"], method.as_str());
        assert_eq!(rel[0].params["session"], AE_TOKEN);
    }
    fake.assert_no_problems();
}

#[tokio::test]
async fn a_wrong_signature_or_token_is_auth() {
    let fake = Fake::start().await;
    let c = connector(
        Kind::AliExpress,
        &fake.base,
        creds("not-the-app-secret", AE_TOKEN, SignMethod::Sha256),
    );
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(ref m) if m.contains("IncompleteSignature")),
        "{err:?}"
    );

    let c = connector(
        Kind::AliExpress,
        &fake.base,
        creds(AE_SECRET, "50000800expired", SignMethod::Sha256),
    );
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(ref m) if m.contains("IllegalAccessToken")),
        "{err:?}"
    );
    let target = ReplyTarget::Aliexpress {
        channel_id: "3004998877001".into(),
        buyer_login_id: "de1234567abcd".into(),
        message_type: "order".into(),
        extern_id: "8123456789012345".into(),
    };
    assert!(matches!(
        c.push_reply(&target, "Hallo").await,
        Err(ConnectError::Auth(_))
    ));
    fake.assert_no_problems();
}

#[tokio::test]
async fn rate_limit_and_outages() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    fake.set_fault(Some(Fault::new(
        "/sync",
        200,
        "application/json",
        &fixture("aliexpress", "error_app_call_limited.json"),
    )));
    assert_eq!(
        c.pull(None, first_now()).await.unwrap_err(),
        ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(12))
        }
    );
    fake.set_fault(Some(
        Fault::new("/sync", 429, "text/plain", "Too Many Requests").header("Retry-After", "30"),
    ));
    assert_eq!(
        c.pull(None, first_now()).await.unwrap_err(),
        ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    fake.set_fault(Some(Fault::new(
        "/sync",
        503,
        "text/html",
        "<html>Service Unavailable</html>",
    )));
    assert!(matches!(
        c.pull(None, first_now()).await,
        Err(ConnectError::Transient(_))
    ));
    fake.set_fault(Some(Fault::new(
        "/sync",
        200,
        "application/json",
        &fixture("aliexpress", "error_remote_service.json"),
    )));
    assert!(matches!(
        c.pull(None, first_now()).await,
        Err(ConnectError::Transient(_))
    ));
}

#[tokio::test]
async fn malformed_responses_are_reported_not_panicked_on() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    let relations = fixture("aliexpress", "relations.json");
    let cases = [
        relations[..relations.len() / 3].to_string(),
        "<html>gateway</html>".to_string(),
        "[]".to_string(),
        "{}".to_string(),
        r#"{"some_other_method_response": {"result": {"is_success": true}}}"#.to_string(),
        relations.replace("\"result\"", "\"outcome\""),
        relations.replace("1741600000000", "\"yesterday\""),
        relations.replace("\"channel_id\": \"3004998877001\",", ""),
    ];
    for body in cases {
        fake.set_fault(Some(Fault::new("/sync", 200, "application/json", &body)));
        let err = c.pull(None, first_now()).await.unwrap_err();
        assert!(
            matches!(err, ConnectError::Malformed(_)),
            "{:?}: {err:?}",
            body.chars().take(60).collect::<String>()
        );
    }
}

#[tokio::test]
async fn business_failures_are_rejected() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    fake.set_fault(Some(Fault::new(
        "/sync",
        200,
        "application/json",
        r#"{"aliexpress_message_redefining_versiontwo_querymsgrelationlist_response":{"result":{"is_success":false,"error_code":10006,"error_msg":"page_size out of range"},"request_id":"x"}}"#,
    )));
    let err = c.pull(None, first_now()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected(ref m) if m.contains("page_size")),
        "{err:?}"
    );
    fake.set_fault(None);
    let bad = ReplyTarget::Aliexpress {
        channel_id: "1".into(),
        buyer_login_id: "x".into(),
        message_type: "order".into(),
        extern_id: "not-a-number".into(),
    };
    assert!(matches!(
        c.push_reply(&bad, "hi").await,
        Err(ConnectError::Rejected(_))
    ));
    let ebay_target = ReplyTarget::Ebay {
        item_id: "1".into(),
        parent_message_id: "2".into(),
        recipient_id: "bob".into(),
    };
    assert!(matches!(
        c.push_reply(&ebay_target, "hi").await,
        Err(ConnectError::Rejected(_))
    ));
    assert!(fake.calls(ADD).is_empty());
}

#[tokio::test]
async fn every_truncation_of_a_page_is_an_error_or_a_result_never_a_panic() {
    let fake = Fake::start().await;
    let c = ae(&fake);
    for name in [
        "relations.json",
        "details_3004998877001.json",
        "addmsg.json",
    ] {
        let bytes = fixture("aliexpress", name).into_bytes();
        for n in (0..bytes.len()).step_by(37) {
            let body = String::from_utf8_lossy(&bytes[..n]).into_owned();
            fake.set_fault(Some(Fault::new("/sync", 200, "application/json", &body)));
            match c.pull(None, first_now()).await {
                Ok(_) | Err(ConnectError::Malformed(_)) => {}
                Err(other) => panic!("{name} cut at {n}: {other:?}"),
            }
        }
    }
}
