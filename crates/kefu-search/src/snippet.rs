//! Snippets: the best short fragment of a message, HTML-escaped, with `<mark>…</mark>` around
//! the words that matched.
//!
//! Ours rather than tantivy's `SnippetGenerator`: that one expects token offsets that only
//! ever grow, and jieba's search-mode terms (`人民`, then `中华人民共和国`, which starts
//! earlier) break that assumption, making it panic on long Chinese words. Here matches are
//! collected first, then a window is chosen, so token order does not matter.
//!
//! It does NOT highlight phrases as a unit (each matched word is marked) and it measures the
//! window in characters, not display width.

use std::collections::{BTreeMap, BTreeSet};

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;

/// Length of a snippet, in characters, and how much context to keep before the first match.
const WINDOW_CHARS: usize = 120;
const CONTEXT_CHARS: usize = 24;
/// Only the start of a long message (an email with quoted history) is searched for a
/// fragment: snippets must stay cheap.
const MAX_SCAN_BYTES: usize = 16 * 1024;
/// Matches considered as fragment anchors; more only cost time.
const MAX_MATCHES: usize = 256;

/// Marks the terms of one body field in texts of that field.
pub(crate) struct Highlighter {
    /// Indexed term → weight (rarer terms weigh more).
    terms: BTreeMap<String, f32>,
    /// The field's indexing analyzer, so that the terms are found as they were indexed.
    analyzer: TextAnalyzer,
}

struct Match<'a> {
    from: usize,
    to: usize,
    term: &'a str,
    weight: f32,
}

impl Highlighter {
    pub(crate) fn new(terms: BTreeMap<String, f32>, analyzer: TextAnalyzer) -> Highlighter {
        Highlighter { terms, analyzer }
    }

    pub(crate) fn snippet(&self, body: &str) -> String {
        let scanned = &body[..floor_boundary(body, MAX_SCAN_BYTES)];
        let mut analyzer = self.analyzer.clone();
        let tokens = analysis::tokens(&mut analyzer, scanned);
        let mut matches: Vec<Match> = tokens
            .iter()
            .filter_map(|t| {
                let (term, &weight) = self.terms.get_key_value(&t.text)?;
                Some(Match {
                    from: t.offset_from,
                    to: t.offset_to,
                    term,
                    weight,
                })
            })
            .take(MAX_MATCHES)
            .collect();
        matches.sort_by_key(|m| (m.from, m.to));

        let (start, end) = match best_window(body, &matches) {
            Some(window) => window,
            // Matched by a word the text does not show as such: show its start.
            None => (0, advance_chars(body, 0, WINDOW_CHARS)),
        };
        render(body, start, end, &matches)
    }
}

/// The window (byte range) holding the most weight of distinct matched terms; the earliest
/// of equals. `None` when nothing matched.
fn best_window(body: &str, matches: &[Match]) -> Option<(usize, usize)> {
    let mut best: Option<(f32, usize, usize)> = None;
    for anchor in matches {
        let mut start = back_chars(body, anchor.from, CONTEXT_CHARS);
        let end = advance_chars(body, start, WINDOW_CHARS);
        if end == body.len() {
            // Near the end: use the whole window, with more text before the match.
            start = start.min(back_chars(body, end, WINDOW_CHARS));
        }
        let mut seen = BTreeSet::new();
        let mut score = 0.0;
        for m in matches.iter().filter(|m| m.from >= start && m.to <= end) {
            // A second occurrence of a word adds little; another word adds a lot.
            score += if seen.insert(m.term) {
                m.weight
            } else {
                m.weight * 0.1
            };
        }
        if best.is_none_or(|(s, _, _)| score > s) {
            best = Some((score, start, end));
        }
    }
    best.map(|(_, start, end)| (start, end))
}

fn render(body: &str, start: usize, end: usize, matches: &[Match]) -> String {
    // Marked ranges inside the window, merged where they overlap or touch (search-mode
    // terms overlap the words they come from).
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for m in matches.iter().filter(|m| m.from >= start && m.to <= end) {
        match marks.last_mut() {
            Some(last) if m.from <= last.1 => last.1 = last.1.max(m.to),
            _ => marks.push((m.from, m.to)),
        }
    }
    let mut out = String::with_capacity(end - start + 32);
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for (from, to) in marks {
        escape_into(&mut out, &body[at..from]);
        out.push_str("<mark>");
        escape_into(&mut out, &body[from..to]);
        out.push_str("</mark>");
        at = to;
    }
    escape_into(&mut out, &body[at..end]);
    if end < body.len() {
        out.push('…');
    }
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            // Line breaks would be lost in HTML anyway; a space keeps words apart.
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The largest char boundary at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Byte offset `n` characters after `from` (or the end).
fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// Byte offset up to `n` characters before `to` (or 0).
fn back_chars(text: &str, to: usize, n: usize) -> usize {
    if n == 0 {
        return to;
    }
    text[..to]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{BodyLang, analyzer};

    fn highlighter(terms: &[&str]) -> Highlighter {
        Highlighter::new(
            terms.iter().map(|t| (t.to_string(), 1.0)).collect(),
            analyzer(BodyLang::En, true),
        )
    }

    #[test]
    fn marks_and_escapes() {
        let h = highlighter(&["refund"]);
        assert_eq!(
            h.snippet("<b>Refunded</b> & done"),
            "&lt;b&gt;<mark>Refunded</mark>&lt;/b&gt; &amp; done"
        );
    }

    #[test]
    fn overlapping_chinese_terms_merge() {
        let h = highlighter(&["人民", "中华人民共和国"]);
        assert_eq!(h.snippet("中华人民共和国"), "<mark>中华人民共和国</mark>");
        let h = highlighter(&["人民"]);
        assert_eq!(h.snippet("中华人民共和国"), "中华<mark>人民</mark>共和国");
    }

    #[test]
    fn long_text_gets_a_window_around_the_match() {
        let h = highlighter(&["parcel"]);
        let body = format!(
            "{} the parcel is late {}",
            "word ".repeat(100),
            "more ".repeat(100)
        );
        let s = h.snippet(&body);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>parcel</mark>"), "{s}");
        assert!(s.chars().count() < WINDOW_CHARS + 20, "{s}");
    }

    #[test]
    fn no_match_shows_the_start() {
        let h = highlighter(&["zzz"]);
        assert_eq!(h.snippet("short <text>"), "short &lt;text&gt;");
        assert_eq!(h.snippet(""), "");
    }

    #[test]
    fn window_prefers_more_distinct_terms() {
        let h = highlighter(&["refund", "late"]);
        let body = format!("refund {} refund, late", "x ".repeat(100));
        let s = h.snippet(&body);
        assert!(s.contains("<mark>late</mark>"), "{s}");
    }
}
