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

use aho_corasick::{AhoCorasick, MatchKind};

use super::abuse::{fold, is_cjk};

const LEXICON: &str = include_str!("../../data/complaint.txt");

/// The lexicon compiled once: every phrase (taken-out ones and complaint ones) in one
/// automaton, so a message is read once whatever the lexicon's size (it runs on every buyer
/// message, twice: for the first-contact and the follow-up plan).
struct Lexicon {
    automaton: AhoCorasick,
    /// Per pattern: a phrase taken out ("no problem"), and whether it is Chinese (matched
    /// as a substring; Latin phrases match whole words).
    taken_out: Vec<bool>,
    cjk: Vec<bool>,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON_COMPILED: OnceLock<Lexicon> = OnceLock::new();
    LEXICON_COMPILED.get_or_init(|| {
        let (mut phrases, mut taken_out) = (Vec::new(), Vec::new());
        for line in LEXICON.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (out, phrase) = match line.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, line),
            };
            let folded = fold(phrase).trim().to_string();
            if !folded.is_empty() {
                phrases.push(folded);
                taken_out.push(out);
            }
        }
        let cjk = phrases.iter().map(|p| p.chars().any(is_cjk)).collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .expect("the complaint lexicon compiles");
        Lexicon {
            automaton,
            taken_out,
            cjk,
        }
    })
}

/// A Latin phrase stands as whole words: a space, a CJK character or the text's end on either
/// side ("打12315" is a word after a Chinese one); the folded text is padded with spaces.
pub(super) fn whole_word(folded: &str, start: usize, end: usize) -> bool {
    let boundary = |c: Option<char>| c.is_none_or(|c| c == ' ' || is_cjk(c));
    boundary(folded[..start].chars().next_back()) && boundary(folded[end..].chars().next())
}

/// Whether the buyer's message `text` is a complaint (see the module): a complaint phrase
/// that is not inside a phrase taken out ("没有问题" holds "有问题").
pub fn is_complaint(text: &str) -> bool {
    let lex = lexicon();
    let folded = fold(text);
    let found: Vec<(usize, usize, usize)> = lex
        .automaton
        .find_overlapping_iter(&folded)
        .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
        .filter(|&(p, s, e)| lex.cjk[p] || whole_word(&folded, s, e))
        .collect();
    let out: Vec<(usize, usize)> = found
        .iter()
        .filter(|&&(p, _, _)| lex.taken_out[p])
        .map(|&(_, s, e)| (s, e))
        .collect();
    found
        .iter()
        .any(|&(p, s, e)| !lex.taken_out[p] && !out.iter().any(|&(os, oe)| s < oe && os < e))
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
        "物流一直不更新，三天了",
        "到现在还没收到货，什么情况",
        "收到的杯子是坏了的",
        "你们发错货了",
        "我要打12315",
        "扣了两次钱，怎么回事",
        "客服态度太差了",
        "太失望了",
        "这是假货吧，我要申请平台介入",
        "It never arrived and I want my money back",
        "This is unacceptable, I will leave negative feedback",
        "Worst purchase ever",
        "You charged me twice!",
        "This is a fake, not as described",
        "I am very disappointed with your service",
        "I want to file a complaint",
        "Das Paket ist nie angekommen",
        "Die Tasse ist kaputt angekommen",
        "Das ist eine Frechheit",
        "Ich werde mich bei eBay beschweren",
        "Colis jamais reçu",
        "C'est inadmissible",
        "Je vais déposer une réclamation",
        "Nunca llegó mi pedido",
        "El producto llegó roto",
        "Es una vergüenza",
        "Quiero poner una queja",
        "ＦＡＫＥ product",
        // A parcel that stopped moving.
        "快递卡在转运中心好几天了",
        "物流三天没有更新",
        "包裹一直没动静",
        "The parcel is stuck in transit",
        "Tracking has not updated in a week",
        "Die Sendung hängt fest",
        "Colis bloqué depuis une semaine",
        "El paquete está atascado",
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
        "亲，我的订单什么时候发货呀？",
        "在吗？",
        "我的快递到哪了？",
        "谢谢，收到了，很满意",
        "请问有没有红色的",
        "能便宜一点吗",
        "Where is my parcel?",
        "Can you send me an invoice please?",
        "Thanks, it arrived today, great quality",
        "Do you ship to Canada?",
        "Is this item waterproof?",
        "Could I change the colour to blue?",
        "Wo ist mein Paket?",
        "Vielen Dank, alles bestens",
        "Où est mon colis ?",
        "Merci beaucoup, très satisfait",
        "¿Dónde está mi pedido?",
        "Gracias, todo perfecto",
        "The box says unbreakable, is that right?",
        "物流更新了吗？",
        "Has the tracking been updated yet?",
    ];

    #[test]
    fn complaints_are_told_apart_from_questions_and_thanks() {
        let mut wrong: Vec<String> = COMPLAINTS
            .iter()
            .filter(|m| !is_complaint(m))
            .map(|m| format!("missed a complaint: {m}"))
            .collect();
        wrong.extend(
            NOT_COMPLAINTS
                .iter()
                .filter(|m| is_complaint(m))
                .map(|m| format!("not a complaint: {m}")),
        );
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
