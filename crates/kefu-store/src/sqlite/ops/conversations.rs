//! Replies, notes, status, clocks and their breaches, and reading a conversation.

use super::*;

/// A conversation's shop, status and channel, or a NotFound that names it.
pub(super) fn conversation_head(c: &Connection, id: i64) -> Result<(i64, String, String)> {
    c.prepare_cached("SELECT shop_id, status, channel FROM conversations WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {id} does not exist")))
}

pub fn add_reply(c: &Connection, cache: &mut WriterCache, r: &NewReply) -> Result<ReplyOutcome> {
    cache.forget_conversation(r.conversation_id);
    let (shop_id, status, channel) = conversation_head(c, r.conversation_id)?;
    let before: ConversationStatus = status
        .parse()
        .map_err(|e: kefu_core::InvalidInput| StoreError::Backend(e.0))?;
    let after = decisions::status_after_reply(before, r.automatic);
    let at = micros(r.at);
    let message_id: i64 = c
        .prepare_cached(
            "INSERT INTO messages (conversation_id, shop_id, direction, channel, author_agent_id, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )?
        .query_row(
            params![r.conversation_id, shop_id, Direction::Outbound.as_str(), channel, r.agent_id, r.body, at],
            |row| row.get(0),
        )?;
    c.prepare_cached(
        "UPDATE conversations SET status = ?2, updated_at = ?3, message_count = message_count + 1,
             replied = MAX(replied, ?4) WHERE id = ?1",
    )?
    .execute(params![r.conversation_id, after.as_str(), at, !r.automatic])?;
    let outbound = match decisions::reply_route(&channel) {
        ReplyRoute::Outbox => true,
        ReplyRoute::Direct => false,
        ReplyRoute::OutboxIfConnectorThread => c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND reply_to IS NOT NULL)",
            )?
            .query_row([r.conversation_id], |row| row.get::<_, bool>(0))?,
    };
    if outbound {
        c.prepare_cached(
            "INSERT INTO outbox (message_id, conversation_id, channel, recipient, state, next_attempt_at)
             SELECT ?1, ?2, ?3, cu.handle, 'pending', ?4
             FROM conversations co JOIN customers cu ON cu.id = co.customer_id WHERE co.id = ?2",
        )?
        .execute(params![message_id, r.conversation_id, channel, at])?;
    }
    let data = decisions::reply_sent_data(message_id, outbound, r);
    add_event(
        c,
        r.conversation_id,
        at,
        event_kind::REPLY_SENT,
        &r.actor,
        &data,
    )?;
    if after != before {
        add_event(
            c,
            r.conversation_id,
            at,
            event_kind::STATUS_CHANGED,
            &r.actor,
            &json!({"from": before.as_str(), "to": after.as_str()}),
        )?;
    }
    let mut met = Vec::new();
    for clock in &r.closes_clocks {
        let clock = clock.as_str();
        answer_breaches(c, r.conversation_id, clock, at)?;
        let mut stmt = c.prepare_cached(
            "UPDATE obligations SET state = 'met', closed_at = ?3
             WHERE conversation_id = ?1 AND clock = ?2 AND state = 'open' RETURNING id, rule",
        )?;
        let closed: Vec<(i64, String)> = stmt
            .query_map(params![r.conversation_id, clock, at], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, rule) in closed {
            add_event(
                c,
                r.conversation_id,
                at,
                event_kind::OBLIGATION_MET,
                &r.actor,
                &json!({"obligation_id": id, "rule": rule, "message_id": message_id}),
            )?;
            met.push(id);
        }
    }
    Ok(ReplyOutcome {
        message_id,
        met_obligations: met,
    })
}

pub fn add_note(c: &Connection, n: &crate::NewNote) -> Result<i64> {
    let (shop_id, _, _) = conversation_head(c, n.conversation_id)?;
    let at = micros(n.at);
    c.prepare_cached(
        "INSERT INTO messages (conversation_id, shop_id, direction, channel, author_agent_id, body, created_at)
         VALUES (?1, ?2, 'note', 'api', ?3, ?4, ?5)",
    )?
    .execute(params![n.conversation_id, shop_id, n.agent_id, n.body, at])?;
    let id = c.last_insert_rowid();
    c.prepare_cached(
        "UPDATE conversations SET message_count = message_count + 1, updated_at = ?2 WHERE id = ?1",
    )?
    .execute(params![n.conversation_id, at])?;
    add_event(
        c,
        n.conversation_id,
        at,
        event_kind::NOTE_ADDED,
        &n.actor,
        &json!({"message_id": id}),
    )?;
    Ok(id)
}

pub fn conversation(c: &Connection, id: i64) -> Result<Option<ConversationDetail>> {
    let sql = format!(
        "SELECT {} FROM conversations WHERE id = ?1",
        rows::CONVERSATION_COLS
    );
    let Some(conversation) = c
        .prepare_cached(&sql)?
        .query_row([id], rows::conversation)
        .optional()?
    else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {} FROM customers WHERE id = ?1",
        rows::CUSTOMER_COLS
    );
    let customer = c
        .prepare_cached(&sql)?
        .query_row([conversation.customer_id], rows::customer)?;
    let order = match conversation.order_id {
        Some(order_id) => {
            let sql = format!("SELECT {} FROM orders WHERE id = ?1", rows::ORDER_COLS);
            c.prepare_cached(&sql)?
                .query_row([order_id], rows::order)
                .optional()?
        }
        None => None,
    };
    let order_claim: Option<String> = c
        .prepare_cached("SELECT order_claim FROM conversations WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let list = |table: &str, cols: &str| {
        format!("SELECT {cols} FROM {table} WHERE conversation_id = ?1 ORDER BY id")
    };
    let messages = c
        .prepare_cached(&list("messages", rows::MESSAGE_COLS))?
        .query_map([id], rows::message)?
        .collect::<rusqlite::Result<_>>()?;
    let events = c
        .prepare_cached(&list("events", rows::EVENT_COLS))?
        .query_map([id], rows::event)?
        .collect::<rusqlite::Result<_>>()?;
    let obligations = c
        .prepare_cached(&list("obligations", rows::OBLIGATION_COLS))?
        .query_map([id], rows::obligation)?
        .collect::<rusqlite::Result<_>>()?;
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

pub fn log_event(
    c: &Connection,
    conversation_id: i64,
    at: chrono::DateTime<Utc>,
    kind: &str,
    actor: &str,
    data: &serde_json::Value,
) -> Result<()> {
    conversation_head(c, conversation_id)?;
    add_event(c, conversation_id, micros(at), kind, actor, data)
}

pub fn mark_complaint(
    c: &Connection,
    conversation_id: i64,
    complaint: bool,
    actor: &str,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    conversation_head(c, conversation_id)?;
    c.prepare_cached("UPDATE conversations SET complaint = ?2 WHERE id = ?1")?
        .execute(params![conversation_id, complaint])?;
    add_event(
        c,
        conversation_id,
        micros(at),
        kefu_core::event_kind::COMPLAINT_MARKED,
        actor,
        &serde_json::json!({ "complaint": complaint }),
    )
}

pub fn set_status(c: &Connection, cache: &mut WriterCache, ch: &StatusChange) -> Result<()> {
    cache.forget_conversation(ch.conversation_id);
    let (_, before, _) = conversation_head(c, ch.conversation_id)?;
    if before == ch.status.as_str() {
        return Ok(());
    }
    let at = micros(ch.at);
    c.prepare_cached("UPDATE conversations SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![ch.conversation_id, ch.status.as_str(), at])?;
    let (met, opened) = change_clocks(c, ch.conversation_id, at, &ch.closes_clocks, &ch.opens)?;
    if !ch.status.is_active() {
        // A finished conversation owes nothing for the clocks it missed: off the overdue list.
        c.prepare_cached(
            "UPDATE obligations SET answered_at = ?2
             WHERE conversation_id = ?1 AND state = 'breached' AND answered_at IS NULL",
        )?
        .execute(params![ch.conversation_id, at])?;
    }
    let mut data = json!({"from": before, "to": ch.status.as_str(), "reason": ch.reason});
    if !met.is_empty() {
        data["obligations_met"] = json!(met);
    }
    if !opened.is_empty() {
        data["obligations_opened"] = json!(opened);
    }
    add_event(
        c,
        ch.conversation_id,
        at,
        event_kind::STATUS_CHANGED,
        &ch.actor,
        &data,
    )
}

pub fn start_clocks(c: &Connection, cache: &mut WriterCache, s: &ClockStart) -> Result<Vec<i64>> {
    cache.forget_conversation(s.conversation_id);
    conversation_head(c, s.conversation_id)?;
    let at = micros(s.at);
    let (_, opened) = change_clocks(c, s.conversation_id, at, &[], &s.obligations)?;
    let ids = opened
        .iter()
        .filter_map(|o| o["obligation_id"].as_i64())
        .collect();
    add_event(
        c,
        s.conversation_id,
        at,
        event_kind::CLOCKS_STARTED,
        &s.actor,
        &json!({"trigger": s.trigger, "obligations_opened": opened}),
    )?;
    Ok(ids)
}

pub fn record_step(c: &Connection, cache: &mut WriterCache, s: &crate::FlowStep) -> Result<()> {
    cache.forget_conversation(s.conversation_id);
    conversation_head(c, s.conversation_id)?;
    let at = micros(s.at);
    let (met, opened) = change_clocks(c, s.conversation_id, at, &s.closes, &s.opens)?;
    let mut data = s.data.clone();
    if !met.is_empty() {
        data["obligations_met"] = json!(met);
    }
    if !opened.is_empty() {
        data["obligations_opened"] = json!(opened);
    }
    add_event(c, s.conversation_id, at, &s.kind, &s.actor, &data)
}

/// Marks the breached obligations of `clock` answered: the desk has now done what the clock
/// asked, late, so the conversation is no longer overdue in the inbox (the breach stays).
pub(super) fn answer_breaches(
    c: &Connection,
    conversation_id: i64,
    clock: &str,
    at: i64,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE obligations SET answered_at = ?3
         WHERE conversation_id = ?1 AND clock = ?2 AND state = 'breached' AND answered_at IS NULL",
    )?
    .execute(params![conversation_id, clock, at])?;
    Ok(())
}

/// Meets the open obligations of the `closes` clocks and opens `opens` (skipping a rule that is
/// already running). Returns the met obligations' ids and the opened ones for the event log.
pub(super) fn change_clocks(
    c: &Connection,
    conversation_id: i64,
    at: i64,
    closes: &[kefu_core::ClockKind],
    opens: &[crate::ClockOpen],
) -> Result<(Vec<i64>, Vec<serde_json::Value>)> {
    let mut met = Vec::new();
    for clock in closes {
        let clock = clock.as_str();
        answer_breaches(c, conversation_id, clock, at)?;
        let ids: Vec<i64> = c
            .prepare_cached(
                "UPDATE obligations SET state = 'met', closed_at = ?3
                 WHERE conversation_id = ?1 AND clock = ?2 AND state = 'open' RETURNING id",
            )?
            .query_map(params![conversation_id, clock, at], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        met.extend(ids);
    }
    let mut opened = Vec::new();
    for ob in opens {
        let running = c
            .prepare_cached("SELECT 1 FROM obligations WHERE conversation_id = ?1 AND rule = ?2 AND state = 'open'")?
            .exists(params![conversation_id, ob.rule])?;
        if running {
            continue;
        }
        c.prepare_cached(
            "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, explanation, escalate_on_breach)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8)",
        )?
        .execute(params![conversation_id, ob.rule, ob.clock.as_str(), ob.severity.as_str(), micros(ob.due), at, ob.explanation, ob.escalate_on_breach])?;
        let id = c.last_insert_rowid();
        opened.push(json!({"obligation_id": id, "rule": ob.rule, "clock": ob.clock, "due": ob.due.to_rfc3339()}));
    }
    Ok((met, opened))
}

pub fn breach_due(
    c: &Connection,
    cache: &mut WriterCache,
    now: chrono::DateTime<Utc>,
    limit: i64,
) -> Result<Vec<crate::Breach>> {
    let at = micros(now);
    type Due = (i64, i64, String, String, String, i64, bool);
    let due: Vec<Due> = c
        .prepare_cached(
            "SELECT id, conversation_id, rule, clock, severity, due_at, escalate_on_breach FROM obligations
             WHERE state = 'open' AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
        )?
        .query_map(params![at, limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(due.len());
    for (id, conversation_id, rule, clock, severity, due_at, escalate_on_breach) in due {
        cache.forget_conversation(conversation_id);
        c.prepare_cached(
            "UPDATE obligations SET state = 'breached', closed_at = ?2 WHERE id = ?1",
        )?
        .execute(params![id, at])?;
        add_event(
            c,
            conversation_id,
            at,
            event_kind::OBLIGATION_BREACHED,
            "scheduler",
            &json!({"obligation_id": id, "rule": rule, "clock": clock, "severity": severity, "due": rows::time(due_at).to_rfc3339()}),
        )?;
        let severity: kefu_core::Severity = severity
            .parse()
            .map_err(|e: kefu_core::InvalidInput| StoreError::Backend(e.0))?;
        let mut escalated = false;
        if escalate_on_breach {
            // The rulebook asked for it: a missed platform limit puts the conversation in
            // front of a supervisor.
            let n = c
                .prepare_cached(&format!(
                    "UPDATE conversations SET status = 'escalated', updated_at = ?2
                     WHERE id = ?1 AND status IN {}",
                    *status_sets::ESCALATES_ON_BREACH
                ))?
                .execute(params![conversation_id, at])?;
            if n > 0 {
                escalated = true;
                add_event(
                    c,
                    conversation_id,
                    at,
                    event_kind::STATUS_CHANGED,
                    "scheduler",
                    &json!({"to": "escalated", "reason": format!("{rule} breached")}),
                )?;
            }
        }
        out.push(crate::Breach {
            obligation_id: id,
            conversation_id,
            rule,
            clock: clock
                .parse()
                .map_err(|e: kefu_core::InvalidInput| StoreError::Backend(e.0))?,
            severity,
            due: rows::time(due_at),
            escalated,
        });
    }
    Ok(out)
}

pub fn obligations(
    c: &Connection,
    f: &crate::ObligationFilter,
) -> Result<Vec<kefu_core::Obligation>> {
    let cols = rows::OBLIGATION_COLS
        .split(", ")
        .map(|col| format!("o.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    // The state is inlined (it is one of the enum's own words) so that `state = 'open'` lets
    // SQLite use the partial open-due index instead of sorting every obligation.
    let state = f
        .state
        .map(|s| format!("AND o.state = '{}'", s.as_str()))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {cols} FROM obligations o
         JOIN conversations c ON c.id = o.conversation_id
         JOIN shops s ON s.id = c.shop_id
         WHERE s.tenant_id = ?1 {state} AND (?2 IS NULL OR o.due_at < ?2)
           AND (?3 IS NULL OR c.shop_id = ?3)
           AND (?5 IS NULL OR o.due_at > ?5 OR (o.due_at = ?5 AND o.id > ?6))
         ORDER BY o.due_at, o.id LIMIT ?4"
    );
    let out = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                f.tenant_id,
                f.due_before.map(micros),
                f.shop_id,
                f.limit,
                f.after.map(|a| micros(a.0)),
                f.after.map(|a| a.1)
            ],
            rows::obligation,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}
