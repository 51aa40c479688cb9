//! Use cases on one conversation: load it for a caller, reply, add a note, set its status,
//! start the clocks of a trigger, assign it, tell the buyer an agent is typing, fetch a file.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use kefu_core::{ConversationStatus, Direction};
use kefu_guard::{Verdict, VerdictKind};
use kefu_rules::{Trigger, plan};
use kefu_store::{AttachmentInfo, ClockStart, ConversationDetail, NewNote, NewReply, StatusChange};
use serde_json::json;

use super::validate::{MAX_MESSAGE_CHARS, non_empty};
use super::{Caller, DeskError, DeskResult};
use crate::AppState;
use crate::live::{LiveEvent, LiveKind, Party};
use crate::shop_rules::{ShopRules, status_clocks};

/// Loads a conversation the caller may see, with its shop's rules. A conversation of another
/// tenant or of a shop the caller does not work for does not exist for them.
pub async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> DeskResult<(ConversationDetail, Arc<ShopRules>)> {
    let missing = || DeskError::not_found(format!("conversation {id} does not exist"));
    let detail = state.store.conversation(id).await?.ok_or_else(missing)?;
    let rules = state
        .shops
        .get(
            state.store.as_ref(),
            &state.packs,
            detail.conversation.shop_id,
        )
        .await?;
    if rules.shop.tenant_id != caller.tenant_id || !caller.may_see_shop(rules.shop.id) {
        return Err(missing());
    }
    Ok((detail, rules))
}

/// A reply that went out.
#[derive(Debug)]
pub struct Replied {
    pub message_id: i64,
    /// The guard's verdict: `ok`, or `warn` that the agent confirmed.
    pub verdict: Verdict,
    /// The clocks the reply met.
    pub met_obligations: Vec<i64>,
}

/// Sends an agent's reply: the guard checks it first; a blocked reply, or one with warnings
/// the agent has not confirmed, is not sent and its draft is kept in the conversation's log.
pub async fn reply(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &str,
    confirm: bool,
) -> DeskResult<Replied> {
    let body = body.trim();
    non_empty("body", body, MAX_MESSAGE_CHARS)?;
    let (detail, rules) = load(state, caller, id).await?;
    let verdict = super::check_reply(&state.guard, &rules, &detail, body);
    let now = state.clock.now();
    let findings = serde_json::to_value(&verdict.findings).unwrap_or_else(|_| json!([]));
    let blocked = verdict.verdict == VerdictKind::Block;
    if blocked || (verdict.verdict == VerdictKind::Warn && !confirm) {
        return Err(hold(state, caller, id, body, &verdict, findings, blocked).await?);
    }
    // The rulebook decides which clocks the reply meets (EBAY-SUBSTANTIVE: an acknowledgement
    // alone does not meet a first-response clock).
    let plan = plan::reply(!verdict.lacks_substance());
    let outcome = state
        .store
        .add_reply(NewReply {
            conversation_id: id,
            agent_id: caller.agent_id,
            actor: caller.actor.clone(),
            body: body.to_string(),
            at: now,
            closes_clocks: plan.close,
            guard_override: (!verdict.findings.is_empty())
                .then(|| json!({"by": caller.actor, "name": caller.name, "findings": findings})),
            automatic: false,
        })
        .await?;
    state.metrics.replies_sent.fetch_add(1, Ordering::Relaxed);
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Message {
            id: outcome.message_id,
            direction: Direction::Outbound,
            body: body.to_string(),
            at: now,
            bot: false,
        },
    });
    if let Some(search) = &state.search {
        // The reply moves the conversation to pending_customer: its messages follow.
        search.mark_stale(id);
    }
    Ok(Replied {
        message_id: outcome.message_id,
        verdict,
        met_obligations: outcome.met_obligations,
    })
}

/// Keeps a held reply's draft in the conversation's log (nothing is sent, nothing is lost)
/// and says why it was held.
async fn hold(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &str,
    verdict: &Verdict,
    findings: serde_json::Value,
    blocked: bool,
) -> DeskResult<DeskError> {
    kefu_core::enforces!(
        kefu_rules::ids::REC_FULL_TRANSCRIPT,
        test = "kefu::api::replies_pass_the_guard_and_close_the_clocks"
    );
    let kind = if blocked {
        "reply_blocked"
    } else {
        "reply_held"
    };
    let now = state.clock.now();
    state
        .store
        .log_event(
            id,
            now,
            kind,
            &caller.actor,
            json!({"draft": body, "findings": findings}),
        )
        .await?;
    if blocked {
        state
            .metrics
            .replies_blocked
            .fetch_add(1, Ordering::Relaxed);
    }
    let message = if blocked {
        "the reply guard blocked this reply; nothing was sent and the draft is kept"
    } else {
        "the reply guard has warnings; send again with \"confirm\": true to send it anyway"
    };
    Ok(DeskError::Held {
        message,
        details: json!({"verdict": verdict.verdict, "findings": findings, "draft": body}),
    })
}

/// Sets a conversation's status; the rulebook says which clocks that meets and opens.
pub async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: i64,
    status: ConversationStatus,
    reason: Option<String>,
) -> DeskResult<()> {
    let (detail, rules) = load(state, caller, id).await?;
    let now = state.clock.now();
    let (closes_clocks, opens) = status_clocks(&rules.pack, status, now);
    state
        .store
        .set_status(StatusChange {
            conversation_id: id,
            status,
            actor: caller.actor.clone(),
            at: now,
            reason,
            closes_clocks,
            opens,
        })
        .await?;
    if let Some(search) = &state.search {
        search.mark_stale(id);
    }
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Status { status },
    });
    Ok(())
}

/// An agent marks the conversation a complaint, or takes the mark off (the classifier can
/// be wrong both ways); the repeat-complaint rate (KPI-REPEAT-5) counts the mark.
pub async fn mark_complaint(
    state: &AppState,
    caller: &Caller,
    id: i64,
    complaint: bool,
    cause: Option<kefu_rules::pack::ComplaintCause>,
) -> DeskResult<()> {
    let (detail, rules) = load(state, caller, id).await?;
    let now = state.clock.now();
    state
        .store
        .mark_complaint(id, complaint, &caller.actor, now)
        .await?;
    // An agent's mark counts like the classifier's for incidents (COLLECTIVE-3LEVEL).
    let first = detail
        .messages
        .iter()
        .find(|m| m.direction == kefu_core::Direction::Inbound);
    if let (true, Some(m)) = (complaint, first) {
        let arrived = super::incidents::Arrived {
            shop_id: detail.conversation.shop_id,
            conversation_id: id,
            at: now,
            text: &m.body,
            facts: super::incidents::OrderFacts::read(state, detail.order.as_ref()).await?,
        };
        super::incidents::complaint_arrived(state, arrived).await?;
    }
    // The mark records the complaint with its cause and routes it (COMPLAINT-FLOW).
    if complaint {
        super::complaints::record(state, &rules, &detail, &caller.actor, cause).await?;
    }
    Ok(())
}

/// An agent is typing in the conversation; a web-chat buyer sees it.
pub async fn typing(state: &AppState, caller: &Caller, id: i64) -> DeskResult<()> {
    let (detail, _) = load(state, caller, id).await?;
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Typing { from: Party::Agent },
    });
    Ok(())
}

/// The trigger of [`start_clocks`] from its name: `complex_issue` (EBAY-ESCALATE-2H) or
/// `after_sales_request` (TB-AFTERSALES-24-48H).
pub fn trigger_named(name: &str) -> DeskResult<Trigger> {
    match name {
        "complex_issue" => Ok(Trigger::ComplexIssue),
        "after_sales_request" => Ok(Trigger::AfterSalesRequest),
        other => Err(DeskError::invalid(format!(
            "unknown trigger {other:?}; expected complex_issue or after_sales_request"
        ))),
    }
}

/// Something happened that starts clocks of the shop's pack (the case was judged complex,
/// the buyer filed an after-sales request): the rulebook plans them, the store opens them.
/// Answers the ids of the clocks opened.
pub async fn start_clocks(
    state: &AppState,
    caller: &Caller,
    id: i64,
    trigger_name: &str,
) -> DeskResult<Vec<i64>> {
    let trigger = trigger_named(trigger_name)?;
    let (detail, rules) = load(state, caller, id).await?;
    let now = state.clock.now();
    let plan = plan::clocks_started(&rules.pack, trigger, now, detail.order.as_ref());
    Ok(state
        .store
        .start_clocks(ClockStart {
            conversation_id: id,
            at: now,
            actor: caller.actor.clone(),
            trigger: trigger_name.to_string(),
            obligations: plan.open,
        })
        .await?)
}

/// An internal note for colleagues: never sent to the buyer, so the guard does not check it
/// and it moves no clock. Answers the note's message id.
pub async fn add_note(state: &AppState, caller: &Caller, id: i64, body: &str) -> DeskResult<i64> {
    let body = body.trim();
    non_empty("body", body, MAX_MESSAGE_CHARS)?;
    load(state, caller, id).await?;
    let message_id = state
        .store
        .add_note(NewNote {
            conversation_id: id,
            agent_id: caller.agent_id,
            actor: caller.actor.clone(),
            body: body.to_string(),
            at: state.clock.now(),
        })
        .await?;
    if let Some(search) = &state.search {
        search.nudge();
    }
    Ok(message_id)
}

/// A file a buyer sent, for whoever may see its conversation (to anyone else it does not
/// exist).
pub async fn attachment(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> DeskResult<(AttachmentInfo, Vec<u8>)> {
    let missing = || DeskError::not_found(format!("file {id} does not exist"));
    let (info, bytes) = state.store.attachment(id).await?.ok_or_else(missing)?;
    load(state, caller, info.conversation_id)
        .await
        .map_err(|_| missing())?;
    Ok((info, bytes))
}

/// Gives the conversation to `agent_id` (`None`: unassigned). Supervisors assign anyone; an
/// agent may take a conversation they can see themself (the desk's "Take"). The agent must
/// work for the conversation's shop.
pub async fn assign(
    state: &AppState,
    caller: &Caller,
    id: i64,
    agent_id: Option<i64>,
) -> DeskResult<()> {
    let taking = agent_id.is_some() && agent_id == caller.agent_id;
    if !taking {
        caller.require(kefu_core::Role::Supervisor)?;
    }
    let (detail, _) = load(state, caller, id).await?;
    if let Some(agent_id) = agent_id {
        let agents = state.store.agents(caller.tenant_id).await?;
        if !agents.iter().any(|a| a.id == agent_id) {
            return Err(DeskError::invalid(format!(
                "agent {agent_id} does not exist"
            )));
        }
        let shops = state.store.agent_shops(agent_id).await?;
        if !shops.is_empty() && !shops.contains(&detail.conversation.shop_id) {
            return Err(DeskError::invalid(format!(
                "agent {agent_id} does not work for this conversation's shop"
            )));
        }
    }
    state
        .store
        .assign_to(id, agent_id, &caller.actor, state.clock.now())
        .await?;
    Ok(())
}
