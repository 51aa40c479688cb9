//! Conformance: shops, orders, agents and their tokens.

use super::*;

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
