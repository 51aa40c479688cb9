//! The buyers' waits and the agents' replies a day's replay reads, from PostgreSQL (see
//! `crate::waits`).

use chrono::{DateTime, Utc};
use kefu_core::Direction;

use super::{PostgresStore, parse_enum};
use crate::Result;
use crate::waits::{AgentReply, WaitClock, WaitQuery, clock_names};

pub(super) async fn wait_clocks(s: &PostgresStore, q: &WaitQuery) -> Result<Vec<WaitClock>> {
    let client = s.conn().await?;
    let rows = client
        .query(
            "SELECT o.conversation_id, o.opened_at, o.rule, o.clock, o.due_at, o.state,
                    o.closed_at
             FROM obligations o JOIN conversations c ON c.id = o.conversation_id
             WHERE c.shop_id = $1 AND o.opened_at >= $2 AND o.opened_at < $3
               AND o.clock = ANY($4)
             ORDER BY o.opened_at, o.conversation_id, o.id",
            &[&q.shop_id, &q.from, &q.to, &clock_names(q)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(WaitClock {
                conversation_id: r.get(0),
                opened_at: r.get(1),
                rule: r.get(2),
                clock: parse_enum(r.get(3))?,
                due: r.get(4),
                state: parse_enum(r.get(5))?,
                closed_at: r.get(6),
            })
        })
        .collect()
}

pub(super) async fn agent_replies(
    s: &PostgresStore,
    tenant_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AgentReply>> {
    let client = s.conn().await?;
    let rows = client
        .query(
            "SELECT m.author_agent_id, m.conversation_id, m.shop_id, m.created_at,
                (SELECT MAX(b.created_at) FROM messages b
                  WHERE b.conversation_id = m.conversation_id AND b.direction = $5
                    AND b.created_at <= m.created_at)
             FROM messages m JOIN shops s ON s.id = m.shop_id
             WHERE s.tenant_id = $1 AND m.direction = $4 AND m.author_agent_id IS NOT NULL
               AND m.created_at >= $2 AND m.created_at < $3
             ORDER BY m.author_agent_id, m.created_at, m.id",
            &[
                &tenant_id,
                &from,
                &to,
                &Direction::Outbound.as_str(),
                &Direction::Inbound.as_str(),
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AgentReply {
            agent_id: r.get(0),
            conversation_id: r.get(1),
            shop_id: r.get(2),
            at: r.get(3),
            after_buyer_at: r.get(4),
        })
        .collect())
}

pub(super) async fn buyer_languages(
    s: &PostgresStore,
    shop_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<(String, i64)>> {
    let client = s.conn().await?;
    let rows = client
        .query(
            "SELECT language, COUNT(*) AS n FROM conversations
             WHERE shop_id = $1 AND created_at >= $2 AND language IS NOT NULL
             GROUP BY language ORDER BY n DESC, language",
            &[&shop_id, &since],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
