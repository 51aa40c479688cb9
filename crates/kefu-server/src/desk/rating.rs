//! The buyer's satisfaction rating (FEEDBACK-RATING): 1 (very unhappy) to 5 (very happy),
//! with an optional comment, at most one per conversation, whichever channel asked for it.

use kefu_core::event_kind;
use kefu_store::ConversationDetail;
use serde_json::json;

use super::{DeskError, DeskResult};
use crate::AppState;

/// Longest rating comment, in characters.
const MAX_COMMENT_CHARS: usize = 1_000;

// A rating on every channel, at most one per conversation, counted in the CSAT figure.
kefu_core::enforces!(
    kefu_rules::ids::FEEDBACK_RATING,
    test = "kefu::reports::the_kpi_report_counts_what_happened_in_the_api_and_the_cli"
);

/// Records the rating of `detail`'s conversation by `actor`; the comment is redacted like a
/// buyer's message. Answers the score.
pub async fn rate(
    state: &AppState,
    detail: &ConversationDetail,
    score: Option<i64>,
    comment: Option<&str>,
    actor: &str,
) -> DeskResult<i64> {
    let score = score.ok_or_else(|| DeskError::invalid("score is required: 1 to 5"))?;
    if !(1..=5).contains(&score) {
        return Err(DeskError::invalid(format!(
            "score {score} is out of range: 1 to 5"
        )));
    }
    let comment = match comment.map(str::trim) {
        Some(c) if !c.is_empty() => {
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(DeskError::invalid(format!(
                    "comment is longer than {MAX_COMMENT_CHARS} characters"
                )));
            }
            Some(kefu_guard::redact(c).text)
        }
        _ => None,
    };
    if detail
        .events
        .iter()
        .any(|e| e.kind == event_kind::CSAT_RATED)
    {
        return Err(DeskError::Conflict(
            "this conversation has already been rated".into(),
        ));
    }
    state
        .store
        .log_event(
            detail.conversation.id,
            state.clock.now(),
            event_kind::CSAT_RATED,
            actor,
            json!({"score": score, "comment": comment}),
        )
        .await?;
    // COMPLAINT-FLOW: a buyer still unhappy after the service goes to a supervisor.
    let rules = state
        .shops
        .get(
            state.store.as_ref(),
            &state.packs,
            detail.conversation.shop_id,
        )
        .await?;
    if let Some(reason) = super::complaints::unhappy_rating(&rules, score) {
        super::complaints::escalate_unhappy(state, &rules, detail.conversation.id, reason).await?;
    }
    Ok(score)
}

/// The conversation a rating link names, when its token is right (else "not found", so a
/// guessed link learns nothing).
pub async fn by_link(
    state: &AppState,
    conversation_id: i64,
    token: &str,
) -> DeskResult<ConversationDetail> {
    let missing = || DeskError::not_found("no such rating link");
    if !crate::rating_link::valid(&state.master_key, conversation_id, token) {
        return Err(missing());
    }
    state
        .store
        .conversation(conversation_id)
        .await?
        .ok_or_else(missing)
}

/// The rating a buyer sends from an email reply's link.
pub async fn rate_by_link(
    state: &AppState,
    conversation_id: i64,
    token: &str,
    score: Option<i64>,
    comment: Option<&str>,
) -> DeskResult<i64> {
    let detail = by_link(state, conversation_id, token).await?;
    rate(state, &detail, score, comment, "buyer:email").await
}
