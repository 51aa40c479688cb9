//! Policy packs: one platform's clocks, calendars, compensation rules and entitlement windows,
//! read from TOML (`packs/*.toml`, embedded in the binary) and validated.
//!
//! Validation rejects a pack that does not parse, names an unknown calendar, an unknown rule
//! ID (see [`crate::catalog`]), a bad time zone, time, day set, date, duration or amount. The
//! [`PackError`] says file, line, column and reason, so a shop owner can fix a user pack.
//! A shop adjusts a pack with [`ShopOverrides`] ([`Pack::with_overrides`]).
//! This module does NOT compute deadlines or amounts (see `deadline`, `compensation`,
//! `entitlement`) and does no I/O: the text of a pack comes in as a string.

mod complaints;
mod incidents;
mod kpi;
mod overrides;
mod peak;
mod raw;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use chrono_tz::Tz;
use kefu_core::Channel;
use rust_decimal::Decimal;

use crate::calendar::Calendar;
use crate::compensation::CompensationKind;
use crate::deadline::{ClockKind, ClockStart, Severity};
use crate::entitlement::{Counting, StartEvent};

pub use complaints::{ComplaintCause, ComplaintFlow};
pub use incidents::IncidentLevels;
pub use kpi::{KpiFigure, KpiTarget, PenaltyStep, Scorecard};
pub use overrides::{ShopOverrides, WindowSpec};
pub use peak::{PeakDay, PeakPrep, peak_date};

/// Name of the calendar reference that means "calendar time, around the clock".
pub const ALWAYS: &str = "always";

/// A pack that failed to load: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", location(file, *line, *column))]
pub struct PackError {
    /// File name as given to [`PackSet::parse`] (or `shop overrides`).
    pub file: String,
    /// 1-based line, when the problem has a place in the text.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    pub reason: String,
}

fn location(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

impl PackError {
    /// An error at byte offset `at` of `text` (line and column computed from it).
    pub(crate) fn at(file: &str, text: &str, at: Option<usize>, reason: impl Into<String>) -> Self {
        let (line, column) = match at {
            Some(offset) => {
                let before = &text[..offset.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        PackError {
            file: file.to_string(),
            line,
            column,
            reason: reason.into(),
        }
    }

    /// An error without a place in a text (e.g. from shop overrides).
    pub(crate) fn plain(file: &str, reason: impl Into<String>) -> Self {
        PackError::at(file, "", None, reason)
    }
}

/// What a clock's condition compares with its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Each item's unit price (EBAY-HIGHVALUE-12H: 单价). An order whose items carry no price
    /// is compared by its total, taken as the price of a single item.
    UnitPrice,
    /// The order total.
    OrderTotal,
}

/// Who set a per-currency limit of a condition (said in the deadline's explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    Pack,
    Shop,
}

impl SetBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SetBy::Pack => "pack",
            SetBy::Shop => "shop",
        }
    }
}

/// A limit stated in one currency, in place of a conversion of the rule's own limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub above: Decimal,
    pub set_by: SetBy,
}

/// A condition on a clock: an amount of the order (each item's unit price, or the total) is
/// above a limit (EBAY-HIGHVALUE-12H). The limit is stated in `currency`; an order in another
/// currency is compared with the limit the pack or the shop states for that currency
/// (`thresholds`), else through a rate the pack gives (`rates`); without either the clock
/// does not apply, because a guessed conversion could hide or invent a deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub measure: Measure,
    /// The rule's limit, in `currency` (strictly above it counts).
    pub above: Decimal,
    pub currency: String,
    /// The pack's limit, or a stricter one the shop set.
    pub set_by: SetBy,
    /// Limits in other currencies, by ISO 4217 code.
    pub thresholds: BTreeMap<String, Threshold>,
    /// Units of `currency` per one unit of the keyed currency.
    pub rates: BTreeMap<String, Decimal>,
}

/// One clock of a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockRule {
    /// Rule ID from RULES.md.
    pub rule: String,
    pub kind: ClockKind,
    /// What starts the clock.
    pub on: ClockStart,
    pub duration: Duration,
    /// Calendar name, or [`ALWAYS`] for calendar time.
    pub calendar: String,
    pub severity: Severity,
    pub condition: Option<Condition>,
    /// The channels on which the clock opens (`channels = ["web_chat"]`); empty: every
    /// channel. GEN-FIRST-30S is a live-chat target and must not open on email.
    pub channels: Vec<Channel>,
}

/// How a compensation amount is computed from the price paid.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    /// `percent` % of the price paid, rounded, then held within `min..=max` (in `currency`).
    Percent {
        percent: Decimal,
        min: Option<Decimal>,
        max: Option<Decimal>,
        currency: String,
    },
    /// `factor` × the price paid.
    Multiple { factor: Decimal },
    /// An amount agreed by the shop (set through [`ShopOverrides::agreed_compensation`]).
    Agreed { amount: Option<Decimal> },
    /// No extra amount: refund (or reship) only.
    None,
}

/// One compensation rule of a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct CompensationRule {
    pub rule: String,
    pub kind: CompensationKind,
    /// The optional promise (服务承诺) the shop must offer for this rule to apply.
    pub promise: Option<String>,
    /// Whether the price paid is refunded as well.
    pub refund: bool,
    pub formula: Formula,
    /// Lost-package rules: whole days after shipping without delivery from which the parcel
    /// counts as late (LOST-RESHIP-OR-REFUND); required for `lost-package`, absent otherwise.
    pub late_after_days: Option<u32>,
}

/// One entitlement window of a pack (e.g. TB-RETURN-7D: 7 days from receipt).
#[derive(Debug, Clone, PartialEq)]
pub struct EntitlementRule {
    pub rule: String,
    pub from: StartEvent,
    /// Length in days; `None` when the shop sets it (a promised period, 承诺保障时间) and has
    /// not yet done so through [`ShopOverrides::promise_days`].
    pub days: Option<u32>,
    pub counting: Counting,
    pub promise: Option<String>,
}

/// A rule of the pack that a shop's overrides dropped because the shop does not offer its
/// promise.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DroppedRule {
    pub rule: String,
    pub promise: String,
    /// The compensation kind, for a compensation rule; `None` for an entitlement window.
    pub compensation: Option<CompensationKind>,
}

/// OPTIONS-3: a reply to a complaint offers at least `min_options` distinct solutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintOptions {
    pub rule: String,
    pub min_options: u8,
}

/// The pack asks for an auto-reply outside working hours (TB-OFFHOURS-BOT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffHoursBot {
    pub rule: String,
    /// Outside this calendar's windows the bot answers.
    pub calendar: String,
}

/// The tables of a pack that cite rules, by their TOML names. The code that applies a table
/// registers it (`kefu_core::enforces!(pack_table = tables::CLOCKS, …)`), so that a rule a
/// pack cites there counts as enforced by that pack through that code.
///
/// A clock is applied only when something fires its trigger, so `[[clocks]]` is cited per
/// trigger ([`tables::clocks_on`]): the plan of each event registers the triggers it fires,
/// and a clock on a trigger nothing fires (`collective_complaint` today) is not enforced.
pub mod tables {
    use crate::deadline::ClockStart;

    /// `[[clocks]]` with `on = …`: the clocks that trigger starts.
    pub const fn clocks_on(on: ClockStart) -> &'static str {
        match on {
            ClockStart::FirstMessage => "clocks.first_message",
            ClockStart::LaterMessage => "clocks.later_message",
            ClockStart::BuyerMessage => "clocks.buyer_message",
            ClockStart::ComplexIssue => "clocks.complex_issue",
            ClockStart::ResolutionOffered => "clocks.resolution_offered",
            ClockStart::AfterSalesRequest => "clocks.after_sales_request",
            ClockStart::CollectiveComplaint => "clocks.collective_complaint",
            ClockStart::ComplaintRecorded => "clocks.complaint_recorded",
        }
    }
    /// `[[compensations]]`: after-sales amounts (`crate::compensation`).
    pub const COMPENSATIONS: &str = "compensations";
    /// `[[entitlements]]`: after-sales windows (`crate::order`).
    pub const ENTITLEMENTS: &str = "entitlements";
    /// `[calendars.*] rule = …`: the staffing hours a calendar stands for.
    pub const CALENDARS: &str = "calendars";
    /// `[offhours_bot]`: when the shop's bot answers.
    pub const OFFHOURS_BOT: &str = "offhours_bot";
    /// `message_checks`: checks of every buyer message (`crate::plan`).
    pub const MESSAGE_CHECKS: &str = "message_checks";
    /// `[complaint_options]`: how many solutions a reply to a complaint offers (OPTIONS-3).
    pub const COMPLAINT_OPTIONS: &str = "complaint_options";
    /// `[[kpi_targets]]`: the supervisor's targets.
    pub const KPI_TARGETS: &str = "kpi_targets";
    /// `[scorecard]`: the platform's scorecard and its penalty ladder (AE-PENALTY).
    pub const SCORECARD: &str = "scorecard";
    /// `[complaints]`: a complaint's cause teams and who is still unhappy (COMPLAINT-FLOW).
    pub const COMPLAINTS: &str = "complaints";
    /// `[peak_prep]`: the sales peaks and the checklist before them (PEAK-PREP).
    pub const PEAK_PREP: &str = "peak_prep";
}

/// A validated policy pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    /// File stem: `taobao`, `ebay`, …
    pub id: String,
    pub name: String,
    pub platform: String,
    /// Seed numbers of the source articles (`000`…`004`).
    pub sources: Vec<String>,
    /// Default (shop) time zone.
    pub timezone: Tz,
    pub currency: String,
    /// The channel a message is taken to come through when the caller does not say (the CLI
    /// without `--channel`): the marketplace's own messages for a platform pack.
    pub default_channel: Channel,
    /// The calendar that stands for the shop's own working hours (replaced by overrides).
    pub shop_calendar: String,
    pub calendars: BTreeMap<String, Calendar>,
    /// Calendars with their own time zone, which a shop's time zone does not move.
    pub(crate) pinned: BTreeSet<String>,
    /// The 24/7 calendar in the shop's zone, built once (clocks on `always` use it).
    pub(crate) always: Calendar,
    /// Rules the shop's overrides dropped because it does not offer their promise:
    /// so that an entitlement can say "promise not offered".
    pub(crate) dropped: Vec<DroppedRule>,
    /// Staffing rules the pack's calendars stand for (`rule = "TB-HOURS"` on a calendar).
    pub(crate) calendar_rules: Vec<String>,
    pub clocks: Vec<ClockRule>,
    pub compensations: Vec<CompensationRule>,
    pub entitlements: Vec<EntitlementRule>,
    /// Names of the optional promises this pack knows.
    pub promises: BTreeSet<String>,
    /// Whether and when the shop answers automatically off hours.
    pub offhours_bot: Option<OffHoursBot>,
    /// Rule IDs of the checks every buyer message goes through (`PDD-NO-ABUSE`).
    pub message_checks: Vec<String>,
    /// OPTIONS-3: the number of solutions a reply to a complaint must offer.
    pub complaint_options: Option<ComplaintOptions>,
    /// The supervisor's targets, by figure (`[[kpi_targets]]`).
    pub kpi_targets: Vec<KpiTarget>,
    /// How the platform scores the shop (`[scorecard]`).
    pub scorecard: Option<Scorecard>,
    /// When complaints about one cause become an incident, at which level (`[incidents]`).
    pub incidents: IncidentLevels,
    /// Which team answers for a complaint's cause, who is still unhappy (`[complaints]`).
    pub complaints: ComplaintFlow,
    /// The market's sales peaks and what the desk asks before them (`[peak_prep]`).
    pub peak_prep: PeakPrep,
}

impl Pack {
    /// The calendar a clock runs on (`always` gives a 24/7 calendar in the shop's zone), as
    /// an owned copy. Prefer [`Pack::calendar_ref`], which does not copy.
    pub fn calendar(&self, name: &str) -> Option<Calendar> {
        self.calendar_ref(name).cloned()
    }

    /// The calendar a clock runs on, borrowed (`always` is the 24/7 calendar in the shop's
    /// zone, built when the pack is loaded or its zone overridden).
    pub fn calendar_ref(&self, name: &str) -> Option<&Calendar> {
        if name == ALWAYS {
            return Some(&self.always);
        }
        self.calendars.get(name)
    }

    /// Every rule ID this pack cites: its clocks, compensations, entitlement windows and
    /// the staffing rules its calendars stand for.
    pub fn cited_rules(&self) -> BTreeSet<&str> {
        self.citations().into_iter().map(|(_, rule)| rule).collect()
    }

    /// Every rule this pack cites, with the table of the pack that cites it
    /// ([`tables`]): the code that applies a table enforces the rules cited in it.
    pub fn citations(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = Vec::new();
        out.extend(
            self.clocks
                .iter()
                .map(|c| (tables::clocks_on(c.on), c.rule.as_str())),
        );
        out.extend(
            self.compensations
                .iter()
                .map(|c| (tables::COMPENSATIONS, c.rule.as_str())),
        );
        out.extend(
            self.entitlements
                .iter()
                .map(|e| (tables::ENTITLEMENTS, e.rule.as_str())),
        );
        out.extend(
            self.calendar_rules
                .iter()
                .map(|r| (tables::CALENDARS, r.as_str())),
        );
        out.extend(
            self.offhours_bot
                .iter()
                .map(|b| (tables::OFFHOURS_BOT, b.rule.as_str())),
        );
        out.extend(
            self.message_checks
                .iter()
                .map(|r| (tables::MESSAGE_CHECKS, r.as_str())),
        );
        out.extend(
            self.complaint_options
                .iter()
                .map(|o| (tables::COMPLAINT_OPTIONS, o.rule.as_str())),
        );
        out.extend(
            self.kpi_targets
                .iter()
                .map(|t| (tables::KPI_TARGETS, t.rule.as_str())),
        );
        out.extend(
            self.scorecard
                .iter()
                .filter_map(|s| s.penalty_rule.as_deref())
                .map(|r| (tables::SCORECARD, r)),
        );
        out
    }

    /// The compensation rule for `kind`, if this pack offers it.
    pub fn compensation_rule(&self, kind: CompensationKind) -> Option<&CompensationRule> {
        self.compensations.iter().find(|c| c.kind == kind)
    }
}

/// The packs a desk knows, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackSet {
    packs: BTreeMap<String, Pack>,
}

/// The packs shipped with kefu: `(file name, text)`.
const EMBEDDED: &[(&str, &str)] = &[
    ("ebay.toml", include_str!("../../packs/ebay.toml")),
    ("taobao.toml", include_str!("../../packs/taobao.toml")),
    ("tmall.toml", include_str!("../../packs/tmall.toml")),
    (
        "aliexpress.toml",
        include_str!("../../packs/aliexpress.toml"),
    ),
    ("pinduoduo.toml", include_str!("../../packs/pinduoduo.toml")),
    ("generic.toml", include_str!("../../packs/generic.toml")),
];

impl PackSet {
    /// Parse and validate every embedded pack.
    pub fn embedded() -> Result<PackSet, PackError> {
        let mut set = PackSet::default();
        for (file, text) in EMBEDDED {
            set.insert(PackSet::parse(file, text)?);
        }
        Ok(set)
    }

    /// Parse and validate one pack. `name` is the file name (`taobao.toml`) or the id; the id
    /// is the file stem.
    pub fn parse(name: &str, toml_text: &str) -> Result<Pack, PackError> {
        raw::parse(name, toml_text)
    }

    /// Add or replace a pack (e.g. a user pack).
    pub fn insert(&mut self, pack: Pack) {
        self.packs.insert(pack.id.clone(), pack);
    }

    pub fn get(&self, id: &str) -> Option<&Pack> {
        self.packs.get(id)
    }

    /// Pack ids in alphabetical order.
    pub fn ids(&self) -> Vec<&str> {
        self.packs.keys().map(String::as_str).collect()
    }
}

/// Pack id from a file name: the stem without directories or `.toml`.
pub(crate) fn id_from_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".toml").unwrap_or(base).to_string()
}
