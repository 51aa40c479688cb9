//! The supervisor's KPI report (issue 12): the figures of `kefu_kpi` over a period for the
//! shops in the caller's scope, each against its target, whole or grouped by agent, shop,
//! platform or the shop's calendar day. The API (`GET /api/v1/reports/kpis`), the pages and
//! `kefu kpi` all come here, so they cannot disagree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kefu_core::Shop;
use kefu_kpi::{Direction, Kpis, Period, Target, Targets, Totals, rag};
use kefu_rules::PackSet;
use kefu_rules::pack::KpiFigure;
use kefu_store::Store;
use kefu_store::rollup::{Cell, UNASSIGNED, report_totals};
use serde_json::{Value, json};

use super::{DeskError, DeskResult};
use crate::shop_rules::effective_pack;

/// How a report splits its conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Agent,
    Shop,
    Platform,
    Day,
    /// The team of the conversation's agent (its first team; "no team" for none).
    Team,
}

impl std::str::FromStr for GroupBy {
    type Err = DeskError;

    fn from_str(s: &str) -> DeskResult<GroupBy> {
        match s {
            "agent" => Ok(GroupBy::Agent),
            "shop" => Ok(GroupBy::Shop),
            "platform" => Ok(GroupBy::Platform),
            "day" => Ok(GroupBy::Day),
            "team" => Ok(GroupBy::Team),
            other => Err(DeskError::invalid(format!(
                "group_by {other:?} is not one of agent, shop, platform, day, team"
            ))),
        }
    }
}

/// A report's question: the period (`[from, to)`) and the grouping.
#[derive(Debug, Clone)]
pub struct KpiRequest {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: Option<GroupBy>,
}

// Each report figure stands against its rule's target here (red, amber, green), computed from
// the rollups that the store's conformance suite holds to the brute-force oracle.
kefu_core::enforces!(
    kefu_rules::ids::KPI_RESOLUTION_85,
    test = "kefu-store::conformance::reports::kpis_equal_the_oracle"
);
kefu_core::enforces!(
    kefu_rules::ids::KPI_CSAT_4_5,
    test = "kefu::reports::the_kpi_report_counts_what_happened_in_the_api_and_the_cli"
);
kefu_core::enforces!(
    kefu_rules::ids::KPI_REPEAT_5,
    test = "kefu-store::conformance::reports::kpis_equal_the_oracle"
);

/// The targets a report of `shops` is held to: their packs' (with each shop's overrides)
/// when the shops agree on them, else the catalogue's defaults.
pub fn report_targets(packs: &PackSet, shops: &[Shop]) -> Targets {
    let of_shop = |s: &Shop| -> Option<Targets> {
        let pack = effective_pack(packs, &s.pack, &s.timezone, &s.settings).ok()?;
        let mut t = Targets::default();
        for k in &pack.kpi_targets {
            let target = Target {
                rule: k.rule.clone(),
                value: k.value,
                direction: if k.at_least {
                    Direction::AtLeast
                } else {
                    Direction::AtMost
                },
                amber_margin: k.amber_margin,
            };
            match k.figure {
                KpiFigure::ResolutionRate => t.resolution_rate = target,
                KpiFigure::Csat => t.csat = target,
                KpiFigure::RepeatComplaintRate => t.repeat_complaint_rate = target,
            }
        }
        Some(t)
    };
    let mut all = shops.iter().map(of_shop);
    match all.next().flatten() {
        Some(first) if all.all(|t| t.as_ref() == Some(&first)) => first,
        _ => Targets::default(),
    }
}

// The packs' `[[kpi_targets]]` (and the shops' overrides) set what a report is held to.
kefu_core::enforces!(
    pack_table = kefu_rules::pack::tables::KPI_TARGETS,
    test = "kefu::reports::the_kpi_report_counts_what_happened_in_the_api_and_the_cli"
);

/// The figures of one group (or the whole report) as JSON, with each target's standing.
fn figures(k: &Kpis, targets: &Targets) -> Value {
    let mut v = serde_json::to_value(k).unwrap_or_else(|_| json!({}));
    let standing = |value: Option<f64>, target: Target| {
        json!({
            "rule": target.rule,
            "target": target.value,
            "direction": target.direction,
            "value": value,
            "rag": value.map(|x| rag(x, &target)),
        })
    };
    v["targets"] = json!({
        "resolution_rate": standing(k.resolution_rate, targets.resolution_rate.clone()),
        "csat": standing(k.csat.mean, targets.csat.clone()),
        "repeat_complaint_rate": standing(k.repeat_complaint_rate, targets.repeat_complaint_rate.clone()),
    });
    v
}

/// How long a report may spend bringing the rollups up to date before it reads: enough for
/// anything a desk writes between two scheduler ticks, bounded so that a backlog (after an
/// upgrade, or `kefu kpi --rebuild`) never holds a request for long; the report then says
/// how many conversations are still to be counted.
const REFRESH_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// Brings dirty conversations into the rollups for at most `budget`; returns how many it
/// took. The scheduler calls this every tick, and every report before it reads.
pub async fn refresh_rollups(store: &dyn Store, budget: std::time::Duration) -> DeskResult<usize> {
    let start = std::time::Instant::now();
    let mut taken = 0;
    while start.elapsed() < budget {
        match store
            .refresh_kpis(kefu_store::rollup::REFRESH_BATCH)
            .await?
        {
            0 => break,
            n => taken += n,
        }
    }
    Ok(taken)
}

fn time_zone(shop: &Shop) -> chrono_tz::Tz {
    shop.timezone.parse().unwrap_or(chrono_tz::UTC)
}

/// The name of the group a rollup cell falls in.
fn group_key(by: Option<GroupBy>, shops: &[Shop], (shop_id, day, agent): &Cell) -> String {
    match by {
        None => String::new(),
        Some(GroupBy::Agent | GroupBy::Team) if *agent == UNASSIGNED => "unassigned".to_string(),
        Some(GroupBy::Agent | GroupBy::Team) => agent.to_string(),
        Some(GroupBy::Shop) => shop_id.to_string(),
        Some(GroupBy::Platform) => shops
            .iter()
            .find(|s| s.id == *shop_id)
            .map_or_else(String::new, |s| s.platform.as_str().to_string()),
        Some(GroupBy::Day) => day.to_string(),
    }
}

/// Checks a report's period: it must start before it ends, and cover at most 366 days.
pub fn period_of(from: DateTime<Utc>, to: DateTime<Utc>) -> DeskResult<Period> {
    let period = Period::new(from, to).map_err(DeskError::Invalid)?;
    if (to - from).num_days() > 366 {
        return Err(DeskError::invalid("a report covers at most 366 days"));
    }
    Ok(period)
}

/// The totals of `period` for `shops`, grouped by `by` (one group, keyed "", without).
pub async fn kpi_totals(
    store: &dyn Store,
    shops: &[Shop],
    period: &Period,
    by: Option<GroupBy>,
) -> DeskResult<BTreeMap<String, Totals>> {
    let zones: Vec<(i64, chrono_tz::Tz)> = shops.iter().map(|s| (s.id, time_zone(s))).collect();
    let groups = report_totals(store, &zones, period, |cell| group_key(by, shops, cell)).await?;
    if by != Some(GroupBy::Team) {
        return Ok(groups);
    }
    // By agent first, then each agent's totals under their (first) team.
    let Some(tenant) = shops.first().map(|s| s.tenant_id) else {
        return Ok(groups);
    };
    let teams = store.teams(tenant).await?;
    let team_of = |agent: &str| {
        agent
            .parse::<i64>()
            .ok()
            .and_then(|id| teams.iter().find(|t| t.members.contains(&id)))
            .map_or_else(|| "no team".to_string(), |t| t.name.clone())
    };
    let mut by_team: BTreeMap<String, Totals> = BTreeMap::new();
    for (agent, t) in groups {
        by_team.entry(team_of(&agent)).or_default().merge(&t);
    }
    Ok(by_team)
}

/// The KPI report of `shops` (all of them the caller's; one tenant) for `req`.
pub async fn kpi_report(
    store: &dyn Store,
    shops: &[Shop],
    targets: &Targets,
    req: &KpiRequest,
) -> DeskResult<Value> {
    let period = period_of(req.from, req.to)?;
    refresh_rollups(store, REFRESH_BUDGET).await?;
    let whole = kpi_totals(store, shops, &period, None).await?;
    let mut report = figures(
        &whole.get("").map(Totals::kpis).unwrap_or_default(),
        targets,
    );
    report["from"] = json!(req.from.to_rfc3339());
    report["to"] = json!(req.to.to_rfc3339());
    report["shop_ids"] = json!(shops.iter().map(|s| s.id).collect::<Vec<_>>());
    // Conversations written but not yet counted (only after a large backlog).
    report["pending_conversations"] = json!(store.kpi_pending().await?);
    if let Some(by) = req.group_by {
        let groups = kpi_totals(store, shops, &period, Some(by)).await?;
        report["groups"] = groups
            .into_iter()
            .map(|(key, t)| {
                let mut g = figures(&t.kpis(), targets);
                g["key"] = json!(key);
                g
            })
            .collect();
    }
    Ok(report)
}
