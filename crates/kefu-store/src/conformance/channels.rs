//! Conformance: the outbox, FAQs, connectors and mailbox cursors.

use super::*;

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
