//! What a market asks of its roster (issue 13), decided here so that the coverage check
//! (`kefu_staff::coverage`) only counts:
//!
//! - STAFF-24H: a shop that promises 24-hour service (`promises_24h` in its settings) needs
//!   someone on shift all day;
//! - STAFF-16H: otherwise a shop serving Europe or the Americas needs at least 16 hours a
//!   day: its time zone is in `Europe/…` or `America/…`, or its market's languages include one
//!   of Europe and the Americas beside English (a shop in China selling to German buyers on
//!   AliExpress serves Europe);
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

/// Languages that put a shop's market in Europe or the Americas (English is spoken
/// everywhere, so it does not by itself).
const WESTERN_LANGUAGES: [&str; 9] = ["de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da"];

/// What a shop in `timezone` (promising 24-hour service or not) whose market speaks
/// `languages` ([`market_languages`]) asks of its roster.
pub fn staffing_ask(timezone: &str, promises_24h: bool, languages: &[String]) -> StaffingAsk {
    let western = languages
        .iter()
        .any(|l| WESTERN_LANGUAGES.contains(&l.as_str()));
    let (hours_a_day, hours_rule) = if promises_24h {
        (24, Some(ids::STAFF_24H))
    } else if timezone.starts_with("Europe/") || timezone.starts_with("America/") || western {
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

/// A language this share of a shop's buyers write in is part of its market: the roster must
/// cover it as the market's hours ask (an EU shop's German buyers need German speakers on
/// shift sixteen hours a day, not only someone).
pub const MARKET_LANGUAGE_SHARE: f64 = 0.05;

/// The languages of a shop's market, from its buyers' conversations by language (`counts`,
/// most first): those with at least [`MARKET_LANGUAGE_SHARE`] of them, most first.
pub fn market_languages(counts: &[(String, i64)]) -> Vec<String> {
    let total: i64 = counts.iter().map(|(_, n)| *n).sum();
    counts
        .iter()
        .filter(|(_, n)| total > 0 && *n as f64 / total as f64 >= MARKET_LANGUAGE_SHARE)
        .map(|(l, _)| l.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_market_is_the_languages_its_buyers_write() {
        let counts = |v: &[(&str, i64)]| -> Vec<(String, i64)> {
            v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
        };
        assert_eq!(
            market_languages(&counts(&[("de", 60), ("es", 35), ("fr", 4), ("it", 1)])),
            vec!["de", "es"]
        );
        assert!(market_languages(&[]).is_empty());
    }

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
            staffing_ask("Europe/Berlin", false, &[]).hours_rule,
            Some("STAFF-16H")
        );
        assert_eq!(staffing_ask("America/New_York", false, &[]).hours_a_day, 16);
        assert_eq!(staffing_ask("Asia/Shanghai", false, &[]).hours_a_day, 0);
        let zh_en = ["zh".to_string(), "en".to_string()];
        assert_eq!(staffing_ask("Asia/Shanghai", false, &zh_en).hours_a_day, 0);
        // Selling to German buyers from China is serving Europe.
        let de = ["de".to_string()];
        assert_eq!(
            staffing_ask("Asia/Shanghai", false, &de).hours_rule,
            Some("STAFF-16H")
        );
        let always = staffing_ask("Asia/Shanghai", true, &[]);
        assert_eq!(
            (always.hours_a_day, always.hours_rule),
            (24, Some("STAFF-24H"))
        );
        assert_eq!(always.handover_rule, "STAFF-SHIFTS-OVERLAP-2H");
    }
}
