//! One behaviour, every backend: the store tests written once and run by each backend's test
//! file against a real database (a temporary SQLite file, a throwaway PostgreSQL database).
//!
//! Each function takes a fresh, empty store and panics with a message on any difference.

// A test suite, not source: each scenario reads best as one function (issue 11's 100-line
// bar is for code outside tests), and a few stamps of bookkeeping take the wall clock.
#![allow(clippy::too_many_lines, clippy::disallowed_methods)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use kefu_core::{
    Channel, ConversationStatus, Money, ObligationState, Platform, Role, Severity, event_kind,
};

use crate::{
    ClockStart, DEFAULT_TENANT, Inbound, NewAgent, NewObligation, NewOrder, NewReply, NewShop,
    ObligationFilter, StatusChange, Store, StoreError,
};

/// Every conformance check, by name, so backends run them all and a new one cannot be missed.
/// One conformance check: takes a fresh store, panics on any difference.
pub type Check = for<'a> fn(&'a Arc<dyn Store>) -> BoxFuture<'a>;

pub const ALL: &[(&str, Check)] = &[
    ("mail_cursors_are_kept_per_mailbox", |s| {
        Box::pin(mail_cursors_are_kept_per_mailbox(s))
    }),
    ("shops", |s| Box::pin(shops(s))),
    ("ingest_continues_the_buyers_conversation", |s| {
        Box::pin(ingest_continues_the_buyers_conversation(s))
    }),
    ("a_buyers_known_languages", |s| {
        Box::pin(a_buyers_known_languages(s))
    }),
    ("external_id_makes_retries_idempotent", |s| {
        Box::pin(external_id_makes_retries_idempotent(s))
    }),
    ("unknown_shop_is_not_found", |s| {
        Box::pin(unknown_shop_is_not_found(s))
    }),
    ("obligations_open_and_close", |s| {
        Box::pin(obligations_open_and_close(s))
    }),
    ("status_changes_and_reopening", |s| {
        Box::pin(status_changes_and_reopening(s))
    }),
    ("orders_upsert_and_link", |s| {
        Box::pin(orders_upsert_and_link(s))
    }),
    ("unproved_order_claims_stay_apart", |s| {
        Box::pin(unproved_order_claims_stay_apart(s))
    }),
    ("agents_and_tokens", |s| Box::pin(agents_and_tokens(s))),
    ("concurrent_ingest_keeps_one_conversation_per_buyer", |s| {
        Box::pin(concurrent_ingest(s))
    }),
    ("faqs_are_kept_per_shop_key_and_language", |s| {
        Box::pin(faqs_are_kept_per_shop_key_and_language(s))
    }),
    ("connectors_and_their_outbox", |s| {
        Box::pin(connectors_and_their_outbox(s))
    }),
    ("sign_in_lockout_and_sessions", |s| {
        Box::pin(sign_in_lockout_and_sessions(s))
    }),
    ("the_supervisors_overview", |s| {
        Box::pin(the_supervisors_overview(s))
    }),
    ("aftersales_cases_keep_their_state", |s| {
        Box::pin(aftersales_cases_keep_their_state(s))
    }),
    ("high_value_orders_go_to_their_team", |s| {
        Box::pin(high_value_orders_go_to_their_team(s))
    }),
    ("the_plan_is_applied_as_data", |s| {
        Box::pin(the_plan_is_applied_as_data(s))
    }),
    ("due_obligations_are_breached_once", |s| {
        Box::pin(due_obligations_are_breached_once(s))
    }),
    ("status_changes_and_triggers_move_clocks", |s| {
        Box::pin(status_changes_and_triggers_move_clocks(s))
    }),
    ("email_replies_go_through_the_outbox", |s| {
        Box::pin(email_replies_go_through_the_outbox(s))
    }),
    ("conversations_are_routed_to_available_agents", |s| {
        Box::pin(conversations_are_routed_to_available_agents(s))
    }),
    ("routing_modes_and_room", |s| {
        Box::pin(routing_modes_and_room(s))
    }),
];

pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn shop(store: &Arc<dyn Store>, name: &str, platform: Platform) -> i64 {
    store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: name.into(),
            platform,
            timezone: platform.default_timezone().into(),
            currency: platform.default_currency().into(),
            pack: platform.default_pack().into(),
            settings: serde_json::json!({"first_response_target_hours": 3}),
        })
        .await
        .expect("create shop")
        .id
}

fn inbound(shop_id: i64, handle: &str, body: &str, at: &str) -> Inbound {
    Inbound {
        shop_id,
        channel: Channel::Marketplace,
        customer_handle: handle.into(),
        customer_name: Some(format!("Buyer {handle}")),
        customer_language: None,
        order_external_id: None,
        body: body.into(),
        language: Some("en".into()),
        received_at: t(at),
        external_id: None,
        first_contact_obligations: vec![],
        follow_up_obligations: vec![],
        high_value: false,
        flags: vec![],
        redactions: vec![],
        reply_to: None,
    }
}

fn reply(conversation_id: i64, at: &str, closes: &[&str]) -> NewReply {
    NewReply {
        conversation_id,
        agent_id: None,
        actor: "test".into(),
        body: "We are sending a replacement today.".into(),
        at: t(at),
        closes_clocks: closes
            .iter()
            .map(|s| s.parse().expect("a clock name"))
            .collect(),
        guard_override: None,
        automatic: false,
    }
}

pub async fn shops(store: &Arc<dyn Store>) {
    let id = shop(store, "Taobao flagship", Platform::Taobao).await;
    let got = store.shop(id).await.unwrap().expect("shop exists");
    assert_eq!(got.name, "Taobao flagship");
    assert_eq!(got.platform, Platform::Taobao);
    assert_eq!(got.timezone, "Asia/Shanghai");
    assert_eq!(got.pack, "taobao");
    assert_eq!(got.settings["first_response_target_hours"], 3);
    shop(store, "eBay US", Platform::Ebay).await;
    let all = store.shops(DEFAULT_TENANT).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(store.shop(9999).await.unwrap().is_none());
    let err = store
        .create_shop(NewShop {
            tenant_id: 42,
            name: "x".into(),
            platform: Platform::Own,
            timezone: "UTC".into(),
            currency: "USD".into(),
            pack: "generic".into(),
            settings: serde_json::json!({}),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

/// What ingest reads before deciding a short message's language: the customer's stored
/// language and their latest conversation's, per shop and handle.
pub async fn a_buyers_known_languages(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay DE", Platform::Ebay).await;
    let other = shop(store, "eBay US", Platform::Ebay).await;
    assert_eq!(
        store.buyer_language(s, "jonas").await.unwrap(),
        crate::BuyerLanguage::default(),
        "a buyer never seen has no known language"
    );
    let mut first = inbound(s, "jonas", "Wo ist mein Paket?", "2026-11-11T10:00:00Z");
    first.language = Some("de".into());
    let a = store.ingest(first).await.unwrap();
    let known = store.buyer_language(s, "jonas").await.unwrap();
    assert_eq!(known.conversation.as_deref(), Some("de"));
    assert_eq!(known.customer, None);
    // A stated language is kept on the customer; the latest conversation's language is read
    // even once it is closed (the buyer writes the same language in the next one).
    let mut stated = inbound(s, "jonas", "ok", "2026-11-11T10:05:00Z");
    stated.language = None;
    stated.customer_language = Some("de-AT".into());
    store.ingest(stated).await.unwrap();
    store
        .set_status(StatusChange {
            conversation_id: a.conversation_id,
            status: ConversationStatus::Closed,
            actor: "test".into(),
            at: t("2026-11-12T10:00:00Z"),
            reason: None,
            closes_clocks: vec![],
            opens: vec![],
        })
        .await
        .unwrap();
    let known = store.buyer_language(s, "jonas").await.unwrap();
    assert_eq!(known.customer.as_deref(), Some("de-AT"));
    // A message without a language of its own gives the conversation the stated one.
    assert_eq!(known.conversation.as_deref(), Some("de-AT"));
    // The same handle in another shop is another buyer.
    assert_eq!(
        store.buyer_language(other, "jonas").await.unwrap(),
        crate::BuyerLanguage::default()
    );
}

pub async fn ingest_continues_the_buyers_conversation(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay US", Platform::Ebay).await;
    let a = store
        .ingest(inbound(
            s,
            "alice",
            "Where is my parcel?",
            "2026-11-11T10:00:00Z",
        ))
        .await
        .unwrap();
    assert!(a.new_conversation && !a.duplicate);
    let b = store
        .ingest(inbound(s, "alice", "Any news?", "2026-11-11T10:05:00Z"))
        .await
        .unwrap();
    assert_eq!(
        a.conversation_id, b.conversation_id,
        "the same buyer continues their conversation"
    );
    assert!(!b.new_conversation);
    let c = store
        .ingest(inbound(s, "bob", "Hello", "2026-11-11T10:06:00Z"))
        .await
        .unwrap();
    assert_ne!(c.conversation_id, a.conversation_id);

    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .expect("conversation");
    assert_eq!(d.conversation.message_count, 2);
    assert_eq!(d.conversation.status, ConversationStatus::New);
    assert_eq!(
        d.conversation.last_inbound_at,
        Some(t("2026-11-11T10:05:00Z"))
    );
    assert_eq!(d.customer.handle, "alice");
    let bodies: Vec<_> = d.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["Where is my parcel?", "Any news?"]);
    let kinds: Vec<_> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "conversation_opened",
            "message_received",
            "message_received"
        ]
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (
            stats.conversations,
            stats.open_conversations,
            stats.messages
        ),
        (2, 2, 3)
    );
}

pub async fn external_id_makes_retries_idempotent(store: &Arc<dyn Store>) {
    let s = shop(store, "AliExpress DE", Platform::Aliexpress).await;
    let mut m = inbound(s, "klaus", "Wo ist mein Paket?", "2026-11-11T10:00:00Z");
    m.external_id = Some("ae-msg-1".into());
    let first = store.ingest(m.clone()).await.unwrap();
    let again = store.ingest(m).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (first.conversation_id, first.message_id),
        (again.conversation_id, again.message_id)
    );
    let d = store
        .conversation(first.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.messages.len(), 1, "the retry stored nothing");
    assert_eq!(d.events.len(), 2);
    // The same external id in another shop is another message.
    let other = shop(store, "AliExpress ES", Platform::Aliexpress).await;
    let mut m2 = inbound(other, "klaus", "Hola", "2026-11-11T10:00:00Z");
    m2.external_id = Some("ae-msg-1".into());
    assert!(!store.ingest(m2).await.unwrap().duplicate);
}

pub async fn unknown_shop_is_not_found(store: &Arc<dyn Store>) {
    let kept = store
        .record_failed_ingest(crate::FailedIngest {
            channel: Channel::Email,
            received_at: t("2026-11-11T10:00:00Z"),
            error: "no From header".into(),
            raw: b"garbage\xff".to_vec(),
        })
        .await
        .unwrap();
    let failed = store.failed_ingests(10).await.unwrap();
    assert_eq!(
        (failed[0].id, failed[0].size, failed[0].error.as_str()),
        (kept, 8, "no From header")
    );
    let err = store
        .ingest(inbound(777, "x", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(m) if m.contains("shop 777")),
        "{err:?}"
    );
    assert_eq!(
        store.stats().await.unwrap().messages,
        0,
        "nothing half-written"
    );
}

fn obligation(rule: &str, clock: &str, due: &str, severity: Severity) -> NewObligation {
    NewObligation {
        rule: rule.into(),
        clock: clock.parse().expect("a clock name"),
        severity,
        due: t(due),
        explanation: format!("{rule} test"),
        // As the rulebook plans it today: a missed platform limit escalates.
        escalate_on_breach: severity == Severity::Platform,
    }
}

pub async fn obligations_open_and_close(store: &Arc<dyn Store>) {
    let s = shop(store, "Taobao", Platform::Taobao).await;
    let mut m = inbound(s, "xiaoming", "亲，在吗？", "2026-11-11T14:58:00Z");
    m.first_contact_obligations = vec![
        obligation(
            "TB-FRT-5M",
            "first_response",
            "2026-11-12T01:03:00Z",
            Severity::Platform,
        ),
        obligation(
            "KPI-FRT-3H",
            "first_response",
            "2026-11-12T04:00:00Z",
            Severity::Target,
        ),
    ];
    m.follow_up_obligations = vec![obligation(
        "TB-NEXT",
        "next_response",
        "2026-11-12T09:00:00Z",
        Severity::Platform,
    )];
    let a = store.ingest(m.clone()).await.unwrap();
    // A second unanswered message does not restart the clock.
    m.received_at = t("2026-11-11T15:10:00Z");
    store.ingest(m.clone()).await.unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.obligations.len(), 2);
    assert!(
        d.obligations
            .iter()
            .all(|o| o.state == ObligationState::Open)
    );
    assert_eq!(d.obligations[0].rule, "TB-FRT-5M");
    assert_eq!(d.obligations[0].due, t("2026-11-12T01:03:00Z"));
    assert_eq!(d.obligations[1].severity, Severity::Target);

    // A reply that does not count (the rules said so) closes nothing.
    let r0 = store
        .add_reply(reply(a.conversation_id, "2026-11-12T01:00:00Z", &[]))
        .await
        .unwrap();
    assert!(r0.met_obligations.is_empty());
    let r = store
        .add_reply(reply(
            a.conversation_id,
            "2026-11-12T01:01:00Z",
            &["first_response"],
        ))
        .await
        .unwrap();
    assert_eq!(r.met_obligations.len(), 2);
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        d.obligations
            .iter()
            .all(|o| o.state == ObligationState::Met)
    );
    assert_eq!(d.conversation.status, ConversationStatus::PendingCustomer);
    assert!(d.events.iter().any(|e| e.kind == "obligation_met"));

    // After an answer, the buyer's next message opens the follow-up clocks.
    m.received_at = t("2026-11-12T02:00:00Z");
    store.ingest(m).await.unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.conversation.status,
        ConversationStatus::Open,
        "the buyer's message reopens"
    );
    let open: Vec<_> = d
        .obligations
        .iter()
        .filter(|o| o.state == ObligationState::Open)
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].rule, "TB-NEXT");

    let err = store
        .add_reply(reply(99999, "2026-11-12T01:01:00Z", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
}

pub async fn status_changes_and_reopening(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay", Platform::Ebay).await;
    let a = store
        .ingest(inbound(s, "carol", "Broken item", "2026-11-11T10:00:00Z"))
        .await
        .unwrap();
    let change = |status, at: &str| StatusChange {
        conversation_id: a.conversation_id,
        status,
        actor: "agent:1".into(),
        at: t(at),
        reason: None,
        closes_clocks: vec![],
        opens: vec![],
    };
    store
        .set_status(change(ConversationStatus::Resolved, "2026-11-11T11:00:00Z"))
        .await
        .unwrap();
    let b = store
        .ingest(inbound(s, "carol", "Still broken", "2026-11-12T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        b.conversation_id, a.conversation_id,
        "a resolved conversation reopens"
    );
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.conversation.status, ConversationStatus::Open);
    assert!(d.events.iter().any(|e| e.kind == "conversation_reopened"));
    assert_eq!(store.stats().await.unwrap().open_conversations, 1);

    store
        .set_status(change(ConversationStatus::Closed, "2026-11-13T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().open_conversations, 0);
    let c = store
        .ingest(inbound(s, "carol", "New question", "2026-11-20T10:00:00Z"))
        .await
        .unwrap();
    assert_ne!(
        c.conversation_id, a.conversation_id,
        "a closed conversation stays closed"
    );
    assert!(c.new_conversation);
    let err = store
        .set_status(StatusChange {
            conversation_id: 424242,
            ..change(ConversationStatus::Open, "2026-11-13T10:00:00Z")
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
}

pub async fn orders_upsert_and_link(store: &Arc<dyn Store>) {
    let s = shop(store, "Taobao", Platform::Taobao).await;
    let mut o = NewOrder {
        shop_id: s,
        external_id: "TB20261111001".into(),
        total: Money::parse("700", "CNY").unwrap(),
        paid_at: t("2026-11-11T02:00:00Z"),
        promised_ship_by: Some(t("2026-11-13T02:00:00Z")),
        shipped_at: None,
        carrier: None,
        tracking_number: None,
        delivered_at: None,
        closed_at: None,
        promises: vec!["ship-promise".into(), "return-7d".into()],
        items: vec![kefu_core::OrderItem {
            title: "羽绒服 down jacket".into(),
            quantity: 2,
            unit_price: Some("350.00".into()),
            sku: Some("SKU-9".into()),
        }],
        buyer: crate::OrderBuyer {
            email: Some("Wang.Fang@example.com".into()),
            phone: Some("+86 138 0013 8000".into()),
            postcode: None,
        },
    };
    let first = store.upsert_order(o.clone()).await.unwrap();
    assert_eq!(first.total.amount.to_string(), "700.00");
    o.shipped_at = Some(t("2026-11-14T02:00:00Z"));
    o.carrier = Some("SF Express".into());
    o.tracking_number = Some("SF1234567890".into());
    let second = store.upsert_order(o.clone()).await.unwrap();
    assert_eq!(second.id, first.id, "same external id updates the order");
    assert_eq!(second.carrier.as_deref(), Some("SF Express"));
    assert_eq!(second.promises, ["ship-promise", "return-7d"]);
    assert_eq!(
        second.items, o.items,
        "the order's lines come back as stored"
    );
    let fetched = store.order(s, "TB20261111001").await.unwrap().unwrap();
    assert_eq!(fetched.shipped_at, Some(t("2026-11-14T02:00:00Z")));

    let mut m = inbound(s, "buyer1", "什么时候发货？", "2026-11-12T02:00:00Z");
    m.order_external_id = Some("TB20261111001".into());
    let a = store.ingest(m).await.unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.order.expect("linked order").external_id, "TB20261111001");

    let mut m = inbound(s, "buyer2", "订单呢", "2026-11-12T02:00:00Z");
    m.order_external_id = Some("NOPE".into());
    let b = store.ingest(m).await.unwrap();
    let d = store
        .conversation(b.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(d.order.is_none());
    assert!(
        d.events
            .iter()
            .any(|e| e.data["order_ref_unknown"] == "NOPE"),
        "the unknown reference is kept"
    );

    o.shop_id = 5555;
    assert!(matches!(
        store.upsert_order(o).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
}

/// A web-chat visitor's unproved order number (issue 10, item 3): kept as a claim, never as
/// the conversation's order, until a proved link replaces it; the buyer's contact details
/// are kept for the proof and an update without them keeps them.
pub async fn unproved_order_claims_stay_apart(store: &Arc<dyn Store>) {
    let s = shop(store, "chat shop", Platform::Taobao).await;
    let order = |buyer: crate::OrderBuyer| NewOrder {
        shop_id: s,
        external_id: "W-1001".into(),
        total: Money::parse("99.00", "CNY").unwrap(),
        paid_at: t("2026-11-11T10:00:00Z"),
        promised_ship_by: None,
        shipped_at: None,
        carrier: Some("SF Express".into()),
        tracking_number: Some("SF999".into()),
        delivered_at: None,
        closed_at: None,
        promises: vec![],
        items: vec![],
        buyer,
    };
    let contact = crate::OrderBuyer {
        email: Some("li@example.com".into()),
        phone: Some("13800138000".into()),
        postcode: Some("200001".into()),
    };
    store.upsert_order(order(contact.clone())).await.unwrap();
    // A later update that does not know the contact (a connector) keeps it.
    store
        .upsert_order(order(crate::OrderBuyer::default()))
        .await
        .unwrap();
    assert_eq!(store.order_buyer(s, "W-1001").await.unwrap(), Some(contact));
    assert_eq!(store.order_buyer(s, "W-404").await.unwrap(), None);

    let a = store
        .ingest(inbound(
            s,
            "web:v1",
            "where is my parcel?",
            "2026-11-12T02:00:00Z",
        ))
        .await
        .unwrap();
    store
        .claim_order(a.conversation_id, "W-1001", t("2026-11-12T02:00:01Z"))
        .await
        .unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(d.order.is_none(), "a claim is not a link");
    assert_eq!(d.conversation.order_id, None);
    assert_eq!(d.order_claim.as_deref(), Some("W-1001"));
    // The visitor repeating the number records it once.
    store
        .claim_order(a.conversation_id, "W-1001", t("2026-11-12T02:00:30Z"))
        .await
        .unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.events
            .iter()
            .filter(|e| e.kind == event_kind::ORDER_CLAIMED && e.data["order"] == "W-1001")
            .count(),
        1
    );

    // Proved: the next message links the order and the claim is gone.
    let mut m = inbound(s, "web:v1", "order W-1001", "2026-11-12T02:01:00Z");
    m.order_external_id = Some("W-1001".into());
    store.ingest(m).await.unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.order.expect("linked").external_id, "W-1001");
    assert_eq!(d.order_claim, None);
    // A claim on a conversation already linked changes nothing.
    store
        .claim_order(a.conversation_id, "W-2002", t("2026-11-12T02:02:00Z"))
        .await
        .unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.order.expect("still linked").external_id, "W-1001");
    assert_eq!(d.order_claim, None);
    assert!(matches!(
        store
            .claim_order(999_999, "W-1001", t("2026-11-12T02:02:00Z"))
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
}

pub async fn agents_and_tokens(store: &Arc<dyn Store>) {
    let new = NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: "li@example.com".into(),
        name: "Li Na".into(),
        role: Role::Supervisor,
        languages: vec!["zh".into(), "en".into()],
        password_hash: None,
    };
    let agent = store.create_agent(new.clone()).await.unwrap();
    assert_eq!(agent.languages, ["zh", "en"]);
    assert!(matches!(
        store.create_agent(new).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    store
        .create_token(agent.id, "cli", "hash-abc")
        .await
        .unwrap();
    let found = store
        .agent_by_token_hash("hash-abc")
        .await
        .unwrap()
        .expect("token finds agent");
    assert_eq!((found.id, found.role), (agent.id, Role::Supervisor));
    assert!(
        store
            .agent_by_token_hash("hash-zzz")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.create_token(9999, "x", "h2").await.unwrap_err(),
        StoreError::NotFound(_)
    ));
}

pub async fn concurrent_ingest(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay", Platform::Ebay).await;
    let start = t("2026-11-11T10:00:00Z");
    let mut tasks = Vec::new();
    for i in 0..220 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Every eleventh request names a shop that does not exist: it must fail alone,
            // without taking the requests committed with it down.
            let shop_id = if i % 11 == 10 { 424_242 } else { s };
            let mut m = inbound(
                shop_id,
                &format!("buyer{}", i % 20),
                "hello",
                "2026-11-11T10:00:00Z",
            );
            m.received_at = start + Duration::milliseconds(i);
            m.external_id = Some(format!("m{}", i % 150)); // retries among them
            (shop_id == s, store.ingest(m).await)
        }));
    }
    let mut failed = 0;
    for task in tasks {
        let (valid, outcome) = task.await.unwrap();
        match outcome {
            Ok(_) => assert!(valid, "a message for an unknown shop was stored"),
            Err(StoreError::NotFound(_)) if !valid => failed += 1,
            Err(e) => panic!("a valid message failed: {e:?}"),
        }
    }
    assert_eq!(failed, 20);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.conversations, 20, "one conversation per buyer");
    // External ids m0..m149 from the valid requests, each stored once.
    let distinct: std::collections::HashSet<_> =
        (0..220).filter(|i| i % 11 != 10).map(|i| i % 150).collect();
    assert_eq!(
        stats.messages as usize,
        distinct.len(),
        "retries stored once"
    );
}

pub async fn due_obligations_are_breached_once(store: &Arc<dyn Store>) {
    let s = shop(store, "Taobao", Platform::Taobao).await;
    let mut ids = Vec::new();
    for (i, due) in [
        "2026-11-12T01:03:00Z",
        "2026-11-12T01:10:00Z",
        "2026-11-13T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let mut m = inbound(s, &format!("b{i}"), "在吗", "2026-11-11T14:58:00Z");
        m.first_contact_obligations = vec![
            obligation("TB-FRT-5M", "first_response", due, Severity::Platform),
            obligation("KPI-FRT-3H", "first_response", due, Severity::Target),
        ];
        ids.push(store.ingest(m).await.unwrap().conversation_id);
    }
    // Answered in time: its clocks are met and never breach.
    store
        .add_reply(reply(ids[1], "2026-11-12T01:05:00Z", &["first_response"]))
        .await
        .unwrap();

    let open = store
        .obligations(ObligationFilter {
            tenant_id: DEFAULT_TENANT,
            state: Some(ObligationState::Open),
            after: None,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 4);
    assert!(
        open.windows(2).all(|w| w[0].due <= w[1].due),
        "soonest first"
    );
    // Keyset pages: two, then the two after the last one seen.
    let page = |after: Option<(DateTime<Utc>, i64)>| ObligationFilter {
        tenant_id: DEFAULT_TENANT,
        state: Some(ObligationState::Open),
        after,
        limit: 2,
        ..Default::default()
    };
    let first_page = store.obligations(page(None)).await.unwrap();
    let last = first_page.last().unwrap();
    let second_page = store
        .obligations(page(Some((last.due, last.id))))
        .await
        .unwrap();
    let paged: Vec<i64> = first_page
        .iter()
        .chain(&second_page)
        .map(|o| o.id)
        .collect();
    assert_eq!(paged, open.iter().map(|o| o.id).collect::<Vec<_>>());
    let before = store
        .obligations(ObligationFilter {
            tenant_id: DEFAULT_TENANT,
            state: Some(ObligationState::Open),
            due_before: Some(t("2026-11-12T02:00:00Z")),
            after: None,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(before.len(), 2);
    let other_tenant = store
        .obligations(ObligationFilter {
            tenant_id: 77,
            after: None,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(other_tenant.is_empty());

    let now = t("2026-11-12T12:00:00Z");
    let first = store.breach_due(now, 1).await.unwrap();
    assert_eq!(first.len(), 1, "the limit bounds one batch");
    let rest = store.breach_due(now, 100).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(
        store.breach_due(now, 100).await.unwrap().is_empty(),
        "a breach is marked once"
    );
    let breached: Vec<_> = first.iter().chain(&rest).collect();
    assert!(breached.iter().all(|b| b.conversation_id == ids[0]));
    let platform = breached.iter().find(|b| b.rule == "TB-FRT-5M").unwrap();
    assert!(platform.escalated);
    let d = store.conversation(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.conversation.status, ConversationStatus::Escalated);
    assert_eq!(
        d.events
            .iter()
            .filter(|e| e.kind == "obligation_breached")
            .count(),
        2
    );
    assert!(
        d.obligations
            .iter()
            .all(|o| o.state == ObligationState::Breached)
    );
    // Not yet due stays open.
    let d = store.conversation(ids[2]).await.unwrap().unwrap();
    assert!(
        d.obligations
            .iter()
            .all(|o| o.state == ObligationState::Open)
    );
}

pub async fn status_changes_and_triggers_move_clocks(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay", Platform::Ebay).await;
    let a = store
        .ingest(inbound(
            s,
            "dave",
            "It broke after a day",
            "2026-11-11T10:00:00Z",
        ))
        .await
        .unwrap();
    // Marked a complex issue: the escalation clock starts, once.
    let start = ClockStart {
        conversation_id: a.conversation_id,
        at: t("2026-11-11T10:10:00Z"),
        actor: "agent:1".into(),
        trigger: "complex_issue".into(),
        obligations: vec![obligation(
            "EBAY-ESCALATE-2H",
            "escalation",
            "2026-11-11T12:10:00Z",
            Severity::Platform,
        )],
    };
    assert_eq!(store.start_clocks(start.clone()).await.unwrap().len(), 1);
    assert!(
        store.start_clocks(start).await.unwrap().is_empty(),
        "a running clock is not restarted"
    );
    // Escalating meets it; resolving starts the follow-up clock.
    let change = |status, at: &str, closes: &[&str], opens: Vec<NewObligation>| StatusChange {
        conversation_id: a.conversation_id,
        status,
        actor: "agent:1".into(),
        at: t(at),
        reason: None,
        closes_clocks: closes
            .iter()
            .map(|c| c.parse().expect("a clock name"))
            .collect(),
        opens,
    };
    store
        .set_status(change(
            ConversationStatus::Escalated,
            "2026-11-11T11:00:00Z",
            &["escalation"],
            vec![],
        ))
        .await
        .unwrap();
    store
        .set_status(change(
            ConversationStatus::Resolved,
            "2026-11-11T15:00:00Z",
            &["resolution"],
            vec![obligation(
                "EBAY-FOLLOWUP-48H",
                "followup",
                "2026-11-13T15:00:00Z",
                Severity::Platform,
            )],
        ))
        .await
        .unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let by_rule = |r: &str| d.obligations.iter().find(|o| o.rule == r).unwrap().state;
    assert_eq!(by_rule("EBAY-ESCALATE-2H"), ObligationState::Met);
    assert_eq!(by_rule("EBAY-FOLLOWUP-48H"), ObligationState::Open);
    assert!(
        d.events
            .iter()
            .any(|e| e.kind == "clocks_started" && e.data["trigger"] == "complex_issue")
    );
    let note = store
        .add_note(crate::NewNote {
            conversation_id: a.conversation_id,
            agent_id: None,
            actor: "agent:1".into(),
            body: "Buyer is a repeat customer".into(),
            at: t("2026-11-11T15:01:00Z"),
        })
        .await
        .unwrap();
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let m = d.messages.iter().find(|m| m.id == note).unwrap();
    assert_eq!(m.direction, kefu_core::Direction::Note);
    assert_eq!(
        d.conversation.status,
        ConversationStatus::Resolved,
        "a note changes no status"
    );
    assert!(matches!(
        store
            .add_note(crate::NewNote {
                conversation_id: 999_999,
                agent_id: None,
                actor: "x".into(),
                body: "x".into(),
                at: t("2026-11-11T15:01:00Z")
            })
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
    let missing = ClockStart {
        conversation_id: 999_999,
        at: t("2026-11-11T10:10:00Z"),
        actor: "x".into(),
        trigger: "x".into(),
        obligations: vec![],
    };
    assert!(matches!(
        store.start_clocks(missing).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
}

pub async fn email_replies_go_through_the_outbox(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay", Platform::Ebay).await;
    let mut m = inbound(
        s,
        "jess@example.com",
        "Where is my order?",
        "2026-11-11T10:00:00Z",
    );
    m.channel = Channel::Email;
    m.external_id = Some("abc@mail.example".into());
    let a = store.ingest(m).await.unwrap();
    let chat = store
        .ingest(inbound(s, "bob", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap();
    store
        .add_reply(reply(chat.conversation_id, "2026-11-11T10:05:00Z", &[]))
        .await
        .unwrap();
    let r = store
        .add_reply(reply(a.conversation_id, "2026-11-11T10:05:00Z", &[]))
        .await
        .unwrap();

    let due = store
        .due_outbox(t("2026-11-11T10:05:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(
        due.len(),
        1,
        "only the email reply waits to be sent: {due:?}"
    );
    let item = &due[0];
    assert_eq!(
        (
            item.message_id,
            item.recipient.as_str(),
            item.channel.as_str()
        ),
        (r.message_id, "jess@example.com", "email")
    );
    assert_eq!(item.in_reply_to.as_deref(), Some("abc@mail.example"));
    assert_eq!(item.body, "We are sending a replacement today.");
    assert_eq!(item.shop_name, "eBay");

    // A failed attempt waits for its retry time, then comes back; once sent it is done.
    let retry = t("2026-11-11T10:06:00Z");
    store
        .record_delivery(
            item.id,
            t("2026-11-11T10:05:01Z"),
            crate::Delivery::Failed {
                error: "451 busy".into(),
                retry_at: Some(retry),
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(t("2026-11-11T10:05:30Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.due_outbox(retry, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    store
        .record_delivery(
            item.id,
            retry,
            crate::Delivery::Sent {
                external_id: "kefu.1@desk.example".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(t("2026-11-12T00:00:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let d = store
        .conversation(a.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(d.events.iter().any(|e| e.kind == "reply_delivery_failed"));
    assert!(
        d.events
            .iter()
            .any(|e| e.kind == "reply_delivered" && e.data["external_id"] == "kefu.1@desk.example")
    );
    assert!(matches!(
        store
            .record_delivery(
                999_999,
                retry,
                crate::Delivery::Sent {
                    external_id: "x".into()
                }
            )
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
}

pub async fn conversations_are_routed_to_available_agents(store: &Arc<dyn Store>) {
    let s = shop(store, "AliExpress", Platform::Aliexpress).await;
    let agent = |email: &str, langs: &[&str]| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: langs.iter().map(|l| l.to_string()).collect(),
        password_hash: None,
    };
    let lucia = store
        .create_agent(agent("lucia@x", &["es", "de"]))
        .await
        .unwrap()
        .id;
    let sam = store
        .create_agent(agent("sam@x", &["en"]))
        .await
        .unwrap()
        .id;
    let at = t("2026-11-11T10:00:00Z");
    let mut german = inbound(s, "klaus", "Wo ist mein Paket?", "2026-11-11T10:00:00Z");
    german.language = Some("de".into());
    let de = store.ingest(german).await.unwrap().conversation_id;
    let en1 = store
        .ingest(inbound(s, "amy", "Where is it?", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let en2 = store
        .ingest(inbound(s, "bob", "Any news?", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(de, at).await.unwrap(),
        Some(lucia),
        "the agent who speaks German"
    );
    assert_eq!(
        store.assign(en1, at).await.unwrap(),
        Some(sam),
        "the agent who speaks English"
    );
    assert_eq!(
        store.assign(en2, at).await.unwrap(),
        Some(sam),
        "language before load"
    );
    let d = store.conversation(de).await.unwrap().unwrap();
    assert_eq!(d.conversation.assignee_id, Some(lucia));
    assert!(d.events.iter().any(|e| e.kind == "assigned"));

    // Sam goes off shift: his open conversations move to Lucía, the only one left.
    let moved = store.set_availability(sam, false, at).await.unwrap();
    assert_eq!(moved, vec![en1, en2]);
    assert_eq!(
        store
            .conversation(en1)
            .await
            .unwrap()
            .unwrap()
            .conversation
            .assignee_id,
        Some(lucia)
    );
    // Nobody available: it waits unassigned.
    store.set_availability(lucia, false, at).await.unwrap();
    assert_eq!(
        store
            .conversation(de)
            .await
            .unwrap()
            .unwrap()
            .conversation
            .assignee_id,
        None
    );
    assert_eq!(store.assign(de, at).await.unwrap(), None);
    assert!(
        store
            .set_availability(sam, true, at)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.assign(de, at).await.unwrap(),
        Some(sam),
        "whoever is back takes it"
    );
    assert!(matches!(
        store.set_availability(999_999, true, at).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An agent limited to other shops is not given this shop's conversations.
    let other = shop(store, "Other AliExpress", Platform::Aliexpress).await;
    let nina = store
        .create_agent(agent("nina@x", &["en", "es", "de"]))
        .await
        .unwrap()
        .id;
    store.set_agent_shops(nina, vec![other]).await.unwrap();
    assert_eq!(store.agent_shops(nina).await.unwrap(), vec![other]);
    store.set_availability(lucia, false, at).await.unwrap();
    store.set_availability(sam, false, at).await.unwrap();
    let late = store
        .ingest(inbound(s, "carl", "Hello?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(late, at).await.unwrap(),
        None,
        "nina works for the other shop only"
    );
    let theirs = store
        .ingest(inbound(other, "dora", "Hello?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(store.assign(theirs, at).await.unwrap(), Some(nina));
    store.set_agent_shops(nina, vec![]).await.unwrap();
    assert!(store.agent_shops(nina).await.unwrap().is_empty());
    assert!(store.set_agent_shops(nina, vec![999_999]).await.is_err());
}

/// A round-robin shop gives the next conversation to whoever waited longest, whatever their
/// load; nobody is given more than their limit of open conversations; a least-load shop breaks
/// a tie on load by who waited longest.
pub async fn routing_modes_and_room(store: &Arc<dyn Store>) {
    let rr = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "Round robin".into(),
            platform: Platform::Taobao,
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            pack: "taobao".into(),
            settings: serde_json::json!({"routing": "round_robin"}),
        })
        .await
        .unwrap()
        .id;
    let agent = |email: &str| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: vec!["zh".into()],
        password_hash: None,
    };
    let ada = store.create_agent(agent("ada@rr")).await.unwrap().id;
    let bo = store.create_agent(agent("bo@rr")).await.unwrap().id;
    let conversation = |n: usize| {
        let buyer = format!("buyer{n}");
        async move {
            store
                .ingest(inbound(rr, &buyer, "在吗?", "2026-11-11T10:00:00Z"))
                .await
                .unwrap()
                .conversation_id
        }
    };
    // A supervisor gave Ada two by hand: she carries load but was never routed to.
    let at = t("2026-11-11T10:00:00Z");
    for n in 0..2 {
        let id = conversation(n).await;
        store.assign_to(id, Some(ada), "sup", at).await.unwrap();
    }
    let c = conversation(2).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:01:00Z")).await.unwrap(),
        Some(ada),
        "round robin: neither was routed to yet, the lower id first, whatever the load"
    );
    let c = conversation(3).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:02:00Z")).await.unwrap(),
        Some(bo),
        "round robin: Bo waited longest"
    );
    let c = conversation(4).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:03:00Z")).await.unwrap(),
        Some(ada)
    );
    // Ada is full (an agent takes 25 open conversations at most): Bo takes the next ones,
    // although Ada waited longer.
    for n in 5..27 {
        let id = conversation(n).await;
        store.assign_to(id, Some(ada), "sup", at).await.unwrap();
    }
    let c = conversation(27).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:04:00Z")).await.unwrap(),
        Some(bo)
    );
    let c = conversation(28).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:05:00Z")).await.unwrap(),
        Some(bo),
        "Ada has no room"
    );
    // Least load (another shop, same agents): the less loaded one.
    let ll = shop(store, "Least load", Platform::Taobao).await;
    let c = store
        .ingest(inbound(ll, "x", "在吗?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(c, t("2026-11-11T11:00:00Z")).await.unwrap(),
        Some(bo)
    );
}

pub async fn faqs_are_kept_per_shop_key_and_language(store: &Arc<dyn Store>) {
    let a = shop(store, "FAQ shop", Platform::Taobao).await;
    let b = shop(store, "Other shop", Platform::Taobao).await;
    let entry = |shop_id: i64, key: &str, language: &str, answer: &str| crate::FaqEntry {
        shop_id,
        key: key.into(),
        language: language.into(),
        questions: vec![format!("{key}?"), "第二种问法".into()],
        answer: answer.into(),
        updated_at: t("2026-11-01T10:00:00Z"),
    };
    store
        .put_faq(entry(a, "shipping", "zh", "48小时内发货"))
        .await
        .unwrap();
    store
        .put_faq(entry(a, "shipping", "en", "Ships within 48 hours"))
        .await
        .unwrap();
    store
        .put_faq(entry(a, "invoice", "zh", "可以开发票"))
        .await
        .unwrap();
    store
        .put_faq(entry(b, "shipping", "zh", "另一家店"))
        .await
        .unwrap();
    // The same key and language again replaces the entry.
    store
        .put_faq(entry(a, "shipping", "zh", "付款后24小时内发货"))
        .await
        .unwrap();
    let listed = store.faqs(a).await.unwrap();
    let keys: Vec<(&str, &str)> = listed
        .iter()
        .map(|f| (f.key.as_str(), f.language.as_str()))
        .collect();
    assert_eq!(
        keys,
        vec![("invoice", "zh"), ("shipping", "en"), ("shipping", "zh")]
    );
    assert_eq!(listed[2].answer, "付款后24小时内发货");
    assert_eq!(
        listed[2].questions,
        vec!["shipping?".to_string(), "第二种问法".into()]
    );
    assert!(store.delete_faq(a, "invoice", "zh").await.unwrap());
    assert!(!store.delete_faq(a, "invoice", "zh").await.unwrap());
    assert_eq!(store.faqs(a).await.unwrap().len(), 2);
    assert_eq!(store.faqs(b).await.unwrap().len(), 1);
    let missing = store.put_faq(entry(999_999, "x", "zh", "y")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

pub async fn connectors_and_their_outbox(store: &Arc<dyn Store>) {
    let ebay = shop(store, "Connected eBay shop", Platform::Ebay).await;
    let now = t("2026-11-20T08:00:00Z");
    let new = |kind: &str| crate::NewConnector {
        shop_id: ebay,
        kind: kind.into(),
        base_url: "http://127.0.0.1:9".into(),
        credentials: "v1:sealed".into(),
        at: now,
    };
    let c = store.create_connector(new("ebay")).await.unwrap();
    assert_eq!(c.shop_id, ebay);
    assert_eq!(c.cursor, None);
    let twice = store.create_connector(new("ebay")).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(store.due_connectors(now, 10).await.unwrap().len(), 1);
    store
        .save_connector(
            c.id,
            Some("cursor-1".into()),
            serde_json::json!({"state": "ok"}),
            t("2026-11-20T08:01:00Z"),
        )
        .await
        .unwrap();
    assert!(store.due_connectors(now, 10).await.unwrap().is_empty());
    // No new cursor keeps the old one.
    store
        .save_connector(
            c.id,
            None,
            serde_json::json!({"state": "backing_off"}),
            t("2026-11-20T08:02:00Z"),
        )
        .await
        .unwrap();
    let listed = store.connectors(Some(vec![ebay])).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].cursor.as_deref(), Some("cursor-1"));
    assert_eq!(listed[0].health["state"], "backing_off");
    assert_eq!(listed[0].credentials, "v1:sealed");
    assert!(
        store
            .connectors(Some(vec![ebay + 1000]))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .save_connector(999_999, None, serde_json::json!({}), now)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // A marketplace message without a platform thread (pushed in by the API): its reply has
    // nowhere to go, so no outbox row. One a connector brought in: the reply is queued with
    // the thread it answers.
    let plain = store
        .ingest(inbound(ebay, "api-buyer", "hello", "2026-11-20T08:00:00Z"))
        .await
        .unwrap();
    store
        .add_reply(reply(plain.conversation_id, "2026-11-20T08:05:00Z", &[]))
        .await
        .unwrap();
    assert!(
        store
            .due_outbox(t("2026-11-20T09:00:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let mut pulled = inbound(
        ebay,
        "ebay-buyer",
        "Is this still available?",
        "2026-11-20T08:00:00Z",
    );
    pulled.external_id = Some("ebay:msg-1".into());
    pulled.reply_to = Some(r#"{"item_id":"1234","parent_message_id":"msg-1"}"#.into());
    let threaded = store.ingest(pulled).await.unwrap();
    let sent = store
        .add_reply(reply(threaded.conversation_id, "2026-11-20T08:06:00Z", &[]))
        .await
        .unwrap();
    let due = store
        .due_outbox(t("2026-11-20T09:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].message_id, sent.message_id);
    assert_eq!(due[0].channel, "marketplace");
    assert_eq!(due[0].shop_id, ebay);
    assert_eq!(
        due[0].reply_to.as_deref(),
        Some(r#"{"item_id":"1234","parent_message_id":"msg-1"}"#)
    );
    assert_eq!(due[0].in_reply_to.as_deref(), Some("ebay:msg-1"));
}

pub async fn sign_in_lockout_and_sessions(store: &Arc<dyn Store>) {
    let agent = store
        .create_agent(crate::NewAgent {
            tenant_id: DEFAULT_TENANT,
            email: "mei@example.com".into(),
            name: "Mei".into(),
            role: kefu_core::Role::Agent,
            languages: vec!["zh".into()],
            password_hash: None,
        })
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.agent.id, agent.id);
    assert!(
        store
            .agents(DEFAULT_TENANT)
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == agent.id)
    );
    assert!(store.agents(77).await.unwrap().is_empty());
    assert_eq!(rec.password_hash, None);
    assert!(
        store
            .login_record("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    store
        .set_password(agent.id, "$argon2id$hash")
        .await
        .unwrap();
    let locked_until = t("2026-11-20T10:15:00Z");
    for _ in 0..4 {
        store
            .record_login(agent.id, false, 5, locked_until)
            .await
            .unwrap();
    }
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.password_hash.as_deref(), Some("$argon2id$hash"));
    assert_eq!(rec.failed_logins, 4);
    assert_eq!(
        rec.locked_until, None,
        "not locked before the fifth failure"
    );
    store
        .record_login(agent.id, false, 5, locked_until)
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.locked_until, Some(locked_until));
    store
        .record_login(agent.id, true, 5, locked_until)
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rec.failed_logins, rec.locked_until), (0, None));

    let now = t("2026-11-20T10:00:00Z");
    store
        .create_session(crate::NewSession {
            token_hash: "h1".into(),
            agent_id: agent.id,
            csrf: "c1".into(),
            created_at: now,
            expires_at: t("2026-11-20T22:00:00Z"),
        })
        .await
        .unwrap();
    let (who, csrf, shops) = store.session("h1", now).await.unwrap().unwrap();
    assert!(shops.is_empty(), "mei works for every shop");
    assert_eq!((who.id, csrf.as_str()), (agent.id, "c1"));
    assert!(
        store
            .session("h1", t("2026-11-20T22:00:01Z"))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.session("other", now).await.unwrap().is_none());
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());
    // A new password signs every session out.
    store
        .create_session(crate::NewSession {
            token_hash: "h2".into(),
            agent_id: agent.id,
            csrf: "c2".into(),
            created_at: now,
            expires_at: t("2026-11-20T22:00:00Z"),
        })
        .await
        .unwrap();
    store
        .set_password(agent.id, "$argon2id$other")
        .await
        .unwrap();
    assert!(store.session("h2", now).await.unwrap().is_none());
}

pub async fn the_supervisors_overview(store: &Arc<dyn Store>) {
    let a = shop(store, "Overview A", Platform::Ebay).await;
    let b = shop(store, "Overview B", Platform::Taobao).await;
    let clock = |due: &str| NewObligation {
        rule: "EBAY-FRT-24H".into(),
        clock: kefu_core::ClockKind::FirstResponse,
        severity: Severity::Platform,
        due: t(due),
        explanation: "test".into(),
        escalate_on_breach: true,
    };
    let mut ids = Vec::new();
    for (shop_id, buyer, due) in [
        (a, "o1", "2026-11-20T09:30:00Z"),
        (a, "o2", "2026-11-20T09:40:00Z"),
        (b, "o3", "2026-11-20T08:30:00Z"),
    ] {
        let mut m = inbound(shop_id, buyer, "hello", "2026-11-20T08:00:00Z");
        m.first_contact_obligations = vec![clock(due)];
        ids.push(store.ingest(m).await.unwrap().conversation_id);
    }
    // o1 is answered at 08:20 (20 minutes); o3's clock runs out at 08:30.
    store
        .add_reply(reply(ids[0], "2026-11-20T08:20:00Z", &["first_response"]))
        .await
        .unwrap();
    store
        .breach_due(t("2026-11-20T08:45:00Z"), 10)
        .await
        .unwrap();
    let since = t("2026-11-20T00:00:00Z");
    let o = store
        .overview(DEFAULT_TENANT, since, t("2026-11-20T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(o.open_by_shop, vec![(a, 2), (b, 1)], "{o:?}");
    assert_eq!(o.breaches, 1);
    assert_eq!(
        o.due_next_hour, 1,
        "o1 is answered, o3 breached: o2 only: {o:?}"
    );
    assert_eq!(o.first_response_met, 1);
    assert_eq!(o.first_response_breached, 1);
    assert_eq!(o.first_response_mean_secs.map(|s| s.round()), Some(1200.0));
    assert_eq!(o.opened, 3);
    assert_eq!(o.unassigned, 3);
    let other = store
        .overview(77, since, t("2026-11-20T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(other.opened, 0);

    // The inbox: every conversation that needs work. o3's clock ran out unanswered: first,
    // overdue. o2 has a clock running. o1 was answered and waits for its buyer: out, until
    // it has waited longer than the desk lets it.
    let base = crate::InboxQuery {
        tenant_id: DEFAULT_TENANT,
        shop_ids: Some(vec![a, b]),
        limit: 10,
        ..Default::default()
    };
    let rows = store.inbox(base.clone()).await.unwrap();
    let lines = |rows: &[crate::InboxRow]| {
        rows.iter()
            .map(|r| (r.conversation_id, r.part))
            .collect::<Vec<_>>()
    };
    use crate::InboxPart::{NoClock, Overdue, Running};
    assert_eq!(lines(&rows), vec![(ids[2], Overdue), (ids[1], Running)]);
    assert!(rows[0].overdue() && !rows[1].overdue());
    assert_eq!(rows[1].last_message.as_deref(), Some("hello"));
    assert_eq!(rows[1].rule.as_deref(), Some("EBAY-FRT-24H"));
    assert_eq!(rows[0].due, Some(t("2026-11-20T08:30:00Z")));
    assert_eq!(rows[1].customer_handle, "o2");
    let waited = crate::InboxQuery {
        pending_before: Some(t("2026-11-20T09:00:00Z")),
        ..base.clone()
    };
    let all = store.inbox(waited.clone()).await.unwrap();
    assert_eq!(
        lines(&all),
        vec![(ids[2], Overdue), (ids[1], Running), (ids[0], NoClock)],
        "a buyer who has not answered for long comes back, without a clock"
    );
    assert_eq!((all[2].rule.as_ref(), all[2].due), (None, None));
    // Pages continue across the parts, one line at a time.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .inbox(crate::InboxQuery {
                limit: 1,
                after,
                ..waited.clone()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.cursor());
        paged.extend(lines(&page));
        assert!(paged.len() <= 3, "pages repeat: {paged:?}");
    }
    assert_eq!(paged, lines(&all));
    // One part only: the "no clock" filter, the overdue filter.
    for (part, want) in [(NoClock, ids[0]), (Overdue, ids[2]), (Running, ids[1])] {
        let only = store
            .inbox(crate::InboxQuery {
                part: Some(part),
                ..waited.clone()
            })
            .await
            .unwrap();
        assert_eq!(lines(&only), vec![(want, part)]);
    }
    // "Due within the hour" keeps the overdue and the running, not the clockless.
    let due_soon = crate::InboxQuery {
        due_before: Some(t("2026-11-20T10:00:00Z")),
        ..waited.clone()
    };
    assert_eq!(store.inbox(due_soon).await.unwrap().len(), 2);
    // A second, later clock on the same conversation does not list it twice.
    store
        .start_clocks(ClockStart {
            conversation_id: ids[1],
            at: t("2026-11-20T09:00:00Z"),
            actor: "test".into(),
            trigger: "complex_issue".into(),
            obligations: vec![clock("2026-11-20T11:00:00Z")],
        })
        .await
        .unwrap();
    assert_eq!(store.inbox(base.clone()).await.unwrap().len(), 2);
    let german = crate::InboxQuery {
        language: Some("de".into()),
        ..base.clone()
    };
    assert!(store.inbox(german).await.unwrap().is_empty());
    let unassigned = crate::InboxQuery {
        assignee: Some(None),
        ..base.clone()
    };
    assert_eq!(store.inbox(unassigned).await.unwrap().len(), 2);
    let only_b = crate::InboxQuery {
        shop_ids: Some(vec![b]),
        ..base.clone()
    };
    assert_eq!(
        lines(&store.inbox(only_b).await.unwrap()),
        vec![(ids[2], Overdue)]
    );
    let no_shops = crate::InboxQuery {
        shop_ids: Some(vec![]),
        ..base.clone()
    };
    assert!(store.inbox(no_shops).await.unwrap().is_empty());
    // A late answer takes o3 off the overdue list (the breach stays in the figures); the
    // missed platform limit escalated it, and an escalation stays work, without a clock.
    store
        .add_reply(reply(ids[2], "2026-11-20T09:10:00Z", &["first_response"]))
        .await
        .unwrap();
    let after_reply = vec![(ids[1], Running), (ids[2], NoClock)];
    assert_eq!(
        lines(&store.inbox(base.clone()).await.unwrap()),
        after_reply
    );
    // Resolving a conversation whose clock ran out takes it off too.
    let mut m = inbound(b, "o4", "hello", "2026-11-20T08:00:00Z");
    m.first_contact_obligations = vec![clock("2026-11-20T08:10:00Z")];
    let o4 = store.ingest(m).await.unwrap().conversation_id;
    store
        .breach_due(t("2026-11-20T09:15:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(
        store.inbox(base.clone()).await.unwrap()[0].conversation_id,
        o4
    );
    store
        .set_status(StatusChange {
            conversation_id: o4,
            status: ConversationStatus::Resolved,
            at: t("2026-11-20T09:20:00Z"),
            actor: "test".into(),
            reason: None,
            closes_clocks: vec![],
            opens: vec![],
        })
        .await
        .unwrap();
    assert_eq!(lines(&store.inbox(base).await.unwrap()), after_reply);
}

pub async fn aftersales_cases_keep_their_state(store: &Arc<dyn Store>) {
    let s = shop(store, "Cases", Platform::Taobao).await;
    let conv = store
        .ingest(inbound(s, "mei", "快递盒子压坏了", "2026-11-20T08:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let case = store
        .open_case(crate::NewCase {
            conversation_id: conv,
            order_id: None,
            kind: "damage-reship".into(),
            rule: "TB-DAMAGE-RESHIP".into(),
            action: "reship".into(),
            amount: None,
            currency: None,
            due: t("2026-11-22T08:00:00Z"),
            actor: "agent:1".into(),
            at: t("2026-11-20T09:00:00Z"),
        })
        .await
        .unwrap();
    assert_eq!(case.state, "offered");
    assert_eq!(case.due, t("2026-11-22T08:00:00Z"));
    let done = store
        .set_case_state(case.id, "done", "agent:1", t("2026-11-20T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(done.state, "done");
    assert_eq!(done.updated_at, t("2026-11-20T10:00:00Z"));
    let listed = store.cases(conv).await.unwrap();
    assert_eq!(listed, vec![done]);
    let d = store.conversation(conv).await.unwrap().unwrap();
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"case_opened") && kinds.contains(&"case_updated"),
        "{kinds:?}"
    );
    assert!(matches!(
        store
            .set_case_state(999_999, "done", "x", t("2026-11-20T10:00:00Z"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let mut missing = crate::NewCase {
        conversation_id: 999_999,
        order_id: None,
        kind: "x".into(),
        rule: "X".into(),
        action: "refund".into(),
        amount: None,
        currency: None,
        due: t("2026-11-22T08:00:00Z"),
        actor: "a".into(),
        at: t("2026-11-20T09:00:00Z"),
    };
    assert!(matches!(
        store.open_case(missing.clone()).await,
        Err(StoreError::NotFound(_))
    ));
    missing.conversation_id = conv;
    assert_eq!(store.cases(conv).await.unwrap().len(), 1);

    // A file kept with its message, bytes intact.
    let msg = store.conversation(conv).await.unwrap().unwrap().messages[0].id;
    let png = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255];
    let id = store
        .add_attachment(
            msg,
            "box.png",
            "image/png",
            png.clone(),
            t("2026-11-20T09:00:00Z"),
        )
        .await
        .unwrap();
    let (info, bytes) = store.attachment(id).await.unwrap().unwrap();
    assert_eq!(
        (info.conversation_id, info.message_id, info.size),
        (conv, msg, 8)
    );
    assert_eq!(
        (info.filename.as_str(), info.content_type.as_str()),
        ("box.png", "image/png")
    );
    assert_eq!(bytes, png);
    assert_eq!(store.attachments(conv).await.unwrap(), vec![info.clone()]);
    assert!(store.attachment(id + 1000).await.unwrap().is_none());
    assert!(matches!(
        store
            .add_attachment(
                999_999,
                "x",
                "image/png",
                vec![1],
                t("2026-11-20T09:00:00Z")
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn high_value_orders_go_to_their_team(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay HV", Platform::Ebay).await;
    let agent = |email: &str| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: vec!["en".into()],
        password_hash: None,
    };
    let ann = store.create_agent(agent("ann@hv")).await.unwrap().id;
    let ben = store.create_agent(agent("ben@hv")).await.unwrap().id;
    store
        .create_team(crate::NewTeam {
            tenant_id: DEFAULT_TENANT,
            name: "High value".into(),
            high_value: true,
            routing: "round_robin".into(),
            members: vec![ben],
        })
        .await
        .unwrap();
    let teams = store.teams(DEFAULT_TENANT).await.unwrap();
    let hv_team = teams.iter().find(|t| t.name == "High value").unwrap();
    assert_eq!(
        (hv_team.high_value, hv_team.routing.as_str()),
        (true, "round_robin")
    );
    assert_eq!(hv_team.members, vec![ben]);
    assert!(store.teams(77).await.unwrap().is_empty());
    let at = t("2026-11-11T10:00:00Z");
    let high = |buyer: &str| {
        let mut m = inbound(s, buyer, "About my $899 camera", "2026-11-11T10:00:00Z");
        m.first_contact_obligations = vec![obligation(
            "EBAY-HIGHVALUE-12H",
            "high_value_response",
            "2026-11-11T22:00:00Z",
            Severity::Platform,
        )];
        m.high_value = true;
        m
    };
    // Ben already has one conversation; a high-value one still goes to him, the team's.
    let plain = store
        .ingest(inbound(s, "p1", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    store.set_availability(ann, false, at).await.unwrap();
    assert_eq!(store.assign(plain, at).await.unwrap(), Some(ben));
    store.set_availability(ann, true, at).await.unwrap();
    let hv = store.ingest(high("h1")).await.unwrap().conversation_id;
    assert_eq!(
        store.assign(hv, at).await.unwrap(),
        Some(ben),
        "the high-value team"
    );
    // An ordinary conversation goes by load: Ann has none.
    let other = store
        .ingest(inbound(s, "p2", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(store.assign(other, at).await.unwrap(), Some(ann));
    // The rulebook's routing need decides, not a clock's name: the same clock without it
    // goes by load (Ann has one, Ben two).
    let mut clock_only = high("h0");
    clock_only.high_value = false;
    let c0 = store.ingest(clock_only).await.unwrap().conversation_id;
    assert_eq!(store.assign(c0, at).await.unwrap(), Some(ann));
    // With the team away, a high-value conversation still reaches someone.
    store.set_availability(ben, false, at).await.unwrap();
    let hv2 = store.ingest(high("h2")).await.unwrap().conversation_id;
    assert_eq!(store.assign(hv2, at).await.unwrap(), Some(ann));
}

/// The IMAP fetcher's cursor: absent at first, kept per mailbox, moved (also to a new
/// UIDVALIDITY) by saving again, and the full range of IMAP's 32-bit UIDs survives.
pub async fn mail_cursors_are_kept_per_mailbox(store: &Arc<dyn Store>) {
    use crate::MailCursor;
    let a = "imaps://seller@imap.example:993/INBOX";
    let b = "imaps://seller@imap.example:993/Orders";
    assert_eq!(store.mail_cursor(a).await.unwrap(), None);
    let first = MailCursor {
        uid_validity: 1_700_000_000,
        last_uid: 7,
    };
    store.save_mail_cursor(a, first, Utc::now()).await.unwrap();
    assert_eq!(store.mail_cursor(a).await.unwrap(), Some(first));
    assert_eq!(store.mail_cursor(b).await.unwrap(), None, "per mailbox");
    let top = MailCursor {
        uid_validity: u32::MAX,
        last_uid: u32::MAX - 1,
    };
    store.save_mail_cursor(a, top, Utc::now()).await.unwrap();
    assert_eq!(store.mail_cursor(a).await.unwrap(), Some(top));
}

/// The store applies the rulebook's plan as data (issue 11): a breached clock escalates only
/// when the plan said so (whatever its severity), and each flag of a buyer's message is a
/// `flagged` event naming its rule, written with the message.
pub async fn the_plan_is_applied_as_data(store: &Arc<dyn Store>) {
    let s = shop(store, "Plan data", Platform::Pinduoduo).await;
    let mut m = inbound(s, "plan-1", "you idiots", "2026-11-13T10:00:00Z");
    let mut quiet = obligation(
        "TB-FRT-5M",
        "first_response",
        "2026-11-13T10:05:00Z",
        Severity::Platform,
    );
    quiet.escalate_on_breach = false;
    m.first_contact_obligations = vec![quiet];
    m.flags = vec![crate::NewFlag {
        rule: "PDD-NO-ABUSE".into(),
        reason: "abusive words".into(),
    }];
    let id = store.ingest(m).await.unwrap().conversation_id;
    let breached = store
        .breach_due(t("2026-11-13T11:00:00Z"), 100)
        .await
        .unwrap();
    let mine: Vec<_> = breached
        .iter()
        .filter(|b| b.conversation_id == id)
        .collect();
    assert_eq!(mine.len(), 1);
    assert!(!mine[0].escalated, "the plan did not ask to escalate");
    let d = store.conversation(id).await.unwrap().unwrap();
    assert_eq!(d.conversation.status, ConversationStatus::New);
    let flags: Vec<_> = d.events.iter().filter(|e| e.kind == "flagged").collect();
    assert_eq!(flags.len(), 1, "{:?}", d.events);
    assert_eq!(flags[0].data["rule"], "PDD-NO-ABUSE");
    assert_eq!(flags[0].data["reason"], "abusive words");
    assert_eq!(flags[0].actor, "rulebook");
}
