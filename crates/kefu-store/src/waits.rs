//! What `kefu simulate --day` replays (issue 13): the buyers' waits for an answer, as the
//! clocks their messages started (by rule, with the due time the rulebook gave, which already
//! counts the shop's working hours), and the agents' replies, to measure how long an answer
//! takes. Each backend reads the same rows; the meaning is the caller's.

use chrono::{DateTime, Utc};
use kefu_core::{ClockKind, ObligationState};

/// One clock a buyer's message started.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitClock {
    pub conversation_id: i64,
    /// When the message that started it came in.
    pub opened_at: DateTime<Utc>,
    pub rule: String,
    pub clock: ClockKind,
    pub due: DateTime<Utc>,
    pub state: ObligationState,
    /// When it was met, breached or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One reply an agent wrote (not the bot's, not the system's).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentReply {
    pub agent_id: i64,
    pub conversation_id: i64,
    pub shop_id: i64,
    pub at: DateTime<Utc>,
    /// The conversation's latest buyer message at or before the reply.
    pub after_buyer_at: Option<DateTime<Utc>>,
}

/// Which clocks: those of `clocks` kinds that `shop_id`'s buyers' messages started in
/// `[from, to)`.
#[derive(Debug, Clone)]
pub struct WaitQuery {
    pub shop_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub clocks: Vec<ClockKind>,
}

pub(crate) fn clock_names(q: &WaitQuery) -> Vec<String> {
    q.clocks.iter().map(|c| c.as_str().to_string()).collect()
}
