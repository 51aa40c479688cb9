//! A day of Taobao traffic replayed on a simulated clock: messages arrive, some are answered in
//! time, some late, some at night; the scheduler sweeps every simulated minute. Checks that
//! each first-response clock (TB-FRT-5M) is met or breached exactly when the rules say.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use kefu_core::{Channel, ManualClock, ObligationState, Platform};
use kefu_server::AppState;
use kefu_server::desk::ingest::{CustomerRef, InboundRequest, ingest};
use kefu_server::desk::sweep::sweep;
use kefu_store::{DEFAULT_TENANT, NewReply, NewShop, SqliteStore, Store};

fn local(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_taobao_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("kefu.db").to_str().unwrap()).unwrap());
    let start = local("2026-11-11T08:00:00");
    let clock = Arc::new(ManualClock::new(start));
    let state = AppState::new(store.clone(), clock.clone(), "replay-master-key-000000").unwrap();
    let shop = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "小鹿家居".into(),
            platform: Platform::Taobao,
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            pack: "taobao".into(),
            settings: serde_json::json!({}),
        })
        .await
        .unwrap();

    // buyer → (arrives, answered at, expected TB-FRT-5M due, expected outcome)
    let day: &[(&str, &str, Option<&str>, &str, ObligationState)] = &[
        (
            "early",
            "2026-11-11T08:30:00",
            Some("2026-11-11T09:04:00"),
            "2026-11-11T09:05:00",
            ObligationState::Met,
        ),
        (
            "prompt",
            "2026-11-11T10:00:00",
            Some("2026-11-11T10:03:00"),
            "2026-11-11T10:05:00",
            ObligationState::Met,
        ),
        (
            "late",
            "2026-11-11T12:00:00",
            Some("2026-11-11T12:07:00"),
            "2026-11-11T12:05:00",
            ObligationState::Breached,
        ),
        (
            "ignored",
            "2026-11-11T15:30:00",
            None,
            "2026-11-11T15:35:00",
            ObligationState::Breached,
        ),
        (
            "closing",
            "2026-11-11T22:58:00",
            Some("2026-11-12T09:02:00"),
            "2026-11-12T09:03:00",
            ObligationState::Met,
        ),
        (
            "night",
            "2026-11-11T23:30:00",
            None,
            "2026-11-12T09:05:00",
            ObligationState::Breached,
        ),
    ];
    let mut conversations = BTreeMap::new();
    let mut breached_at = BTreeMap::new();
    let end = local("2026-11-12T10:00:00");
    let mut now = start;
    while now <= end {
        clock.set(now);
        for (buyer, arrives, answered, _, _) in day {
            if local(arrives) == now {
                let out = ingest(
                    &state,
                    InboundRequest {
                        shop_id: shop.id,
                        channel: Channel::Marketplace,
                        customer: CustomerRef {
                            handle: buyer.to_string(),
                            name: None,
                            language: None,
                        },
                        order_external_id: None,
                        body: "亲，在吗？我想问一下发货时间".into(),
                        received_at: None,
                        external_id: None,
                        reply_to: None,
                    },
                )
                .await
                .unwrap();
                conversations.insert(*buyer, out.conversation_id);
            }
            if answered.map(local) == Some(now) {
                store
                    .add_reply(NewReply {
                        conversation_id: conversations[buyer],
                        agent_id: None,
                        actor: "agent:1".into(),
                        body: "亲，您的订单今天下午就会发出，发货后物流单号会同步给您，请您放心。"
                            .into(),
                        at: now,
                        closes_clocks: vec![
                            kefu_core::ClockKind::FirstResponse,
                            kefu_core::ClockKind::NextResponse,
                        ],
                        guard_override: None,
                        automatic: false,
                    })
                    .await
                    .unwrap();
            }
        }
        for breach in sweep(&state).await.unwrap() {
            breached_at.insert(breach.conversation_id, now);
        }
        now += Duration::minutes(1);
    }

    for (buyer, _, _, due, outcome) in day {
        let id = conversations[buyer];
        let detail = store.conversation(id).await.unwrap().unwrap();
        let frt = detail
            .obligations
            .iter()
            .find(|o| o.rule == "TB-FRT-5M")
            .unwrap_or_else(|| panic!("{buyer}: no TB-FRT-5M"));
        assert_eq!(
            frt.due,
            local(due),
            "{buyer}: due time ({})",
            frt.explanation
        );
        assert_eq!(frt.state, *outcome, "{buyer}");
        if *outcome == ObligationState::Breached {
            // Swept each minute: the breach is marked at the first sweep at or after the due time.
            assert_eq!(
                breached_at.get(&id),
                Some(&local(due)),
                "{buyer}: breach noticed late"
            );
            assert!(
                detail
                    .events
                    .iter()
                    .any(|e| e.kind == "obligation_breached")
            );
        } else {
            assert!(
                !breached_at.contains_key(&id),
                "{buyer}: breached although answered in time"
            );
        }
    }
}

#[tokio::test]
async fn a_restart_catches_up_on_what_fell_due_while_down() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.db");
    let path = path.to_str().unwrap();
    let received = local("2026-11-11T10:00:00");
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).unwrap());
        let clock = Arc::new(ManualClock::new(received));
        let state = AppState::new(store.clone(), clock, "replay-master-key-000000").unwrap();
        let shop = store
            .create_shop(NewShop {
                tenant_id: DEFAULT_TENANT,
                name: "eBay".into(),
                platform: Platform::Ebay,
                timezone: "America/Los_Angeles".into(),
                currency: "USD".into(),
                pack: "ebay".into(),
                settings: serde_json::json!({}),
            })
            .await
            .unwrap();
        ingest(
            &state,
            InboundRequest {
                shop_id: shop.id,
                channel: Channel::Email,
                customer: CustomerRef {
                    handle: "jess@example.com".into(),
                    name: None,
                    language: None,
                },
                order_external_id: None,
                body: "Where is my parcel?".into(),
                received_at: None,
                external_id: None,
                reply_to: None,
            },
        )
        .await
        .unwrap();
        assert!(sweep(&state).await.unwrap().is_empty());
    }
    // "Down" for two days; the first sweep after start finds the missed 24-hour deadline.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).unwrap());
    let clock = Arc::new(ManualClock::new(received + Duration::days(2)));
    let state = AppState::new(store, clock, "replay-master-key-000000").unwrap();
    let breaches = sweep(&state).await.unwrap();
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].rule, "EBAY-FRT-24H");
    assert_eq!(breaches[0].due, received + Duration::hours(24));
}

#[tokio::test]
async fn the_off_hours_bot_answers_once_per_closed_period_and_leaves_the_clock_running() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("kefu.db").to_str().unwrap()).unwrap());
    let clock = Arc::new(ManualClock::new(local("2026-11-11T23:30:00")));
    let state = AppState::new(store.clone(), clock.clone(), "replay-master-key-000000").unwrap();
    let new_shop = |settings: serde_json::Value| NewShop {
        tenant_id: DEFAULT_TENANT,
        name: "小鹿家居".into(),
        platform: Platform::Taobao,
        timezone: "Asia/Shanghai".into(),
        currency: "CNY".into(),
        pack: "taobao".into(),
        settings,
    };
    let with_bot = store
        .create_shop(new_shop(serde_json::json!({"offhours_reply": {
            "zh": "亲，您好！现在是非工作时间，客服会在{due}前回复您，请您稍候。",
            "en": "Hello! We are closed now; an agent will answer you by {due}."
        }})))
        .await
        .unwrap();
    let without = store
        .create_shop(new_shop(serde_json::json!({})))
        .await
        .unwrap();
    let message = |shop_id: i64, buyer: &str, body: &str| InboundRequest {
        shop_id,
        channel: Channel::Marketplace,
        customer: CustomerRef {
            handle: buyer.into(),
            name: None,
            language: None,
        },
        order_external_id: None,
        body: body.into(),
        received_at: None,
        external_id: None,
        reply_to: None,
    };
    let bot_replies = |d: &kefu_store::ConversationDetail| {
        d.events
            .iter()
            .filter(|e| e.kind == "reply_sent" && e.data["bot"] == true)
            .count()
    };

    // 23:30, closed: the bot answers in the buyer's language with the human due time.
    let night = ingest(
        &state,
        message(with_bot.id, "xiaoming", "亲，还在吗？想问下发货时间"),
    )
    .await
    .unwrap();
    let d = store
        .conversation(night.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bot_replies(&d), 1);
    let reply = d
        .messages
        .iter()
        .find(|m| m.direction == kefu_core::Direction::Outbound)
        .unwrap();
    assert!(reply.body.contains("11-12 09:05"), "{}", reply.body);
    let frt = d
        .obligations
        .iter()
        .find(|o| o.rule == "TB-FRT-5M")
        .unwrap();
    assert_eq!(
        frt.state,
        ObligationState::Open,
        "the bot does not answer for a person"
    );
    assert_eq!(d.conversation.status, kefu_core::ConversationStatus::New);

    // A buyer asking where their parcel is gets the order's tracking facts with the notice.
    store
        .upsert_order(kefu_store::NewOrder {
            shop_id: with_bot.id,
            external_id: "TB-77".into(),
            total: kefu_core::Money::parse("129.00", "CNY").unwrap(),
            paid_at: local("2026-11-09T10:00:00"),
            promised_ship_by: None,
            shipped_at: Some(local("2026-11-10T16:00:00")),
            carrier: Some("顺丰速运".into()),
            tracking_number: Some("SF1234567890".into()),
            delivered_at: None,
            closed_at: None,
            promises: vec![],
            items: vec![],
            buyer: Default::default(),
        })
        .await
        .unwrap();
    let mut asking = message(with_bot.id, "wangfang", "我的快递到哪了？");
    asking.order_external_id = Some("TB-77".into());
    let parcel = ingest(&state, asking).await.unwrap();
    let d = store
        .conversation(parcel.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let reply = d
        .messages
        .iter()
        .find(|m| m.direction == kefu_core::Direction::Outbound)
        .unwrap();
    assert!(
        reply.body.contains("SF1234567890") && reply.body.contains("2026-11-10"),
        "{}",
        reply.body
    );

    // 23:40, same night: no second auto-reply.
    clock.set(local("2026-11-11T23:40:00"));
    ingest(&state, message(with_bot.id, "xiaoming", "在吗"))
        .await
        .unwrap();
    let d = store
        .conversation(night.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bot_replies(&d), 1);

    // A shop that wrote no auto-reply sends none.
    let quiet = ingest(&state, message(without.id, "lina", "你好"))
        .await
        .unwrap();
    assert_eq!(
        bot_replies(
            &store
                .conversation(quiet.conversation_id)
                .await
                .unwrap()
                .unwrap()
        ),
        0
    );

    // 10:00, open: a person answers, not the bot.
    clock.set(local("2026-11-12T10:00:00"));
    let day = ingest(
        &state,
        message(with_bot.id, "zhangwei", "Hello, is this in stock?"),
    )
    .await
    .unwrap();
    assert_eq!(
        bot_replies(
            &store
                .conversation(day.conversation_id)
                .await
                .unwrap()
                .unwrap()
        ),
        0
    );

    // The next night the same buyer gets the auto-reply again, in English this time.
    clock.set(local("2026-11-12T23:15:00"));
    ingest(
        &state,
        message(with_bot.id, "xiaoming", "Hello, any news on my parcel?"),
    )
    .await
    .unwrap();
    let d = store
        .conversation(night.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bot_replies(&d), 2);
    let last_reply = d
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == kefu_core::Direction::Outbound)
        .unwrap();
    assert!(last_reply.body.starts_with("Hello! We are closed"));
    // The bot had no answer of its own: a person gets the conversation with a summary.
    let note = d.messages.last().unwrap();
    assert_eq!(note.direction, kefu_core::Direction::Note);
    assert!(
        note.body.contains("Bot hand-over") && note.body.contains("any news on my parcel"),
        "{}",
        note.body
    );
}
