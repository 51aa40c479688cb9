//! PDD-NO-ABUSE: a buyer's message with insults or threats is flagged for a supervisor.
//!
//! An unhappy buyer is not an abusive one: "this is terrible, I want my money back" and
//! "你们太差劲了" are complaints the desk answers, not abuse. Only words that attack a person
//! (insults, slurs, threats of harm) raise the flag. The lexicon (`data/abuse.txt`, one
//! phrase per line, `#` comments) holds such words in Chinese, English, German, Spanish and
//! French; the labelled set in this module's tests keeps it from drifting into complaints.
//!
//! Matching is `kefu_core::lexicon`'s: it folds case and full-width forms and drops spaces and
//! punctuation inside CJK text ("傻 逼" is "傻逼"); Latin phrases must stand as whole words
//! ("idiot" does not match "idiotproof"), so a word inside another word does not flag.

use std::sync::OnceLock;

use kefu_core::lexicon::Lexicon;

use crate::catalog::ids;

/// The rule this check enforces.
pub const RULE: &str = ids::PDD_NO_ABUSE;

const LEXICON: &str = include_str!("../../data/abuse.txt");

fn lexicon() -> &'static Lexicon {
    static LEXICON_PARSED: OnceLock<Lexicon> = OnceLock::new();
    LEXICON_PARSED.get_or_init(|| Lexicon::parse(LEXICON))
}

/// The lexicon phrase `text` contains, if any: the reason a supervisor is shown.
pub fn abusive_phrase(text: &str) -> Option<&'static str> {
    kefu_core::enforces!(
        ids::PDD_NO_ABUSE,
        when_cited,
        test = "kefu-rules::plan::tests::pinduoduo_flags_an_abusive_buyer_for_a_supervisor"
    );
    lexicon().find(text).map(|p| p.text.as_str())
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
}
