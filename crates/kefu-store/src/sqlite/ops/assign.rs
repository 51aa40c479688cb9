//! Routing's reads and writes: the candidates `routing::choose` weighs, and recording the
//! choice.

use super::*;

/// What routing needs of a conversation: tenant, language, current assignee, shop, the shop's
/// routing choice, the high-value flag, and the tenant's high-value team and its routing.
pub(super) type RoutingFacts = (
    i64,
    Option<String>,
    Option<i64>,
    i64,
    Option<String>,
    bool,
    Option<i64>,
    Option<String>,
);

/// The agents who may work on a shop, with what routing weighs: languages, open load, room,
/// membership of the high-value team `team_id`, last assignment.
pub(super) fn routing_candidates(
    c: &Connection,
    tenant_id: i64,
    shop_id: i64,
    team_id: Option<i64>,
) -> Result<Vec<routing::Candidate>> {
    let sql = format!(
        "SELECT a.id, a.languages,
                (SELECT COUNT(*) FROM conversations x WHERE x.assignee_id = a.id
                   AND x.status IN {open}),
                a.max_open,
                (?3 IS NOT NULL AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = ?3)),
                a.last_assigned_at
         FROM agents a
         WHERE a.tenant_id = ?1 AND a.available = 1 AND a.role IN ('agent', 'supervisor')
           AND (NOT EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id)
                OR EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id AND g.shop_id = ?2))
         ORDER BY a.id",
        open = *status_sets::OPEN
    );
    Ok(c.prepare_cached(&sql)?
        .query_map(params![tenant_id, shop_id, team_id], |r| {
            let languages: String = r.get(1)?;
            Ok(routing::Candidate {
                agent_id: r.get(0)?,
                languages: serde_json::from_str(&languages).unwrap_or_default(),
                open_load: r.get(2)?,
                max_open: r.get(3)?,
                in_team: r.get(4)?,
                last_assigned: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Picks and records the agent for a conversation (see `Store::assign`; the choice is
/// `routing::choose`).
pub fn assign(
    c: &Connection,
    conversation_id: i64,
    at: chrono::DateTime<Utc>,
    actor: &str,
) -> Result<Option<i64>> {
    let found: Option<RoutingFacts> = c
        .prepare_cached(
            "SELECT s.tenant_id, co.language, co.assignee_id, co.shop_id,
                    json_extract(s.settings, '$.routing'), co.high_value, t.id, t.routing
             FROM conversations co JOIN shops s ON s.id = co.shop_id
             LEFT JOIN teams t ON t.id = (SELECT id FROM teams
                                          WHERE tenant_id = s.tenant_id AND high_value = 1
                                          ORDER BY id LIMIT 1)
             WHERE co.id = ?1",
        )?
        .query_row([conversation_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .optional()?;
    let Some((
        tenant_id,
        language,
        current,
        shop_id,
        shop_routing,
        high_value,
        team_id,
        team_routing,
    )) = found
    else {
        return Err(StoreError::NotFound(format!(
            "conversation {conversation_id} does not exist"
        )));
    };
    let candidates = routing_candidates(c, tenant_id, shop_id, team_id)?;
    let need = routing::Need {
        language: language.as_deref(),
        high_value,
        team_mode: team_id.map(|_| routing::Mode::from_setting(team_routing.as_deref())),
        shop_mode: routing::Mode::from_setting(shop_routing.as_deref()),
    };
    let agent = routing::choose(&need, &candidates);
    if agent.is_none() && current.is_none() {
        // Nobody to give it to and nobody had it: nothing changes, nothing to record.
        return Ok(None);
    }
    give(
        c,
        conversation_id,
        agent,
        at,
        actor,
        json!({"agent_id": agent}),
    )?;
    Ok(agent)
}

/// Records routing's choice: the conversation's assignee (or none), the agent's last
/// assignment, and the `assigned` event with `data`.
fn give(
    c: &Connection,
    conversation_id: i64,
    agent: Option<i64>,
    at: chrono::DateTime<Utc>,
    actor: &str,
    data: serde_json::Value,
) -> Result<()> {
    let micros_at = micros(at);
    c.prepare_cached("UPDATE conversations SET assignee_id = ?2 WHERE id = ?1")?
        .execute(params![conversation_id, agent])?;
    if let Some(agent_id) = agent {
        c.prepare_cached("UPDATE agents SET last_assigned_at = ?2 WHERE id = ?1")?
            .execute(params![agent_id, micros_at])?;
    }
    add_event(
        c,
        conversation_id,
        micros_at,
        event_kind::ASSIGNED,
        actor,
        &data,
    )
}

/// Gives the conversation to a member of `team_id` with room (see `Store::assign_to_team`).
pub fn assign_to_team(
    c: &Connection,
    conversation_id: i64,
    team_id: i64,
    at: chrono::DateTime<Utc>,
    actor: &str,
) -> Result<Option<i64>> {
    // Tenant, language, assignee, shop, and the team's routing when it is the tenant's.
    type Facts = (i64, Option<String>, Option<i64>, i64, Option<String>);
    let found: Option<Facts> = c
        .prepare_cached(
            "SELECT s.tenant_id, co.language, co.assignee_id, co.shop_id, t.routing
             FROM conversations co JOIN shops s ON s.id = co.shop_id
             LEFT JOIN teams t ON t.id = ?2 AND t.tenant_id = s.tenant_id
             WHERE co.id = ?1",
        )?
        .query_row(params![conversation_id, team_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((tenant_id, language, current, shop_id, Some(team_routing))) = found else {
        return Err(StoreError::NotFound(format!(
            "conversation {conversation_id} or team {team_id} does not exist"
        )));
    };
    let candidates = routing_candidates(c, tenant_id, shop_id, Some(team_id))?;
    let mode = routing::Mode::from_setting(Some(&team_routing));
    let Some(agent) = routing::choose_in_team(language.as_deref(), mode, &candidates)
        .filter(|a| Some(*a) != current)
    else {
        return Ok(current);
    };
    let data = json!({"agent_id": agent, "team_id": team_id});
    give(c, conversation_id, Some(agent), at, actor, data)?;
    Ok(Some(agent))
}

pub fn set_availability(
    c: &Connection,
    cache: &mut WriterCache,
    agent_id: i64,
    available: bool,
    at: chrono::DateTime<Utc>,
) -> Result<Vec<i64>> {
    let n = c
        .prepare_cached("UPDATE agents SET available = ?2 WHERE id = ?1")?
        .execute(params![agent_id, available])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "agent {agent_id} does not exist"
        )));
    }
    if available {
        return Ok(Vec::new());
    }
    let open: Vec<i64> = c
        .prepare_cached(&format!(
            "SELECT id FROM conversations WHERE assignee_id = ?1
             AND status IN {} ORDER BY id",
            *status_sets::OPEN
        ))?
        .query_map([agent_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &open {
        cache.forget_conversation(*id);
        assign(c, *id, at, "routing")?;
    }
    Ok(open)
}
