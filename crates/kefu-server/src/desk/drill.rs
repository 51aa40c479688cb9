//! Behind every figure of a report (issue 12): the conversations that make it (drill-down),
//! and every report table as CSV. The pages, `GET /api/v1/reports/conversations` and the
//! CSV downloads all come here.
//!
//! A drill-down's CSV is streamed one shop-day at a time, so an export has no row limit and
//! holds one day of one shop in memory, however long the period.

use std::sync::Arc;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kefu_core::{Role, Shop};
use kefu_kpi::{Figure, Period, Totals, period::local_day};
use kefu_store::Store;
use kefu_store::rollup::{ConversationLine, StoredContribution, UNASSIGNED};

use super::reports::{GroupBy, kpi_totals, period_of, refresh_rollups};
use super::{Caller, DeskResult};
use crate::AppState;

/// The shops a report covers: `shop_id` if the caller may see it, else every shop of the
/// tenant they may see. Supervisors only.
pub async fn report_shops(
    state: &AppState,
    caller: &Caller,
    shop_id: Option<i64>,
) -> DeskResult<Vec<Shop>> {
    caller.require(Role::Supervisor)?;
    Ok(match shop_id {
        Some(id) => vec![state.tenant_shop(caller, id).await?.shop.clone()],
        None => {
            let mut all = state.store.shops(caller.tenant_id).await?;
            all.retain(|s| caller.may_see_shop(s.id));
            all
        }
    })
}

/// Which conversations: those behind `figure` in `[from, to)`, optionally of one agent
/// (`Some(0)`: the unassigned ones).
#[derive(Debug, Clone)]
pub struct DrillRequest {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub figure: Figure,
    pub agent: Option<i64>,
}

fn wanted(req: &DrillRequest, c: &StoredContribution) -> bool {
    c.contribution.behind(req.figure) && req.agent.is_none_or(|a| a == c.agent_id)
}

fn zone(shop: &Shop) -> chrono_tz::Tz {
    shop.timezone.parse().unwrap_or(chrono_tz::UTC)
}

/// The shop-days a period covers, each cut to the period: what a streamed export reads one
/// at a time.
fn shop_days(shops: &[Shop], period: &Period) -> Vec<(i64, Period)> {
    let mut parts = Vec::new();
    for s in shops {
        let tz = zone(s);
        let mut day = local_day(period.from, tz);
        loop {
            let d = Period::day(day, tz);
            let from = d.from.max(period.from);
            let to = d.to.min(period.to);
            if from >= period.to {
                break;
            }
            if from < to {
                parts.push((s.id, Period { from, to }));
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    parts
}

/// The conversations behind a figure, with each one's contribution; at most `limit`, and
/// whether there were more.
pub async fn drill_down(
    store: &dyn Store,
    shops: &[Shop],
    req: &DrillRequest,
    limit: usize,
) -> DeskResult<(Vec<(ConversationLine, StoredContribution)>, bool)> {
    let period = period_of(req.from, req.to)?;
    refresh_rollups(store, std::time::Duration::from_secs(2)).await?;
    let mut picked = Vec::new();
    let mut more = false;
    for s in shops {
        for c in store.kpi_contributions(s.id, period).await? {
            if wanted(req, &c) {
                if picked.len() == limit {
                    more = true;
                    break;
                }
                picked.push(c);
            }
        }
    }
    let lines = store
        .conversation_lines(picked.iter().map(|c| c.conversation_id).collect())
        .await?;
    let rows = picked
        .into_iter()
        .filter_map(|c| {
            let line = lines.iter().find(|l| l.id == c.conversation_id)?.clone();
            Some((line, c))
        })
        .collect();
    Ok((rows, more))
}

/// A CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

const DRILL_HEADER: &str = "conversation_id,shop_id,first_inbound,customer,customer_name,agent_id,status,first_response_clock,first_response_met,reply_seconds,resolved,rating,complaint,repeat_complaint,breaches\r\n";

fn drill_line(line: &ConversationLine, c: &StoredContribution) -> String {
    let k = &c.contribution;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let fields = [
        line.id.to_string(),
        line.shop_id.to_string(),
        c.first_inbound.to_rfc3339(),
        csv_field(&line.customer),
        csv_field(line.customer_name.as_deref().unwrap_or("")),
        opt((c.agent_id != UNASSIGNED).then(|| c.agent_id.to_string())),
        line.status.clone(),
        k.first_response_clock.to_string(),
        k.first_response_met.to_string(),
        opt(k.reply_bucket.map(|b| b.to_string())),
        k.resolved.to_string(),
        opt(k.rating.map(|r| r.to_string())),
        k.complaint.to_string(),
        k.repeat.to_string(),
        csv_field(&k.breaches.join(" ")),
    ];
    fields.join(",") + "\r\n"
}

/// The drill-down as CSV, streamed one shop-day at a time (no row limit).
pub fn drill_csv(
    store: Arc<dyn Store>,
    shops: Vec<Shop>,
    req: DrillRequest,
) -> DeskResult<impl Stream<Item = Result<Bytes, std::io::Error>>> {
    let period = period_of(req.from, req.to)?;
    let parts = shop_days(&shops, &period);
    let state = (store, req, parts.into_iter(), true);
    Ok(futures_util::stream::unfold(
        state,
        |(store, req, mut parts, first)| async move {
            if first {
                let header = Bytes::from_static(DRILL_HEADER.as_bytes());
                return Some((Ok(header), (store, req, parts, false)));
            }
            let (shop_id, day) = parts.next()?;
            let chunk = async {
                let picked: Vec<StoredContribution> = store
                    .kpi_contributions(shop_id, day)
                    .await?
                    .into_iter()
                    .filter(|c| wanted(&req, c))
                    .collect();
                let lines = store
                    .conversation_lines(picked.iter().map(|c| c.conversation_id).collect())
                    .await?;
                let mut out = String::new();
                for c in &picked {
                    if let Some(l) = lines.iter().find(|l| l.id == c.conversation_id) {
                        out.push_str(&drill_line(l, c));
                    }
                }
                Ok::<_, kefu_store::StoreError>(Bytes::from(out))
            }
            .await
            .map_err(std::io::Error::other);
            Some((chunk, (store, req, parts, false)))
        },
    ))
}

/// A KPI table (whole, or grouped) as CSV: one line per group.
pub async fn kpi_csv(
    store: &dyn Store,
    shops: &[Shop],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: Option<GroupBy>,
) -> DeskResult<String> {
    let period = period_of(from, to)?;
    refresh_rollups(store, std::time::Duration::from_secs(2)).await?;
    let groups = kpi_totals(store, shops, &period, by).await?;
    let mut out = String::from(
        "group,conversations,first_response_count,first_response_met,first_response_rate,median_seconds,p90_seconds,needed_answer,resolved,resolution_rate,csat_responses,csat_mean,complaints,repeat_complaints,repeat_complaint_rate\r\n",
    );
    let num = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let int = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    for (key, t) in &groups {
        let k = Totals::kpis(t);
        let fields = [
            csv_field(key),
            k.conversations.to_string(),
            k.first_response.count.to_string(),
            k.first_response.met.to_string(),
            num(k.first_response.rate),
            int(k.first_response.median_seconds),
            int(k.first_response.p90_seconds),
            k.needed_answer.to_string(),
            k.resolved.to_string(),
            num(k.resolution_rate),
            k.csat.responses.to_string(),
            num(k.csat.mean),
            k.complaints.to_string(),
            k.repeat_complaints.to_string(),
            num(k.repeat_complaint_rate),
        ];
        out.push_str(&(fields.join(",") + "\r\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
