//! Live coverage of a market's days from its agents' shifts (issue 13): STAFF-16H (Europe and
//! the Americas: at least 16 hours a day with someone on shift), STAFF-24H (a shop that
//! promises it: the whole day), STAFF-SHIFTS-OVERLAP-2H (where one shift hands over to a
//! later one, they overlap by two hours).
//!
//! A day is cut into [`SLOTS`] quarter hours of the shop's local day; the caller says, per
//! agent, which slots they are on shift (from their calendars, in their own time zones), so
//! this module stays pure and the time-zone arithmetic stays in one place (the caller's
//! calendars).

use serde::Serialize;

/// Quarter hours in a day.
pub const SLOTS: usize = 96;
const SLOTS_PER_HOUR: usize = 4;

/// What a market asks of its days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoverageRules {
    /// Hours a day someone must be on shift (16 for STAFF-16H, 24 for STAFF-24H, 0: none).
    pub hours_a_day: u32,
    /// The rule that asks it.
    pub hours_rule: Option<&'static str>,
    /// Hours two consecutive shifts must overlap at a hand-over (STAFF-SHIFTS-OVERLAP-2H).
    pub handover_hours: u32,
}

/// An uncovered stretch of the day, in quarter hours `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from_slot: usize,
    pub to_slot: usize,
}

/// A hand-over that overlaps too little: the earlier shift ends at `ends`, the later begins
/// at `begins` (quarter hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShortHandover {
    pub earlier_ends: usize,
    pub later_begins: usize,
}

/// One day's coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCoverage {
    /// Agents on shift per hour (the most at any quarter of it).
    pub agents_by_hour: Vec<usize>,
    pub hours_covered: f64,
    pub gaps: Vec<Gap>,
    /// Whether the day has the hours its rule asks.
    pub hours_met: bool,
    pub short_handovers: Vec<ShortHandover>,
}

/// The runs `[start, end)` of consecutive `true` slots.
fn runs(slots: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &on) in slots.iter().chain(std::iter::once(&false)).enumerate() {
        match (on, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The coverage of one day; `on_shift[a][s]`: agent `a` is on shift in slot `s`.
pub fn day_coverage(on_shift: &[Vec<bool>], rules: &CoverageRules) -> DayCoverage {
    let count = |s: usize| {
        on_shift
            .iter()
            .filter(|a| a.get(s).copied().unwrap_or(false))
            .count()
    };
    let counts: Vec<usize> = (0..SLOTS).map(count).collect();
    let covered: Vec<bool> = counts.iter().map(|&n| n > 0).collect();
    let gaps = runs(&covered.iter().map(|c| !c).collect::<Vec<_>>())
        .into_iter()
        .map(|(from_slot, to_slot)| Gap { from_slot, to_slot })
        .collect();
    let hours_covered = covered.iter().filter(|&&c| c).count() as f64 / SLOTS_PER_HOUR as f64;
    // Every agent's shifts of the day, by start; a later shift that starts after an earlier
    // one and outlasts it takes over from it, and must overlap it by the hand-over time.
    let mut shifts: Vec<(usize, usize)> = on_shift.iter().flat_map(|a| runs(a)).collect();
    shifts.sort_unstable();
    let need = rules.handover_hours as usize * SLOTS_PER_HOUR;
    let mut short_handovers = Vec::new();
    if need > 0 {
        for (i, &(start, end)) in shifts.iter().enumerate() {
            // The shift this one takes over from: the earlier-starting one that ends last.
            let before = shifts[..i]
                .iter()
                .filter(|&&(s, e)| s < start && e < end)
                .max_by_key(|&&(_, e)| e);
            let covered_by_longer = shifts[..i].iter().any(|&(s, e)| s < start && e >= end);
            if let Some(&(_, earlier_end)) = before
                && !covered_by_longer
                && earlier_end < start + need
                && earlier_end > 0
            {
                short_handovers.push(ShortHandover {
                    earlier_ends: earlier_end,
                    later_begins: start,
                });
            }
        }
    }
    DayCoverage {
        agents_by_hour: counts
            .chunks(SLOTS_PER_HOUR)
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .collect(),
        hours_covered,
        gaps,
        hours_met: hours_covered >= f64::from(rules.hours_a_day),
        short_handovers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On shift from `from` to `to` o'clock.
    fn shift(from: usize, to: usize) -> Vec<bool> {
        (0..SLOTS).map(|s| s >= from * 4 && s < to * 4).collect()
    }

    const EU: CoverageRules = CoverageRules {
        hours_a_day: 16,
        hours_rule: Some("STAFF-16H"),
        handover_hours: 2,
    };

    #[test]
    fn sixteen_hours_with_a_two_hour_handover() {
        let day = day_coverage(&[shift(7, 15), shift(13, 23)], &EU);
        assert_eq!(day.hours_covered, 16.0);
        assert!(day.hours_met && day.short_handovers.is_empty(), "{day:?}");
        assert_eq!(day.agents_by_hour[14], 2);
        assert_eq!(
            day.gaps,
            [
                Gap {
                    from_slot: 0,
                    to_slot: 28
                },
                Gap {
                    from_slot: 92,
                    to_slot: 96
                }
            ]
        );
    }

    #[test]
    fn a_short_day_and_a_hand_over_without_overlap() {
        // 08–16 then 16–22: 14 hours, and the late shift starts as the early one leaves.
        let day = day_coverage(&[shift(8, 16), shift(16, 22)], &EU);
        assert_eq!(day.hours_covered, 14.0);
        assert!(!day.hours_met);
        assert_eq!(
            day.short_handovers,
            [ShortHandover {
                earlier_ends: 64,
                later_begins: 64
            }]
        );
        // A shift inside a longer one hands nothing over.
        let inside = day_coverage(&[shift(6, 22), shift(9, 12)], &EU);
        assert!(inside.short_handovers.is_empty() && inside.hours_met);
        // Nobody at all: one gap, the whole day.
        let empty = day_coverage(&[], &EU);
        assert_eq!(
            empty.gaps,
            [Gap {
                from_slot: 0,
                to_slot: 96
            }]
        );
        assert!(!empty.hours_met);
    }

    #[test]
    fn twenty_four_hours_for_a_shop_that_promises_it() {
        let always = CoverageRules {
            hours_a_day: 24,
            hours_rule: Some("STAFF-24H"),
            handover_hours: 2,
        };
        let day = day_coverage(&[shift(0, 10), shift(8, 18), shift(16, 24)], &always);
        assert!(day.hours_met && day.short_handovers.is_empty(), "{day:?}");
        let short = day_coverage(&[shift(0, 12), shift(12, 23)], &always);
        assert!(!short.hours_met);
        assert_eq!(short.short_handovers.len(), 1);
    }
}
