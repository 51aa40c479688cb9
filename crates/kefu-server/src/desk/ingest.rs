//! The ingest path for a buyer's message, the same for every channel:
//! normalise → detect language → redact secrets → plan the rule clocks → store in one
//! transaction.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use kefu_core::Channel;
use kefu_core::lang::{LanguageContext, market_language, read_text};
use kefu_store::{Inbound, IngestOutcome};
use serde::Deserialize;

use super::DeskResult;
use super::validate::{MAX_MESSAGE_CHARS, RECEIVED_MINUTES_AHEAD, non_empty, parse_time};
use crate::AppState;
use crate::shop_rules::message_plan;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    pub shop_id: i64,
    pub channel: Channel,
    pub customer: CustomerRef,
    pub order_external_id: Option<String>,
    pub body: String,
    pub received_at: Option<String>,
    pub external_id: Option<String>,
    /// The platform thread a reply goes back to; set by connectors, not by API clients.
    #[serde(skip)]
    pub reply_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRef {
    pub handle: String,
    pub name: Option<String>,
    pub language: Option<String>,
}

/// Connectors pull marketplace messages late (a first poll fetches the platform's recent
/// history, a connector back from an outage catches up), so their times get a wider window.
pub const PULLED_DAYS_BACK: i64 = 365;

/// The time a message is stored at when its sender gave one: within [`PULLED_DAYS_BACK`]
/// days back to [`RECEIVED_MINUTES_AHEAD`] minutes ahead it is kept (a marketplace message
/// pulled late keeps its platform time); outside, it is taken as arriving now, since a
/// sender's broken clock must not break its feed (API clients are held to the narrower
/// window by [`check_received_at`] before this).
fn clamp_received_at(now: DateTime<Utc>, t: DateTime<Utc>) -> DateTime<Utc> {
    let earliest = now - chrono::Duration::days(PULLED_DAYS_BACK);
    let latest = now + chrono::Duration::minutes(RECEIVED_MINUTES_AHEAD);
    if t < earliest || t > latest {
        tracing::warn!(received_at = %t.to_rfc3339(), "message time out of range; stored as now");
        now
    } else {
        t
    }
}

/// The language a buyer's message is taken in (LANG-LOCAL): the text's own when it is clear
/// (a longer sentence, words only one language uses), else the conversation's language, the
/// customer's known language and the shop's market before a detector's guess; short
/// messages ("Danke, das passt.", "ok", one Chinese line in an English chat) were misread
/// without them (issue 10). The store is asked only when the text leaves it open.
async fn message_language(
    state: &AppState,
    shop: &kefu_core::Shop,
    customer: &CustomerRef,
    body: &str,
) -> DeskResult<Option<String>> {
    kefu_core::enforces!(
        kefu_rules::ids::LANG_LOCAL,
        test = "kefu::api::new_conversations_go_to_an_available_agent_who_speaks_the_language"
    );
    let reading = read_text(body);
    if let Some(code) = reading.confident() {
        return Ok(Some(code.to_string()));
    }
    let known = state
        .store
        .buyer_language(shop.id, customer.handle.trim())
        .await?;
    let history: Vec<&str> = known.conversation.as_deref().into_iter().collect();
    let context = LanguageContext {
        history: &history,
        customer: customer.language.as_deref().or(known.customer.as_deref()),
        market: market_language(shop.platform, &shop.timezone, &shop.currency),
    };
    Ok(reading.decide(&context).map(str::to_string))
}

/// The sender's mistakes that are caught before anything is read: empty or overlong fields.
fn validate(req: &InboundRequest) -> DeskResult<()> {
    non_empty("body", &req.body, MAX_MESSAGE_CHARS)?;
    non_empty("customer.handle", &req.customer.handle, 200)?;
    if let Some(ext) = &req.external_id {
        non_empty("external_id", ext, 200)?;
    }
    Ok(())
}

/// Every desk tab following the shop sees the buyer's message at once.
fn announce(
    state: &AppState,
    shop_id: i64,
    outcome: &IngestOutcome,
    handle: &str,
    body: String,
    at: DateTime<Utc>,
) {
    state.live.publish(crate::live::LiveEvent {
        shop_id,
        conversation_id: outcome.conversation_id,
        customer_handle: handle.into(),
        kind: crate::live::LiveKind::Message {
            id: outcome.message_id,
            direction: kefu_core::Direction::Inbound,
            body,
            at,
            bot: false,
        },
    });
}

/// What the clustering reads of a complaint: its words and its order's facts. Best effort, as
/// the clustering is: without the postcode the region is unknown.
async fn complaint_facts(
    state: &AppState,
    complaint: bool,
    body: &str,
    order: Option<&kefu_core::Order>,
) -> Option<(String, super::incidents::OrderFacts)> {
    if !complaint {
        return None;
    }
    let facts = super::incidents::OrderFacts::read(state, order)
        .await
        .unwrap_or_else(|_| super::incidents::OrderFacts::of(order, None));
    Some((body.to_string(), facts))
}

/// Clustering is best effort too: the complaint is stored either way.
async fn cluster(state: &AppState, arrived: super::incidents::Arrived<'_>) {
    if let Err(e) = super::incidents::complaint_arrived(state, arrived).await {
        tracing::warn!(error = %e, "complaint not clustered");
    }
}

/// The complaint flow (COMPLAINT-FLOW) after the message is stored, best effort as the
/// clustering is: a complaint is recorded and routed to its cause's team (after the routing of
/// a new conversation, which it overrides), a buyer asking for a manager is escalated.
async fn complaint_flow(
    state: &AppState,
    rules: &crate::shop_rules::ShopRules,
    outcome: &IngestOutcome,
    complaint: bool,
    unhappy: Option<String>,
) {
    let id = outcome.conversation_id;
    let result = async {
        if complaint && let Some(detail) = state.store.conversation(id).await? {
            super::complaints::record(state, rules, &detail, "desk", None).await?;
        }
        if let Some(reason) = unhappy {
            super::complaints::escalate_unhappy(state, rules, id, reason).await?;
        }
        Ok::<(), super::DeskError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, conversation_id = id, "complaint flow not applied");
    }
}

/// The ingest counters `/metrics` shows, and a nudge to the search indexer.
fn count(state: &AppState, outcome: &IngestOutcome, redactions: usize) {
    let metrics = &state.metrics;
    if outcome.duplicate {
        metrics.duplicates.fetch_add(1, Ordering::Relaxed);
        return;
    }
    metrics.messages_ingested.fetch_add(1, Ordering::Relaxed);
    metrics
        .secrets_redacted
        .fetch_add(redactions as u64, Ordering::Relaxed);
    if let Some(search) = &state.search {
        search.nudge();
    }
}

kefu_core::enforces!(
    kefu_rules::ids::MULTICHANNEL,
    test = "kefu::email::buyers_mail_becomes_a_conversation_and_bad_mail_is_kept"
);
pub async fn ingest(state: &AppState, req: InboundRequest) -> DeskResult<IngestOutcome> {
    validate(&req)?;
    let received_at = match &req.received_at {
        Some(t) => clamp_received_at(state.clock.now(), parse_time("received_at", t)?),
        None => state.clock.now(),
    };
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, req.shop_id)
        .await?;

    // Redact before anything is stored, indexed or logged: the raw body goes no further.
    let redacted = kefu_guard::redact(req.body.trim());
    let kinds: Vec<String> = redacted
        .found
        .iter()
        .map(|r| r.kind.as_str().to_string())
        .collect();
    let body = redacted.text;
    let language = message_language(state, &rules.shop, &req.customer, &body).await?;

    let order = match &req.order_external_id {
        Some(ext) => state.store.order(req.shop_id, ext).await?,
        None => None,
    };
    let msg = kefu_rules::plan::BuyerMessage {
        received: received_at,
        order: order.as_ref(),
        channel: req.channel,
        body: &body,
    };
    let plan = message_plan(&rules.pack, &msg);
    // COMPLAINT-FLOW: a buyer asking for a manager goes to a supervisor.
    let unhappy = super::complaints::unhappy_message(&rules, &body);
    let published_body = body.clone();
    let complaint = complaint_facts(state, plan.complaint, &body, order.as_ref()).await;

    let outcome = state
        .store
        .ingest(Inbound {
            shop_id: req.shop_id,
            channel: req.channel,
            customer_handle: req.customer.handle.trim().to_string(),
            customer_name: req.customer.name,
            customer_language: req.customer.language,
            order_external_id: req.order_external_id,
            body,
            language: language.clone(),
            received_at,
            external_id: req.external_id,
            first_contact_obligations: plan.first_contact,
            follow_up_obligations: plan.follow_up,
            high_value: plan.high_value,
            complaint: plan.complaint,
            flags: plan.flags,
            redactions: kinds.clone(),
            reply_to: req.reply_to,
        })
        .await?;
    if !outcome.duplicate {
        let handle = req.customer.handle.trim();
        announce(
            state,
            req.shop_id,
            &outcome,
            handle,
            published_body,
            received_at,
        );
        if let Some((text, facts)) = complaint {
            let arrived = super::incidents::Arrived {
                shop_id: req.shop_id,
                conversation_id: outcome.conversation_id,
                at: received_at,
                text: &text,
                facts,
            };
            cluster(state, arrived).await;
        }
    }
    if outcome.new_conversation {
        // Routing is best effort: the message is stored; a conversation nobody could take
        // waits unassigned.
        if let Err(e) = state
            .store
            .assign(outcome.conversation_id, received_at)
            .await
        {
            tracing::warn!(error = %e, "conversation not assigned");
        }
    }
    if !outcome.duplicate {
        complaint_flow(state, &rules, &outcome, plan.complaint, unhappy).await;
        // An auto-reply that fails must not fail the buyer's message, which is stored.
        if let Err(e) =
            crate::bot::answer(state, &rules, &outcome, received_at, language.as_deref()).await
        {
            tracing::warn!(error = %e, "off-hours reply not sent");
        }
    }
    count(state, &outcome, kinds.len());
    Ok(outcome)
}
