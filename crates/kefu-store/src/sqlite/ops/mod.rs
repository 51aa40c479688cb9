//! The SQL behind each store operation. Every function runs inside the caller's transaction
//! (the writer's batch savepoint for writes), so a state change and its events land together.

use super::cache::{Buyer, ConversationState, WriterCache};
use super::rows::{self, micros};
use crate::decisions::ReplyRoute;
use crate::{
    ClockStart, ConversationDetail, Inbound, IngestOutcome, NewAgent, NewOrder, NewReply, NewShop,
    ReplyOutcome, Result, Stats, StatusChange, StoreError, decisions, json_text, routing,
    status_sets,
};
use chrono::Utc;
use kefu_core::{Agent, ConversationStatus, Direction, Order, Shop, event_kind};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

mod assign;
mod conversations;
mod directory;
mod ingest;
mod outbox;

pub use assign::*;
pub use conversations::*;
pub use directory::*;
pub use ingest::*;
pub use outbox::*;
