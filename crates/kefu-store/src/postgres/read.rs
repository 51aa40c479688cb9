//! A conversation read whole: the thread, its customer, order, events and obligations, in one
//! snapshot.

use super::*;

/// The conversation `id` with everything the desk shows of it, read in one repeatable-read
/// transaction so that the thread and its state agree.
pub(super) async fn read_conversation(
    client: &mut Object,
    id: i64,
) -> Result<Option<ConversationDetail>> {
    // One snapshot for all the reads, so the thread and its state agree.
    let tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await?;
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1");
    let Some(row) = tx.query_opt(&sql, &[&id]).await? else {
        return Ok(None);
    };
    let conversation = conversation_row(&row)?;
    let c = tx
        .query_one(
            "SELECT id, shop_id, handle, name, language FROM customers WHERE id = $1",
            &[&conversation.customer_id],
        )
        .await?;
    let customer = Customer {
        id: c.get(0),
        shop_id: c.get(1),
        handle: c.get(2),
        name: c.get(3),
        language: c.get(4),
    };
    let order = match conversation.order_id {
        Some(oid) => {
            let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
            tx.query_opt(&sql, &[&oid])
                .await?
                .as_ref()
                .map(order_row)
                .transpose()?
        }
        None => None,
    };
    let order_claim: Option<String> = tx
        .query_one(
            "SELECT order_claim FROM conversations WHERE id = $1",
            &[&id],
        )
        .await?
        .get(0);
    let messages = tx
        .query("SELECT id, conversation_id, direction, channel, author_agent_id, body, language, external_id, created_at
                FROM messages WHERE conversation_id = $1 ORDER BY id", &[&id])
        .await?
        .iter()
        .map(|r| Ok(Message {
            id: r.get(0), conversation_id: r.get(1), direction: parse_enum(r.get(2))?, channel: parse_enum(r.get(3))?,
            author_agent_id: r.get(4), body: r.get(5), language: r.get(6), external_id: r.get(7), created_at: r.get(8),
        }))
        .collect::<Result<Vec<_>>>()?;
    let events = tx
        .query("SELECT id, conversation_id, at, kind, actor, data FROM events WHERE conversation_id = $1 ORDER BY id", &[&id])
        .await?
        .iter()
        .map(|r| Event { id: r.get(0), conversation_id: r.get(1), at: r.get(2), kind: r.get(3), actor: r.get(4), data: r.get(5) })
        .collect();
    let obligations = tx
        .query("SELECT id, conversation_id, rule, clock, severity, due_at, state, opened_at, closed_at, explanation
                FROM obligations WHERE conversation_id = $1 ORDER BY id", &[&id])
        .await?
        .iter()
        .map(obligation_row)
        .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(Some(ConversationDetail {
        conversation,
        customer,
        order,
        order_claim,
        messages,
        events,
        obligations,
    }))
}
