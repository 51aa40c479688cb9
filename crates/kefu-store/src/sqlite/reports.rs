//! The rows behind the supervisor's figures, read from SQLite (see `crate::reports`).

use kefu_core::{ObligationState, Severity};
use rusqlite::{Connection, params};

use super::rows::{micros, time};
use crate::reports::{KPI_EVENT_KINDS, KpiConversationRow, KpiEventRow, KpiQuery, KpiRows};
use crate::{FIRST_RESPONSE, Result};

/// The conversations `c` of the query: the tenant's (shops `s`), first message in
/// `[?2, ?3)`, of the shops in the JSON array `?4` (all when NULL).
const OF_QUERY: &str = "s.tenant_id = ?1 AND c.created_at >= ?2 AND c.created_at < ?3
      AND (?4 IS NULL OR c.shop_id IN (SELECT value FROM json_each(?4)))";

/// The conversations `c` whose ids are in the JSON array `?1`.
const OF_IDS: &str = "c.id IN (SELECT value FROM json_each(?1))";

/// The ids of the query's conversations, as a JSON array.
pub(super) fn ids_of(c: &Connection, q: &KpiQuery) -> Result<String> {
    let shops = q
        .shop_ids
        .as_ref()
        .map(|ids| serde_json::to_string(ids).unwrap_or_default());
    let mut stmt = c.prepare_cached(&format!(
        "SELECT c.id FROM conversations c JOIN shops s ON s.id = c.shop_id WHERE {OF_QUERY}"
    ))?;
    let ids = stmt
        .query_map(
            params![q.tenant_id, micros(q.from), micros(q.to), shops],
            |r| r.get::<_, i64>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(serde_json::to_string(&ids).unwrap_or_default())
}

/// The rows behind the figures of the conversations whose ids are the JSON array `ids`.
pub(super) fn rows_of(c: &Connection, ids: &str) -> Result<KpiRows> {
    Ok(KpiRows {
        conversations: conversations(c, ids)?,
        events: events(c, ids)?,
        breaches: breaches(c, ids)?,
        clocks: clocks(c, ids)?,
    })
}

fn clocks(c: &Connection, ids: &str) -> Result<Vec<(i64, String, bool)>> {
    let [first, high_value] = crate::reports::FIRST_REPLY_CLOCKS;
    let mut stmt = c.prepare_cached(
        "SELECT o.conversation_id, o.rule, o.state = ?4 AND o.closed_at <= o.due_at
         FROM obligations o
         WHERE o.conversation_id IN (SELECT value FROM json_each(?1)) AND o.clock IN (?2, ?3)
           AND o.state IN (?4, ?5)
         ORDER BY o.id",
    )?;
    let rows = stmt.query_map(
        params![
            ids,
            first.as_str(),
            high_value.as_str(),
            ObligationState::Met.as_str(),
            ObligationState::Breached.as_str()
        ],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<bool>>(2)?.unwrap_or(false),
            ))
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn conversations(c: &Connection, ids: &str) -> Result<Vec<KpiConversationRow>> {
    let sql = format!(
        "SELECT c.id, c.shop_id, cu.handle, o.external_id, c.assignee_id, c.created_at, c.complaint,
            (SELECT MIN(m.created_at) FROM messages m
              WHERE m.conversation_id = c.id AND m.direction = 'outbound'),
            fr.due_at, CASE WHEN fr.state = ?3 THEN fr.closed_at END
         FROM conversations c
         JOIN shops s ON s.id = c.shop_id
         JOIN customers cu ON cu.id = c.customer_id
         LEFT JOIN orders o ON o.id = c.order_id
         LEFT JOIN obligations fr ON fr.id = (SELECT id FROM obligations
             WHERE conversation_id = c.id AND clock = ?2 ORDER BY severity = ?4 DESC, id LIMIT 1)
         WHERE {OF_IDS}
         ORDER BY c.id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            ids,
            FIRST_RESPONSE.as_str(),
            ObligationState::Met.as_str(),
            Severity::Platform.as_str()
        ],
        |r| {
            Ok(KpiConversationRow {
                id: r.get(0)?,
                shop_id: r.get(1)?,
                customer: r.get(2)?,
                order: r.get(3)?,
                agent_id: r.get(4)?,
                created_at: time(r.get(5)?),
                complaint: r.get(6)?,
                first_reply_at: r.get::<_, Option<i64>>(7)?.map(time),
                first_response_due: r.get::<_, Option<i64>>(8)?.map(time),
                first_response_met_at: r.get::<_, Option<i64>>(9)?.map(time),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn events(c: &Connection, ids: &str) -> Result<Vec<KpiEventRow>> {
    let sql = format!(
        "SELECT e.conversation_id, e.at, e.kind, e.data
         FROM events e
         JOIN conversations c ON c.id = e.conversation_id
         WHERE {OF_IDS} AND e.kind IN (?2, ?3, ?4, ?5)
         ORDER BY e.at, e.id"
    );
    let [a, b, k, call] = KPI_EVENT_KINDS;
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ids, a, b, k, call], |r| {
        let data: String = r.get(3)?;
        Ok(KpiEventRow {
            conversation_id: r.get(0)?,
            at: time(r.get(1)?),
            kind: r.get(2)?,
            data: serde_json::from_str(&data).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn breaches(c: &Connection, ids: &str) -> Result<Vec<(i64, String)>> {
    let sql = format!(
        "SELECT o.conversation_id, o.rule
         FROM obligations o
         JOIN conversations c ON c.id = o.conversation_id
         WHERE {OF_IDS} AND o.state = ?2
         ORDER BY o.id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ids, ObligationState::Breached.as_str()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
