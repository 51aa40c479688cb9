//! PDD-NO-ABUSE: a buyer's message with insults or threats is flagged for a supervisor.
//!
//! An unhappy buyer is not an abusive one: "this is terrible, I want my money back" and
//! "你们太差劲了" are complaints the desk answers, not abuse. Only words that attack a person
//! (insults, slurs, threats of harm) raise the flag. The lexicon (`data/abuse.txt`, one
//! phrase per line, `#` comments) holds such words in Chinese, English, German, Spanish and
//! French; the labelled set in this module's tests keeps it from drifting into complaints.
//!
//! Matching folds case and full-width forms and drops spaces and punctuation inside CJK text
//! ("傻 逼" is "傻逼"); Latin phrases must stand as whole words ("idiot" does not match
//! "idiotproof"), so a word inside another word does not flag.

use std::sync::OnceLock;

use crate::catalog::ids;

/// The rule this check enforces.
pub const RULE: &str = ids::PDD_NO_ABUSE;

const LEXICON: &str = include_str!("../../data/abuse.txt");

/// The lexicon's phrases, folded.
fn phrases() -> &'static [String] {
    static PHRASES: OnceLock<Vec<String>> = OnceLock::new();
    PHRASES.get_or_init(|| {
        LEXICON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(fold)
            .collect()
    })
}

/// Lower case, full-width ASCII to half-width, CJK text without the spaces and punctuation
/// buyers put between characters; Latin words keep one space between them.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    // Drop the separators between CJK characters (and between CJK and others): Chinese has
    // no spaces, so a space there is padding a buyer used to dodge a filter.
    let chars: Vec<char> = out.chars().collect();
    let mut folded = String::with_capacity(out.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(is_cjk) || next.is_some_and(is_cjk) {
                continue;
            }
        }
        folded.push(c);
    }
    folded
}

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{AC00}'..='\u{D7AF}')
}

/// The lexicon phrase `text` contains, if any: the reason a supervisor is shown.
pub fn abusive_phrase(text: &str) -> Option<&'static str> {
    kefu_core::enforces!(
        ids::PDD_NO_ABUSE,
        when_cited,
        test = "kefu-rules::plan::tests::pinduoduo_flags_an_abusive_buyer_for_a_supervisor"
    );
    let folded = fold(text);
    phrases()
        .iter()
        .map(String::as_str)
        .find(|p| holds(&folded, p))
}

/// Whether `folded` text (see [`fold`]) holds the folded phrase `p`: as a substring in CJK
/// text, as whole words in Latin text.
pub(super) fn holds(folded: &str, p: &str) -> bool {
    let p = p.trim();
    if p.chars().any(is_cjk) {
        folded.contains(p)
    } else {
        // Whole words: a space or a CJK character on either side ("打12315" is a word after
        // a Chinese one); the folded text is padded with spaces.
        let boundary = |c: Option<char>| c.is_none_or(|c| c == ' ' || is_cjk(c));
        folded.match_indices(p).any(|(i, _)| {
            boundary(folded[..i].chars().next_back())
                && boundary(folded[i + p.len()..].chars().next())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Abusive messages (insults, threats) in five languages: each must flag.
    const ABUSIVE: &[&str] = &[
        "你们这群傻逼，什么垃圾客服",
        "傻 逼 卖家",
        "你是猪吗？听不懂人话",
        "再不退款我弄死你",
        "滚蛋吧你",
        "去死吧",
        "你妈的，骗子",
        "脑残客服",
        "You stupid idiot, where is my parcel?",
        "you are a moron",
        "F*** you and your shop. fuck you",
        "I will kill you if this doesn't arrive",
        "shut up, you worthless piece of shit",
        "Du Idiot, wo ist mein Paket?",
        "Arschloch!",
        "Eres un idiota",
        "vete a la mierda",
        "Espèce de connard",
        "ＩＤＩＯＴ",
    ];

    /// Unhappy but not abusive: complaints the desk answers without a supervisor.
    const ANGRY: &[&str] = &[
        "你们太差劲了，我要退款",
        "物流三天没动了，怎么回事？",
        "质量太差了，我要投诉",
        "再不处理我就给差评",
        "This is terrible service, I want a refund now",
        "I am very angry, the item is broken",
        "Worst purchase ever, I will report you to eBay",
        "This is ridiculous, three weeks and nothing",
        "Das ist eine Frechheit, ich will mein Geld zurück",
        "Es una vergüenza, quiero mi dinero",
        "C'est inadmissible, je veux être remboursé",
        "idiotproof packaging would have helped",
        "I killed time waiting for this parcel",
    ];

    /// PDD-NO-ABUSE on the labelled set: every abusive message flags, no merely angry one.
    #[test]
    fn abuse_is_told_apart_from_anger() {
        for m in ABUSIVE {
            assert!(abusive_phrase(m).is_some(), "not flagged: {m}");
        }
        for m in ANGRY {
            assert_eq!(abusive_phrase(m), None, "flagged a complaint: {m}");
        }
    }

    #[test]
    fn folding_joins_spaced_chinese_and_keeps_latin_words_apart() {
        assert_eq!(fold("傻 逼"), "傻逼");
        assert_eq!(fold("Du  IDIOT!"), " du idiot ");
    }
}
