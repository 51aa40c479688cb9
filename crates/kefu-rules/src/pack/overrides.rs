//! Shop overrides: how one shop adjusts its platform's pack.
//!
//! A shop may move the pack to its own time zone, replace its working hours (the pack's
//! `shop_calendar`), add holidays to them, add its own first-response target (KPI-FRT-3H,
//! severity `target`), state its after-sales promise (24 h or 48 h, TB-AFTERSALES-24-48H),
//! list which optional promises (服务承诺) it offers, set the periods of promises whose length
//! it chooses (TB-RETURN-PROMISE, TB-DAMAGE-RESHIP) and agreed compensation amounts.
//!
//! Decisions (a careful seller's reading of the sources):
//! - Replaced hours and extra holidays change only the shop calendar: a platform calendar
//!   (Taobao's 09:00–23:00, AliExpress's peak hours) is how the platform measures the shop,
//!   and a shop's holiday does not stop the platform's clock.
//! - The time zone moves every calendar that does not pin its own zone, because the sources
//!   state platform hours in "shop local time".
//!
//! This module does NOT read files: overrides arrive deserialised (TOML or JSON).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{ClockRule, Formula, Pack, PackError, raw};
use crate::catalog::ids;
use crate::compensation::CompensationKind;
use crate::deadline::{ClockKind, ClockStart, Severity};
use crate::parse;

const FILE: &str = "shop overrides";

/// One working window in overrides: `{ days = "mon-fri", from = "09:00", to = "18:00" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub days: String,
    pub from: String,
    pub to: String,
}

/// A shop's adjustments to its pack. Every field is optional; empty overrides change nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopOverrides {
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// The off-hours auto-reply by language (`{"zh": "亲，…", "en": "Thanks, …"}`), for packs
    /// with an `[offhours_bot]` (TB-OFFHOURS-BOT). `{due}` in the text becomes the time the
    /// first response is due. Without it the shop sends no auto-reply.
    pub offhours_reply: Option<BTreeMap<String, String>>,
    /// The shop's own forbidden phrases for the reply guard, by language (`{"zh": ["包邮"]}`):
    /// a reply containing one gets a warning (SHOP-FORBIDDEN).
    pub forbidden_phrases: Option<BTreeMap<String, Vec<String>>>,
    /// Phrases every reply in that language must contain (a warning when one is missing,
    /// SHOP-REQUIRED), e.g. a sign-off the brand requires.
    pub required_phrases: Option<BTreeMap<String, Vec<String>>>,
    /// Replaces the windows of the pack's shop calendar.
    pub working_hours: Option<Vec<WindowSpec>>,
    /// Extra days off for the shop calendar.
    pub extra_holidays: Option<Vec<NaiveDate>>,
    /// The shop's own first-response target (KPI-FRT-3H), e.g. `"3h"`.
    pub first_response_target: Option<String>,
    /// Calendar of that target: a calendar name or `always`; default the shop calendar.
    pub first_response_target_calendar: Option<String>,
    /// The shop's stated after-sales handling time: 24 or 48 (TB-AFTERSALES-24-48H).
    pub aftersales_promise_hours: Option<u32>,
    /// The optional promises the shop offers (names from the pack's `promises`); rules tied
    /// to a promise not listed are dropped. `None` keeps all.
    pub promises: Option<Vec<String>>,
    /// Periods in days of promises whose length the shop chooses, by rule ID
    /// (`"TB-RETURN-PROMISE" = 15`, `"TB-DAMAGE-RESHIP" = 7`).
    pub promise_days: Option<BTreeMap<String, u32>>,
    /// Agreed compensation amounts by kind (`quality-promise = "50.00"`), pack currency.
    pub agreed_compensation: Option<BTreeMap<CompensationKind, Decimal>>,
    /// Let the bot answer inside working hours too when no agent can take the conversation
    /// (everyone away or at their limit). Off by default: within hours people answer.
    pub bot_when_busy: Option<bool>,
    /// How new conversations are shared among the agents: `least_load` (fewest open
    /// conversations first; the default) or `round_robin` (longest since their last one).
    pub routing: Option<String>,
    /// The shop's own limits of the high-value clock (EBAY-HIGHVALUE-12H) by currency
    /// (`{"GBP": "380"}`), replacing the pack's for that currency: a shop that converts at
    /// today's rate states the result here. In the rule's own currency a shop may only be
    /// stricter than the rule (US$450, not US$600), since a higher limit would drop a platform
    /// clock.
    pub high_value_thresholds: Option<BTreeMap<String, Decimal>>,
    /// Days after shipping without delivery before a parcel counts as late
    /// (LOST-RESHIP-OR-REFUND), replacing the pack's `late_after_days`: e.g. 20 for a shop
    /// that ships across borders.
    pub lost_package_after_days: Option<u32>,
    /// What a web-chat visitor gives with an order number to prove the order theirs:
    /// `email` (the default), `phone_tail` (the phone's last four digits) or `postcode`,
    /// checked against the buyer's details on the order. A signed link from the shop's order
    /// page proves it too, whatever this says.
    pub order_proof: Option<String>,
    /// The shop's own KPI targets by rule, replacing the pack's values
    /// (`{"KPI-RESOLUTION-85": 0.9}`).
    pub kpi_targets: Option<BTreeMap<String, f64>>,
    /// The shop promises 24-hour service (STAFF-24H): its roster must cover the whole day.
    pub promises_24h: Option<bool>,
    /// How far above a step of the platform's penalty ladder the supervisor is warned
    /// (AE-PENALTY), replacing the pack's `warn_margin`: e.g. 0.05 for five points.
    pub penalty_warn_margin: Option<f64>,
    /// The numbers of buyers within the pack's window at which incident levels 1, 2 and 3
    /// start (COLLECTIVE-3LEVEL), replacing the pack's `[incidents] levels`.
    pub incident_levels: Option<[u32; 3]>,
    /// The team that answers for a complaint's cause (COMPLAINT-FLOW), by the team's name,
    /// replacing the pack's `[complaints] teams` for the causes named
    /// (`{"logistics": "物流组"}`; an empty name: no team for that cause).
    pub complaint_teams: Option<BTreeMap<String, String>>,
    /// The shop's own sales peaks (PEAK-PREP), replacing the pack's list:
    /// `[{"name": "618", "date": "06-18"}]`.
    pub peak_days: Option<Vec<super::PeakDay>>,
    /// The languages the shop's FAQ must cover before a peak (PEAK-PREP), replacing the
    /// pack's.
    pub peak_languages: Option<Vec<String>>,
    /// The shop's logistics contingency plan for its peaks (PEAK-PREP: "与物流商确定应急方案"),
    /// as the supervisor wrote it.
    pub logistics_plan: Option<String>,
}

/// `(language, phrase)` pairs: `zh`, `en`, … or `*` for any language.
pub type PhraseList = Vec<(String, String)>;

impl ShopOverrides {
    /// The shop's own phrases as the reply guard takes them
    /// (`kefu_guard::Guard::with_shop_phrases`): `(language, phrase)` pairs, forbidden and
    /// required. The server's shop guard and `kefu lint --shop-phrases` both build theirs
    /// from this, so a phrase list means the same in both.
    pub fn shop_phrases(&self) -> (PhraseList, PhraseList) {
        let flatten = |m: &Option<BTreeMap<String, Vec<String>>>| -> PhraseList {
            m.iter()
                .flatten()
                .flat_map(|(lang, list)| list.iter().map(move |p| (lang.clone(), p.clone())))
                .collect()
        };
        (
            flatten(&self.forbidden_phrases),
            flatten(&self.required_phrases),
        )
    }
}

impl Pack {
    /// Moves the pack's KPI targets to the shop's values, by rule.
    fn set_kpi_targets(&mut self, targets: &BTreeMap<String, f64>) -> Result<(), PackError> {
        for (rule, value) in targets {
            let t = self
                .kpi_targets
                .iter_mut()
                .find(|t| t.rule == *rule)
                .ok_or_else(|| err(format!("pack {} has no KPI target {rule}", self.id)))?;
            let range = if t.figure == super::KpiFigure::Csat {
                1.0..=5.0
            } else {
                0.0..=1.0
            };
            if !range.contains(value) {
                return Err(err(format!(
                    "target {value} of {rule} is outside {range:?}"
                )));
            }
            t.value = *value;
        }
        Ok(())
    }
}

/// The values `order_proof` may take.
pub const ORDER_PROOFS: [&str; 3] = ["email", "phone_tail", "postcode"];

fn err(reason: impl Into<String>) -> PackError {
    PackError::plain(FILE, reason)
}

impl Pack {
    /// The shop's incident levels (COLLECTIVE-3LEVEL), complaint teams (COMPLAINT-FLOW) and
    /// sales peaks (PEAK-PREP), in place of the pack's.
    fn set_process_overrides(&mut self, o: &ShopOverrides) -> Result<(), PackError> {
        if let Some(levels) = o.incident_levels {
            self.incidents.buyers = super::IncidentLevels::check(levels).map_err(err)?;
        }
        if let Some(teams) = &o.complaint_teams {
            self.complaints.set_teams(teams).map_err(err)?;
        }
        if let Some(peaks) = &o.peak_days {
            super::PeakPrep::check(peaks).map_err(err)?;
            self.peak_prep.peaks = peaks.clone();
        }
        if let Some(languages) = &o.peak_languages {
            self.peak_prep.languages = languages.clone();
        }
        Ok(())
    }
}

impl Pack {
    /// This pack as adjusted by one shop's overrides.
    pub fn with_overrides(&self, o: &ShopOverrides) -> Result<Pack, PackError> {
        if let Some(r) = &o.routing
            && r != "least_load"
            && r != "round_robin"
        {
            return Err(err(format!(
                "routing `{r}` is not least_load or round_robin"
            )));
        }
        if let Some(p) = &o.order_proof
            && !ORDER_PROOFS.contains(&p.as_str())
        {
            return Err(err(format!(
                "order_proof `{p}` is not email, phone_tail or postcode"
            )));
        }
        let mut pack = self.clone();
        if let Some(tz_name) = &o.timezone {
            pack.set_timezone(tz_name)?;
        }
        let shop = pack.shop_calendar.clone();
        if let Some(specs) = &o.working_hours {
            pack.set_working_hours(&shop, specs)?;
        }
        if let Some(days) = &o.extra_holidays {
            let cal = pack.calendar_mut(&shop)?;
            *cal = cal.clone().with_holidays(days.iter().copied());
        }
        if let Some(target) = &o.first_response_target {
            pack.add_first_response_target(target, o.first_response_target_calendar.as_deref())?;
        }
        if let Some(hours) = o.aftersales_promise_hours {
            pack.set_aftersales_hours(hours)?;
        }
        if let Some(offered) = &o.promises {
            pack.keep_promises(offered)?;
        }
        if let Some(periods) = &o.promise_days {
            pack.set_promise_days(periods)?;
        }
        if let Some(agreed) = &o.agreed_compensation {
            for (kind, amount) in agreed {
                if amount.is_sign_negative() {
                    return Err(err(format!("agreed compensation for {kind} is negative")));
                }
                let rule = pack
                    .compensations
                    .iter_mut()
                    .find(|c| c.kind == *kind && matches!(c.formula, Formula::Agreed { .. }))
                    .ok_or_else(|| {
                        err(format!("pack {} has no agreed amount for {kind}", self.id))
                    })?;
                rule.formula = Formula::Agreed {
                    amount: Some(*amount),
                };
            }
        }
        if let Some(limits) = &o.high_value_thresholds {
            pack.set_high_value_thresholds(limits)?;
        }
        if let Some(targets) = &o.kpi_targets {
            pack.set_kpi_targets(targets)?;
        }
        pack.set_process_overrides(o)?;
        if let Some(margin) = o.penalty_warn_margin {
            if !(0.0..=0.5).contains(&margin) {
                return Err(err("penalty_warn_margin must be 0 to 0.5"));
            }
            match pack.scorecard.as_mut() {
                Some(s) if s.penalty_rule.is_some() => s.warn_margin = margin,
                _ => {
                    return Err(err(format!(
                        "pack {} has no penalty ladder to be warned of",
                        self.id
                    )));
                }
            }
        }
        if let Some(days) = o.lost_package_after_days {
            if days == 0 {
                return Err(err("lost_package_after_days must be at least 1"));
            }
            let rule = pack
                .compensations
                .iter_mut()
                .find(|c| c.kind == CompensationKind::LostPackage)
                .ok_or_else(|| {
                    err(format!(
                        "pack {} has no lost-package rule to set lost_package_after_days for",
                        self.id
                    ))
                })?;
            rule.late_after_days = Some(days);
        }
        Ok(pack)
    }

    /// The shop's own time zone: every calendar of the pack moves to it but those the pack
    /// pins to the platform's zone.
    fn set_timezone(&mut self, tz_name: &str) -> Result<(), PackError> {
        let tz: Tz = tz_name
            .parse()
            .map_err(|_| err(format!("unknown time zone `{tz_name}`")))?;
        self.timezone = tz;
        self.always = crate::Calendar::always(super::ALWAYS, tz);
        for (name, cal) in self.calendars.iter_mut() {
            if !self.pinned.contains(name) {
                *cal = cal.with_timezone(tz);
            }
        }
        Ok(())
    }

    /// The shop's working hours replace those of its calendar `shop`.
    fn set_working_hours(&mut self, shop: &str, specs: &[WindowSpec]) -> Result<(), PackError> {
        let spanned: Vec<raw::RawWindow> = specs
            .iter()
            .map(|w| raw::RawWindow {
                days: Spanned::new(0..0, w.days.clone()),
                from: Spanned::new(0..0, w.from.clone()),
                to: Spanned::new(0..0, w.to.clone()),
            })
            .collect();
        let windows = raw::windows(&spanned, &|_, reason| err(reason))?;
        if windows.is_empty() {
            return Err(err(
                "working_hours has no windows: a clock on it never runs",
            ));
        }
        let cal = self.calendar_mut(shop)?;
        *cal = cal.with_windows(&windows);
        Ok(())
    }

    /// Only the promises the shop offers stay; the rules that rest on the others are dropped
    /// (and listed, so a shop sees what it gave up).
    fn keep_promises(&mut self, offered: &[String]) -> Result<(), PackError> {
        if let Some(bad) = offered.iter().find(|p| !self.promises.contains(*p)) {
            let known: Vec<&str> = self.promises.iter().map(String::as_str).collect();
            return Err(err(format!(
                "unknown promise `{bad}` (pack {} knows: {})",
                self.id,
                known.join(", ")
            )));
        }
        let keep = |p: &Option<String>| p.as_ref().is_none_or(|p| offered.contains(p));
        let dropped = self
            .compensations
            .iter()
            .map(|c| (&c.rule, &c.promise, Some(c.kind)))
            .chain(
                self.entitlements
                    .iter()
                    .map(|e| (&e.rule, &e.promise, None)),
            )
            .filter_map(|(rule, p, compensation)| match p {
                Some(p) if !offered.contains(p) => Some(super::DroppedRule {
                    rule: rule.clone(),
                    promise: p.clone(),
                    compensation,
                }),
                _ => None,
            })
            .collect::<Vec<_>>();
        self.dropped.extend(dropped);
        self.compensations.retain(|c| keep(&c.promise));
        self.entitlements.retain(|e| keep(&e.promise));
        Ok(())
    }

    /// The claim windows the shop promises, by entitlement rule.
    fn set_promise_days(&mut self, periods: &BTreeMap<String, u32>) -> Result<(), PackError> {
        for (rule, days) in periods {
            let e = self
                .entitlements
                .iter_mut()
                .find(|e| e.rule == *rule)
                .ok_or_else(|| {
                    err(format!(
                        "pack {} has no entitlement `{rule}` to set",
                        self.id
                    ))
                })?;
            if *days == 0 {
                return Err(err(format!("promise_days for {rule} must be at least 1")));
            }
            e.days = Some(*days);
        }
        Ok(())
    }

    /// The shop's per-currency limits on every conditional clock of the pack.
    fn set_high_value_thresholds(
        &mut self,
        limits: &BTreeMap<String, Decimal>,
    ) -> Result<(), PackError> {
        let id = self.id.clone();
        let mut conditions = self
            .clocks
            .iter_mut()
            .filter_map(|c| c.condition.as_mut().map(|cond| (c.rule.as_str(), cond)))
            .peekable();
        if conditions.peek().is_none() {
            return Err(err(format!(
                "pack {id} has no high-value clock to set high_value_thresholds for"
            )));
        }
        for (rule, cond) in conditions {
            for (code, above) in limits {
                let c = crate::money::normalise(code).ok_or_else(|| {
                    err(format!(
                        "high_value_thresholds: unknown currency {code:?} (give an ISO 4217 code such as GBP)"
                    ))
                })?;
                if *above <= Decimal::ZERO {
                    return Err(err(format!(
                        "high_value_thresholds.{c} must be a positive amount, not {above}"
                    )));
                }
                if c == cond.currency && *above > cond.above {
                    return Err(err(format!(
                        "high_value_thresholds.{c} = {above} is above the {rule} limit of {} {c}: a shop may be stricter than the rule, not looser",
                        cond.above
                    )));
                }
                if c == cond.currency {
                    cond.above = *above;
                    cond.set_by = super::SetBy::Shop;
                } else {
                    cond.thresholds.insert(
                        c,
                        super::Threshold {
                            above: *above,
                            set_by: super::SetBy::Shop,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    fn calendar_mut(&mut self, name: &str) -> Result<&mut crate::Calendar, PackError> {
        let id = self.id.clone();
        self.calendars
            .get_mut(name)
            .ok_or_else(|| err(format!("pack {id} has no calendar `{name}`")))
    }

    /// KPI-FRT-3H: the shop's own first-response target, severity `target`.
    fn add_first_response_target(
        &mut self,
        target: &str,
        calendar: Option<&str>,
    ) -> Result<(), PackError> {
        kefu_core::enforces!(
            ids::KPI_FRT_3H,
            test = "kefu-rules::deadlines::kpi_frt_3h_from_overrides_is_a_separate_target"
        );
        let duration = parse::duration(target).map_err(err)?;
        if duration <= chrono::Duration::zero() {
            return Err(err("first_response_target must be positive"));
        }
        let calendar = calendar.unwrap_or(&self.shop_calendar).to_string();
        if self.calendar_ref(&calendar).is_none() {
            return Err(err(format!("unknown calendar `{calendar}`")));
        }
        // Replace, not add: a shop has one own target (a pack may ship a default one).
        self.clocks.retain(|c| c.rule != ids::KPI_FRT_3H);
        self.clocks.push(ClockRule {
            rule: ids::KPI_FRT_3H.into(),
            kind: ClockKind::FirstResponse,
            on: ClockStart::FirstMessage,
            duration,
            calendar,
            severity: Severity::Target,
            condition: None,
            channels: Vec::new(),
        });
        Ok(())
    }

    /// TB-AFTERSALES-24-48H: the sources name 24 h and 48 h; other values are refused so a
    /// typo (4, 480) cannot set a promise the shop never made.
    fn set_aftersales_hours(&mut self, hours: u32) -> Result<(), PackError> {
        if hours != 24 && hours != 48 {
            return Err(err(format!(
                "aftersales_promise_hours must be 24 or 48 (TB-AFTERSALES-24-48H), not {hours}"
            )));
        }
        let mut found = false;
        for c in self
            .clocks
            .iter_mut()
            .filter(|c| c.rule == ids::TB_AFTERSALES_24_48H)
        {
            c.duration = chrono::Duration::hours(i64::from(hours));
            found = true;
        }
        if !found {
            return Err(err(format!(
                "pack {} has no TB-AFTERSALES-24-48H clock to set",
                self.id
            )));
        }
        Ok(())
    }
}
