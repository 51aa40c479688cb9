#![doc = include_str!("../README.md")]

mod analysis;
pub mod bench;
mod index;
mod query;
mod schema;
mod snippet;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use index::SearchIndex;

/// One searchable item: a buyer's message, an agent's reply or note, or an order's text.
#[derive(Clone, Debug)]
pub struct Doc {
    /// Identity in the index: indexing the same id again replaces the document.
    pub message_id: i64,
    pub conversation_id: i64,
    pub tenant_id: i64,
    pub shop_id: i64,
    pub platform: String,
    pub status: String,
    pub agent_id: Option<i64>,
    /// `inbound`, `outbound`, `note` or `order`.
    pub kind: String,
    /// ISO 639-1 code ("zh", "en", "de", …) when known; picks the stemmer.
    pub language: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A search: the user's text plus filters. The tenant filter is mandatory.
#[derive(Clone, Debug)]
pub struct Query {
    /// Plain user text: words and optional "quoted phrases"; any input is accepted.
    pub text: String,
    pub tenant_id: i64,
    pub shop_id: Option<i64>,
    /// Compared ignoring case.
    pub platform: Option<String>,
    /// Compared ignoring case.
    pub status: Option<String>,
    pub agent_id: Option<i64>,
    /// Inclusive, to the second.
    pub from: Option<DateTime<Utc>>,
    /// Inclusive, to the second.
    pub to: Option<DateTime<Utc>>,
    /// At most 1000; 0 returns only the total.
    pub limit: usize,
    /// `offset + limit` may not exceed 10 000.
    pub offset: usize,
}

impl Query {
    /// A query for `text` in one tenant, first page of 20, no other filter.
    pub fn new(tenant_id: i64, text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            tenant_id,
            shop_id: None,
            platform: None,
            status: None,
            agent_id: None,
            from: None,
            to: None,
            limit: 20,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Hits {
    /// Exact number of matching documents, whatever the page.
    pub total: u64,
    pub hits: Vec<Hit>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub conversation_id: i64,
    pub message_id: i64,
    /// HTML: the best fragment of the body, escaped, with `<mark>…</mark>` around matches.
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request cannot be searched as given (too long, page too deep, empty date range).
    /// Text is never invalid for its content: any words, quotes or symbols are accepted.
    #[error("invalid search: {0}")]
    InvalidQuery(String),
    /// The index on disk was built with another schema: delete it and rebuild.
    #[error("the search index at {path} was built by another version; rebuild it: {source}")]
    Incompatible {
        path: std::path::PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("search index directory {path}: {source}")]
    Directory {
        path: std::path::PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

pub(crate) fn to_tantivy_date(d: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(d.timestamp())
}
