//! `kefu bench kpi`'s history ([`crate::bench_history`]) written into PostgreSQL: thousands
//! of rows per statement (`INSERT … SELECT FROM UNNEST`), with triggers and foreign-key
//! checks off while loading (`session_replication_role = replica`, so the server must let
//! the benchmark's user set it); then every conversation is marked for the rollups, as
//! `rebuild_kpis` does, so the first refresh builds them from the rows; and the tables are
//! analysed, as autovacuum would have done over the months such a history takes to write.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::bench_history::{KpiHistory, SEED_BODY, SeedConversation};
use crate::sqlite::bench::BenchClock;
use crate::{Result, StoreError};

fn at(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default()
}

/// Columns of ids, times and texts.
type Ids = Vec<i64>;
type Times = Vec<DateTime<Utc>>;
type Names = Vec<&'static str>;
type Texts = Vec<String>;

/// The rows of a chunk of conversations, column by column.
#[derive(Default)]
struct Chunk {
    customers: (Ids, Ids, Texts, Times),
    conversations: Conversations,
    messages: (Ids, Ids, Names, Texts, Times),
    clocks: (Ids, Times, Names, Times, Times),
    events: (Ids, Times, Names, Texts),
}

#[derive(Default)]
struct Conversations {
    id: Vec<i64>,
    shop: Vec<i64>,
    customer: Vec<i64>,
    status: Vec<&'static str>,
    agent: Vec<Option<i64>>,
    at: Vec<DateTime<Utc>>,
    last: Vec<DateTime<Utc>>,
    messages: Vec<i64>,
    complaint: Vec<bool>,
}

impl Chunk {
    fn add(&mut self, id: i64, customer: i64, shop_id: i64, c: &SeedConversation) {
        let v = &mut self.conversations;
        v.id.push(id);
        v.shop.push(shop_id);
        v.customer.push(customer);
        v.status.push(c.status());
        v.agent.push(c.agent);
        v.at.push(at(c.at));
        v.last.push(at(c.last_at()));
        v.messages.push(c.messages as i64);
        v.complaint.push(c.complaint);
        for k in 0..c.messages {
            self.messages.0.push(id);
            self.messages.1.push(shop_id);
            self.messages.2.push(SeedConversation::direction(k));
            self.messages.3.push(format!("kpi-{}-{k}", c.index));
            self.messages.4.push(at(c.message_at(k)));
        }
        self.clocks.0.push(id);
        self.clocks.1.push(at(c.due()));
        self.clocks.2.push(c.clock_state());
        self.clocks.3.push(at(c.at));
        self.clocks.4.push(at(c.clock_closed_at()));
        for (t, kind, data) in c.events() {
            self.events.0.push(id);
            self.events.1.push(at(t));
            self.events.2.push(kind);
            self.events.3.push(data);
        }
    }
}

/// Writes the history into the empty database at `url`; returns the shop ids.
pub async fn seed_kpi_history(
    url: &str,
    h: &KpiHistory,
    clock: BenchClock<'_>,
) -> Result<Vec<i64>> {
    let store = PostgresStore::connect(url).await?;
    let mut client = store.conn().await?;
    let existing: i64 = client
        .query_one("SELECT COUNT(*) FROM conversations", &[])
        .await?
        .get(0);
    if existing > 0 {
        return Err(StoreError::Invalid(
            "benchmarks write only into an empty database".into(),
        ));
    }
    client
        .batch_execute("SET session_replication_role = replica")
        .await?;
    let mut shops = Vec::new();
    for (name, platform, zone) in h.shop_list() {
        let row = client
            .query_one(
                "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, created_at)
                 VALUES (1, $1, $2, $3, 'USD', $2, now()) RETURNING id",
                &[&name, &platform, &zone],
            )
            .await?;
        shops.push(row.get::<_, i64>(0));
    }
    let (rule, kind) = (clock.0, clock.1.as_str());
    let mut customers: HashMap<(usize, usize), i64> = HashMap::new();
    let mut next_customer = 1;
    for start in (0..h.conversations).step_by(5_000) {
        let mut chunk = Chunk::default();
        for i in start..(start + 5_000).min(h.conversations) {
            let c = h.conversation(i);
            let customer = *customers.entry((c.shop, c.buyer)).or_insert_with(|| {
                chunk.customers.0.push(next_customer);
                chunk.customers.1.push(shops[c.shop]);
                chunk.customers.2.push(format!("buyer-{}", c.buyer));
                chunk.customers.3.push(at(c.at));
                next_customer += 1;
                next_customer - 1
            });
            chunk.add(i as i64 + 1, customer, shops[c.shop], &c);
        }
        let tx = client.transaction().await?;
        write_chunk(&tx, &chunk, rule, kind).await?;
        tx.commit().await?;
    }
    client
        .batch_execute(
            "SET session_replication_role = DEFAULT;
             SELECT setval('customers_id_seq', (SELECT MAX(id) FROM customers));
             SELECT setval('conversations_id_seq', (SELECT MAX(id) FROM conversations));
             INSERT INTO kpi_dirty (conversation_id) SELECT id FROM conversations
             ON CONFLICT (conversation_id) DO NOTHING;
             ANALYZE;",
        )
        .await?;
    Ok(shops)
}

/// Inserts one chunk's rows, a statement per table.
async fn write_chunk(tx: &super::Tx<'_>, chunk: &Chunk, rule: &str, kind: &str) -> Result<()> {
    let cu = &chunk.customers;
    tx.execute(
        "INSERT INTO customers (id, shop_id, handle, created_at)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TIMESTAMPTZ[])",
        &[&cu.0, &cu.1, &cu.2, &cu.3],
    )
    .await?;
    let v = &chunk.conversations;
    tx.execute(
        "INSERT INTO conversations (id, shop_id, customer_id, status, channel, assignee_id,
           created_at, updated_at, last_inbound_at, message_count, replied, complaint)
         SELECT id, shop, customer, status, 'api', agent, at, last, at, n, TRUE, complaint
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::BIGINT[],
                     $6::TIMESTAMPTZ[], $7::TIMESTAMPTZ[], $8::BIGINT[], $9::BOOLEAN[])
           AS t(id, shop, customer, status, agent, at, last, n, complaint)",
        &[
            &v.id,
            &v.shop,
            &v.customer,
            &v.status,
            &v.agent,
            &v.at,
            &v.last,
            &v.messages,
            &v.complaint,
        ],
    )
    .await?;
    let m = &chunk.messages;
    tx.execute(
        "INSERT INTO messages (conversation_id, shop_id, direction, channel, body, language, external_id, created_at)
         SELECT c, s, d, 'api', $6, 'en', e, at
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TIMESTAMPTZ[])
           AS t(c, s, d, e, at)",
        &[&m.0, &m.1, &m.2, &m.3, &m.4, &SEED_BODY],
    )
    .await?;
    let o = &chunk.clocks;
    tx.execute(
        "INSERT INTO obligations (conversation_id, rule, clock, severity, due_at, state, opened_at, closed_at)
         SELECT c, $6, $7, 'platform', due, state, opened, closed
         FROM UNNEST($1::BIGINT[], $2::TIMESTAMPTZ[], $3::TEXT[], $4::TIMESTAMPTZ[], $5::TIMESTAMPTZ[])
           AS t(c, due, state, opened, closed)",
        &[&o.0, &o.1, &o.2, &o.3, &o.4, &rule, &kind],
    )
    .await?;
    let e = &chunk.events;
    tx.execute(
        "INSERT INTO events (conversation_id, at, kind, actor, data)
         SELECT c, at, kind, 'bench', data::JSONB
         FROM UNNEST($1::BIGINT[], $2::TIMESTAMPTZ[], $3::TEXT[], $4::TEXT[]) AS t(c, at, kind, data)",
        &[&e.0, &e.1, &e.2, &e.3],
    )
    .await?;
    Ok(())
}
