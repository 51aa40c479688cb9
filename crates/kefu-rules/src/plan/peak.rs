//! Before a sales peak (PEAK-PREP, seed 000): `remind_days` before Black Friday, Christmas or
//! 双11 (the pack's `[peak_prep]`, a shop's `peak_days`) the supervisors get a checklist, and
//! each item ticks when the data shows it done:
//!
//! - "双倍客服人力储备": at every hour of the peak day, at least twice the agents on shift that
//!   an ordinary day's load at that hour keeps busy ([`RESERVE_FACTOR`]);
//! - "预设20条常见QA模板": `faq_templates` answers in the shop's FAQ in each language the pack
//!   (or shop) names;
//! - "与物流商确定应急方案": a logistics contingency plan written in the shop's settings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::pack::Pack;

/// "双倍": the peak day's roster holds twice what an ordinary day's load needs.
pub const RESERVE_FACTOR: u32 = 2;

/// The shortest plan that counts as written (a sentence, not a placeholder).
const PLAN_MIN_CHARS: usize = 10;

/// A peak near enough to prepare for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeakAhead {
    pub rule: String,
    pub name: String,
    pub date: NaiveDate,
    pub days_left: i64,
}

/// The peaks of the shop's pack from `today` (the shop's local date) to `remind_days` ahead,
/// soonest first: this year's date of each, or next year's when this year's has passed.
pub fn peaks_ahead(pack: &Pack, today: NaiveDate) -> Vec<PeakAhead> {
    kefu_core::enforces!(
        crate::ids::PEAK_PREP,
        test = "kefu::peak::two_weeks_before_a_peak_supervisors_get_the_checklist"
    );
    let prep = &pack.peak_prep;
    let mut out: Vec<PeakAhead> = prep
        .peaks
        .iter()
        .filter_map(|p| {
            use chrono::Datelike;
            let this = p.in_year(today.year()).ok()?;
            let date = if this < today {
                p.in_year(today.year() + 1).ok()?
            } else {
                this
            };
            let days_left = (date - today).num_days();
            (days_left <= i64::from(prep.remind_days)).then(|| PeakAhead {
                rule: prep.rule.clone(),
                name: p.name.clone(),
                date,
                days_left,
            })
        })
        .collect();
    out.sort_by_key(|p| (p.date, p.name.clone()));
    out
}

/// The hours of the peak day whose roster is short of the reserve: `on_shift[h]` agents
/// against an ordinary day's load at hour h in Erlangs (`ordinary_load[h]`: arrivals per hour
/// × hours per answer), each hour with any load needing at least one agent, doubled.
pub fn reserve_short_hours(on_shift: &[usize], ordinary_load: &[f64]) -> Vec<usize> {
    ordinary_load
        .iter()
        .enumerate()
        .filter(|(_, load)| **load > 0.0)
        .filter(|(h, load)| {
            let needed = load.ceil().max(1.0) as usize * RESERVE_FACTOR as usize;
            on_shift.get(*h).copied().unwrap_or(0) < needed
        })
        .map(|(h, _)| h)
        .collect()
}

/// The languages whose FAQ has fewer answers than the pack asks, with how many it has.
pub fn faq_short(
    pack: &Pack,
    answers_by_language: &BTreeMap<String, usize>,
) -> Vec<(String, usize)> {
    let wanted = pack.peak_prep.faq_templates as usize;
    pack.peak_prep
        .languages
        .iter()
        .map(|l| (l.clone(), answers_by_language.get(l).copied().unwrap_or(0)))
        .filter(|(_, n)| *n < wanted)
        .collect()
}

/// Whether the shop's logistics contingency plan is written.
pub fn plan_written(plan: Option<&str>) -> bool {
    plan.is_some_and(|p| p.trim().chars().count() >= PLAN_MIN_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::PackSet;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_peaks_within_two_weeks_are_ahead() {
        let set = PackSet::embedded().unwrap();
        let taobao = set.get("taobao").unwrap();
        let ahead = peaks_ahead(taobao, day("2026-10-30"));
        assert_eq!(ahead.len(), 1, "{ahead:?}");
        assert_eq!((ahead[0].name.as_str(), ahead[0].days_left), ("双11", 12));
        assert_eq!(ahead[0].rule, "PEAK-PREP");
        assert!(
            peaks_ahead(taobao, day("2026-10-27")).is_empty(),
            "15 days: not yet"
        );
        assert!(peaks_ahead(taobao, day("2026-11-12")).is_empty(), "passed");
        let ebay = set.get("ebay").unwrap();
        let ahead = peaks_ahead(ebay, day("2026-11-20"));
        assert_eq!(ahead[0].name, "Black Friday");
        assert_eq!(ahead[0].date, day("2026-11-27"));
        // Christmas of next year is far; this year's within reach from mid-December.
        let ahead = peaks_ahead(ebay, day("2026-12-20"));
        assert_eq!(
            (ahead[0].name.as_str(), ahead[0].days_left),
            ("Christmas", 5)
        );
        let o = crate::ShopOverrides {
            peak_days: Some(vec![crate::pack::PeakDay {
                name: "618".into(),
                date: "06-18".into(),
            }]),
            ..Default::default()
        };
        let shop = taobao.with_overrides(&o).unwrap();
        assert_eq!(peaks_ahead(&shop, day("2027-06-10"))[0].name, "618");
        assert!(peaks_ahead(&shop, day("2026-11-05")).is_empty());
    }

    #[test]
    fn the_checklist_ticks_when_the_data_shows_it() {
        // An ordinary day: 0.4 Erlangs at 10:00 needs one agent, doubled two; 2.5 at 20:00
        // needs three, doubled six; no load at night needs none.
        let mut load = vec![0.0; 24];
        (load[10], load[20]) = (0.4, 2.5);
        let mut on_shift = vec![0; 24];
        (on_shift[10], on_shift[20]) = (2, 5);
        assert_eq!(reserve_short_hours(&on_shift, &load), vec![20]);
        on_shift[20] = 6;
        assert!(reserve_short_hours(&on_shift, &load).is_empty());

        let set = PackSet::embedded().unwrap();
        let taobao = set.get("taobao").unwrap();
        let mut answers = BTreeMap::from([("zh".to_string(), 19)]);
        assert_eq!(faq_short(taobao, &answers), vec![("zh".to_string(), 19)]);
        answers.insert("zh".into(), 20);
        assert!(faq_short(taobao, &answers).is_empty());

        assert!(!plan_written(None));
        assert!(!plan_written(Some("  tbd ")));
        assert!(plan_written(Some("中通爆仓时改发顺丰，48 小时内通知买家")));
    }
}
