//! The outbox, the search index's feed and the counts.

use super::*;

pub fn due_outbox(
    c: &Connection,
    now: chrono::DateTime<Utc>,
    limit: i64,
) -> Result<Vec<crate::OutboxItem>> {
    let out = c
        .prepare_cached(
            "SELECT o.id, o.message_id, o.conversation_id, o.channel, o.recipient, m.body, o.attempts, s.name,
                    (SELECT external_id FROM messages i WHERE i.conversation_id = o.conversation_id
                        AND i.direction = 'inbound' AND i.id < o.message_id ORDER BY i.id DESC LIMIT 1),
                    (SELECT reply_to FROM messages i WHERE i.conversation_id = o.conversation_id
                        AND i.direction = 'inbound' AND i.reply_to IS NOT NULL AND i.id < o.message_id
                        ORDER BY i.id DESC LIMIT 1),
                    m.shop_id
             FROM outbox o JOIN messages m ON m.id = o.message_id JOIN shops s ON s.id = m.shop_id
             WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at LIMIT ?2",
        )?
        .query_map(params![micros(now), limit], |r| {
            Ok(crate::OutboxItem {
                id: r.get(0)?,
                message_id: r.get(1)?,
                conversation_id: r.get(2)?,
                channel: r.get(3)?,
                recipient: r.get(4)?,
                body: r.get(5)?,
                attempts: r.get(6)?,
                shop_name: r.get(7)?,
                in_reply_to: r.get(8)?,
                reply_to: r.get(9)?,
                shop_id: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn record_delivery(
    c: &Connection,
    id: i64,
    at: chrono::DateTime<Utc>,
    outcome: &crate::Delivery,
) -> Result<()> {
    let found: Option<(i64, i64)> = c
        .prepare_cached("SELECT conversation_id, message_id FROM outbox WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((conversation_id, message_id)) = found else {
        return Err(StoreError::NotFound(format!(
            "outbox entry {id} does not exist"
        )));
    };
    let at = micros(at);
    match outcome {
        crate::Delivery::Sent { external_id } => {
            c.prepare_cached(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?2, external_id = ?3, last_error = NULL WHERE id = ?1",
            )?
            .execute(params![id, at, external_id])?;
            add_event(
                c,
                conversation_id,
                at,
                event_kind::REPLY_DELIVERED,
                "outbox",
                &json!({"message_id": message_id, "external_id": external_id}),
            )
        }
        crate::Delivery::Failed { error, retry_at } => {
            let state = if retry_at.is_some() {
                "pending"
            } else {
                "failed"
            };
            c.prepare_cached(
                "UPDATE outbox SET state = ?2, attempts = attempts + 1, last_error = ?3,
                     next_attempt_at = COALESCE(?4, next_attempt_at) WHERE id = ?1",
            )?
            .execute(params![id, state, error, retry_at.map(micros)])?;
            add_event(
                c,
                conversation_id,
                at,
                event_kind::REPLY_DELIVERY_FAILED,
                "outbox",
                &json!({"message_id": message_id, "error": error, "retry_at": retry_at.map(|t| t.to_rfc3339())}),
            )
        }
    }
}

pub fn index_feed(c: &Connection, after_id: i64, limit: i64) -> Result<Vec<crate::IndexRow>> {
    let out = c
        .prepare_cached(
            "SELECT m.id, m.conversation_id, s.tenant_id, m.shop_id, s.platform, c.status,
                    COALESCE(m.author_agent_id, c.assignee_id), m.direction, m.language, m.body, m.created_at
             FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN shops s ON s.id = m.shop_id
             WHERE m.id > ?1 ORDER BY m.id LIMIT ?2",
        )?
        .query_map(params![after_id, limit], |r| {
            Ok(crate::IndexRow {
                message_id: r.get(0)?,
                conversation_id: r.get(1)?,
                tenant_id: r.get(2)?,
                shop_id: r.get(3)?,
                platform: r.get(4)?,
                status: r.get(5)?,
                agent_id: r.get(6)?,
                direction: r.get(7)?,
                language: r.get(8)?,
                body: r.get(9)?,
                created_at: rows::time(r.get(10)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn stats(c: &Connection) -> Result<Stats> {
    let count =
        |sql: &str| -> Result<i64> { Ok(c.prepare_cached(sql)?.query_row([], |r| r.get(0))?) };
    Ok(Stats {
        shops: count("SELECT COUNT(*) FROM shops")?,
        conversations: count("SELECT COUNT(*) FROM conversations")?,
        open_conversations: count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE status IN {}",
            *status_sets::OPEN
        ))?,
        messages: count("SELECT COUNT(*) FROM messages")?,
    })
}
