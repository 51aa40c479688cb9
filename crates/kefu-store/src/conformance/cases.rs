//! Conformance: after-sales cases.

use super::*;

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
