//! A complaint as a sparse weighted vector: its concepts (the lexicon), its words (segmented
//! with jieba for Chinese, whole words for the Latin scripts), and the order's facts (courier,
//! SKU, region) when the desk knows them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use jieba_rs::Jieba;

use crate::lexicon::{fold, is_cjk, is_word_char, lexicon};

/// A feature's id: concepts are their index in the lexicon; words and facts are hashed above
/// them.
pub type Feature = u64;

/// How much one word says, beside a concept: near-duplicate wording brings complaints
/// together, and a shared common word alone does not.
pub(crate) const WORD_WEIGHT: f32 = 0.25;
/// How much a shared courier, SKU or region says.
const FACT_WEIGHT: f32 = 1.0;

/// Words too common in complaints to say anything about their cause.
const STOP_WORDS: &[&str] = &[
    "this",
    "that",
    "with",
    "have",
    "from",
    "your",
    "they",
    "been",
    "when",
    "what",
    "there",
    "just",
    "still",
    "would",
    "could",
    "please",
    "order",
    "hello",
    "thanks",
    "dass",
    "nicht",
    "habe",
    "eine",
    "einen",
    "meine",
    "mein",
    "bitte",
    "noch",
    "aber",
    "pour",
    "avec",
    "dans",
    "mais",
    "votre",
    "commande",
    "bonjour",
    "merci",
    "pero",
    "para",
    "como",
    "este",
    "esta",
    "pedido",
    "hola",
    "gracias",
    "favor",
    "订单",
    "你们",
    "我们",
    "什么",
    "怎么",
    "这个",
    "一个",
    "已经",
    "还是",
    "就是",
    "可以",
    "没有",
    "为什么",
    "一下",
    "麻烦",
];

/// The facts of the order a complaint is about, when known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    pub courier: Option<&'a str>,
    pub sku: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The region a delivery postcode names, for clustering: its first two characters, which in
/// most postcode systems are the broad area (a Chinese province or city block, a German
/// Leitregion, a French département, a Spanish province, a group of US states). `None` for a
/// postcode too short to say.
pub fn region_of_postcode(postcode: &str) -> Option<String> {
    let code: String = postcode
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() >= 3).then(|| code[..2].to_string())
}

/// A complaint's features, sorted by id, with its concepts apart (the cause an incident shows).
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub weights: Vec<(Feature, f32)>,
    pub concepts: Vec<usize>,
}

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn hashed(kind: &str, value: &str) -> Feature {
    let mut h = DefaultHasher::new();
    (kind, value).hash(&mut h);
    // Well above any concept's index.
    h.finish() | (1 << 63)
}

/// The features of one complaint.
pub fn features(text: &str, facts: Facts<'_>) -> Features {
    let lex = lexicon();
    let folded = fold(text);
    let concepts = lex.concepts_in(&folded);
    let mut weights: Vec<(Feature, f32)> = concepts
        .iter()
        .map(|&c| (c as Feature, lex.concepts[c].weight))
        .collect();
    for word in words(&folded) {
        weights.push((hashed("w", &word), WORD_WEIGHT));
    }
    for (kind, value) in [
        ("courier", facts.courier),
        ("sku", facts.sku),
        ("region", facts.region),
    ] {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            weights.push((hashed(kind, &v.to_lowercase()), FACT_WEIGHT));
        }
    }
    weights.sort_by_key(|w| w.0);
    weights.dedup_by_key(|w| w.0);
    Features { weights, concepts }
}

/// The words that say something: Chinese words of two characters or more, Latin words of four
/// letters or more, none with a digit (order and tracking numbers differ buyer to buyer).
fn words(folded: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        if run.chars().next().is_some_and(is_cjk) {
            for w in jieba().cut(run, false) {
                if w.word.chars().count() >= 2 && !STOP_WORDS.contains(&w.word) {
                    out.push(w.word.to_string());
                }
            }
        } else if run.chars().count() >= 4
            && !run.chars().any(|c| c.is_ascii_digit())
            && !STOP_WORDS.contains(&run.as_str())
        {
            out.push(run.clone());
        }
        run.clear();
    };
    let mut cjk_run = false;
    for c in folded.chars() {
        let cjk = is_cjk(c);
        if !(cjk || is_word_char(c)) || (cjk != cjk_run && !run.is_empty()) {
            flush(&mut run, &mut out);
        }
        if cjk || is_word_char(c) {
            run.push(c);
            cjk_run = cjk;
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_segmented_and_numbers_are_left_out() {
        let w = words(&fold("快递三天没动了 tracking LX123456789CN parcel"));
        assert!(w.iter().any(|w| w == "快递"), "{w:?}");
        assert!(w.iter().any(|w| w == "parcel"), "{w:?}");
        assert!(!w.iter().any(|w| w.contains("123")), "{w:?}");
    }
}
