//! Will the roster hold (issue 13)? A shop's live coverage for the coming days from its
//! agents' weekly shifts: per local day, the agents on shift by hour, the gaps, and the
//! staffing rules the market asks (`kefu_rules::staffing`: STAFF-16H, STAFF-24H,
//! STAFF-SHIFTS-OVERLAP-2H) met or not (`kefu_staff::coverage`). The API and the admin
//! coverage page come here.

use chrono::{Duration, NaiveDate};
use kefu_core::{Role, Shop};
use kefu_rules::Calendar;
use kefu_rules::calendar::local_instant;
use kefu_rules::staffing::{market_languages, staffing_ask};
use kefu_staff::{CoverageRules, DayCoverage, SLOTS, day_coverage};
use kefu_store::Store;
use serde::Serialize;

use super::{Caller, DeskError, DeskResult};
use crate::AppState;
use crate::shifts::Shifts;
use crate::shop_rules::shop_overrides;

// The market's hours and hand-overs checked against the roster, day by day.
kefu_core::enforces!(
    kefu_rules::ids::STAFF_SHIFTS_OVERLAP_2H,
    test = "kefu::staffing::an_eu_shops_roster_shows_its_gap_and_its_short_handover"
);
kefu_core::enforces!(
    kefu_rules::ids::STAFF_24H,
    test = "kefu::staffing::an_eu_shops_roster_shows_its_gap_and_its_short_handover"
);

/// The weeks of conversations a market's languages are read from.
const LANGUAGE_DAYS: i64 = 28;

/// The longest look ahead.
pub const MAX_DAYS: u32 = 62;

/// One day of a shop's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageDay {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub coverage: DayCoverage,
    /// The same check for each language of the market, counting only the agents who speak it.
    pub languages: Vec<LanguageCoverage>,
}

/// A day's coverage by the agents who speak one of the market's languages.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageCoverage {
    pub language: String,
    pub hours_covered: f64,
    pub hours_met: bool,
}

/// A shop's coverage for the coming days.
#[derive(Debug, Clone, Serialize)]
pub struct ShopCoverage {
    pub shop_id: i64,
    pub timezone: String,
    /// The rule for the day's hours (none in a market that asks none).
    pub hours_rule: Option<&'static str>,
    pub hours_a_day: u32,
    pub handover_rule: &'static str,
    pub handover_hours: u32,
    /// Agents with shifts who work this shop.
    pub agents: usize,
    /// The market's languages: those its buyers wrote in over the last four weeks
    /// (`kefu_rules::staffing::market_languages`), each checked on its own.
    pub languages: Vec<String>,
    pub days: Vec<CoverageDay>,
}

/// The calendars of the agents who work `shop` and have shifts.
pub(crate) async fn rosters(store: &dyn Store, shop: &Shop) -> DeskResult<Vec<Calendar>> {
    Ok(roster_people(store, shop)
        .await?
        .into_iter()
        .map(|(cal, _)| cal)
        .collect())
}

/// The shifts of the agents who work `shop`, each with the languages they answer in.
async fn roster_people(store: &dyn Store, shop: &Shop) -> DeskResult<Vec<(Calendar, Vec<String>)>> {
    let people = store.agents(shop.tenant_id).await?;
    let mut out = Vec::new();
    for (agent_id, _, text) in store.agents_with_shifts().await? {
        let Some(agent) = people.iter().find(|a| a.id == agent_id) else {
            continue;
        };
        if agent.role == Role::Admin {
            continue;
        }
        let shops = store.agent_shops(agent_id).await?;
        if !shops.is_empty() && !shops.contains(&shop.id) {
            continue;
        }
        if let Ok(cal) = serde_json::from_str::<Shifts>(&text)
            .map_err(|e| e.to_string())
            .and_then(|s| s.calendar())
        {
            out.push((cal, agent.languages.clone()));
        }
    }
    Ok(out)
}

/// How long each of the market's languages is covered on one day (`on_shift` per agent, in
/// the order of `people`).
fn by_language(
    on_shift: &[Vec<bool>],
    people: &[(Calendar, Vec<String>)],
    languages: &[String],
    rules: &CoverageRules,
) -> Vec<LanguageCoverage> {
    languages
        .iter()
        .map(|language| {
            let speakers: Vec<Vec<bool>> = on_shift
                .iter()
                .zip(people)
                .filter(|(_, (_, langs))| langs.contains(language))
                .map(|(slots, _)| slots.clone())
                .collect();
            let c = day_coverage(&speakers, rules);
            LanguageCoverage {
                language: language.clone(),
                hours_covered: c.hours_covered,
                hours_met: c.hours_met,
            }
        })
        .collect()
}

/// The coverage of `shop_id` for `days` days from today (the shop's).
pub async fn shop_coverage(
    state: &AppState,
    caller: &Caller,
    shop_id: i64,
    days: u32,
) -> DeskResult<ShopCoverage> {
    caller.require(Role::Supervisor)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(DeskError::invalid(format!(
            "days must be 1 to {MAX_DAYS}, not {days}"
        )));
    }
    let shop = state.tenant_shop(caller, shop_id).await?.shop.clone();
    let tz: chrono_tz::Tz = shop.timezone.parse().unwrap_or(chrono_tz::UTC);
    let promises_24h = shop_overrides(&shop.timezone, &shop.settings)?
        .promises_24h
        .unwrap_or(false);
    let people = roster_people(state.store.as_ref(), &shop).await?;
    let since = state.clock.now() - Duration::days(LANGUAGE_DAYS);
    let languages = market_languages(&state.store.buyer_languages(shop.id, since).await?);
    let ask = staffing_ask(&shop.timezone, promises_24h, &languages);
    let rules = CoverageRules {
        hours_a_day: ask.hours_a_day,
        hours_rule: ask.hours_rule,
        handover_hours: ask.handover_hours,
    };
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for d in 0..days {
        let date = today + Duration::days(i64::from(d));
        let on_shift: Vec<Vec<bool>> = people
            .iter()
            .map(|(cal, _)| {
                (0..SLOTS)
                    .map(|s| {
                        local_instant(tz, date, (s * 900) as u32).is_some_and(|t| cal.is_open(t))
                    })
                    .collect()
            })
            .collect();
        out.push(CoverageDay {
            date,
            coverage: day_coverage(&on_shift, &rules),
            languages: by_language(&on_shift, &people, &languages, &rules),
        });
    }
    Ok(ShopCoverage {
        shop_id,
        timezone: shop.timezone.clone(),
        hours_rule: ask.hours_rule,
        hours_a_day: ask.hours_a_day,
        handover_rule: ask.handover_rule,
        handover_hours: ask.handover_hours,
        agents: people.len(),
        languages,
        days: out,
    })
}
