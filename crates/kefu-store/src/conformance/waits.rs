//! Conformance: what a day's replay reads — the clocks the buyers' messages started in a
//! shop's day, and the agents' replies with the buyer message each one answered.

use super::*;
use kefu_core::ClockKind;

use crate::WaitQuery;

pub async fn waits_and_agent_replies_for_a_days_replay(store: &Arc<dyn Store>) {
    let s = shop(store, "Taobao", Platform::Taobao).await;
    let other = shop(store, "eBay", Platform::Ebay).await;
    let agent = store
        .create_agent(NewAgent {
            tenant_id: DEFAULT_TENANT,
            email: "wang@desk.example".into(),
            name: "Wang".into(),
            role: Role::Agent,
            languages: vec!["zh".into()],
            password_hash: None,
        })
        .await
        .unwrap()
        .id;
    let opened = |handle: &str, shop_id: i64, at: &str| {
        let mut m = inbound(shop_id, handle, "亲，在吗？", at);
        m.first_contact_obligations = vec![
            obligation(
                "TB-FRT-5M",
                "first_response",
                "2026-11-11T10:05:00Z",
                Severity::Platform,
            ),
            obligation(
                "GEN-SIMPLE-5M",
                "resolution",
                "2026-11-11T10:05:00Z",
                Severity::Target,
            ),
        ];
        m.follow_up_obligations = vec![obligation(
            "TB-NEXT",
            "next_response",
            "2026-11-11T10:30:00Z",
            Severity::Platform,
        )];
        m
    };
    // The day before, another shop's buyer the same day, and two buyers of the day.
    store
        .ingest(opened("yesterday", s, "2026-11-10T23:59:00Z"))
        .await
        .unwrap();
    store
        .ingest(opened("elsewhere", other, "2026-11-11T10:00:00Z"))
        .await
        .unwrap();
    let first = opened("xiaoming", s, "2026-11-11T10:00:00Z");
    let a = store.ingest(first.clone()).await.unwrap().conversation_id;
    let b = store
        .ingest(opened("xiaohong", s, "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let mut by_agent = reply(a, "2026-11-11T10:03:00Z", &["first_response"]);
    by_agent.agent_id = Some(agent);
    store.add_reply(by_agent).await.unwrap();
    // The buyer writes again: the follow-up clock starts; the bot's answer is nobody's work.
    let mut again = first;
    again.received_at = t("2026-11-11T10:20:00Z");
    store.ingest(again).await.unwrap();
    let mut bot = reply(a, "2026-11-11T10:21:00Z", &[]);
    bot.automatic = true;
    store.add_reply(bot).await.unwrap();
    let mut second = reply(a, "2026-11-11T10:25:00Z", &["next_response"]);
    second.agent_id = Some(agent);
    store.add_reply(second).await.unwrap();

    let clocks = store
        .wait_clocks(WaitQuery {
            shop_id: s,
            from: t("2026-11-11T00:00:00Z"),
            to: t("2026-11-12T00:00:00Z"),
            clocks: vec![ClockKind::FirstResponse, ClockKind::NextResponse],
        })
        .await
        .unwrap();
    let seen: Vec<(i64, DateTime<Utc>, &str, ObligationState)> = clocks
        .iter()
        .map(|c| (c.conversation_id, c.opened_at, c.rule.as_str(), c.state))
        .collect();
    assert_eq!(
        seen,
        [
            (
                a,
                t("2026-11-11T10:00:00Z"),
                "TB-FRT-5M",
                ObligationState::Met
            ),
            (
                a,
                t("2026-11-11T10:20:00Z"),
                "TB-NEXT",
                ObligationState::Met
            ),
            (
                b,
                t("2026-11-11T11:00:00Z"),
                "TB-FRT-5M",
                ObligationState::Open
            ),
        ]
    );
    assert_eq!(clocks[0].clock, ClockKind::FirstResponse);
    assert_eq!(clocks[0].due, t("2026-11-11T10:05:00Z"));
    assert_eq!(clocks[0].closed_at, Some(t("2026-11-11T10:03:00Z")));
    assert_eq!(clocks[1].clock, ClockKind::NextResponse);
    assert_eq!(clocks[2].closed_at, None);

    let replies = store
        .agent_replies(
            DEFAULT_TENANT,
            t("2026-11-11T00:00:00Z"),
            t("2026-11-12T00:00:00Z"),
        )
        .await
        .unwrap();
    let seen: Vec<_> = replies
        .iter()
        .map(|r| {
            (
                r.agent_id,
                r.conversation_id,
                r.shop_id,
                r.at,
                r.after_buyer_at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                agent,
                a,
                s,
                t("2026-11-11T10:03:00Z"),
                Some(t("2026-11-11T10:00:00Z"))
            ),
            (
                agent,
                a,
                s,
                t("2026-11-11T10:25:00Z"),
                Some(t("2026-11-11T10:20:00Z"))
            ),
        ]
    );
    let none = store
        .agent_replies(
            DEFAULT_TENANT + 1,
            t("2026-11-11T00:00:00Z"),
            t("2026-11-12T00:00:00Z"),
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "another tenant's replies: {none:?}");
}

/// The languages of a shop's conversations since a time, most first (a market's languages
/// for the coverage check).
pub async fn a_shops_buyers_languages(store: &Arc<dyn Store>) {
    let s = shop(store, "Languages", Platform::Aliexpress).await;
    let other = shop(store, "Elsewhere", Platform::Aliexpress).await;
    for (n, (language, at)) in [
        ("de", "2026-11-20T10:00:00Z"),
        ("de", "2026-11-20T10:01:00Z"),
        ("es", "2026-11-20T10:02:00Z"),
        ("fr", "2026-11-01T10:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = inbound(s, &format!("l{n}"), "Hallo", at);
        m.language = Some(language.into());
        store.ingest(m).await.unwrap();
    }
    let mut m = inbound(other, "x", "Hola", "2026-11-20T10:00:00Z");
    m.language = Some("es".into());
    store.ingest(m).await.unwrap();
    assert_eq!(
        store
            .buyer_languages(s, t("2026-11-10T00:00:00Z"))
            .await
            .unwrap(),
        vec![("de".to_string(), 2), ("es".to_string(), 1)]
    );
}
