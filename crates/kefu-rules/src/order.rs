//! Entitlements for one order: for each after-sales rule of the (shop's) pack, is the buyer
//! entitled now, and if not why (window passed, promise not offered, already reshipped once);
//! what amount in which currency; who bears the shipping; until when the claim is open.
//!
//! `entitled` answers from the facts the desk holds (promise offered, dates, earlier
//! reshipment). A claim that also rests on a fact the desk cannot see in the order (the goods
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
//! This module does NOT judge claims, convert currencies or read the clock (`now` is given).

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::compensation::{Compensation, CompensationKind, compensation};
use crate::entitlement::StartEvent;
use crate::money;
use crate::pack::{CompensationRule, EntitlementRule, Pack};

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
    /// Why (not), ending with the rule ID.
    pub reason: String,
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
    fn new(rule: &str, kind: &str, entitled: bool, reason: String) -> Self {
        Entitlement {
            rule: rule.to_string(),
            kind: kind.to_string(),
            entitled,
            reason,
            amount: None,
            refund: None,
            total: None,
            currency: None,
            shipping_borne_by: None,
            window_until: None,
        }
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
                self.reason.push_str(&format!(
                    "; amount not computed: unknown currency `{given}`"
                ));
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
        "TB-RETURN-7D" => "return-7d".into(),
        "EBAY-RETURN-14D" => "ebay-return-14d".into(),
        "TB-RETURN-PROMISE" => "return-promise".into(),
        "TB-DAMAGE-RESHIP" => "damage-reship".into(),
        "TB-COURIER-PROMISE" => "courier-promise".into(),
        "TB-ARRIVAL-PROMISE" => "arrival-promise".into(),
        "GEN-SANBAO" => "warranty-sanbao".into(),
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

    fn shop_lacks(&self, rule: &str, kind: &str, promise: &str) -> Entitlement {
        let reason = format!("promise `{promise}` not offered by the shop ({rule})");
        Entitlement::new(rule, kind, false, reason)
    }

    /// `Some(not entitled)` when the rule needs a promise this order does not carry.
    fn lacks_promise(&self, rule: &str, kind: &str, promise: Option<&str>) -> Option<Entitlement> {
        let p = promise?;
        (!self.order.promises.iter().any(|o| o == p)).then(|| {
            let reason = format!("promise `{p}` not offered on this order ({rule})");
            Entitlement::new(rule, kind, false, reason)
        })
    }

    fn amounts(&self, kind: CompensationKind) -> Result<Compensation, String> {
        compensation(self.pack, kind, self.order.paid, &self.order.currency)
            .map_err(|e| e.to_string())
    }

    fn compensation(&self, rule: &CompensationRule) -> Entitlement {
        let (id, kind) = (rule.rule.as_str(), comp_kind_name(rule.kind));
        if let Some(no) = self.lacks_promise(id, kind, rule.promise.as_deref()) {
            return no;
        }
        let o = self.order;
        let not = |reason: String| Entitlement::new(id, kind, false, format!("{reason} ({id})"));
        let yes = |reason: String| Entitlement::new(id, kind, true, format!("{reason} ({id})"));
        match rule.kind {
            CompensationKind::LateShipment => {
                let Some(by) = o.promised_ship_by else {
                    return not("no promised ship-by time on this order".into());
                };
                let e = match o.shipped_at {
                    Some(s) if s <= by => {
                        return not(format!(
                            "shipped {} within the promised time {}",
                            self.local(s),
                            self.local(by)
                        ));
                    }
                    None if self.now <= by => {
                        return not(format!("not late yet: ship by {}", self.local(by)));
                    }
                    Some(s) => format!(
                        "shipped {}, after the promised {}",
                        self.local(s),
                        self.local(by)
                    ),
                    None => format!("not shipped, promised by {}", self.local(by)),
                };
                self.with_amounts(yes(e), rule.kind)
            }
            CompensationKind::FakeGoods => {
                let e = not("entitled if the claim is upheld (the platform judges)".into());
                self.with_amounts(e, rule.kind).shipping("seller")
            }
            CompensationKind::QualityPromise => match (o.delivered_at, o.closed_at) {
                (None, _) => not(
                    "not signed for yet: the promise runs from signing until receipt is confirmed"
                        .into(),
                ),
                (Some(_), Some(c)) if self.now >= c => not(format!(
                    "window passed: receipt confirmed {}",
                    self.local(c)
                )),
                (Some(_), closed) => {
                    let mut e = yes("if material or quality differs from the description (judged by inspection): refund plus the agreed compensation".into());
                    e.window_until = closed.map(|c| self.fixed(c));
                    self.with_amounts(e, rule.kind)
                }
            },
            CompensationKind::QualityReturn => match o.delivered_at {
                None => not("not delivered yet".into()),
                Some(_) => {
                    let e = yes("if the goods have a quality problem: return and refund; the merchant bears the round-trip shipping".into());
                    self.with_amounts(e, rule.kind).shipping("seller")
                }
            },
            CompensationKind::LostPackage => match (o.shipped_at, o.delivered_at) {
                (None, _) => not("not shipped yet, so not lost".into()),
                (_, Some(d)) => not(format!("delivered {}", self.local(d))),
                (Some(_), None) => {
                    let e = yes("shipped, not delivered: if the package is lost or late, reship or refund at once".into());
                    self.with_amounts(e, rule.kind).shipping("seller")
                }
            },
            CompensationKind::TransitDamage => match o.delivered_at {
                None => not("not delivered yet".into()),
                Some(_) => {
                    let e =
                        yes("if the goods arrived damaged in transit: exchange or refund".into());
                    self.with_amounts(e, rule.kind).shipping("seller")
                }
            },
        }
    }

    fn with_amounts(&self, e: Entitlement, kind: CompensationKind) -> Entitlement {
        match self.amounts(kind) {
            Ok(c) => e.money(&c),
            Err(why) => {
                let mut e = e;
                e.reason.push_str(&format!("; amount not computed: {why}"));
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
        let not = |reason: String| Entitlement::new(id, &kind, false, format!("{reason} ({id})"));
        let (claim, shipping, refund) = match id {
            "TB-RETURN-7D" => ("no-reason return or exchange", Some("buyer"), true),
            "EBAY-RETURN-14D" | "TB-RETURN-PROMISE" => ("return", Some("agreed"), true),
            "TB-DAMAGE-RESHIP" => (
                "if the goods arrived damaged: one reshipment of the damaged part",
                Some("seller"),
                false,
            ),
            "TB-COURIER-PROMISE" => (
                "if the shop did not ship with the courier the buyer chose: claim paid first from the seller's deposit",
                None,
                false,
            ),
            "TB-ARRIVAL-PROMISE" => (
                "if the goods were not delivered by the promised time: claim paid first from the seller's deposit",
                None,
                false,
            ),
            "GEN-SANBAO" => (
                "if the goods are faulty: repair, replacement or return (三包)",
                Some("seller"),
                false,
            ),
            _ => ("claim", None, false),
        };
        if id == "TB-DAMAGE-RESHIP" && self.order.reshipped_for_damage {
            out.push(not(
                "already reshipped once for damage: no second reshipment".into(),
            ));
            let reason =
                format!("if the reshipment arrived damaged again: return and refund ({id})");
            out.push(
                Entitlement::new(id, "damage-refund", true, reason)
                    .refund_paid(self.order)
                    .shipping("seller"),
            );
            return;
        }
        let event = match rule.from {
            StartEvent::Receipt => "receipt",
            StartEvent::OrderClose => "the order closes",
            StartEvent::Payment => "payment",
        };
        let Some(start) = self.start(rule.from) else {
            // Courier and arrival claims can be made before the order closes.
            let e = if rule.from == StartEvent::OrderClose {
                let days = rule
                    .days
                    .map_or(String::new(), |d| format!(" {d} days after"));
                let reason = format!("{claim}; open until{days} the order closes ({id})");
                Entitlement::new(id, &kind, true, reason)
            } else {
                not(format!("not yet: the window runs from {event}"))
            };
            out.push(e);
            return;
        };
        let Some(status) = self.pack.entitlement_window(id, start, self.now) else {
            out.push(not(
                "the shop has not set its promised period (promise_days)".into(),
            ));
            return;
        };
        let mut e = if status.open {
            Entitlement::new(id, &kind, true, format!("{claim}: {}", status.explanation))
        } else if self.now < start {
            not(format!("not yet: the window runs from {event}"))
        } else {
            let reason = format!("window passed: {}", status.explanation);
            Entitlement::new(id, &kind, false, reason)
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
