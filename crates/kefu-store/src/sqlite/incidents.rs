//! Incidents on SQLite (`crate::incidents`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::event_kind;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::SqliteStore;
use super::ops::add_event;
use super::rows::{micros, opt_time, time};
use crate::incidents::*;
use crate::{Result, StoreError, json_text};

const COLS: &str = "id, tenant_id, shop_id, level, state, rule, cause, opened_at, due, owner_id, \
                    closed_at, resolution, merged_into";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    let text = |s: String| serde_json::from_str(&s).unwrap_or(Value::Null);
    Ok(IncidentRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        shop_id: r.get(2)?,
        level: r.get(3)?,
        state: r.get(4)?,
        rule: r.get(5)?,
        cause: text(r.get(6)?),
        opened_at: time(r.get(7)?),
        due: opt_time(r.get(8)?),
        owner_id: r.get(9)?,
        closed_at: opt_time(r.get(10)?),
        resolution: r.get::<_, Option<String>>(11)?.map(text),
        merged_into: r.get(12)?,
        conversation_ids: Vec::new(),
    })
}

fn linked(c: &Connection, id: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "SELECT conversation_id FROM incident_conversations WHERE incident_id = ?1 ORDER BY joined_at, conversation_id",
    )?;
    let ids = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

fn timeline(c: &Connection, id: i64, at: i64, kind: &str, actor: &str, data: &Value) -> Result<()> {
    c.prepare_cached("INSERT INTO incident_events (incident_id, at, kind, actor, data) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, at, kind, actor, json_text(data)])?;
    Ok(())
}

/// Links the conversations (of the incident's shop) not yet linked; returns those that joined.
fn join(
    c: &Connection,
    id: i64,
    shop_id: i64,
    ids: &[i64],
    at: i64,
    actor: &str,
) -> Result<Vec<i64>> {
    let mut joined = Vec::new();
    for &conversation in ids {
        let shop: Option<i64> = c
            .query_row(
                "SELECT shop_id FROM conversations WHERE id = ?1",
                [conversation],
                |r| r.get(0),
            )
            .optional()?;
        if shop != Some(shop_id) {
            return Err(StoreError::Invalid(format!(
                "conversation {conversation} is not one of the incident's shop"
            )));
        }
        let n = c.execute(
            "INSERT OR IGNORE INTO incident_conversations (incident_id, conversation_id, joined_at) VALUES (?1, ?2, ?3)",
            params![id, conversation, at],
        )?;
        if n > 0 {
            add_event(
                c,
                conversation,
                at,
                event_kind::INCIDENT_JOINED,
                actor,
                &json!({"incident_id": id}),
            )?;
            joined.push(conversation);
        }
    }
    Ok(joined)
}

fn open_row(c: &Connection, id: i64) -> Result<IncidentRow> {
    let found = c
        .query_row(
            &format!("SELECT {COLS} FROM incidents WHERE id = ?1"),
            [id],
            row,
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("incident {id} does not exist")))?;
    if found.state != incident_state::OPEN {
        return Err(StoreError::Conflict(format!(
            "incident {id} is {}",
            found.state
        )));
    }
    Ok(found)
}

fn open_incident(c: &Connection, n: &NewIncident) -> Result<i64> {
    let at = micros(n.opened_at);
    c.execute(
        "INSERT INTO incidents (tenant_id, shop_id, level, rule, cause, opened_at, due, owner_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            n.tenant_id,
            n.shop_id,
            n.level,
            n.rule,
            json_text(&n.cause),
            at,
            n.due.map(micros),
            n.owner_id
        ],
    )?;
    let id = c.last_insert_rowid();
    join(c, id, n.shop_id, &n.conversation_ids, at, &n.actor)?;
    let data = json!({"level": n.level, "conversations": n.conversation_ids.len(), "owner_id": n.owner_id});
    timeline(c, id, at, incident_event::OPENED, &n.actor, &data)?;
    Ok(id)
}

fn change(
    c: &Connection,
    id: i64,
    change: &IncidentChange,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<IncidentChanged> {
    let incident = open_row(c, id)?;
    let at = micros(at);
    let mut out = IncidentChanged::default();
    match change {
        IncidentChange::Join(ids) => {
            out.joined = join(c, id, incident.shop_id, ids, at, actor)?;
            if !out.joined.is_empty() {
                timeline(
                    c,
                    id,
                    at,
                    incident_event::JOINED,
                    actor,
                    &json!({"conversation_ids": out.joined}),
                )?;
            }
        }
        IncidentChange::Level {
            level,
            owner_id,
            reason,
        } => {
            c.execute(
                "UPDATE incidents SET level = ?2, owner_id = ?3 WHERE id = ?1",
                params![id, level, owner_id],
            )?;
            let data = json!({"from": incident.level, "to": level, "owner_id": owner_id, "reason": reason});
            timeline(c, id, at, incident_event::LEVEL_CHANGED, actor, &data)?;
        }
        IncidentChange::Replied {
            conversation_ids,
            message_ids,
        } => {
            let data = json!({"conversation_ids": conversation_ids, "message_ids": message_ids});
            timeline(c, id, at, incident_event::REPLIED, actor, &data)?;
        }
        IncidentChange::Close(resolution) => {
            c.execute(
                "UPDATE incidents SET state = ?2, closed_at = ?3, resolution = ?4 WHERE id = ?1",
                params![id, incident_state::CLOSED, at, json_text(resolution)],
            )?;
            timeline(c, id, at, incident_event::CLOSED, actor, resolution)?;
        }
        IncidentChange::Merge { from } => out.joined = merge(c, &incident, *from, actor, at)?,
        IncidentChange::Split(ids) => out.split_into = Some(split(c, &incident, ids, actor, at)?),
    }
    Ok(out)
}

/// Takes in another open incident's conversations; that one is closed as merged.
fn merge(
    c: &Connection,
    incident: &IncidentRow,
    from: i64,
    actor: &str,
    at: i64,
) -> Result<Vec<i64>> {
    let other = open_row(c, from)?;
    if other.shop_id != incident.shop_id || other.id == incident.id {
        return Err(StoreError::Invalid(
            "only two incidents of one shop merge".into(),
        ));
    }
    let ids = linked(c, other.id)?;
    let joined = join(c, incident.id, incident.shop_id, &ids, at, actor)?;
    c.execute(
        "UPDATE incidents SET state = ?2, closed_at = ?3, merged_into = ?4 WHERE id = ?1",
        params![other.id, incident_state::MERGED, at, incident.id],
    )?;
    timeline(
        c,
        incident.id,
        at,
        incident_event::MERGED,
        actor,
        &json!({"from": other.id, "conversation_ids": joined}),
    )?;
    timeline(
        c,
        other.id,
        at,
        incident_event::MERGED,
        actor,
        &json!({"into": incident.id}),
    )?;
    Ok(joined)
}

/// Moves some of the incident's conversations to a new incident like it.
fn split(
    c: &Connection,
    incident: &IncidentRow,
    ids: &Vec<i64>,
    actor: &str,
    at: i64,
) -> Result<i64> {
    let mine = linked(c, incident.id)?;
    if ids.is_empty() || ids.iter().any(|i| !mine.contains(i)) || ids.len() == mine.len() {
        return Err(StoreError::Invalid(
            "a split takes some, not all, of the incident's conversations".into(),
        ));
    }
    let new = open_incident(
        c,
        &NewIncident {
            tenant_id: incident.tenant_id,
            shop_id: incident.shop_id,
            level: incident.level,
            rule: incident.rule.clone(),
            cause: incident.cause.clone(),
            opened_at: time(at),
            due: incident.due,
            owner_id: incident.owner_id,
            conversation_ids: ids.clone(),
            actor: actor.to_string(),
        },
    )?;
    for conversation in ids {
        c.execute(
            "DELETE FROM incident_conversations WHERE incident_id = ?1 AND conversation_id = ?2",
            params![incident.id, conversation],
        )?;
    }
    timeline(
        c,
        incident.id,
        at,
        incident_event::SPLIT,
        actor,
        &json!({"into": new, "conversation_ids": ids}),
    )?;

    Ok(new)
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn open_incident(&self, new: NewIncident) -> Result<i64> {
        self.write(move |c, _| open_incident(c, &new)).await
    }

    async fn change_incident(
        &self,
        id: i64,
        change_: IncidentChange,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<IncidentChanged> {
        let actor = actor.to_string();
        self.write(move |c, _| change(c, id, &change_, &actor, at))
            .await
    }

    async fn incidents(
        &self,
        tenant_id: i64,
        shop_ids: Option<Vec<i64>>,
        state: Option<String>,
    ) -> Result<Vec<IncidentRow>> {
        self.read(move |c| {
            let shops = shop_ids.map(|s| serde_json::to_string(&s).unwrap_or_default());
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLS} FROM incidents WHERE tenant_id = ?1
                   AND (?2 IS NULL OR shop_id IN (SELECT value FROM json_each(?2)))
                   AND (?3 IS NULL OR state = ?3)
                 ORDER BY opened_at DESC, id DESC"
            ))?;
            let mut rows = stmt
                .query_map(params![tenant_id, shops, state], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for r in &mut rows {
                r.conversation_ids = linked(c, r.id)?;
            }
            Ok(rows)
        })
        .await
    }

    async fn incident(&self, id: i64) -> Result<Option<(IncidentRow, Vec<IncidentEventRow>)>> {
        self.read(move |c| {
            let Some(mut found) = c
                .query_row(&format!("SELECT {COLS} FROM incidents WHERE id = ?1"), [id], row)
                .optional()?
            else {
                return Ok(None);
            };
            found.conversation_ids = linked(c, id)?;
            let mut stmt = c.prepare_cached(
                "SELECT at, kind, actor, data FROM incident_events WHERE incident_id = ?1 ORDER BY id",
            )?;
            let events = stmt
                .query_map([id], |r| {
                    Ok(IncidentEventRow {
                        at: time(r.get(0)?),
                        kind: r.get(1)?,
                        actor: r.get(2)?,
                        data: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(Value::Null),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((found, events)))
        })
        .await
    }

    async fn open_incident_of(&self, conversation_ids: Vec<i64>) -> Result<Option<i64>> {
        self.read(move |c| {
            let ids = serde_json::to_string(&conversation_ids).unwrap_or_default();
            Ok(c.query_row(
                "SELECT i.id FROM incident_conversations ic JOIN incidents i ON i.id = ic.incident_id
                 WHERE ic.conversation_id IN (SELECT value FROM json_each(?1)) AND i.state = ?2
                 GROUP BY i.id ORDER BY count(*) DESC, i.id LIMIT 1",
                params![ids, incident_state::OPEN],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn complaints_since(&self, since: DateTime<Utc>) -> Result<Vec<StoredComplaint>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT c.id, c.shop_id, c.customer_id, m.created_at, m.body, o.carrier, o.items,
                        o.buyer_postcode
                 FROM conversations c
                 JOIN messages m ON m.id = (SELECT min(id) FROM messages
                                            WHERE conversation_id = c.id AND direction = 'inbound')
                 LEFT JOIN orders o ON o.id = c.order_id
                 WHERE c.complaint = 1 AND m.created_at >= ?1
                 ORDER BY m.created_at, c.id",
            )?;
            let rows = stmt
                .query_map([micros(since)], |r| {
                    Ok(StoredComplaint {
                        conversation_id: r.get(0)?,
                        shop_id: r.get(1)?,
                        customer_id: r.get(2)?,
                        at: time(r.get(3)?),
                        text: r.get(4)?,
                        carrier: r.get(5)?,
                        sku: r
                            .get::<_, Option<String>>(6)?
                            .as_deref()
                            .and_then(first_sku),
                        postcode: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}
