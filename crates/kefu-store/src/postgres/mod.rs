//! The PostgreSQL store: the server option, for teams that outgrow one machine.
//!
//! A pool of connections (deadpool-postgres): a request takes whichever connection is idle
//! and waits only when all of them are busy. Each write is one transaction. PostgreSQL
//! flushes the WAL once for all transactions committing together, which is the group commit
//! SQLite needs a writer thread for. A buyer's messages are serialised by the row lock their
//! `customers` row takes in the upsert, so two of them never open two conversations.

use crate::decisions::ReplyRoute;
use crate::prelude::*;
use crate::{
    ClockOpen, ConversationDetail, Inbound, IngestOutcome, NewAgent, NewOrder, NewReply, NewShop,
    ReplyOutcome, Result, Stats, StatusChange, StoreError, decisions, routing, status_sets,
};
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

mod assign;
pub mod bench;
mod cases;
mod channels;
mod conversations;
mod directory;
mod incidents;
mod ingest;
mod migrations;
mod read;
mod reports;
mod rows;
mod sessions;
mod waits;
mod writes;

use assign::*;
use ingest::*;
use read::*;
use rows::*;
use writes::*;

/// Connections in the pool. Eight keeps the 2-core machines kefu is sized for busy without
/// a queue of connections in PostgreSQL; the URL has no setting for it (yet), so this is the
/// one place to change it.
const POOL_SIZE: usize = 8;

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
    /// Runs `sql` (several statements) on one connection; for `crate::drop_kpi_triggers`.
    pub(crate) async fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn().await?.batch_execute(sql).await?)
    }

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
