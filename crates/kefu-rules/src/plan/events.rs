//! One function per conversation event; see the table in the module above.

use chrono::{DateTime, Utc};
use kefu_core::{Channel, ClockKind, ConversationStatus, Order, Severity};

use super::{ClockOpen, Flag, OrderTotal, Plan, order_total, order_value};
use crate::catalog::ids;
use crate::deadline::ClockStart;
use crate::deadline::{DeadlineInput, Trigger, deadlines};
use crate::pack::{Pack, tables};

/// The rule a promised call back is kept under (the record of a call asks for it).
const CALLBACK_RULE: &str = ids::REC_CUSTOMER_INFO;

/// A buyer's message, as far as the rulebook is concerned.
#[derive(Debug, Clone, Copy)]
pub struct BuyerMessage<'a> {
    pub received: DateTime<Utc>,
    /// The order the message is about, when there is one: its items' unit prices and its
    /// total decide conditional clocks (EBAY-HIGHVALUE-12H).
    pub order: Option<&'a Order>,
    /// The channel it came through (GEN-FIRST-30S is for live chat only).
    pub channel: Channel,
    /// The message text (its language does not matter here yet).
    pub body: &'a str,
}

/// The plan for a buyer's message. `first`: it opens the conversation (the desk has not
/// answered it yet), so the first-response clocks start; otherwise the follow-up clocks
/// (a buyer writing again after an answer). The store learns only on ingest which of the two
/// it is, so the desk may ask for both and hand both to it.
///
/// Routing: a message that starts the high-value clock routes the conversation to the
/// high-value team (HIGHVALUE-CHANNEL).
pub fn buyer_message(pack: &Pack, msg: &BuyerMessage<'_>, first: bool) -> Plan {
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::FirstMessage),
        test = "kefu-rules::plan::tests::buyer_message_channel_decides_live_chat_clock"
    );
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::LaterMessage),
        test = "kefu-rules::deadlines::ae_frt_24h_and_peak_1h_on_later_messages"
    );
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::BuyerMessage),
        test =
            "kefu-rules::plan::tests::buyer_message_opens_high_value_clock_and_routes_high_value"
    );
    let (order_total, items) = msg.order.map(order_value).unwrap_or_default();
    let input = DeadlineInput {
        received: msg.received,
        order_total,
        items,
        channel: Some(msg.channel),
        trigger: Trigger::BuyerMessage { first },
    };
    let mut plan = Plan::opening(open(pack, &input));
    plan.flags = message_flags(pack, msg.body);
    plan.complaint = super::complaint::is_complaint(msg.body);
    plan
}

/// The flags the pack's message checks raise on `body`.
fn message_flags(pack: &Pack, body: &str) -> Vec<Flag> {
    let mut flags = Vec::new();
    if pack.message_checks.iter().any(|r| r == super::abuse::RULE)
        && let Some(phrase) = super::abuse::abusive_phrase(body)
    {
        flags.push(Flag {
            rule: super::abuse::RULE.to_string(),
            reason: format!(
                "abusive words in the buyer's message: \"{}\"",
                phrase.trim()
            ),
        });
    }
    flags
}

/// The plan for an agent's reply. `substantive`: the guard did not find it an
/// acknowledgement without substance (`kefu_guard::Verdict::lacks_substance` is false). Any
/// reply answers a later message, is the follow-up after a resolution and keeps a promise to
/// call back; only a substantive one meets the first-response and high-value clocks
/// (EBAY-SUBSTANTIVE).
pub fn reply(substantive: bool) -> Plan {
    let mut close = vec![
        ClockKind::NextResponse,
        ClockKind::Followup,
        ClockKind::Callback,
    ];
    if substantive {
        close.push(ClockKind::FirstResponse);
        close.push(ClockKind::HighValueResponse);
    }
    Plan::closing(close)
}

/// The plan for the bot's automatic answer (off hours, FAQ): it closes no clock, because the
/// platform measures the human answer.
pub fn bot_reply() -> Plan {
    Plan::default()
}

/// The plan for an internal note: the buyer never sees it, so it moves no clock.
pub fn note() -> Plan {
    Plan::default()
}

/// The plan for a status change: escalating meets the escalation clock (EBAY-ESCALATE-2H);
/// resolving meets the resolution and after-sales clocks and starts the follow-up clock
/// (EBAY-FOLLOWUP-48H). Other statuses move no clock.
pub fn status_changed(pack: &Pack, status: ConversationStatus, at: DateTime<Utc>) -> Plan {
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::ResolutionOffered),
        test = "kefu-rules::plan::tests::status_change_closes_and_opens_clocks"
    );
    match status {
        ConversationStatus::Escalated => Plan::closing(vec![ClockKind::Escalation]),
        ConversationStatus::Resolved => Plan {
            close: vec![ClockKind::Resolution, ClockKind::Aftersales],
            ..Plan::opening(open(
                pack,
                &trigger_input(at, None, Trigger::ResolutionOffered),
            ))
        },
        _ => Plan::default(),
    }
}

/// The plan when an agent marks the conversation complex (EBAY-ESCALATE-2H) or the buyer
/// files an after-sales request (TB-AFTERSALES-24-48H): the pack's clocks on that trigger,
/// on the order's total when there is an order.
pub fn clocks_started(
    pack: &Pack,
    trigger: Trigger,
    at: DateTime<Utc>,
    order: Option<&Order>,
) -> Plan {
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::ComplexIssue),
        test = "kefu-rules::plan::tests::triggers_start_their_clocks"
    );
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::AfterSalesRequest),
        test = "kefu-rules::plan::tests::triggers_start_their_clocks"
    );
    Plan::opening(open(
        pack,
        &trigger_input(at, order.map(order_total), trigger),
    ))
}

/// The plan when a phone call is logged (MULTICHANNEL). A call answered live starts no reply
/// clock; a call back promised by `callback_by` is an obligation of the shop's own
/// (REC-CUSTOMER-INFO), due then, which does not escalate when missed.
pub fn call_logged(callback_by: Option<DateTime<Utc>>) -> Plan {
    kefu_core::enforces!(
        ids::REC_CUSTOMER_INFO,
        test = "kefu-rules::plan::tests::call_logged_opens_callback_clock"
    );
    let open = callback_by
        .map(|due| ClockOpen {
            rule: CALLBACK_RULE.to_string(),
            clock: ClockKind::Callback,
            severity: Severity::Target,
            due,
            explanation: format!(
                "callback promised on the phone by {} ({CALLBACK_RULE})",
                due.to_rfc3339()
            ),
            escalate_on_breach: super::escalates_on_breach(Severity::Target),
        })
        .into_iter()
        .collect();
    Plan::opening(open)
}

/// How long a phone may ring before it is answered: three rings, about 15 seconds
/// (GEN-PHONE-3RINGS).
pub const PHONE_RING_SECONDS: u32 = 15;

/// A logged call's answer against GEN-PHONE-3RINGS: the rule, and whether the phone was
/// answered within three rings (it rang `rang_seconds`).
pub fn call_answered(rang_seconds: u32) -> (&'static str, bool) {
    kefu_core::enforces!(
        ids::GEN_PHONE_3RINGS,
        test = "kefu-rules::plan::tests::a_call_is_answered_within_three_rings"
    );
    (ids::GEN_PHONE_3RINGS, rang_seconds <= PHONE_RING_SECONDS)
}

/// The plan when an after-sales case is opened on the conversation's order: the pack's
/// after-sales clocks (TB-AFTERSALES-24-48H) start, on the order's total.
pub fn case_opened(pack: &Pack, at: DateTime<Utc>, order: &Order) -> Plan {
    clocks_started(pack, Trigger::AfterSalesRequest, at, Some(order))
}

/// The plan when an after-sales case moves (accepted, done, rejected): the case keeps its own
/// state, and no clock moves with it (the after-sales clock is met when the conversation is
/// resolved).
pub fn case_moved() -> Plan {
    Plan::default()
}

/// What a breached clock does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breached {
    /// The conversation is escalated to a supervisor (when it is still open).
    pub escalate: bool,
    /// Why, for the conversation's log.
    pub reason: String,
}

/// The plan for a clock that fell due unmet: it escalates when the obligation was opened
/// with `escalate_on_breach` (see [`ClockOpen::escalate_on_breach`]).
pub fn clock_breached(rule: &str, escalate_on_breach: bool) -> Breached {
    Breached {
        escalate: escalate_on_breach,
        reason: format!("{rule} breached"),
    }
}

/// The input for a non-message trigger: calendar of the pack's default channel, no items.
fn trigger_input(at: DateTime<Utc>, total: Option<OrderTotal>, trigger: Trigger) -> DeadlineInput {
    DeadlineInput {
        received: at,
        order_total: total,
        items: Vec::new(),
        channel: None,
        trigger,
    }
}

/// The clocks `input` opens under `pack`.
fn open(pack: &Pack, input: &DeadlineInput) -> Vec<ClockOpen> {
    deadlines(pack, input)
        .into_iter()
        .map(ClockOpen::from)
        .collect()
}
