//! Phrase data: parsing the embedded per-language files and finding every
//! phrase occurrence in a text with one Aho-Corasick pass.
//!
//! This module knows nothing about rules; it only answers "which listed
//! phrases occur where". It does not stem, lowercase non-ASCII letters or
//! segment Chinese words: phrase lists carry the inflected forms they need.

mod build;

use crate::norm::{Folder, Norm};
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use build::{automata, shop_required, word_edges};
use std::collections::HashMap;
use std::sync::OnceLock;

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
        // Called on every lint: compare without allocating a lowercase copy.
        const NAMES: [(&str, Lang); 18] = [
            ("zh", Lang::Zh),
            ("zh-cn", Lang::Zh),
            ("zh-hans", Lang::Zh),
            ("zh-tw", Lang::Zh),
            ("zh-hk", Lang::Zh),
            ("zh-hant", Lang::Zh),
            ("cn", Lang::Zh),
            ("en", Lang::En),
            ("en-us", Lang::En),
            ("en-gb", Lang::En),
            ("de", Lang::De),
            ("de-de", Lang::De),
            ("de-at", Lang::De),
            ("de-ch", Lang::De),
            ("fr", Lang::Fr),
            ("fr-fr", Lang::Fr),
            ("fr-ca", Lang::Fr),
            ("es", Lang::Es),
        ];
        let s = s.trim();
        if s.eq_ignore_ascii_case("es-es") || s.eq_ignore_ascii_case("es-mx") {
            return Some(Lang::Es);
        }
        NAMES
            .iter()
            .find(|(name, _)| s.eq_ignore_ascii_case(name))
            .map(|&(_, l)| l)
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
    Anaphor,
    Suggest,
    Ni,
    ShopForbidden,
    ShopRequired,
    // PRIV-NO-CARD-NUMBER: a card number or card details; an expiry date,
    // which is a card's only with a card word in the same sentence.
    Card,
    Expiry,
    CardWord,
    // PLATFORM-NO-OFFSITE: an act that is off-platform by itself (站外交易,
    // "pay outside eBay"); a messenger (WhatsApp, 微信); a phone or e-mail;
    // an invitation to get in touch ("add me", 加我); a word of the sale.
    Offsite,
    Channel,
    ContactLite,
    Contact,
    Deal,
    // REVIEW-NO-INCENTIVE: a good or changed review; something the buyer
    // gets; a bribe in one phrase (好评返现); a condition ("if", 后).
    Review,
    Incentive,
    ReviewBribe,
    Cond,
    /// "thank you", 感谢: a review the reply thanks for is not asked for.
    Thanks,
}

impl Cat {
    /// This category's bit in a [`CatSet`].
    pub(crate) fn bit(self) -> CatSet {
        1 << (self as u32)
    }

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
            "anaphor" => Cat::Anaphor,
            "suggest" => Cat::Suggest,
            "ni" => Cat::Ni,
            "card" => Cat::Card,
            "expiry" => Cat::Expiry,
            "card_word" => Cat::CardWord,
            "offsite" => Cat::Offsite,
            "channel" => Cat::Channel,
            "contact_lite" => Cat::ContactLite,
            "contact" => Cat::Contact,
            "deal" => Cat::Deal,
            "review" => Cat::Review,
            "incentive" => Cat::Incentive,
            "review_bribe" => Cat::ReviewBribe,
            "cond" => Cat::Cond,
            "thanks" => Cat::Thanks,
            _ => return None,
        })
    }
}

/// A set of categories, one bit each: which categories a text has hits of.
pub(crate) type CatSet = u64;

/// One meaning of a pattern: a pattern string may carry several (the same
/// word can be listed in two languages or two sections).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub cat: Cat,
    pub lang: Option<Lang>,
    pub tag: Option<String>,
    /// `word*` in the data: the last word may run on (no right boundary).
    pub prefix: bool,
    /// For a `[cancel]` entry: the category it cancels (its tag, parsed).
    pub cancels: Option<Cat>,
}

/// One occurrence of a phrase in the text (byte offsets). The tag borrows
/// from the phrase set, so collecting hits copies no strings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit<'p> {
    pub start: usize,
    pub end: usize,
    pub cat: Cat,
    pub lang: Option<Lang>,
    pub tag: Option<&'p str>,
    pub cancels: Option<Cat>,
}

/// One DFA over a subset of the patterns, walked by hand in
/// [`PhraseSet::find`] so the per-byte step is inlined (the `AhoCorasick`
/// wrapper dispatches it dynamically). Built on first use: a one-shot
/// `kefu lint` builds only the automata its reply needs.
struct Automaton1 {
    dfa: OnceLock<DFA>,
    /// DFA pattern index → index into [`PhraseSet::patterns`].
    ids: Vec<usize>,
}

impl Automaton1 {
    fn new(ids: Vec<usize>) -> Automaton1 {
        Automaton1 {
            dfa: OnceLock::new(),
            ids,
        }
    }

    fn dfa(&self, patterns: &[String]) -> &DFA {
        self.dfa.get_or_init(|| {
            DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(self.ids.iter().map(|&i| &patterns[i]))
                .expect("phrase automaton builds")
        })
    }

    /// Call `f(pattern index, start, end)` for every occurrence of every
    /// pattern (overlapping ones too), in order of their end.
    #[inline]
    fn each_match(&self, patterns: &[String], text: &str, mut f: impl FnMut(usize, usize, usize)) {
        let dfa = self.dfa(patterns);
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return;
        };
        for (i, &b) in text.as_bytes().iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                for k in 0..dfa.match_len(sid) {
                    let pid = dfa.match_pattern(sid, k);
                    let len = dfa.pattern_len(pid);
                    f(self.ids[pid.as_usize()], i + 1 - len, i + 1);
                }
            }
        }
    }
}

/// The phrase automata. One DFA over every phrase was 16 MB (each Han
/// continuation byte is its own byte class) and missed the cache on nearly
/// every byte of a reply; these are a fraction of that each, and a reply
/// walks at most two of them.
pub(crate) struct PhraseSet {
    /// Phrases without Han characters, for a reply in a known language:
    /// that language's phrases plus English (mixed into every language),
    /// the Latin-script Chinese ones and the language-free ones. Indexed by
    /// [`Lang::index`] − 1 (De, Fr, Es; a Chinese reply uses English's).
    latin_for: [Automaton1; 4],
    /// Every phrase without Han characters: for a reply whose language is
    /// not given and must be detected from its words.
    latin_all: Automaton1,
    /// Phrases with Han characters: run only over replies that have some.
    han: Automaton1,
    /// The distinct patterns (lowercased phrases) and their meanings.
    patterns: Vec<String>,
    entries: Vec<Vec<Entry>>,
    /// Per pattern: do its first and its last character belong to a word
    /// (so a word boundary must be checked on that side)?
    edges: Vec<(bool, bool)>,
    /// The shop's required phrases (language, phrase), kept apart so a lint
    /// does not walk every entry to find them.
    required: Vec<(Option<Lang>, String)>,
    /// Suggestions by language, then rule id.
    suggestions: HashMap<Lang, HashMap<String, String>>,
    /// Simplified → traditional characters (`data/zh-hant.txt`), for
    /// writing suggestions in the script of the reply.
    hant: HashMap<char, char>,
    /// Folds a reply (width, script, spelling tricks) before matching.
    folder: Folder,
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
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        !is_cjk(c) && c.is_alphanumeric()
    }
}

/// The character ending at byte `i` (ASCII without decoding).
#[inline]
fn char_before(text: &str, i: usize) -> Option<char> {
    match i.checked_sub(1).map(|j| text.as_bytes()[j]) {
        None => None,
        Some(b) if b.is_ascii() => Some(b as char),
        Some(_) => text[..i].chars().next_back(),
    }
}

/// The character starting at byte `i` (ASCII without decoding).
#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    match text.as_bytes().get(i) {
        None => None,
        Some(&b) if b.is_ascii() => Some(b as char),
        Some(_) => text[i..].chars().next(),
    }
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

impl PhraseSet {
    /// Build from the embedded data plus the shop's own phrases.
    pub(crate) fn build(shop: &[(Cat, Option<Lang>, String)]) -> PhraseSet {
        let hant = hant_table();
        let folder = Folder::new(&hant);
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut entries: Vec<Vec<Entry>> = Vec::new();
        let mut suggestions: HashMap<Lang, HashMap<String, String>> = HashMap::new();
        // Patterns are folded the way replies are (simplified script, ASCII
        // width), so one simplified phrase serves both scripts.
        let mut add = |phrase: &str, entry: Entry| {
            let key = folder.fold_phrase(phrase).to_lowercase();
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
                        suggestions.entry(lang).or_default().insert(rule, phrase);
                    }
                    continue;
                }
                let prefix = phrase.ends_with('*');
                let p = phrase.trim_end_matches('*');
                let cancels = if cat == Cat::Cancel {
                    let c = tag.as_deref().and_then(Cat::parse);
                    assert!(c.is_some(), "[cancel] {phrase} needs a section tag");
                    c
                } else {
                    None
                };
                let entry = Entry {
                    cat,
                    lang: Some(lang),
                    tag,
                    prefix,
                    cancels,
                };
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
                        cancels: None,
                    },
                );
            }
        }
        let edges = word_edges(&patterns);
        let (latin_for, latin_all, han) = automata(&patterns, &entries);
        let required = shop_required(&entries);
        PhraseSet {
            latin_for,
            latin_all,
            han,
            patterns,
            entries,
            edges,
            required,
            suggestions,
            hant,
            folder,
        }
    }

    /// Does `text` hold Han characters, and its folded form when folding
    /// changes it (see [`crate::norm`]).
    pub(crate) fn normalise(&self, text: &str) -> (bool, Option<Norm>) {
        let (cjk, maybe) = self.folder.scan(text);
        if !maybe {
            return (cjk, None);
        }
        let norm = self.folder.fold(text);
        let cjk = cjk || text.chars().any(is_cjk);
        (cjk, norm)
    }

    /// The shop's required phrases (entries tagged with the phrase itself).
    /// Is `text` written in traditional characters (more traditional-only
    /// than simplified-only characters of the table)?
    pub(crate) fn is_hant(&self, text: &str) -> bool {
        self.folder.hant_score(text) > 0
    }

    /// `text` in traditional characters.
    pub(crate) fn to_hant(&self, text: &str) -> String {
        text.chars()
            .map(|c| *self.hant.get(&c).unwrap_or(&c))
            .collect()
    }

    /// The suggested rewrite for `rule` in `lang`, if the data has one.
    pub(crate) fn suggestion(&self, lang: Lang, rule: &str) -> Option<String> {
        self.suggestions
            .get(&lang)
            .and_then(|m| m.get(rule))
            .cloned()
    }

    /// Build every automaton now rather than on first use (for timing).
    pub(crate) fn build_all(&self) {
        for a in self.latin_for.iter().chain([&self.latin_all, &self.han]) {
            a.dfa(&self.patterns);
        }
    }

    pub(crate) fn required(&self) -> &[(Option<Lang>, String)] {
        &self.required
    }

    /// Call `f(entry index, start, end)` for every phrase occurrence.
    #[inline]
    fn each_match(
        &self,
        text: &str,
        has_cjk: bool,
        lang: Option<Lang>,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let latin = match lang {
            Some(Lang::Zh) => &self.latin_for[0],
            Some(l) => &self.latin_for[l.index() - 1],
            None => &self.latin_all,
        };
        latin.each_match(&self.patterns, text, &mut f);
        if has_cjk {
            self.han.each_match(&self.patterns, text, &mut f);
        }
    }

    /// Every phrase occurrence in `text`, with word boundaries enforced for
    /// Latin-script phrases (so "pin" does not fire inside "shipping"),
    /// sorted by (start, end).
    /// `has_cjk` says whether the text holds any Han character; with `lang`
    /// given, only the phrases active in a reply of that language are
    /// looked for (the caller still filters the hits by language).
    pub(crate) fn find<'p>(
        &'p self,
        text: &str,
        has_cjk: bool,
        lang: Option<Lang>,
    ) -> Vec<Hit<'p>> {
        let mut hits: Vec<Hit<'p>> = Vec::with_capacity(32);
        let mut any_cancel = false;
        self.each_match(text, has_cjk, lang, |pid, s, e| {
            let (first_word, last_word) = self.edges[pid];
            if first_word && char_before(text, s).is_some_and(is_word_char) {
                return;
            }
            let right_bounded = last_word && char_at(text, e).is_some_and(is_word_char);
            for en in &self.entries[pid] {
                if right_bounded && !en.prefix {
                    continue;
                }
                any_cancel |= en.cancels.is_some();
                hits.push(Hit {
                    start: s,
                    end: e,
                    cat: en.cat,
                    lang: en.lang,
                    tag: en.tag.as_deref(),
                    cancels: en.cancels,
                });
            }
        });
        // A cancel phrase ("别担心", "send you") removes the hits of its tagged
        // category that it overlaps: the word is there, the act is not. A hit
        // with exactly the cancel's span survives, so "退货退款" can cancel its
        // parts and still count as one option itself.
        if any_cancel {
            let cancels: Vec<(usize, usize, Cat)> = hits
                .iter()
                .filter_map(|h| h.cancels.map(|c| (h.start, h.end, c)))
                .collect();
            hits.retain(|h| {
                h.cat != Cat::Cancel
                    && !cancels.iter().any(|&(s, e, c)| {
                        c == h.cat && h.start < e && s < h.end && (h.start, h.end) != (s, e)
                    })
            });
        }
        hits.sort_by_key(|h| (h.start, h.end));
        hits
    }
}
