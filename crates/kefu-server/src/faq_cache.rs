//! Each shop's FAQ, kept as the bot's matcher index and the agents' templates: built once per
//! shop and shared, read again after a minute or at once when this server changes it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use kefu_faq::FaqIndex;
use kefu_store::Store;

use crate::desk::DeskResult;

/// How long a shop's FAQ index is trusted before it is read again (another server of the same
/// database may have changed it; this server forgets it at once on its own changes).
const FAQ_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Each shop's FAQ, as a matcher index built once and shared.
#[derive(Default)]
pub struct FaqCache {
    shops: RwLock<HashMap<i64, CachedFaq>>,
}

/// A shop's FAQ as stored (the agents' templates) and as the matcher's index (the bot's).
#[derive(Clone)]
struct CachedFaq {
    at: Instant,
    entries: Arc<Vec<kefu_store::FaqEntry>>,
    index: Arc<FaqIndex>,
}

impl FaqCache {
    async fn load(&self, store: &dyn Store, shop_id: i64) -> DeskResult<CachedFaq> {
        if let Some(cached) = self
            .shops
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&shop_id)
            && cached.at.elapsed() < FAQ_TTL
        {
            return Ok(cached.clone());
        }
        let entries = store.faqs(shop_id).await?;
        let index = FaqIndex::build(
            entries
                .iter()
                .map(|f| kefu_faq::Faq {
                    id: f.key.clone(),
                    language: f.language.clone(),
                    questions: f.questions.clone(),
                    answer: f.answer.clone(),
                })
                .collect(),
        );
        let cached = CachedFaq {
            at: Instant::now(),
            entries: Arc::new(entries),
            index: Arc::new(index),
        };
        self.shops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(shop_id, cached.clone());
        Ok(cached)
    }

    /// The shop's matcher index.
    pub async fn get(&self, store: &dyn Store, shop_id: i64) -> DeskResult<Arc<FaqIndex>> {
        Ok(self.load(store, shop_id).await?.index)
    }

    /// The shop's entries, by key then language.
    pub async fn entries(
        &self,
        store: &dyn Store,
        shop_id: i64,
    ) -> DeskResult<Arc<Vec<kefu_store::FaqEntry>>> {
        Ok(self.load(store, shop_id).await?.entries)
    }

    pub fn forget(&self, shop_id: i64) {
        self.shops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&shop_id);
    }
}
