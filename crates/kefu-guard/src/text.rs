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
    /// Index range of this sentence's clauses in [`Split::clauses`].
    pub clauses: std::ops::Range<usize>,
}

/// A reply split into sentences and clauses. Clauses live in one flat
/// vector (no allocation per sentence); each sentence names its range.
#[derive(Clone, Debug, Default)]
pub(crate) struct Split {
    pub sentences: Vec<Sentence>,
    /// Clause spans in text order, covering every sentence.
    pub clauses: Vec<(usize, usize)>,
}

impl Split {
    /// The clauses of one sentence, in order.
    pub fn clauses_of(&self, s: &Sentence) -> &[(usize, usize)] {
        &self.clauses[s.clauses.clone()]
    }
}

/// What a punctuation character does to the split.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    Sentence,
    Clause,
    /// '.', which ends a sentence only before whitespace or the end.
    Dot,
}

#[inline]
fn mark(c: char) -> Mark {
    match c {
        '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…' | '\n' | '~' | '～' => {
            Mark::Sentence
        }
        '，' | ',' | '：' | ':' | '（' | '）' | '(' | ')' | '—' | '–' => Mark::Clause,
        '.' => Mark::Dot,
        _ => Mark::None,
    }
}

pub(crate) fn sentences(text: &str) -> Split {
    let mut out = Split {
        sentences: Vec::with_capacity(4),
        clauses: Vec::with_capacity(8),
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut clause_start = 0;
    let mut first_clause = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Every mark is ASCII or a three-byte character led by E2, E3 or EF;
        // other bytes (letters, Han, continuation bytes) are skipped undecoded.
        let (m, len) = if b.is_ascii() {
            (mark(b as char), 1)
        } else if matches!(b, 0xE2 | 0xE3 | 0xEF) {
            let c = text[i..].chars().next().unwrap_or(' ');
            (mark(c), c.len_utf8())
        } else {
            (Mark::None, 1)
        };
        let end = i + len;
        let ends = match m {
            Mark::Sentence => true,
            Mark::Dot => text[end..].chars().next().is_none_or(char::is_whitespace),
            _ => false,
        };
        if ends {
            out.clauses.push((clause_start, end));
            push(&mut out, text, start, end, first_clause);
            start = end;
            clause_start = end;
            first_clause = out.clauses.len();
        } else if m == Mark::Clause {
            out.clauses.push((clause_start, end));
            clause_start = end;
        }
        i = end;
    }
    if start < text.len() {
        out.clauses.push((clause_start, text.len()));
        push(&mut out, text, start, text.len(), first_clause);
    }
    out
}

fn push(out: &mut Split, text: &str, start: usize, end: usize, first_clause: usize) {
    // Trim surrounding whitespace so finding spans point at words. A
    // whitespace-only sentence is dropped, its clauses stay (they hold no
    // words, so no rule looks at them).
    let raw = &text[start..end];
    let lead = raw.len() - raw.trim_start().len();
    let trail = raw.len() - raw.trim_end().len();
    if lead + trail >= raw.len() {
        return;
    }
    out.sentences.push(Sentence {
        start: start + lead,
        end: end - trail,
        clauses: first_clause..out.clauses.len(),
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
