//! The concept lexicon (`data/concepts.txt`): phrases in five languages mapped to what a
//! complaint is about, matched in one pass of an Aho-Corasick automaton over folded text, then
//! masked, combined (`gives`) and hidden (`hides`) as the file's header describes.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

const SOURCE: &str = include_str!("../data/concepts.txt");

/// One concept: its name (shown as an incident's cause) and its weight in the features.
#[derive(Debug, Clone)]
pub struct Concept {
    pub name: String,
    pub weight: f32,
}

pub(crate) struct Lexicon {
    pub concepts: Vec<Concept>,
    automaton: AhoCorasick,
    /// Per pattern: the concepts it names, whether it is Chinese (matched anywhere) and
    /// whether it matches any word it begins (`*`).
    patterns: Vec<Pattern>,
    /// Per concept: the concepts it hides when present.
    hides: Vec<Vec<usize>>,
    /// `A + B gives C`: two aspects named together make a cause neither names alone.
    gives: Vec<([usize; 2], usize)>,
}

struct Pattern {
    concepts: Vec<usize>,
    cjk: bool,
    prefix: bool,
    /// Whether it masks the shorter phrases inside it (`!`, and every `NONE` phrase).
    masks: bool,
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A letter of a Latin-script word (an apostrophe belongs to the word: "hasn't").
pub(crate) fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && !is_cjk(c)) || c == '\''
}

/// Lower case, full-width forms to ASCII, Latin accents dropped ("beschädigt" → "beschadigt",
/// "reçu" → "recu"), typographic apostrophes to `'`, and everything else that is not a letter
/// or a digit to one space. Traditional Chinese characters become simplified ones (`hanzi.rs`),
/// the script the lexicon is written in.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{2019}' | '\u{2018}' | '`' => '\'',
            c if is_cjk(c) => crate::hanzi::simplified(c),
            _ => c,
        };
        if c.is_alphanumeric() || c == '\'' {
            for l in c.to_lowercase() {
                match unaccent(l) {
                    Some(plain) => out.push_str(plain),
                    None => out.push(l),
                }
            }
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn unaccent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'ç' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'œ' => "oe",
        'æ' => "ae",
        _ => return None,
    })
}

fn add_phrases(phrases: &mut HashMap<String, Vec<usize>>, list: &str, id: usize) {
    for phrase in list.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        let entry = phrases.entry(phrase.to_string()).or_default();
        if !entry.contains(&id) {
            entry.push(id);
        }
    }
}

pub(crate) fn lexicon() -> &'static Lexicon {
    static COMPILED: OnceLock<Lexicon> = OnceLock::new();
    COMPILED.get_or_init(|| Lexicon::parse(SOURCE).expect("data/concepts.txt is well formed"))
}

impl Lexicon {
    fn parse(source: &str) -> Result<Lexicon, String> {
        let mut concepts: Vec<Concept> = Vec::new();
        let mut phrases: HashMap<String, Vec<usize>> = HashMap::new();
        let mut hide_lines = Vec::new();
        let mut give_lines = Vec::new();
        for line in source.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(list) = line.strip_prefix('|') {
                // A concept's phrases go on over the lines that begin with `|`.
                let id = concepts
                    .len()
                    .checked_sub(1)
                    .ok_or_else(|| format!("phrases before any concept: {line:?}"))?;
                add_phrases(&mut phrases, list, id);
            } else if let Some((head, list)) = line.split_once(':') {
                let (name, weight) = head
                    .trim()
                    .split_once(' ')
                    .ok_or_else(|| format!("no weight in {head:?}"))?;
                let weight: f32 = weight
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad weight in {head:?}"))?;
                let id = concepts.len();
                concepts.push(Concept {
                    name: name.to_string(),
                    weight,
                });
                add_phrases(&mut phrases, list, id);
            } else if let Some((name, hidden)) = line.split_once(" hides ") {
                hide_lines.push((name.trim().to_string(), hidden.to_string()));
            } else if let Some((pair, made)) = line.split_once(" gives ") {
                give_lines.push((pair.to_string(), made.trim().to_string()));
            } else {
                return Err(format!("cannot read {line:?}"));
            }
        }
        let find = |name: &str| {
            concepts
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| format!("unknown concept {name}"))
        };
        let mut hides = vec![Vec::new(); concepts.len()];
        for (name, hidden) in &hide_lines {
            let id = find(name)?;
            for other in hidden.split_whitespace() {
                hides[id].push(find(other)?);
            }
        }
        let mut gives = Vec::new();
        for (pair, made) in &give_lines {
            let (a, b) = pair
                .split_once('+')
                .ok_or_else(|| format!("no `A + B` in {pair:?}"))?;
            gives.push(([find(a.trim())?, find(b.trim())?], find(made)?));
        }
        let none = concepts.iter().position(|c| c.name == "NONE");
        let mut keys: Vec<String> = Vec::new();
        let mut patterns = Vec::new();
        let mut sorted: Vec<_> = phrases.into_iter().collect();
        sorted.sort();
        for (phrase, ids) in sorted {
            let prefix = phrase.ends_with('*');
            let text = phrase
                .trim_start_matches('!')
                .trim_end_matches('*')
                .to_string();
            patterns.push(Pattern {
                masks: phrase.starts_with('!') || ids.iter().any(|&c| Some(c) == none),
                concepts: ids,
                cjk: text.chars().any(is_cjk),
                prefix,
            });
            keys.push(text);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&keys)
            .map_err(|e| e.to_string())?;
        Ok(Lexicon {
            concepts,
            automaton,
            patterns,
            hides,
            gives,
        })
    }

    /// The concepts a folded text names: its phrases, less those inside a longer masking
    /// phrase ("小时" is an hour, not "小"), then the `gives` lines, then the `hides`
    /// lines. Marker concepts (weight 0, such as a bare "two") only feed `gives` and are left
    /// out of the result.
    pub(crate) fn concepts_in(&self, folded: &str) -> Vec<usize> {
        let mut found = vec![false; self.concepts.len()];
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        let mut masks: Vec<(usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(folded) {
            let p = &self.patterns[m.pattern().as_usize()];
            if !p.cjk {
                let before = folded[..m.start()].chars().next_back();
                let after = folded[m.end()..].chars().next();
                if before.is_some_and(is_word_char)
                    || (!p.prefix && after.is_some_and(is_word_char))
                {
                    continue;
                }
            }
            if p.masks {
                masks.push((m.start(), m.end()));
            }
            hits.push((m.start(), m.end(), m.pattern().as_usize()));
        }
        for (start, end, pattern) in hits {
            let masked = masks
                .iter()
                .any(|&(s, e)| s <= start && end <= e && e - s > end - start);
            if !masked {
                self.mark(&mut found, pattern);
            }
        }
        // Hidden before (a parcel never received was not "sent" another thing) and after (a
        // wrong item made by `gives` hides its delivery).
        self.hide(&mut found);
        for &([a, b], made) in &self.gives {
            if found[a] && found[b] {
                found[made] = true;
            }
        }
        self.hide(&mut found);
        (0..found.len())
            .filter(|&c| found[c] && self.concepts[c].weight > 0.0)
            .collect()
    }

    /// Drops what the present concepts hide. A hidden concept hides nothing: "说好的7天送达"
    /// is a promised delivery (PROMISED hides DELIVERED), so the late parcel it speaks of is
    /// not hidden by DELIVERED. Settled in a few rounds (cycles are cut short).
    fn hide(&self, found: &mut [bool]) {
        let present = found.to_vec();
        let mut hidden = vec![false; found.len()];
        for _ in 0..4 {
            let mut next = vec![false; found.len()];
            for (c, hides) in self.hides.iter().enumerate() {
                if present[c] && !hidden[c] {
                    for &h in hides {
                        next[h] = true;
                    }
                }
            }
            if next == hidden {
                break;
            }
            hidden = next;
        }
        for (f, h) in found.iter_mut().zip(hidden) {
            *f &= !h;
        }
    }

    fn mark(&self, found: &mut [bool], pattern: usize) {
        for &c in &self.patterns[pattern].concepts {
            found[c] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_reads_and_matches_whole_latin_words() {
        let lex = lexicon();
        let names = |text: &str| -> Vec<String> {
            lex.concepts_in(&fold(text))
                .into_iter()
                .map(|c| lex.concepts[c].name.clone())
                .collect()
        };
        assert_eq!(names("The plates were fine"), Vec::<String>::new());
        assert!(names("My parcel is LATE").contains(&"STALLED".to_string()));
        assert!(names("Paket beschädigt").contains(&"DAMAGED".to_string()));
        // A delivery that shows done but did not happen is not a late parcel.
        let delivered = names("显示已签收，但是还没到，没收到");
        assert!(
            delivered.contains(&"DELIVERED".to_string()),
            "{delivered:?}"
        );
        assert!(!delivered.contains(&"STALLED".to_string()), "{delivered:?}");
    }

    #[test]
    fn aspects_named_together_give_a_cause_and_longer_words_mask_shorter_ones() {
        let lex = lexicon();
        let has = |text: &str, name: &str| {
            lex.concepts_in(&fold(text))
                .iter()
                .any(|&c| lex.concepts[c].name == name)
        };
        assert!(has("I ordered a lamp and you sent me a fan", "WRONG"));
        assert!(!has(
            "J'ai commandé une lampe, jamais reçu le colis",
            "WRONG"
        ));
        assert!(has("信用卡被扣了俩", "TWICE"));
        assert!(has("Customs want a fee before they hand it over", "TAX"));
        // "小时" is an hour, and a marker concept is never shown.
        assert!(has("续航不到一小时", "BATTERY"));
        assert!(!has("续航不到一小时", "SMALL"));
        assert!(!has("two parcels", "TWO"));
        // Traditional characters and common misspellings name the same concepts.
        assert!(has("電池充不進電", "BATTERY"));
        assert!(has("never recieved my pakage", "NOT_RECEIVED"));
        assert!(has("I want my refound", "REFUND"));
    }

    #[test]
    fn phrases_go_on_over_bar_lines_and_rules_must_name_concepts() {
        let lex = Lexicon::parse("A 1: 甲\n| alpha | beta*\nB 2:\n| 乙\nA + B gives A").unwrap();
        let names = |text: &str| lex.concepts_in(&fold(text));
        assert_eq!(names("betamax"), vec![0]);
        assert_eq!(names("乙"), vec![1]);
        assert!(Lexicon::parse("| alpha").is_err());
        assert!(Lexicon::parse("A 1: a\nA + C gives A").is_err());
    }

    #[test]
    fn folding_drops_accents_and_full_width_forms() {
        assert_eq!(fold("Reçu ÉCRASÉ！"), " recu ecrase ");
        assert_eq!(fold("ＡＢＣ hasn’t"), " abc hasn't ");
    }
}
