#![doc = include_str!("../README.md")]

pub mod backup;
pub mod bench_history;
#[cfg(feature = "conformance")]
pub mod conformance;
mod decisions;
mod inbox;
pub mod postgres;
mod records;
pub mod reports;
mod requests;
mod roles;
pub mod rollup;
pub mod routing;
pub mod sqlite;
mod status_sets;
pub mod waits;

/// The rulebook's clocks and flags, stored as the plan gives them (one type, in kefu-core).
pub use kefu_core::{ClockOpen, Flag};
pub use postgres::PostgresStore;
pub mod incidents;
pub use incidents::IncidentStore;
pub use records::*;
pub use reports::{KpiQuery, KpiRows};
pub use requests::*;
pub use waits::{AgentReply, WaitClock, WaitQuery};

pub use roles::{
    CaseStore, ChannelStore, ConversationStore, DirectoryStore, OrderStore, ReportStore,
    SessionStore, Store, StoreInfo,
};

pub use sqlite::SqliteStore;

/// Why a store call failed. `NotFound` and `Invalid` are the caller's doing and become 4xx
/// answers; `Backend` is ours and is logged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The tenant every fresh database starts with; the master key acts in it.
pub const DEFAULT_TENANT: i64 = 1;

/// Opens the store a URL names: `sqlite://PATH` (created if missing; `sqlite::memory:` is
/// refused because nothing in it would be durable) or `postgres://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(StoreError::Invalid(
                "sqlite:// needs a file path, e.g. sqlite://kefu.db".into(),
            ));
        }
        Ok(std::sync::Arc::new(SqliteStore::open(path)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB"
        )))
    }
}

/// The triggers that mark conversations for the KPI rollups (migration 0018), by table.
const KPI_TRIGGERS: [(&str, &str); 6] = [
    ("kpi_conversation_opened", "conversations"),
    ("kpi_conversation_changed", "conversations"),
    ("kpi_reply", "messages"),
    ("kpi_clock_opened", "obligations"),
    ("kpi_clock_changed", "obligations"),
    ("kpi_event", "events"),
];

/// For benchmarks only: removes the triggers that keep the KPI rollups, from the database at
/// `url`, so that `kefu bench http` can measure what keeping them costs the writes.
pub async fn drop_kpi_triggers(url: &str) -> Result<()> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = sqlite::connect(path)?;
        sqlite::migrate(&mut conn)?;
        for (name, _) in KPI_TRIGGERS {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}"))?;
        }
        Ok(())
    } else {
        let store = PostgresStore::connect(url).await?;
        let sql: Vec<String> = KPI_TRIGGERS
            .iter()
            .map(|(name, table)| format!("DROP TRIGGER IF EXISTS {name} ON {table};"))
            .collect();
        store.batch(&sql.concat()).await
    }
}

pub(crate) fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// The role traits, to bring their methods into scope: `use kefu_store::prelude::*;`.
pub mod prelude {
    pub use crate::incidents::IncidentStore;
    pub use crate::roles::{
        CaseStore, ChannelStore, ConversationStore, DirectoryStore, OrderStore, ReportStore,
        SessionStore, Store, StoreInfo,
    };
}
