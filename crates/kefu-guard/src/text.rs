//! Splitting a reply into sentences and clauses, with byte offsets.
//!
//! Sentences end at 。！？!?；;…, a newline, or a '.' followed by space or the
//! end (so "19.99" and "v1.2" stay whole). Clauses split a sentence further
//! at commas and colons: negation is scoped to a clause, so "别担心，请把
//! 密码发我" is not excused by its 别. This is punctuation-based only; it
//! does no parsing.

#[derive(Clone, Debug)]
pub(crate) struct Sentence {
    pub start: usize,
    pub end: usize,
    /// Clause spans inside the sentence, in order, covering it.
    pub clauses: Vec<(usize, usize)>,
}

fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…' | '\n' | '~' | '～'
    )
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '，' | ',' | '：' | ':' | '（' | '）' | '(' | ')' | '—')
}

pub(crate) fn sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut clause_start = 0;
    let mut clauses = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = i + c.len_utf8();
        let next = iter.peek().map(|&(_, n)| n);
        let ends = is_sentence_end(c) || (c == '.' && next.is_none_or(char::is_whitespace));
        if ends {
            clauses.push((clause_start, end));
            push(&mut out, text, start, end, std::mem::take(&mut clauses));
            start = end;
            clause_start = end;
        } else if is_clause_end(c) {
            clauses.push((clause_start, end));
            clause_start = end;
        }
    }
    if start < text.len() {
        clauses.push((clause_start, text.len()));
        push(&mut out, text, start, text.len(), clauses);
    }
    out
}

fn push(
    out: &mut Vec<Sentence>,
    text: &str,
    start: usize,
    end: usize,
    clauses: Vec<(usize, usize)>,
) {
    // Trim surrounding whitespace so finding spans point at words.
    let raw = &text[start..end];
    let lead = raw.len() - raw.trim_start().len();
    let trail = raw.len() - raw.trim_end().len();
    if lead + trail >= raw.len() {
        return;
    }
    out.push(Sentence {
        start: start + lead,
        end: end - trail,
        clauses,
    });
}

/// Count "content units" of `text[start..end]` outside the `covered` spans:
/// each CJK character is one unit and each Latin word is one unit.
/// Punctuation, digits-free symbols and emoji count nothing.
pub(crate) fn content_units(text: &str, covered: &[(usize, usize)]) -> usize {
    let mut units = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if covered.iter().any(|&(s, e)| i >= s && i < e) {
            in_word = false;
            continue;
        }
        if crate::phrases::is_cjk(c) {
            units += 1;
            in_word = false;
        } else if c.is_alphanumeric() || c == '\'' {
            if !in_word {
                units += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    units
}
