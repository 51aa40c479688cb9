//! Phrase data: parsing the embedded per-language files and finding every
//! phrase occurrence in a text with one Aho-Corasick pass.
//!
//! This module knows nothing about rules; it only answers "which listed
//! phrases occur where". It does not stem, lowercase non-ASCII letters or
//! segment Chinese words: phrase lists carry the inflected forms they need.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// A language the phrase data covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lang {
    Zh,
    En,
    De,
    Fr,
    Es,
}

impl Lang {
    pub(crate) fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-tw" | "zh-hk" | "zh-hant" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "de" | "de-de" | "de-at" | "de-ch" => Some(Lang::De),
            "fr" | "fr-fr" | "fr-ca" => Some(Lang::Fr),
            "es" | "es-es" | "es-mx" => Some(Lang::Es),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// What a phrase means to the rules. One per `[section]` in the data files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cat {
    Secret,
    IdDoc,
    Request,
    Negation,
    Frame,
    Cancel,
    Insult,
    InsultWord,
    Emotion,
    SecondPerson,
    Ack,
    Filler,
    Substance,
    Stall,
    Remedy,
    Policy,
    Empathy,
    Argue,
    Blame,
    Vague,
    Option,
    Polite,
    Imperative,
    Address,
    Common,
    Suggest,
    Ni,
    ShopForbidden,
    ShopRequired,
}

impl Cat {
    fn parse(s: &str) -> Option<Cat> {
        Some(match s {
            "secret" => Cat::Secret,
            "id_doc" => Cat::IdDoc,
            "request" => Cat::Request,
            "negation" => Cat::Negation,
            "frame" => Cat::Frame,
            "cancel" => Cat::Cancel,
            "insult" => Cat::Insult,
            "insult_word" => Cat::InsultWord,
            "emotion" => Cat::Emotion,
            "second_person" => Cat::SecondPerson,
            "ack" => Cat::Ack,
            "filler" => Cat::Filler,
            "substance" => Cat::Substance,
            "stall" => Cat::Stall,
            "remedy" => Cat::Remedy,
            "policy" => Cat::Policy,
            "empathy" => Cat::Empathy,
            "argue" => Cat::Argue,
            "blame" => Cat::Blame,
            "vague" => Cat::Vague,
            "option" => Cat::Option,
            "polite" => Cat::Polite,
            "imperative" => Cat::Imperative,
            "address" => Cat::Address,
            "common" => Cat::Common,
            "suggest" => Cat::Suggest,
            "ni" => Cat::Ni,
            _ => return None,
        })
    }
}

/// One meaning of a pattern: a pattern string may carry several (the same
/// word can be listed in two languages or two sections).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub cat: Cat,
    pub lang: Option<Lang>,
    pub tag: Option<String>,
    /// `word*` in the data: the last word may run on (no right boundary).
    pub prefix: bool,
}

/// One occurrence of a phrase in the text (byte offsets).
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub cat: Cat,
    pub lang: Option<Lang>,
    pub tag: Option<String>,
}

pub(crate) struct PhraseSet {
    ac: AhoCorasick,
    entries: Vec<Vec<Entry>>,
    /// Suggestions keyed by (language, rule id).
    pub suggestions: HashMap<(Lang, String), String>,
}

const DATA: [(Lang, &str); 5] = [
    (Lang::Zh, include_str!("../data/zh.txt")),
    (Lang::En, include_str!("../data/en.txt")),
    (Lang::De, include_str!("../data/de.txt")),
    (Lang::Fr, include_str!("../data/fr.txt")),
    (Lang::Es, include_str!("../data/es.txt")),
];
const HANT: &str = include_str!("../data/zh-hant.txt");

fn hant_table() -> HashMap<char, char> {
    let mut map = HashMap::new();
    for line in HANT.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for pair in line.split_whitespace() {
            let mut cs = pair.chars();
            if let (Some(s), Some(t)) = (cs.next(), cs.next()) {
                map.insert(s, t);
            }
        }
    }
    map
}

/// Parse one data file into (section, phrase, tag) triples.
fn parse_file(src: &str) -> Vec<(Cat, String, Option<String>)> {
    let mut out = Vec::new();
    let mut cat = None;
    for raw in src.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            cat = Cat::parse(name);
            assert!(cat.is_some(), "unknown phrase section [{name}]");
            continue;
        }
        let Some(c) = cat else { continue };
        let (phrase, tag) = match line.rsplit_once(" | ") {
            Some((p, t)) => (p.trim().to_string(), Some(t.trim().to_string())),
            None => (line.to_string(), None),
        };
        out.push((c, phrase, tag));
    }
    out
}

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

impl PhraseSet {
    /// Build from the embedded data plus the shop's own phrases.
    pub(crate) fn build(shop: &[(Cat, Option<Lang>, String)]) -> PhraseSet {
        let hant = hant_table();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut entries: Vec<Vec<Entry>> = Vec::new();
        let mut suggestions = HashMap::new();
        let mut add = |phrase: &str, entry: Entry| {
            let key = phrase.to_lowercase();
            let id = *index.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                entries.push(Vec::new());
                patterns.len() - 1
            });
            entries[id].push(entry);
        };
        for (lang, src) in DATA {
            for (cat, phrase, tag) in parse_file(src) {
                if cat == Cat::Suggest {
                    if let Some(rule) = tag {
                        suggestions.insert((lang, rule), phrase);
                    }
                    continue;
                }
                let prefix = phrase.ends_with('*');
                let p = phrase.trim_end_matches('*');
                let entry = Entry {
                    cat,
                    lang: Some(lang),
                    tag,
                    prefix,
                };
                if lang == Lang::Zh {
                    // Traditional-script variant: same meaning, other characters.
                    let t: String = p.chars().map(|c| *hant.get(&c).unwrap_or(&c)).collect();
                    if t != p {
                        add(&t, entry.clone());
                    }
                }
                add(p, entry);
            }
        }
        for (cat, lang, phrase) in shop {
            let p = phrase.trim();
            if !p.is_empty() {
                add(
                    p,
                    Entry {
                        cat: *cat,
                        lang: *lang,
                        tag: Some(p.to_string()),
                        prefix: false,
                    },
                );
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("phrase automaton builds");
        PhraseSet {
            ac,
            entries,
            suggestions,
        }
    }

    /// The shop's required phrases (entries tagged with the phrase itself).
    pub(crate) fn required(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .flatten()
            .filter(|e| e.cat == Cat::ShopRequired)
    }

    /// Every phrase occurrence in `text`, with word boundaries enforced for
    /// Latin-script phrases (so "pin" does not fire inside "shipping").
    pub(crate) fn find(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        for m in self.ac.find_overlapping_iter(text) {
            let (s, e) = (m.start(), m.end());
            let first = text[s..].chars().next();
            let last = text[..e].chars().next_back();
            let before = text[..s].chars().next_back();
            let after = text[e..].chars().next();
            let left_ok = !(first.is_some_and(is_word_char) && before.is_some_and(is_word_char));
            if !left_ok {
                continue;
            }
            let right_bounded = last.is_some_and(is_word_char) && after.is_some_and(is_word_char);
            for en in &self.entries[m.pattern().as_usize()] {
                if right_bounded && !en.prefix {
                    continue;
                }
                hits.push(Hit {
                    start: s,
                    end: e,
                    cat: en.cat,
                    lang: en.lang,
                    tag: en.tag.clone(),
                });
            }
        }
        // A cancel phrase ("别担心", "send you") removes the hits of its tagged
        // category that it overlaps: the word is there, the act is not. A hit
        // with exactly the cancel's span survives, so "退货退款" can cancel its
        // parts and still count as one option itself.
        let cancels: Vec<(usize, usize, Cat)> = hits
            .iter()
            .filter(|h| h.cat == Cat::Cancel)
            .filter_map(|h| {
                h.tag
                    .as_deref()
                    .and_then(Cat::parse)
                    .map(|c| (h.start, h.end, c))
            })
            .collect();
        hits.retain(|h| {
            h.cat != Cat::Cancel
                && !cancels.iter().any(|&(s, e, c)| {
                    c == h.cat && h.start < e && s < h.end && (h.start, h.end) != (s, e)
                })
        });
        hits.sort_by_key(|h| (h.start, h.end));
        hits
    }
}
