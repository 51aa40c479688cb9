//! What a supervisor and a shop are measured by, as a pack states it (issue 12):
//!
//! - `[[kpi_targets]]`: each KPI's target, by the rule that sets it (KPI-RESOLUTION-85 …),
//!   with which way is better and how far off is still amber. A shop may move a target
//!   (`kpi_targets` in its overrides).
//! - `[scorecard]`: how the platform scores the shop — the share of first-reply clocks of
//!   each listed rule met in time over a rolling window — and, where the platform punishes
//!   (AE-PENALTY), its ladder of penalties with the share below which each applies. A shop is
//!   warned `warn_margin` before a step (its overrides may widen or narrow that).
//!
//! The numbers a platform does not publish in the seeds (the ladder's thresholds) are the
//! pack's reading, stated in the pack beside the step.

use serde::Deserialize;
use toml::Spanned;

use super::PackError;
use super::raw::{Ctx, S};

/// Which figure a target is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiFigure {
    ResolutionRate,
    Csat,
    RepeatComplaintRate,
}

/// A KPI's target: the figure must be at least (or at most) `value`; within `amber_margin`
/// of it is amber.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiTarget {
    pub rule: String,
    pub figure: KpiFigure,
    pub value: f64,
    pub at_least: bool,
    pub amber_margin: f64,
}

/// One step of a platform's penalty ladder: below `below`, the platform applies `level`.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyStep {
    /// `warning`, `restricted_permissions`, `credit_deduction` or `termination`.
    pub level: String,
    pub below: f64,
}

/// A platform's scorecard of the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// The rules whose first-reply clocks the platform counts (TB-FRT-5M, AE-PEAK-1H …).
    pub measures: Vec<String>,
    /// The rolling window the platform scores over.
    pub window_days: u32,
    /// How far ahead the forecast looks.
    pub forecast_days: u32,
    /// The rule of the ladder (AE-PENALTY), when the platform punishes.
    pub penalty_rule: Option<String>,
    /// From the mildest step (highest threshold) down.
    pub penalties: Vec<PenaltyStep>,
    /// Warn when a measure is within this much above a step.
    pub warn_margin: f64,
}

const LEVELS: [&str; 4] = [
    "warning",
    "restricted_permissions",
    "credit_deduction",
    "termination",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKpiTarget {
    rule: S,
    figure: KpiFigure,
    at_least: Option<Spanned<f64>>,
    at_most: Option<Spanned<f64>>,
    #[serde(default)]
    amber_margin: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScorecard {
    measures: Vec<S>,
    #[serde(default = "thirty")]
    window_days: u32,
    #[serde(default = "seven")]
    forecast_days: u32,
    penalty_rule: Option<S>,
    #[serde(default)]
    penalties: Vec<RawPenalty>,
    #[serde(default)]
    warn_margin: f64,
}

fn thirty() -> u32 {
    30
}

fn seven() -> u32 {
    7
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPenalty {
    level: S,
    below: f64,
}

fn at(cx: &Ctx<'_>, span: usize, reason: String) -> PackError {
    PackError::at(cx.file, cx.text, Some(span), reason)
}

pub(super) fn targets(cx: &Ctx<'_>, raw: &[RawKpiTarget]) -> Result<Vec<KpiTarget>, PackError> {
    let mut out: Vec<KpiTarget> = Vec::new();
    for t in raw {
        let rule = cx.rule(&t.rule, "kpi")?;
        let (value, at_least) = match (&t.at_least, &t.at_most) {
            (Some(v), None) => (v, true),
            (None, Some(v)) => (v, false),
            _ => {
                return Err(cx.err(&t.rule, "a target has one of `at_least` or `at_most`"));
            }
        };
        let range = if t.figure == KpiFigure::Csat {
            1.0..=5.0
        } else {
            0.0..=1.0
        };
        if !range.contains(value.get_ref()) || !(0.0..=1.0).contains(&t.amber_margin) {
            return Err(at(
                cx,
                value.span().start,
                format!(
                    "target {} is outside {:?} (or its amber margin outside 0..=1)",
                    value.get_ref(),
                    range
                ),
            ));
        }
        if out.iter().any(|o| o.figure == t.figure) {
            return Err(cx.err(&t.rule, "a figure has one target"));
        }
        out.push(KpiTarget {
            rule,
            figure: t.figure,
            value: *value.get_ref(),
            at_least,
            amber_margin: t.amber_margin,
        });
    }
    Ok(out)
}

pub(super) fn scorecard(cx: &Ctx<'_>, raw: &RawScorecard) -> Result<Scorecard, PackError> {
    let measures = raw
        .measures
        .iter()
        .map(|m| cx.rule(m, "sla"))
        .collect::<Result<Vec<_>, _>>()?;
    let penalty_rule = raw
        .penalty_rule
        .as_ref()
        .map(|r| cx.rule(r, "process"))
        .transpose()?;
    let mut penalties = Vec::new();
    for p in &raw.penalties {
        if !LEVELS.contains(&p.level.get_ref().as_str()) {
            return Err(cx.err(
                &p.level,
                format!("a penalty level is one of {}", LEVELS.join(", ")),
            ));
        }
        if !(0.0..=1.0).contains(&p.below) {
            return Err(cx.err(&p.level, "`below` is a share, 0 to 1"));
        }
        penalties.push(PenaltyStep {
            level: p.level.get_ref().clone(),
            below: p.below,
        });
    }
    if penalties.windows(2).any(|w| w[0].below <= w[1].below) {
        return Err(cx.err(
            &raw.measures[0],
            "penalty steps go from the mildest (highest `below`) down",
        ));
    }
    if !penalties.is_empty() && penalty_rule.is_none() {
        return Err(cx.err(
            &raw.measures[0],
            "a penalty ladder names its `penalty_rule`",
        ));
    }
    if !(1..=366).contains(&raw.window_days) || raw.forecast_days > raw.window_days {
        return Err(cx.err(
            &raw.measures[0],
            "`window_days` is 1 to 366 and `forecast_days` at most that",
        ));
    }
    Ok(Scorecard {
        measures,
        window_days: raw.window_days,
        forecast_days: raw.forecast_days,
        penalty_rule,
        penalties,
        warn_margin: raw.warn_margin.clamp(0.0, 1.0),
    })
}
