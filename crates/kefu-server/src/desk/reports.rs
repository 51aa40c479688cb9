//! The supervisor's KPI report (issue 12): the figures of `kefu_kpi` over a period for the
//! shops in the caller's scope, each against its target, whole or grouped by agent, shop,
//! platform or the shop's calendar day. The API (`GET /api/v1/reports/kpis`), the pages and
//! `kefu kpi` all come here, so they cannot disagree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kefu_core::Shop;
use kefu_kpi::{Kpis, Period, Target, rag};
use kefu_store::{KpiQuery, Store};
use serde_json::{Value, json};

use super::{DeskError, DeskResult};

/// How a report splits its conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Agent,
    Shop,
    Platform,
    Day,
}

impl std::str::FromStr for GroupBy {
    type Err = DeskError;

    fn from_str(s: &str) -> DeskResult<GroupBy> {
        match s {
            "agent" => Ok(GroupBy::Agent),
            "shop" => Ok(GroupBy::Shop),
            "platform" => Ok(GroupBy::Platform),
            "day" => Ok(GroupBy::Day),
            other => Err(DeskError::invalid(format!(
                "group_by {other:?} is not one of agent, shop, platform, day"
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

/// The figures of one group (or the whole report) as JSON, with each target's standing.
fn figures(k: &Kpis) -> Value {
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
        "resolution_rate": standing(k.resolution_rate, Target::resolution()),
        "csat": standing(k.csat.mean, Target::csat()),
        "repeat_complaint_rate": standing(k.repeat_complaint_rate, Target::repeat_complaints()),
    });
    v
}

/// The KPI report of `shops` (all of them the caller's; one tenant) for `req`.
pub async fn kpi_report(
    store: &dyn Store,
    tenant_id: i64,
    shops: &[Shop],
    req: &KpiRequest,
) -> DeskResult<Value> {
    let period = Period::new(req.from, req.to).map_err(DeskError::Invalid)?;
    if (req.to - req.from).num_days() > 366 {
        return Err(DeskError::invalid("a report covers at most 366 days"));
    }
    let facts = store
        .kpi_facts(KpiQuery {
            tenant_id,
            shop_ids: Some(shops.iter().map(|s| s.id).collect()),
            from: req.from,
            to: req.to,
        })
        .await?;
    let mut report = figures(&kefu_kpi::kpis(&facts, &facts, &period));
    report["from"] = json!(req.from.to_rfc3339());
    report["to"] = json!(req.to.to_rfc3339());
    report["shop_ids"] = json!(shops.iter().map(|s| s.id).collect::<Vec<_>>());
    if let Some(by) = req.group_by {
        let shop_of = |id: i64| shops.iter().find(|s| s.id == id);
        let groups: BTreeMap<String, Kpis> = kefu_kpi::grouped(&facts, &period, |c| match by {
            GroupBy::Agent => c
                .agent_id
                .map_or_else(|| "unassigned".to_string(), |a| a.to_string()),
            GroupBy::Shop => c.shop_id.to_string(),
            GroupBy::Platform => {
                shop_of(c.shop_id).map_or_else(String::new, |s| s.platform.as_str().to_string())
            }
            GroupBy::Day => {
                let tz = shop_of(c.shop_id)
                    .and_then(|s| s.timezone.parse::<chrono_tz::Tz>().ok())
                    .unwrap_or(chrono_tz::UTC);
                kefu_kpi::period::local_day(c.first_inbound, tz).to_string()
            }
        });
        report["groups"] = groups
            .into_iter()
            .map(|(key, k)| {
                let mut g = figures(&k);
                g["key"] = json!(key);
                g
            })
            .collect();
    }
    Ok(report)
}
