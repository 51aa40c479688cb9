//! Text analysis: how a buyer's question (or an FAQ question variant) becomes weighted terms.
//!
//! Both sides go through the same steps, so the terms agree:
//!
//! 1. [`normalize`]: full-width forms to ASCII, lowercase, accents folded, punctuation and
//!    emoji to spaces, at most [`MAX_CHARS`] characters.
//! 2. Runs of Han characters go to jieba (precise cut, no HMM, so that unknown words fall
//!    apart into characters instead of into guesses that differ between two phrasings).
//!    Filler words (亲, 吗, 一下…) are dropped; every other word is a term, and so is every
//!    character bigram of what is left, because bigrams survive segmentation differences
//!    and typos that whole words do not (物留 vs 物流 still share nothing, but 物流信息 and
//!    物留信息 share 信息).
//! 3. Other words: stop words of en/de/es/fr are dropped, the rest get a light suffix
//!    stemmer. Numbers and codes are dropped: order numbers say nothing about the topic.
//! 4. Words (Han or Latin) found in the synonym table become a shared concept term, so
//!    快递/物流/包裹 match each other, and `refund`/`Rückerstattung`/`reembolso`/退款 too.
//!
//! The word lists (stop words, synonyms, escalation phrases) live in `data/lexicon.toml`,
//! so that they can be read and extended without reading code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use serde::Deserialize;

/// Longest input looked at, in characters. A question is a sentence or two; past this it is
/// a pasted chat log or order page, where no FAQ answer fits anyway, and the cap keeps every
/// call in microseconds whatever a buyer pastes.
pub const MAX_CHARS: usize = 1000;

/// Weight of a Han character bigram relative to a word: bigrams are many and overlap, so at
/// full weight they would drown the words they were cut from.
const BIGRAM_WEIGHT: f32 = 0.5;

/// Marks bigram terms so that a bigram never collides with a two-character word.
const BIGRAM_MARK: char = '~';

/// `data/lexicon.toml` as written.
#[derive(Deserialize)]
pub(crate) struct Lexicon {
    domain_words: Vec<String>,
    /// Language → its stop words ("zh", "en", "de", "es", "fr").
    stop: BTreeMap<String, Vec<String>>,
    /// Concept term → the words that stand for it.
    pub(crate) synonyms: BTreeMap<String, Vec<String>>,
    /// Word → the concept terms it stands for.
    compounds: BTreeMap<String, Vec<String>>,
    escalation: Escalation,
}

#[derive(Deserialize)]
struct Escalation {
    han: Vec<String>,
    latin: Vec<String>,
}

pub(crate) static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/lexicon.toml"))
        .expect("data/lexicon.toml is embedded at build time and checked by the tests")
});

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    // Loading the dictionary takes ~100 ms: once per process, shared by every index.
    let mut jieba = Jieba::new();
    for word in &LEXICON.domain_words {
        jieba.add_word(word, None, None);
    }
    jieba
});

/// Builds the segmenter and the word tables now rather than on the first question.
pub(crate) fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&TABLES);
}

/// The lexicon in the form lookups need.
struct Tables {
    zh_stop: HashSet<String>,
    latin_stop: HashSet<String>,
    /// Non-Chinese languages with their stop words, English first: on a tie in
    /// [`guess_language`] the earlier one wins.
    stop_by_language: Vec<(String, HashSet<String>)>,
    /// Han word or stemmed Latin word → concept terms (one, or two for a compound).
    synonyms: HashMap<String, Vec<String>>,
    escalation_han: Vec<String>,
    /// Normalised and padded with a space on each side, to match whole words.
    escalation_latin: Vec<String>,
}

/// The key a synonym-table word is looked up by: a Han word as jieba cuts it, a Latin word
/// normalised and stemmed, as the words of a question will be.
pub(crate) fn synonym_key(word: &str) -> String {
    if word.chars().any(is_han) {
        word.to_string()
    } else {
        stem(&normalize(word))
    }
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let lexicon = &*LEXICON;
    let mut synonyms = HashMap::new();
    for (concept, words) in &lexicon.synonyms {
        for word in words {
            synonyms.insert(synonym_key(word), vec![concept.clone()]);
        }
    }
    // After the groups, so that a compound overrides a group claiming the same word.
    for (word, concepts) in &lexicon.compounds {
        synonyms.insert(synonym_key(word), concepts.clone());
    }
    let normalized =
        |words: &[String]| -> HashSet<String> { words.iter().map(|w| normalize(w)).collect() };
    let mut stop_by_language: Vec<(String, HashSet<String>)> = lexicon
        .stop
        .iter()
        .filter(|(lang, _)| lang.as_str() != "zh")
        .map(|(lang, words)| (lang.clone(), normalized(words)))
        .collect();
    stop_by_language.sort_by_key(|(lang, _)| (lang != "en", lang.clone()));
    Tables {
        zh_stop: lexicon
            .stop
            .get("zh")
            .map(|w| normalized(w))
            .unwrap_or_default(),
        latin_stop: stop_by_language
            .iter()
            .flat_map(|(_, words)| words.iter().cloned())
            .collect(),
        stop_by_language,
        synonyms,
        escalation_han: lexicon
            .escalation
            .han
            .iter()
            .map(|p| normalize(p))
            .collect(),
        escalation_latin: lexicon
            .escalation
            .latin
            .iter()
            .map(|p| format!(" {} ", normalize(p)))
            .collect(),
    }
});

/// Han ideographs: the unified block and its extensions, plus compatibility ideographs.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{3134F}')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{FF07}')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}' | '\u{FF0D}')
}

/// Full-width ASCII (Ｏｒｄｅｒ，１２３) and the ideographic space to their ASCII forms.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Accented Latin letters to their base letters, so `Größe`, `grosse` and `GROESSE`-less
/// spellings meet, and a buyer typing without accents (`envio`, `devolucion`) still matches.
fn push_folded(c: char, out: &mut String) {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'œ' => "oe",
        'æ' => "ae",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(s);
}

/// The normal form both questions and FAQ variants are compared in: lowercase, full-width
/// folded to ASCII, accents folded, apostrophes and hyphens inside words removed (`don't` →
/// `dont`, `where's` → `where`, `pre-order` → `preorder`), every other non-letter, non-digit
/// character a single space, trimmed. Only the first [`MAX_CHARS`] characters are read.
pub fn normalize(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(MAX_CHARS).map(fold_width).collect();
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4));
    let mut space = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_letter = i > 0 && chars[i - 1].is_alphabetic() && !is_han(chars[i - 1]);
        let next = chars.get(i + 1).copied();
        let next_letter = next.is_some_and(|n| n.is_alphabetic() && !is_han(n));
        if (is_apostrophe(c) || is_hyphen(c)) && prev_letter && next_letter {
            // A possessive or contraction 's is dropped whole: "where's" means "where".
            let after_s = chars.get(i + 2).copied();
            if is_apostrophe(c)
                && matches!(next, Some('s' | 'S'))
                && !after_s.is_some_and(char::is_alphanumeric)
            {
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            for lower in c.to_lowercase() {
                push_folded(lower, &mut out);
            }
        } else {
            space = true;
        }
        i += 1;
    }
    out
}

/// A light suffix stripper for folded en/de/es/fr words. Not a real stemmer: it only has to
/// send the inflections buyers use (`refunded`, `Bestellungen`, `pedidos`) to the same stem
/// as the FAQ's wording, and the same function runs on both sides, so an odd stem is
/// harmless as long as it is consistent.
pub(crate) fn stem(word: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "amente", "mente", "ations", "ation", "ciones", "cion", "ungen", "ments", "ment", "ings",
        "ados", "adas", "idos", "idas", "ung", "ing", "ado", "ada", "ido", "ida", "ies", "ied",
        "ers", "ern", "er", "es", "en", "ed", "ly", "ar", "ir", "os", "as", "s", "e", "o", "a",
        "y",
    ];
    let mut w = word.to_string();
    if !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return w;
    }
    for _ in 0..3 {
        let found = SUFFIXES.iter().find(|suffix| {
            w.len() >= suffix.len() + 3
                && w.ends_with(*suffix)
                // "address", "glass": a double s is not a plural.
                && !(**suffix == "s" && w.ends_with("ss"))
                // Sendung is not senden: a short -ung noun keeps its ending.
                && !(suffix.starts_with("ung") && w.len() < suffix.len() + 5)
        });
        match found {
            Some(suffix) => w.truncate(w.len() - suffix.len()),
            None => break,
        }
    }
    // shipp(ing) → ship, cancell(ed) → cancel: one stem however the consonant was doubled.
    let bytes = w.as_bytes();
    if bytes.len() >= 4 {
        let (a, b) = (bytes[bytes.len() - 2], bytes[bytes.len() - 1]);
        if a == b && !b"aeiou".contains(&b) {
            w.pop();
        }
    }
    w
}

/// Weighted terms of a text: concept terms, words, and (marked) Han bigrams. A term that
/// occurs twice keeps its highest weight: in a one-line question repetition is emphasis at
/// best, and usually just "快递快递".
pub(crate) fn features(text: &str) -> Vec<(String, f32)> {
    let normalized = normalize(text);
    let tables = &*TABLES;
    let mut out: Vec<(String, f32)> = Vec::new();
    for run in normalized.split(' ') {
        let mut rest = run;
        while !rest.is_empty() {
            let first_han = rest.chars().next().is_some_and(is_han);
            let end = rest
                .char_indices()
                .find(|&(_, c)| is_han(c) != first_han)
                .map_or(rest.len(), |(i, _)| i);
            let (piece, tail) = rest.split_at(end);
            if first_han {
                han_features(piece, tables, &mut out);
            } else {
                latin_feature(piece, tables, &mut out);
            }
            rest = tail;
        }
    }
    dedup_max(out)
}

fn han_features(run: &str, tables: &Tables, out: &mut Vec<(String, f32)>) {
    let mut kept = String::new();
    for token in JIEBA.cut(run, false) {
        let word = token.word;
        if tables.zh_stop.contains(word) {
            continue;
        }
        kept.push_str(word);
        push_term(word, tables, out);
    }
    let chars: Vec<char> = kept.chars().collect();
    for pair in chars.windows(2) {
        let mut term = String::with_capacity(8);
        term.push(BIGRAM_MARK);
        term.push(pair[0]);
        term.push(pair[1]);
        out.push((term, BIGRAM_WEIGHT));
    }
}

fn latin_feature(word: &str, tables: &Tables, out: &mut Vec<(String, f32)>) {
    // "170cm", "60kg": the unit says what the number was about; other numbers and codes
    // (order numbers, tracking numbers, prices) say nothing about the topic.
    let word = if word.chars().any(|c| c.is_ascii_digit()) {
        let unit = word.trim_start_matches(|c: char| c.is_ascii_digit());
        if unit.is_empty() || unit.chars().any(|c| !c.is_alphabetic()) {
            return;
        }
        unit
    } else {
        word
    };
    if word.chars().count() < 2 || tables.latin_stop.contains(word) {
        return;
    }
    push_term(&stem(word), tables, out);
}

/// A word's concept terms if the synonym table has it, else the word itself.
fn push_term(word: &str, tables: &Tables, out: &mut Vec<(String, f32)>) {
    match tables.synonyms.get(word) {
        Some(concepts) => out.extend(concepts.iter().map(|c| (c.to_string(), 1.0))),
        None => out.push((word.to_string(), 1.0)),
    }
}

fn dedup_max(mut terms: Vec<(String, f32)>) -> Vec<(String, f32)> {
    terms.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    terms.dedup_by(|later, kept| later.0 == kept.0);
    terms
}

/// Whether the buyer is angry or asks for a person (the `[escalation]` phrases).
pub(crate) fn wants_human(text: &str) -> bool {
    let tables = &*TABLES;
    let normalized = normalize(text);
    if tables
        .escalation_han
        .iter()
        .any(|p| normalized.contains(p.as_str()))
    {
        return true;
    }
    let padded = format!(" {normalized} ");
    tables
        .escalation_latin
        .iter()
        .any(|p| padded.contains(p.as_str()))
}

/// A rough guess at the language of a question, for when the caller has none: Chinese if it
/// has Han characters, else the language with the most stop words in it ("wo ist mein
/// Paket" → de; English wins a tie). `None` when there is no stop word at all.
pub(crate) fn guess_language(text: &str) -> Option<&'static str> {
    let normalized = normalize(text);
    if normalized.chars().any(is_han) {
        return Some("zh");
    }
    let mut best: Option<(&str, usize)> = None;
    for (lang, words) in &TABLES.stop_by_language {
        let n = normalized.split(' ').filter(|w| words.contains(*w)).count();
        if n > 0 && best.is_none_or(|(_, m)| n > m) {
            best = Some((lang.as_str(), n));
        }
    }
    best.map(|(lang, _)| lang)
}
