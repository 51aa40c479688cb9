//! A buyer's message, on the writer's connection: the buyer, their conversation (continued,
//! reopened or new), the message, its clocks and events.

use super::*;

/// The customer's stored language and their latest conversation's, in one indexed lookup.
pub fn buyer_language(c: &Connection, shop_id: i64, handle: &str) -> Result<crate::BuyerLanguage> {
    let found = c
        .prepare_cached(
            "SELECT cu.language,
                    (SELECT co.language FROM conversations co WHERE co.customer_id = cu.id
                     ORDER BY co.id DESC LIMIT 1)
             FROM customers cu WHERE cu.shop_id = ?1 AND cu.handle = ?2",
        )?
        .query_row(params![shop_id, handle], |r| {
            Ok(crate::BuyerLanguage {
                customer: r.get(0)?,
                conversation: r.get(1)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or_default())
}

pub(crate) fn add_event(
    c: &Connection,
    conversation_id: i64,
    at: i64,
    kind: &str,
    actor: &str,
    data: &serde_json::Value,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![conversation_id, at, kind, actor, json_text(data)])?;
    Ok(())
}

pub fn ingest(c: &Connection, cache: &mut WriterCache, m: &Inbound) -> Result<IngestOutcome> {
    if !cache.knows_shop(m.shop_id) {
        require_shop(c, m.shop_id)?;
        cache.add_shop(m.shop_id);
    }
    if let Some(seen) = stored_already(c, m)? {
        return Ok(seen);
    }
    let at = micros(m.received_at);
    // Taken out of the cache and put back once written (a failure clears the cache anyway).
    let mut buyer = match cache.take_buyer(m.shop_id, &m.customer_handle) {
        Some(b) => b,
        None => load_buyer(c, m, at)?,
    };
    refresh_buyer(c, m, &mut buyer)?;
    let order_id = order_named(c, m)?;
    let continuing = buyer
        .latest
        .take()
        .filter(|conv| decisions::continues(conv.status));
    let (mut conv, new_conversation) = match continuing {
        Some(mut conv) => {
            continue_conversation(c, m, &mut conv, order_id, at)?;
            (conv, false)
        }
        None => (
            open_conversation(c, m, buyer.customer_id, order_id, at)?,
            true,
        ),
    };
    let message_id = insert_inbound(c, m, conv.id, at)?;
    record_received(c, m, &mut conv, message_id, order_id, at)?;
    apply_routing_and_flags(c, conv.id, message_id, at, m)?;
    let conversation_id = conv.id;
    buyer.latest = Some(conv);
    cache.put_buyer(m.shop_id, &m.customer_handle, buyer);
    Ok(IngestOutcome {
        conversation_id,
        message_id,
        duplicate: false,
        new_conversation,
    })
}

/// The outcome of the earlier delivery when this message (by its external id) is stored
/// already.
fn stored_already(c: &Connection, m: &Inbound) -> Result<Option<IngestOutcome>> {
    let Some(ext) = &m.external_id else {
        return Ok(None);
    };
    let seen: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT id, conversation_id FROM messages WHERE shop_id = ?1 AND external_id = ?2",
        )?
        .query_row(params![m.shop_id, ext], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(seen.map(|(message_id, conversation_id)| IngestOutcome {
        conversation_id,
        message_id,
        duplicate: true,
        new_conversation: false,
    }))
}

/// Keeps what the buyer told us about themselves current.
fn refresh_buyer(c: &Connection, m: &Inbound, buyer: &mut Buyer) -> Result<()> {
    let name_changed = m.customer_name.is_some() && m.customer_name != buyer.name;
    let language_changed = m.customer_language.is_some() && m.customer_language != buyer.language;
    if name_changed || language_changed {
        c.prepare_cached(
            "UPDATE customers SET name = COALESCE(?2, name), language = COALESCE(?3, language) WHERE id = ?1",
        )?
        .execute(params![buyer.customer_id, m.customer_name, m.customer_language])?;
        buyer.name = m.customer_name.clone().or(buyer.name.take());
        buyer.language = m.customer_language.clone().or(buyer.language.take());
    }
    Ok(())
}

/// The shop's order the message names, when it names one the shop has.
fn order_named(c: &Connection, m: &Inbound) -> Result<Option<i64>> {
    let Some(ext) = &m.order_external_id else {
        return Ok(None);
    };
    Ok(
        c.prepare_cached("SELECT id FROM orders WHERE shop_id = ?1 AND external_id = ?2")?
            .query_row(params![m.shop_id, ext], |r| r.get(0))
            .optional()?,
    )
}

/// The buyer's language for the conversation: the message's, else what they told us.
fn language_of(m: &Inbound) -> Option<&str> {
    m.language.as_deref().or(m.customer_language.as_deref())
}

/// Moves the conversation on for the message (reopening it if it was waiting or resolved).
fn continue_conversation(
    c: &Connection,
    m: &Inbound,
    conv: &mut ConversationState,
    order_id: Option<i64>,
    at: i64,
) -> Result<()> {
    let before = conv.status;
    conv.status = before.after_inbound();
    c.prepare_cached(
        "UPDATE conversations SET status = ?2, updated_at = ?3, last_inbound_at = ?3,
                     message_count = message_count + 1, order_id = COALESCE(order_id, ?4),
                     order_claim = CASE WHEN ?4 IS NULL THEN order_claim ELSE NULL END,
                     language = COALESCE(?5, language)
                 WHERE id = ?1",
    )?
    .execute(params![
        conv.id,
        conv.status.as_str(),
        at,
        order_id,
        language_of(m)
    ])?;
    if conv.status != before {
        add_event(
            c,
            conv.id,
            at,
            event_kind::CONVERSATION_REOPENED,
            "buyer",
            &json!({"from": before.as_str(), "to": conv.status.as_str()}),
        )?;
    }
    Ok(())
}

/// Opens a new conversation for the message.
fn open_conversation(
    c: &Connection,
    m: &Inbound,
    customer_id: i64,
    order_id: Option<i64>,
    at: i64,
) -> Result<ConversationState> {
    c.prepare_cached(
        "INSERT INTO conversations (shop_id, customer_id, order_id, status, channel,
                         language, created_at, updated_at, last_inbound_at, message_count)
                     VALUES (?1, ?2, ?3, 'new', ?4, ?5, ?6, ?6, ?6, 1)",
    )?
    .execute(params![
        m.shop_id,
        customer_id,
        order_id,
        m.channel.as_str(),
        language_of(m),
        at
    ])?;
    let id = c.last_insert_rowid();
    add_event(
        c,
        id,
        at,
        event_kind::CONVERSATION_OPENED,
        "buyer",
        &json!({"channel": m.channel.as_str()}),
    )?;
    Ok(ConversationState {
        id,
        status: ConversationStatus::New,
        replied: false,
        open_rules: Vec::new(),
    })
}

fn insert_inbound(c: &Connection, m: &Inbound, conversation_id: i64, at: i64) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language,
                 external_id, created_at, reply_to)
             VALUES (?1, ?2, 'inbound', ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        conversation_id,
        m.shop_id,
        m.channel.as_str(),
        m.body,
        m.language,
        m.external_id,
        at,
        m.reply_to
    ])?;
    Ok(c.last_insert_rowid())
}

/// Opens the clocks the message starts and records them with it, in its `message_received`
/// event. A clock runs from the buyer's first unanswered message, so a rule already running
/// is not restarted.
fn record_received(
    c: &Connection,
    m: &Inbound,
    conv: &mut ConversationState,
    message_id: i64,
    order_id: Option<i64>,
    at: i64,
) -> Result<()> {
    let mut data = decisions::received_data(message_id, m, order_id.is_some());
    let mut opened = Vec::new();
    for ob in decisions::clocks_to_start(m, conv.replied) {
        if conv.open_rules.contains(&ob.rule) {
            continue;
        }
        c
            .prepare_cached(
                "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, explanation, escalate_on_breach)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8)",
            )?
            .execute(
                params![conv.id, ob.rule, ob.clock.as_str(), ob.severity.as_str(), micros(ob.due), at, ob.explanation, ob.escalate_on_breach],
            )?;
        let id = c.last_insert_rowid();
        opened.push(json!({"obligation_id": id, "rule": ob.rule, "clock": ob.clock, "due": ob.due.to_rfc3339()}));
        conv.open_rules.push(ob.rule.clone());
    }
    if !opened.is_empty() {
        data["obligations_opened"] = json!(opened);
    }
    add_event(c, conv.id, at, event_kind::MESSAGE_RECEIVED, "buyer", &data)
}

/// Writes what the rulebook's plan asked of this message beyond its clocks: the high-value
/// routing need and the complaint mark (both sticky) and the flags for a supervisor, each as a `flagged` event.
pub(super) fn apply_routing_and_flags(
    c: &Connection,
    conversation_id: i64,
    message_id: i64,
    at: i64,
    m: &Inbound,
) -> Result<()> {
    if m.high_value {
        c.prepare_cached(
            "UPDATE conversations SET high_value = 1 WHERE id = ?1 AND high_value = 0",
        )?
        .execute([conversation_id])?;
    }
    if m.complaint {
        c.prepare_cached("UPDATE conversations SET complaint = 1 WHERE id = ?1 AND complaint = 0")?
            .execute([conversation_id])?;
    }
    for flag in &m.flags {
        add_event(
            c,
            conversation_id,
            at,
            event_kind::FLAGGED,
            "rulebook",
            &json!({"rule": flag.rule, "reason": flag.reason, "message_id": message_id}),
        )?;
    }
    Ok(())
}

/// Reads (or creates) a buyer's customer row and the state of their latest conversation.
pub(super) fn load_buyer(c: &Connection, m: &Inbound, at: i64) -> Result<Buyer> {
    let found: Option<(i64, Option<String>, Option<String>)> = c
        .prepare_cached(
            "SELECT id, name, language FROM customers WHERE shop_id = ?1 AND handle = ?2",
        )?
        .query_row(params![m.shop_id, m.customer_handle], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((customer_id, name, language)) = found else {
        c.prepare_cached(
            "INSERT INTO customers (shop_id, handle, name, language, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            m.shop_id,
            m.customer_handle,
            m.customer_name,
            m.customer_language,
            at
        ])?;
        let customer_id = c.last_insert_rowid();
        return Ok(Buyer {
            customer_id,
            name: m.customer_name.clone(),
            language: m.customer_language.clone(),
            latest: None,
        });
    };
    let latest: Option<(i64, String, bool)> = c
        .prepare_cached(
            "SELECT id, status, replied FROM conversations WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([customer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let latest = match latest {
        Some((id, status, replied)) => {
            let open_rules = c
                .prepare_cached(
                    "SELECT rule FROM obligations WHERE conversation_id = ?1 AND state = 'open'",
                )?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let status = status
                .parse()
                .map_err(|e: kefu_core::InvalidInput| StoreError::Backend(e.0))?;
            Some(ConversationState {
                id,
                status,
                replied,
                open_rules,
            })
        }
        None => None,
    };
    Ok(Buyer {
        customer_id,
        name,
        language,
        latest,
    })
}
