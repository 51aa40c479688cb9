//! The bot on a simulated clock with a real SQLite file: FAQ answers in the buyer's language,
//! the notice once per closed period, hand-over to a person with a summary, the busy mode
//! inside working hours, and the clocks it must leave running (TB-OFFHOURS-BOT, LANG-LOCAL).

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kefu_core::{Channel, Direction, ManualClock, ObligationState, Platform};
use kefu_server::AppState;
use kefu_server::desk::ingest::{CustomerRef, InboundRequest, ingest};
use kefu_store::{ConversationDetail, DEFAULT_TENANT, FaqEntry, NewShop, SqliteStore, Store};

fn local(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

fn message(shop_id: i64, buyer: &str, body: &str) -> InboundRequest {
    InboundRequest {
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
    }
}

fn bot_replies(d: &ConversationDetail) -> Vec<&str> {
    let ids: Vec<i64> = d
        .events
        .iter()
        .filter(|e| e.kind == "reply_sent" && e.data["bot"] == true)
        .filter_map(|e| e.data["message_id"].as_i64())
        .collect();
    d.messages
        .iter()
        .filter(|m| ids.contains(&m.id))
        .map(|m| m.body.as_str())
        .collect()
}

fn handovers(d: &ConversationDetail) -> usize {
    d.events.iter().filter(|e| e.kind == "bot_handover").count()
}

/// Whether `text` holds `part`, spaces aside (the bot closes the gap a missing order number
/// leaves, and with it the spaces around Chinese text).
fn holds(text: &str, part: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
    squeeze(text).contains(&squeeze(part))
}

/// The preset answer of `key` in `lang`, before its placeholders are filled.
fn preset(key: &str, lang: &str) -> String {
    kefu_faq::presets()
        .into_iter()
        .find(|f| f.id == key && f.language == lang)
        .unwrap()
        .answer
}

async fn load_presets(store: &Arc<dyn Store>, shop_id: i64) {
    for f in kefu_faq::presets() {
        store
            .put_faq(FaqEntry {
                shop_id,
                key: f.id,
                language: f.language,
                questions: f.questions,
                answer: f.answer,
                updated_at: local("2026-11-01T00:00:00"),
            })
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_night_the_bot_answers_from_the_faq_and_hands_over_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("kefu.db").to_str().unwrap()).unwrap());
    let clock = Arc::new(ManualClock::new(local("2026-11-11T23:30:00")));
    let state = AppState::new(store.clone(), clock.clone(), "bot-test-master-key-0000").unwrap();
    let shop = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "小鹿家居".into(),
            platform: Platform::Taobao,
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            pack: "taobao".into(),
            settings: serde_json::json!({"offhours_reply": {
                "zh": "亲，现在是非工作时间，客服会在{due}前回复您。",
                "en": "Hello! We are closed now; an agent will answer you by {due}."
            }}),
        })
        .await
        .unwrap();
    load_presets(&store, shop.id).await;

    // A question the FAQ knows: the notice and the answer, in Chinese, in one reply.
    let first = ingest(
        &state,
        message(shop.id, "xiaoming", "亲，付款后多久发货呀？"),
    )
    .await
    .unwrap();
    let d = store
        .conversation(first.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with("亲，现在是非工作时间，客服会在11-12 09:05前回复您。"),
        "{}",
        replies[0]
    );
    let ship = preset("ship_time", "zh");
    let ship_end: String = ship.chars().skip(20).collect();
    assert!(
        holds(replies[0], &ship_end),
        "the shipping-time answer: {}",
        replies[0]
    );
    assert!(
        !replies[0].contains('{'),
        "no placeholder is left: {}",
        replies[0]
    );
    assert_eq!(handovers(&d), 0, "a confident answer needs no person yet");
    let frt = d
        .obligations
        .iter()
        .find(|o| o.rule == "TB-FRT-5M")
        .unwrap();
    assert_eq!(
        frt.state,
        ObligationState::Open,
        "the bot never answers for a person"
    );

    // A second question the same night: the answer alone, no second notice.
    clock.set(local("2026-11-11T23:35:00"));
    ingest(
        &state,
        message(shop.id, "xiaoming", "你好，我想要开个发票，怎么弄"),
    )
    .await
    .unwrap();
    let d = store
        .conversation(first.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(!replies[1].contains("非工作时间"), "{}", replies[1]);
    let invoice: String = preset("invoice", "zh").chars().take(10).collect();
    assert!(holds(replies[1], &invoice), "{}", replies[1]);

    // The buyer asks for a person: an honest answer and a hand-over note with a summary.
    clock.set(local("2026-11-11T23:40:00"));
    ingest(&state, message(shop.id, "xiaoming", "我要转人工"))
        .await
        .unwrap();
    let d = store
        .conversation(first.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert_eq!(replies.len(), 3);
    assert!(
        replies[2].contains("人工客服") && replies[2].contains("09:05"),
        "{}",
        replies[2]
    );
    assert_eq!(handovers(&d), 1);
    let note = d
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Note)
        .expect("hand-over note");
    assert!(
        note.body.contains("the buyer asked for a person"),
        "{}",
        note.body
    );
    assert!(
        note.body.contains("我要转人工") && note.body.contains("发票"),
        "the summary has the question and what came before: {}",
        note.body
    );
    assert!(note.body.contains("09:05"), "{}", note.body);

    // A question the bot cannot answer, from a new buyer: the notice only, and a hand-over.
    let other = ingest(&state, message(shop.id, "lina", "你们老板是哪里人啊"))
        .await
        .unwrap();
    let d = store
        .conversation(other.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0],
        "亲，现在是非工作时间，客服会在11-12 09:05前回复您。"
    );
    assert_eq!(handovers(&d), 1);

    // An English buyer gets English answers (LANG-LOCAL).
    let en = ingest(
        &state,
        message(
            shop.id,
            "tom",
            "Hi, can I get a VAT invoice for my company?",
        ),
    )
    .await
    .unwrap();
    let d = store
        .conversation(en.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert!(
        replies[0].starts_with("Hello! We are closed now"),
        "{}",
        replies[0]
    );
    assert!(replies[0].contains("we issue invoices"), "{}", replies[0]);

    // In working hours people answer; the bot stays quiet.
    clock.set(local("2026-11-12T10:00:00"));
    let day = ingest(&state, message(shop.id, "wang", "付款后多久发货？"))
        .await
        .unwrap();
    let d = store
        .conversation(day.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(bot_replies(&d).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_working_hours_the_bot_answers_only_when_the_shop_asks_and_nobody_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("kefu.db").to_str().unwrap()).unwrap());
    // A Tuesday at 11:00 in Berlin: the shop is open.
    let clock = Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-10T11:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc),
    ));
    let state = AppState::new(store.clone(), clock.clone(), "bot-test-master-key-0000").unwrap();
    let new_shop = |name: &str, busy: bool| NewShop {
        tenant_id: DEFAULT_TENANT,
        name: name.into(),
        platform: Platform::Ebay,
        timezone: "Europe/Berlin".into(),
        currency: "EUR".into(),
        pack: "ebay".into(),
        settings: serde_json::json!({"bot_when_busy": busy, "timezone": "Europe/Berlin"}),
    };
    let busy_shop = store.create_shop(new_shop("Busy", true)).await.unwrap();
    let plain_shop = store.create_shop(new_shop("Plain", false)).await.unwrap();
    load_presets(&store, busy_shop.id).await;
    load_presets(&store, plain_shop.id).await;

    // No agent exists, so nobody can take the conversation: the busy shop's bot answers in
    // German with the FAQ and says a person is coming.
    let asked = ingest(
        &state,
        message(
            busy_shop.id,
            "hans",
            "Hallo, kann ich eine Rechnung für meine Firma bekommen?",
        ),
    )
    .await
    .unwrap();
    let d = store
        .conversation(asked.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let replies = bot_replies(&d);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with("Hallo! Gerade sind alle Mitarbeiter im Gespräch"),
        "{}",
        replies[0]
    );
    assert!(replies[0].contains("Rechnung"), "{}", replies[0]);
    // The other shop did not ask for it.
    let quiet = ingest(
        &state,
        message(
            plain_shop.id,
            "hans",
            "Hallo, kann ich eine Rechnung für meine Firma bekommen?",
        ),
    )
    .await
    .unwrap();
    let d = store
        .conversation(quiet.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(bot_replies(&d).is_empty());

    // Once an agent is available, new conversations go to them and the bot stays quiet.
    store
        .create_agent(kefu_store::NewAgent {
            tenant_id: DEFAULT_TENANT,
            email: "anna@example.com".into(),
            name: "Anna".into(),
            role: kefu_core::Role::Agent,
            languages: vec!["de".into(), "en".into()],
            password_hash: None,
        })
        .await
        .unwrap();
    let routed = ingest(
        &state,
        message(busy_shop.id, "greta", "Kann ich eine Rechnung bekommen?"),
    )
    .await
    .unwrap();
    let d = store
        .conversation(routed.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert!(d.conversation.assignee_id.is_some());
    assert!(bot_replies(&d).is_empty());
}
