//! The supervisor's figures in SQLite: the raw rows behind them, and the rollups kept from
//! them (see `crate::rollup` for the design; migration 0018 for the tables and triggers).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono_tz::Tz;
use kefu_kpi::{Contribution, Period, Totals};
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::reports::{ids_of, rows_of};
use super::rows::{micros, time};
use crate::reports::{KpiQuery, KpiRows};
use crate::rollup::{Cell, ConversationLine, StoredContribution, plan_refresh};
use crate::{ReportStore, Result, StoreError};

fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn day(text: &str) -> rusqlite::Result<NaiveDate> {
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend(format!("a KPI rollup row does not parse: {e}")))
}

fn stored_of(c: &Connection, ids: &str) -> Result<HashMap<i64, StoredContribution>> {
    let mut stmt = c.prepare_cached(
        "SELECT conversation_id, shop_id, day, agent_id, first_inbound, contribution
         FROM kpi_conversations WHERE conversation_id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([ids], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            day(&r.get::<_, String>(2)?)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (conversation_id, shop_id, day, agent_id, first, contribution) = row?;
        out.insert(
            conversation_id,
            StoredContribution {
                conversation_id,
                shop_id,
                day,
                agent_id,
                first_inbound: time(first),
                contribution: decode(&contribution)?,
            },
        );
    }
    Ok(out)
}

fn time_zones(c: &Connection, ids: &str) -> Result<HashMap<i64, Tz>> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT s.id, s.timezone FROM shops s JOIN conversations c ON c.shop_id = s.id
         WHERE c.id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([ids], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, tz) = row?;
        out.insert(id, tz.parse().unwrap_or(chrono_tz::UTC));
    }
    Ok(out)
}

/// Refreshes up to `limit` dirty conversations (and their buyers' others) in the writer's
/// transaction; returns how many dirty ones it took.
fn refresh(c: &Connection, limit: usize) -> Result<usize> {
    let dirty: Vec<i64> = c
        .prepare_cached("SELECT conversation_id FROM kpi_dirty ORDER BY conversation_id LIMIT ?1")?
        .query_map([limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if dirty.is_empty() {
        return Ok(0);
    }
    let dirty_ids = json_ids(&dirty);
    let buyers: Vec<i64> = c
        .prepare_cached(
            "SELECT id FROM conversations WHERE customer_id IN
               (SELECT customer_id FROM conversations WHERE id IN (SELECT value FROM json_each(?1)))",
        )?
        .query_map([&dirty_ids], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let ids = json_ids(&buyers);
    let plan = plan_refresh(
        rows_of(c, &ids)?,
        &stored_of(c, &ids)?,
        &time_zones(c, &ids)?,
    );
    let mut upsert = c.prepare_cached(
        "INSERT OR REPLACE INTO kpi_conversations
           (conversation_id, shop_id, day, agent_id, first_inbound, contribution)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for s in &plan.upserts {
        let contribution = serde_json::to_string(&s.contribution).unwrap_or_default();
        upsert.execute(params![
            s.conversation_id,
            s.shop_id,
            s.day.to_string(),
            s.agent_id,
            micros(s.first_inbound),
            contribution
        ])?;
    }
    for ((shop_id, day, agent_id), delta) in &plan.cell_deltas {
        let key = params![shop_id, day.to_string(), agent_id];
        let mut totals: Totals = match c
            .prepare_cached(
                "SELECT totals FROM kpi_days WHERE shop_id = ?1 AND day = ?2 AND agent_id = ?3",
            )?
            .query_row(key, |r| r.get::<_, String>(0))
            .optional()?
        {
            Some(text) => decode(&text)?,
            None => Totals::default(),
        };
        totals.merge(delta);
        if totals.is_empty() {
            c.prepare_cached(
                "DELETE FROM kpi_days WHERE shop_id = ?1 AND day = ?2 AND agent_id = ?3",
            )?
            .execute(key)?;
        } else {
            c.prepare_cached(
                "INSERT OR REPLACE INTO kpi_days (shop_id, day, agent_id, totals) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                shop_id,
                day.to_string(),
                agent_id,
                serde_json::to_string(&totals).unwrap_or_default()
            ])?;
        }
    }
    c.prepare_cached(
        "DELETE FROM kpi_dirty WHERE conversation_id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([&dirty_ids])?;
    Ok(dirty.len())
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn kpi_rows(&self, q: KpiQuery) -> Result<KpiRows> {
        self.read(move |c| rows_of(c, &ids_of(c, &q)?)).await
    }

    async fn wait_clocks(&self, q: crate::WaitQuery) -> Result<Vec<crate::WaitClock>> {
        self.read(move |c| super::waits::wait_clocks(c, &q)).await
    }

    async fn agent_replies(
        &self,
        tenant_id: i64,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::AgentReply>> {
        self.read(move |c| super::waits::agent_replies(c, tenant_id, from, to))
            .await
    }

    async fn buyer_languages(
        &self,
        shop_id: i64,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, i64)>> {
        self.read(move |c| super::waits::buyer_languages(c, shop_id, since))
            .await
    }

    async fn refresh_kpis(&self, limit: usize) -> Result<usize> {
        self.write(move |c, _| refresh(c, limit)).await
    }

    async fn rebuild_kpis(&self) -> Result<()> {
        self.write(|c, _| {
            c.execute_batch(
                "DELETE FROM kpi_days; DELETE FROM kpi_conversations;
                 INSERT OR IGNORE INTO kpi_dirty SELECT id FROM conversations;",
            )?;
            Ok(())
        })
        .await
    }

    async fn kpi_pending(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM kpi_dirty", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn kpi_cells(
        &self,
        shop_id: i64,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<(Cell, Totals)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT day, agent_id, totals FROM kpi_days
                 WHERE shop_id = ?1 AND day >= ?2 AND day < ?3",
            )?;
            let rows =
                stmt.query_map(params![shop_id, first.to_string(), end.to_string()], |r| {
                    Ok((
                        day(&r.get::<_, String>(0)?)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?;
            let mut out = Vec::new();
            for row in rows {
                let (d, agent, totals) = row?;
                out.push(((shop_id, d, agent), decode(&totals)?));
            }
            Ok(out)
        })
        .await
    }

    async fn conversation_lines(&self, ids: Vec<i64>) -> Result<Vec<ConversationLine>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT c.id, c.shop_id, c.status, cu.handle, cu.name, c.assignee_id, c.created_at
                 FROM conversations c JOIN customers cu ON cu.id = c.customer_id
                 WHERE c.id IN (SELECT value FROM json_each(?1)) ORDER BY c.created_at, c.id",
            )?;
            let rows = stmt.query_map([json_ids(&ids)], |r| {
                Ok(ConversationLine {
                    id: r.get(0)?,
                    shop_id: r.get(1)?,
                    status: r.get(2)?,
                    customer: r.get(3)?,
                    customer_name: r.get(4)?,
                    assignee_id: r.get(5)?,
                    created_at: time(r.get(6)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn kpi_contributions(
        &self,
        shop_id: i64,
        period: Period,
    ) -> Result<Vec<StoredContribution>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT conversation_id, day, agent_id, first_inbound, contribution
                 FROM kpi_conversations
                 WHERE shop_id = ?1 AND first_inbound >= ?2 AND first_inbound < ?3
                 ORDER BY first_inbound, conversation_id",
            )?;
            let rows = stmt.query_map(
                params![shop_id, micros(period.from), micros(period.to)],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        day(&r.get::<_, String>(1)?)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (conversation_id, day, agent_id, first, contribution) = row?;
                out.push(StoredContribution {
                    conversation_id,
                    shop_id,
                    day,
                    agent_id,
                    first_inbound: time(first),
                    contribution: decode::<Contribution>(&contribution)?,
                });
            }
            Ok(out)
        })
        .await
    }
}
