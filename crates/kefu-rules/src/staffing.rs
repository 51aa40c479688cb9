//! What a market asks of its roster (issue 13), decided here so that the coverage check
//! (`kefu_staff::coverage`) only counts:
//!
//! - STAFF-24H: a shop that promises 24-hour service (`promises_24h` in its settings) needs
//!   someone on shift all day;
//! - STAFF-16H: otherwise a shop serving Europe or the Americas (its time zone is in
//!   `Europe/…` or `America/…`) needs at least 16 hours a day;
//! - STAFF-SHIFTS-OVERLAP-2H: wherever one shift hands over to a later one, they overlap two
//!   hours (for handing over complex issues), in every market.

use kefu_core::ClockKind;

use crate::catalog::ids;

/// The clocks a buyer's message starts and an agent's answer stops (`plan::reply` closes
/// them): the waits a day's replay (`kefu simulate --day`) puts before the desk. The others
/// wait for something else (an escalation, a resolution, a follow-up the desk starts).
pub const ANSWER_CLOCKS: [ClockKind; 3] = [
    ClockKind::FirstResponse,
    ClockKind::NextResponse,
    ClockKind::HighValueResponse,
];

/// The hours a day a market must be covered and the rule that asks it, and the hand-over
/// overlap in hours with its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffingAsk {
    pub hours_a_day: u32,
    pub hours_rule: Option<&'static str>,
    pub handover_hours: u32,
    pub handover_rule: &'static str,
}

/// What a shop in `timezone` (promising 24-hour service or not) asks of its roster.
pub fn staffing_ask(timezone: &str, promises_24h: bool) -> StaffingAsk {
    let (hours_a_day, hours_rule) = if promises_24h {
        (24, Some(ids::STAFF_24H))
    } else if timezone.starts_with("Europe/") || timezone.starts_with("America/") {
        (16, Some(ids::STAFF_16H))
    } else {
        (0, None)
    };
    StaffingAsk {
        hours_a_day,
        hours_rule,
        handover_hours: 2,
        handover_rule: ids::STAFF_SHIFTS_OVERLAP_2H,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_stops_every_clock_a_replay_waits_on() {
        let closed = crate::plan::reply(true).close;
        assert!(
            ANSWER_CLOCKS.iter().all(|c| closed.contains(c)),
            "{closed:?}"
        );
        assert!(ANSWER_CLOCKS.iter().all(|c| c.act() == "reply"));
    }

    #[test]
    fn markets_ask_their_hours() {
        assert_eq!(
            staffing_ask("Europe/Berlin", false).hours_rule,
            Some("STAFF-16H")
        );
        assert_eq!(staffing_ask("America/New_York", false).hours_a_day, 16);
        assert_eq!(staffing_ask("Asia/Shanghai", false).hours_a_day, 0);
        let always = staffing_ask("Asia/Shanghai", true);
        assert_eq!(
            (always.hours_a_day, always.hours_rule),
            (24, Some("STAFF-24H"))
        );
        assert_eq!(always.handover_rule, "STAFF-SHIFTS-OVERLAP-2H");
    }
}
