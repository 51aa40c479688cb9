//! The complaint flow (COMPLAINT-FLOW, seed 003: "record → route to the responsible team →
//! report back on time → summarise improvements; unsatisfied customers escalate to
//! management").
//!
//! - [`complaint_cause`] reads what a complaint is about from its words (`data/
//!   complaint_causes.txt`, five languages): the parcel, the goods, the money or the service.
//! - [`complaint_recorded`] is the plan when a complaint is recorded (the classifier or an
//!   agent's mark): its cause, the team the pack (or the shop) gives that cause, and the
//!   report-back clock (`[[clocks]]` on `complaint_recorded`).
//! - [`complaint_resolved`] meets the report-back clock: the resolution summary is what the
//!   buyer was told.
//! - [`still_unhappy`]: a rating at or below the pack's `unhappy_rating`, or a buyer asking for
//!   a manager ([`asks_for_manager`]), goes to a supervisor.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, Utc};
use kefu_core::{ClockKind, ClockOpen};

use super::Plan;
use super::abuse::{fold, is_cjk};
use super::complaint::whole_word;
use super::events::clocks_started;
use crate::deadline::{ClockStart, Trigger};
use crate::pack::{ComplaintCause, Pack, tables};

const LEXICON: &str = include_str!("../../data/complaint_causes.txt");

/// What a phrase of the lexicon says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    Cause(ComplaintCause),
    Manager,
}

/// The cause order on a tie: the more specific first.
const TIE_ORDER: [ComplaintCause; 4] = [
    ComplaintCause::Billing,
    ComplaintCause::Quality,
    ComplaintCause::Logistics,
    ComplaintCause::Service,
];

struct Lexicon {
    automaton: AhoCorasick,
    says: Vec<Says>,
    cjk: Vec<bool>,
}

fn lexicon() -> &'static Lexicon {
    static COMPILED: OnceLock<Lexicon> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let (mut phrases, mut says) = (Vec::new(), Vec::new());
        for line in LEXICON.lines().map(str::trim) {
            let Some((label, list)) = line.split_once(':').filter(|_| !line.starts_with('#'))
            else {
                continue;
            };
            let meaning = match label.trim() {
                "manager" => Says::Manager,
                other => match ComplaintCause::parse(other) {
                    Some(c) => Says::Cause(c),
                    None => continue,
                },
            };
            for phrase in list.split('|') {
                let folded = fold(phrase).trim().to_string();
                if !folded.is_empty() {
                    phrases.push(folded);
                    says.push(meaning);
                }
            }
        }
        let cjk = phrases.iter().map(|p| p.chars().any(is_cjk)).collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .expect("the complaint cause lexicon compiles");
        Lexicon {
            automaton,
            says,
            cjk,
        }
    })
}

/// What the lexicon finds in `text`: each phrase once.
fn found(text: &str) -> Vec<Says> {
    let lex = lexicon();
    let folded = fold(text);
    let mut patterns: Vec<usize> = lex
        .automaton
        .find_overlapping_iter(&folded)
        .filter(|m| lex.cjk[m.pattern().as_usize()] || whole_word(&folded, m.start(), m.end()))
        .map(|m| m.pattern().as_usize())
        .collect();
    patterns.sort_unstable();
    patterns.dedup();
    patterns.into_iter().map(|p| lex.says[p]).collect()
}

/// What a complaint is about, from its words: the cause with the most phrases found (on a tie
/// the more specific: billing, quality, logistics, service), `Other` when none is.
pub fn complaint_cause(text: &str) -> ComplaintCause {
    let says = found(text);
    let count = |c: ComplaintCause| says.iter().filter(|s| **s == Says::Cause(c)).count();
    TIE_ORDER
        .into_iter()
        .map(|c| (count(c), c))
        .filter(|(n, _)| *n > 0)
        // `max_by_key` keeps the last of equals: reverse so the first in TIE_ORDER wins.
        .rev()
        .max_by_key(|(n, _)| *n)
        .map_or(ComplaintCause::Other, |(_, c)| c)
}

/// Whether the buyer asks for someone above the agent ("叫你们领导来", "I want to speak to a
/// manager").
pub fn asks_for_manager(text: &str) -> bool {
    found(text).contains(&Says::Manager)
}

/// What recording a complaint does.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintRecord {
    pub rule: String,
    pub cause: ComplaintCause,
    /// The team that answers for the cause (by name), when the pack or shop gives one.
    pub team: Option<String>,
    /// The report-back clock (the pack's clocks on `complaint_recorded`).
    pub open: Vec<ClockOpen>,
}

/// The plan when a complaint is recorded at `at`: `cause` as an agent gave it, else read from
/// the buyer's words `text`.
pub fn complaint_recorded(
    pack: &Pack,
    at: DateTime<Utc>,
    text: &str,
    cause: Option<ComplaintCause>,
) -> ComplaintRecord {
    kefu_core::enforces!(
        crate::ids::COMPLAINT_FLOW,
        test = "kefu::complaints::a_complaint_is_recorded_routed_reported_back_and_summarised"
    );
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::ComplaintRecorded),
        test = "kefu-rules::plan::complaint_flow::tests::recording_routes_by_cause_and_starts_the_report_back_clock"
    );
    kefu_core::enforces!(
        pack_table = tables::COMPLAINTS,
        test = "kefu-rules::plan::complaint_flow::tests::recording_routes_by_cause_and_starts_the_report_back_clock"
    );
    let cause = cause.unwrap_or_else(|| complaint_cause(text));
    ComplaintRecord {
        rule: pack.complaints.rule.clone(),
        cause,
        team: pack.complaints.teams.get(&cause).cloned(),
        open: clocks_started(pack, Trigger::ComplaintRecorded, at, None).open,
    }
}

/// The plan when a complaint ends with its resolution summary: the buyer has been reported
/// back to.
pub fn complaint_resolved() -> Plan {
    Plan::closing(vec![ClockKind::ReportBack])
}

/// Why a buyer is still unhappy and goes to a supervisor, if they are: a rating at or below
/// the pack's `unhappy_rating`, or a message asking for a manager.
pub fn still_unhappy(pack: &Pack, rating: Option<u8>, message: Option<&str>) -> Option<String> {
    let rule = &pack.complaints.rule;
    if let Some(score) = rating.filter(|s| *s <= pack.complaints.unhappy_rating) {
        return Some(format!("the buyer rated the service {score} of 5 ({rule})"));
    }
    message
        .filter(|m| asks_for_manager(m))
        .map(|_| format!("the buyer asks for a manager ({rule})"))
}

#[cfg(test)]
mod tests;
