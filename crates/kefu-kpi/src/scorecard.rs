//! The platforms' scorecards computed their way (issue 12): for each rule the platform
//! counts (TB-FRT-5M, AE-FRT-24H, AE-PEAK-1H, EBAY-FRT-24H, EBAY-HIGHVALUE-12H), the share of
//! its first-reply clocks met in time over the platform's rolling window; where the rolling
//! window will stand in a few days if today's pace holds; and, on a platform with a penalty
//! ladder (AE-PENALTY), which step the share is under and which it is about to cross.
//!
//! The forecast: in `days` days the window has lost its oldest `days` days and gained `days`
//! days like today (today's clocks so far, scaled up to a whole day by the share of the day
//! gone; on a day with no clock yet, the window's own daily average).

use serde::Serialize;

use crate::figures::ClockShare;
use crate::rollup::Totals;

/// One step of a penalty ladder: below `below`, the platform applies `level`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub level: String,
    pub below: f64,
}

/// What the scorecard is asked: the rules, the window's totals, the part of them that
/// leaves the window over the forecast, today's totals so far, and the ladder.
pub struct ScorecardInput<'a> {
    pub rules: &'a [String],
    pub window: &'a Totals,
    pub window_days: u32,
    /// The oldest `forecast_days` days of the window.
    pub leaving: &'a Totals,
    pub today: &'a Totals,
    /// How much of the shop's day has gone, 0..=1.
    pub day_gone: f64,
    pub forecast_days: u32,
    /// From the mildest step down.
    pub ladder: &'a [Step],
    pub warn_margin: f64,
}

/// One rule's standing on the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureScore {
    pub rule: String,
    #[serde(flatten)]
    pub share: ClockShare,
    /// The share in `forecast_days` days if today's pace holds.
    pub forecast: Option<f64>,
    /// The most severe step the share is under.
    pub under: Option<Step>,
    /// The next step, when the share is within the warning margin of it or the forecast
    /// goes under it.
    pub approaching: Option<Step>,
}

fn counts(t: &Totals, rule: &str) -> (f64, f64) {
    t.clocks
        .get(rule)
        .map_or((0.0, 0.0), |[n, met]| (*n as f64, *met as f64))
}

/// Each rule's score.
pub fn scorecard(input: &ScorecardInput<'_>) -> Vec<MeasureScore> {
    input
        .rules
        .iter()
        .map(|rule| {
            let (n, met) = counts(input.window, rule);
            let rate = (n > 0.0).then(|| met / n);
            let (today_n, today_met) = counts(input.today, rule);
            let (per_day_n, per_day_met) = if today_n > 0.0 {
                let gone = input.day_gone.clamp(1.0 / 24.0, 1.0);
                (today_n / gone, today_met / gone)
            } else {
                let days = f64::from(input.window_days.max(1));
                (n / days, met / days)
            };
            let (leave_n, leave_met) = counts(input.leaving, rule);
            let ahead = f64::from(input.forecast_days);
            let future_n = n - leave_n + per_day_n * ahead;
            let future_met = met - leave_met + per_day_met * ahead;
            let forecast = (future_n > 0.0).then(|| (future_met / future_n).clamp(0.0, 1.0));
            let under = rate.and_then(|r| input.ladder.iter().rfind(|s| r < s.below).cloned());
            let approaching = rate.and_then(|r| {
                input
                    .ladder
                    .iter()
                    .find(|s| r >= s.below)
                    .filter(|s| {
                        r < s.below + input.warn_margin || forecast.is_some_and(|f| f < s.below)
                    })
                    .cloned()
            });
            MeasureScore {
                rule: rule.clone(),
                share: ClockShare {
                    count: n as u64,
                    met: met as u64,
                    rate,
                },
                forecast,
                under,
                approaching,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(rule: &str, n: i64, met: i64) -> Totals {
        let mut t = Totals::default();
        if n > 0 {
            t.clocks.insert(rule.into(), [n, met]);
        }
        t
    }

    fn ladder() -> Vec<Step> {
        [
            ("warning", 0.9),
            ("restricted_permissions", 0.8),
            ("termination", 0.5),
        ]
        .iter()
        .map(|(l, b)| Step {
            level: l.to_string(),
            below: *b,
        })
        .collect()
    }

    fn score(window: &Totals, leaving: &Totals, today: &Totals, gone: f64) -> MeasureScore {
        let rules = ["AE-FRT-24H".to_string()];
        let ladder = ladder();
        scorecard(&ScorecardInput {
            rules: &rules,
            window,
            window_days: 30,
            leaving,
            today,
            day_gone: gone,
            forecast_days: 7,
            ladder: &ladder,
            warn_margin: 0.03,
        })
        .remove(0)
    }

    #[test]
    fn a_share_under_a_step_and_one_about_to_cross() {
        let none = Totals::default();
        // 85 %: under the warning, 5 points above restricted permissions: fine for now.
        let s = score(&totals("AE-FRT-24H", 100, 85), &none, &none, 0.5);
        assert_eq!(s.share.rate, Some(0.85));
        assert_eq!(s.under.unwrap().level, "warning");
        assert_eq!(s.approaching, None);
        // 82 %: within 3 points of restricted permissions.
        let s = score(&totals("AE-FRT-24H", 100, 82), &none, &none, 0.5);
        assert_eq!(s.approaching.unwrap().level, "restricted_permissions");
        // 95 %, but today every reply is late: the forecast falls under the warning.
        let window = totals("AE-FRT-24H", 300, 285);
        let leaving = totals("AE-FRT-24H", 70, 70);
        let today = totals("AE-FRT-24H", 20, 0);
        let s = score(&window, &leaving, &today, 0.5);
        assert_eq!(s.under, None);
        // 300 - 70 + 40 × 7 = 510 clocks, 285 - 70 + 0 met.
        assert!((s.forecast.unwrap() - 215.0 / 510.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.approaching.unwrap().level, "warning");
    }

    #[test]
    fn no_clocks_no_rate_and_a_steady_pace_forecasts_the_same() {
        let none = Totals::default();
        let s = score(&none, &none, &none, 0.5);
        assert_eq!((s.share.rate, s.forecast, s.under), (None, None, None));
        // 30 days at 10 a day, 9 met: the forecast at the window's own pace stays 90 %.
        let s = score(
            &totals("AE-FRT-24H", 300, 270),
            &totals("AE-FRT-24H", 70, 63),
            &none,
            0.5,
        );
        assert!((s.forecast.unwrap() - 0.9).abs() < 1e-9);
    }
}
