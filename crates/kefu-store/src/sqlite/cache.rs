//! What the writer thread remembers between messages so a buyer's next message costs a few
//! inserts instead of a dozen lookups: each buyer's customer row and the state of their latest
//! conversation (status, whether the desk has answered, which clocks are running).
//!
//! It is safe because the writer is the only writer: every change made through this process
//! updates or drops the entries it touches, a failed job or batch drops everything, and a
//! change committed by another process (seen through `PRAGMA data_version`) drops everything
//! before the next batch.

use std::collections::{HashMap, HashSet};

use kefu_core::ConversationStatus;

/// Buyers remembered at most; past that the cache starts over (a rebuild costs one lookup per
/// buyer).
const MAX_BUYERS: usize = 200_000;

#[derive(Debug, Clone)]
pub struct Buyer {
    pub customer_id: i64,
    pub name: Option<String>,
    pub language: Option<String>,
    pub latest: Option<ConversationState>,
}

#[derive(Debug, Clone)]
pub struct ConversationState {
    pub id: i64,
    pub status: ConversationStatus,
    pub replied: bool,
    /// Rules with an open obligation on the conversation.
    pub open_rules: Vec<String>,
}

#[derive(Debug, Default)]
pub struct WriterCache {
    shops: HashSet<i64>,
    buyers: HashMap<(i64, String), Buyer>,
    by_conversation: HashMap<i64, (i64, String)>,
    /// `PRAGMA data_version` when the cache was last known to match the file.
    pub data_version: Option<i64>,
}

impl WriterCache {
    pub fn knows_shop(&self, id: i64) -> bool {
        self.shops.contains(&id)
    }

    pub fn add_shop(&mut self, id: i64) {
        self.shops.insert(id);
    }

    /// Removes and returns a buyer's entry; `put_buyer` brings it back after the write.
    pub fn take_buyer(&mut self, shop_id: i64, handle: &str) -> Option<Buyer> {
        let buyer = self.buyers.remove(&(shop_id, handle.to_string()))?;
        if let Some(c) = &buyer.latest {
            self.by_conversation.remove(&c.id);
        }
        Some(buyer)
    }

    pub fn put_buyer(&mut self, shop_id: i64, handle: &str, buyer: Buyer) {
        if self.buyers.len() >= MAX_BUYERS {
            self.buyers.clear();
            self.by_conversation.clear();
        }
        if let Some(c) = &buyer.latest {
            self.by_conversation
                .insert(c.id, (shop_id, handle.to_string()));
        }
        self.buyers.insert((shop_id, handle.to_string()), buyer);
    }

    /// Forgets the buyer whose conversation this is (its state changed outside ingest).
    pub fn forget_conversation(&mut self, conversation_id: i64) {
        if let Some(key) = self.by_conversation.remove(&conversation_id) {
            self.buyers.remove(&key);
        }
    }

    pub fn clear(&mut self) {
        self.buyers.clear();
        self.by_conversation.clear();
        self.shops.clear();
        self.data_version = None;
    }
}
