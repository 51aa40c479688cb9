//! Keeps the full-text index (`kefu-search`) in step with the database, which stays the source
//! of truth: a background task feeds the index every message stored after the last one it
//! indexed, in id order, and remembers how far it got in a file beside the index. A restart
//! (or a crash) resumes from there; `kefu reindex` rebuilds everything.
//!
//! Writers only nudge the task; it batches what arrived into one index commit at most every
//! `COMMIT_EVERY`, so indexing never slows the ingest path.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kefu_search::{Doc, SearchIndex};
use kefu_store::{IndexRow, Store};
use tokio::sync::Notify;

/// Messages read from the store per index batch.
const BATCH: i64 = 5000;
/// Longest a stored message waits before it can be found.
const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// On PostgreSQL, ids can commit out of order; each catch-up re-reads this many ids behind the
/// last one indexed (re-indexing a message replaces it, so overlap is harmless).
const OVERLAP: i64 = 1000;

pub struct Search {
    pub index: SearchIndex,
    dir: Option<PathBuf>,
    nudge: Notify,
    /// Conversations whose status changed: their messages are indexed again so the status
    /// filter follows.
    stale: std::sync::Mutex<Vec<i64>>,
}

impl Search {
    pub fn open(dir: &Path) -> anyhow::Result<Arc<Search>> {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the search index directory {}: {e}",
                dir.display()
            )
        })?;
        let index = match SearchIndex::open(dir) {
            Ok(index) => index,
            // The index is derived data: one built by another version is dropped and rebuilt
            // from the database by the indexer's first catch-up.
            Err(kefu_search::SearchError::Incompatible { .. }) => {
                tracing::warn!(dir = %dir.display(), "search index from another version; rebuilding it");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                SearchIndex::open(dir).map_err(|e| {
                    anyhow::anyhow!("cannot open the search index in {}: {e}", dir.display())
                })?
            }
            Err(e) => anyhow::bail!("cannot open the search index in {}: {e}", dir.display()),
        };
        Ok(Arc::new(Search {
            index,
            dir: Some(dir.to_path_buf()),
            nudge: Notify::new(),
            stale: Default::default(),
        }))
    }

    pub fn in_ram() -> anyhow::Result<Arc<Search>> {
        let index = SearchIndex::open_in_ram()
            .map_err(|e| anyhow::anyhow!("cannot create the search index: {e}"))?;
        Ok(Arc::new(Search {
            index,
            dir: None,
            nudge: Notify::new(),
            stale: Default::default(),
        }))
    }

    /// Asks the indexer to index a conversation's messages again (its status changed).
    pub fn mark_stale(&self, conversation_id: i64) {
        self.stale
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conversation_id);
        self.nudge.notify_one();
    }

    /// Indexes again the messages of conversations marked stale, with their current status.
    pub async fn refresh_stale(&self, store: &dyn Store) -> anyhow::Result<usize> {
        let ids: Vec<i64> =
            std::mem::take(&mut *self.stale.lock().unwrap_or_else(|e| e.into_inner()));
        let mut docs = Vec::new();
        for id in ids {
            let Some(detail) = store.conversation(id).await? else {
                continue;
            };
            let Some(shop) = store.shop(detail.conversation.shop_id).await? else {
                continue;
            };
            docs.extend(detail.messages.iter().map(|m| Doc {
                message_id: m.id,
                conversation_id: id,
                tenant_id: shop.tenant_id,
                shop_id: shop.id,
                platform: shop.platform.as_str().to_string(),
                status: detail.conversation.status.as_str().to_string(),
                agent_id: m.author_agent_id.or(detail.conversation.assignee_id),
                kind: m.direction.as_str().to_string(),
                language: m.language.clone(),
                body: m.body.clone(),
                created_at: m.created_at,
            }));
        }
        if !docs.is_empty() {
            self.index.index(&docs)?;
            self.index.commit()?;
        }
        Ok(docs.len())
    }

    /// Tells the indexer that new messages are stored.
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    fn mark_file(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("indexed-through"))
    }

    /// The id of the last message indexed and committed.
    pub fn indexed_through(&self) -> i64 {
        self.mark_file()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    fn set_indexed_through(&self, id: i64) -> anyhow::Result<()> {
        if let Some(f) = self.mark_file() {
            let tmp = f.with_extension("tmp");
            std::fs::write(&tmp, id.to_string())?;
            std::fs::rename(tmp, f)?;
        }
        Ok(())
    }

    /// Indexes every message after `after` (up to now) and commits; returns the last id done.
    pub async fn catch_up(
        &self,
        store: &dyn Store,
        mut after: i64,
        mut progress: impl FnMut(usize),
    ) -> anyhow::Result<i64> {
        loop {
            let rows = store.index_feed(after, BATCH).await?;
            let Some(last) = rows.last().map(|r| r.message_id) else {
                break;
            };
            let docs: Vec<Doc> = rows.iter().map(doc).collect();
            self.index.index(&docs)?;
            progress(docs.len());
            after = last;
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        self.index.commit()?;
        self.set_indexed_through(after)?;
        Ok(after)
    }

    /// Rebuilds the index from the database.
    pub async fn rebuild(
        &self,
        store: &dyn Store,
        progress: impl FnMut(usize),
    ) -> anyhow::Result<i64> {
        self.index.delete_all()?;
        self.index.commit()?;
        self.set_indexed_through(0)?;
        self.catch_up(store, 0, progress).await
    }
}

fn doc(r: &IndexRow) -> Doc {
    Doc {
        message_id: r.message_id,
        conversation_id: r.conversation_id,
        tenant_id: r.tenant_id,
        shop_id: r.shop_id,
        platform: r.platform.clone(),
        status: r.status.clone(),
        agent_id: r.agent_id,
        kind: r.direction.clone(),
        language: r.language.clone(),
        body: r.body.clone(),
        created_at: r.created_at,
    }
}

/// Runs the indexer until the process ends: catches up at start, then after every nudge.
pub fn spawn(search: Arc<Search>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut through = search.indexed_through();
        loop {
            let from = if store.backend() == "postgres" {
                (through - OVERLAP).max(0)
            } else {
                through
            };
            match search.catch_up(store.as_ref(), from, |_| {}).await {
                Ok(last) => through = through.max(last),
                Err(e) => tracing::warn!(error = %e, "indexing failed; retrying"),
            }
            if let Err(e) = search.refresh_stale(store.as_ref()).await {
                tracing::warn!(error = %e, "re-indexing changed conversations failed");
            }
            search.nudge.notified().await;
            // Let a burst of messages gather into one commit.
            tokio::time::sleep(COMMIT_EVERY).await;
        }
    })
}
