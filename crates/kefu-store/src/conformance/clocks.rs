//! Conformance: clocks opening, closing and breaching, and the supervisor's overview of them.

use super::*;

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
    let change = |status, at: &str, closes: &[&str], opens: Vec<ClockOpen>| StatusChange {
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

pub async fn the_supervisors_overview(store: &Arc<dyn Store>) {
    let a = shop(store, "Overview A", Platform::Ebay).await;
    let b = shop(store, "Overview B", Platform::Taobao).await;
    let clock = |due: &str| ClockOpen {
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
