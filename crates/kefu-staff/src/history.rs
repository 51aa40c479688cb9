//! Measures taken from the store's history for a day's replay (issue 13).
//!
//! How long an answer takes: kefu records when a buyer wrote and when an agent replied, not
//! when the agent opened the thread. An agent answers one message after another, so the work
//! on a reply starts at the later of the buyer's message and the agent's previous reply (in
//! any shop), and ends with the reply. That stretch is the agent's time per answer, queueing
//! excluded, as long as the agent was at the desk all along: a stretch longer than
//! `longest_seconds` means they were away, and is not counted. Chat agents who keep several
//! threads open at once show shorter stretches, which is what one agent's capacity is.

/// One reply by an agent; times in seconds on any common axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplyAt {
    pub agent: i64,
    pub at: f64,
    /// The buyer's message the reply answered (the latest before it).
    pub after_buyer: Option<f64>,
    /// Whether its time is wanted (a reply in another shop only ends the one before).
    pub counts: bool,
}

/// The longest stretch counted as one answer's work by default: 30 minutes.
pub const LONGEST_ANSWER_SECONDS: f64 = 1800.0;

/// The seconds each counted reply took (see the module's note), in the replies' order.
pub fn answer_times(replies: &[ReplyAt], longest_seconds: f64) -> Vec<f64> {
    let mut order: Vec<&ReplyAt> = replies.iter().collect();
    order.sort_by(|a, b| a.agent.cmp(&b.agent).then(a.at.total_cmp(&b.at)));
    let mut out = Vec::new();
    let mut previous: Option<(i64, f64)> = None;
    for r in order {
        let free_since = previous.filter(|p| p.0 == r.agent).map(|p| p.1);
        previous = Some((r.agent, r.at));
        let Some(buyer) = r.after_buyer else {
            continue;
        };
        let start = free_since.map_or(buyer, |f| f.max(buyer));
        let took = r.at - start;
        if r.counts && took > 0.0 && took <= longest_seconds {
            out.push(took);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(agent: i64, at: f64, after_buyer: Option<f64>) -> ReplyAt {
        ReplyAt {
            agent,
            at,
            after_buyer,
            counts: true,
        }
    }

    #[test]
    fn an_answer_starts_when_both_the_message_and_the_agent_are_there() {
        let replies = [
            // Agent 1: a message at 0 answered at 120; the next came at 60 while they were
            // busy, answered at 300 (180 s of work after the first reply).
            reply(1, 120.0, Some(0.0)),
            reply(1, 300.0, Some(60.0)),
            // Back after lunch: three hours since the last reply, the message came 50 s ago.
            reply(1, 11_100.0, Some(11_050.0)),
            // Away for an hour with a message waiting: not counted.
            reply(1, 16_000.0, Some(12_000.0)),
            // Agent 2 on its own clock; a reply to no buyer message is not an answer.
            reply(2, 130.0, Some(0.0)),
            reply(2, 140.0, None),
            ReplyAt {
                counts: false,
                ..reply(2, 400.0, Some(100.0))
            },
        ];
        assert_eq!(
            answer_times(&replies, LONGEST_ANSWER_SECONDS),
            [120.0, 180.0, 50.0, 130.0]
        );
        assert!(answer_times(&[], 60.0).is_empty());
    }
}
