//! Is a buyer's message a complaint? KPI-REPEAT-5 counts complaints (an agent's mark counts
//! too; see `figures`), and COMPLAINT-FLOW routes a complaint by its cause.
//!
//! A complaint says the buyer is dissatisfied or means to escalate: "质量太差了，我要投诉",
//! "Worst purchase ever", "C'est inadmissible". A question ("我的快递到哪了？", "where is my
//! parcel?") or a plain request ("please send an invoice") is not one. The lexicon
//! (`data/complaint.txt`) holds phrases in Chinese, English, German, French and Spanish,
//! grouped by cause; the labelled set in the tests keeps it honest.

use std::sync::OnceLock;

use kefu_core::lexicon::Lexicon;
use serde::Serialize;

const LEXICON: &str = include_str!("../data/complaint.txt");

fn lexicon() -> &'static Lexicon {
    static LEXICON_PARSED: OnceLock<Lexicon> = OnceLock::new();
    LEXICON_PARSED.get_or_init(|| Lexicon::parse(LEXICON))
}

/// Why a message is a complaint: the phrase found and the cause it names (`escalation`,
/// `logistics`, `quality`, `billing`, `service`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintHit {
    pub phrase: String,
    pub cause: String,
}

/// The complaint in `text`, if it is one. When several causes are named, a concrete one
/// (logistics, quality, billing) wins over the bare wish to escalate or an unhappy word, so
/// that "物流三天没动，我要投诉" is a logistics complaint.
pub fn complaint(text: &str) -> Option<ComplaintHit> {
    let found = lexicon().find_all(text);
    let concrete = |c: &str| matches!(c, "logistics" | "quality" | "billing");
    let best = found
        .iter()
        .find(|p| p.section.as_deref().is_some_and(concrete))
        .or_else(|| found.first())?;
    Some(ComplaintHit {
        phrase: best.text.clone(),
        cause: best.section.clone().unwrap_or_else(|| "general".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Complaints in five languages, with the cause each names.
    const COMPLAINTS: &[(&str, &str)] = &[
        ("质量太差了，我要投诉", "quality"),
        ("物流一直不更新，三天了", "logistics"),
        ("快递三天没动了", "logistics"),
        ("到现在还没收到货，什么情况", "logistics"),
        ("收到的杯子是坏了的", "quality"),
        ("你们发错货了", "quality"),
        ("再不处理我就给差评", "escalation"),
        ("我要打12315", "escalation"),
        ("扣了两次钱，怎么回事", "billing"),
        ("客服态度太差了", "service"),
        ("太失望了", "service"),
        ("这是假货吧，我要申请平台介入", "quality"),
        ("The item arrived broken", "quality"),
        ("It never arrived and I want my money back", "logistics"),
        (
            "I still haven't received my order after three weeks",
            "logistics",
        ),
        (
            "This is unacceptable, I will leave negative feedback",
            "escalation",
        ),
        ("Worst purchase ever", "service"),
        ("You charged me twice!", "billing"),
        ("This is a fake, not as described", "quality"),
        ("I am very disappointed with your service", "service"),
        ("I want to file a complaint", "escalation"),
        ("Das Paket ist nie angekommen", "logistics"),
        ("Die Tasse ist kaputt angekommen", "quality"),
        ("Das ist eine Frechheit", "service"),
        ("Ich werde mich bei eBay beschweren", "escalation"),
        ("Colis jamais reçu", "logistics"),
        ("Le produit est arrivé cassé", "quality"),
        ("C'est inadmissible", "service"),
        ("Je vais déposer une réclamation", "escalation"),
        ("Nunca llegó mi pedido", "logistics"),
        ("El producto llegó roto", "quality"),
        ("Es una vergüenza", "service"),
        ("Quiero poner una queja", "escalation"),
        ("ＦＡＫＥ product", "quality"),
    ];

    /// Questions, requests and thanks: none is a complaint.
    const NOT_COMPLAINTS: &[&str] = &[
        "亲，我的订单什么时候发货呀？",
        "在吗？",
        "我的快递到哪了？",
        "可以开发票吗",
        "谢谢，收到了，很满意",
        "没有问题，谢谢",
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
    ];

    #[test]
    fn the_labelled_set_is_classified_with_its_cause() {
        let mut wrong = Vec::new();
        for (text, cause) in COMPLAINTS {
            match complaint(text) {
                Some(hit) if hit.cause == *cause => {}
                other => wrong.push(format!("{text:?}: expected {cause}, got {other:?}")),
            }
        }
        for text in NOT_COMPLAINTS {
            if let Some(hit) = complaint(text) {
                wrong.push(format!("{text:?}: not a complaint, got {hit:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
