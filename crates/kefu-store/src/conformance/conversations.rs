//! Conformance: buyers' messages, conversations and what the plan asks of them.

use super::*;

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
    m.flags = vec![crate::Flag {
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
