//! Entitlements for one order: for each after-sales rule of the (shop's) pack, is the buyer
//! entitled now, and if not why (window passed, promise not offered, already reshipped once);
//! what amount in which currency; who bears the shipping; until when the claim is open.
//!
//! `entitled` answers from the facts the desk holds (promise offered, dates, earlier
//! reshipment). A parcel counts as lost or late (LOST-RESHIP-OR-REFUND) only once the pack's
//! `late_after_days` (or the shop's `lost_package_after_days`) have passed since shipping
//! without delivery; before that the reason says when it will be late. A claim that also rests on a fact the desk cannot see in the order (the goods
//! arrived damaged, the package is lost, the quality differs) is entitled with a `reason`
//! that starts with "if …". A fake-goods claim (TB-FAKE-3X) is judged by the platform, so it
//! is never `entitled` here: the reason says "entitled if the claim is upheld" and the amounts
//! say what is then owed.
//!
//! Decisions the sources leave open: the buyer bears the return postage of a no-reason return
//! (TB-RETURN-7D, as Chinese law has it unless agreed otherwise); eBay's 14-day return and
//! TB-RETURN-PROMISE leave it to what was "agreed"; the seller bears it for quality, damage,
//! loss and fake goods. A damage refund after a damaged reshipment is not held to the promised
//! period (the reshipment may arrive after it).
//! Every entitlement carries its reason twice: as English text, and as a stable code with
//! named values (`reason_code`, `reason_params`) for pages in other languages. Reasons are
//! plain text, without markup (no backticks).
//! This module does NOT judge claims, convert currencies or read the clock (`now` is given).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::ids;
use crate::compensation::{Compensation, CompensationKind, compensation};
use crate::entitlement::StartEvent;
use crate::money;
use crate::pack::{CompensationRule, EntitlementRule, Pack, tables};

/// What the desk knows about an order. Promise names are those of the pack's `promises`
/// (Taobao/Tmall: `ship-time`, `fake-3x`, `quality`, `return`, `damage-reship`, `courier`,
/// `arrival`) that the shop offers on this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// The price actually paid.
    pub paid: Decimal,
    /// ISO 4217 code of `paid`.
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    pub promised_ship_by: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    /// Signed for / received by the buyer.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Completed (receipt confirmed) or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// Promises (服务承诺) the shop offers on this order.
    #[serde(default)]
    pub promises: Vec<String>,
    /// The shop already reshipped once for damage in transit (TB-DAMAGE-RESHIP).
    #[serde(default)]
    pub reshipped_for_damage: bool,
}

impl OrderFacts {
    /// An order paid at `paid_at`, not shipped yet, without promises.
    pub fn new(paid: Decimal, currency: impl Into<String>, paid_at: DateTime<Utc>) -> Self {
        OrderFacts {
            paid,
            currency: currency.into(),
            paid_at,
            promised_ship_by: None,
            shipped_at: None,
            delivered_at: None,
            closed_at: None,
            promises: Vec::new(),
            reshipped_for_damage: false,
        }
    }
}

/// One after-sales entitlement of an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entitlement {
    /// Rule ID from RULES.md.
    pub rule: String,
    /// `late-shipment`, `fake-goods`, `quality-promise`, `quality-return-shipping`,
    /// `lost-reship-or-refund`, `transit-damage`, `return-7d`, `ebay-return-14d`,
    /// `return-promise`, `damage-reship`, `damage-refund`, `courier-promise`,
    /// `arrival-promise`, `warranty-sanbao` (other window rules: the rule ID in lower case).
    pub kind: String,
    pub entitled: bool,
    /// Why (not), in English, ending with the rule ID.
    pub reason: String,
    /// The reason as a stable code (`parcel_not_late_yet`, `window_open`, …), so that a page
    /// can say it in the reader's language; the codes are listed in the crate's README.
    pub reason_code: String,
    /// The values the reason names, by name: instants as RFC 3339 in the shop's offset
    /// (`late_at`, `until`, …), day counts, promise names, and `amount_not_computed` when
    /// the amount could not be computed.
    pub reason_params: BTreeMap<String, String>,
    /// Compensation on top of any refund (`"0.00"`: none), in the currency's minor unit.
    pub amount: Option<String>,
    /// The price refunded, when the rule refunds it.
    pub refund: Option<String>,
    /// `amount` + `refund`.
    pub total: Option<String>,
    pub currency: Option<String>,
    /// `seller`, `buyer` or `agreed` (as agreed when the promise was made).
    pub shipping_borne_by: Option<String>,
    /// The claim is open before this instant, in the shop's offset.
    #[serde(serialize_with = "opt_rfc3339")]
    pub window_until: Option<DateTime<FixedOffset>>,
}

fn opt_rfc3339<S: serde::Serializer>(
    t: &Option<DateTime<FixedOffset>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => crate::deadline::rfc3339_offset(t, s),
        None => s.serialize_none(),
    }
}

impl Entitlement {
    fn new(rule: &str, kind: &str, entitled: bool, code: &str, reason: String) -> Self {
        Entitlement {
            rule: rule.to_string(),
            kind: kind.to_string(),
            entitled,
            reason,
            reason_code: code.to_string(),
            reason_params: BTreeMap::new(),
            amount: None,
            refund: None,
            total: None,
            currency: None,
            shipping_borne_by: None,
            window_until: None,
        }
    }

    /// Names a value of the reason (see `reason_params`).
    fn param(mut self, name: &str, value: impl ToString) -> Self {
        self.reason_params
            .insert(name.to_string(), value.to_string());
        self
    }

    /// Notes that the amount could not be computed, and why.
    fn no_amount(&mut self, why: String) {
        self.reason.push_str("; amount not computed: ");
        self.reason.push_str(&why);
        self.reason_params
            .insert("amount_not_computed".to_string(), why);
    }

    fn shipping(mut self, who: &str) -> Self {
        self.shipping_borne_by = Some(who.to_string());
        self
    }

    fn money(mut self, c: &Compensation) -> Self {
        self.amount = Some(c.amount.to_string());
        self.refund = c.refund.map(|r| r.to_string());
        self.total = Some(c.total.to_string());
        self.currency = Some(c.currency.clone());
        self
    }

    /// A refund of the price paid and nothing more (returns, damage, loss).
    fn refund_paid(mut self, order: &OrderFacts) -> Self {
        match (money::normalise(&order.currency), &order.currency) {
            (Some(code), _) => {
                let digits = money::minor_units(&code).unwrap_or(2);
                let paid = money::round_to(order.paid, digits).to_string();
                self.amount = Some(money::round_to(Decimal::ZERO, digits).to_string());
                self.refund = Some(paid.clone());
                self.total = Some(paid);
                self.currency = Some(code);
            }
            (None, given) => {
                let why = format!("unknown currency {given:?}");
                self.no_amount(why);
            }
        }
        self
    }
}

/// The after-sales entitlements of `order` under `pack` (as adjusted by the shop) at `now`:
/// one per compensation rule (pack order of kinds), then one per entitlement window rule.
/// Rules the shop's overrides dropped for a promise it does not offer are listed as not
/// entitled ("promise not offered").
pub fn entitlements(pack: &Pack, order: &OrderFacts, now: DateTime<Utc>) -> Vec<Entitlement> {
    kefu_core::enforces!(
        pack_table = tables::ENTITLEMENTS,
        test = "kefu-rules::entitlements::tb_return_7d_and_ebay_return_14d_windows"
    );
    let cx = Cx { pack, order, now };
    let mut out = Vec::new();
    for kind in CompensationKind::ALL {
        if let Some(rule) = pack.compensation_rule(kind) {
            out.push(cx.compensation(rule));
        } else if let Some(d) = pack.dropped.iter().find(|d| d.compensation == Some(kind)) {
            out.push(cx.shop_lacks(&d.rule, comp_kind_name(kind), &d.promise));
        }
    }
    for rule in &pack.entitlements {
        cx.window(rule, &mut out);
    }
    for d in pack.dropped.iter().filter(|d| d.compensation.is_none()) {
        out.push(cx.shop_lacks(&d.rule, &window_kind_name(&d.rule), &d.promise));
    }
    out
}

fn comp_kind_name(kind: CompensationKind) -> &'static str {
    match kind {
        CompensationKind::LateShipment => "late-shipment",
        CompensationKind::FakeGoods => "fake-goods",
        CompensationKind::QualityPromise => "quality-promise",
        CompensationKind::QualityReturn => "quality-return-shipping",
        CompensationKind::LostPackage => "lost-reship-or-refund",
        CompensationKind::TransitDamage => "transit-damage",
    }
}

fn window_kind_name(rule: &str) -> String {
    match rule {
        ids::TB_RETURN_7D => "return-7d".into(),
        ids::EBAY_RETURN_14D => "ebay-return-14d".into(),
        ids::TB_RETURN_PROMISE => "return-promise".into(),
        ids::TB_DAMAGE_RESHIP => "damage-reship".into(),
        ids::TB_COURIER_PROMISE => "courier-promise".into(),
        ids::TB_ARRIVAL_PROMISE => "arrival-promise".into(),
        ids::GEN_SANBAO => "warranty-sanbao".into(),
        other => other.to_ascii_lowercase(),
    }
}

struct Cx<'a> {
    pack: &'a Pack,
    order: &'a OrderFacts,
    now: DateTime<Utc>,
}

impl Cx<'_> {
    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.pack.timezone)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    }

    /// An instant as a reason parameter: RFC 3339 in the shop's offset.
    fn stamp(&self, t: DateTime<Utc>) -> String {
        self.fixed(t)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    }

    fn shop_lacks(&self, rule: &str, kind: &str, promise: &str) -> Entitlement {
        let reason = format!("promise {promise} not offered by the shop ({rule})");
        Entitlement::new(rule, kind, false, "promise_not_offered_by_shop", reason)
            .param("promise", promise)
    }

    /// `Some(not entitled)` when the rule needs a promise this order does not carry.
    fn lacks_promise(&self, rule: &str, kind: &str, promise: Option<&str>) -> Option<Entitlement> {
        let p = promise?;
        (!self.order.promises.iter().any(|o| o == p)).then(|| {
            let reason = format!("promise {p} not offered on this order ({rule})");
            Entitlement::new(rule, kind, false, "promise_not_offered_on_order", reason)
                .param("promise", p)
        })
    }

    fn amounts(&self, kind: CompensationKind) -> Result<Compensation, String> {
        // The calculator's errors quote values in backticks for the command line; a reason is
        // plain text a person reads (and a page may show), so they are dropped here.
        compensation(self.pack, kind, self.order.paid, &self.order.currency)
            .map_err(|e| e.to_string().replace('`', ""))
    }

    fn compensation(&self, rule: &CompensationRule) -> Entitlement {
        let (id, kind) = (rule.rule.as_str(), comp_kind_name(rule.kind));
        if let Some(no) = self.lacks_promise(id, kind, rule.promise.as_deref()) {
            return no;
        }
        let o = self.order;
        let not = |code: &str, reason: String| {
            Entitlement::new(id, kind, false, code, format!("{reason} ({id})"))
        };
        let yes = |code: &str, reason: String| {
            Entitlement::new(id, kind, true, code, format!("{reason} ({id})"))
        };
        match rule.kind {
            CompensationKind::LateShipment => {
                let Some(by) = o.promised_ship_by else {
                    return not(
                        "no_ship_by",
                        "no promised ship-by time on this order".into(),
                    );
                };
                let e = match o.shipped_at {
                    Some(s) if s <= by => {
                        return not(
                            "shipped_in_time",
                            format!(
                                "shipped {} within the promised time {}",
                                self.local(s),
                                self.local(by)
                            ),
                        )
                        .param("shipped_at", self.stamp(s))
                        .param("ship_by", self.stamp(by));
                    }
                    None if self.now <= by => {
                        return not(
                            "not_late_yet",
                            format!("not late yet: ship by {}", self.local(by)),
                        )
                        .param("ship_by", self.stamp(by));
                    }
                    Some(s) => yes(
                        "shipped_late",
                        format!(
                            "shipped {}, after the promised {}",
                            self.local(s),
                            self.local(by)
                        ),
                    )
                    .param("shipped_at", self.stamp(s))
                    .param("ship_by", self.stamp(by)),
                    None => yes(
                        "not_shipped_late",
                        format!("not shipped, promised by {}", self.local(by)),
                    )
                    .param("ship_by", self.stamp(by)),
                };
                self.with_amounts(e, rule.kind)
            }
            CompensationKind::FakeGoods => {
                let e = not(
                    "if_claim_upheld",
                    "entitled if the claim is upheld (the platform judges)".into(),
                );
                self.with_amounts(e, rule.kind).shipping("seller")
            }
            CompensationKind::QualityPromise => match (o.delivered_at, o.closed_at) {
                (None, _) => not(
                    "not_signed_for",
                    "not signed for yet: the promise runs from signing until receipt is confirmed"
                        .into(),
                ),
                (Some(_), Some(c)) if self.now >= c => not(
                    "receipt_confirmed",
                    format!("window passed: receipt confirmed {}", self.local(c)),
                )
                .param("closed_at", self.stamp(c)),
                (Some(_), closed) => {
                    let mut e = yes("if_quality_differs", "if material or quality differs from the description (judged by inspection): refund plus the agreed compensation".into());
                    e.window_until = closed.map(|c| self.fixed(c));
                    self.with_amounts(e, rule.kind)
                }
            },
            CompensationKind::QualityReturn => match o.delivered_at {
                None => not("not_delivered", "not delivered yet".into()),
                Some(_) => {
                    let e = yes("if_quality_problem", "if the goods have a quality problem: return and refund; the merchant bears the round-trip shipping".into());
                    self.with_amounts(e, rule.kind).shipping("seller")
                }
            },
            CompensationKind::LostPackage => self.lost_package(rule, &not, &yes),
            CompensationKind::TransitDamage => match o.delivered_at {
                None => not("not_delivered", "not delivered yet".into()),
                Some(_) => {
                    let e = yes(
                        "if_damaged_in_transit",
                        "if the goods arrived damaged in transit: exchange or refund".into(),
                    );
                    self.with_amounts(e, rule.kind).shipping("seller")
                }
            },
        }
    }

    /// LOST-RESHIP-OR-REFUND: a parcel is lost or late only once the pack's (or the shop's)
    /// number of days after shipping has passed without delivery; before that the desk has
    /// nothing to offer, and an early refund gives money away for a parcel on its way.
    fn lost_package(
        &self,
        rule: &CompensationRule,
        not: &dyn Fn(&str, String) -> Entitlement,
        yes: &dyn Fn(&str, String) -> Entitlement,
    ) -> Entitlement {
        let o = self.order;
        let (shipped, days) = match (o.shipped_at, o.delivered_at, rule.late_after_days) {
            (None, _, _) => return not("not_shipped", "not shipped yet, so not lost".into()),
            (_, Some(d), _) => {
                return not("delivered", format!("delivered {}", self.local(d)))
                    .param("delivered_at", self.stamp(d));
            }
            // Packs are validated to give the days; without them nothing can be judged late.
            (Some(_), None, None) => {
                return not(
                    "lateness_not_defined",
                    "the pack does not say when a parcel counts as late (late_after_days)".into(),
                );
            }
            (Some(s), None, Some(days)) => (s, days),
        };
        let late_at = shipped + chrono::Duration::days(i64::from(days));
        let params = |e: Entitlement| {
            e.param("shipped_at", self.stamp(shipped))
                .param("late_at", self.stamp(late_at))
                .param("late_after_days", days)
        };
        if self.now < late_at {
            return params(not(
                "parcel_not_late_yet",
                format!(
                    "not yet: the parcel is not late until {} ({days} days after shipping {} without delivery)",
                    self.local(late_at),
                    self.local(shipped)
                ),
            ));
        }
        let e = params(yes(
            "parcel_late",
            format!(
                "shipped {}, not delivered {days} days later (since {}): the parcel is late or lost, reship or refund at once",
                self.local(shipped),
                self.local(late_at)
            ),
        ));
        self.with_amounts(e, rule.kind).shipping("seller")
    }

    fn with_amounts(&self, e: Entitlement, kind: CompensationKind) -> Entitlement {
        match self.amounts(kind) {
            Ok(c) => e.money(&c),
            Err(why) => {
                let mut e = e;
                e.no_amount(why);
                e
            }
        }
    }

    fn fixed(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.pack.timezone).fixed_offset()
    }

    fn start(&self, from: StartEvent) -> Option<DateTime<Utc>> {
        match from {
            StartEvent::Receipt => self.order.delivered_at,
            StartEvent::OrderClose => self.order.closed_at,
            StartEvent::Payment => Some(self.order.paid_at),
        }
    }

    /// Window rules: returns, damage reshipment, courier and arrival promises.
    fn window(&self, rule: &EntitlementRule, out: &mut Vec<Entitlement>) {
        let id = rule.rule.as_str();
        let kind = window_kind_name(id);
        if let Some(no) = self.lacks_promise(id, &kind, rule.promise.as_deref()) {
            out.push(no);
            return;
        }
        let not = |code: &str, reason: String| {
            Entitlement::new(id, &kind, false, code, format!("{reason} ({id})"))
        };
        let (claim, shipping, refund) = window_claim(id);
        if id == ids::TB_DAMAGE_RESHIP && self.order.reshipped_for_damage {
            out.push(not(
                "already_reshipped",
                "already reshipped once for damage: no second reshipment".into(),
            ));
            let reason =
                format!("if the reshipment arrived damaged again: return and refund ({id})");
            out.push(
                Entitlement::new(id, "damage-refund", true, "if_reshipment_damaged", reason)
                    .refund_paid(self.order)
                    .shipping("seller"),
            );
            return;
        }
        let (event, event_code) = start_event_words(rule.from);
        let Some(start) = self.start(rule.from) else {
            // Courier and arrival claims can be made before the order closes.
            let e = if rule.from == StartEvent::OrderClose {
                let days = rule
                    .days
                    .map_or(String::new(), |d| format!(" {d} days after"));
                let reason = format!("{claim}; open until{days} the order closes ({id})");
                let e = Entitlement::new(id, &kind, true, "open_until_order_closes", reason);
                match rule.days {
                    Some(d) => e.param("days", d),
                    None => e,
                }
            } else {
                not(
                    "window_not_started",
                    format!("not yet: the window runs from {event}"),
                )
                .param("event", event_code)
            };
            out.push(e);
            return;
        };
        let Some(status) = self.pack.entitlement_window(id, start, self.now) else {
            out.push(not(
                "promise_days_not_set",
                "the shop has not set its promised period (promise_days)".into(),
            ));
            return;
        };
        let until = status
            .until
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        let mut e = if status.open {
            let reason = format!("{claim}: {}", status.explanation);
            Entitlement::new(id, &kind, true, "window_open", reason).param("until", until)
        } else if self.now < start {
            not(
                "window_not_started",
                format!("not yet: the window runs from {event}"),
            )
            .param("event", event_code)
        } else {
            let reason = format!("window passed: {}", status.explanation);
            Entitlement::new(id, &kind, false, "window_passed", reason).param("until", until)
        };
        e.window_until = Some(status.until);
        if let Some(who) = shipping {
            e = e.shipping(who);
        }
        if refund && e.entitled {
            e = e.refund_paid(self.order);
        }
        out.push(e);
    }
}

/// What a window entitlement lets the buyer claim, who bears the shipping, and whether the
/// price paid is refunded, by rule.
fn window_claim(id: &str) -> (&'static str, Option<&'static str>, bool) {
    match id {
        ids::TB_RETURN_7D => ("no-reason return or exchange", Some("buyer"), true),
        ids::EBAY_RETURN_14D | ids::TB_RETURN_PROMISE => ("return", Some("agreed"), true),
        ids::TB_DAMAGE_RESHIP => (
            "if the goods arrived damaged: one reshipment of the damaged part",
            Some("seller"),
            false,
        ),
        ids::TB_COURIER_PROMISE => (
            "if the shop did not ship with the courier the buyer chose: claim paid first from the seller's deposit",
            None,
            false,
        ),
        ids::TB_ARRIVAL_PROMISE => (
            "if the goods were not delivered by the promised time: claim paid first from the seller's deposit",
            None,
            false,
        ),
        ids::GEN_SANBAO => (
            "if the goods are faulty: repair, replacement or return (三包)",
            Some("seller"),
            false,
        ),
        _ => ("claim", None, false),
    }
}

/// The event a claim window runs from, in words and as a code.
fn start_event_words(from: StartEvent) -> (&'static str, &'static str) {
    match from {
        StartEvent::Receipt => ("receipt", "receipt"),
        StartEvent::OrderClose => ("the order closes", "order_close"),
        StartEvent::Payment => ("payment", "payment"),
    }
}
