//! Incidents on PostgreSQL (`crate::incidents`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::event_kind;
use serde_json::{Value, json};
use tokio_postgres::Row;

use super::{PostgresStore, Tx};
use crate::incidents::*;
use crate::{Result, StoreError};

const COLS: &str = "id, tenant_id, shop_id, level, state, rule, cause, opened_at, due, owner_id, \
                    closed_at, resolution, merged_into";

fn row(r: &Row) -> IncidentRow {
    IncidentRow {
        id: r.get(0),
        tenant_id: r.get(1),
        shop_id: r.get(2),
        level: u8::try_from(r.get::<_, i32>(3)).unwrap_or(1),
        state: r.get(4),
        rule: r.get(5),
        cause: r.get(6),
        opened_at: r.get(7),
        due: r.get(8),
        owner_id: r.get(9),
        closed_at: r.get(10),
        resolution: r.get(11),
        merged_into: r.get(12),
        conversation_ids: Vec::new(),
    }
}

async fn linked(tx: &Tx<'_>, id: i64) -> Result<Vec<i64>> {
    Ok(tx
        .query(
            "SELECT conversation_id FROM incident_conversations WHERE incident_id = $1
             ORDER BY joined_at, conversation_id",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

async fn timeline(
    tx: &Tx<'_>,
    id: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &str,
    data: &Value,
) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_events (incident_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5)",
        &[&id, &at, &kind, &actor, data],
    )
    .await?;
    Ok(())
}

/// Links the conversations (of the incident's shop) not yet linked; returns those that joined.
async fn join(
    tx: &Tx<'_>,
    id: i64,
    shop_id: i64,
    ids: &[i64],
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Vec<i64>> {
    let mut joined = Vec::new();
    for &conversation in ids {
        let shop: Option<i64> = tx
            .query_opt(
                "SELECT shop_id FROM conversations WHERE id = $1",
                &[&conversation],
            )
            .await?
            .map(|r| r.get(0));
        if shop != Some(shop_id) {
            return Err(StoreError::Invalid(format!(
                "conversation {conversation} is not one of the incident's shop"
            )));
        }
        let n = tx
            .execute(
                "INSERT INTO incident_conversations (incident_id, conversation_id, joined_at)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&id, &conversation, &at],
            )
            .await?;
        if n > 0 {
            tx.execute(
                "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5)",
                &[&conversation, &at, &event_kind::INCIDENT_JOINED, &actor, &json!({"incident_id": id})],
            )
            .await?;
            joined.push(conversation);
        }
    }
    Ok(joined)
}

async fn open_row(tx: &Tx<'_>, id: i64) -> Result<IncidentRow> {
    let found = tx
        .query_opt(
            &format!("SELECT {COLS} FROM incidents WHERE id = $1 FOR UPDATE"),
            &[&id],
        )
        .await?
        .map(|r| row(&r))
        .ok_or_else(|| StoreError::NotFound(format!("incident {id} does not exist")))?;
    if found.state != incident_state::OPEN {
        return Err(StoreError::Conflict(format!(
            "incident {id} is {}",
            found.state
        )));
    }
    Ok(found)
}

async fn open_incident(tx: &Tx<'_>, n: &NewIncident) -> Result<i64> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO incidents (tenant_id, shop_id, level, rule, cause, opened_at, due, owner_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[&n.tenant_id, &n.shop_id, &i32::from(n.level), &n.rule, &n.cause, &n.opened_at, &n.due, &n.owner_id],
        )
        .await?
        .get(0);
    join(
        tx,
        id,
        n.shop_id,
        &n.conversation_ids,
        n.opened_at,
        &n.actor,
    )
    .await?;
    let data = json!({"level": n.level, "conversations": n.conversation_ids.len(), "owner_id": n.owner_id});
    timeline(tx, id, n.opened_at, incident_event::OPENED, &n.actor, &data).await?;
    Ok(id)
}

async fn change(
    tx: &Tx<'_>,
    id: i64,
    change: &IncidentChange,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<IncidentChanged> {
    let incident = open_row(tx, id).await?;
    let mut out = IncidentChanged::default();
    match change {
        IncidentChange::Join(ids) => {
            out.joined = join(tx, id, incident.shop_id, ids, at, actor).await?;
            if !out.joined.is_empty() {
                timeline(
                    tx,
                    id,
                    at,
                    incident_event::JOINED,
                    actor,
                    &json!({"conversation_ids": out.joined}),
                )
                .await?;
            }
        }
        IncidentChange::Level {
            level,
            owner_id,
            reason,
        } => {
            tx.execute(
                "UPDATE incidents SET level = $2, owner_id = $3 WHERE id = $1",
                &[&id, &i32::from(*level), owner_id],
            )
            .await?;
            let data = json!({"from": incident.level, "to": level, "owner_id": owner_id, "reason": reason});
            timeline(tx, id, at, incident_event::LEVEL_CHANGED, actor, &data).await?;
        }
        IncidentChange::Replied {
            conversation_ids,
            message_ids,
        } => {
            let data = json!({"conversation_ids": conversation_ids, "message_ids": message_ids});
            timeline(tx, id, at, incident_event::REPLIED, actor, &data).await?;
        }
        IncidentChange::Close(resolution) => {
            tx.execute(
                "UPDATE incidents SET state = $2, closed_at = $3, resolution = $4 WHERE id = $1",
                &[&id, &incident_state::CLOSED, &at, resolution],
            )
            .await?;
            timeline(tx, id, at, incident_event::CLOSED, actor, resolution).await?;
        }
        IncidentChange::Merge { from } => {
            out.joined = merge(tx, &incident, *from, actor, at).await?
        }
        IncidentChange::Split(ids) => {
            out.split_into = Some(split(tx, &incident, ids, actor, at).await?)
        }
    }
    Ok(out)
}

/// Takes in another open incident's conversations; that one is closed as merged.
async fn merge(
    tx: &Tx<'_>,
    incident: &IncidentRow,
    from: i64,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let other = open_row(tx, from).await?;
    if other.shop_id != incident.shop_id || other.id == incident.id {
        return Err(StoreError::Invalid(
            "only two incidents of one shop merge".into(),
        ));
    }
    let ids = linked(tx, other.id).await?;
    let joined = join(tx, incident.id, incident.shop_id, &ids, at, actor).await?;
    tx.execute(
        "UPDATE incidents SET state = $2, closed_at = $3, merged_into = $4 WHERE id = $1",
        &[&other.id, &incident_state::MERGED, &at, &incident.id],
    )
    .await?;
    timeline(
        tx,
        incident.id,
        at,
        incident_event::MERGED,
        actor,
        &json!({"from": other.id, "conversation_ids": joined}),
    )
    .await?;
    timeline(
        tx,
        other.id,
        at,
        incident_event::MERGED,
        actor,
        &json!({"into": incident.id}),
    )
    .await?;
    Ok(joined)
}

/// Moves some of the incident's conversations to a new incident like it.
async fn split(
    tx: &Tx<'_>,
    incident: &IncidentRow,
    ids: &Vec<i64>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let mine = linked(tx, incident.id).await?;
    if ids.is_empty() || ids.iter().any(|i| !mine.contains(i)) || ids.len() == mine.len() {
        return Err(StoreError::Invalid(
            "a split takes some, not all, of the incident's conversations".into(),
        ));
    }
    let new = Box::pin(open_incident(
        tx,
        &NewIncident {
            tenant_id: incident.tenant_id,
            shop_id: incident.shop_id,
            level: incident.level,
            rule: incident.rule.clone(),
            cause: incident.cause.clone(),
            opened_at: at,
            due: incident.due,
            owner_id: incident.owner_id,
            conversation_ids: ids.clone(),
            actor: actor.to_string(),
        },
    ))
    .await?;
    tx.execute(
        "DELETE FROM incident_conversations WHERE incident_id = $1 AND conversation_id = ANY($2)",
        &[&incident.id, ids],
    )
    .await?;
    timeline(
        tx,
        incident.id,
        at,
        incident_event::SPLIT,
        actor,
        &json!({"into": new, "conversation_ids": ids}),
    )
    .await?;

    Ok(new)
}

#[async_trait]
impl IncidentStore for PostgresStore {
    async fn open_incident(&self, new: NewIncident) -> Result<i64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let id = open_incident(&tx, &new).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn change_incident(
        &self,
        id: i64,
        change_: IncidentChange,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<IncidentChanged> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let out = change(&tx, id, &change_, actor, at).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn incidents(
        &self,
        tenant_id: i64,
        shop_ids: Option<Vec<i64>>,
        state: Option<String>,
    ) -> Result<Vec<IncidentRow>> {
        let mut client = self.conn().await?;
        let tx = client.build_transaction().read_only(true).start().await?;
        let mut rows: Vec<IncidentRow> = tx
            .query(
                &format!(
                    "SELECT {COLS} FROM incidents WHERE tenant_id = $1
                       AND ($2::BIGINT[] IS NULL OR shop_id = ANY($2))
                       AND ($3::TEXT IS NULL OR state = $3)
                     ORDER BY opened_at DESC, id DESC"
                ),
                &[&tenant_id, &shop_ids, &state],
            )
            .await?
            .iter()
            .map(row)
            .collect();
        for r in &mut rows {
            r.conversation_ids = linked(&tx, r.id).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    async fn incident(&self, id: i64) -> Result<Option<(IncidentRow, Vec<IncidentEventRow>)>> {
        let mut client = self.conn().await?;
        let tx = client.build_transaction().read_only(true).start().await?;
        let Some(found) = tx
            .query_opt(
                &format!("SELECT {COLS} FROM incidents WHERE id = $1"),
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let mut found = row(&found);
        found.conversation_ids = linked(&tx, id).await?;
        let events = tx
            .query(
                "SELECT at, kind, actor, data FROM incident_events WHERE incident_id = $1 ORDER BY id",
                &[&id],
            )
            .await?
            .iter()
            .map(|r| IncidentEventRow { at: r.get(0), kind: r.get(1), actor: r.get(2), data: r.get(3) })
            .collect();
        tx.commit().await?;
        Ok(Some((found, events)))
    }

    async fn open_incident_of(&self, conversation_ids: Vec<i64>) -> Result<Option<i64>> {
        let client = self.conn().await?;
        Ok(client
            .query_opt(
                "SELECT i.id FROM incident_conversations ic JOIN incidents i ON i.id = ic.incident_id
                 WHERE ic.conversation_id = ANY($1) AND i.state = $2
                 GROUP BY i.id ORDER BY count(*) DESC, i.id LIMIT 1",
                &[&conversation_ids, &incident_state::OPEN],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn complaints_since(&self, since: DateTime<Utc>) -> Result<Vec<StoredComplaint>> {
        let client = self.conn().await?;
        Ok(client
            .query(
                "SELECT c.id, c.shop_id, c.customer_id, m.created_at, m.body, o.carrier, o.items,
                        o.buyer_postcode
                 FROM conversations c
                 JOIN LATERAL (SELECT created_at, body FROM messages
                               WHERE conversation_id = c.id AND direction = 'inbound'
                               ORDER BY id LIMIT 1) m ON true
                 LEFT JOIN orders o ON o.id = c.order_id
                 WHERE c.complaint AND m.created_at >= $1
                 ORDER BY m.created_at, c.id",
                &[&since],
            )
            .await?
            .iter()
            .map(|r| StoredComplaint {
                conversation_id: r.get(0),
                shop_id: r.get(1),
                customer_id: r.get(2),
                at: r.get(3),
                text: r.get(4),
                carrier: r.get(5),
                sku: r.get::<_, Option<String>>(6).as_deref().and_then(first_sku),
                postcode: r.get(7),
            })
            .collect())
    }
}
