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
    ob: &NewObligation,
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

#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub(super) async fn ingest_tx(tx: &Tx<'_>, m: &Inbound) -> Result<IngestOutcome> {
    require_shop(tx, m.shop_id).await?;
    if let Some(ext) = &m.external_id {
        // Two deliveries of one message may come from different buyers' queues at once: lock
        // the (shop, external id) pair so exactly one of them stores it. Taken before any row
        // lock, and only one per transaction, so it cannot deadlock.
        tx.execute(
            &st(tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, $2))").await?,
            &[&ext.as_str(), &m.shop_id],
        )
        .await?;
    }
    let at = m.received_at;
    // The upsert locks the buyer's row: their concurrent messages queue here.
    let customer_id: i64 = tx
        .query_one(
            &st(
                tx,
                "INSERT INTO customers (shop_id, handle, name, language, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (shop_id, handle) DO UPDATE SET
                 name = COALESCE(EXCLUDED.name, customers.name),
                 language = COALESCE(EXCLUDED.language, customers.language)
             RETURNING id",
            )
            .await?,
            &[
                &m.shop_id,
                &m.customer_handle,
                &m.customer_name,
                &m.customer_language,
                &at,
            ],
        )
        .await?
        .get(0);
    if let Some(ext) = &m.external_id
        && let Some(row) = tx
            .query_opt(
                &st(tx, "SELECT id, conversation_id FROM messages WHERE shop_id = $1 AND external_id = $2").await?,
                &[&m.shop_id, ext],
            )
            .await?
    {
        return Ok(IngestOutcome {
            message_id: row.get(0),
            conversation_id: row.get(1),
            duplicate: true,
            new_conversation: false,
        });
    }
    let order_id: Option<i64> = match &m.order_external_id {
        Some(ext) => tx
            .query_opt(
                &st(
                    tx,
                    "SELECT id FROM orders WHERE shop_id = $1 AND external_id = $2",
                )
                .await?,
                &[&m.shop_id, ext],
            )
            .await?
            .map(|r| r.get(0)),
        None => None,
    };
    let latest = tx
        .query_opt(
            &st(tx, "SELECT id, status, replied FROM conversations WHERE customer_id = $1 ORDER BY id DESC LIMIT 1").await?,
            &[&customer_id],
        )
        .await?
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1), r.get::<_, bool>(2)));
    let language = m.language.as_ref().or(m.customer_language.as_ref());
    let continuing = match latest {
        Some((id, status, replied)) => {
            let status: ConversationStatus = parse_enum(&status)?;
            decisions::continues(status).then_some((id, status, replied))
        }
        None => None,
    };
    let (conversation_id, new_conversation, replied) = match continuing {
        Some((id, before, replied)) => {
            let after = before.after_inbound();
            tx.execute(
                &st(
                    tx,
                    "UPDATE conversations SET status = $2, updated_at = $3, last_inbound_at = $3,
                     message_count = message_count + 1, order_id = COALESCE(order_id, $4),
                     order_claim = CASE WHEN $4::bigint IS NULL THEN order_claim ELSE NULL END,
                     language = COALESCE($5, language)
                 WHERE id = $1",
                )
                .await?,
                &[&id, &after.as_str(), &at, &order_id, &language],
            )
            .await?;
            if after != before {
                add_event(
                    tx,
                    id,
                    at,
                    event_kind::CONVERSATION_REOPENED,
                    "buyer",
                    json!({"from": before.as_str(), "to": after.as_str()}),
                )
                .await?;
            }
            (id, false, replied)
        }
        None => {
            let id: i64 = tx
                .query_one(
                    &st(tx, "INSERT INTO conversations (shop_id, customer_id, order_id, status, channel,
                         language, created_at, updated_at, last_inbound_at, message_count)
                     VALUES ($1, $2, $3, 'new', $4, $5, $6, $6, $6, 1) RETURNING id").await?,
                    &[&m.shop_id, &customer_id, &order_id, &m.channel.as_str(), &language, &at],
                )
                .await?
                .get(0);
            add_event(
                tx,
                id,
                at,
                event_kind::CONVERSATION_OPENED,
                "buyer",
                json!({"channel": m.channel.as_str()}),
            )
            .await?;
            (id, true, false)
        }
    };
    let message_id: i64 = tx
        .query_one(
            &st(tx, "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language, external_id, created_at, reply_to)
             VALUES ($1, $2, 'inbound', $3, $4, $5, $6, $7, $8) RETURNING id").await?,
            &[&conversation_id, &m.shop_id, &m.channel.as_str(), &m.body, &m.language, &m.external_id, &at, &m.reply_to],
        )
        .await?
        .get(0);
    let mut data = decisions::received_data(message_id, m, order_id.is_some());
    // The clocks this message starts are recorded with it, in the same event.
    let mut opened = Vec::new();
    for ob in decisions::clocks_to_start(m, replied) {
        opened.extend(open_obligation(tx, conversation_id, at, ob).await?);
    }
    if !opened.is_empty() {
        data["obligations_opened"] = json!(opened);
    }
    add_event(
        tx,
        conversation_id,
        at,
        event_kind::MESSAGE_RECEIVED,
        "buyer",
        data,
    )
    .await?;
    apply_routing_and_flags(tx, conversation_id, message_id, at, m).await?;
    Ok(IngestOutcome {
        conversation_id,
        message_id,
        duplicate: false,
        new_conversation,
    })
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

#[allow(clippy::too_many_lines)] // TODO(issue 11): split
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

/// Meets the open obligations of the `closes` clocks and opens `opens` (a running rule is not
/// restarted). Returns the met ids and the opened obligations for the event log.
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

pub(super) async fn change_clocks(
    tx: &Tx<'_>,
    conversation_id: i64,
    at: DateTime<Utc>,
    closes: &[kefu_core::ClockKind],
    opens: &[NewObligation],
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
