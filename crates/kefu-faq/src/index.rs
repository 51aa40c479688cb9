//! The FAQ index: TF-IDF vectors of every question variant, matched by cosine.

use std::collections::HashMap;

use crate::analysis::{features, guess_language, wants_human, warm_up};
use crate::{Faq, FaqMatch};

/// Below this score the best entry is a guess, not an answer. A question sharing one
/// topical word with a variant and little else lands around 0.2–0.3, a paraphrase of a
/// variant well above 0.4.
pub const CONFIDENT_SCORE: f32 = 0.30;

/// The best entry must lead the runner-up by this much: two FAQs that fit about equally
/// mean the question is about both, or about neither, and a person should read it. This is
/// the knob between "the bot answers more" and "the bot sends fewer wrong answers"; on
/// `tests/labelled.tsv`, 0.04 left 18 wrong answers among 213 confident ones, 0.10 leaves
/// 12 among 194, and higher values cost right answers faster than they remove wrong ones.
pub const CONFIDENT_MARGIN: f32 = 0.10;

/// How much of an entry's score comes from its best single variant; the rest comes from all
/// its variants of one language taken together. The best variant rewards a close paraphrase,
/// the merged vector a question whose words are spread over several variants.
const BEST_VARIANT_SHARE: f32 = 0.7;

/// One Faq as given: its id (as an index into `ids`), language and answer.
struct Entry {
    id: u32,
    language: String,
    answer: String,
}

/// A vector to compare questions with: one question variant, or all variants of an entry.
struct Doc {
    entry: u32,
    merged: bool,
    norm: f32,
}

/// The FAQ entries of one shop, ready to be matched against buyers' questions.
///
/// Built once per shop (or once for [`crate::presets`]) and then shared: it is immutable,
/// `Send` and `Sync`, and a query allocates only small per-call buffers.
pub struct FaqIndex {
    ids: Vec<String>,
    entries: Vec<Entry>,
    docs: Vec<Doc>,
    /// term → (doc, weight of the term in that doc).
    postings: HashMap<String, Vec<(u32, f32)>>,
    idf: HashMap<String, f32>,
    /// IDF of a term no entry has. Such a term makes the question less like every entry,
    /// but it is often just chatter or a typo, so it counts half as much as the rarest term.
    oov_idf: f32,
}

/// The primary subtag of a language tag, lowercased: "zh-CN" → "zh", "EN" → "en".
fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

impl FaqIndex {
    /// Indexes the entries. Entries with an empty id are skipped; an entry without question
    /// variants can still be chosen as the answer in its language for an id that matched
    /// through another language.
    pub fn build(entries: Vec<Faq>) -> FaqIndex {
        warm_up();
        let mut ids: Vec<String> = Vec::new();
        let mut id_of: HashMap<String, u32> = HashMap::new();
        let mut kept: Vec<Entry> = Vec::new();
        // Per doc: its terms with their weights before IDF.
        let mut doc_terms: Vec<Vec<(String, f32)>> = Vec::new();
        let mut docs: Vec<Doc> = Vec::new();
        for faq in entries {
            let id_text = faq.id.trim();
            if id_text.is_empty() {
                continue;
            }
            let id = *id_of.entry(id_text.to_string()).or_insert_with(|| {
                ids.push(id_text.to_string());
                (ids.len() - 1) as u32
            });
            let entry = kept.len() as u32;
            let mut merged: HashMap<String, f32> = HashMap::new();
            for question in &faq.questions {
                let terms = features(question);
                if terms.is_empty() {
                    continue;
                }
                for (term, weight) in &terms {
                    let slot = merged.entry(term.clone()).or_insert(0.0);
                    *slot = slot.max(*weight);
                }
                doc_terms.push(terms);
                docs.push(Doc {
                    entry,
                    merged: false,
                    norm: 0.0,
                });
            }
            if !merged.is_empty() {
                doc_terms.push(merged.into_iter().collect());
                docs.push(Doc {
                    entry,
                    merged: true,
                    norm: 0.0,
                });
            }
            kept.push(Entry {
                id,
                language: primary_language(&faq.language),
                answer: faq.answer,
            });
        }

        // Document frequency counts FAQ ids, not variants: a word is common when many
        // topics use it, however many ways one topic is phrased.
        let mut df: HashMap<&str, Vec<u32>> = HashMap::new();
        for (doc, terms) in docs.iter().zip(&doc_terms) {
            let id = kept[doc.entry as usize].id;
            for (term, _) in terms {
                let seen = df.entry(term.as_str()).or_default();
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
        }
        let n = ids.len().max(1) as f32;
        let idf: HashMap<String, f32> = df
            .iter()
            .map(|(term, seen)| (term.to_string(), (1.0 + n / seen.len() as f32).ln()))
            .collect();
        let oov_idf = 0.5 * (1.0 + n).ln();

        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        for (d, (doc, terms)) in docs.iter_mut().zip(&doc_terms).enumerate() {
            let mut norm = 0.0f32;
            for (term, weight) in terms {
                let w = weight * idf[term];
                norm += w * w;
                postings
                    .entry(term.clone())
                    .or_default()
                    .push((d as u32, w));
            }
            doc.norm = norm.sqrt();
        }

        FaqIndex {
            ids,
            entries: kept,
            docs,
            postings,
            idf,
            oov_idf,
        }
    }

    /// Number of entries (one per FAQ id and language).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The distinct FAQ ids, in the order they were first given.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The best entry for a buyer's question. `language` is the buyer's detected language
    /// ("zh", "en", "de", "es", "fr", … or `None`); the answer is in that language when the
    /// FAQ has it, else in English, else in the language of the variant that matched.
    /// `None` when nothing in the question matches any entry.
    pub fn best(&self, question: &str, language: Option<&str>) -> Option<FaqMatch> {
        self.top(question, language, 1).into_iter().next()
    }

    /// Up to `n` FAQ ids, best first, each with its answer chosen as in [`FaqIndex::best`].
    /// Only the first can be `confident`.
    pub fn top(&self, question: &str, language: Option<&str>, n: usize) -> Vec<FaqMatch> {
        if n == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let ranked = self.rank(question);
        let Some(&(_, best_score, _)) = ranked.first() else {
            return Vec::new();
        };
        let runner_up = ranked.get(1).map_or(0.0, |r| r.1);
        let confident = best_score >= CONFIDENT_SCORE
            && best_score - runner_up >= CONFIDENT_MARGIN
            && !wants_human(question);
        // Without a language from the caller, guess it: otherwise a German question could
        // get the English answer just because both variants matched through shared concepts.
        let language = match language {
            Some(tag) => Some(primary_language(tag)),
            None => guess_language(question).map(str::to_string),
        };
        ranked
            .iter()
            .take(n)
            .enumerate()
            .map(|(rank, &(id, score, matched))| {
                let entry = &self.entries[self.answer_entry(id, language.as_deref(), matched)];
                FaqMatch {
                    id: self.ids[id as usize].clone(),
                    language: entry.language.clone(),
                    answer: entry.answer.clone(),
                    score,
                    confident: rank == 0 && confident,
                }
            })
            .collect()
    }

    /// FAQ ids with a score above zero, best first: (id, score, entry that scored it).
    fn rank(&self, question: &str) -> Vec<(u32, f32, u32)> {
        let terms = features(question);
        let mut dot = vec![0.0f32; self.docs.len()];
        let mut q_norm = 0.0f32;
        for (term, weight) in &terms {
            let w = weight * self.idf.get(term).copied().unwrap_or(self.oov_idf);
            q_norm += w * w;
            if let Some(list) = self.postings.get(term) {
                for &(d, dw) in list {
                    dot[d as usize] += w * dw;
                }
            }
        }
        if q_norm == 0.0 {
            return Vec::new();
        }
        let q_norm = q_norm.sqrt();
        let mut best_variant = vec![0.0f32; self.entries.len()];
        let mut merged = vec![0.0f32; self.entries.len()];
        for (doc, &d) in self.docs.iter().zip(&dot) {
            if d == 0.0 {
                continue;
            }
            let cos = d / (q_norm * doc.norm);
            let slot = if doc.merged {
                &mut merged[doc.entry as usize]
            } else {
                &mut best_variant[doc.entry as usize]
            };
            *slot = slot.max(cos);
        }
        let mut by_id: Vec<(u32, f32, u32)> = Vec::new();
        for (e, entry) in self.entries.iter().enumerate() {
            let score =
                BEST_VARIANT_SHARE * best_variant[e] + (1.0 - BEST_VARIANT_SHARE) * merged[e];
            if score <= 0.0 {
                continue;
            }
            match by_id.iter_mut().find(|r| r.0 == entry.id) {
                Some(r) if r.1 >= score => {}
                Some(r) => *r = (entry.id, score, e as u32),
                None => by_id.push((entry.id, score, e as u32)),
            }
        }
        by_id.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        by_id
    }

    /// Which entry of `id` answers: the buyer's language, else English, else the entry that
    /// matched (the only language we know the buyer reads when nothing else fits). Without
    /// any language, the entry that matched.
    fn answer_entry(&self, id: u32, language: Option<&str>, matched: u32) -> usize {
        let find = |lang: &str| {
            self.entries
                .iter()
                .position(|e| e.id == id && e.language == lang)
        };
        match language {
            Some(lang) => find(lang)
                .or_else(|| find("en"))
                .unwrap_or(matched as usize),
            None => matched as usize,
        }
    }
}
