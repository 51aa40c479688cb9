//! Shops, orders, agents and tokens on the writer's (or a reader's) connection.

use super::*;

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

pub(super) fn require_shop(c: &Connection, shop_id: i64) -> Result<()> {
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
