//! Routing's reads and writes: the candidates `routing::choose` weighs, and recording the
//! choice.

use super::*;

/// The agents who may work on a shop, with what routing weighs: languages, open load, room,
/// membership of the high-value team `team_id`, last assignment.
pub(super) async fn routing_candidates(
    tx: &Tx<'_>,
    tenant_id: i64,
    shop_id: i64,
    team_id: Option<i64>,
) -> Result<Vec<routing::Candidate>> {
    let sql = format!(
        "SELECT a.id, a.languages::text,
                (SELECT COUNT(*) FROM conversations x WHERE x.assignee_id = a.id
                   AND x.status IN {open}),
                a.max_open::bigint,
                ($3::bigint IS NOT NULL
                 AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = $3)),
                a.last_assigned_at
         FROM agents a
         WHERE a.tenant_id = $1 AND a.available AND a.role IN ('agent', 'supervisor')
           AND (NOT EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id)
                OR EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id AND g.shop_id = $2))
         ORDER BY a.id",
        open = *status_sets::OPEN
    );
    let rows = tx
        .query(&st(tx, &sql).await?, &[&tenant_id, &shop_id, &team_id])
        .await?;
    Ok(rows
        .iter()
        .map(|r| routing::Candidate {
            agent_id: r.get(0),
            languages: serde_json::from_str(r.get(1)).unwrap_or_default(),
            open_load: r.get(2),
            max_open: r.get(3),
            in_team: r.get(4),
            last_assigned: r
                .get::<_, Option<DateTime<Utc>>>(5)
                .map(|t| t.timestamp_micros()),
        })
        .collect())
}

/// Picks and records the agent for a conversation (see `Store::assign`; the choice is
/// `routing::choose`). The chosen agent's row is locked before it is given the conversation,
/// so two nodes assigning at once queue on it.
pub(super) async fn assign_tx(
    tx: &Tx<'_>,
    conversation_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<i64>> {
    // The conversation, the shop's own choice of routing, and the tenant's high-value team.
    let row = tx
        .query_one(
            &st(
                tx,
                "SELECT s.tenant_id, co.language, co.assignee_id, co.shop_id, s.settings->>'routing',
                        co.high_value, t.id, t.routing
                 FROM conversations co JOIN shops s ON s.id = co.shop_id
                 LEFT JOIN LATERAL (SELECT id, routing FROM teams
                                    WHERE tenant_id = s.tenant_id AND high_value
                                    ORDER BY id LIMIT 1) t ON TRUE
                 WHERE co.id = $1",
            )
            .await?,
            &[&conversation_id],
        )
        .await?;
    let (tenant_id, language, current, shop_id): (i64, Option<String>, Option<i64>, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let (shop_routing, high_value, team_id, team_routing): (
        Option<String>,
        bool,
        Option<i64>,
        Option<String>,
    ) = (row.get(4), row.get(5), row.get(6), row.get(7));
    let candidates = routing_candidates(tx, tenant_id, shop_id, team_id).await?;
    let need = routing::Need {
        language: language.as_deref(),
        high_value,
        team_mode: team_id.map(|_| routing::Mode::from_setting(team_routing.as_deref())),
        shop_mode: routing::Mode::from_setting(shop_routing.as_deref()),
    };
    let agent = routing::choose(&need, &candidates);
    if let Some(agent_id) = agent {
        tx.execute(
            &st(tx, "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE").await?,
            &[&agent_id],
        )
        .await?;
    }
    if agent.is_none() && current.is_none() {
        // Nobody to give it to and nobody had it: nothing changes, nothing to record.
        return Ok(None);
    }
    give(
        tx,
        conversation_id,
        agent,
        at,
        "routing",
        json!({"agent_id": agent}),
    )
    .await?;
    Ok(agent)
}

/// Records routing's choice: the conversation's assignee (or none), the agent's last
/// assignment, and the `assigned` event with `data`.
async fn give(
    tx: &Tx<'_>,
    conversation_id: i64,
    agent: Option<i64>,
    at: DateTime<Utc>,
    actor: &str,
    data: Value,
) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET assignee_id = $2 WHERE id = $1",
        &[&conversation_id, &agent],
    )
    .await?;
    if let Some(agent_id) = agent {
        tx.execute(
            "UPDATE agents SET last_assigned_at = $2 WHERE id = $1",
            &[&agent_id, &at],
        )
        .await?;
    }
    add_event(tx, conversation_id, at, event_kind::ASSIGNED, actor, data).await
}

/// Gives the conversation to a member of `team_id` with room (see `Store::assign_to_team`).
pub(super) async fn assign_to_team_tx(
    tx: &Tx<'_>,
    conversation_id: i64,
    team_id: i64,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Option<i64>> {
    let row = tx
        .query_opt(
            &st(
                tx,
                "SELECT s.tenant_id, co.language, co.assignee_id, co.shop_id, t.routing
                 FROM conversations co JOIN shops s ON s.id = co.shop_id
                 LEFT JOIN teams t ON t.id = $2 AND t.tenant_id = s.tenant_id
                 WHERE co.id = $1",
            )
            .await?,
            &[&conversation_id, &team_id],
        )
        .await?;
    let Some((tenant_id, language, current, shop_id, Some(team_routing))) = row.map(|r| {
        (
            r.get::<_, i64>(0),
            r.get::<_, Option<String>>(1),
            r.get::<_, Option<i64>>(2),
            r.get::<_, i64>(3),
            r.get::<_, Option<String>>(4),
        )
    }) else {
        return Err(StoreError::NotFound(format!(
            "conversation {conversation_id} or team {team_id} does not exist"
        )));
    };
    let candidates = routing_candidates(tx, tenant_id, shop_id, Some(team_id)).await?;
    let mode = routing::Mode::from_setting(Some(&team_routing));
    let Some(agent) = routing::choose_in_team(language.as_deref(), mode, &candidates)
        .filter(|a| Some(*a) != current)
    else {
        return Ok(current);
    };
    tx.execute(
        &st(tx, "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE").await?,
        &[&agent],
    )
    .await?;
    let data = json!({"agent_id": agent, "team_id": team_id});
    give(tx, conversation_id, Some(agent), at, actor, data).await?;
    Ok(Some(agent))
}
