//! The rollups behind the supervisor's reports (issue 12), the part both backends share.
//!
//! Each backend's triggers mark a conversation dirty when a row its figures depend on is
//! written (migration 0018). A refresh reads the dirty conversations and every other
//! conversation of their buyers (an earlier complaint of the same buyer decides whether a
//! complaint repeats), assembles their facts ([`crate::reports::kpi_facts`]), and
//! [`plan_refresh`] turns them into the contributions to store and the differences to add
//! to the day cells. A report then reads whole local days from the cells and only the
//! period's partial days conversation by conversation ([`split`], [`report_totals`]).
//!
//! Backends run the SQL; what is counted, and how a change moves between cells, is here and
//! in `kefu_kpi::rollup`, once.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kefu_kpi::{Contribution, Period, Totals, period::local_day};

use crate::reports::{KpiRows, kpi_facts};
use crate::{ReportStore, Result};

/// Conversations refreshed per transaction: small enough that a refresh sharing the SQLite
/// writer's batch with other requests adds milliseconds, not seconds.
pub const REFRESH_BATCH: usize = 500;

/// The agent id a cell of unassigned conversations is kept under.
pub const UNASSIGNED: i64 = 0;

/// One conversation's stored contribution and the cell it counts in.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredContribution {
    pub conversation_id: i64,
    pub shop_id: i64,
    /// The shop's local day of the first inbound message.
    pub day: NaiveDate,
    /// [`UNASSIGNED`] for none.
    pub agent_id: i64,
    pub first_inbound: DateTime<Utc>,
    pub contribution: Contribution,
}

/// A conversation as a report's drill-down lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConversationLine {
    pub id: i64,
    pub shop_id: i64,
    pub status: String,
    pub customer: String,
    pub customer_name: Option<String>,
    pub assignee_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A rollup cell's key: shop, local day, agent.
pub type Cell = (i64, NaiveDate, i64);

impl StoredContribution {
    pub fn cell(&self) -> Cell {
        (self.shop_id, self.day, self.agent_id)
    }
}

/// What a refresh writes: contributions that changed, and what to add to each cell.
#[derive(Debug, Default)]
pub struct RefreshPlan {
    pub upserts: Vec<StoredContribution>,
    pub cell_deltas: BTreeMap<Cell, Totals>,
}

/// The refresh of the conversations in `rows` (every conversation of some buyers), given
/// what is stored for them and each shop's time zone.
pub fn plan_refresh(
    rows: KpiRows,
    stored: &HashMap<i64, StoredContribution>,
    tz_of: &HashMap<i64, Tz>,
) -> RefreshPlan {
    let mut by_buyer: HashMap<(i64, String), Vec<kefu_kpi::ConversationFacts>> = HashMap::new();
    for f in kpi_facts(rows) {
        by_buyer
            .entry((f.shop_id, f.customer.clone()))
            .or_default()
            .push(f);
    }
    let mut plan = RefreshPlan::default();
    for history in by_buyer.values() {
        for f in history {
            plan.account(f, history, stored, tz_of);
        }
    }
    plan.cell_deltas.retain(|_, d| !d.is_empty());
    plan
}

impl RefreshPlan {
    /// Plans the writes for `f` (of a buyer whose conversations are `history`).
    fn account(
        &mut self,
        f: &kefu_kpi::ConversationFacts,
        history: &[kefu_kpi::ConversationFacts],
        stored: &HashMap<i64, StoredContribution>,
        tz_of: &HashMap<i64, Tz>,
    ) {
        let tz = tz_of.get(&f.shop_id).copied().unwrap_or(chrono_tz::UTC);
        let new = StoredContribution {
            conversation_id: f.id,
            shop_id: f.shop_id,
            day: local_day(f.first_inbound, tz),
            agent_id: f.agent_id.unwrap_or(UNASSIGNED),
            first_inbound: f.first_inbound,
            contribution: Contribution::of(f, history),
        };
        let old = stored.get(&f.id);
        if old == Some(&new) {
            return;
        }
        if let Some(old) = old {
            self.cell_deltas
                .entry(old.cell())
                .or_default()
                .add(&old.contribution, -1);
        }
        self.cell_deltas
            .entry(new.cell())
            .or_default()
            .add(&new.contribution, 1);
        self.upserts.push(new);
    }
}

/// How one shop's part of a period is read: the whole local days `[first, end)` from the
/// cells, and the partial days at either edge conversation by conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub whole_days: Option<(NaiveDate, NaiveDate)>,
    pub edges: Vec<Period>,
}

/// The split of `period` in a shop's time zone.
pub fn split(period: &Period, tz: Tz) -> Split {
    let start_of = |d: NaiveDate| Period::day(d, tz).from;
    let mut first = local_day(period.from, tz);
    if start_of(first) < period.from {
        first = first.succ_opt().unwrap_or(first);
    }
    let end = local_day(period.to, tz);
    if first >= end || start_of(end) > period.to {
        return Split {
            whole_days: None,
            edges: vec![*period],
        };
    }
    let mut edges = Vec::new();
    if period.from < start_of(first) {
        edges.push(Period {
            from: period.from,
            to: start_of(first),
        });
    }
    if start_of(end) < period.to {
        edges.push(Period {
            from: start_of(end),
            to: period.to,
        });
    }
    Split {
        whole_days: Some((first, end)),
        edges,
    }
}

/// The totals of `period` for `shops` (id, time zone), split by `key` (shop, local day,
/// agent → group), read from the rollups.
pub async fn report_totals<K: Ord>(
    store: &dyn ReportStore,
    shops: &[(i64, Tz)],
    period: &Period,
    key: impl Fn(&Cell) -> K,
) -> Result<BTreeMap<K, Totals>> {
    let mut groups: BTreeMap<K, Totals> = BTreeMap::new();
    for &(shop_id, tz) in shops {
        let split = split(period, tz);
        if let Some((first, end)) = split.whole_days {
            for (cell, totals) in store.kpi_cells(shop_id, first, end).await? {
                groups.entry(key(&cell)).or_default().merge(&totals);
            }
        }
        for edge in split.edges {
            for c in store.kpi_contributions(shop_id, edge).await? {
                groups
                    .entry(key(&c.cell()))
                    .or_default()
                    .add(&c.contribution, 1);
            }
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_splits_into_whole_shop_days_and_edges() {
        let sh = chrono_tz::Asia::Shanghai;
        // Monday to Monday at Beijing midnight: whole days only.
        let week = Period::new(at("2026-11-01T16:00:00Z"), at("2026-11-08T16:00:00Z")).unwrap();
        assert_eq!(
            split(&week, sh),
            Split {
                whole_days: Some((date("2026-11-02"), date("2026-11-09"))),
                edges: vec![]
            }
        );
        // The same UTC week is cut 8 hours into Beijing's days at both ends.
        let utc = Period::new(at("2026-11-02T00:00:00Z"), at("2026-11-09T00:00:00Z")).unwrap();
        let s = split(&utc, sh);
        assert_eq!(s.whole_days, Some((date("2026-11-03"), date("2026-11-09"))));
        assert_eq!(
            s.edges,
            vec![
                Period::new(utc.from, at("2026-11-02T16:00:00Z")).unwrap(),
                Period::new(at("2026-11-08T16:00:00Z"), utc.to).unwrap(),
            ]
        );
        // Less than a day: read conversation by conversation.
        let hour = Period::new(at("2026-11-02T01:00:00Z"), at("2026-11-02T02:00:00Z")).unwrap();
        assert_eq!(split(&hour, sh).edges, vec![hour]);
        assert_eq!(split(&hour, sh).whole_days, None);
    }
}
