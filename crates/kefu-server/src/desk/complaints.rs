//! The complaint flow (COMPLAINT-FLOW) at the desk. A complaint — the rulebook's classifier on
//! a buyer's message, or an agent's mark — is recorded with its cause (read from the buyer's
//! words, or the agent's correction), the report-back clock of the pack starts, and the
//! conversation goes to a member of the team the pack or shop names for that cause. It ends
//! with a resolution summary, which meets the clock. A buyer still unhappy (a low rating, or
//! asking for a manager) is escalated to a supervisor.

use chrono::{DateTime, Utc};
use kefu_core::{ConversationStatus, event_kind};
use kefu_rules::pack::ComplaintCause;
use kefu_rules::plan::{complaint_recorded, complaint_resolved, still_unhappy};
use kefu_store::{ConversationDetail, FlowStep};
use serde::Serialize;
use serde_json::json;

use super::{Caller, DeskError, DeskResult};
use crate::AppState;
use crate::shop_rules::ShopRules;

/// Longest resolution summary, in characters.
const MAX_SUMMARY_CHARS: usize = 2_000;

/// A conversation's complaint, as its event log tells it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComplaintState {
    pub cause: Option<String>,
    pub team: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
}

impl ComplaintState {
    /// Reads the last record and resolution from the conversation's events.
    pub fn of(detail: &ConversationDetail) -> ComplaintState {
        let mut s = ComplaintState::default();
        for e in &detail.events {
            if e.kind == event_kind::COMPLAINT_RECORDED {
                s.cause = e.data["cause"].as_str().map(str::to_string);
                s.team = e.data["team"].as_str().map(str::to_string);
                s.recorded_at.get_or_insert(e.at);
                // Recorded again after a resolution: a new complaint, open again.
                if s.resolved_at.is_some_and(|r| r <= e.at) {
                    (s.resolved_at, s.summary) = (None, None);
                }
            } else if e.kind == event_kind::COMPLAINT_RESOLVED {
                s.resolved_at = Some(e.at);
                s.summary = e.data["summary"].as_str().map(str::to_string);
            }
        }
        s
    }

    pub fn recorded(&self) -> bool {
        self.cause.is_some()
    }
}

/// Parses a cause as the API and the pages send it.
pub fn parse_cause(name: &str) -> DeskResult<ComplaintCause> {
    ComplaintCause::parse(name.trim()).ok_or_else(|| {
        DeskError::invalid(format!(
            "unknown cause {name:?}: logistics, quality, billing, service or other"
        ))
    })
}

/// The buyer's words a complaint is read from: their first message, else the newest.
fn buyer_words(detail: &ConversationDetail) -> &str {
    detail
        .messages
        .iter()
        .find(|m| m.direction == kefu_core::Direction::Inbound)
        .map_or("", |m| m.body.as_str())
}

/// Records the conversation's complaint: a first record, or an agent's other cause. The
/// classifier firing again on a recorded complaint changes nothing.
pub async fn record(
    state: &AppState,
    rules: &ShopRules,
    detail: &ConversationDetail,
    actor: &str,
    cause: Option<ComplaintCause>,
) -> DeskResult<ComplaintState> {
    let before = ComplaintState::of(detail);
    let same =
        before.recorded() && cause.is_none_or(|c| before.cause.as_deref() == Some(c.as_str()));
    if same && before.resolved_at.is_none() {
        return Ok(before);
    }
    let now = state.clock.now();
    let plan = complaint_recorded(&rules.pack, now, buyer_words(detail), cause);
    let id = detail.conversation.id;
    state
        .store
        .record_step(FlowStep {
            conversation_id: id,
            at: now,
            actor: actor.to_string(),
            kind: event_kind::COMPLAINT_RECORDED.to_string(),
            data: json!({"rule": plan.rule, "cause": plan.cause.as_str(), "team": plan.team}),
            closes: Vec::new(),
            opens: plan.open,
        })
        .await?;
    if let Some(name) = &plan.team {
        let teams = state.store.teams(rules.shop.tenant_id).await?;
        // A cause whose team the tenant has not set up stays where it is.
        if let Some(team) = teams.iter().find(|t| &t.name == name) {
            state.store.assign_to_team(id, team.id, now, actor).await?;
        }
    }
    state_now(state, id).await
}

/// The conversation's complaint as the store holds it now.
async fn state_now(state: &AppState, id: i64) -> DeskResult<ComplaintState> {
    let after = state
        .store
        .conversation(id)
        .await?
        .ok_or_else(|| DeskError::not_found(format!("conversation {id} does not exist")))?;
    Ok(ComplaintState::of(&after))
}

/// An agent records the complaint with its cause (the mark, with a cause or without).
pub async fn record_by_agent(
    state: &AppState,
    caller: &Caller,
    id: i64,
    cause: Option<ComplaintCause>,
) -> DeskResult<ComplaintState> {
    let (detail, rules) = super::conversations::load(state, caller, id).await?;
    record(state, &rules, &detail, &caller.actor, cause).await
}

/// The complaint ends with its resolution summary (what the buyer was told): the report-back
/// clock is met. A complaint never recorded is recorded first, from the buyer's words.
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    id: i64,
    summary: &str,
) -> DeskResult<ComplaintState> {
    super::validate::non_empty("summary", summary, MAX_SUMMARY_CHARS)?;
    let (detail, rules) = super::conversations::load(state, caller, id).await?;
    let current = ComplaintState::of(&detail);
    if current.resolved_at.is_some() {
        return Err(DeskError::Conflict(
            "this complaint already has its resolution summary".into(),
        ));
    }
    if !current.recorded() {
        record(state, &rules, &detail, &caller.actor, None).await?;
    }
    let plan = complaint_resolved();
    state
        .store
        .record_step(FlowStep {
            conversation_id: id,
            at: state.clock.now(),
            actor: caller.actor.clone(),
            kind: event_kind::COMPLAINT_RESOLVED.to_string(),
            data: json!({"rule": rules.pack.complaints.rule, "summary": summary.trim()}),
            closes: plan.close,
            opens: plan.open,
        })
        .await?;
    state_now(state, id).await
}

/// A buyer still unhappy goes to a supervisor: the conversation is escalated, saying why
/// (`reason`: the rulebook's [`still_unhappy`], on a rating or a buyer's message).
pub async fn escalate_unhappy(
    state: &AppState,
    rules: &ShopRules,
    conversation_id: i64,
    reason: String,
) -> DeskResult<()> {
    let desk = Caller::desk(rules.shop.tenant_id);
    super::conversations::set_status(
        state,
        &desk,
        conversation_id,
        ConversationStatus::Escalated,
        Some(reason),
    )
    .await
}

/// Why the buyer who rated `score` is still unhappy, if they are.
pub fn unhappy_rating(rules: &ShopRules, score: i64) -> Option<String> {
    let score = u8::try_from(score).ok()?;
    still_unhappy(&rules.pack, Some(score), None)
}

/// Why the buyer who wrote `message` is still unhappy (they ask for a manager), if they are.
pub fn unhappy_message(rules: &ShopRules, message: &str) -> Option<String> {
    still_unhappy(&rules.pack, None, Some(message))
}
