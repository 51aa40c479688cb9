//! The bot (TB-OFFHOURS-BOT): keeps a shop answering when nobody can.
//!
//! It speaks when a buyer writes while the shop is closed (the pack's `[offhours_bot]`
//! calendar, else the shop's working hours), or, if the shop asks for it (`bot_when_busy`),
//! inside working hours when no agent could take the conversation. For each buyer message it
//! answers in the buyer's language (LANG-LOCAL) with, in this order of preference:
//! the order's own tracking facts for "where is my parcel"; the shop's best-matching FAQ
//! answer when the matcher is confident; and, once per closed period, an honest notice of
//! when a person will answer (the due time of the rulebook's clock).
//!
//! It hands over to a person, with a summary as an internal note, when the buyer asks for
//! one or when it has no confident answer. It never answers for old messages being imported
//! and never closes a clock: the platform measures the human answer. Every answer passes the
//! reply guard. Its messages are marked as the bot's (`reply_sent` with `"bot": true`).

use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use kefu_core::{Direction, ObligationState, event_kind};
use kefu_faq::FaqIndex;
use kefu_guard::{LintContext, VerdictKind};
use kefu_store::{ConversationDetail, IngestOutcome, NewNote, NewReply};
use serde_json::json;

use crate::AppState;
use crate::desk::DeskResult;
use crate::shop_rules::ShopRules;

pub use crate::faq_cache::FaqCache;

mod words;

pub use words::tracking_answer;
use words::*;

/// Messages older than this when they reach kefu are imports, not buyers waiting now.
const FRESH: Duration = Duration::minutes(10);

/// Why the bot hands a conversation to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handover {
    AskedForPerson,
    Unsure,
    GuardBlocked,
}

impl Handover {
    fn reason(self) -> &'static str {
        match self {
            Handover::AskedForPerson => "the buyer asked for a person",
            Handover::Unsure => "the bot had no confident answer",
            Handover::GuardBlocked => "the reply guard blocked the bot's answer",
        }
    }
}

/// Why the bot speaks now: the shop is closed, or (if it asked for that) busy with nobody to
/// take the conversation; with the calendar it reads and the conversation as stored.
struct Occasion<'a> {
    calendar: &'a kefu_rules::Calendar,
    closed: bool,
    detail: ConversationDetail,
}

/// Whether the bot speaks for this message (not for imports, not in working hours unless the
/// shop asked for it, not when the shop gave it nothing to say).
async fn occasion<'a>(
    state: &AppState,
    rules: &'a ShopRules,
    stored: &IngestOutcome,
    received: DateTime<Utc>,
    has_words: bool,
) -> DeskResult<Option<Occasion<'a>>> {
    if stored.duplicate || state.clock.now() - received > FRESH || !has_words {
        return Ok(None);
    }
    let calendar_name = rules
        .pack
        .offhours_bot
        .as_ref()
        .map(|b| b.calendar.as_str())
        .unwrap_or(rules.pack.shop_calendar.as_str());
    let Some(calendar) = rules.pack.calendar_ref(calendar_name) else {
        return Ok(None);
    };
    let closed = !calendar.is_open(received);
    // In working hours only a shop that asked for it hears from the bot: decide that before
    // reading the conversation, which every message of an open shop would otherwise cost.
    if !closed && rules.overrides.bot_when_busy != Some(true) {
        return Ok(None);
    }
    let Some(detail) = state.store.conversation(stored.conversation_id).await? else {
        return Ok(None);
    };
    if !closed && detail.conversation.assignee_id.is_some() {
        return Ok(None);
    }
    Ok(Some(Occasion {
        calendar,
        closed,
        detail,
    }))
}

/// When a person will answer, as the buyer reads it: the first-response clock this message
/// opened, else the calendar's next opening; the time alone when it is today.
fn person_due(
    detail: &ConversationDetail,
    calendar: &kefu_rules::Calendar,
    received: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> String {
    let due = detail
        .obligations
        .iter()
        .filter(|o| {
            o.state == ObligationState::Open && o.clock == kefu_core::ClockKind::FirstResponse
        })
        .map(|o| o.due)
        .min()
        .unwrap_or_else(|| {
            calendar
                .add_business(received, Duration::seconds(1))
                .unwrap_or(received)
        });
    let local = due.with_timezone(&tz);
    if local.date_naive() == received.with_timezone(&tz).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%m-%d %H:%M").to_string()
    }
}

/// What the bot says and whether it hands over: the answer (tracking, FAQ, or a person's
/// promise) after the once-per-period notice.
struct Said {
    body: String,
    handover: Option<Handover>,
    faq_key: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn compose(
    rules: &ShopRules,
    faqs: &FaqIndex,
    detail: &ConversationDetail,
    question: &str,
    lang: &str,
    due_text: &str,
    closed: bool,
    (noticed, handed_over): (bool, bool),
) -> Said {
    let (mut handover, mut answer, mut faq_key) = (None, None, None);
    if asks_for_person(question) {
        handover = Some(Handover::AskedForPerson);
        if !handed_over {
            answer = Some(person_text(lang).replace("{due}", due_text));
        }
    } else if let Some(order) = &detail.order
        && let Some(track) = tracking_answer(lang, question, order, rules.pack.timezone)
    {
        answer = Some(track);
    } else if let Some(m) = faqs.best(question, Some(lang)).filter(|m| m.confident)
        && let Some(filled) = fill(&m.answer, detail, due_text)
    {
        faq_key = Some(m.id.clone());
        answer = Some(filled);
    } else {
        handover = Some(Handover::Unsure);
    }
    let templates = rules
        .overrides
        .offhours_reply
        .as_ref()
        .filter(|t| !t.is_empty());
    let notice = (!noticed && handover != Some(Handover::AskedForPerson)).then(|| {
        let own = if closed {
            templates.and_then(|t| {
                t.get(lang)
                    .or_else(|| t.get("en"))
                    .or_else(|| t.values().next())
            })
        } else {
            None
        };
        own.cloned()
            .unwrap_or_else(|| default_notice(lang, closed).to_string())
            .replace("{due}", due_text)
    });
    let body = match (notice, answer) {
        (Some(n), Some(a)) => format!("{n}{}{a}", if lang == "zh" { "\n" } else { " " }),
        (Some(n), None) => n,
        (None, Some(a)) => a,
        (None, None) => String::new(),
    };
    Said {
        body,
        handover,
        faq_key,
    }
}

/// Sends the bot's reply through the guard; `None` when the guard blocks it.
async fn send(
    state: &AppState,
    rules: &ShopRules,
    detail: &ConversationDetail,
    body: &str,
    lang: &str,
) -> DeskResult<Option<i64>> {
    let verdict = rules.guard(&state.guard).lint(
        body,
        &LintContext {
            lang: Some(lang.to_string()),
            ..LintContext::default()
        },
    );
    if verdict.verdict == VerdictKind::Block {
        tracing::warn!(
            shop = rules.shop.id,
            "the bot's answer is blocked by the reply guard; not sent"
        );
        return Ok(None);
    }
    let now = state.clock.now();
    let id = detail.conversation.id;
    let sent = state
        .store
        .add_reply(NewReply {
            conversation_id: id,
            agent_id: None,
            actor: "bot".into(),
            body: body.to_string(),
            at: now,
            closes_clocks: kefu_rules::plan::bot_reply().close,
            guard_override: None,
            automatic: true,
        })
        .await?;
    state.metrics.bot_replies.fetch_add(1, Ordering::Relaxed);
    state.live.publish(crate::live::LiveEvent {
        shop_id: rules.shop.id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: crate::live::LiveKind::Message {
            id: sent.message_id,
            direction: Direction::Outbound,
            body: body.to_string(),
            at: now,
            bot: true,
        },
    });
    Ok(Some(sent.message_id))
}

/// Hands the conversation to a person: a summary as an internal note, and the event.
async fn hand_over(
    state: &AppState,
    detail: &ConversationDetail,
    summary: String,
    why: Handover,
    lang: &str,
) -> DeskResult<()> {
    let now = state.clock.now();
    let id = detail.conversation.id;
    state
        .store
        .add_note(NewNote {
            conversation_id: id,
            agent_id: None,
            actor: "bot".into(),
            body: summary,
            at: now,
        })
        .await?;
    state
        .store
        .log_event(
            id,
            now,
            BOT_HANDOVER,
            "bot",
            json!({"reason": why.reason(), "language": lang}),
        )
        .await?;
    Ok(())
}

/// Answers a newly stored buyer message if the bot should; returns the reply's message id.
pub async fn answer(
    state: &AppState,
    rules: &ShopRules,
    stored: &IngestOutcome,
    received: DateTime<Utc>,
    language: Option<&str>,
) -> DeskResult<Option<i64>> {
    kefu_core::enforces!(
        kefu_rules::ids::TB_OFFHOURS_BOT,
        test =
            "kefu-server::bot::at_night_the_bot_answers_from_the_faq_and_hands_over_what_it_cannot"
    );
    let has_templates = rules
        .overrides
        .offhours_reply
        .as_ref()
        .is_some_and(|t| !t.is_empty());
    // Cheap checks first: a fresh message of a shop that gave its bot something to say.
    if stored.duplicate || state.clock.now() - received > FRESH {
        return Ok(None);
    }
    let faqs = state.faqs.get(state.store.as_ref(), rules.shop.id).await?;
    let has_words = has_templates || !faqs.is_empty();
    let Some(Occasion {
        calendar,
        closed,
        detail,
    }) = occasion(state, rules, stored, received, has_words).await?
    else {
        return Ok(None);
    };
    let started = Instant::now();
    let Some(question) = detail
        .messages
        .iter()
        .find(|m| m.id == stored.message_id)
        .map(|m| m.body.clone())
    else {
        return Ok(None);
    };
    let lang = language
        .or(detail.customer.language.as_deref())
        .unwrap_or("en")
        .to_string();
    let tz = rules.pack.timezone;
    let due_text = person_due(&detail, calendar, received, tz);
    // What the bot already did since the shop last closed (or since the last hour when busy).
    let period_start = if closed {
        last_opening(calendar, received)
    } else {
        received - Duration::hours(1)
    };
    let since = |kind: &str, bot_only: bool| {
        detail
            .events
            .iter()
            .any(|e| e.kind == kind && e.at >= period_start && (!bot_only || e.data["bot"] == true))
    };
    let done = (
        since(event_kind::REPLY_SENT, true),
        since(BOT_HANDOVER, false),
    );
    let said = compose(
        rules, &faqs, &detail, &question, &lang, &due_text, closed, done,
    );
    let (mut handover, mut sent_id) = (said.handover, None);
    if !said.body.is_empty() {
        sent_id = send(state, rules, &detail, &said.body, &lang).await?;
        if sent_id.is_none() {
            handover = Some(Handover::GuardBlocked);
        }
    }
    if let Some(why) = handover
        && !(done.1 && why == Handover::Unsure)
    {
        let shown = sent_id.map(|_| said.body.as_str());
        let summary = handover_summary(&detail, &question, &lang, why, shown, &due_text, tz);
        hand_over(state, &detail, summary, why, &lang).await?;
    }
    state
        .metrics
        .bot_answer_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    if let Some(key) = said.faq_key {
        tracing::debug!(shop = rules.shop.id, faq = %key, "bot answered from the FAQ");
    }
    Ok(sent_id)
}

/// The event of a hand-over to a person.
pub const BOT_HANDOVER: &str = "bot_handover";

/// The start of the closed period `t` falls in: the last moment the calendar was open.
fn last_opening(calendar: &kefu_rules::Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
    // Walk back in 15-minute steps (at most 8 days): cheap, and only run when the bot speaks.
    let mut at = t;
    for _ in 0..(8 * 24 * 4) {
        at -= Duration::minutes(15);
        if calendar.is_open(at) {
            return at;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::tidy_gap;

    #[test]
    fn a_left_out_order_number_leaves_no_gap() {
        assert_eq!(tidy_gap("在订单  页面点击"), "在订单页面点击");
        assert_eq!(
            tidy_gap("Thank you for your order !"),
            "Thank you for your order!"
        );
        assert_eq!(
            tidy_gap("On the page of order  choose"),
            "On the page of order choose"
        );
    }
}
