//! Live updates inside one server: every new message, reply, status change and typing signal
//! is published on one in-process channel, and each open stream (a buyer's chat widget, an
//! agent's tab) picks out what it may see.
//!
//! The channel only *notifies*; the database stays the source of truth. A stream that falls
//! behind (the channel dropped events for it) or reconnects reads what it missed from the
//! store, so nothing a buyer or agent was shown can be lost or doubled by the live path.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;

/// Events kept for slow subscribers before they are told they lagged.
const CAPACITY: usize = 4096;

/// Who is typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Buyer,
    Agent,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveKind {
    /// A message was stored: a buyer's (inbound) or a reply (outbound, `bot` when automatic).
    Message {
        id: i64,
        direction: kefu_core::Direction,
        body: String,
        at: DateTime<Utc>,
        bot: bool,
    },
    Typing {
        from: Party,
    },
    Status {
        status: kefu_core::ConversationStatus,
    },
    /// An incident opened or rose a level (COLLECTIVE-3LEVEL): supervisors are alerted.
    IncidentAlert {
        incident_id: i64,
        level: u8,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    pub shop_id: i64,
    pub conversation_id: i64,
    /// The buyer's handle, so a chat widget can follow its visitor before it knows the id of
    /// the conversation its first message opens.
    #[serde(skip)]
    pub customer_handle: Arc<str>,
    #[serde(flatten)]
    pub kind: LiveKind,
}

/// The publish side, shared through `AppState`.
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Hub {
    /// Publishes to whoever listens now; with nobody listening the event is simply dropped.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.tx.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// Open streams, for `/metrics`.
    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}
