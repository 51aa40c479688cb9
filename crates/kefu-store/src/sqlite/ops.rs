//! The SQL behind each store operation. Every function runs inside the caller's transaction
//! (the writer's batch savepoint for writes), so a state change and its events land together.

use chrono::Utc;
use kefu_core::{Agent, ConversationStatus, Direction, Order, Shop, event_kind};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::cache::{Buyer, ConversationState, WriterCache};
use super::rows::{self, micros};
use crate::decisions::ReplyRoute;
use crate::{
    ClockStart, ConversationDetail, Inbound, IngestOutcome, NewAgent, NewOrder, NewReply, NewShop,
    ReplyOutcome, Result, Stats, StatusChange, StoreError, decisions, json_text, routing,
    status_sets,
};

#[expect(
    clippy::disallowed_methods,
    reason = "a created_at bookkeeping stamp no rule reads, as PostgreSQL's SQL now(); the Store has no Clock"
)]
pub fn create_shop(c: &Connection, cache: &mut WriterCache, s: &NewShop) -> Result<Shop> {
    let tenant_exists = c
        .prepare_cached("SELECT 1 FROM tenants WHERE id = ?1")?
        .exists([s.tenant_id])?;
    if !tenant_exists {
        return Err(StoreError::NotFound(format!(
            "tenant {} does not exist",
            s.tenant_id
        )));
    }
    // Bookkeeping stamp only; no rule reads it.
    let now = Utc::now();
    let id: i64 = c.query_row(
        "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, settings, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        params![
            s.tenant_id,
            s.name,
            s.platform.as_str(),
            s.timezone,
            s.currency,
            s.pack,
            json_text(&s.settings),
            micros(now)
        ],
        |r| r.get(0),
    )?;
    cache.add_shop(id);
    shop(c, id)?.ok_or_else(|| StoreError::Backend("shop vanished after insert".into()))
}

pub fn shop(c: &Connection, id: i64) -> Result<Option<Shop>> {
    let sql = format!("SELECT {} FROM shops WHERE id = ?1", rows::SHOP_COLS);
    Ok(c.prepare_cached(&sql)?
        .query_row([id], rows::shop)
        .optional()?)
}

pub fn shops(c: &Connection, tenant_id: i64) -> Result<Vec<Shop>> {
    let sql = format!(
        "SELECT {} FROM shops WHERE tenant_id = ?1 ORDER BY id",
        rows::SHOP_COLS
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let out = stmt
        .query_map([tenant_id], rows::shop)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

fn require_shop(c: &Connection, shop_id: i64) -> Result<()> {
    let exists = c
        .prepare_cached("SELECT 1 FROM shops WHERE id = ?1")?
        .exists([shop_id])?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!(
            "shop {shop_id} does not exist"
        )))
    }
}

pub fn upsert_order(c: &Connection, o: &NewOrder) -> Result<Order> {
    require_shop(c, o.shop_id)?;
    let promises = serde_json::to_string(&o.promises).unwrap_or_else(|_| "[]".into());
    let items = serde_json::to_string(&o.items).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "INSERT INTO orders (shop_id, external_id, total, currency, paid_at, promised_ship_by,
             shipped_at, carrier, tracking_number, delivered_at, closed_at, promises, created_at, items,
             buyer_email, buyer_phone, buyer_postcode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?5, ?13, ?14, ?15, ?16)
         ON CONFLICT (shop_id, external_id) DO UPDATE SET
             total = excluded.total, currency = excluded.currency, paid_at = excluded.paid_at,
             promised_ship_by = excluded.promised_ship_by, shipped_at = excluded.shipped_at,
             carrier = excluded.carrier, tracking_number = excluded.tracking_number,
             delivered_at = excluded.delivered_at, closed_at = excluded.closed_at,
             promises = excluded.promises, items = excluded.items,
             buyer_email = COALESCE(excluded.buyer_email, orders.buyer_email),
             buyer_phone = COALESCE(excluded.buyer_phone, orders.buyer_phone),
             buyer_postcode = COALESCE(excluded.buyer_postcode, orders.buyer_postcode)",
    )?
    .execute(params![
        o.shop_id,
        o.external_id,
        o.total.amount.to_string(),
        o.total.currency.code(),
        micros(o.paid_at),
        o.promised_ship_by.map(micros),
        o.shipped_at.map(micros),
        o.carrier,
        o.tracking_number,
        o.delivered_at.map(micros),
        o.closed_at.map(micros),
        promises,
        items,
        o.buyer.email,
        o.buyer.phone,
        o.buyer.postcode,
    ])?;
    order_by_external(c, o.shop_id, &o.external_id)?
        .ok_or_else(|| StoreError::Backend("order vanished after upsert".into()))
}

pub fn order_by_external(c: &Connection, shop_id: i64, external_id: &str) -> Result<Option<Order>> {
    let sql = format!(
        "SELECT {} FROM orders WHERE shop_id = ?1 AND external_id = ?2",
        rows::ORDER_COLS
    );
    Ok(c.prepare_cached(&sql)?
        .query_row(params![shop_id, external_id], rows::order)
        .optional()?)
}

pub fn order_buyer(
    c: &Connection,
    shop_id: i64,
    external_id: &str,
) -> Result<Option<crate::OrderBuyer>> {
    Ok(c.prepare_cached(
        "SELECT buyer_email, buyer_phone, buyer_postcode FROM orders WHERE shop_id = ?1 AND external_id = ?2",
    )?
    .query_row(params![shop_id, external_id], |r| {
        Ok(crate::OrderBuyer {
            email: r.get(0)?,
            phone: r.get(1)?,
            postcode: r.get(2)?,
        })
    })
    .optional()?)
}

pub fn claim_order(
    c: &Connection,
    conversation_id: i64,
    external_id: &str,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    let changed = c
        .prepare_cached(
            "UPDATE conversations SET order_claim = ?2
             WHERE id = ?1 AND order_id IS NULL AND order_claim IS NOT ?2",
        )?
        .execute(params![conversation_id, external_id])?;
    if changed == 0 {
        let exists: bool = c
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ?1)")?
            .query_row([conversation_id], |r| r.get(0))?;
        if !exists {
            return Err(StoreError::NotFound(format!(
                "conversation {conversation_id} does not exist"
            )));
        }
        // Already linked to an order (that link stands) or this very claim made before:
        // nothing to record.
        return Ok(());
    }
    add_event(
        c,
        conversation_id,
        micros(at),
        event_kind::ORDER_CLAIMED,
        "visitor",
        &json!({"order": external_id, "verified": false}),
    )
}

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

#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub fn ingest(c: &Connection, cache: &mut WriterCache, m: &Inbound) -> Result<IngestOutcome> {
    if !cache.knows_shop(m.shop_id) {
        require_shop(c, m.shop_id)?;
        cache.add_shop(m.shop_id);
    }
    if let Some(ext) = &m.external_id {
        let seen: Option<(i64, i64)> = c
            .prepare_cached(
                "SELECT id, conversation_id FROM messages WHERE shop_id = ?1 AND external_id = ?2",
            )?
            .query_row(params![m.shop_id, ext], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((message_id, conversation_id)) = seen {
            return Ok(IngestOutcome {
                conversation_id,
                message_id,
                duplicate: true,
                new_conversation: false,
            });
        }
    }
    let at = micros(m.received_at);
    // Taken out of the cache and put back once written (a failure clears the cache anyway).
    let mut buyer = match cache.take_buyer(m.shop_id, &m.customer_handle) {
        Some(b) => b,
        None => load_buyer(c, m, at)?,
    };
    // Keep what the buyer told us about themselves current.
    let name_changed = m.customer_name.is_some() && m.customer_name != buyer.name;
    let language_changed = m.customer_language.is_some() && m.customer_language != buyer.language;
    if name_changed || language_changed {
        c.prepare_cached(
            "UPDATE customers SET name = COALESCE(?2, name), language = COALESCE(?3, language) WHERE id = ?1",
        )?
        .execute(params![buyer.customer_id, m.customer_name, m.customer_language])?;
        buyer.name = m.customer_name.clone().or(buyer.name);
        buyer.language = m.customer_language.clone().or(buyer.language);
    }
    let order_id: Option<i64> = match &m.order_external_id {
        Some(ext) => c
            .prepare_cached("SELECT id FROM orders WHERE shop_id = ?1 AND external_id = ?2")?
            .query_row(params![m.shop_id, ext], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let language = m.language.as_deref().or(m.customer_language.as_deref());

    // A closed conversation is final: the buyer's next message starts a new one. Anything
    // else (including resolved) continues, and reopens if it was waiting or resolved.
    let continuing = buyer
        .latest
        .take()
        .filter(|conv| decisions::continues(conv.status));
    let (mut conv, new_conversation) = match continuing {
        Some(mut conv) => {
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
                language
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
            (conv, false)
        }
        None => {
            c.prepare_cached(
                "INSERT INTO conversations (shop_id, customer_id, order_id, status, channel,
                         language, created_at, updated_at, last_inbound_at, message_count)
                     VALUES (?1, ?2, ?3, 'new', ?4, ?5, ?6, ?6, ?6, 1)",
            )?
            .execute(params![
                m.shop_id,
                buyer.customer_id,
                order_id,
                m.channel.as_str(),
                language,
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
            let state = ConversationState {
                id,
                status: ConversationStatus::New,
                replied: false,
                open_rules: Vec::new(),
            };
            (state, true)
        }
    };

    c.prepare_cached(
        "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language,
                 external_id, created_at, reply_to)
             VALUES (?1, ?2, 'inbound', ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        conv.id,
        m.shop_id,
        m.channel.as_str(),
        m.body,
        m.language,
        m.external_id,
        at,
        m.reply_to
    ])?;
    let message_id = c.last_insert_rowid();
    let mut data = decisions::received_data(message_id, m, order_id.is_some());
    // The clocks this message starts are recorded with it, in the same event. A clock runs
    // from the buyer's first unanswered message, so a rule already running is not restarted.
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
    add_event(c, conv.id, at, event_kind::MESSAGE_RECEIVED, "buyer", &data)?;
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

/// Writes what the rulebook's plan asked of this message beyond its clocks: the high-value
/// routing need (sticky) and the flags for a supervisor, each as a `flagged` event.
fn apply_routing_and_flags(
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
fn load_buyer(c: &Connection, m: &Inbound, at: i64) -> Result<Buyer> {
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

/// A conversation's shop, status and channel, or a NotFound that names it.
fn conversation_head(c: &Connection, id: i64) -> Result<(i64, String, String)> {
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

/// Marks the breached obligations of `clock` answered: the desk has now done what the clock
/// asked, late, so the conversation is no longer overdue in the inbox (the breach stays).
fn answer_breaches(c: &Connection, conversation_id: i64, clock: &str, at: i64) -> Result<()> {
    c.prepare_cached(
        "UPDATE obligations SET answered_at = ?3
         WHERE conversation_id = ?1 AND clock = ?2 AND state = 'breached' AND answered_at IS NULL",
    )?
    .execute(params![conversation_id, clock, at])?;
    Ok(())
}

/// Meets the open obligations of the `closes` clocks and opens `opens` (skipping a rule that is
/// already running). Returns the met obligations' ids and the opened ones for the event log.
fn change_clocks(
    c: &Connection,
    conversation_id: i64,
    at: i64,
    closes: &[kefu_core::ClockKind],
    opens: &[crate::NewObligation],
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

#[expect(
    clippy::disallowed_methods,
    reason = "a created_at bookkeeping stamp no rule reads, as PostgreSQL's SQL now(); the Store has no Clock"
)]
pub fn create_agent(c: &Connection, a: &NewAgent) -> Result<Agent> {
    let languages = serde_json::to_string(&a.languages).unwrap_or_else(|_| "[]".into());
    let id: i64 = c
        .query_row(
            "INSERT INTO agents (tenant_id, email, name, role, languages, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            params![a.tenant_id, a.email, a.name, a.role.as_str(), languages, a.password_hash, micros(Utc::now())],
            |r| r.get(0),
        )
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("an agent with email {:?} already exists", a.email)),
            other => other,
        })?;
    let sql = format!("SELECT {} FROM agents WHERE id = ?1", rows::AGENT_COLS);
    Ok(c.query_row(&sql, [id], rows::agent)?)
}

#[expect(
    clippy::disallowed_methods,
    reason = "a created_at bookkeeping stamp no rule reads, as PostgreSQL's SQL now(); the Store has no Clock"
)]
pub fn create_token(c: &Connection, agent_id: i64, name: &str, hash: &str) -> Result<()> {
    let exists = c
        .prepare_cached("SELECT 1 FROM agents WHERE id = ?1")?
        .exists([agent_id])?;
    if !exists {
        return Err(StoreError::NotFound(format!(
            "agent {agent_id} does not exist"
        )));
    }
    c.execute(
        "INSERT INTO api_tokens (agent_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![agent_id, name, hash, micros(Utc::now())],
    )?;
    Ok(())
}

pub fn agent_by_token_hash(c: &Connection, hash: &str) -> Result<Option<Agent>> {
    let sql = format!(
        "SELECT {} FROM agents WHERE id = (SELECT agent_id FROM api_tokens WHERE token_hash = ?1)",
        rows::AGENT_COLS
    );
    Ok(c.prepare_cached(&sql)?
        .query_row([hash], rows::agent)
        .optional()?)
}

/// What routing needs of a conversation: tenant, language, current assignee, shop, the shop's
/// routing choice, the high-value flag, and the tenant's high-value team and its routing.
type RoutingFacts = (
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
fn routing_candidates(
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
        &json!({"agent_id": agent}),
    )?;
    Ok(agent)
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

pub fn due_outbox(
    c: &Connection,
    now: chrono::DateTime<Utc>,
    limit: i64,
) -> Result<Vec<crate::OutboxItem>> {
    let out = c
        .prepare_cached(
            "SELECT o.id, o.message_id, o.conversation_id, o.channel, o.recipient, m.body, o.attempts, s.name,
                    (SELECT external_id FROM messages i WHERE i.conversation_id = o.conversation_id
                        AND i.direction = 'inbound' AND i.id < o.message_id ORDER BY i.id DESC LIMIT 1),
                    (SELECT reply_to FROM messages i WHERE i.conversation_id = o.conversation_id
                        AND i.direction = 'inbound' AND i.reply_to IS NOT NULL AND i.id < o.message_id
                        ORDER BY i.id DESC LIMIT 1),
                    m.shop_id
             FROM outbox o JOIN messages m ON m.id = o.message_id JOIN shops s ON s.id = m.shop_id
             WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at LIMIT ?2",
        )?
        .query_map(params![micros(now), limit], |r| {
            Ok(crate::OutboxItem {
                id: r.get(0)?,
                message_id: r.get(1)?,
                conversation_id: r.get(2)?,
                channel: r.get(3)?,
                recipient: r.get(4)?,
                body: r.get(5)?,
                attempts: r.get(6)?,
                shop_name: r.get(7)?,
                in_reply_to: r.get(8)?,
                reply_to: r.get(9)?,
                shop_id: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn record_delivery(
    c: &Connection,
    id: i64,
    at: chrono::DateTime<Utc>,
    outcome: &crate::Delivery,
) -> Result<()> {
    let found: Option<(i64, i64)> = c
        .prepare_cached("SELECT conversation_id, message_id FROM outbox WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((conversation_id, message_id)) = found else {
        return Err(StoreError::NotFound(format!(
            "outbox entry {id} does not exist"
        )));
    };
    let at = micros(at);
    match outcome {
        crate::Delivery::Sent { external_id } => {
            c.prepare_cached(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?2, external_id = ?3, last_error = NULL WHERE id = ?1",
            )?
            .execute(params![id, at, external_id])?;
            add_event(
                c,
                conversation_id,
                at,
                event_kind::REPLY_DELIVERED,
                "outbox",
                &json!({"message_id": message_id, "external_id": external_id}),
            )
        }
        crate::Delivery::Failed { error, retry_at } => {
            let state = if retry_at.is_some() {
                "pending"
            } else {
                "failed"
            };
            c.prepare_cached(
                "UPDATE outbox SET state = ?2, attempts = attempts + 1, last_error = ?3,
                     next_attempt_at = COALESCE(?4, next_attempt_at) WHERE id = ?1",
            )?
            .execute(params![id, state, error, retry_at.map(micros)])?;
            add_event(
                c,
                conversation_id,
                at,
                event_kind::REPLY_DELIVERY_FAILED,
                "outbox",
                &json!({"message_id": message_id, "error": error, "retry_at": retry_at.map(|t| t.to_rfc3339())}),
            )
        }
    }
}

pub fn index_feed(c: &Connection, after_id: i64, limit: i64) -> Result<Vec<crate::IndexRow>> {
    let out = c
        .prepare_cached(
            "SELECT m.id, m.conversation_id, s.tenant_id, m.shop_id, s.platform, c.status,
                    COALESCE(m.author_agent_id, c.assignee_id), m.direction, m.language, m.body, m.created_at
             FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN shops s ON s.id = m.shop_id
             WHERE m.id > ?1 ORDER BY m.id LIMIT ?2",
        )?
        .query_map(params![after_id, limit], |r| {
            Ok(crate::IndexRow {
                message_id: r.get(0)?,
                conversation_id: r.get(1)?,
                tenant_id: r.get(2)?,
                shop_id: r.get(3)?,
                platform: r.get(4)?,
                status: r.get(5)?,
                agent_id: r.get(6)?,
                direction: r.get(7)?,
                language: r.get(8)?,
                body: r.get(9)?,
                created_at: rows::time(r.get(10)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn stats(c: &Connection) -> Result<Stats> {
    let count =
        |sql: &str| -> Result<i64> { Ok(c.prepare_cached(sql)?.query_row([], |r| r.get(0))?) };
    Ok(Stats {
        shops: count("SELECT COUNT(*) FROM shops")?,
        conversations: count("SELECT COUNT(*) FROM conversations")?,
        open_conversations: count(&format!(
            "SELECT COUNT(*) FROM conversations WHERE status IN {}",
            *status_sets::OPEN
        ))?,
        messages: count("SELECT COUNT(*) FROM messages")?,
    })
}
