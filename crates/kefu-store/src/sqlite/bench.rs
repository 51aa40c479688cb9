//! Data for the benchmarks.
//!
//! [`batched_insert`] is the yardstick for `kefu bench ingest`: the same rows the store path
//! writes for a message (for a new buyer: customer, conversation, its opening event and the
//! clocks it starts; for every message: the message, its event, the conversation's new state) inserted the plainest fast way — prepared statements in 1000-message transactions on
//! one connection with the same durability settings, no lookups, no savepoints, no queue.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rusqlite::params;

use super::{connect, migrate};
use crate::Result;
use crate::bench_history::{KpiHistory, SEED_BODY, SeedConversation};

/// One message of the benchmark workload.
pub struct Row<'a> {
    pub customer: &'a str,
    pub body: &'a str,
    /// The sender's message id, indexed for idempotency as the store path does.
    pub external_id: &'a str,
    pub at_micros: i64,
    /// Obligations this message opens (the first message of a conversation opens its clocks).
    pub obligations: usize,
}

/// The rule and clock of the benchmarks' obligations: the caller's choice (the store knows no
/// rule of its own).
pub type BenchClock<'a> = (&'a str, kefu_core::ClockKind);

/// Inserts `rows` into a new database at `path` and returns the time it took.
pub fn batched_insert(path: &str, rows: &[Row<'_>], clock: BenchClock<'_>) -> Result<Duration> {
    let mut conn = connect(path)?;
    migrate(&mut conn)?;
    conn.execute(
        "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, created_at)
         VALUES (1, 'baseline', 'ebay', 'UTC', 'USD', 'ebay', 0)",
        [],
    )?;
    let shop_id = conn.last_insert_rowid();
    let mut conversations: HashMap<&str, i64> = HashMap::new();
    let start = Instant::now();
    for chunk in rows.chunks(1000) {
        let tx = conn.transaction()?;
        {
            let mut customer = tx.prepare_cached(
                "INSERT INTO customers (shop_id, handle, created_at) VALUES (?1, ?2, ?3)",
            )?;
            let mut conversation = tx.prepare_cached(
                "INSERT INTO conversations (shop_id, customer_id, status, channel, created_at, updated_at) VALUES (?1, ?2, 'new', 'api', ?3, ?3)",
            )?;
            let mut message = tx.prepare_cached(
                "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language, external_id, created_at)
                 VALUES (?1, ?2, 'inbound', 'api', ?3, 'en', ?4, ?5)",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES (?1, ?2, 'message_received', 'buyer', '{}')",
            )?;
            let mut opened = tx.prepare_cached(
                "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES (?1, ?2, 'conversation_opened', 'buyer', '{}')",
            )?;
            let mut obligation = tx.prepare_cached(
                "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, explanation)
                 VALUES (?1, ?3, ?4, 'platform', ?2, 'open', ?2, '')",
            )?;
            let mut state = tx.prepare_cached(
                "UPDATE conversations SET updated_at = ?2, last_inbound_at = ?2, message_count = message_count + 1 WHERE id = ?1",
            )?;
            for r in chunk {
                let conversation_id = match conversations.get(r.customer) {
                    Some(id) => *id,
                    None => {
                        customer.execute(params![shop_id, r.customer, r.at_micros])?;
                        let customer_id = tx.last_insert_rowid();
                        conversation.execute(params![shop_id, customer_id, r.at_micros])?;
                        let id = tx.last_insert_rowid();
                        opened.execute(params![id, r.at_micros])?;
                        conversations.insert(r.customer, id);
                        id
                    }
                };
                for _ in 0..r.obligations {
                    obligation.execute(params![
                        conversation_id,
                        r.at_micros,
                        clock.0,
                        clock.1.as_str()
                    ])?;
                }
                message.execute(params![
                    conversation_id,
                    shop_id,
                    r.body,
                    r.external_id,
                    r.at_micros
                ])?;
                event.execute(params![conversation_id, r.at_micros])?;
                state.execute(params![conversation_id, r.at_micros])?;
            }
        }
        tx.commit()?;
    }
    Ok(start.elapsed())
}

/// Fills a new database at `path` with `n` open conversations, each with one open obligation,
/// due one every `spacing_ms` from `first_due_micros` — the state `kefu bench sweep` measures
/// the scheduler in. Plain batched inserts: this is setup, not the thing measured.
pub fn seed_open_obligations(
    path: &str,
    n: usize,
    first_due_micros: i64,
    spacing_ms: i64,
    clock: BenchClock<'_>,
) -> Result<()> {
    let mut conn = connect(path)?;
    migrate(&mut conn)?;
    conn.execute_batch(
        "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, created_at)
         VALUES (1, 'sweep', 'ebay', 'UTC', 'USD', 'ebay', 0);
         INSERT INTO customers (shop_id, handle, created_at) VALUES (last_insert_rowid(), 'seed', 0);",
    )?;
    let customer_id = conn.last_insert_rowid();
    let shop_id: i64 = conn.query_row(
        "SELECT shop_id FROM customers WHERE id = ?1",
        [customer_id],
        |r| r.get(0),
    )?;
    for start in (0..n).step_by(10_000) {
        let tx = conn.transaction()?;
        {
            let mut conversation = tx.prepare_cached(
                "INSERT INTO conversations (shop_id, customer_id, status, channel, created_at, updated_at, message_count)
                 VALUES (?1, ?2, 'open', 'api', 0, 0, 1)",
            )?;
            let mut obligation = tx.prepare_cached(
                "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at)
                 VALUES (?1, ?3, ?4, 'platform', ?2, 'open', 0)",
            )?;
            for i in start..(start + 10_000).min(n) {
                conversation.execute(params![shop_id, customer_id])?;
                let id = tx.last_insert_rowid();
                obligation.execute(params![
                    id,
                    first_due_micros + i as i64 * spacing_ms * 1000,
                    clock.0,
                    clock.1.as_str()
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(())
}

/// Writes `kefu bench kpi`'s history ([`crate::bench_history`]) straight into a new
/// database at `path`, with the migration's triggers marking every conversation (so the
/// first refresh builds the rollups from the rows). Returns the shop ids.
pub fn seed_kpi_history(path: &str, h: &KpiHistory, clock: BenchClock<'_>) -> Result<Vec<i64>> {
    let mut conn = connect(path)?;
    migrate(&mut conn)?;
    let mut shops = Vec::new();
    for (name, platform, zone) in h.shop_list() {
        conn.execute(
            "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, created_at)
             VALUES (1, ?1, ?2, ?3, 'USD', ?2, 0)",
            params![name, platform, zone],
        )?;
        shops.push(conn.last_insert_rowid());
    }
    let mut customers: HashMap<(usize, usize), i64> = HashMap::new();
    for chunk in (0..h.conversations).collect::<Vec<_>>().chunks(5_000) {
        let tx = conn.transaction()?;
        for &i in chunk {
            write_conversation(&tx, &h.conversation(i), &shops, &mut customers, clock)?;
        }
        tx.commit()?;
    }
    Ok(shops)
}

/// Writes one generated conversation: its buyer (when new), messages, first-response clock,
/// resolution and rating.
fn write_conversation(
    tx: &rusqlite::Connection,
    c: &SeedConversation,
    shops: &[i64],
    customers: &mut HashMap<(usize, usize), i64>,
    clock: BenchClock<'_>,
) -> Result<()> {
    let shop_id = shops[c.shop];
    let customer_id = match customers.get(&(c.shop, c.buyer)) {
        Some(&id) => id,
        None => {
            tx.prepare_cached(
                "INSERT INTO customers (shop_id, handle, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![shop_id, format!("buyer-{}", c.buyer), c.at])?;
            let id = tx.last_insert_rowid();
            customers.insert((c.shop, c.buyer), id);
            id
        }
    };
    tx.prepare_cached(
        "INSERT INTO conversations (shop_id, customer_id, status, channel, assignee_id,
           created_at, updated_at, last_inbound_at, message_count, replied, complaint)
         VALUES (?1, ?2, ?3, 'api', ?4, ?5, ?6, ?5, ?7, 1, ?8)",
    )?
    .execute(params![
        shop_id,
        customer_id,
        c.status(),
        c.agent,
        c.at,
        c.last_at(),
        c.messages as i64,
        c.complaint
    ])?;
    let conversation_id = tx.last_insert_rowid();
    let mut message = tx.prepare_cached(
        "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language, external_id, created_at)
         VALUES (?1, ?2, ?3, 'api', ?4, 'en', ?5, ?6)",
    )?;
    for k in 0..c.messages {
        message.execute(params![
            conversation_id,
            shop_id,
            SeedConversation::direction(k),
            SEED_BODY,
            format!("kpi-{}-{k}", c.index),
            c.message_at(k)
        ])?;
    }
    tx.prepare_cached(
        "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, closed_at)
         VALUES (?1, ?2, ?3, 'platform', ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        conversation_id,
        clock.0,
        clock.1.as_str(),
        c.due(),
        c.clock_state(),
        c.at,
        c.clock_closed_at()
    ])?;
    let mut event = tx.prepare_cached(
        "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES (?1, ?2, ?3, 'bench', ?4)",
    )?;
    for (at, kind, data) in c.events() {
        event.execute(params![conversation_id, at, kind, data])?;
    }
    Ok(())
}
