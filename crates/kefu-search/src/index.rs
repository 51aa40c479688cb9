//! [`SearchIndex`]: one tantivy index, its single writer and a reader reloaded on commit.
//!
//! Writes go through one writer behind a mutex (tantivy allows one per index); searches use
//! the reader and never wait for the writer. Documents become visible at `commit`, which is
//! also the point of durability.
//!
//! It does NOT decide what to index or when to commit: the caller (the server) feeds it from
//! the database, which stays the source of truth, and may rebuild it with `delete_all`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::directory::MmapDirectory;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, TantivyError, Term,
};

use crate::analysis::{self, BodyLang};
use crate::schema::{self, Fields, keyword};
use crate::snippet::Highlighter;
use crate::{Doc, Hit, Hits, Query, SearchError, query, to_tantivy_date};

/// Writer memory for an index opened by the server: enough for large batches without
/// flushing tiny segments, small beside the rest of the process.
const SERVER_WRITER_HEAP: usize = 128 << 20;
/// Tantivy's floor is 15 MB per indexing thread; tests use two threads.
const TEST_WRITER_HEAP: usize = 40 << 20;

/// The full-text index. `Send + Sync`: share it in an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// `None` only while `wait_merges` swaps the writer, under this same lock.
    writer: Mutex<Option<IndexWriter>>,
    writer_heap: usize,
    fields: Fields,
    /// Precise-cut analyzers for queries, by `BodyLang::index()`.
    query_analyzers: [TextAnalyzer; 5],
    /// Search-mode analyzers (those the index uses), for snippets.
    index_analyzers: [TextAnalyzer; 5],
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if missing.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        Self::open_dir(dir, SERVER_WRITER_HEAP)
    }

    /// An index in memory, gone when dropped: for tests.
    pub fn open_in_ram() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        Self::from_index(Index::create_in_ram(schema), fields, TEST_WRITER_HEAP)
    }

    pub(crate) fn open_dir(dir: &Path, writer_heap: usize) -> Result<SearchIndex, SearchError> {
        let dir_error = |source: Box<dyn std::error::Error + Send + Sync>| SearchError::Directory {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| dir_error(Box::new(e)))?;
        let directory = MmapDirectory::open(dir).map_err(|e| dir_error(Box::new(e)))?;
        let (schema, fields) = schema::build();
        let index = Index::open_or_create(directory, schema).map_err(|e| match e {
            TantivyError::SchemaError(_) | TantivyError::IncompatibleIndex(_) => {
                SearchError::Incompatible {
                    path: dir.to_path_buf(),
                    source: e,
                }
            }
            other => SearchError::Index(other),
        })?;
        Self::from_index(index, fields, writer_heap)
    }

    fn from_index(
        index: Index,
        fields: Fields,
        writer_heap: usize,
    ) -> Result<SearchIndex, SearchError> {
        // Tokenizers are not stored in the index: register them on every open.
        for lang in BodyLang::ALL {
            index
                .tokenizers()
                .register(lang.tokenizer_name(), analysis::analyzer(lang, true));
        }
        let writer = index.writer(writer_heap)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(Some(writer)),
            writer_heap,
            fields,
            query_analyzers: BodyLang::ALL.map(|l| analysis::analyzer(l, false)),
            index_analyzers: BodyLang::ALL.map(|l| analysis::analyzer(l, true)),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        // A panic while holding the lock leaves the writer as usable as tantivy left it;
        // uncommitted work is at worst lost, which a later commit or rebuild repairs.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut guard = self.writer();
        let writer = guard
            .as_mut()
            .ok_or_else(|| SearchError::Index(TantivyError::SystemError("writer closed".into())))?;
        f(writer)
    }

    /// Adds or replaces documents (by `message_id`); visible to search after `commit`.
    pub fn index(&self, docs: &[Doc]) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            for doc in docs {
                // A delete applies to documents added before it, so delete-then-add replaces
                // the old version, even one added earlier in the same batch.
                writer.delete_term(Term::from_field_i64(self.fields.message_id, doc.message_id));
                writer.add_document(self.to_document(doc))?;
            }
            Ok(())
        })
    }

    fn to_document(&self, doc: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let lang = BodyLang::from_tag(doc.language.as_deref());
        let mut d = TantivyDocument::new();
        d.add_i64(f.message_id, doc.message_id);
        d.add_i64(f.conversation_id, doc.conversation_id);
        d.add_i64(f.tenant_id, doc.tenant_id);
        d.add_i64(f.shop_id, doc.shop_id);
        d.add_text(f.platform, keyword(&doc.platform));
        d.add_text(f.status, keyword(&doc.status));
        if let Some(agent) = doc.agent_id {
            d.add_i64(f.agent_id, agent);
        }
        d.add_text(f.kind, keyword(&doc.kind));
        d.add_date(f.created_at, to_tantivy_date(doc.created_at));
        d.add_u64(f.lang, lang.index() as u64);
        d.add_text(f.body, &doc.body);
        d.add_text(f.bodies[lang.index()], &doc.body);
        d
    }

    /// Makes everything indexed so far durable and visible to search.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Discards uncommitted additions and deletes every document, as of the next `commit`.
    ///
    /// Until then searches still see the old contents, so a rebuild (`delete_all`, `index`
    /// everything, `commit`) replaces the index in one step.
    pub fn delete_all(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.rollback()?;
            writer.delete_all_documents()?;
            Ok(())
        })
    }

    /// Number of searchable documents (as of the last commit).
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of index segments: a benchmark figure (more segments, slower searches).
    pub(crate) fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Waits for background segment merges to end: for benchmarks, so that timings do not
    /// include merges still running.
    pub(crate) fn wait_merges(&self) -> Result<(), SearchError> {
        let mut guard = self.writer();
        // A writer is put back even if waiting failed, so the index stays writable.
        let waited = match guard.take() {
            Some(writer) => writer.wait_merging_threads(),
            None => Ok(()),
        };
        *guard = Some(self.index.writer(self.writer_heap)?);
        waited?;
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    /// Runs a search; see [`Query`] for its parameters.
    pub fn search(&self, q: &Query) -> Result<Hits, SearchError> {
        let Some(built) = query::build(q, &self.fields, &self.query_analyzers)? else {
            return Ok(Hits {
                total: 0,
                hits: Vec::new(),
            });
        };
        let searcher = self.reader.searcher();
        if q.limit == 0 {
            let total = searcher.search(built.query.as_ref(), &Count)?;
            return Ok(Hits {
                total: total as u64,
                hits: Vec::new(),
            });
        }
        // One pass both counts every match and keeps the best page: by score, then newest
        // first, so that equal scores (short or templated messages) show recent ones.
        let top = TopDocs::with_limit(q.limit).and_offset(q.offset).order_by((
            (SortBySimilarityScore, Order::Desc),
            (
                SortByStaticFastValue::<tantivy::DateTime>::for_field("created_at"),
                Order::Desc,
            ),
        ));
        let (total, top) = searcher.search(built.query.as_ref(), &(Count, top))?;

        let mut columns: HashMap<u32, HitColumns> = HashMap::new();
        let mut highlighters: [Option<Highlighter>; 5] = Default::default();
        let mut hits = Vec::with_capacity(top.len());
        for ((score, _created_at), address) in top {
            let cols = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let ff = searcher.segment_reader(address.segment_ord).fast_fields();
                    e.insert(HitColumns {
                        message_id: ff.i64("message_id")?,
                        conversation_id: ff.i64("conversation_id")?,
                        lang: ff.u64("lang")?,
                    })
                }
            };
            let doc_id = address.doc_id;
            let lang = BodyLang::from_index(cols.lang.first(doc_id).unwrap_or(0));
            let stored: TantivyDocument = searcher.doc(address)?;
            let body = stored
                .get_first(self.fields.body)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let highlighter = match &mut highlighters[lang.index()] {
                Some(h) => h,
                slot => slot.insert(self.highlighter(&searcher, lang, &built.highlight)?),
            };
            hits.push(Hit {
                conversation_id: cols.conversation_id.first(doc_id).unwrap_or(0),
                message_id: cols.message_id.first(doc_id).unwrap_or(0),
                snippet: highlighter.snippet(body),
                score,
            });
        }
        Ok(Hits {
            total: total as u64,
            hits,
        })
    }

    fn highlighter(
        &self,
        searcher: &tantivy::Searcher,
        lang: BodyLang,
        highlight: &[std::collections::BTreeSet<String>; 5],
    ) -> Result<Highlighter, SearchError> {
        let field = self.fields.bodies[lang.index()];
        let mut terms = std::collections::BTreeMap::new();
        for text in &highlight[lang.index()] {
            // Rarer terms pick the better fragment.
            let doc_freq = searcher.doc_freq(&Term::from_field_text(field, text))?;
            terms.insert(text.clone(), 1.0 / (1.0 + doc_freq as f32));
        }
        Ok(Highlighter::new(
            terms,
            self.index_analyzers[lang.index()].clone(),
        ))
    }
}

struct HitColumns {
    message_id: Column<i64>,
    conversation_id: Column<i64>,
    lang: Column<u64>,
}
