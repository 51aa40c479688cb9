//! A shop's day from the store, ready to replay (issue 13, `kefu simulate --day`):
//!
//! - arrivals: each buyer message that started a clock an answer stops
//!   (`kefu_rules::staffing::ANSWER_CLOCKS`), at its real time in the shop's local day, with
//!   every such clock it started — the rule and the wait it allowed (its due time minus the
//!   message, which already counts the shop's working hours);
//! - how the day's clocks really went, per rule, to set the replay beside;
//! - the roster: agents who work the shop on shift per quarter hour, from the day's start
//!   through the next day (so a queue left at midnight is answered when the morning shift
//!   comes), from their weekly shifts;
//! - how long answers took: `kefu_staff::history::answer_times` over the agents' replies of
//!   the [`HANDLING_DAYS`] days up to the day's end.
//!
//! The day runs on elapsed time from the local midnight: on a daylight-saving change it has
//! 23 or 25 hours, and the roster is read at the real instants.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use kefu_core::{ObligationState, Shop};
use kefu_rules::Calendar;
use kefu_rules::calendar::local_instant;
use kefu_rules::staffing::ANSWER_CLOCKS;
use kefu_staff::history::{LONGEST_ANSWER_SECONDS, ReplyAt, answer_times};
use kefu_staff::replay::RuleShare;
use kefu_staff::{Arrival, Roster};
use kefu_store::{Store, WaitClock, WaitQuery};

use super::{DeskError, DeskResult};

/// The days of replies the answer times are measured over.
pub const HANDLING_DAYS: i64 = 28;
/// The roster's slot: a quarter hour, as the coverage check's.
pub const SLOT_SECONDS: f64 = 900.0;
/// The roster covers the day and the next: what is left at midnight waits for the morning.
pub const ROSTER_DAYS: usize = 2;

/// One shop's day, as the store has it.
#[derive(Debug, Clone)]
pub struct ShopDay {
    pub shop: Shop,
    pub date: NaiveDate,
    /// The local midnight the day starts at.
    pub start: DateTime<Utc>,
    /// Its length in seconds (86 400 but on a daylight-saving change).
    pub seconds: f64,
    /// The rules the arrivals' clocks name, by index.
    pub rules: Vec<String>,
    /// The messages that waited for an answer, in time order (handling times not yet drawn).
    pub arrivals: Vec<Arrival>,
    /// How the day's clocks really went, per rule (met: answered by the due time).
    pub history: Vec<RuleShare>,
    /// The same per hour of the day (by the message's arrival), then per rule.
    pub history_hours: Vec<Vec<RuleShare>>,
    /// Agents on shift per [`SLOT_SECONDS`] from `start`, [`ROSTER_DAYS`] days long; `None`
    /// when no agent who works the shop has shifts.
    pub roster: Option<Roster>,
    /// Agents with shifts who work the shop.
    pub rostered_agents: usize,
    /// Seconds each of the shop's agents' answers took (see `kefu_staff::history`).
    pub answer_times: Vec<f64>,
}

fn seconds(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// A day's clocks as a replay takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct DayClocks {
    /// The rules, sorted; the arrivals' clocks name them by index.
    pub rules: Vec<String>,
    /// One per buyer message, in time order.
    pub arrivals: Vec<Arrival>,
    /// How the clocks really went, per rule.
    pub history: Vec<RuleShare>,
    /// The same per hour (of `hours`, by the message's arrival), then per rule.
    pub history_hours: Vec<Vec<RuleShare>>,
}

fn tally_of(rules: &[String]) -> Vec<RuleShare> {
    rules
        .iter()
        .map(|rule| RuleShare {
            rule: rule.clone(),
            clocks: 0,
            met: 0,
            share_met: None,
        })
        .collect()
}

/// The day's arrivals and how their clocks went, from its clocks in start order.
pub fn arrivals_of(clocks: &[WaitClock], start: DateTime<Utc>, hours: usize) -> DayClocks {
    let rules: Vec<String> = clocks
        .iter()
        .map(|c| c.rule.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index = |rule: &str| {
        rules
            .binary_search_by(|r| r.as_str().cmp(rule))
            .unwrap_or(0)
    };
    let mut history = tally_of(&rules);
    let mut history_hours: Vec<Vec<RuleShare>> =
        (0..hours.max(1)).map(|_| tally_of(&rules)).collect();
    let mut arrivals: Vec<Arrival> = Vec::new();
    let mut last: Option<(i64, DateTime<Utc>)> = None;
    for c in clocks {
        // The clocks one message started come together (the store orders them so).
        if last != Some((c.conversation_id, c.opened_at)) {
            arrivals.push(Arrival {
                at: seconds(c.opened_at - start).max(0.0),
                handle_seconds: 0.0,
                clocks: Vec::new(),
            });
            last = Some((c.conversation_id, c.opened_at));
        }
        let i = index(&c.rule);
        if let Some(a) = arrivals.last_mut() {
            a.clocks.push((i, seconds(c.due - c.opened_at).max(0.0)));
        }
        let met = c.state == ObligationState::Met && c.closed_at.is_some_and(|t| t <= c.due);
        let hour = (seconds(c.opened_at - start).max(0.0) / 3600.0) as usize;
        let hour = hour.min(history_hours.len() - 1);
        for r in [&mut history[i], &mut history_hours[hour][i]] {
            r.clocks += 1;
            r.met += u64::from(met);
        }
    }
    for h in history.iter_mut().chain(history_hours.iter_mut().flatten()) {
        h.share_met = (h.clocks > 0).then(|| h.met as f64 / h.clocks as f64);
    }
    arrivals.sort_by(|a, b| a.at.total_cmp(&b.at));
    DayClocks {
        rules,
        arrivals,
        history,
        history_hours,
    }
}

/// Agents of `calendars` on shift at each slot from `start`.
pub fn roster_of(calendars: &[Calendar], start: DateTime<Utc>, slots: usize) -> Roster {
    let agents = (0..slots)
        .map(|s| {
            let at = start + Duration::seconds((s as f64 * SLOT_SECONDS) as i64);
            calendars.iter().filter(|c| c.is_open(at)).count() as u32
        })
        .collect();
    Roster {
        slot_seconds: SLOT_SECONDS,
        agents,
    }
}

/// Reads `shop`'s local day `date` from the store.
pub async fn shop_day(store: &dyn Store, shop: &Shop, date: NaiveDate) -> DeskResult<ShopDay> {
    let tz: Tz = shop.timezone.parse().map_err(|_| {
        DeskError::invalid(format!(
            "shop {} has an unknown time zone {:?}",
            shop.id, shop.timezone
        ))
    })?;
    let midnight = |d: NaiveDate| {
        local_instant(tz, d, 0)
            .ok_or_else(|| DeskError::invalid(format!("{d} has no start in {}", shop.timezone)))
    };
    let start = midnight(date)?;
    let next = date
        .succ_opt()
        .ok_or_else(|| DeskError::invalid(format!("{date} is the last day there is")))?;
    let end = midnight(next)?;
    let clocks = store
        .wait_clocks(WaitQuery {
            shop_id: shop.id,
            from: start,
            to: end,
            clocks: ANSWER_CLOCKS.to_vec(),
        })
        .await?;
    let day_seconds = seconds(end - start);
    let hours = (day_seconds / 3600.0).ceil() as usize;
    let DayClocks {
        rules,
        arrivals,
        history,
        history_hours,
    } = arrivals_of(&clocks, start, hours);
    let calendars = super::staffing::rosters(store, shop).await?;
    let day_slots = (day_seconds / SLOT_SECONDS).ceil() as usize;
    let roster = (!calendars.is_empty())
        .then(|| roster_of(&calendars, start, day_slots + (ROSTER_DAYS - 1) * 96));
    let replies = store
        .agent_replies(shop.tenant_id, end - Duration::days(HANDLING_DAYS), end)
        .await?;
    let replies: Vec<ReplyAt> = replies
        .iter()
        .map(|r| ReplyAt {
            agent: r.agent_id,
            at: seconds(r.at - start),
            after_buyer: r.after_buyer_at.map(|t| seconds(t - start)),
            counts: r.shop_id == shop.id,
        })
        .collect();
    Ok(ShopDay {
        shop: shop.clone(),
        date,
        start,
        seconds: day_seconds,
        rules,
        arrivals,
        history,
        history_hours,
        roster,
        rostered_agents: calendars.len(),
        answer_times: answer_times(&replies, LONGEST_ANSWER_SECONDS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn clock(conversation_id: i64, opened: &str, rule: &str, due: &str, met: bool) -> WaitClock {
        WaitClock {
            conversation_id,
            opened_at: at(opened),
            rule: rule.into(),
            clock: kefu_core::ClockKind::FirstResponse,
            due: at(due),
            state: if met {
                ObligationState::Met
            } else {
                ObligationState::Breached
            },
            closed_at: Some(at(due) - Duration::seconds(i64::from(met))),
        }
    }

    #[test]
    fn one_arrival_per_message_with_each_clock_it_started() {
        let start = at("2026-11-10T16:00:00Z");
        let clocks = [
            clock(
                1,
                "2026-11-11T02:00:00Z",
                "TB-X",
                "2026-11-11T02:05:00Z",
                true,
            ),
            clock(
                1,
                "2026-11-11T02:00:00Z",
                "KPI-Y",
                "2026-11-11T05:00:00Z",
                true,
            ),
            clock(
                2,
                "2026-11-11T02:00:00Z",
                "TB-X",
                "2026-11-11T02:05:00Z",
                false,
            ),
            clock(
                1,
                "2026-11-11T03:00:00Z",
                "KPI-Y",
                "2026-11-11T06:00:00Z",
                false,
            ),
        ];
        let DayClocks {
            rules,
            arrivals,
            history,
            history_hours,
        } = arrivals_of(&clocks, start, 24);
        assert_eq!(rules, ["KPI-Y", "TB-X"]);
        assert_eq!(history_hours.len(), 24);
        let ten = &history_hours[10][1];
        assert_eq!((ten.clocks, ten.met), (2, 1));
        assert_eq!(history_hours[11][0].share_met, Some(0.0));
        assert_eq!(history_hours[9][0].share_met, None);
        assert_eq!(arrivals.len(), 3);
        assert_eq!(arrivals[0].at, 36_000.0);
        assert_eq!(arrivals[0].clocks, [(1, 300.0), (0, 10_800.0)]);
        assert_eq!(arrivals[1].clocks, [(1, 300.0)]);
        assert_eq!(arrivals[2].at, 39_600.0);
        assert_eq!((history[0].clocks, history[0].met), (2, 1));
        assert_eq!(history[1].share_met, Some(0.5));
    }
}
