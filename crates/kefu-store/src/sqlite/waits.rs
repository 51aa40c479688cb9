//! The buyers' waits and the agents' replies a day's replay reads, from SQLite (see
//! `crate::waits`).

use chrono::{DateTime, Utc};
use kefu_core::Direction;
use rusqlite::{Connection, params};

use super::rows::{micros, opt_time, parse, time};
use crate::Result;
use crate::waits::{AgentReply, WaitClock, WaitQuery, clock_names};

pub(super) fn wait_clocks(c: &Connection, q: &WaitQuery) -> Result<Vec<WaitClock>> {
    let kinds = serde_json::to_string(&clock_names(q)).unwrap_or_default();
    let mut stmt = c.prepare_cached(
        "SELECT o.conversation_id, o.opened_at, o.rule, o.clock, o.due_at, o.state, o.closed_at
         FROM obligations o JOIN conversations c ON c.id = o.conversation_id
         WHERE c.shop_id = ?1 AND o.opened_at >= ?2 AND o.opened_at < ?3
           AND o.clock IN (SELECT value FROM json_each(?4))
         ORDER BY o.opened_at, o.conversation_id, o.id",
    )?;
    let rows = stmt.query_map(
        params![q.shop_id, micros(q.from), micros(q.to), kinds],
        |r| {
            Ok(WaitClock {
                conversation_id: r.get(0)?,
                opened_at: time(r.get(1)?),
                rule: r.get(2)?,
                clock: parse(3, r.get(3)?)?,
                due: time(r.get(4)?),
                state: parse(5, r.get(5)?)?,
                closed_at: opt_time(r.get(6)?),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn agent_replies(
    c: &Connection,
    tenant_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AgentReply>> {
    let mut stmt = c.prepare_cached(
        "SELECT m.author_agent_id, m.conversation_id, m.shop_id, m.created_at,
            (SELECT MAX(b.created_at) FROM messages b
              WHERE b.conversation_id = m.conversation_id AND b.direction = ?5
                AND b.created_at <= m.created_at)
         FROM messages m JOIN shops s ON s.id = m.shop_id
         WHERE s.tenant_id = ?1 AND m.direction = ?4 AND m.author_agent_id IS NOT NULL
           AND m.created_at >= ?2 AND m.created_at < ?3
         ORDER BY m.author_agent_id, m.created_at, m.id",
    )?;
    let rows = stmt.query_map(
        params![
            tenant_id,
            micros(from),
            micros(to),
            Direction::Outbound.as_str(),
            Direction::Inbound.as_str()
        ],
        |r| {
            Ok(AgentReply {
                agent_id: r.get(0)?,
                conversation_id: r.get(1)?,
                shop_id: r.get(2)?,
                at: time(r.get(3)?),
                after_buyer_at: opt_time(r.get(4)?),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn buyer_languages(
    c: &Connection,
    shop_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<(String, i64)>> {
    let mut stmt = c.prepare_cached(
        "SELECT language, COUNT(*) AS n FROM conversations
         WHERE shop_id = ?1 AND created_at >= ?2 AND language IS NOT NULL
         GROUP BY language ORDER BY n DESC, language",
    )?;
    let rows = stmt.query_map(params![shop_id, micros(since)], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
