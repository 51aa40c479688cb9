//! Incidents (COLLECTIVE-3LEVEL) as stored: the incident, the conversations it links, its
//! timeline. Which complaints belong together and what level that makes are decided above
//! (kefu-cluster, the rulebook); the store keeps the result, each change with its timeline
//! entry (and an `incident_joined` event in each conversation that joins) in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::Result;

/// The states an incident is in.
pub mod incident_state {
    pub const OPEN: &str = "open";
    pub const CLOSED: &str = "closed";
    /// Folded into another incident (`merged_into`).
    pub const MERGED: &str = "merged";
}

/// The kinds of an incident's timeline entries.
pub mod incident_event {
    pub const OPENED: &str = "opened";
    pub const JOINED: &str = "joined";
    pub const LEVEL_CHANGED: &str = "level_changed";
    pub const REPLIED: &str = "replied";
    pub const MERGED: &str = "merged";
    pub const SPLIT: &str = "split";
    pub const CLOSED: &str = "closed";
}

/// An incident to open.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub tenant_id: i64,
    pub shop_id: i64,
    pub level: u8,
    pub rule: String,
    pub cause: Value,
    pub opened_at: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
    pub owner_id: Option<i64>,
    pub conversation_ids: Vec<i64>,
    pub actor: String,
}

/// A change to an open incident.
#[derive(Debug, Clone)]
pub enum IncidentChange {
    /// Conversations join (those already linked are left as they are).
    Join(Vec<i64>),
    Level {
        level: u8,
        owner_id: Option<i64>,
        reason: String,
    },
    /// A reply went to its conversations (recorded in the timeline).
    Replied {
        conversation_ids: Vec<i64>,
        message_ids: Vec<i64>,
    },
    /// Closes it with what the supervisor found (`{"cause", "improvement"}`).
    Close(Value),
    /// Takes in another open incident's conversations; that one is closed as merged.
    Merge { from: i64 },
    /// Moves these conversations to a new incident of the same shop, level and cause.
    Split(Vec<i64>),
}

/// What a change did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChanged {
    /// The conversations that joined (a join, a merge).
    pub joined: Vec<i64>,
    /// The incident a split made.
    pub split_into: Option<i64>,
}

/// An incident as read.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: i64,
    pub tenant_id: i64,
    pub shop_id: i64,
    pub level: u8,
    pub state: String,
    pub rule: String,
    pub cause: Value,
    pub opened_at: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
    pub owner_id: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution: Option<Value>,
    pub merged_into: Option<i64>,
    pub conversation_ids: Vec<i64>,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentEventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub data: Value,
}

/// A complaint as the clustering reads it back after a restart.
#[derive(Debug, Clone)]
pub struct StoredComplaint {
    pub conversation_id: i64,
    pub shop_id: i64,
    pub customer_id: i64,
    pub at: DateTime<Utc>,
    /// The conversation's first buyer message.
    pub text: String,
    /// The courier of the conversation's order, when it has one.
    pub carrier: Option<String>,
    /// The SKU of the order's first line, when known.
    pub sku: Option<String>,
    /// The delivery postcode of the order, when known (its region groups complaints).
    pub postcode: Option<String>,
}

/// The SKU of an order's first line, from the order's stored `items` JSON (both backends).
pub(crate) fn first_sku(items: &str) -> Option<String> {
    let items: Vec<kefu_core::OrderItem> = serde_json::from_str(items).ok()?;
    items.into_iter().find_map(|i| i.sku)
}

#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Opens an incident with its conversations; returns its id.
    async fn open_incident(&self, new: NewIncident) -> Result<i64>;

    /// Changes an open incident (`Conflict` when it is not open, `NotFound` when it does not
    /// exist).
    async fn change_incident(
        &self,
        id: i64,
        change: IncidentChange,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<IncidentChanged>;

    /// The tenant's incidents, newest first: of `shop_ids` if given, in `state` if given.
    async fn incidents(
        &self,
        tenant_id: i64,
        shop_ids: Option<Vec<i64>>,
        state: Option<String>,
    ) -> Result<Vec<IncidentRow>>;

    /// One incident and its timeline.
    async fn incident(&self, id: i64) -> Result<Option<(IncidentRow, Vec<IncidentEventRow>)>>;

    /// The open incident that links most of `conversation_ids`, if any does.
    async fn open_incident_of(&self, conversation_ids: Vec<i64>) -> Result<Option<i64>>;

    /// The conversations marked a complaint whose first buyer message came at or after
    /// `since`, oldest first.
    async fn complaints_since(&self, since: DateTime<Utc>) -> Result<Vec<StoredComplaint>>;
}
