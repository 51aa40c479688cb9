//! The rows behind the supervisor's figures, read from PostgreSQL (see `crate::reports`).

use async_trait::async_trait;
use kefu_core::{ObligationState, Severity};

use super::PostgresStore;
use crate::reports::{KPI_EVENT_KINDS, KpiConversationRow, KpiEventRow, KpiQuery, KpiRows};
use crate::{FIRST_RESPONSE, ReportStore, Result};

/// The conversations `c` (of shops `s`) of the query: the tenant's, first message in
/// `[$2, $3)`, of the shops `$4` (all when NULL).
const OF_QUERY: &str = "s.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3
      AND ($4::BIGINT[] IS NULL OR c.shop_id = ANY($4))";

#[async_trait]
impl ReportStore for PostgresStore {
    async fn kpi_rows(&self, q: KpiQuery) -> Result<KpiRows> {
        let c = self.conn().await?;
        let base: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&q.tenant_id, &q.from, &q.to, &q.shop_ids];
        let (clock, met, platform, breached) = (
            FIRST_RESPONSE.as_str(),
            ObligationState::Met.as_str(),
            Severity::Platform.as_str(),
            ObligationState::Breached.as_str(),
        );
        let conversations = c
            .query(
                &format!(
                    "SELECT c.id, c.shop_id, cu.handle, o.external_id, c.assignee_id, c.created_at,
                        c.complaint,
                        (SELECT MIN(m.created_at) FROM messages m
                          WHERE m.conversation_id = c.id AND m.direction = 'outbound'),
                        fr.due_at, CASE WHEN fr.state = $6 THEN fr.closed_at END
                     FROM conversations c
                     JOIN shops s ON s.id = c.shop_id
                     JOIN customers cu ON cu.id = c.customer_id
                     LEFT JOIN orders o ON o.id = c.order_id
                     LEFT JOIN obligations fr ON fr.id = (SELECT id FROM obligations
                         WHERE conversation_id = c.id AND clock = $5
                         ORDER BY severity = $7 DESC, id LIMIT 1)
                     WHERE {OF_QUERY}
                     ORDER BY c.id"
                ),
                &[base[0], base[1], base[2], base[3], &clock, &met, &platform],
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
        let [a, b, k] = KPI_EVENT_KINDS;
        let events = c
            .query(
                &format!(
                    "SELECT e.conversation_id, e.at, e.kind, e.data
                     FROM events e
                     JOIN conversations c ON c.id = e.conversation_id
                     JOIN shops s ON s.id = c.shop_id
                     WHERE {OF_QUERY} AND e.kind IN ($5, $6, $7)
                     ORDER BY e.at, e.id"
                ),
                &[base[0], base[1], base[2], base[3], &a, &b, &k],
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
                &format!(
                    "SELECT o.conversation_id, o.rule
                     FROM obligations o
                     JOIN conversations c ON c.id = o.conversation_id
                     JOIN shops s ON s.id = c.shop_id
                     WHERE {OF_QUERY} AND o.state = $5
                     ORDER BY o.id"
                ),
                &[base[0], base[1], base[2], base[3], &breached],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(KpiRows {
            conversations,
            events,
            breaches,
        })
    }
}
