//! Deadlines: which clocks of a pack an event starts, and when each is due.
//!
//! [`deadlines`] takes a pack and one event ([`DeadlineInput`]) and returns one [`Deadline`]
//! per clock the event starts, each with its rule ID, due instant (in the shop's UTC offset at
//! that instant), severity and a plain-language explanation of how the clock ran.
//!
//! Several clocks can ask for the same act: a reply is owed under AE-PEAK-1H and AE-FRT-24H,
//! or under EBAY-FRT-24H and EBAY-HIGHVALUE-12H. All are listed with their own rule IDs (so a
//! breach of either can be reported); within one act and one severity the earliest is marked
//! `binding`, because meeting it meets the others (RULES.md: a clock with a peak window and
//! an overall cap is due at the earlier of the two). Platform rules and the shop's own
//! targets are kept apart: each severity has its own binding deadline.
//!
//! This module does NOT store or close obligations and does not read the clock: the event
//! time is in the input.

use chrono::{DateTime, FixedOffset, Utc};
use kefu_core::Channel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{Run, Segment};
use crate::explain::{Stamper, push_human};
use crate::pack::{ALWAYS, ClockRule, Condition, Measure, Pack, tables};

// One clock vocabulary and one severity for the whole desk: the store keeps these names.
pub use kefu_core::{ClockKind, Severity};

/// What happened, as far as clocks are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// A buyer message; `first` when it opens a conversation (no earlier buyer message in
    /// it), false for a later message in an open conversation.
    BuyerMessage { first: bool },
    /// An agent or the classifier marked the conversation as a complex issue.
    ComplexIssue,
    /// The desk offered a resolution (starts the follow-up clock).
    ResolutionOffered,
    /// The buyer filed an after-sales request (return, refund, exchange).
    AfterSalesRequest,
    /// Many buyers complain about one cause (COLLECTIVE-3LEVEL).
    CollectiveComplaint,
    /// A complaint was recorded (COMPLAINT-FLOW): the buyer is owed a report back.
    ComplaintRecorded,
}

/// Which trigger starts a clock, as written in a pack (`on = "first_message"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    /// `BuyerMessage { first: true }`.
    FirstMessage,
    /// `BuyerMessage { first: false }`.
    LaterMessage,
    /// Any buyer message.
    BuyerMessage,
    ComplexIssue,
    ResolutionOffered,
    AfterSalesRequest,
    CollectiveComplaint,
    ComplaintRecorded,
}

impl ClockStart {
    pub fn matches(self, trigger: &Trigger) -> bool {
        match (self, trigger) {
            (ClockStart::FirstMessage, Trigger::BuyerMessage { first }) => *first,
            (ClockStart::LaterMessage, Trigger::BuyerMessage { first }) => !*first,
            (ClockStart::BuyerMessage, Trigger::BuyerMessage { .. }) => true,
            (ClockStart::ComplexIssue, Trigger::ComplexIssue) => true,
            (ClockStart::ResolutionOffered, Trigger::ResolutionOffered) => true,
            (ClockStart::AfterSalesRequest, Trigger::AfterSalesRequest) => true,
            (ClockStart::CollectiveComplaint, Trigger::CollectiveComplaint) => true,
            (ClockStart::ComplaintRecorded, Trigger::ComplaintRecorded) => true,
            _ => false,
        }
    }
}

/// One item of an order, for conditions on unit prices (EBAY-HIGHVALUE-12H).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPrice {
    pub title: String,
    /// The price of one unit, in the order's currency (that of `order_total`).
    pub unit_price: Decimal,
}

/// One event to compute deadlines for.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineInput {
    /// When the event happened (the clock starts here).
    pub received: DateTime<Utc>,
    /// Order total and its ISO 4217 currency, if the conversation is about an order.
    pub order_total: Option<(Decimal, String)>,
    /// The order's items whose unit price is known, in the currency of `order_total`. When
    /// empty, a unit-price condition takes the total as the price of a single item.
    pub items: Vec<ItemPrice>,
    /// The channel the message came through; `None`: the pack's `default_channel`.
    pub channel: Option<Channel>,
    pub trigger: Trigger,
}

impl DeadlineInput {
    /// A first buyer message without an order, on the pack's default channel.
    pub fn first_message(received: DateTime<Utc>) -> Self {
        DeadlineInput {
            received,
            order_total: None,
            items: Vec::new(),
            channel: None,
            trigger: Trigger::BuyerMessage { first: true },
        }
    }

    /// The same event about an order of this total (ISO 4217 `currency`).
    pub fn with_order_total(mut self, total: Decimal, currency: impl Into<String>) -> Self {
        self.order_total = Some((total, currency.into()));
        self
    }

    /// The same event, the order's items priced (in the total's currency).
    pub fn with_items(mut self, items: Vec<ItemPrice>) -> Self {
        self.items = items;
        self
    }

    /// The same event, through `channel`.
    pub fn on_channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }
}

/// When something is due, under which rule, and why then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deadline {
    pub rule: String,
    pub clock: ClockKind,
    /// RFC 3339 with the shop's offset at that instant (`+00:00`, never `Z`).
    #[serde(serialize_with = "rfc3339_offset")]
    pub due: DateTime<FixedOffset>,
    pub severity: Severity,
    /// The earliest deadline for the same act and severity: the one to meet.
    pub binding: bool,
    /// Calendar the clock ran on (`always` = calendar time).
    pub calendar: String,
    pub explanation: String,
}

/// Serialise as RFC 3339 with a numeric offset: chrono's default writes `Z` for UTC, but
/// the CLI contract promises the shop's offset, so UTC shops get `+00:00` like the others.
pub(crate) fn rfc3339_offset<S: serde::Serializer>(
    t: &DateTime<FixedOffset>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
}

/// The deadlines `input` starts under `pack`, in pack order.
///
/// Cheap enough for the ingest path (well over a million calls a second on one core for a
/// business-hours pack): calendars are borrowed from the pack, the clock walk does not
/// allocate, and each explanation is written once into one buffer.
pub fn deadlines(pack: &Pack, input: &DeadlineInput) -> Vec<Deadline> {
    let stamper = Stamper::new(pack.timezone, input.received);
    let channel = input.channel.unwrap_or(pack.default_channel);
    let mut out: Vec<Deadline> = Vec::new();
    for clock in pack.clocks.iter().filter(|c| c.on.matches(&input.trigger)) {
        if !clock.channels.is_empty() && !clock.channels.contains(&channel) {
            continue;
        }
        let mut explanation = String::with_capacity(160);
        if !clock.channels.is_empty() {
            channel_note(&mut explanation, clock, channel, input.channel.is_none());
        }
        if let Some(cond) = &clock.condition {
            match condition_note(cond, input) {
                Some(note) => explanation.push_str(&note),
                None => continue,
            }
            explanation.push_str("; ");
        }
        // Packs are validated: every named calendar exists and has windows, so neither
        // lookup nor walk fails; skipping keeps this total without a panic path.
        let Some(calendar) = pack.calendar_ref(&clock.calendar) else {
            continue;
        };
        // A clock runs in its calendar's hours: the staffing rule the calendar stands for
        // (TB-HOURS) is what the clock's time counts.
        kefu_core::enforces!(
            pack_table = tables::CALENDARS,
            test = "kefu-rules::deadlines::tb_frt_5m_at_2258_is_due_0903_next_day"
        );
        let mut kept = [Segment {
            from: input.received,
            to: input.received,
        }; Run::KEPT_SEGMENTS];
        let mut n_kept = 0;
        let Some((due, segment_count)) = calendar.walk(input.received, clock.duration, |seg| {
            if n_kept < kept.len() {
                kept[n_kept] = seg;
                n_kept += 1;
            }
        }) else {
            continue;
        };
        let due_shop = due.with_timezone(&stamper.tz);
        if clock.calendar == ALWAYS {
            explanation.push_str("received ");
            stamper.received(&mut explanation);
            explanation.push_str("; ");
            push_human(&mut explanation, clock.duration);
            explanation.push_str(" of calendar time; due ");
            stamper.at_local(&mut explanation, due_shop.naive_local());
        } else {
            let segments = &kept[..n_kept];
            stamper.narrate(
                &mut explanation,
                segments,
                segment_count,
                due_shop.naive_local(),
                due,
            );
        }
        explanation.push_str(" (");
        explanation.push_str(&clock.rule);
        explanation.push_str(", calendar ");
        explanation.push_str(&clock.calendar);
        explanation.push(')');
        out.push(Deadline {
            rule: clock.rule.clone(),
            clock: clock.kind,
            due: due_shop.fixed_offset(),
            severity: clock.severity,
            binding: false,
            calendar: clock.calendar.clone(),
            explanation,
        });
    }
    mark_binding(&mut out);
    out
}

/// Within each (act, severity), the earliest deadline binds; the first listed wins a tie.
fn mark_binding(list: &mut [Deadline]) {
    for i in 0..list.len() {
        let (act, severity) = (list[i].clock.act(), list[i].severity);
        let earliest = (0..list.len())
            .filter(|&j| list[j].clock.act() == act && list[j].severity == severity)
            .min_by_key(|&j| (list[j].due, j))
            .unwrap_or(i);
        if earliest == i {
            list[i].binding = true;
        } else {
            let (earlier, this) = if earliest < i {
                let (a, b) = list.split_at_mut(i);
                (&a[earliest], &mut b[0])
            } else {
                let (a, b) = list.split_at_mut(earliest);
                (&b[0], &mut a[i])
            };
            this.explanation.push_str("; not binding: ");
            this.explanation.push_str(&earlier.rule);
            this.explanation.push_str(" is due earlier");
        }
    }
}

/// On which channel a channel-bound clock opened (GEN-FIRST-30S: live chat only).
fn channel_note(buf: &mut String, clock: &ClockRule, channel: Channel, assumed: bool) {
    if assumed {
        buf.push_str("channel not given, taken as ");
        buf.push_str(channel.as_str());
        buf.push_str(" (the pack's default)");
    } else {
        buf.push_str("on ");
        buf.push_str(channel.as_str());
    }
    buf.push_str("; this clock opens on ");
    for (i, c) in clock.channels.iter().enumerate() {
        if i > 0 {
            buf.push_str(", ");
        }
        buf.push_str(c.as_str());
    }
    buf.push_str(" only; ");
}

/// Longest item title quoted in an explanation, in characters.
const TITLE_CHARS: usize = 60;

/// Why a conditional clock applies, or `None` when it does not: which amount (the highest
/// unit price, naming its item, or the total) was compared with which limit, and who set it.
fn condition_note(cond: &Condition, input: &DeadlineInput) -> Option<String> {
    let (total, currency) = input.order_total.as_ref()?;
    let currency = currency.trim().to_ascii_uppercase();
    // The limit in the order's own currency, else a rate to the rule's currency. Neither:
    // no comparison, since guessing a conversion could hide or invent a deadline.
    let (limit, rate, whose) = if currency == cond.currency {
        (
            cond.above,
            None,
            format!("the {}'s limit", cond.set_by.as_str()),
        )
    } else if let Some(t) = cond.thresholds.get(&currency) {
        let whose = format!(
            "the {}'s limit for {currency}, standing for {} {}",
            t.set_by.as_str(),
            cond.above,
            cond.currency
        );
        (t.above, None, whose)
    } else {
        let rate = *cond.rates.get(&currency)?;
        let whose = format!("the {}'s limit", cond.set_by.as_str());
        (cond.above, Some(rate), whose)
    };
    let limit_currency = if rate.is_some() {
        cond.currency.as_str()
    } else {
        currency.as_str()
    };
    // What is compared: the highest unit price (naming its item), or the total.
    let priced = cond.measure == Measure::UnitPrice && !input.items.is_empty();
    let (subject, amount) = if priced {
        let top = input
            .items
            .iter()
            .reduce(|a, b| if b.unit_price > a.unit_price { b } else { a })?;
        let title: String = top.title.trim().chars().take(TITLE_CHARS).collect();
        let mut subject = format!("unit price of item \"{title}\"");
        if input.items.len() > 1 {
            subject.push_str(&format!(" (the highest of {} items)", input.items.len()));
        }
        (subject, top.unit_price)
    } else {
        ("order total".to_string(), *total)
    };
    let compared = rate.map_or(amount, |r| amount * r);
    if compared <= limit {
        return None;
    }
    let mut note = format!("{subject} {amount} {currency}");
    if let Some(r) = rate {
        note.push_str(&format!(
            " (= {} {} at rate {r})",
            compared.round_dp(2),
            cond.currency
        ));
    }
    note.push_str(&format!(" above {limit} {limit_currency} ({whose}"));
    if cond.measure == Measure::UnitPrice && !priced {
        note.push_str("; no item prices known, so the total is taken as one item's unit price");
    }
    note.push(')');
    Some(note)
}
