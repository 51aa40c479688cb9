//! The off-hours bot (TB-OFFHOURS-BOT): when a buyer writes while the shop is closed and the
//! shop's pack asks for it, the shop's own auto-reply goes out at once, in the buyer's
//! language, through the reply guard.
//!
//! It answers once per closed period per conversation, never for old messages being imported,
//! and never closes a clock: the platform measures the human answer. Its messages are marked
//! as the bot's in the thread (`reply_sent` with `"bot": true`, actor `bot`).

use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration, Utc};
use kefu_guard::{LintContext, VerdictKind};
use kefu_store::{IngestOutcome, NewReply};

use crate::AppState;
use crate::error::ApiResult;
use crate::shop_rules::ShopRules;

/// Messages older than this when they reach kefu are imports, not buyers waiting now.
const FRESH: Duration = Duration::minutes(10);

/// Sends the off-hours reply for a newly stored message if one is due; returns its message id.
pub async fn answer_off_hours(
    state: &AppState,
    rules: &ShopRules,
    stored: &IngestOutcome,
    received: DateTime<Utc>,
    language: Option<&str>,
) -> ApiResult<Option<i64>> {
    let Some(bot) = &rules.pack.offhours_bot else {
        return Ok(None);
    };
    let Some(templates) = rules
        .overrides
        .offhours_reply
        .as_ref()
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    if stored.duplicate || now - received > FRESH {
        return Ok(None);
    }
    let Some(calendar) = rules.pack.calendar_ref(&bot.calendar) else {
        return Ok(None);
    };
    if calendar.is_open(received) {
        return Ok(None);
    }
    let Some(detail) = state.store.conversation(stored.conversation_id).await? else {
        return Ok(None);
    };
    // Once per closed period: skip if the bot already answered since the shop last opened.
    let last_bot = detail
        .events
        .iter()
        .rev()
        .find(|e| e.kind == kefu_core::event_kind::REPLY_SENT && e.data["bot"] == true)
        .map(|e| e.at);
    if let Some(at) = last_bot
        && calendar
            .add_business(at, Duration::seconds(1))
            .is_none_or(|next_open| next_open > received)
    {
        return Ok(None);
    }
    let lang = language.or(detail.customer.language.as_deref());
    let text = lang
        .and_then(|l| templates.get(l))
        .or_else(|| templates.get("en"))
        .or_else(|| templates.values().next())
        .cloned()
        .unwrap_or_default();
    // `{due}`: when a person will answer, from the first-response clock the message opened.
    let tz = rules.pack.timezone;
    let due = detail
        .obligations
        .iter()
        .filter(|o| o.state == kefu_core::ObligationState::Open && o.clock == "first_response")
        .map(|o| o.due)
        .min()
        .unwrap_or_else(|| {
            calendar
                .add_business(received, Duration::seconds(1))
                .unwrap_or(received)
        });
    let local = due.with_timezone(&tz);
    let due_text = if local.date_naive() == received.with_timezone(&tz).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%m-%d %H:%M").to_string()
    };
    let mut body = text.replace("{due}", &due_text);
    // "Where is my parcel?" is answered from the order's own facts at once.
    let question = detail
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == kefu_core::Direction::Inbound);
    if let (Some(q), Some(order)) = (question, &detail.order)
        && let Some(answer) = tracking_answer(lang.unwrap_or("en"), &q.body, order, tz)
    {
        body.push(if lang == Some("zh") { '\n' } else { ' ' });
        body.push_str(&answer);
    }
    let verdict = rules.guard(&state.guard).lint(
        &body,
        &LintContext {
            lang: lang.map(str::to_string),
            ..LintContext::default()
        },
    );
    let sent_body = body;
    if verdict.verdict == VerdictKind::Block {
        tracing::warn!(
            shop = rules.shop.id,
            "the shop's off-hours reply is blocked by the reply guard; not sent"
        );
        return Ok(None);
    }
    let sent = state
        .store
        .add_reply(NewReply {
            conversation_id: stored.conversation_id,
            agent_id: None,
            actor: "bot".into(),
            body: sent_body.clone(),
            at: now,
            closes_clocks: Vec::new(),
            guard_override: None,
            automatic: true,
        })
        .await?;
    state.metrics.bot_replies.fetch_add(1, Ordering::Relaxed);
    state.live.publish(crate::live::LiveEvent {
        shop_id: rules.shop.id,
        conversation_id: stored.conversation_id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: crate::live::LiveKind::Message {
            id: sent.message_id,
            direction: kefu_core::Direction::Outbound,
            body: sent_body,
            at: now,
            bot: true,
        },
    });
    Ok(Some(sent.message_id))
}

/// Words that ask where a parcel is, by language.
const WHERE_IS_MY_PARCEL: &[&str] = &[
    "快递",
    "物流",
    "包裹",
    "到哪",
    "发货了吗",
    "单号",
    "where is",
    "tracking",
    "parcel",
    "package",
    "shipped",
    "paket",
    "sendung",
    "lieferung",
    "paquete",
    "envío",
    "envio",
    "seguimiento",
    "colis",
    "livraison",
];

/// A sentence from the order's shipping facts for a buyer who asks where their parcel is.
pub fn tracking_answer(
    lang: &str,
    question: &str,
    order: &kefu_core::Order,
    tz: chrono_tz::Tz,
) -> Option<String> {
    let lower = question.to_lowercase();
    if !WHERE_IS_MY_PARCEL.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let shipped = order
        .shipped_at?
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string();
    let carrier = order.carrier.clone().unwrap_or_default();
    let number = order.tracking_number.clone()?;
    let id = &order.external_id;
    Some(match lang {
        "zh" => format!(
            "您的订单{id}已于{shipped}由{carrier}发出，运单号{number}，您可以随时查询物流进度。"
        ),
        "de" => format!(
            "Ihre Bestellung {id} wurde am {shipped} mit {carrier} verschickt, Sendungsnummer {number}."
        ),
        "es" => format!(
            "Su pedido {id} se envió el {shipped} con {carrier}, número de seguimiento {number}."
        ),
        "fr" => format!(
            "Votre commande {id} a été expédiée le {shipped} par {carrier}, numéro de suivi {number}."
        ),
        _ => format!(
            "Your order {id} shipped on {shipped} with {carrier}, tracking number {number}."
        ),
    })
}
