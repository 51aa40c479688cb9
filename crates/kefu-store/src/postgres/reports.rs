//! The rows behind the supervisor's figures, read from PostgreSQL (see `crate::reports`),
//! and the rollups kept from them (see `crate::rollup`; migration 0018).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono_tz::Tz;
use kefu_core::{ObligationState, Severity};
use kefu_kpi::{Period, Totals};

use super::{PostgresStore, Tx};
use crate::reports::{KPI_EVENT_KINDS, KpiConversationRow, KpiEventRow, KpiQuery, KpiRows};
use crate::rollup::{Cell, ConversationLine, StoredContribution, plan_refresh};
use crate::{FIRST_RESPONSE, ReportStore, Result, StoreError};

/// Refreshes take turns across nodes: they read and rewrite the same day cells.
const REFRESH_LOCK: i64 = 0x6b70_695f_726f_6c6c; // "kpi_roll"

/// The ids of the query's conversations (the tenant's, first message in the period, of
/// its shops or all).
async fn ids_of(tx: &Tx<'_>, q: &KpiQuery) -> Result<Vec<i64>> {
    Ok(tx
        .query(
            "SELECT c.id FROM conversations c JOIN shops s ON s.id = c.shop_id
             WHERE s.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3
               AND ($4::BIGINT[] IS NULL OR c.shop_id = ANY($4))",
            &[&q.tenant_id, &q.from, &q.to, &q.shop_ids],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The rows behind the figures of the conversations `ids`.
async fn rows_of(c: &Tx<'_>, ids: &[i64]) -> Result<KpiRows> {
    let (clock, met, platform, breached) = (
        FIRST_RESPONSE.as_str(),
        ObligationState::Met.as_str(),
        Severity::Platform.as_str(),
        ObligationState::Breached.as_str(),
    );
    let conversations = c
        .query(
            "SELECT c.id, c.shop_id, cu.handle, o.external_id, c.assignee_id, c.created_at,
                c.complaint,
                (SELECT MIN(m.created_at) FROM messages m
                  WHERE m.conversation_id = c.id AND m.direction = 'outbound'),
                fr.due_at, CASE WHEN fr.state = $3 THEN fr.closed_at END
             FROM conversations c
             JOIN customers cu ON cu.id = c.customer_id
             LEFT JOIN orders o ON o.id = c.order_id
             LEFT JOIN obligations fr ON fr.id = (SELECT id FROM obligations
                 WHERE conversation_id = c.id AND clock = $2
                 ORDER BY severity = $4 DESC, id LIMIT 1)
             WHERE c.id = ANY($1)
             ORDER BY c.id",
            &[&ids, &clock, &met, &platform],
        )
        .await?
        .iter()
        .map(|r| KpiConversationRow {
            id: r.get(0),
            shop_id: r.get(1),
            customer: r.get(2),
            order: r.get(3),
            agent_id: r.get(4),
            created_at: r.get(5),
            complaint: r.get(6),
            first_reply_at: r.get(7),
            first_response_due: r.get(8),
            first_response_met_at: r.get(9),
        })
        .collect();
    let [a, b, k, call] = KPI_EVENT_KINDS;
    let events = c
        .query(
            "SELECT e.conversation_id, e.at, e.kind, e.data FROM events e
             WHERE e.conversation_id = ANY($1) AND e.kind IN ($2, $3, $4, $5)
             ORDER BY e.at, e.id",
            &[&ids, &a, &b, &k, &call],
        )
        .await?
        .iter()
        .map(|r| KpiEventRow {
            conversation_id: r.get(0),
            at: r.get(1),
            kind: r.get(2),
            data: r.get(3),
        })
        .collect();
    let breaches = c
        .query(
            "SELECT o.conversation_id, o.rule FROM obligations o
             WHERE o.conversation_id = ANY($1) AND o.state = $2
             ORDER BY o.id",
            &[&ids, &breached],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let [first, high_value] = crate::reports::FIRST_REPLY_CLOCKS;
    let clocks = c
        .query(
            "SELECT o.conversation_id, o.rule,
                    COALESCE(o.state = $4 AND o.closed_at <= o.due_at, FALSE)
             FROM obligations o
             WHERE o.conversation_id = ANY($1) AND o.clock IN ($2, $3) AND o.state IN ($4, $5)
             ORDER BY o.id",
            &[&ids, &first.as_str(), &high_value.as_str(), &met, &breached],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    Ok(KpiRows {
        conversations,
        events,
        breaches,
        clocks,
    })
}

fn decode<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v)
        .map_err(|e| StoreError::Backend(format!("a KPI rollup row does not parse: {e}")))
}

fn stored_row(r: &tokio_postgres::Row) -> Result<StoredContribution> {
    Ok(StoredContribution {
        conversation_id: r.get(0),
        shop_id: r.get(1),
        day: r.get(2),
        agent_id: r.get(3),
        first_inbound: r.get(4),
        contribution: decode(r.get(5))?,
    })
}

const STORED_COLS: &str = "conversation_id, shop_id, day, agent_id, first_inbound, contribution";

async fn stored_of(tx: &Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, StoredContribution>> {
    let rows = tx
        .query(
            &format!("SELECT {STORED_COLS} FROM kpi_conversations WHERE conversation_id = ANY($1)"),
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|r| stored_row(r).map(|s| (s.conversation_id, s)))
        .collect()
}

async fn time_zones(tx: &Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, Tz>> {
    let rows = tx
        .query(
            "SELECT DISTINCT s.id, s.timezone FROM shops s JOIN conversations c ON c.shop_id = s.id
             WHERE c.id = ANY($1)",
            &[&ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let tz: String = r.get(1);
            (r.get(0), tz.parse().unwrap_or(chrono_tz::UTC))
        })
        .collect())
}

/// Writes a refresh's plan: the changed contributions, and each cell's new totals.
async fn apply(tx: &Tx<'_>, plan: crate::rollup::RefreshPlan) -> Result<()> {
    // A handful of statements per refresh, whatever its size: round trips are the cost here.
    let mut c = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for s in &plan.upserts {
        c.0.push(s.conversation_id);
        c.1.push(s.shop_id);
        c.2.push(s.day);
        c.3.push(s.agent_id);
        c.4.push(s.first_inbound);
        c.5.push(serde_json::to_string(&s.contribution).unwrap_or_default());
    }
    tx.execute(
        &format!(
            "INSERT INTO kpi_conversations ({STORED_COLS})
             SELECT id, shop, day, agent, first, contribution::JSONB
             FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::DATE[], $4::BIGINT[],
                         $5::TIMESTAMPTZ[], $6::TEXT[]) AS t(id, shop, day, agent, first, contribution)
             ON CONFLICT (conversation_id) DO UPDATE SET shop_id = EXCLUDED.shop_id,
               day = EXCLUDED.day, agent_id = EXCLUDED.agent_id,
               first_inbound = EXCLUDED.first_inbound, contribution = EXCLUDED.contribution"
        ),
        &[&c.0, &c.1, &c.2, &c.3, &c.4, &c.5],
    )
    .await?;
    let keys: (Vec<i64>, Vec<NaiveDate>, Vec<i64>) = plan
        .cell_deltas
        .keys()
        .map(|(s, d, a)| (*s, *d, *a))
        .fold((Vec::new(), Vec::new(), Vec::new()), |mut k, (s, d, a)| {
            k.0.push(s);
            k.1.push(d);
            k.2.push(a);
            k
        });
    let mut current: HashMap<Cell, Totals> = HashMap::new();
    for r in tx
        .query(
            "SELECT k.shop_id, k.day, k.agent_id, k.totals FROM kpi_days k
             JOIN UNNEST($1::BIGINT[], $2::DATE[], $3::BIGINT[]) AS t(shop, day, agent)
               ON k.shop_id = t.shop AND k.day = t.day AND k.agent_id = t.agent",
            &[&keys.0, &keys.1, &keys.2],
        )
        .await?
    {
        current.insert((r.get(0), r.get(1), r.get(2)), decode(r.get(3))?);
    }
    let (mut gone, mut kept) = (
        (Vec::new(), Vec::new(), Vec::new()),
        (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    );
    for (cell, delta) in &plan.cell_deltas {
        let mut totals = current.remove(cell).unwrap_or_default();
        totals.merge(delta);
        if totals.is_empty() {
            gone.0.push(cell.0);
            gone.1.push(cell.1);
            gone.2.push(cell.2);
        } else {
            kept.0.push(cell.0);
            kept.1.push(cell.1);
            kept.2.push(cell.2);
            kept.3
                .push(serde_json::to_string(&totals).unwrap_or_default());
        }
    }
    tx.execute(
        "DELETE FROM kpi_days k USING UNNEST($1::BIGINT[], $2::DATE[], $3::BIGINT[]) AS t(shop, day, agent)
         WHERE k.shop_id = t.shop AND k.day = t.day AND k.agent_id = t.agent",
        &[&gone.0, &gone.1, &gone.2],
    )
    .await?;
    tx.execute(
        "INSERT INTO kpi_days (shop_id, day, agent_id, totals)
         SELECT shop, day, agent, totals::JSONB
         FROM UNNEST($1::BIGINT[], $2::DATE[], $3::BIGINT[], $4::TEXT[]) AS t(shop, day, agent, totals)
         ON CONFLICT (shop_id, day, agent_id) DO UPDATE SET totals = EXCLUDED.totals",
        &[&kept.0, &kept.1, &kept.2, &kept.3],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl ReportStore for PostgresStore {
    async fn wait_clocks(&self, q: crate::WaitQuery) -> Result<Vec<crate::WaitClock>> {
        super::waits::wait_clocks(self, &q).await
    }

    async fn agent_replies(
        &self,
        tenant_id: i64,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::AgentReply>> {
        super::waits::agent_replies(self, tenant_id, from, to).await
    }

    async fn buyer_languages(
        &self,
        shop_id: i64,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, i64)>> {
        super::waits::buyer_languages(self, shop_id, since).await
    }

    async fn kpi_rows(&self, q: KpiQuery) -> Result<KpiRows> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let ids = ids_of(&tx, &q).await?;
        rows_of(&tx, &ids).await
    }

    async fn refresh_kpis(&self, limit: usize) -> Result<usize> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let turn: bool = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&REFRESH_LOCK])
            .await?
            .get(0);
        if !turn {
            return Ok(0);
        }
        let dirty: Vec<(i64, i64)> = tx
            .query(
                "SELECT conversation_id, generation FROM kpi_dirty ORDER BY conversation_id LIMIT $1",
                &[&(limit as i64)],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        if dirty.is_empty() {
            return Ok(0);
        }
        let (dirty_ids, generations): (Vec<i64>, Vec<i64>) = dirty.iter().copied().unzip();
        let ids: Vec<i64> = tx
            .query(
                "SELECT id FROM conversations WHERE customer_id IN
                   (SELECT customer_id FROM conversations WHERE id = ANY($1))",
                &[&dirty_ids],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let rows = rows_of(&tx, &ids).await?;
        let plan = plan_refresh(
            rows,
            &stored_of(&tx, &ids).await?,
            &time_zones(&tx, &ids).await?,
        );
        apply(&tx, plan).await?;
        tx.execute(
            "DELETE FROM kpi_dirty d USING unnest($1::BIGINT[], $2::BIGINT[]) AS t(id, generation)
             WHERE d.conversation_id = t.id AND d.generation = t.generation",
            &[&dirty_ids, &generations],
        )
        .await?;
        tx.commit().await?;
        Ok(dirty.len())
    }

    async fn rebuild_kpis(&self) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REFRESH_LOCK])
            .await?;
        tx.batch_execute(
            "DELETE FROM kpi_days; DELETE FROM kpi_conversations;
             INSERT INTO kpi_dirty (conversation_id) SELECT id FROM conversations
             ON CONFLICT (conversation_id) DO UPDATE SET generation = kpi_dirty.generation + 1;",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn kpi_pending(&self) -> Result<u64> {
        let c = self.conn().await?;
        let n: i64 = c
            .query_one("SELECT COUNT(*) FROM kpi_dirty", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn kpi_cells(
        &self,
        shop_id: i64,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<(Cell, Totals)>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT day, agent_id, totals FROM kpi_days
                 WHERE shop_id = $1 AND day >= $2 AND day < $3",
                &[&shop_id, &first, &end],
            )
            .await?;
        rows.iter()
            .map(|r| Ok(((shop_id, r.get(0), r.get(1)), decode(r.get(2))?)))
            .collect()
    }

    async fn conversation_lines(&self, ids: Vec<i64>) -> Result<Vec<ConversationLine>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT c.id, c.shop_id, c.status, cu.handle, cu.name, c.assignee_id, c.created_at
                 FROM conversations c JOIN customers cu ON cu.id = c.customer_id
                 WHERE c.id = ANY($1) ORDER BY c.created_at, c.id",
                &[&ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ConversationLine {
                id: r.get(0),
                shop_id: r.get(1),
                status: r.get(2),
                customer: r.get(3),
                customer_name: r.get(4),
                assignee_id: r.get(5),
                created_at: r.get(6),
            })
            .collect())
    }

    async fn kpi_contributions(
        &self,
        shop_id: i64,
        period: Period,
    ) -> Result<Vec<StoredContribution>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {STORED_COLS} FROM kpi_conversations
                     WHERE shop_id = $1 AND first_inbound >= $2 AND first_inbound < $3
                     ORDER BY first_inbound, conversation_id"
                ),
                &[&shop_id, &period.from, &period.to],
            )
            .await?;
        rows.iter().map(stored_row).collect()
    }
}
