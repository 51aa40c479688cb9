//! Text analysis: how a message body (or a query) becomes index terms.
//!
//! One tokenizer handles mixed Chinese and Latin-script text:
//!
//! - runs of Han characters go to jieba. When indexing, it works like jieba's search mode:
//!   every word of the precise cut is emitted, plus the dictionary words of two and three
//!   characters inside it, so `退款` is found in `退款申请`. Queries use the precise cut only,
//!   so a query word must be a word of the text, not a fragment jieba happened to produce;
//! - other letters and digits form words (`Päckchen`, `reembolso`, `12.50`). Words joined by
//!   `-`, `_`, `/` or `.` that contain a digit are codes (order and tracking numbers): the
//!   whole code is a term, and when indexing so is each part, so `TB-2025-0042` is found
//!   whole or by `0042`. Without a digit, the parts are just words (`e-mail`, `refund/return`);
//! - everything else (spaces, punctuation, emoji) separates words and is dropped.
//!
//! Filters then lowercase, stem for the field's language (English, German, French, Spanish,
//! or no stemming), and fold accents, so `Refunded` and `refunds` both become `refund`.
//!
//! Positions count words of the precise cut and parts of codes; the extra search-mode terms
//! share the position of the word they come from. Query and index analysis therefore agree
//! on positions, which is what phrase queries need.
//!
//! It does NOT detect languages (the caller says which language a message is in), does not
//! segment Japanese kana or Thai (such runs stay one word), and has no synonyms.

use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// Tokens longer than this (in bytes) are dropped: they are pasted junk such as base64, and
/// would only bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 64;

/// The body fields, one per stemming language. A message goes into exactly one of them,
/// chosen from its language; a query searches all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyLang {
    /// English stemming; also Chinese, Japanese, Korean and unknown, because the Latin words
    /// inside such messages are most often English (product names, "OK", "refund").
    En,
    De,
    Fr,
    Es,
    /// Other known languages: lowercased and accent-folded, not stemmed, as a wrong stemmer
    /// does more harm than none.
    Plain,
}

impl BodyLang {
    pub(crate) const ALL: [BodyLang; 5] = [
        BodyLang::En,
        BodyLang::De,
        BodyLang::Fr,
        BodyLang::Es,
        BodyLang::Plain,
    ];

    /// Maps a language tag ("de", "de-AT", "deu", "German") to a body field.
    pub(crate) fn from_tag(tag: Option<&str>) -> BodyLang {
        let Some(tag) = tag else {
            return BodyLang::En;
        };
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match primary.as_str() {
            "" | "en" | "eng" | "english" | "zh" | "zho" | "chi" | "cmn" | "yue" | "chinese"
            | "ja" | "jpn" | "ko" | "kor" | "und" => BodyLang::En,
            "de" | "deu" | "ger" | "german" => BodyLang::De,
            "fr" | "fra" | "fre" | "french" => BodyLang::Fr,
            "es" | "spa" | "spanish" => BodyLang::Es,
            _ => BodyLang::Plain,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn from_index(i: u64) -> BodyLang {
        BodyLang::ALL
            .get(i as usize)
            .copied()
            .unwrap_or(BodyLang::En)
    }

    pub(crate) fn field_name(self) -> &'static str {
        match self {
            BodyLang::En => "body_en",
            BodyLang::De => "body_de",
            BodyLang::Fr => "body_fr",
            BodyLang::Es => "body_es",
            BodyLang::Plain => "body_plain",
        }
    }

    /// Name under which the indexing analyzer is registered with tantivy.
    pub(crate) fn tokenizer_name(self) -> &'static str {
        match self {
            BodyLang::En => "kefu_en",
            BodyLang::De => "kefu_de",
            BodyLang::Fr => "kefu_fr",
            BodyLang::Es => "kefu_es",
            BodyLang::Plain => "kefu_plain",
        }
    }

    fn stemmer(self) -> Option<Language> {
        match self {
            BodyLang::En => Some(Language::English),
            BodyLang::De => Some(Language::German),
            BodyLang::Fr => Some(Language::French),
            BodyLang::Es => Some(Language::Spanish),
            BodyLang::Plain => None,
        }
    }
}

/// The analyzer for one body field: `search_mode` for indexing (and snippets), precise for
/// queries.
pub(crate) fn analyzer(lang: BodyLang, search_mode: bool) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(MixedTokenizer { search_mode })
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser);
    // Folding comes after stemming: the German and French stemmers read the accents.
    match lang.stemmer() {
        Some(language) => builder
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
        None => builder.filter(AsciiFoldingFilter).build(),
    }
}

/// Runs an analyzer over `text` and returns its tokens.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

fn jieba() -> &'static jieba_rs::Jieba {
    // Loading the embedded dictionary takes a few hundred milliseconds: do it once.
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// Han ideographs (the CJK blocks jieba's dictionary covers, plus the extensions).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{3134F}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

fn is_connector(c: char) -> bool {
    matches!(c, '-' | '_' | '/' | '.')
}

/// Splits mixed-script text into tokens; see the module docs.
#[derive(Clone)]
pub(crate) struct MixedTokenizer {
    search_mode: bool,
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut out = Emitter {
            tokens: Vec::new(),
            position: 0,
        };
        let mut rest = text.char_indices().peekable();
        while let Some(&(start, c)) = rest.peek() {
            if is_han(c) {
                let mut end = start;
                while let Some(&(i, c)) = rest.peek() {
                    if !is_han(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    rest.next();
                }
                self.han_run(text, start, end, &mut out);
            } else if is_word_char(c) {
                // A word, then more words for as long as a single connector joins them.
                let mut parts: Vec<(usize, usize)> = Vec::new();
                let mut part_start = start;
                let mut end = start;
                loop {
                    match rest.peek() {
                        Some(&(i, c)) if is_word_char(c) => {
                            end = i + c.len_utf8();
                            rest.next();
                        }
                        Some(&(i, c)) if is_connector(c) => {
                            // Only a connector followed by a word character joins.
                            let after = text[i + c.len_utf8()..].chars().next();
                            if after.is_some_and(is_word_char) {
                                parts.push((part_start, end));
                                rest.next();
                                part_start = i + c.len_utf8();
                                end = part_start;
                            } else {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                parts.push((part_start, end));
                self.word_run(text, &parts, &mut out);
            } else {
                rest.next();
            }
        }
        VecTokenStream {
            tokens: out.tokens,
            next: 0,
        }
    }
}

struct Emitter {
    tokens: Vec<Token>,
    position: usize,
}

impl Emitter {
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize) {
        self.tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: text[from..to].to_string(),
            position_length: 1,
        });
    }
}

impl MixedTokenizer {
    fn han_run(&self, text: &str, start: usize, end: usize, out: &mut Emitter) {
        let jieba = jieba();
        let run = &text[start..end];
        for word in jieba.cut(run, true) {
            let from = start + word.byte_start;
            let to = start + word.byte_end;
            let position = out.position;
            if self.search_mode {
                // jieba's search mode: dictionary words of 2 and 3 characters inside a
                // longer word. Done here rather than with `cut_for_search` so that they
                // share the position of their word.
                let chars: Vec<(usize, char)> = word.word.char_indices().collect();
                for n in [2usize, 3] {
                    if chars.len() <= n {
                        continue;
                    }
                    for i in 0..=chars.len() - n {
                        let a = chars[i].0;
                        let b = chars
                            .get(i + n)
                            .map_or(word.word.len(), |&(offset, _)| offset);
                        if jieba.has_word(&word.word[a..b]) {
                            out.push(text, from + a, from + b, position);
                        }
                    }
                }
            }
            out.push(text, from, to, position);
            out.position += 1;
        }
    }

    fn word_run(&self, text: &str, parts: &[(usize, usize)], out: &mut Emitter) {
        let first = out.position;
        let whole_start = parts[0].0;
        let whole_end = parts[parts.len() - 1].1;
        let is_code =
            parts.len() > 1 && text[whole_start..whole_end].chars().any(|c| c.is_numeric());
        if is_code {
            out.push(text, whole_start, whole_end, first);
        }
        // A code's parts are terms only in the index; a query for the whole code asks for
        // the whole term. Positions advance by part either way, so that both sides agree.
        if !is_code || self.search_mode {
            for (k, &(from, to)) in parts.iter().enumerate() {
                out.push(text, from, to, first + k);
            }
        }
        out.position = first + parts.len();
    }
}

/// A token stream over tokens computed up front (jieba needs the whole run anyway).
pub(crate) struct VecTokenStream {
    tokens: Vec<Token>,
    /// Index of the token after the current one.
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next.saturating_sub(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(lang: BodyLang, search: bool, text: &str) -> Vec<(String, usize)> {
        tokens(&mut analyzer(lang, search), text)
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect()
    }

    fn texts(lang: BodyLang, search: bool, text: &str) -> Vec<String> {
        terms(lang, search, text).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn chinese_search_mode_has_inner_words() {
        let t = texts(BodyLang::En, true, "我的快递三天没更新了");
        assert!(t.contains(&"快递".to_string()), "{t:?}");
        let t = texts(BodyLang::En, true, "已提交退款申请");
        assert!(t.contains(&"退款".to_string()), "{t:?}");
    }

    #[test]
    fn latin_is_lowercased_stemmed_and_folded() {
        assert_eq!(
            texts(BodyLang::En, false, "Refunded REFUNDS"),
            ["refund", "refund"]
        );
        // Whatever the German stem is, the inflections share it.
        assert_eq!(
            texts(BodyLang::De, false, "Pakets Paket"),
            texts(BodyLang::De, false, "paket paket")
        );
        assert_eq!(texts(BodyLang::Plain, false, "Café"), ["cafe"]);
        assert_eq!(
            texts(BodyLang::De, false, "Päckchen"),
            texts(BodyLang::De, false, "päckchen")
        );
    }

    #[test]
    fn codes_are_whole_and_in_parts() {
        let idx = terms(BodyLang::En, true, "order TB-2025-0042 shipped");
        assert_eq!(
            idx,
            [
                ("order".to_string(), 0),
                ("tb-2025-0042".to_string(), 1),
                ("tb".to_string(), 1),
                ("2025".to_string(), 2),
                ("0042".to_string(), 3),
                ("ship".to_string(), 4),
            ]
        );
        let q = terms(BodyLang::En, false, "order TB-2025-0042 shipped");
        assert_eq!(
            q,
            [
                ("order".to_string(), 0),
                ("tb-2025-0042".to_string(), 1),
                ("ship".to_string(), 4),
            ]
        );
        assert_eq!(texts(BodyLang::En, false, "e-mail."), ["e", "mail"]);
    }

    #[test]
    fn mixed_text_and_junk() {
        let t = texts(
            BodyLang::En,
            true,
            "订单SF1234567890的物流 tracking没更新 🙂 \"((( ",
        );
        assert!(t.contains(&"sf1234567890".to_string()), "{t:?}");
        assert!(t.contains(&"物流".to_string()), "{t:?}");
        assert!(t.contains(&"track".to_string()), "{t:?}");
        assert!(texts(BodyLang::En, true, "🙂 \"((( AND").len() == 1);
        assert!(texts(BodyLang::En, true, "").is_empty());
    }

    #[test]
    fn offsets_point_into_the_text() {
        let text = "Hi 我的快递, TB-1";
        for t in tokens(&mut analyzer(BodyLang::En, true), text) {
            assert!(text.get(t.offset_from..t.offset_to).is_some(), "{t:?}");
        }
    }

    #[test]
    fn language_tags() {
        assert_eq!(BodyLang::from_tag(Some("de-AT")), BodyLang::De);
        assert_eq!(BodyLang::from_tag(Some("zh")), BodyLang::En);
        assert_eq!(BodyLang::from_tag(Some("it")), BodyLang::Plain);
        assert_eq!(BodyLang::from_tag(None), BodyLang::En);
    }
}
