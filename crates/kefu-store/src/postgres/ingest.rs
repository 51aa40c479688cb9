//! A buyer's message on PostgreSQL, in named steps on the caller's transaction: lock the
//! buyer, skip a message stored already, continue or open the conversation, store the message,
//! and record what it started.

use super::*;

pub(super) async fn ingest_tx(tx: &Tx<'_>, m: &Inbound) -> Result<IngestOutcome> {
    require_shop(tx, m.shop_id).await?;
    let customer_id = lock_buyer(tx, m).await?;
    if let Some(seen) = stored_already(tx, m).await? {
        return Ok(seen);
    }
    let order_id = order_named(tx, m).await?;
    let latest = latest_conversation(tx, customer_id).await?;
    let (conversation_id, new_conversation, replied) = match latest {
        Some((id, before, replied)) => {
            continue_conversation(tx, m, id, before, order_id).await?;
            (id, false, replied)
        }
        None => (
            open_conversation(tx, m, customer_id, order_id).await?,
            true,
            false,
        ),
    };
    let message_id = insert_inbound(tx, m, conversation_id).await?;
    record_received(tx, m, conversation_id, message_id, order_id, replied).await?;
    apply_routing_and_flags(tx, conversation_id, message_id, m.received_at, m).await?;
    Ok(IngestOutcome {
        conversation_id,
        message_id,
        duplicate: false,
        new_conversation,
    })
}

/// Creates or updates the buyer's `customers` row and returns its id. The upsert locks the
/// row: the buyer's concurrent messages queue here.
async fn lock_buyer(tx: &Tx<'_>, m: &Inbound) -> Result<i64> {
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
    Ok(tx
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
                &m.received_at,
            ],
        )
        .await?
        .get(0))
}

/// The outcome of the earlier delivery when this message (by its external id) is stored
/// already.
async fn stored_already(tx: &Tx<'_>, m: &Inbound) -> Result<Option<IngestOutcome>> {
    let Some(ext) = &m.external_id else {
        return Ok(None);
    };
    let row = tx
        .query_opt(
            &st(
                tx,
                "SELECT id, conversation_id FROM messages WHERE shop_id = $1 AND external_id = $2",
            )
            .await?,
            &[&m.shop_id, ext],
        )
        .await?;
    Ok(row.map(|row| IngestOutcome {
        message_id: row.get(0),
        conversation_id: row.get(1),
        duplicate: true,
        new_conversation: false,
    }))
}

/// The shop's order the message names, when it names one the shop has.
async fn order_named(tx: &Tx<'_>, m: &Inbound) -> Result<Option<i64>> {
    let Some(ext) = &m.order_external_id else {
        return Ok(None);
    };
    Ok(tx
        .query_opt(
            &st(
                tx,
                "SELECT id FROM orders WHERE shop_id = $1 AND external_id = $2",
            )
            .await?,
            &[&m.shop_id, ext],
        )
        .await?
        .map(|r| r.get(0)))
}

/// The buyer's latest conversation when the message continues it (`decisions::continues`):
/// its id, status and whether the desk has replied in it.
async fn latest_conversation(
    tx: &Tx<'_>,
    customer_id: i64,
) -> Result<Option<(i64, ConversationStatus, bool)>> {
    let latest = tx
        .query_opt(
            &st(tx, "SELECT id, status, replied FROM conversations WHERE customer_id = $1 ORDER BY id DESC LIMIT 1").await?,
            &[&customer_id],
        )
        .await?
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1), r.get::<_, bool>(2)));
    match latest {
        Some((id, status, replied)) => {
            let status: ConversationStatus = parse_enum(&status)?;
            Ok(decisions::continues(status).then_some((id, status, replied)))
        }
        None => Ok(None),
    }
}

/// The buyer's language for the conversation: the message's, else what they told us.
fn language_of(m: &Inbound) -> Option<&String> {
    m.language.as_ref().or(m.customer_language.as_ref())
}

/// Moves the conversation on for the message (reopening it if it was waiting or resolved).
async fn continue_conversation(
    tx: &Tx<'_>,
    m: &Inbound,
    id: i64,
    before: ConversationStatus,
    order_id: Option<i64>,
) -> Result<()> {
    let at = m.received_at;
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
        &[&id, &after.as_str(), &at, &order_id, &language_of(m)],
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
    Ok(())
}

/// Opens a new conversation for the message and returns its id.
async fn open_conversation(
    tx: &Tx<'_>,
    m: &Inbound,
    customer_id: i64,
    order_id: Option<i64>,
) -> Result<i64> {
    let at = m.received_at;
    let id: i64 = tx
        .query_one(
            &st(
                tx,
                "INSERT INTO conversations (shop_id, customer_id, order_id, status, channel,
                         language, created_at, updated_at, last_inbound_at, message_count)
                     VALUES ($1, $2, $3, 'new', $4, $5, $6, $6, $6, 1) RETURNING id",
            )
            .await?,
            &[
                &m.shop_id,
                &customer_id,
                &order_id,
                &m.channel.as_str(),
                &language_of(m),
                &at,
            ],
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
    Ok(id)
}

async fn insert_inbound(tx: &Tx<'_>, m: &Inbound, conversation_id: i64) -> Result<i64> {
    Ok(tx
        .query_one(
            &st(tx, "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language, external_id, created_at, reply_to)
             VALUES ($1, $2, 'inbound', $3, $4, $5, $6, $7, $8) RETURNING id").await?,
            &[&conversation_id, &m.shop_id, &m.channel.as_str(), &m.body, &m.language, &m.external_id, &m.received_at, &m.reply_to],
        )
        .await?
        .get(0))
}

/// Opens the clocks the message starts and records them with it, in its `message_received`
/// event.
async fn record_received(
    tx: &Tx<'_>,
    m: &Inbound,
    conversation_id: i64,
    message_id: i64,
    order_id: Option<i64>,
    replied: bool,
) -> Result<()> {
    let at = m.received_at;
    let mut data = decisions::received_data(message_id, m, order_id.is_some());
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
    .await
}
