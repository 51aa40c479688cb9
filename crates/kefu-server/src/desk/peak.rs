//! Before a sales peak (PEAK-PREP): for each shop a supervisor may see whose peak is within the
//! pack's reminder window, the checklist the rulebook asks (`kefu_rules::plan::peak`), each
//! item ticked from the data:
//!
//! - the staffing reserve: the peak day's roster (the agents' shifts, as the coverage page
//!   reads them) against an ordinary day's load at each hour — the buyers' messages that
//!   started a reply clock over the last four weeks, by hour of the shop's day, times the
//!   agents' measured time per answer (`kefu_staff::history`; 3 minutes without history);
//! - the FAQ: answers per language in the shop's FAQ;
//! - the logistics contingency plan: written in the shop's settings (`logistics_plan`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Timelike};
use kefu_core::Role;
use kefu_rules::plan::peak::{faq_short, peaks_ahead, plan_written, reserve_short_hours};
use kefu_rules::staffing::ANSWER_CLOCKS;
use kefu_staff::history::{LONGEST_ANSWER_SECONDS, ReplyAt, answer_times};
use kefu_store::WaitQuery;
use serde::Serialize;

use super::{Caller, DeskResult};
use crate::AppState;
use crate::shop_rules::ShopRules;

/// How long the overview shows a checklist before ticking it again: it reads four weeks of a
/// shop's history, which is not work for every page view, and a checklist two weeks ahead of
/// a peak does not change by the minute. The API always ticks afresh.
const RECENT_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// A checklist as ticked, and when.
type Ticked = (std::time::Instant, Vec<ChecklistItem>);

/// The checklists lately ticked, by shop and peak.
#[derive(Default)]
pub struct RecentChecklists {
    by_shop: std::sync::Mutex<std::collections::HashMap<(i64, String), Ticked>>,
}

impl RecentChecklists {
    fn get(&self, shop_id: i64, peak: &str) -> Option<Vec<ChecklistItem>> {
        let recent = self.by_shop.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .get(&(shop_id, peak.to_string()))
            .filter(|(at, _)| at.elapsed() < RECENT_FOR)
            .map(|(_, list)| list.clone())
    }

    fn put(&self, shop_id: i64, peak: &str, list: &[ChecklistItem]) {
        let mut recent = self.by_shop.lock().unwrap_or_else(|e| e.into_inner());
        recent.insert(
            (shop_id, peak.to_string()),
            (std::time::Instant::now(), list.to_vec()),
        );
    }
}

/// The ordinary days the load is read from.
const ORDINARY_DAYS: i64 = 28;
/// Minutes per answer when the shop has no history to measure.
const DEFAULT_ANSWER_MINUTES: f64 = 3.0;

/// One item of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// `staffing_reserve`, `faq_templates` or `logistics_plan`.
    pub item: &'static str,
    pub done: bool,
    /// What the data shows, in words.
    pub detail: String,
    /// What falls short: the hours short of staff (`20:00`), the languages short of answers
    /// with their count (`zh: 19`).
    pub missing: Vec<String>,
}

/// A peak ahead of a shop, with its checklist.
#[derive(Debug, Clone, Serialize)]
pub struct PeakReminder {
    pub shop_id: i64,
    pub shop: String,
    #[serde(flatten)]
    pub peak: kefu_rules::plan::peak::PeakAhead,
    pub checklist: Vec<ChecklistItem>,
}

/// The reminders of the shops the caller may see (one, with `shop_id`). `fresh`: tick every
/// checklist now; otherwise one ticked within [`RECENT_FOR`] is shown as it was (the overview).
pub async fn reminders(
    state: &AppState,
    caller: &Caller,
    shop_id: Option<i64>,
    fresh: bool,
) -> DeskResult<Vec<PeakReminder>> {
    caller.require(Role::Supervisor)?;
    let wanted = caller.shop_filter(shop_id)?;
    let mut out = Vec::new();
    for shop in state.store.shops(caller.tenant_id).await? {
        if !caller.may_see_shop(shop.id) || wanted.is_some_and(|w| w != shop.id) {
            continue;
        }
        let rules = state.tenant_shop(caller, shop.id).await?;
        let tz = rules.pack.timezone;
        let today = state.clock.now().with_timezone(&tz).date_naive();
        for peak in peaks_ahead(&rules.pack, today) {
            let recent = (!fresh)
                .then(|| state.peaks.get(shop.id, &peak.name))
                .flatten();
            let checklist = match recent {
                Some(list) => list,
                None => {
                    let list = checklist(state, caller, &rules, peak.days_left).await?;
                    state.peaks.put(shop.id, &peak.name, &list);
                    list
                }
            };
            out.push(PeakReminder {
                shop_id: shop.id,
                shop: shop.name.clone(),
                peak,
                checklist,
            });
        }
    }
    Ok(out)
}

async fn checklist(
    state: &AppState,
    caller: &Caller,
    rules: &ShopRules,
    days_left: i64,
) -> DeskResult<Vec<ChecklistItem>> {
    let staffing = staffing_item(state, caller, rules, days_left).await?;
    let mut answers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in state.store.faqs(rules.shop.id).await? {
        answers.entry(f.language).or_default().insert(f.key);
    }
    let counts = answers.into_iter().map(|(l, k)| (l, k.len())).collect();
    let short = faq_short(&rules.pack, &counts);
    let wanted = rules.pack.peak_prep.faq_templates;
    let faq = ChecklistItem {
        item: "faq_templates",
        done: short.is_empty(),
        missing: short.iter().map(|(l, n)| format!("{l}: {n}")).collect(),
        detail: if short.is_empty() {
            format!(
                "{wanted} answers or more in {}",
                rules.pack.peak_prep.languages.join(", ")
            )
        } else {
            let list: Vec<String> = short.iter().map(|(l, n)| format!("{l}: {n}")).collect();
            format!("{wanted} answers wanted per language; {}", list.join(", "))
        },
    };
    let plan = rules.overrides.logistics_plan.as_deref();
    let logistics = ChecklistItem {
        item: "logistics_plan",
        done: plan_written(plan),
        missing: Vec::new(),
        detail: plan.map(str::trim).filter(|p| !p.is_empty()).map_or_else(
            || "no plan in the shop's settings (logistics_plan)".into(),
            str::to_string,
        ),
    };
    Ok(vec![staffing, faq, logistics])
}

/// The staffing reserve on the peak day (`days_left` from today) against an ordinary day.
async fn staffing_item(
    state: &AppState,
    caller: &Caller,
    rules: &ShopRules,
    days_left: i64,
) -> DeskResult<ChecklistItem> {
    let shop = &rules.shop;
    let days = u32::try_from(days_left + 1).unwrap_or(1);
    let cover = super::staffing::shop_coverage(state, caller, shop.id, days).await?;
    let on_shift = cover
        .days
        .last()
        .map(|d| d.coverage.agents_by_hour.clone())
        .unwrap_or_default();
    let now = state.clock.now();
    let from = now - Duration::days(ORDINARY_DAYS);
    let clocks = state
        .store
        .wait_clocks(WaitQuery {
            shop_id: shop.id,
            from,
            to: now,
            clocks: ANSWER_CLOCKS.to_vec(),
        })
        .await?;
    // One arrival per message, however many clocks it started.
    let mut messages = BTreeSet::new();
    let mut per_hour = [0u32; 24];
    for c in &clocks {
        if messages.insert((c.conversation_id, c.opened_at)) {
            per_hour[c.opened_at.with_timezone(&rules.pack.timezone).hour() as usize] += 1;
        }
    }
    let hours_per_answer = answer_hours(state, shop, from, now).await?;
    let load: Vec<f64> = per_hour
        .iter()
        .map(|n| f64::from(*n) / ORDINARY_DAYS as f64 * hours_per_answer)
        .collect();
    let short = reserve_short_hours(&on_shift, &load);
    let missing: Vec<String> = short.iter().map(|h| format!("{h:02}:00")).collect();
    let detail = if messages.is_empty() {
        "no buyer messages in the last four weeks to measure an ordinary day".to_string()
    } else if short.is_empty() {
        format!(
            "twice an ordinary day's need at every hour ({} agents on the roster)",
            cover.agents
        )
    } else {
        format!(
            "short of twice an ordinary day's need at {}",
            missing.join(", ")
        )
    };
    Ok(ChecklistItem {
        item: "staffing_reserve",
        done: !messages.is_empty() && short.is_empty(),
        detail,
        missing,
    })
}

/// The agents' mean time per answer in the shop, in hours.
async fn answer_hours(
    state: &AppState,
    shop: &kefu_core::Shop,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> DeskResult<f64> {
    let replies = state.store.agent_replies(shop.tenant_id, from, to).await?;
    let seconds = |t: chrono::DateTime<chrono::Utc>| (t - from).num_milliseconds() as f64 / 1000.0;
    let replies: Vec<ReplyAt> = replies
        .iter()
        .map(|r| ReplyAt {
            agent: r.agent_id,
            at: seconds(r.at),
            after_buyer: r.after_buyer_at.map(seconds),
            counts: r.shop_id == shop.id,
        })
        .collect();
    let times = answer_times(&replies, LONGEST_ANSWER_SECONDS);
    Ok(if times.is_empty() {
        DEFAULT_ANSWER_MINUTES / 60.0
    } else {
        times.iter().sum::<f64>() / times.len() as f64 / 3600.0
    })
}
