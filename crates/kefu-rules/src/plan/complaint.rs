//! Is a buyer's message a complaint? OPTIONS-3 ("offer three or more solutions to a
//! problem") applies to a reply in a conversation whose buyer reported a problem.
//!
//! A complaint here is a message that reports something wrong with an order (broken, wrong,
//! missing, late, not working) or asks for the money back; a question before a purchase
//! ("do you ship to Germany?", "有现货吗？") or thanks are not. The lexicon
//! (`data/complaint.txt`) holds such words in Chinese, English, German, French and Spanish,
//! with phrases taken out before matching ("no problem", "没有问题"); matching folds case,
//! full-width forms and the spaces inside Chinese text, and Latin phrases match whole words,
//! as for PDD-NO-ABUSE ([`super::abuse`]). The labelled set in the tests keeps it honest.
//!
//! It leans towards recall: a false complaint costs an agent one OPTIONS-3 warning, a missed
//! one lets a one-option answer to a problem through.

use std::sync::OnceLock;

use super::abuse::{fold, holds};

const LEXICON: &str = include_str!("../../data/complaint.txt");

/// The lexicon: (phrases taken out first, complaint phrases), folded.
fn lexicon() -> &'static (Vec<String>, Vec<String>) {
    static LEXICON_FOLDED: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    LEXICON_FOLDED.get_or_init(|| {
        let mut not = Vec::new();
        let mut complaint = Vec::new();
        for line in LEXICON.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.strip_prefix('!') {
                Some(p) => not.push(fold(p).trim().to_string()),
                None => complaint.push(fold(line).trim().to_string()),
            }
        }
        (not, complaint)
    })
}

/// Whether the buyer's message `text` is a complaint (see the module).
pub fn is_complaint(text: &str) -> bool {
    let (not, complaint) = lexicon();
    let mut folded = fold(text);
    for p in not {
        // Taken out whole words at a time in Latin text, as a substring in Chinese.
        let (from, to) = if p.chars().all(|c| c.is_ascii() || c == ' ') {
            (format!(" {p} "), " ".to_string())
        } else {
            (p.clone(), " ".to_string())
        };
        folded = folded.replace(&from, &to);
    }
    complaint.iter().any(|p| holds(&folded, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buyers reporting a problem or asking for their money back.
    const COMPLAINTS: &[&str] = &[
        "收到的杯子碎了，怎么办？",
        "衣服有质量问题，线头很多",
        "你们发错颜色了，我要的是蓝色",
        "少发了一个配件",
        "快一个星期了还没收到货",
        "物流三天没动了，怎么回事？",
        "这个充电器用不了",
        "质量太差了，我要投诉",
        "我要退款",
        "再不处理我就给差评",
        "手机 坏 了",
        "The mug arrived broken.",
        "The item is damaged, the box was crushed",
        "You sent me the wrong size",
        "My parcel never arrived",
        "I haven't received my order yet, it's been three weeks",
        "The charger doesn't work",
        "I want a refund now",
        "Very disappointed with this purchase",
        "There is a problem with my order",
        "THE SCREEN IS CRACKED",
        "Das Paket ist nicht angekommen",
        "Der Artikel ist kaputt",
        "Le produit est arrivé cassé",
        "El producto no funciona",
    ];

    /// Questions before or about a purchase, thanks, and "no problem": not complaints.
    const NOT_COMPLAINTS: &[&str] = &[
        "请问这个有蓝色的吗？",
        "什么时候发货？",
        "有现货吗？",
        "谢谢，收到了，很好用",
        "没问题，谢谢",
        "好的，没有问题",
        "我有问题想问一下尺码",
        "可以开发票吗",
        "Do you ship to Germany?",
        "Is this available in blue?",
        "Thanks, got it, everything is fine!",
        "No problem, thank you",
        "Can I change my delivery address?",
        "Does it work with an iPhone 15?",
        "Is the item new or refurbished?",
        "Wann wird die Bestellung versendet?",
        "¿Tienen esta talla?",
        "Merci, tout est parfait",
    ];

    #[test]
    fn complaints_are_told_apart_from_questions_and_thanks() {
        for m in COMPLAINTS {
            assert!(is_complaint(m), "missed a complaint: {m}");
        }
        for m in NOT_COMPLAINTS {
            assert!(!is_complaint(m), "not a complaint: {m}");
        }
    }
}
