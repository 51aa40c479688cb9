//! A phone call an agent logs (MULTICHANNEL, REC-CUSTOMER-INFO): who called, about which
//! order, what was said and decided, and — if the problem is not solved — by when the shop
//! promised to call back. The call becomes a message of the caller's conversation; a promised
//! callback becomes a clock with that due time.

use kefu_core::{Channel, event_kind};
use kefu_store::{ClockStart, Inbound};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::validate::{non_empty, parse_time};
use super::{Caller, DeskError, DeskResult};
use crate::AppState;

/// The trigger name a promised callback records for the clock it opens.
const CALLBACK_PROMISED: &str = "callback_promised";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallLog {
    pub shop_id: i64,
    /// The caller's phone number (their handle on the phone channel).
    pub phone: String,
    pub name: Option<String>,
    pub order_external_id: Option<String>,
    pub summary: String,
    /// `resolved`, `unresolved`, `callback_promised`, …
    pub outcome: String,
    /// When the shop promised to call back (RFC 3339), for an unresolved call.
    pub callback_by: Option<String>,
    pub called_at: Option<String>,
    /// How long the phone rang before the agent answered (GEN-PHONE-3RINGS), when known.
    pub rang_seconds: Option<u32>,
}

/// A logged call, as stored.
#[derive(Debug, Serialize)]
pub struct CallLogged {
    pub conversation_id: i64,
    pub message_id: i64,
    /// The callback clock, when one was promised.
    pub obligations_opened: Vec<i64>,
}

/// Logs a call: its record (REC-CUSTOMER-INFO) becomes a message of the caller's
/// conversation on the phone channel, and a promised callback a clock the rulebook opens.
pub async fn log_call(state: &AppState, caller: &Caller, req: CallLog) -> DeskResult<CallLogged> {
    non_empty("phone", &req.phone, 40)?;
    non_empty("summary", &req.summary, 5000)?;
    non_empty("outcome", &req.outcome, 100)?;
    let rules = state.tenant_shop(caller, req.shop_id).await?;
    let called_at = match &req.called_at {
        Some(t) => parse_time("called_at", t)?,
        None => state.clock.now(),
    };
    let callback_by = req
        .callback_by
        .as_deref()
        .map(|t| parse_time("callback_by", t))
        .transpose()?;
    if let Some(due) = callback_by
        && due <= called_at
    {
        return Err(DeskError::invalid("callback_by must be after the call"));
    }
    // The record REC-CUSTOMER-INFO asks for, as the call's message.
    let mut body = format!(
        "📞 {}: {}\nOutcome: {}",
        req.phone.trim(),
        req.summary.trim(),
        req.outcome.trim()
    );
    if let Some(order) = &req.order_external_id {
        body.push_str(&format!("\nOrder: {order}"));
    }
    if let Some(due) = callback_by {
        body.push_str(&format!(
            "\nCallback promised by {}",
            due.with_timezone(&rules.pack.timezone).to_rfc3339()
        ));
    }
    let redacted = kefu_guard::redact(&body);
    let stored = state
        .store
        .ingest(Inbound {
            shop_id: req.shop_id,
            channel: Channel::Phone,
            customer_handle: req.phone.trim().to_string(),
            customer_name: req.name,
            customer_language: None,
            order_external_id: req.order_external_id,
            body: redacted.text,
            language: None,
            received_at: called_at,
            external_id: None,
            // The call was answered live: it starts no reply clock.
            first_contact_obligations: Vec::new(),
            follow_up_obligations: Vec::new(),
            high_value: false,
            complaint: false,
            flags: Vec::new(),
            redactions: redacted
                .found
                .iter()
                .map(|r| r.kind.as_str().to_string())
                .collect(),
            reply_to: None,
        })
        .await?;
    // A promise to call back is a clock the rulebook opens (REC-CUSTOMER-INFO).
    let callback = kefu_rules::plan::call_logged(callback_by).open;
    let mut opened = Vec::new();
    if !callback.is_empty() {
        opened = state
            .store
            .start_clocks(ClockStart {
                conversation_id: stored.conversation_id,
                at: called_at,
                actor: caller.actor.clone(),
                trigger: CALLBACK_PROMISED.into(),
                obligations: callback,
            })
            .await?;
    }
    // How long it rang counts in the KPI beside the clocks (GEN-PHONE-3RINGS).
    if let Some(rang) = req.rang_seconds {
        let (rule, met) = kefu_rules::plan::call_answered(rang);
        state
            .store
            .log_event(
                stored.conversation_id,
                called_at,
                event_kind::CALL_ANSWERED,
                &caller.actor,
                json!({"rule": rule, "rang_seconds": rang, "met": met}),
            )
            .await?;
    }
    if let Some(search) = &state.search {
        search.nudge();
    }
    Ok(CallLogged {
        conversation_id: stored.conversation_id,
        message_id: stored.message_id,
        obligations_opened: opened,
    })
}
