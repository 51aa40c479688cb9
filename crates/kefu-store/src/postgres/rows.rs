//! Rows to kefu's types: the columns each read selects and how a row becomes a value.

use super::*;

pub(super) const SHOP_COLS: &str =
    "id, tenant_id, name, platform, timezone, currency, pack, settings::text, created_at";

pub(super) fn shop_row(r: &Row) -> Result<Shop> {
    Ok(Shop {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        platform: parse_enum(r.get(3))?,
        timezone: r.get(4),
        currency: r.get(5),
        pack: r.get(6),
        settings: serde_json::from_str(r.get(7)).unwrap_or_default(),
        created_at: r.get(8),
    })
}

pub(super) const ORDER_COLS: &str = "id, shop_id, external_id, total, currency, paid_at, promised_ship_by, shipped_at, carrier, tracking_number, delivered_at, closed_at, promises::text, items";

pub(super) fn order_row(r: &Row) -> Result<Order> {
    let total: Decimal = r.get(3);
    let total = Money::parse(&total.normalize().to_string(), r.get(4))
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Order {
        id: r.get(0),
        shop_id: r.get(1),
        external_id: r.get(2),
        total,
        paid_at: r.get(5),
        promised_ship_by: r.get(6),
        shipped_at: r.get(7),
        carrier: r.get(8),
        tracking_number: r.get(9),
        delivered_at: r.get(10),
        closed_at: r.get(11),
        promises: serde_json::from_str(r.get(12)).unwrap_or_default(),
        items: serde_json::from_str(r.get(13)).unwrap_or_default(),
    })
}

pub(super) const CONVERSATION_COLS: &str = "id, shop_id, customer_id, order_id, status, channel, language, assignee_id, created_at, updated_at, last_inbound_at, message_count, complaint";

pub(super) fn conversation_row(r: &Row) -> Result<Conversation> {
    Ok(Conversation {
        id: r.get(0),
        shop_id: r.get(1),
        customer_id: r.get(2),
        order_id: r.get(3),
        status: parse_enum(r.get(4))?,
        channel: parse_enum(r.get(5))?,
        language: r.get(6),
        assignee_id: r.get(7),
        created_at: r.get(8),
        updated_at: r.get(9),
        last_inbound_at: r.get(10),
        message_count: r.get(11),
        complaint: r.get(12),
    })
}

pub(super) fn obligation_row(r: &Row) -> Result<Obligation> {
    Ok(Obligation {
        id: r.get(0),
        conversation_id: r.get(1),
        rule: r.get(2),
        clock: parse_enum(r.get(3))?,
        severity: parse_enum(r.get(4))?,
        due: r.get(5),
        state: parse_enum(r.get(6))?,
        opened_at: r.get(7),
        closed_at: r.get(8),
        explanation: r.get(9),
    })
}

pub(super) const AGENT_COLS: &str = "id, tenant_id, email, name, role, languages::text";

pub(super) fn agent_row(r: &Row) -> Result<Agent> {
    Ok(Agent {
        id: r.get(0),
        tenant_id: r.get(1),
        email: r.get(2),
        name: r.get(3),
        role: parse_enum(r.get(4))?,
        languages: serde_json::from_str(r.get(5)).unwrap_or_default(),
    })
}

pub(super) const CONNECTOR_COLS: &str =
    "id, shop_id, kind, base_url, credentials, cursor, health, next_attempt_at, created_at";

pub(super) fn connector_row(r: &Row) -> crate::ConnectorRow {
    crate::ConnectorRow {
        id: r.get(0),
        shop_id: r.get(1),
        kind: r.get(2),
        base_url: r.get(3),
        credentials: r.get(4),
        cursor: r.get(5),
        health: r.get(6),
        next_attempt_at: r.get(7),
        created_at: r.get(8),
    }
}

pub(super) const CASE_COLS: &str = "id, conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at";

pub(super) fn case_row(r: &Row) -> crate::AftersalesCase {
    crate::AftersalesCase {
        id: r.get(0),
        conversation_id: r.get(1),
        order_id: r.get(2),
        kind: r.get(3),
        rule: r.get(4),
        action: r.get(5),
        amount: r.get(6),
        currency: r.get(7),
        state: r.get(8),
        due: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
    }
}
