//! `kefu bench faq`: how well and how fast the bot answers (TB-OFFHOURS-BOT).
//!
//! - Top-1 accuracy of the FAQ matcher on the labelled buyer questions (`labelled.tsv`, tuned
//!   on) and on the held-out ones (`heldout.tsv`, never tuned on), against the PEAK-PREP
//!   presets: a question is answered right when the best match is the expected FAQ; a
//!   question no FAQ covers is right when the matcher is not confident (the bot hands over).
//! - Matcher latency per question (pure, in memory).
//! - End-to-end answer latency: a buyer's message through the whole ingest path on a real
//!   SQLite file at night, until the bot's answer (or hand-over note) is stored.

use std::sync::Arc;
use std::time::Instant;

use kefu_core::{Channel, ManualClock, Platform};
use kefu_server::AppState;
use kefu_server::desk::ingest::{CustomerRef, InboundRequest, ingest};
use kefu_store::{DEFAULT_TENANT, FaqEntry, NewShop, SqliteStore, Store};
use serde_json::json;

const LABELLED: &str = include_str!("../../../kefu-faq/tests/labelled.tsv");
const HELDOUT: &str = include_str!("../../../kefu-faq/tests/heldout.tsv");

fn rows(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut c = l.splitn(3, '\t');
            Some((c.next()?.into(), c.next()?.into(), c.next()?.into()))
        })
        .collect()
}

/// Top-1 accuracy, and how many right answers were confident enough for the bot to send.
fn accuracy(index: &kefu_faq::FaqIndex, text: &str) -> serde_json::Value {
    let rows = rows(text);
    let (mut right, mut sent_right, mut sent_wrong) = (0, 0, 0);
    for (lang, expected, question) in &rows {
        let best = index.best(question, Some(lang));
        let ok = match (&best, expected.as_str()) {
            (None, "none") => true,
            (Some(m), "none") => !m.confident,
            (None, _) => false,
            (Some(m), id) => m.id == id,
        };
        right += usize::from(ok);
        if let Some(m) = &best
            && m.confident
        {
            if m.id == *expected {
                sent_right += 1;
            } else {
                sent_wrong += 1;
            }
        }
    }
    json!({
        "questions": rows.len(),
        "top1_accuracy": (right as f64 / rows.len().max(1) as f64 * 1000.0).round() / 1000.0,
        "confident_and_right": sent_right,
        "confident_but_wrong": sent_wrong,
    })
}

pub async fn faq(queries: usize, messages: usize) -> anyhow::Result<()> {
    let index = kefu_faq::FaqIndex::build(kefu_faq::presets());
    let labelled = accuracy(&index, LABELLED);
    let heldout = accuracy(&index, HELDOUT);
    let matcher = tokio::task::block_in_place(|| kefu_faq::bench::bench_match(queries));

    // The whole path at night on a real SQLite file.
    let dir = std::env::temp_dir().join(format!("kefu-bench-faq-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("kefu.db").display().to_string();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    let night = chrono::DateTime::parse_from_rfc3339("2026-11-11T23:30:00+08:00")?
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::new(night));
    let state = AppState::new(store.clone(), clock, "bench-master-key-0000000")?;
    let shop = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "bench shop".into(),
            platform: Platform::Taobao,
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            pack: "taobao".into(),
            settings: json!({"offhours_reply": {"zh": "亲，现在是非工作时间，客服会在{due}前回复您。", "en": "Hello! We are closed now; an agent will answer you by {due}."}}),
        })
        .await?;
    for f in kefu_faq::presets() {
        store
            .put_faq(FaqEntry {
                shop_id: shop.id,
                key: f.id,
                language: f.language,
                questions: f.questions,
                answer: f.answer,
                updated_at: night,
            })
            .await?;
    }
    let questions = rows(LABELLED);
    let mut took = Vec::with_capacity(messages);
    for i in 0..messages {
        let (_, _, question) = &questions[i % questions.len()];
        let started = Instant::now();
        ingest(
            &state,
            InboundRequest {
                shop_id: shop.id,
                channel: Channel::Marketplace,
                customer: CustomerRef {
                    handle: format!("buyer-{i}"),
                    name: None,
                    language: None,
                },
                order_external_id: None,
                body: question.clone(),
                received_at: None,
                external_id: None,
                reply_to: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        took.push(started.elapsed().as_micros() as u64);
    }
    let bot_replies = state
        .metrics
        .bot_replies
        .load(std::sync::atomic::Ordering::Relaxed);
    drop(state);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    took.sort_unstable();
    let pct = |p: f64| took[((took.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    super::print_json(&json!({
        "bench": "faq",
        "labelled": labelled,
        "heldout": heldout,
        "matcher": {
            "queries": matcher.queries,
            "p50_us": matcher.p50_us,
            "p99_us": matcher.p99_us,
            "per_second": matcher.per_second.round(),
        },
        "answer_end_to_end": {
            "messages": messages,
            "store": "sqlite (fsync)",
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "bot_replies": bot_replies,
        },
    }))
}
