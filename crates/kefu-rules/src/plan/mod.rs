//! The plan: what one event of a conversation must do, decided by the rulebook alone.
//!
//! Each function here takes the shop's [`Pack`] (overrides applied), the facts of the
//! conversation that matter and the event, and returns a [`Plan`]: the clocks to open (each
//! with whether missing it escalates), the clocks the event satisfies, the routing the
//! conversation needs and the flags a supervisor must see. The desk layer (kefu-server) calls
//! these and hands the plan to the store as data; the store knows no rule ID and no clock
//! name, and the server decides nothing about clocks itself.
//!
//! Pure: no I/O, no wall clock (every instant is in the arguments).
//!
//! | event | function |
//! |---|---|
//! | a buyer's message (first contact or follow-up) | [`buyer_message`] |
//! | an agent's reply | [`reply`] |
//! | the bot's automatic reply | [`bot_reply`] |
//! | an internal note | [`note`] |
//! | a status change | [`status_changed`] |
//! | marked complex / an after-sales request | [`clocks_started`] |
//! | a phone call logged | [`call_logged`] |
//! | an after-sales case opened / moved | [`case_opened`], [`case_moved`] |
//! | a clock breached | [`clock_breached`] |
//! | a sales peak ahead and its checklist (PEAK-PREP) | [`peak::peaks_ahead`] |
//! | a complaint recorded / resolved, a buyer still unhappy | [`complaint_recorded`], [`complaint_resolved`], [`still_unhappy`] |
//! | a reply being written or sent: what the guard checks | [`reply_checks`] |
//!
//! A buyer's message also goes through the checks its pack lists in `message_checks`; each
//! raises a [`Flag`] for a supervisor (PDD-NO-ABUSE: [`abuse`]).

pub mod abuse;
mod checks;
pub mod complaint;
pub mod complaint_flow;
mod events;
mod incident;
pub mod peak;

/// Rule IDs a pack may list in `message_checks`: each has a check of the buyer's message here.
pub const MESSAGE_CHECKS: &[&str] = &[abuse::RULE];
#[cfg(test)]
mod tests;

use chrono::Utc;
use kefu_core::{ClockKind, Order, Severity};
pub use kefu_core::{ClockOpen, Flag};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::deadline::{Deadline, ItemPrice};

pub use checks::{ReplyChecks, ReplyFacts, reply_checks};
pub use complaint_flow::{
    ComplaintRecord, asks_for_manager, complaint_cause, complaint_recorded, complaint_resolved,
    still_unhappy,
};
pub use events::{
    Breached, BuyerMessage, PHONE_RING_SECONDS, bot_reply, buyer_message, call_answered,
    call_logged, case_moved, case_opened, clock_breached, clocks_started, note, reply,
    status_changed,
};
pub use incident::{
    IncidentOwner, IncidentPlan, incident_level, incident_opened, incident_owner, incident_window,
};

/// What an event must do to the conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Clocks the event starts.
    pub open: Vec<ClockOpen>,
    /// Clocks the event satisfies (the store meets every open obligation of these kinds).
    pub close: Vec<ClockKind>,
    /// Where the conversation must go.
    pub route: Routing,
    /// Things a supervisor must look at.
    pub flags: Vec<Flag>,
    /// A buyer's message that is a complaint ([`complaint::is_complaint`]): the conversation
    /// counts as one for KPI-REPEAT-5 (and OPTIONS-3 applies to the replies).
    pub complaint: bool,
}

/// Routing constraints the rulebook puts on a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// HIGHVALUE-CHANNEL: the conversation is about a high-value order and goes to a
    /// high-value team when the shop has one. Sticky: once set, the store keeps it.
    pub high_value: bool,
}

impl Plan {
    /// A plan that only opens `open` (routing follows from the clocks, see [`Routing`]).
    fn opening(open: Vec<ClockOpen>) -> Plan {
        let high_value = needs_high_value_team(&open);
        Plan {
            open,
            route: Routing { high_value },
            ..Plan::default()
        }
    }

    /// A plan that only closes `close`.
    fn closing(close: Vec<ClockKind>) -> Plan {
        Plan {
            close,
            ..Plan::default()
        }
    }
}

/// HIGHVALUE-CHANNEL: a conversation whose order the pack treats as high value (it starts the
/// high-value reply clock, EBAY-HIGHVALUE-12H) goes to the high-value team.
fn needs_high_value_team(open: &[ClockOpen]) -> bool {
    kefu_core::enforces!(
        crate::ids::HIGHVALUE_CHANNEL,
        test = "kefu-store::conformance::routing::high_value_orders_go_to_their_team"
    );
    open.iter().any(|o| o.clock == ClockKind::HighValueResponse)
}

/// Whether missing a clock of this severity escalates the conversation: a platform limit does
/// (the platform penalises the shop), the shop's own target does not.
pub fn escalates_on_breach(severity: Severity) -> bool {
    severity == Severity::Platform
}

impl From<Deadline> for ClockOpen {
    fn from(d: Deadline) -> ClockOpen {
        ClockOpen {
            escalate_on_breach: escalates_on_breach(d.severity),
            rule: d.rule,
            clock: d.clock,
            severity: d.severity,
            due: d.due.with_timezone(&Utc),
            explanation: d.explanation,
        }
    }
}

/// An order's total and currency, as the clocks' conditions read it.
pub type OrderTotal = (Decimal, String);

/// The rulebook's view of an order's value: its total, and each item's unit price
/// (EBAY-HIGHVALUE-12H compares unit prices). When one item has no price that parses, the
/// items are left out and the total stands for one item's price: an unpriced item could be
/// the dear one, and the total is never below its price, so the faster clock is not missed.
pub fn order_value(order: &Order) -> (Option<OrderTotal>, Vec<ItemPrice>) {
    let items: Option<Vec<ItemPrice>> = order
        .items
        .iter()
        .map(|i| {
            let price = i.unit_price.as_deref()?.trim().parse().ok()?;
            Some(ItemPrice {
                title: i.title.clone(),
                unit_price: price,
            })
        })
        .collect();
    (Some(order_total(order)), items.unwrap_or_default())
}

/// An order's total and its ISO 4217 currency.
pub fn order_total(order: &Order) -> OrderTotal {
    (order.total.amount, order.total.currency.code().to_string())
}
