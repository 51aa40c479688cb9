//! The TOML shape of a pack and its conversion into a validated [`Pack`].
//!
//! Fields that need checking beyond their TOML type are read as [`Spanned`] so that an error
//! can name the line and column of the offending value. Unknown keys are rejected
//! (`deny_unknown_fields`): a misspelt key would otherwise silently drop a rule.
//! This module does NOT apply shop overrides (see `overrides`).

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono_tz::Tz;
use kefu_core::Channel;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::{
    ALWAYS, ClockRule, CompensationRule, ComplaintOptions, Condition, EntitlementRule, Formula,
    Measure, OffHoursBot, Pack, PackError, SetBy, Threshold, id_from_name,
};
use crate::calendar::{Calendar, WeeklyWindow};
use crate::catalog;
use crate::compensation::CompensationKind;
use crate::deadline::{ClockKind, ClockStart, Severity};
use crate::entitlement::{Counting, StartEvent};
use crate::{money, parse};

pub(super) type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    name: String,
    platform: String,
    sources: Vec<String>,
    timezone: S,
    currency: S,
    /// The channel assumed when none is given; `marketplace` unless the pack says.
    default_channel: Option<Channel>,
    shop_calendar: S,
    #[serde(default)]
    promises: Vec<S>,
    calendars: BTreeMap<String, RawCalendar>,
    #[serde(default)]
    clocks: Vec<RawClock>,
    #[serde(default)]
    compensations: Vec<RawCompensation>,
    #[serde(default)]
    entitlements: Vec<RawEntitlement>,
    offhours_bot: Option<RawBot>,
    /// Checks of every buyer message the pack asks for, by rule ID (`PDD-NO-ABUSE`).
    #[serde(default)]
    message_checks: Vec<S>,
    /// `[complaint_options]`: OPTIONS-3's minimum of solutions in a reply to a complaint.
    complaint_options: Option<RawComplaintOptions>,
    /// `[[kpi_targets]]`: the supervisor's targets (`super::kpi`).
    #[serde(default)]
    kpi_targets: Vec<super::kpi::RawKpiTarget>,
    /// `[scorecard]`: how the platform scores the shop (`super::kpi`).
    scorecard: Option<super::kpi::RawScorecard>,
    /// `[incidents]`: the levels of a collective complaint (`super::incidents`).
    incidents: Option<super::incidents::RawIncidents>,
    /// `[complaints]`: the complaint flow's cause teams (`super::complaints`).
    complaints: Option<super::complaints::RawComplaints>,
    /// `[peak_prep]`: the market's sales peaks and the checklist before them (`super::peak`).
    peak_prep: Option<super::peak::RawPeakPrep>,
}

/// `[complaint_options]`: `rule = "OPTIONS-3"`, `min_options = 3`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComplaintOptions {
    rule: S,
    min_options: Spanned<i64>,
}

/// The most solutions a pack may ask for: the guard tells seven kinds apart (refund, partial
/// refund, reship, exchange, return, repair, coupon), so a larger number could never be met.
const MAX_OPTIONS: i64 = 7;

/// `[offhours_bot]`: outside `calendar` a buyer's message gets the shop's auto-reply.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBot {
    rule: S,
    calendar: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    /// The staffing rule these hours stand for (`TB-HOURS`, `STAFF-16H`), if any.
    rule: Option<S>,
    timezone: Option<S>,
    windows: Spanned<Vec<RawWindow>>,
    #[serde(default)]
    holidays: Vec<S>,
    #[serde(default)]
    closures: Vec<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindow {
    pub days: S,
    pub from: S,
    pub to: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    rule: S,
    kind: ClockKind,
    on: ClockStart,
    duration: S,
    calendar: S,
    severity: Severity,
    condition: Option<RawCondition>,
    #[serde(default)]
    channels: Option<Spanned<Vec<Channel>>>,
}

/// `{ unit_price_above = "500", currency = "USD", thresholds = { GBP = "400" } }`, or
/// `order_total_above` in place of `unit_price_above`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    unit_price_above: Option<S>,
    order_total_above: Option<S>,
    currency: S,
    #[serde(default)]
    thresholds: BTreeMap<String, S>,
    #[serde(default)]
    rates: BTreeMap<String, S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompensation {
    rule: S,
    kind: CompensationKind,
    promise: Option<S>,
    #[serde(default)]
    refund: bool,
    percent: Option<S>,
    min: Option<S>,
    max: Option<S>,
    multiple: Option<S>,
    #[serde(default)]
    agreed: bool,
    late_after_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntitlement {
    rule: S,
    from: StartEvent,
    days: Option<u32>,
    counting: Counting,
    promise: Option<S>,
}

/// Reports errors against one file's text.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(&self, at: &S, reason: impl Into<String>) -> PackError {
        PackError::at(self.file, self.text, Some(at.span().start), reason)
    }

    /// The rule a clock cites: it keeps a time limit, an `sla` rule's or the deadline inside
    /// a process (COMPLAINT-FLOW's "report back on time").
    fn clock_rule(&self, id: &S) -> Result<String, PackError> {
        self.rule(id, "sla")
            .or_else(|e| self.rule(id, "process").map_err(|_| e))
    }

    pub(super) fn rule(&self, id: &S, wanted: &str) -> Result<String, PackError> {
        let kind = catalog::kind_of(id.get_ref())
            .ok_or_else(|| self.err(id, format!("unknown rule ID `{}`", id.get_ref())))?;
        if !kind.contains(wanted) {
            return Err(self.err(
                id,
                format!(
                    "rule `{}` is of kind `{kind}`, not `{wanted}`",
                    id.get_ref()
                ),
            ));
        }
        Ok(id.get_ref().clone())
    }

    fn tz(&self, s: &S) -> Result<Tz, PackError> {
        Tz::from_str(s.get_ref())
            .map_err(|_| self.err(s, format!("unknown time zone `{}`", s.get_ref())))
    }

    fn decimal(&self, s: &S) -> Result<Decimal, PackError> {
        Decimal::from_str(s.get_ref().trim())
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| self.err(s, format!("bad amount `{}`", s.get_ref())))
    }

    fn currency(&self, s: &S) -> Result<String, PackError> {
        money::normalise(s.get_ref())
            .ok_or_else(|| self.err(s, format!("unknown currency `{}`", s.get_ref())))
    }

    fn with<T>(&self, s: &S, f: impl FnOnce(&str) -> Result<T, String>) -> Result<T, PackError> {
        f(s.get_ref()).map_err(|reason| self.err(s, reason))
    }

    fn promise(
        &self,
        p: &Option<S>,
        known: &BTreeSet<String>,
    ) -> Result<Option<String>, PackError> {
        match p {
            Some(s) if !known.contains(s.get_ref()) => Err(self.err(
                s,
                format!(
                    "unknown promise `{}` (declare it in `promises`)",
                    s.get_ref()
                ),
            )),
            Some(s) => Ok(Some(s.get_ref().clone())),
            None => Ok(None),
        }
    }
}

/// Windows from `{days, from, to}` entries; errors point at the offending value.
pub(super) fn windows(
    raw: &[RawWindow],
    err: &dyn Fn(&S, String) -> PackError,
) -> Result<Vec<WeeklyWindow>, PackError> {
    let mut out = Vec::new();
    for w in raw {
        let days = parse::days(w.days.get_ref()).map_err(|r| err(&w.days, r))?;
        let from = parse::wall_time(w.from.get_ref()).map_err(|r| err(&w.from, r))?;
        let to = parse::wall_time(w.to.get_ref()).map_err(|r| err(&w.to, r))?;
        for day in days {
            out.push(WeeklyWindow::new(day, from, to).map_err(|e| err(&w.from, e.to_string()))?);
        }
    }
    Ok(out)
}

/// A clock's condition, validated: one measure, known currencies, amounts not negative.
fn condition(cx: &Ctx<'_>, rule: &S, rc: &RawCondition) -> Result<Condition, PackError> {
    let (measure, above) = match (&rc.unit_price_above, &rc.order_total_above) {
        (Some(a), None) => (Measure::UnitPrice, cx.decimal(a)?),
        (None, Some(a)) => (Measure::OrderTotal, cx.decimal(a)?),
        _ => {
            return Err(cx.err(
                rule,
                "a condition gives exactly one of `unit_price_above`, `order_total_above`",
            ));
        }
    };
    let currency = cx.currency(&rc.currency)?;
    let code = |c: &str, at: &S, what: &str| {
        money::normalise(c).ok_or_else(|| cx.err(at, format!("unknown currency `{c}` in {what}")))
    };
    let mut thresholds = BTreeMap::new();
    for (c, limit) in &rc.thresholds {
        let c = code(c, limit, "thresholds")?;
        let above = cx.decimal(limit)?;
        thresholds.insert(
            c,
            Threshold {
                above,
                set_by: SetBy::Pack,
            },
        );
    }
    let mut rates = BTreeMap::new();
    for (c, rate) in &rc.rates {
        rates.insert(code(c, rate, "rates")?, cx.decimal(rate)?);
    }
    Ok(Condition {
        measure,
        above,
        currency,
        set_by: SetBy::Pack,
        thresholds,
        rates,
    })
}

/// `[offhours_bot]`, its calendar one the pack knows.
fn offhours_bot(
    cx: &Ctx<'_>,
    raw: Option<&RawBot>,
    known_calendar: &dyn Fn(&S) -> Result<String, PackError>,
) -> Result<Option<OffHoursBot>, PackError> {
    raw.map(|b| {
        Ok(OffHoursBot {
            rule: cx.rule(&b.rule, "process")?,
            calendar: known_calendar(&b.calendar)?,
        })
    })
    .transpose()
}

/// The channels a clock is limited to; none given: every channel.
fn clock_channels(
    cx: &Ctx<'_>,
    list: Option<&Spanned<Vec<Channel>>>,
) -> Result<Vec<Channel>, PackError> {
    match list {
        Some(list) if list.get_ref().is_empty() => {
            let at = PackError::at(cx.file, cx.text, Some(list.span().start), "");
            Err(PackError {
                reason: "`channels` is empty: the clock would never open (leave it out for every channel)".into(),
                ..at
            })
        }
        Some(list) => Ok(list.get_ref().clone()),
        None => Ok(Vec::new()),
    }
}

pub(super) fn parse(name: &str, text: &str) -> Result<Pack, PackError> {
    let raw: RawPack = toml::from_str(text)
        .map_err(|e| PackError::at(name, text, e.span().map(|s| s.start), e.message().trim()))?;
    let cx = Ctx { file: name, text };
    let timezone = cx.tz(&raw.timezone)?;
    let currency = cx.currency(&raw.currency)?;
    let promises: BTreeSet<String> = raw.promises.iter().map(|p| p.get_ref().clone()).collect();
    let (calendars, pinned, calendar_rules) = calendars(&cx, &raw, timezone)?;
    let known_calendar = |s: &S| -> Result<String, PackError> {
        let n = s.get_ref();
        if n == ALWAYS || calendars.contains_key(n) {
            Ok(n.clone())
        } else {
            let names: Vec<&str> = calendars.keys().map(String::as_str).collect();
            Err(cx.err(
                s,
                format!(
                    "unknown calendar `{n}` (known: always, {})",
                    names.join(", ")
                ),
            ))
        }
    };
    let shop_calendar = known_calendar(&raw.shop_calendar)?;

    let mut clocks = Vec::new();
    for c in &raw.clocks {
        let condition = match &c.condition {
            Some(rc) => Some(condition(&cx, &c.rule, rc)?),
            None => None,
        };
        let channels = clock_channels(&cx, c.channels.as_ref())?;
        let duration = cx.with(&c.duration, parse::duration)?;
        if duration <= chrono::Duration::zero() {
            return Err(cx.err(&c.duration, "a clock needs a positive duration"));
        }
        clocks.push(ClockRule {
            rule: cx.clock_rule(&c.rule)?,
            kind: c.kind,
            on: c.on,
            duration,
            calendar: known_calendar(&c.calendar)?,
            severity: c.severity,
            condition,
            channels,
        });
    }

    let compensations = compensations(&cx, &raw, &currency, &promises)?;
    let entitlements = entitlements(&cx, &raw, &promises)?;
    let offhours_bot = offhours_bot(&cx, raw.offhours_bot.as_ref(), &known_calendar)?;
    let message_checks = message_checks(&cx, &raw)?;
    let complaint_options = raw
        .complaint_options
        .as_ref()
        .map(|o| complaint_options(&cx, o))
        .transpose()?;
    let scorecard = raw
        .scorecard
        .as_ref()
        .map(|s| super::kpi::scorecard(&cx, s))
        .transpose()?;

    Ok(Pack {
        id: id_from_name(name),
        name: raw.name,
        platform: raw.platform,
        sources: raw.sources,
        timezone,
        currency,
        default_channel: raw.default_channel.unwrap_or(Channel::Marketplace),
        shop_calendar,
        calendars,
        pinned,
        always: Calendar::always(ALWAYS, timezone),
        dropped: Vec::new(),
        calendar_rules,
        clocks,
        compensations,
        entitlements,
        promises,
        offhours_bot,
        message_checks,
        complaint_options,
        kpi_targets: super::kpi::targets(&cx, &raw.kpi_targets)?,
        scorecard,
        incidents: super::incidents::incidents(&cx, raw.incidents.as_ref())?,
        complaints: super::complaints::complaints(&cx, raw.complaints.as_ref())?,
        peak_prep: super::peak::peak_prep(&cx, raw.peak_prep.as_ref())?,
    })
}

/// The calendars by name, the names pinned to a time zone of their own, and the staffing
/// rules the calendars carry.
type Calendars = (BTreeMap<String, Calendar>, BTreeSet<String>, Vec<String>);

/// The pack's calendars, those pinned to a time zone of their own, and the staffing rules
/// they carry.
fn calendars(cx: &Ctx<'_>, raw: &RawPack, timezone: Tz) -> Result<Calendars, PackError> {
    let mut calendars = BTreeMap::new();
    let mut pinned = BTreeSet::new();
    let mut calendar_rules = Vec::new();
    for (cal_name, rc) in &raw.calendars {
        if let Some(rule) = &rc.rule {
            calendar_rules.push(cx.rule(rule, "staffing")?);
        }
        if cal_name == ALWAYS {
            return Err(cx.err(&raw.shop_calendar, "`always` is reserved for calendar time"));
        }
        let tz = match &rc.timezone {
            Some(s) => {
                pinned.insert(cal_name.clone());
                cx.tz(s)?
            }
            None => timezone,
        };
        let ws = windows(rc.windows.get_ref(), &|s, r| cx.err(s, r))?;
        if ws.is_empty() {
            let at = PackError::at(cx.file, cx.text, Some(rc.windows.span().start), "");
            return Err(PackError {
                reason: format!("calendar `{cal_name}` has no windows: a clock on it never runs"),
                ..at
            });
        }
        let dates = |list: &[S]| -> Result<Vec<_>, PackError> {
            list.iter().map(|d| cx.with(d, parse::date)).collect()
        };
        let cal = Calendar::new(cal_name.clone(), tz, &ws)
            .with_holidays(dates(&rc.holidays)?)
            .with_closures(dates(&rc.closures)?);
        calendars.insert(cal_name.clone(), cal);
    }
    Ok((calendars, pinned, calendar_rules))
}

/// The after-sales compensations, each kind once, with a formula that makes sense for it.
fn compensations(
    cx: &Ctx<'_>,
    raw: &RawPack,
    currency: &str,
    promises: &BTreeSet<String>,
) -> Result<Vec<CompensationRule>, PackError> {
    let mut compensations: Vec<CompensationRule> = Vec::new();
    for c in &raw.compensations {
        let rule = cx.rule(&c.rule, "after-sales")?;
        if compensations.iter().any(|k| k.kind == c.kind) {
            return Err(cx.err(&c.rule, format!("kind `{}` is defined twice", c.kind)));
        }
        let formula = match (&c.percent, &c.multiple, c.agreed) {
            (Some(p), None, false) => Formula::Percent {
                percent: cx.decimal(p)?,
                min: c.min.as_ref().map(|m| cx.decimal(m)).transpose()?,
                max: c.max.as_ref().map(|m| cx.decimal(m)).transpose()?,
                currency: currency.to_string(),
            },
            (None, Some(m), false) => Formula::Multiple {
                factor: cx.decimal(m)?,
            },
            (None, None, true) => Formula::Agreed { amount: None },
            (None, None, false) => Formula::None,
            _ => {
                return Err(cx.err(
                    &c.rule,
                    "give at most one of `percent`, `multiple`, `agreed = true`",
                ));
            }
        };
        if !matches!(formula, Formula::Percent { .. }) && (c.min.is_some() || c.max.is_some()) {
            return Err(cx.err(&c.rule, "`min`/`max` only apply with `percent`"));
        }
        // LOST-RESHIP-OR-REFUND: "lost or late" needs the pack's definition of late, or the
        // desk would offer a refund on every parcel still on its way.
        match (c.kind, c.late_after_days) {
            (CompensationKind::LostPackage, None) => {
                return Err(cx.err(
                    &c.rule,
                    "a lost-package rule needs `late_after_days` (days after shipping without delivery before the parcel counts as late)",
                ));
            }
            (CompensationKind::LostPackage, Some(0)) => {
                return Err(cx.err(&c.rule, "`late_after_days` must be at least 1"));
            }
            (CompensationKind::LostPackage, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(cx.err(&c.rule, "`late_after_days` only applies to `lost-package`"));
            }
        }
        compensations.push(CompensationRule {
            rule,
            kind: c.kind,
            promise: cx.promise(&c.promise, promises)?,
            refund: c.refund,
            formula,
            late_after_days: c.late_after_days,
        });
    }
    Ok(compensations)
}

/// The entitlement windows, each at least a day long.
fn entitlements(
    cx: &Ctx<'_>,
    raw: &RawPack,
    promises: &BTreeSet<String>,
) -> Result<Vec<EntitlementRule>, PackError> {
    let mut entitlements = Vec::new();
    for e in &raw.entitlements {
        if e.days == Some(0) {
            return Err(cx.err(&e.rule, "an entitlement window needs at least 1 day"));
        }
        entitlements.push(EntitlementRule {
            rule: cx.rule(&e.rule, "after-sales")?,
            from: e.from,
            days: e.days,
            counting: e.counting,
            promise: cx.promise(&e.promise, promises)?,
        });
    }
    Ok(entitlements)
}

/// The checks the pack asks of every buyer message (PDD-NO-ABUSE …), each one the rulebook
/// has.
fn message_checks(cx: &Ctx<'_>, raw: &RawPack) -> Result<Vec<String>, PackError> {
    raw.message_checks
        .iter()
        .map(|id| {
            let rule = cx.rule(id, "process")?;
            if crate::plan::MESSAGE_CHECKS.contains(&rule.as_str()) {
                Ok(rule)
            } else {
                Err(cx.err(
                    id,
                    format!(
                        "no message check enforces `{rule}`; known: {}",
                        crate::plan::MESSAGE_CHECKS.join(", ")
                    ),
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()
}

/// `[complaint_options]`, validated: the rule is OPTIONS-3 (the one rule the guard counts
/// solutions for) and the number is one the guard can tell apart.
fn complaint_options(cx: &Ctx<'_>, o: &RawComplaintOptions) -> Result<ComplaintOptions, PackError> {
    let rule = cx.rule(&o.rule, "guard")?;
    if rule != catalog::ids::OPTIONS_3 {
        return Err(cx.err(
            &o.rule,
            format!(
                "`complaint_options` enforces {}, not `{rule}`",
                catalog::ids::OPTIONS_3
            ),
        ));
    }
    let n = *o.min_options.get_ref();
    if !(1..=MAX_OPTIONS).contains(&n) {
        return Err(PackError::at(
            cx.file,
            cx.text,
            Some(o.min_options.span().start),
            format!("`min_options` must be 1 to {MAX_OPTIONS}, not {n}"),
        ));
    }
    Ok(ComplaintOptions {
        rule,
        min_options: u8::try_from(n).unwrap_or(u8::MAX),
    })
}
