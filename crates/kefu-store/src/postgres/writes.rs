//! The steps of the writes, each on the caller's transaction: a buyer's message, a reply,
//! a conversation's clocks, the event log.

use super::*;

pub(super) async fn add_event(
    tx: &Tx<'_>,
    conversation_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &str,
    data: Value,
) -> Result<()> {
    tx.execute(
        &st(tx, "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5)").await?,
        &[&conversation_id, &at, &kind, &actor, &data],
    )
    .await?;
    Ok(())
}

pub(super) async fn require_shop(tx: &Tx<'_>, shop_id: i64) -> Result<()> {
    match tx
        .query_opt(
            &st(tx, "SELECT 1 FROM shops WHERE id = $1").await?,
            &[&shop_id],
        )
        .await?
    {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!(
            "shop {shop_id} does not exist"
        ))),
    }
}

/// Writes what the rulebook's plan asked of a buyer's message beyond its clocks: the
/// high-value routing need (sticky) and the flags for a supervisor, each as a `flagged` event.
pub(super) async fn apply_routing_and_flags(
    tx: &Tx<'_>,
    conversation_id: i64,
    message_id: i64,
    at: DateTime<Utc>,
    m: &Inbound,
) -> Result<()> {
    if m.high_value {
        tx.execute(
            &st(
                tx,
                "UPDATE conversations SET high_value = TRUE WHERE id = $1 AND NOT high_value",
            )
            .await?,
            &[&conversation_id],
        )
        .await?;
    }
    if m.complaint {
        tx.execute(
            &st(
                tx,
                "UPDATE conversations SET complaint = TRUE WHERE id = $1 AND NOT complaint",
            )
            .await?,
            &[&conversation_id],
        )
        .await?;
    }
    for flag in &m.flags {
        add_event(
            tx,
            conversation_id,
            at,
            event_kind::FLAGGED,
            "rulebook",
            json!({"rule": flag.rule, "reason": flag.reason, "message_id": message_id}),
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn open_obligation(
    tx: &Tx<'_>,
    conversation_id: i64,
    at: DateTime<Utc>,
    ob: &ClockOpen,
) -> Result<Option<Value>> {
    // A clock runs from the buyer's first unanswered message: a running rule is not restarted.
    let running = tx
        .query_opt(
            &st(tx, "SELECT 1 FROM obligations WHERE conversation_id = $1 AND rule = $2 AND state = 'open'").await?,
            &[&conversation_id, &ob.rule],
        )
        .await?
        .is_some();
    if running {
        return Ok(None);
    }
    let row = tx
        .query_one(
            &st(tx, "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, explanation, escalate_on_breach)
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8) RETURNING id").await?,
            &[&conversation_id, &ob.rule, &ob.clock.as_str(), &ob.severity.as_str(), &ob.due, &at, &ob.explanation, &ob.escalate_on_breach],
        )
        .await?;
    let id: i64 = row.get(0);
    Ok(Some(
        json!({"obligation_id": id, "rule": ob.rule, "clock": ob.clock, "due": ob.due.to_rfc3339()}),
    ))
}

/// Locks a conversation's row for the transaction and returns its shop, status and channel,
/// or says it does not exist.
pub(super) async fn lock_conversation(tx: &Tx<'_>, id: i64) -> Result<(i64, String, String)> {
    let row = tx
        .query_opt(
            &st(
                tx,
                "SELECT shop_id, status, channel FROM conversations WHERE id = $1 FOR UPDATE",
            )
            .await?,
            &[&id],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {id} does not exist")))?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

pub(super) async fn reply_tx(tx: &Tx<'_>, r: &NewReply) -> Result<ReplyOutcome> {
    let (shop_id, status, channel) = lock_conversation(tx, r.conversation_id).await?;
    let before: ConversationStatus = parse_enum(&status)?;
    let after = decisions::status_after_reply(before, r.automatic);
    let at = r.at;
    let message_id: i64 = tx
        .query_one(
            &st(tx, "INSERT INTO messages (conversation_id, shop_id, direction, channel, author_agent_id, body, created_at)
             VALUES ($1, $2, 'outbound', $3, $4, $5, $6) RETURNING id").await?,
            &[&r.conversation_id, &shop_id, &channel, &r.agent_id, &r.body, &at],
        )
        .await?
        .get(0);
    tx.execute(
        &st(tx, "UPDATE conversations SET status = $2, updated_at = $3, message_count = message_count + 1, replied = replied OR $4 WHERE id = $1").await?,
        &[&r.conversation_id, &after.as_str(), &at, &!r.automatic],
    )
    .await?;
    let outbound = match decisions::reply_route(&channel) {
        ReplyRoute::Outbox => true,
        ReplyRoute::Direct => false,
        ReplyRoute::OutboxIfConnectorThread => tx
                .query_one(
                    &st(tx, "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND reply_to IS NOT NULL)").await?,
                    &[&r.conversation_id],
                )
                .await?
                .get::<_, bool>(0),
    };
    if outbound {
        tx.execute(
            &st(
                tx,
                "INSERT INTO outbox (message_id, conversation_id, channel, recipient, state, next_attempt_at)
                 SELECT $1, $2, $3, cu.handle, 'pending', $4
                 FROM conversations co JOIN customers cu ON cu.id = co.customer_id WHERE co.id = $2",
            )
            .await?,
            &[&message_id, &r.conversation_id, &channel, &at],
        )
        .await?;
    }
    let data = decisions::reply_sent_data(message_id, outbound, r);
    add_event(
        tx,
        r.conversation_id,
        at,
        event_kind::REPLY_SENT,
        &r.actor,
        data,
    )
    .await?;
    if after != before {
        add_event(
            tx,
            r.conversation_id,
            at,
            event_kind::STATUS_CHANGED,
            &r.actor,
            json!({"from": before.as_str(), "to": after.as_str()}),
        )
        .await?;
    }
    let mut met = Vec::new();
    for clock in &r.closes_clocks {
        let clock = &clock.as_str();
        answer_breaches(tx, r.conversation_id, clock, at).await?;
        let rows = tx
            .query(
                &st(
                    tx,
                    "UPDATE obligations SET state = 'met', closed_at = $3
                 WHERE conversation_id = $1 AND clock = $2 AND state = 'open' RETURNING id, rule",
                )
                .await?,
                &[&r.conversation_id, clock, &at],
            )
            .await?;
        for row in rows {
            let (id, rule): (i64, String) = (row.get(0), row.get(1));
            add_event(
                tx,
                r.conversation_id,
                at,
                event_kind::OBLIGATION_MET,
                &r.actor,
                json!({"obligation_id": id, "rule": rule, "message_id": message_id}),
            )
            .await?;
            met.push(id);
        }
    }
    Ok(ReplyOutcome {
        message_id,
        met_obligations: met,
    })
}

/// Marks the breached obligations of `clock` answered: the desk has now done what the clock
/// asked, late, so the conversation is no longer overdue in the inbox (the breach stays).
pub(super) async fn answer_breaches(
    tx: &Tx<'_>,
    conversation_id: i64,
    clock: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        &st(
            tx,
            "UPDATE obligations SET answered_at = $3
             WHERE conversation_id = $1 AND clock = $2 AND state = 'breached' AND answered_at IS NULL",
        )
        .await?,
        &[&conversation_id, &clock, &at],
    )
    .await?;
    Ok(())
}

/// Meets the open obligations of the `closes` clocks and opens `opens` (a running rule is not
/// restarted). Returns the met ids and the opened obligations for the event log.
pub(super) async fn change_clocks(
    tx: &Tx<'_>,
    conversation_id: i64,
    at: DateTime<Utc>,
    closes: &[kefu_core::ClockKind],
    opens: &[ClockOpen],
) -> Result<(Vec<i64>, Vec<Value>)> {
    let mut met = Vec::new();
    for clock in closes {
        let clock = &clock.as_str();
        answer_breaches(tx, conversation_id, clock, at).await?;
        let rows = tx
            .query(
                &st(
                    tx,
                    "UPDATE obligations SET state = 'met', closed_at = $3
                 WHERE conversation_id = $1 AND clock = $2 AND state = 'open' RETURNING id",
                )
                .await?,
                &[&conversation_id, clock, &at],
            )
            .await?;
        met.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
    }
    let mut opened = Vec::new();
    for ob in opens {
        opened.extend(open_obligation(tx, conversation_id, at, ob).await?);
    }
    Ok((met, opened))
}
