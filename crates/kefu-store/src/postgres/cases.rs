//! `CaseStore` on PostgreSQL.

use super::*;

#[async_trait]
impl CaseStore for PostgresStore {
    async fn open_case(&self, n: crate::NewCase) -> Result<crate::AftersalesCase> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        if tx
            .query_opt(
                "SELECT 1 FROM conversations WHERE id = $1",
                &[&n.conversation_id],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "conversation {} does not exist",
                n.conversation_id
            )));
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO aftersales_cases (conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'offered', $8, $9, $9) RETURNING {CASE_COLS}"
                ),
                &[&n.conversation_id, &n.order_id, &n.kind, &n.rule, &n.action, &n.amount, &n.currency, &n.due, &n.at],
            )
            .await?;
        let case = case_row(&row);
        add_event(
            &tx,
            n.conversation_id,
            n.at,
            "case_opened",
            &n.actor,
            json!({"case_id": case.id, "kind": case.kind, "rule": case.rule, "action": case.action,
                   "amount": case.amount, "currency": case.currency, "due": n.due.to_rfc3339()}),
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }

    async fn cases(&self, conversation_id: i64) -> Result<Vec<crate::AftersalesCase>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                &format!("SELECT {CASE_COLS} FROM aftersales_cases WHERE conversation_id = $1 ORDER BY id"),
                &[&conversation_id],
            )
            .await?
            .iter()
            .map(case_row)
            .collect())
    }

    async fn set_case_state(
        &self,
        case_id: i64,
        state: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<crate::AftersalesCase> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let Some(before) = tx
            .query_opt(
                "SELECT conversation_id, state FROM aftersales_cases WHERE id = $1 FOR UPDATE",
                &[&case_id],
            )
            .await?
        else {
            return Err(StoreError::NotFound(format!(
                "case {case_id} does not exist"
            )));
        };
        let (conversation_id, from): (i64, String) = (before.get(0), before.get(1));
        let row = tx
            .query_one(
                &format!("UPDATE aftersales_cases SET state = $2, updated_at = $3 WHERE id = $1 RETURNING {CASE_COLS}"),
                &[&case_id, &state, &at],
            )
            .await?;
        let case = case_row(&row);
        add_event(
            &tx,
            conversation_id,
            at,
            "case_updated",
            actor,
            json!({"case_id": case_id, "from": from, "to": state, "action": case.action, "rule": case.rule}),
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }
}
