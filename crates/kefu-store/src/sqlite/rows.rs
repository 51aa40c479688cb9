//! Mapping between SQLite rows and domain types. Times are stored as UTC microseconds.

use chrono::{DateTime, Utc};
use kefu_core::{Agent, Conversation, Customer, Event, Message, Money, Obligation, Order, Shop};
use rusqlite::Row;

use crate::StoreError;

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn time(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

pub fn opt_time(us: Option<i64>) -> Option<DateTime<Utc>> {
    us.map(time)
}

/// Parses a stored enum; a value the code does not know means the file was written by another
/// version, reported as a conversion error rather than a panic.
pub(super) fn parse<T: std::str::FromStr>(idx: usize, text: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            Box::new(StoreError::Backend(e.to_string())),
        )
    })
}

fn json_list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

pub const SHOP_COLS: &str =
    "id, tenant_id, name, platform, timezone, currency, pack, settings, created_at";
pub fn shop(r: &Row) -> rusqlite::Result<Shop> {
    Ok(Shop {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        platform: parse(3, r.get(3)?)?,
        timezone: r.get(4)?,
        currency: r.get(5)?,
        pack: r.get(6)?,
        settings: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
        created_at: time(r.get(8)?),
    })
}

pub const ORDER_COLS: &str = "id, shop_id, external_id, total, currency, paid_at, promised_ship_by, shipped_at, carrier, tracking_number, delivered_at, closed_at, promises, items";
pub fn order(r: &Row) -> rusqlite::Result<Order> {
    let total: String = r.get(3)?;
    let currency: String = r.get(4)?;
    let total = Money::parse(&total, &currency).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            3,
            rusqlite::types::Type::Text,
            Box::new(StoreError::Backend(e.to_string())),
        )
    })?;
    Ok(Order {
        id: r.get(0)?,
        shop_id: r.get(1)?,
        external_id: r.get(2)?,
        total,
        paid_at: time(r.get(5)?),
        promised_ship_by: opt_time(r.get(6)?),
        shipped_at: opt_time(r.get(7)?),
        carrier: r.get(8)?,
        tracking_number: r.get(9)?,
        delivered_at: opt_time(r.get(10)?),
        closed_at: opt_time(r.get(11)?),
        promises: json_list(r.get(12)?),
        items: serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default(),
    })
}

pub const CONVERSATION_COLS: &str = "id, shop_id, customer_id, order_id, status, channel, language, assignee_id, created_at, updated_at, last_inbound_at, message_count, complaint";
pub fn conversation(r: &Row) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: r.get(0)?,
        shop_id: r.get(1)?,
        customer_id: r.get(2)?,
        order_id: r.get(3)?,
        status: parse(4, r.get(4)?)?,
        channel: parse(5, r.get(5)?)?,
        language: r.get(6)?,
        assignee_id: r.get(7)?,
        created_at: time(r.get(8)?),
        updated_at: time(r.get(9)?),
        last_inbound_at: opt_time(r.get(10)?),
        message_count: r.get(11)?,
        complaint: r.get(12)?,
    })
}

pub const CUSTOMER_COLS: &str = "id, shop_id, handle, name, language";
pub fn customer(r: &Row) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        shop_id: r.get(1)?,
        handle: r.get(2)?,
        name: r.get(3)?,
        language: r.get(4)?,
    })
}

pub const MESSAGE_COLS: &str = "id, conversation_id, direction, channel, author_agent_id, body, language, external_id, created_at";
pub fn message(r: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        direction: parse(2, r.get(2)?)?,
        channel: parse(3, r.get(3)?)?,
        author_agent_id: r.get(4)?,
        body: r.get(5)?,
        language: r.get(6)?,
        external_id: r.get(7)?,
        created_at: time(r.get(8)?),
    })
}

pub const EVENT_COLS: &str = "id, conversation_id, at, kind, actor, data";
pub fn event(r: &Row) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        at: time(r.get(2)?),
        kind: r.get(3)?,
        actor: r.get(4)?,
        data: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
    })
}

pub const OBLIGATION_COLS: &str =
    "id, conversation_id, rule, clock, severity, due_at, state, opened_at, closed_at, explanation";
pub fn obligation(r: &Row) -> rusqlite::Result<Obligation> {
    Ok(Obligation {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        rule: r.get(2)?,
        clock: parse(3, r.get(3)?)?,
        severity: parse(4, r.get(4)?)?,
        due: time(r.get(5)?),
        state: parse(6, r.get(6)?)?,
        opened_at: time(r.get(7)?),
        closed_at: opt_time(r.get(8)?),
        explanation: r.get(9)?,
    })
}

pub const AGENT_COLS: &str = "id, tenant_id, email, name, role, languages";
pub fn agent(r: &Row) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        email: r.get(2)?,
        name: r.get(3)?,
        role: parse(4, r.get(4)?)?,
        languages: json_list(r.get(5)?),
    })
}
