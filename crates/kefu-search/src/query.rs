//! Turns what a user typed, plus the filters, into a tantivy query.
//!
//! Any input is valid: we never hand the text to tantivy's query parser (whose syntax errors
//! users would see); we analyze it ourselves and build the query. The rules:
//!
//! - text in double quotes (`"..."` or `“...”`) is a phrase; an unclosed quote is ignored;
//! - every other word must match (AND), in any of the body fields, each analyzed by that
//!   field's own analyzer, since the query's language is unknown;
//! - very common function words (`the`, `der`, `的`, …) are optional: they add to the score
//!   when present but do not exclude a message;
//! - filters are exact term and range queries that do not change the score.
//!
//! It does NOT support operators (`AND`, `-word`, `field:value`): they are searched as words.

use std::collections::BTreeSet;
use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{TextAnalyzer, Token};

use crate::analysis::{self, BodyLang};
use crate::schema::{Fields, keyword};
use crate::{Query, SearchError};

/// Longest query text accepted, in bytes; longer is a bad request, not a slow search.
pub(crate) const MAX_QUERY_BYTES: usize = 1000;
/// Terms beyond this many are ignored, to bound the cost of a pasted paragraph.
const MAX_TERMS: usize = 24;
/// Largest page size, and deepest result reachable with offset + limit.
pub(crate) const MAX_LIMIT: usize = 1000;
pub(crate) const MAX_DEPTH: usize = 10_000;

/// A query ready to run, with what the snippets should highlight.
pub(crate) struct Built {
    pub query: Box<dyn TantivyQuery>,
    /// Indexed terms to highlight, per body field (by `BodyLang::index()`).
    pub highlight: [BTreeSet<String>; 5],
}

/// Returns `None` when the text has no searchable word (only spaces, punctuation, emoji).
pub(crate) fn build(
    q: &Query,
    fields: &Fields,
    analyzers: &[TextAnalyzer; 5],
) -> Result<Option<Built>, SearchError> {
    validate(q)?;
    let mut highlight: [BTreeSet<String>; 5] = Default::default();
    let mut required: Vec<Box<dyn TantivyQuery>> = Vec::new();
    let mut optional: Vec<Box<dyn TantivyQuery>> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut budget = MAX_TERMS;

    for (is_phrase, segment) in split_phrases(&q.text) {
        // The same text through each field's analyzer. The analyzers differ only in 1:1
        // filters, so the lists line up token by token.
        let per_field: Vec<Vec<Token>> = analyzers
            .iter()
            .map(|a| analysis::tokens(&mut a.clone(), segment))
            .collect();
        let n = per_field[0].len().min(budget);
        if n == 0 || per_field.iter().any(|t| t.len() < n) {
            continue;
        }
        budget -= n;
        for (lang, tokens) in BodyLang::ALL.iter().zip(&per_field) {
            for t in &tokens[..n] {
                highlight[lang.index()].insert(t.text.clone());
            }
        }
        if is_phrase && n > 1 {
            required.push(phrase(fields, &per_field, n));
            continue;
        }
        for i in 0..n {
            // One term per field; identical words are asked for once.
            let key: Vec<&str> = per_field.iter().map(|t| t[i].text.as_str()).collect();
            if !seen.insert(key.join("\u{1}")) {
                continue;
            }
            let clause = any_field(fields, |lang| per_field[lang.index()][i].text.clone());
            // A stop word inside a phrase or a code still counts; alone it is optional.
            if !is_phrase && is_stop_word(&per_field[BodyLang::Plain.index()][i].text) {
                optional.push(clause);
            } else {
                required.push(clause);
            }
        }
    }
    if required.is_empty() && optional.is_empty() {
        return Ok(None);
    }

    let text_query: Box<dyn TantivyQuery> = if required.is_empty() {
        // Only stop words: at least one must match (a Should-only boolean query).
        Box::new(BooleanQuery::new(
            optional.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))
    } else {
        Box::new(BooleanQuery::new(
            required
                .into_iter()
                .map(|q| (Occur::Must, q))
                .chain(optional.into_iter().map(|q| (Occur::Should, q)))
                .collect(),
        ))
    };
    // Filters score nothing: the ranking is the text's alone.
    let filters: Box<dyn TantivyQuery> = Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(
            filters(q, fields)
                .into_iter()
                .map(|f| (Occur::Must, f))
                .collect(),
        )),
        0.0,
    ));
    let query = Box::new(BooleanQuery::new(vec![
        (Occur::Must, text_query),
        (Occur::Must, filters),
    ]));
    Ok(Some(Built { query, highlight }))
}

fn validate(q: &Query) -> Result<(), SearchError> {
    if q.text.len() > MAX_QUERY_BYTES {
        return Err(SearchError::InvalidQuery(format!(
            "the search text is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    if q.limit > MAX_LIMIT {
        return Err(SearchError::InvalidQuery(format!(
            "limit {} is above the maximum of {MAX_LIMIT}",
            q.limit
        )));
    }
    if q.offset.saturating_add(q.limit) > MAX_DEPTH {
        return Err(SearchError::InvalidQuery(format!(
            "offset + limit may not exceed {MAX_DEPTH}; narrow the search instead"
        )));
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(SearchError::InvalidQuery(format!(
            "the date range is empty: from {from} is after to {to}"
        )));
    }
    Ok(())
}

/// Splits text into (is_phrase, segment) at double quotes. An unclosed quote is treated as
/// ordinary text.
fn split_phrases(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['"', '“', '”']) {
        let quote_len = rest[open..].chars().next().map_or(1, char::len_utf8);
        let after = &rest[open + quote_len..];
        let Some(close) = after.find(['"', '“', '”']) else {
            break;
        };
        out.push((false, &rest[..open]));
        out.push((true, &after[..close]));
        let close_len = after[close..].chars().next().map_or(1, char::len_utf8);
        rest = &after[close + close_len..];
    }
    out.push((false, rest));
    out.retain(|(_, s)| !s.trim().is_empty());
    out
}

/// One term, in whichever body field the message went to.
fn any_field(fields: &Fields, term_text: impl Fn(BodyLang) -> String) -> Box<dyn TantivyQuery> {
    Box::new(BooleanQuery::new(
        BodyLang::ALL
            .iter()
            .map(|&lang| {
                let term = Term::from_field_text(fields.bodies[lang.index()], &term_text(lang));
                let q: Box<dyn TantivyQuery> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

fn phrase(fields: &Fields, per_field: &[Vec<Token>], n: usize) -> Box<dyn TantivyQuery> {
    Box::new(BooleanQuery::new(
        BodyLang::ALL
            .iter()
            .map(|&lang| {
                let tokens = &per_field[lang.index()][..n];
                let first = tokens[0].position;
                let terms = tokens
                    .iter()
                    .map(|t| {
                        let term = Term::from_field_text(fields.bodies[lang.index()], &t.text);
                        (t.position - first, term)
                    })
                    .collect();
                let q: Box<dyn TantivyQuery> = Box::new(PhraseQuery::new_with_offset(terms));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

fn filters(q: &Query, f: &Fields) -> Vec<Box<dyn TantivyQuery>> {
    let term = |t: Term| -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(t, IndexRecordOption::Basic))
    };
    let mut out = vec![term(Term::from_field_i64(f.tenant_id, q.tenant_id))];
    if let Some(shop) = q.shop_id {
        out.push(term(Term::from_field_i64(f.shop_id, shop)));
    }
    if let Some(platform) = &q.platform {
        out.push(term(Term::from_field_text(f.platform, &keyword(platform))));
    }
    if let Some(status) = &q.status {
        out.push(term(Term::from_field_text(f.status, &keyword(status))));
    }
    if let Some(agent) = q.agent_id {
        out.push(term(Term::from_field_i64(f.agent_id, agent)));
    }
    if q.from.is_some() || q.to.is_some() {
        let bound = |d: Option<chrono::DateTime<chrono::Utc>>| match d {
            Some(d) => Bound::Included(Term::from_field_date(
                f.created_at,
                crate::to_tantivy_date(d),
            )),
            None => Bound::Unbounded,
        };
        out.push(Box::new(RangeQuery::new(bound(q.from), bound(q.to))));
    }
    out
}

/// Words so common that requiring them would only lose results. Compared after lowercasing
/// and accent folding, before stemming.
fn is_stop_word(word: &str) -> bool {
    const STOP: &[&str] = &[
        // English
        "a", "an", "and", "are", "at", "be", "do", "for", "hi", "hello", "i", "in", "is", "it",
        "me", "my", "of", "on", "or", "please", "the", "to", "was", "you", "your", "we", "where",
        "what", "when", "how", "why", "can", "could", "will", "would", "this", "that", "with",
        "have", "has", // German
        "der", "die", "das", "den", "dem", "ein", "eine", "einen", "ich", "ist", "mein", "meine",
        "und", "zu", "mit", "bitte", "hallo", // French
        "le", "la", "les", "de", "des", "du", "et", "je", "mon", "ma", "un", "une", "est",
        // Spanish
        "el", "los", "las", "que", "y", "en", "mi", "es", "una", "por", "hola",
        // Chinese function characters, as jieba cuts them out
        "的", "了", "吗", "呢", "吧", "啊", "呀", "哦", "嗯", "是", "我", "你", "在", "和", "也",
        "就", "都", "还", "很", "么", "请", "您",
    ];
    STOP.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::split_phrases;

    #[test]
    fn phrases_split_at_quotes() {
        assert_eq!(
            split_phrases(r#"refund "not received" now"#),
            [(false, "refund "), (true, "not received"), (false, " now")]
        );
        assert_eq!(split_phrases(r#""((("#), [(false, r#""((("#)]);
        assert_eq!(split_phrases("“快递 没更新”"), [(true, "快递 没更新")]);
        assert!(split_phrases(r#""""#).is_empty());
    }
}
