//! The PostgreSQL store: the server option, for teams that outgrow one machine.
//!
//! A pool of connections (deadpool-postgres): a request takes whichever connection is idle
//! and waits only when all of them are busy. Each write is one transaction. PostgreSQL
//! flushes the WAL once for all transactions committing together, which is the group commit
//! SQLite needs a writer thread for. A buyer's messages are serialised by the row lock their
//! `customers` row takes in the upsert, so two of them never open two conversations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use kefu_core::{
    Agent, Conversation, ConversationStatus, Customer, Event, Message, Money, Obligation, Order,
    Shop, event_kind,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_postgres::types::Type;
use tokio_postgres::{NoTls, Row, Statement};

use crate::decisions::ReplyRoute;
use crate::prelude::*;
use crate::{
    ConversationDetail, Inbound, IngestOutcome, NewAgent, NewObligation, NewOrder, NewReply,
    NewShop, ReplyOutcome, Result, Stats, StatusChange, StoreError, decisions, routing,
    status_sets,
};

/// Connections in the pool. Eight keeps the 2-core machines kefu is sized for busy without
/// a queue of connections in PostgreSQL; the URL has no setting for it (yet), so this is the
/// one place to change it.
const POOL_SIZE: usize = 8;
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_failed_ingests.sql"),
    ),
    (3, include_str!("../migrations/postgres/0003_outbox.sql")),
    (4, include_str!("../migrations/postgres/0004_routing.sql")),
    (
        5,
        include_str!("../migrations/postgres/0005_faqs_connectors.sql"),
    ),
    (6, include_str!("../migrations/postgres/0006_sessions.sql")),
    (
        7,
        include_str!("../migrations/postgres/0007_agent_shops.sql"),
    ),
    (
        8,
        include_str!("../migrations/postgres/0008_aftersales_cases.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_team_routing.sql"),
    ),
    (10, include_str!("../migrations/postgres/0010_shifts.sql")),
    (
        11,
        include_str!("../migrations/postgres/0011_attachments.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_order_items.sql"),
    ),
    (
        13,
        include_str!("../migrations/postgres/0013_inbox_work.sql"),
    ),
    (
        14,
        include_str!("../migrations/postgres/0014_order_proof.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_mail_cursors.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_plan_data.sql"),
    ),
];

/// A transaction on a pooled connection; its `prepare_cached` keeps each statement prepared on
/// that connection, by its SQL: parsing and planning every statement again cost more than
/// running it.
type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The statement for `sql`, prepared on this connection the first time it is used.
async fn st(tx: &Tx<'_>, sql: &str) -> Result<Statement> {
    Ok(tx.prepare_cached(sql).await?)
}

pub struct PostgresStore {
    pool: Pool,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let code = db.code().code();
            if code.starts_with("23") {
                return StoreError::Conflict(db.message().to_string());
            }
            return StoreError::Backend(format!("{}: {}", code, db.message()));
        }
        StoreError::Backend(e.to_string())
    }
}

fn parse_enum<T: std::str::FromStr<Err = kefu_core::InvalidInput>>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|e: kefu_core::InvalidInput| StoreError::Backend(e.0))
}

impl PostgresStore {
    /// Builds the pool and runs migrations (under an advisory lock, so several kefu nodes
    /// starting together migrate once). Connections open as requests need them, up to
    /// `POOL_SIZE`; the first one opens here, so a wrong URL or a server that is down fails
    /// now rather than at the first request.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))?;
        // Fast recycling: a connection handed back is reused unless it is closed, with no
        // round trip to check it (a broken one fails its query and is dropped then).
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot build the PostgreSQL pool: {e}")))?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// A connection of the pool: an idle one when there is one, a new one while the pool is
    /// not full, else the first one handed back.
    async fn conn(&self) -> Result<Object> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => StoreError::from(e),
            other => StoreError::Backend(format!("PostgreSQL pool: {other}")),
        })
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Invalid(format!("cannot connect to PostgreSQL: {e}")))?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(7314)", &[])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
                tracing::info!(version, "applied PostgreSQL migration");
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

const SHOP_COLS: &str =
    "id, tenant_id, name, platform, timezone, currency, pack, settings::text, created_at";
fn shop_row(r: &Row) -> Result<Shop> {
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

const ORDER_COLS: &str = "id, shop_id, external_id, total, currency, paid_at, promised_ship_by, shipped_at, carrier, tracking_number, delivered_at, closed_at, promises::text, items";
fn order_row(r: &Row) -> Result<Order> {
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

const CONVERSATION_COLS: &str = "id, shop_id, customer_id, order_id, status, channel, language, assignee_id, created_at, updated_at, last_inbound_at, message_count";
fn conversation_row(r: &Row) -> Result<Conversation> {
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
    })
}

fn obligation_row(r: &Row) -> Result<Obligation> {
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

const AGENT_COLS: &str = "id, tenant_id, email, name, role, languages::text";
fn agent_row(r: &Row) -> Result<Agent> {
    Ok(Agent {
        id: r.get(0),
        tenant_id: r.get(1),
        email: r.get(2),
        name: r.get(3),
        role: parse_enum(r.get(4))?,
        languages: serde_json::from_str(r.get(5)).unwrap_or_default(),
    })
}

async fn add_event(
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

async fn require_shop(tx: &Tx<'_>, shop_id: i64) -> Result<()> {
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
async fn apply_routing_and_flags(
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

async fn open_obligation(
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
async fn ingest_tx(tx: &Tx<'_>, m: &Inbound) -> Result<IngestOutcome> {
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
async fn lock_conversation(tx: &Tx<'_>, id: i64) -> Result<(i64, String, String)> {
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
async fn reply_tx(tx: &Tx<'_>, r: &NewReply) -> Result<ReplyOutcome> {
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
async fn answer_breaches(
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

async fn change_clocks(
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

/// The agents who may work on a shop, with what routing weighs: languages, open load, room,
/// membership of the high-value team `team_id`, last assignment.
async fn routing_candidates(
    tx: &Tx<'_>,
    tenant_id: i64,
    shop_id: i64,
    team_id: Option<i64>,
) -> Result<Vec<routing::Candidate>> {
    let sql = format!(
        "SELECT a.id, a.languages::text,
                (SELECT COUNT(*) FROM conversations x WHERE x.assignee_id = a.id
                   AND x.status IN {open}),
                a.max_open::bigint,
                ($3::bigint IS NOT NULL
                 AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = $3)),
                a.last_assigned_at
         FROM agents a
         WHERE a.tenant_id = $1 AND a.available AND a.role IN ('agent', 'supervisor')
           AND (NOT EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id)
                OR EXISTS (SELECT 1 FROM agent_shops g WHERE g.agent_id = a.id AND g.shop_id = $2))
         ORDER BY a.id",
        open = *status_sets::OPEN
    );
    let rows = tx
        .query(&st(tx, &sql).await?, &[&tenant_id, &shop_id, &team_id])
        .await?;
    Ok(rows
        .iter()
        .map(|r| routing::Candidate {
            agent_id: r.get(0),
            languages: serde_json::from_str(r.get(1)).unwrap_or_default(),
            open_load: r.get(2),
            max_open: r.get(3),
            in_team: r.get(4),
            last_assigned: r
                .get::<_, Option<DateTime<Utc>>>(5)
                .map(|t| t.timestamp_micros()),
        })
        .collect())
}

/// Picks and records the agent for a conversation (see `Store::assign`; the choice is
/// `routing::choose`). The chosen agent's row is locked before it is given the conversation,
/// so two nodes assigning at once queue on it.
async fn assign_tx(tx: &Tx<'_>, conversation_id: i64, at: DateTime<Utc>) -> Result<Option<i64>> {
    // The conversation, the shop's own choice of routing, and the tenant's high-value team.
    let row = tx
        .query_one(
            &st(
                tx,
                "SELECT s.tenant_id, co.language, co.assignee_id, co.shop_id, s.settings->>'routing',
                        co.high_value, t.id, t.routing
                 FROM conversations co JOIN shops s ON s.id = co.shop_id
                 LEFT JOIN LATERAL (SELECT id, routing FROM teams
                                    WHERE tenant_id = s.tenant_id AND high_value
                                    ORDER BY id LIMIT 1) t ON TRUE
                 WHERE co.id = $1",
            )
            .await?,
            &[&conversation_id],
        )
        .await?;
    let (tenant_id, language, current, shop_id): (i64, Option<String>, Option<i64>, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let (shop_routing, high_value, team_id, team_routing): (
        Option<String>,
        bool,
        Option<i64>,
        Option<String>,
    ) = (row.get(4), row.get(5), row.get(6), row.get(7));
    let candidates = routing_candidates(tx, tenant_id, shop_id, team_id).await?;
    let need = routing::Need {
        language: language.as_deref(),
        high_value,
        team_mode: team_id.map(|_| routing::Mode::from_setting(team_routing.as_deref())),
        shop_mode: routing::Mode::from_setting(shop_routing.as_deref()),
    };
    let agent = routing::choose(&need, &candidates);
    if let Some(agent_id) = agent {
        tx.execute(
            &st(tx, "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE").await?,
            &[&agent_id],
        )
        .await?;
    }
    if agent.is_none() && current.is_none() {
        // Nobody to give it to and nobody had it: nothing changes, nothing to record.
        return Ok(None);
    }
    tx.execute(
        "UPDATE conversations SET assignee_id = $2 WHERE id = $1",
        &[&conversation_id, &agent],
    )
    .await?;
    if let Some(agent_id) = agent {
        tx.execute(
            "UPDATE agents SET last_assigned_at = $2 WHERE id = $1",
            &[&agent_id, &at],
        )
        .await?;
    }
    add_event(
        tx,
        conversation_id,
        at,
        event_kind::ASSIGNED,
        "routing",
        json!({"agent_id": agent}),
    )
    .await?;
    Ok(agent)
}

#[async_trait]
impl ConversationStore for PostgresStore {
    async fn buyer_language(&self, shop_id: i64, handle: &str) -> Result<crate::BuyerLanguage> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT cu.language,
                        (SELECT co.language FROM conversations co WHERE co.customer_id = cu.id
                         ORDER BY co.id DESC LIMIT 1)
                 FROM customers cu WHERE cu.shop_id = $1 AND cu.handle = $2",
                &[&shop_id, &handle],
            )
            .await?;
        Ok(row
            .map(|r| crate::BuyerLanguage {
                customer: r.get(0),
                conversation: r.get(1),
            })
            .unwrap_or_default())
    }

    async fn ingest(&self, inbound: Inbound) -> Result<IngestOutcome> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let outcome = ingest_tx(&tx, &inbound).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn add_reply(&self, reply: NewReply) -> Result<ReplyOutcome> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let outcome = reply_tx(&tx, &reply).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>> {
        let mut client = self.conn().await?;
        // One snapshot for all the reads, so the thread and its state agree.
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await?;
        let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1");
        let Some(row) = tx.query_opt(&sql, &[&id]).await? else {
            return Ok(None);
        };
        let conversation = conversation_row(&row)?;
        let c = tx
            .query_one(
                "SELECT id, shop_id, handle, name, language FROM customers WHERE id = $1",
                &[&conversation.customer_id],
            )
            .await?;
        let customer = Customer {
            id: c.get(0),
            shop_id: c.get(1),
            handle: c.get(2),
            name: c.get(3),
            language: c.get(4),
        };
        let order = match conversation.order_id {
            Some(oid) => {
                let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
                tx.query_opt(&sql, &[&oid])
                    .await?
                    .as_ref()
                    .map(order_row)
                    .transpose()?
            }
            None => None,
        };
        let order_claim: Option<String> = tx
            .query_one(
                "SELECT order_claim FROM conversations WHERE id = $1",
                &[&id],
            )
            .await?
            .get(0);
        let messages = tx
            .query("SELECT id, conversation_id, direction, channel, author_agent_id, body, language, external_id, created_at
                    FROM messages WHERE conversation_id = $1 ORDER BY id", &[&id])
            .await?
            .iter()
            .map(|r| Ok(Message {
                id: r.get(0), conversation_id: r.get(1), direction: parse_enum(r.get(2))?, channel: parse_enum(r.get(3))?,
                author_agent_id: r.get(4), body: r.get(5), language: r.get(6), external_id: r.get(7), created_at: r.get(8),
            }))
            .collect::<Result<Vec<_>>>()?;
        let events = tx
            .query("SELECT id, conversation_id, at, kind, actor, data FROM events WHERE conversation_id = $1 ORDER BY id", &[&id])
            .await?
            .iter()
            .map(|r| Event { id: r.get(0), conversation_id: r.get(1), at: r.get(2), kind: r.get(3), actor: r.get(4), data: r.get(5) })
            .collect();
        let obligations = tx
            .query("SELECT id, conversation_id, rule, clock, severity, due_at, state, opened_at, closed_at, explanation
                    FROM obligations WHERE conversation_id = $1 ORDER BY id", &[&id])
            .await?
            .iter()
            .map(obligation_row)
            .collect::<Result<Vec<_>>>()?;
        tx.commit().await?;
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

    async fn log_event(
        &self,
        conversation_id: i64,
        at: DateTime<Utc>,
        kind: &str,
        actor: &str,
        data: Value,
    ) -> Result<()> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "INSERT INTO events (conversation_id, at, kind, actor, data)
                 SELECT id, $2, $3, $4, $5 FROM conversations WHERE id = $1",
                &[&conversation_id, &at, &kind, &actor, &data],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "conversation {conversation_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn set_status(&self, ch: StatusChange) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let (_, before, _) = lock_conversation(&tx, ch.conversation_id).await?;
        if before != ch.status.as_str() {
            tx.execute(
                "UPDATE conversations SET status = $2, updated_at = $3 WHERE id = $1",
                &[&ch.conversation_id, &ch.status.as_str(), &ch.at],
            )
            .await?;
            let (met, opened) =
                change_clocks(&tx, ch.conversation_id, ch.at, &ch.closes_clocks, &ch.opens).await?;
            if !ch.status.is_active() {
                // A finished conversation owes nothing for the clocks it missed.
                tx.execute(
                    "UPDATE obligations SET answered_at = $2
                     WHERE conversation_id = $1 AND state = 'breached' AND answered_at IS NULL",
                    &[&ch.conversation_id, &ch.at],
                )
                .await?;
            }
            let mut data = json!({"from": before, "to": ch.status.as_str(), "reason": ch.reason});
            if !met.is_empty() {
                data["obligations_met"] = json!(met);
            }
            if !opened.is_empty() {
                data["obligations_opened"] = json!(opened);
            }
            add_event(
                &tx,
                ch.conversation_id,
                ch.at,
                event_kind::STATUS_CHANGED,
                &ch.actor,
                data,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn add_note(&self, n: crate::NewNote) -> Result<i64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let (shop_id, _, _) = lock_conversation(&tx, n.conversation_id).await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO messages (conversation_id, shop_id, direction, channel, author_agent_id, body, created_at)
                 VALUES ($1, $2, 'note', 'api', $3, $4, $5) RETURNING id",
                &[&n.conversation_id, &shop_id, &n.agent_id, &n.body, &n.at],
            )
            .await?
            .get(0);
        tx.execute(
            "UPDATE conversations SET message_count = message_count + 1, updated_at = $2 WHERE id = $1",
            &[&n.conversation_id, &n.at],
        )
        .await?;
        add_event(
            &tx,
            n.conversation_id,
            n.at,
            event_kind::NOTE_ADDED,
            &n.actor,
            json!({"message_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn start_clocks(&self, s: crate::ClockStart) -> Result<Vec<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, s.conversation_id).await?;
        let (_, opened) = change_clocks(&tx, s.conversation_id, s.at, &[], &s.obligations).await?;
        let ids = opened
            .iter()
            .filter_map(|o| o["obligation_id"].as_i64())
            .collect();
        add_event(
            &tx,
            s.conversation_id,
            s.at,
            event_kind::CLOCKS_STARTED,
            &s.actor,
            json!({"trigger": s.trigger, "obligations_opened": opened}),
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn breach_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<crate::Breach>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        // SKIP LOCKED: several kefu nodes can sweep at once without marking a breach twice.
        let rows = tx
            .query(
                "WITH due AS (
                     SELECT id FROM obligations WHERE state = 'open' AND due_at <= $1
                     ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE obligations o SET state = 'breached', closed_at = $1 FROM due WHERE o.id = due.id
                 RETURNING o.id, o.conversation_id, o.rule, o.clock, o.severity, o.due_at, o.escalate_on_breach",
                &[&now, &limit],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (id, conversation_id, rule, clock, severity, due): (
                i64,
                i64,
                String,
                String,
                String,
                DateTime<Utc>,
            ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            add_event(&tx, conversation_id, now, event_kind::OBLIGATION_BREACHED, "scheduler",
                json!({"obligation_id": id, "rule": rule, "clock": clock, "severity": severity, "due": due.to_rfc3339()})).await?;
            let severity: kefu_core::Severity = parse_enum(&severity)?;
            let mut escalated = false;
            // The rulebook decided when it opened the clock whether missing it escalates.
            let escalate_on_breach: bool = r.get(6);
            if escalate_on_breach {
                let n = tx
                    .execute(
                        &format!(
                            "UPDATE conversations SET status = 'escalated', updated_at = $2
                             WHERE id = $1 AND status IN {}",
                            *status_sets::ESCALATES_ON_BREACH
                        ),
                        &[&conversation_id, &now],
                    )
                    .await?;
                if n > 0 {
                    escalated = true;
                    add_event(
                        &tx,
                        conversation_id,
                        now,
                        event_kind::STATUS_CHANGED,
                        "scheduler",
                        json!({"to": "escalated", "reason": format!("{rule} breached")}),
                    )
                    .await?;
                }
            }
            out.push(crate::Breach {
                obligation_id: id,
                conversation_id,
                rule,
                clock: parse_enum(&clock)?,
                severity,
                due,
                escalated,
            });
        }
        out.sort_by_key(|b| (b.due, b.obligation_id));
        tx.commit().await?;
        Ok(out)
    }

    async fn obligations(&self, f: crate::ObligationFilter) -> Result<Vec<Obligation>> {
        let client = self.conn().await?;
        let state = f
            .state
            .map(|s| format!("AND o.state = '{}'", s.as_str()))
            .unwrap_or_default();
        let sql = format!(
            "SELECT o.id, o.conversation_id, o.rule, o.clock, o.severity, o.due_at, o.state, o.opened_at, o.closed_at, o.explanation
             FROM obligations o JOIN conversations c ON c.id = o.conversation_id JOIN shops s ON s.id = c.shop_id
             WHERE s.tenant_id = $1 {state} AND ($2::timestamptz IS NULL OR o.due_at < $2)
               AND ($3::bigint IS NULL OR c.shop_id = $3)
               AND ($5::timestamptz IS NULL OR o.due_at > $5 OR (o.due_at = $5 AND o.id > $6::bigint))
             ORDER BY o.due_at, o.id LIMIT $4"
        );
        let (after_due, after_id) = (f.after.map(|a| a.0), f.after.map(|a| a.1));
        client
            .query(
                &sql,
                &[
                    &f.tenant_id,
                    &f.due_before,
                    &f.shop_id,
                    &f.limit,
                    &after_due,
                    &after_id,
                ],
            )
            .await?
            .iter()
            .map(obligation_row)
            .collect()
    }

    async fn assign_to(
        &self,
        conversation_id: i64,
        agent_id: Option<i64>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE conversations SET assignee_id = $2 WHERE id = $1",
                &[&conversation_id, &agent_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "conversation {conversation_id} does not exist"
            )));
        }
        add_event(
            &tx,
            conversation_id,
            at,
            kefu_core::event_kind::ASSIGNED,
            actor,
            json!({"agent_id": agent_id, "manual": true}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn assign(&self, conversation_id: i64, at: DateTime<Utc>) -> Result<Option<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, conversation_id).await?;
        let agent = assign_tx(&tx, conversation_id, at).await?;
        tx.commit().await?;
        Ok(agent)
    }

    async fn set_availability(
        &self,
        agent_id: i64,
        available: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE agents SET available = $2 WHERE id = $1",
                &[&agent_id, &available],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        let mut moved = Vec::new();
        if !available {
            let rows = tx
                .query(
                    &format!(
                        "SELECT id FROM conversations WHERE assignee_id = $1
                         AND status IN {} ORDER BY id FOR UPDATE",
                        *status_sets::OPEN
                    ),
                    &[&agent_id],
                )
                .await?;
            for r in rows {
                let id: i64 = r.get(0);
                assign_tx(&tx, id, at).await?;
                moved.push(id);
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn inbox(&self, q: crate::InboxQuery) -> Result<Vec<crate::InboxRow>> {
        let conn = self.conn().await?;
        let mut out: Vec<crate::InboxRow> = Vec::new();
        for part in crate::inbox::parts(&q) {
            let left = q.limit - out.len() as i64;
            if left <= 0 {
                break;
            }
            let after = q.after.filter(|a| a.part == part);
            let sql =
                crate::inbox::part_sql(&q, part, after.is_some(), crate::inbox::Dialect::Postgres);
            let (after_at, after_id) = (after.map(|a| a.at), after.map(|a| a.id));
            // Typed, since a part's statement leaves some of the seven parameters unused.
            let stmt = conn
                .prepare_typed(
                    &sql,
                    &[
                        Type::INT8,
                        Type::TEXT,
                        Type::TIMESTAMPTZ,
                        Type::TIMESTAMPTZ,
                        Type::INT8,
                        Type::INT8,
                        Type::TIMESTAMPTZ,
                    ],
                )
                .await?;
            let rows = conn
                .query(
                    &stmt,
                    &[
                        &q.tenant_id,
                        &q.language,
                        &q.due_before,
                        &after_at,
                        &after_id,
                        &left,
                        &q.pending_before,
                    ],
                )
                .await?;
            for r in rows {
                out.push(crate::InboxRow {
                    part,
                    obligation_id: r.get(0),
                    conversation_id: r.get(1),
                    shop_id: r.get(2),
                    rule: r.get(3),
                    due: r.get(4),
                    opened_at: r.get(5),
                    status: parse_enum(&r.get::<_, String>(6))?,
                    language: r.get(7),
                    assignee_id: r.get(8),
                    customer_handle: r.get(9),
                    customer_name: r.get(10),
                    last_message: r.get(11),
                });
            }
        }
        Ok(out)
    }

    async fn overview(
        &self,
        tenant_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<crate::Overview> {
        let open = &*status_sets::OPEN;
        let c = self.conn().await?;
        let shops = "SELECT id FROM shops WHERE tenant_id = $1";
        let pairs = |rows: Vec<Row>| -> Vec<(i64, i64)> {
            rows.iter().map(|r| (r.get(0), r.get(1))).collect()
        };
        let open_by_shop = pairs(
            c.query(&format!("SELECT shop_id, COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY shop_id ORDER BY shop_id"), &[&tenant_id]).await?,
        );
        let load = pairs(
            c.query(&format!("SELECT COALESCE(assignee_id, 0), COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY assignee_id ORDER BY 1"), &[&tenant_id]).await?,
        );
        let unassigned = load.iter().find(|(a, _)| *a == 0).map_or(0, |(_, n)| *n);
        let escalated: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM conversations WHERE status = 'escalated' AND shop_id IN ({shops})"), &[&tenant_id])
            .await?
            .get(0);
        let of_tenant =
            format!("conversation_id IN (SELECT id FROM conversations WHERE shop_id IN ({shops}))");
        let breaches: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM obligations WHERE state = 'breached' AND closed_at >= $2 AND {of_tenant}"), &[&tenant_id, &since])
            .await?
            .get(0);
        let hour = now + chrono::Duration::hours(1);
        let due_next_hour: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM obligations WHERE state = 'open' AND due_at < $2 AND due_at >= $3 AND {of_tenant}"), &[&tenant_id, &hour, &now])
            .await?
            .get(0);
        let frt = c
            .query_one(
                &format!(
                    "SELECT COUNT(*) FILTER (WHERE state = 'met'), COUNT(*) FILTER (WHERE state = 'breached'),
                            (AVG(EXTRACT(EPOCH FROM closed_at - opened_at)) FILTER (WHERE state = 'met'))::float8
                     FROM obligations WHERE clock = $3 AND closed_at >= $2 AND {of_tenant}"
                ),
                &[&tenant_id, &since, &crate::FIRST_RESPONSE.as_str()],
            )
            .await?;
        let done = c
            .query_one(
                &format!("SELECT COUNT(*), COUNT(*) FILTER (WHERE status IN {finished}) FROM conversations WHERE created_at >= $2 AND shop_id IN ({shops})", finished = *status_sets::FINISHED),
                &[&tenant_id, &since],
            )
            .await?;
        Ok(crate::Overview {
            open_by_shop,
            escalated,
            breaches,
            due_next_hour,
            load_by_agent: load.into_iter().filter(|(a, _)| *a != 0).collect(),
            unassigned,
            first_response_met: frt.get(0),
            first_response_breached: frt.get(1),
            first_response_mean_secs: frt.get(2),
            opened: done.get(0),
            resolved: done.get(1),
        })
    }
}

#[async_trait]
impl OrderStore for PostgresStore {
    async fn upsert_order(&self, o: NewOrder) -> Result<Order> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        require_shop(&tx, o.shop_id).await?;
        let sql = format!(
            "INSERT INTO orders (shop_id, external_id, total, currency, paid_at, promised_ship_by,
                 shipped_at, carrier, tracking_number, delivered_at, closed_at, promises, created_at, items,
                 buyer_email, buyer_phone, buyer_postcode)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $5, $13, $14, $15, $16)
             ON CONFLICT (shop_id, external_id) DO UPDATE SET
                 total = EXCLUDED.total, currency = EXCLUDED.currency, paid_at = EXCLUDED.paid_at,
                 promised_ship_by = EXCLUDED.promised_ship_by, shipped_at = EXCLUDED.shipped_at,
                 carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
                 delivered_at = EXCLUDED.delivered_at, closed_at = EXCLUDED.closed_at,
                 promises = EXCLUDED.promises, items = EXCLUDED.items,
                 buyer_email = COALESCE(EXCLUDED.buyer_email, orders.buyer_email),
                 buyer_phone = COALESCE(EXCLUDED.buyer_phone, orders.buyer_phone),
                 buyer_postcode = COALESCE(EXCLUDED.buyer_postcode, orders.buyer_postcode)
             RETURNING {ORDER_COLS}"
        );
        let promises = json!(o.promises);
        let items = serde_json::to_string(&o.items).unwrap_or_else(|_| "[]".into());
        let row = tx
            .query_one(
                &sql,
                &[
                    &o.shop_id,
                    &o.external_id,
                    &o.total.amount,
                    &o.total.currency.code(),
                    &o.paid_at,
                    &o.promised_ship_by,
                    &o.shipped_at,
                    &o.carrier,
                    &o.tracking_number,
                    &o.delivered_at,
                    &o.closed_at,
                    &promises,
                    &items,
                    &o.buyer.email,
                    &o.buyer.phone,
                    &o.buyer.postcode,
                ],
            )
            .await?;
        let order = order_row(&row)?;
        tx.commit().await?;
        Ok(order)
    }

    async fn order_buyer(
        &self,
        shop_id: i64,
        external_id: &str,
    ) -> Result<Option<crate::OrderBuyer>> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT buyer_email, buyer_phone, buyer_postcode FROM orders WHERE shop_id = $1 AND external_id = $2",
                &[&shop_id, &external_id],
            )
            .await?;
        Ok(row.map(|r| crate::OrderBuyer {
            email: r.get(0),
            phone: r.get(1),
            postcode: r.get(2),
        }))
    }

    async fn claim_order(
        &self,
        conversation_id: i64,
        external_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE conversations SET order_claim = $2
                 WHERE id = $1 AND order_id IS NULL AND order_claim IS DISTINCT FROM $2",
                &[&conversation_id, &external_id],
            )
            .await?;
        if changed == 0 {
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM conversations WHERE id = $1",
                    &[&conversation_id],
                )
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound(format!(
                    "conversation {conversation_id} does not exist"
                )));
            }
            // Already linked to an order (that link stands) or this very claim made before:
            // nothing to record.
            return Ok(());
        }
        tx.execute(
            "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES ($1, $2, $3, 'visitor', $4)",
            &[
                &conversation_id,
                &at,
                &event_kind::ORDER_CLAIMED,
                &json!({"order": external_id, "verified": false}),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn order(&self, shop_id: i64, external_id: &str) -> Result<Option<Order>> {
        let client = self.conn().await?;
        let sql =
            format!("SELECT {ORDER_COLS} FROM orders WHERE shop_id = $1 AND external_id = $2");
        client
            .query_opt(&sql, &[&shop_id, &external_id])
            .await?
            .as_ref()
            .map(order_row)
            .transpose()
    }
}

#[async_trait]
impl DirectoryStore for PostgresStore {
    async fn create_shop(&self, s: NewShop) -> Result<Shop> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&s.tenant_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "tenant {} does not exist",
                s.tenant_id
            )));
        }
        let sql = format!(
            "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, settings, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING {SHOP_COLS}"
        );
        let row = client
            .query_one(
                &sql,
                &[
                    &s.tenant_id,
                    &s.name,
                    &s.platform.as_str(),
                    &s.timezone,
                    &s.currency,
                    &s.pack,
                    &s.settings,
                ],
            )
            .await?;
        shop_row(&row)
    }

    async fn shop(&self, id: i64) -> Result<Option<Shop>> {
        let client = self.conn().await?;
        let sql = format!("SELECT {SHOP_COLS} FROM shops WHERE id = $1");
        client
            .query_opt(&sql, &[&id])
            .await?
            .as_ref()
            .map(shop_row)
            .transpose()
    }

    async fn shops(&self, tenant_id: i64) -> Result<Vec<Shop>> {
        let client = self.conn().await?;
        let sql = format!("SELECT {SHOP_COLS} FROM shops WHERE tenant_id = $1 ORDER BY id");
        client
            .query(&sql, &[&tenant_id])
            .await?
            .iter()
            .map(shop_row)
            .collect()
    }

    async fn create_agent(&self, a: NewAgent) -> Result<Agent> {
        let client = self.conn().await?;
        let sql = format!(
            "INSERT INTO agents (tenant_id, email, name, role, languages, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING {AGENT_COLS}"
        );
        let languages = json!(a.languages);
        let row = client
            .query_one(
                &sql,
                &[
                    &a.tenant_id,
                    &a.email,
                    &a.name,
                    &a.role.as_str(),
                    &languages,
                    &a.password_hash,
                ],
            )
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!(
                    "an agent with email {:?} already exists",
                    a.email
                )),
                other => other,
            })?;
        agent_row(&row)
    }

    async fn create_token(&self, agent_id: i64, name: &str, token_hash: &str) -> Result<()> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "INSERT INTO api_tokens (agent_id, name, token_hash, created_at)
                 SELECT id, $2, $3, now() FROM agents WHERE id = $1",
                &[&agent_id, &name, &token_hash],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn agent_by_token_hash(&self, token_hash: &str) -> Result<Option<Agent>> {
        let client = self.conn().await?;
        let sql = format!(
            "SELECT {AGENT_COLS} FROM agents WHERE id = (SELECT agent_id FROM api_tokens WHERE token_hash = $1)"
        );
        client
            .query_opt(&sql, &[&token_hash])
            .await?
            .as_ref()
            .map(agent_row)
            .transpose()
    }

    async fn set_shifts(&self, agent_id: i64, shifts: Option<String>) -> Result<()> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "UPDATE agents SET shifts = $2 WHERE id = $1",
                &[&agent_id, &shifts],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn agents_with_shifts(&self) -> Result<Vec<(i64, bool, String)>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT id, available, shifts FROM agents WHERE shifts IS NOT NULL ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn update_shop(&self, shop_id: i64, timezone: &str, settings: Value) -> Result<Shop> {
        {
            let conn = self.conn().await?;
            let n = conn
                .execute(
                    "UPDATE shops SET timezone = $2, settings = $3 WHERE id = $1",
                    &[&shop_id, &timezone, &settings],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "shop {shop_id} does not exist"
                )));
            }
        }
        self.shop(shop_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("shop {shop_id} does not exist")))
    }

    async fn teams(&self, tenant_id: i64) -> Result<Vec<crate::TeamInfo>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT t.id, t.name, t.high_value, t.routing,
                        ARRAY(SELECT m.agent_id FROM team_members m WHERE m.team_id = t.id ORDER BY m.agent_id)
                 FROM teams t WHERE t.tenant_id = $1 ORDER BY t.id",
                &[&tenant_id],
            )
            .await?
            .iter()
            .map(|r| crate::TeamInfo {
                id: r.get(0),
                name: r.get(1),
                high_value: r.get(2),
                routing: r.get(3),
                members: r.get(4),
            })
            .collect())
    }

    async fn create_team(&self, t: crate::NewTeam) -> Result<i64> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO teams (tenant_id, name, high_value, routing) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&t.tenant_id, &t.name, &t.high_value, &t.routing],
            )
            .await
            .map_err(|e| StoreError::Conflict(format!("team {:?} cannot be created: {e}", t.name)))?
            .get(0);
        for agent in &t.members {
            tx.execute(
                "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)",
                &[&id, agent],
            )
            .await
            .map_err(|e| StoreError::Invalid(format!("agent {agent} cannot join: {e}")))?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn set_agent_shops(&self, agent_id: i64, shops: Vec<i64>) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        tx.execute("DELETE FROM agent_shops WHERE agent_id = $1", &[&agent_id])
            .await?;
        for shop in shops {
            tx.execute(
                "INSERT INTO agent_shops (agent_id, shop_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&agent_id, &shop],
            )
            .await
            .map_err(|e| StoreError::Invalid(format!("agent {agent_id} or shop {shop} does not exist: {e}")))?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_shops(&self, agent_id: i64) -> Result<Vec<i64>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT shop_id FROM agent_shops WHERE agent_id = $1 ORDER BY shop_id",
                &[&agent_id],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn agents(&self, tenant_id: i64) -> Result<Vec<Agent>> {
        let conn = self.conn().await?;
        conn.query(
            &format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = $1 ORDER BY id"),
            &[&tenant_id],
        )
        .await?
        .iter()
        .map(agent_row)
        .collect()
    }
}

#[async_trait]
impl ChannelStore for PostgresStore {
    async fn record_failed_ingest(&self, f: crate::FailedIngest) -> Result<i64> {
        let client = self.conn().await?;
        let row = client
            .query_one(
                "INSERT INTO failed_ingests (channel, received_at, error, raw) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&f.channel.as_str(), &f.received_at, &f.error, &f.raw],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn failed_ingests(&self, limit: i64) -> Result<Vec<crate::FailedIngestInfo>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT id, channel, received_at, error, length(raw)::bigint FROM failed_ingests ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::FailedIngestInfo {
                id: r.get(0),
                channel: r.get(1),
                received_at: r.get(2),
                error: r.get(3),
                size: r.get(4),
            })
            .collect())
    }

    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<crate::OutboxItem>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                "SELECT o.id, o.message_id, o.conversation_id, o.channel, o.recipient, m.body, o.attempts::bigint, s.name,
                        (SELECT external_id FROM messages i WHERE i.conversation_id = o.conversation_id
                            AND i.direction = 'inbound' AND i.id < o.message_id ORDER BY i.id DESC LIMIT 1),
                        (SELECT reply_to FROM messages i WHERE i.conversation_id = o.conversation_id
                            AND i.direction = 'inbound' AND i.reply_to IS NOT NULL AND i.id < o.message_id
                            ORDER BY i.id DESC LIMIT 1),
                        m.shop_id
                 FROM outbox o JOIN messages m ON m.id = o.message_id JOIN shops s ON s.id = m.shop_id
                 WHERE o.state = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT $2",
                &[&now, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::OutboxItem {
                id: r.get(0),
                message_id: r.get(1),
                conversation_id: r.get(2),
                channel: r.get(3),
                recipient: r.get(4),
                body: r.get(5),
                attempts: r.get(6),
                shop_name: r.get(7),
                in_reply_to: r.get(8),
                reply_to: r.get(9),
                shop_id: r.get(10),
            })
            .collect())
    }

    async fn record_delivery(
        &self,
        id: i64,
        at: DateTime<Utc>,
        outcome: crate::Delivery,
    ) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT conversation_id, message_id FROM outbox WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
        else {
            return Err(StoreError::NotFound(format!(
                "outbox entry {id} does not exist"
            )));
        };
        let (conversation_id, message_id): (i64, i64) = (row.get(0), row.get(1));
        match outcome {
            crate::Delivery::Sent { external_id } => {
                tx.execute(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $2, external_id = $3, last_error = NULL WHERE id = $1",
                    &[&id, &at, &external_id],
                )
                .await?;
                add_event(
                    &tx,
                    conversation_id,
                    at,
                    event_kind::REPLY_DELIVERED,
                    "outbox",
                    json!({"message_id": message_id, "external_id": external_id}),
                )
                .await?;
            }
            crate::Delivery::Failed { error, retry_at } => {
                let state = if retry_at.is_some() {
                    "pending"
                } else {
                    "failed"
                };
                tx.execute(
                    "UPDATE outbox SET state = $2, attempts = attempts + 1, last_error = $3,
                         next_attempt_at = COALESCE($4, next_attempt_at) WHERE id = $1",
                    &[&id, &state, &error, &retry_at],
                )
                .await?;
                add_event(&tx, conversation_id, at, event_kind::REPLY_DELIVERY_FAILED, "outbox",
                    json!({"message_id": message_id, "error": error, "retry_at": retry_at.map(|t| t.to_rfc3339())})).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn index_feed(&self, after_id: i64, limit: i64) -> Result<Vec<crate::IndexRow>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT m.id, m.conversation_id, s.tenant_id, m.shop_id, s.platform, c.status,
                        COALESCE(m.author_agent_id, c.assignee_id), m.direction, m.language, m.body, m.created_at
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN shops s ON s.id = m.shop_id
                 WHERE m.id > $1 ORDER BY m.id LIMIT $2",
                &[&after_id, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::IndexRow {
                message_id: r.get(0),
                conversation_id: r.get(1),
                tenant_id: r.get(2),
                shop_id: r.get(3),
                platform: r.get(4),
                status: r.get(5),
                agent_id: r.get(6),
                direction: r.get(7),
                language: r.get(8),
                body: r.get(9),
                created_at: r.get(10),
            })
            .collect())
    }

    async fn add_attachment(
        &self,
        message_id: i64,
        filename: &str,
        content_type: &str,
        data: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "INSERT INTO attachments (conversation_id, message_id, filename, content_type, size, data, created_at)
                 SELECT conversation_id, id, $2, $3, $4, $5, $6 FROM messages WHERE id = $1 RETURNING id",
                &[&message_id, &filename, &content_type, &(data.len() as i64), &data, &at],
            )
            .await?;
        row.map(|r| r.get(0))
            .ok_or_else(|| StoreError::NotFound(format!("message {message_id} does not exist")))
    }

    async fn attachments(&self, conversation_id: i64) -> Result<Vec<crate::AttachmentInfo>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at FROM attachments
                 WHERE conversation_id = $1 ORDER BY id",
                &[&conversation_id],
            )
            .await?
            .iter()
            .map(|r| crate::AttachmentInfo {
                id: r.get(0),
                conversation_id: r.get(1),
                message_id: r.get(2),
                filename: r.get(3),
                content_type: r.get(4),
                size: r.get(5),
                created_at: r.get(6),
            })
            .collect())
    }

    async fn attachment(&self, id: i64) -> Result<Option<(crate::AttachmentInfo, Vec<u8>)>> {
        let conn = self.conn().await?;
        Ok(conn
            .query_opt(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at, data FROM attachments WHERE id = $1",
                &[&id],
            )
            .await?
            .map(|r| {
                (
                    crate::AttachmentInfo {
                        id: r.get(0),
                        conversation_id: r.get(1),
                        message_id: r.get(2),
                        filename: r.get(3),
                        content_type: r.get(4),
                        size: r.get(5),
                        created_at: r.get(6),
                    },
                    r.get(7),
                )
            }))
    }

    async fn mail_cursor(&self, source: &str) -> Result<Option<crate::MailCursor>> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT uid_validity, last_uid FROM mail_cursors WHERE source = $1",
                &[&source],
            )
            .await?;
        Ok(row.map(|r| crate::MailCursor {
            // Stored as BIGINT: PostgreSQL has no unsigned 32-bit type.
            uid_validity: r.get::<_, i64>(0) as u32,
            last_uid: r.get::<_, i64>(1) as u32,
        }))
    }

    async fn save_mail_cursor(
        &self,
        source: &str,
        cursor: crate::MailCursor,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        conn.execute(
            "INSERT INTO mail_cursors (source, uid_validity, last_uid, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (source) DO UPDATE SET uid_validity = EXCLUDED.uid_validity,
                     last_uid = EXCLUDED.last_uid, updated_at = EXCLUDED.updated_at",
            &[
                &source,
                &i64::from(cursor.uid_validity),
                &i64::from(cursor.last_uid),
                &at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn put_faq(&self, f: crate::FaqEntry) -> Result<()> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM shops WHERE id = $1", &[&f.shop_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "shop {} does not exist",
                f.shop_id
            )));
        }
        client
            .execute(
                "INSERT INTO faqs (shop_id, faq_key, language, questions, answer, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (shop_id, faq_key, language)
                 DO UPDATE SET questions = excluded.questions, answer = excluded.answer, updated_at = excluded.updated_at",
                &[&f.shop_id, &f.key, &f.language, &json!(f.questions), &f.answer, &f.updated_at],
            )
            .await?;
        Ok(())
    }

    async fn faqs(&self, shop_id: i64) -> Result<Vec<crate::FaqEntry>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                "SELECT shop_id, faq_key, language, questions, answer, updated_at FROM faqs
                 WHERE shop_id = $1 ORDER BY faq_key, language",
                &[&shop_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::FaqEntry {
                shop_id: r.get(0),
                key: r.get(1),
                language: r.get(2),
                questions: serde_json::from_value(r.get::<_, Value>(3)).unwrap_or_default(),
                answer: r.get(4),
                updated_at: r.get(5),
            })
            .collect())
    }

    async fn delete_faq(&self, shop_id: i64, key: &str, language: &str) -> Result<bool> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "DELETE FROM faqs WHERE shop_id = $1 AND faq_key = $2 AND language = $3",
                &[&shop_id, &key, &language],
            )
            .await?;
        Ok(n > 0)
    }

    async fn create_connector(&self, n: crate::NewConnector) -> Result<crate::ConnectorRow> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM shops WHERE id = $1", &[&n.shop_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "shop {} does not exist",
                n.shop_id
            )));
        }
        let row = client
            .query_opt(
                &format!(
                    "INSERT INTO connectors (shop_id, kind, base_url, credentials, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (shop_id, kind) DO NOTHING
                     RETURNING {CONNECTOR_COLS}"
                ),
                &[&n.shop_id, &n.kind, &n.base_url, &n.credentials, &n.at],
            )
            .await?;
        match row {
            Some(row) => Ok(connector_row(&row)),
            None => Err(StoreError::Conflict(format!(
                "shop {} already has a {} connector",
                n.shop_id, n.kind
            ))),
        }
    }

    async fn connectors(&self, shop_ids: Option<Vec<i64>>) -> Result<Vec<crate::ConnectorRow>> {
        let conn = self.conn().await?;
        let rows = match shop_ids {
            Some(ids) => {
                conn
                    .query(
                        &format!("SELECT {CONNECTOR_COLS} FROM connectors WHERE shop_id = ANY($1) ORDER BY id"),
                        &[&ids],
                    )
                    .await?
            }
            None => {
                conn
                    .query(
                        &format!("SELECT {CONNECTOR_COLS} FROM connectors ORDER BY id"),
                        &[],
                    )
                    .await?
            }
        };
        Ok(rows.iter().map(connector_row).collect())
    }

    async fn due_connectors(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<crate::ConnectorRow>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                &format!(
                    "SELECT {CONNECTOR_COLS} FROM connectors WHERE next_attempt_at <= $1
                     ORDER BY next_attempt_at LIMIT $2"
                ),
                &[&now, &limit],
            )
            .await?;
        Ok(rows.iter().map(connector_row).collect())
    }

    async fn save_connector(
        &self,
        id: i64,
        cursor: Option<String>,
        health: Value,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "UPDATE connectors SET cursor = COALESCE($2, cursor), health = $3, next_attempt_at = $4
                 WHERE id = $1",
                &[&id, &cursor, &health, &next_attempt_at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "connector {id} does not exist"
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl CaseStore for PostgresStore {
    async fn open_case(&self, n: crate::NewCase) -> Result<crate::AftersalesCase> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        if tx
            .query_opt(
                "SELECT 1 FROM conversations WHERE id = $1",
                &[&n.conversation_id],
            )
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "conversation {} does not exist",
                n.conversation_id
            )));
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO aftersales_cases (conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'offered', $8, $9, $9) RETURNING {CASE_COLS}"
                ),
                &[&n.conversation_id, &n.order_id, &n.kind, &n.rule, &n.action, &n.amount, &n.currency, &n.due, &n.at],
            )
            .await?;
        let case = case_row(&row);
        add_event(
            &tx,
            n.conversation_id,
            n.at,
            "case_opened",
            &n.actor,
            json!({"case_id": case.id, "kind": case.kind, "rule": case.rule, "action": case.action,
                   "amount": case.amount, "currency": case.currency, "due": n.due.to_rfc3339()}),
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }

    async fn cases(&self, conversation_id: i64) -> Result<Vec<crate::AftersalesCase>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                &format!("SELECT {CASE_COLS} FROM aftersales_cases WHERE conversation_id = $1 ORDER BY id"),
                &[&conversation_id],
            )
            .await?
            .iter()
            .map(case_row)
            .collect())
    }

    async fn set_case_state(
        &self,
        case_id: i64,
        state: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<crate::AftersalesCase> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let Some(before) = tx
            .query_opt(
                "SELECT conversation_id, state FROM aftersales_cases WHERE id = $1 FOR UPDATE",
                &[&case_id],
            )
            .await?
        else {
            return Err(StoreError::NotFound(format!(
                "case {case_id} does not exist"
            )));
        };
        let (conversation_id, from): (i64, String) = (before.get(0), before.get(1));
        let row = tx
            .query_one(
                &format!("UPDATE aftersales_cases SET state = $2, updated_at = $3 WHERE id = $1 RETURNING {CASE_COLS}"),
                &[&case_id, &state, &at],
            )
            .await?;
        let case = case_row(&row);
        add_event(
            &tx,
            conversation_id,
            at,
            "case_updated",
            actor,
            json!({"case_id": case_id, "from": from, "to": state, "action": case.action, "rule": case.rule}),
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn login_record(&self, email: &str) -> Result<Option<crate::LoginRecord>> {
        let conn = self.conn().await?;
        let sql = format!(
            "SELECT {AGENT_COLS}, password_hash, failed_logins::bigint, locked_until FROM agents WHERE email = $1"
        );
        match conn.query_opt(&sql, &[&email]).await? {
            Some(r) => Ok(Some(crate::LoginRecord {
                agent: agent_row(&r)?,
                password_hash: r.get(6),
                failed_logins: r.get(7),
                locked_until: r.get(8),
            })),
            None => Ok(None),
        }
    }

    async fn set_password(&self, agent_id: i64, hash: &str) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let n = tx
            .execute(
                "UPDATE agents SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&agent_id, &hash],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        // A new password ends every session signed in with the old one.
        tx.execute("DELETE FROM sessions WHERE agent_id = $1", &[&agent_id])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_login(
        &self,
        agent_id: i64,
        success: bool,
        lock_after: i64,
        locked_until: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        if success {
            conn.execute(
                "UPDATE agents SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&agent_id],
            )
            .await?;
        } else {
            conn
                .execute(
                    "UPDATE agents SET failed_logins = failed_logins + 1,
                         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
                     WHERE id = $1",
                    &[&agent_id, &(lock_after as i32), &locked_until],
                )
                .await?;
        }
        Ok(())
    }

    async fn create_session(&self, s: crate::NewSession) -> Result<()> {
        let conn = self.conn().await?;
        conn
            .execute(
                "INSERT INTO sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&s.token_hash, &s.agent_id, &s.csrf, &s.created_at, &s.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Agent, String, Vec<i64>)>> {
        let conn = self.conn().await?;
        let cols = AGENT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, s.csrf,
                    ARRAY(SELECT g.shop_id FROM agent_shops g WHERE g.agent_id = a.id ORDER BY g.shop_id)
             FROM sessions s JOIN agents a ON a.id = s.agent_id
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        match conn.query_opt(&sql, &[&token_hash, &now]).await? {
            Some(r) => Ok(Some((agent_row(&r)?, r.get(6), r.get(7)))),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let conn = self.conn().await?;
        conn.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl StoreInfo for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        self.conn().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn stats(&self) -> Result<Stats> {
        let client = self.conn().await?;
        let row = client
            .query_one(
                &format!(
                    "SELECT (SELECT COUNT(*) FROM shops), (SELECT COUNT(*) FROM conversations),
                        (SELECT COUNT(*) FROM conversations WHERE status IN {}),
                        (SELECT COUNT(*) FROM messages)",
                    *status_sets::OPEN
                ),
                &[],
            )
            .await?;
        Ok(Stats {
            shops: row.get(0),
            conversations: row.get(1),
            open_conversations: row.get(2),
            messages: row.get(3),
        })
    }
}

const CONNECTOR_COLS: &str =
    "id, shop_id, kind, base_url, credentials, cursor, health, next_attempt_at, created_at";

fn connector_row(r: &Row) -> crate::ConnectorRow {
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

const CASE_COLS: &str = "id, conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at";

fn case_row(r: &Row) -> crate::AftersalesCase {
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
