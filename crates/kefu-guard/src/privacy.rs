//! Block rules: PRIV-NO-SECRETS, PRIV-NO-ID-PHOTO, PRIV-NO-CARD-NUMBER and
//! the abuse half of SCRIPT-NO-EMOTION.
//!
//! PRIV-NO-CARD-NUMBER's objects are a card number or card details ("卡号",
//! "card number", "Kartennummer"), and an expiry date when the sentence
//! also names a card ("有效期" alone may be a food's shelf life). Asking for
//! the last four digits is allowed: those phrases cancel the card hit.
//!
//! A privacy finding needs a *request* for a *protected object* in the same
//! sentence: "请拍一张身份证照片发给我" (拍 + 发给我 + 身份证) blocks, while
//! "请勿向任何人透露您的银行卡密码" names a password but requests nothing
//! from us, and "We will never ask for your PIN" has its request negated.
//! Negation is scoped to the clause; scam-warning frames ("如果有人向您索要
//! 验证码，那是骗子") excuse the whole sentence.
//!
//! A request in the next sentence that points back with an anaphor ("it",
//! "ihn", "收到后") takes the previous sentence's object. This is phrase
//! logic, not parsing: a request further away, or one that points back
//! without an anaphor from the lists, is not seen.

use kefu_rules::ids;

use crate::guard::{Doc, Finding, Severity, finding};
use crate::phrases::Cat;

const SECRETS_MSG: &str = "Asks the buyer for a password, PIN, payment or SMS verification code, or account login. Never ask a buyer for these (PRIV-NO-SECRETS).";
const ID_MSG: &str = "Asks the buyer for an identity document (ID card, passport, driving licence) or its number or photo. Ask for the order number or a photo of the item instead (PRIV-NO-ID-PHOTO).";
const CARD_MSG: &str = "Asks the buyer for a card number, its expiry date or card details. Payment happens on the platform only; never ask for card data (PRIV-NO-CARD-NUMBER).";
const ABUSE_MSG: &str = "Insults or abuses the buyer (SCRIPT-NO-EMOTION).";
const EMOTION_MSG: &str = "Expresses the agent's own irritation or uses disparaging words; keep replies neutral and polite (SCRIPT-NO-EMOTION).";

pub(crate) fn check(doc: &Doc, out: &mut Vec<Finding>) {
    let privacy = doc.any(Cat::Request)
        && (doc.any(Cat::Secret)
            || doc.any(Cat::IdDoc)
            || doc.any(Cat::Card)
            || doc.any(Cat::Expiry));
    let abuse = doc.any(Cat::Insult) || doc.any(Cat::InsultWord) || doc.any(Cat::Emotion);
    if !privacy && !abuse {
        return;
    }
    let mut prev: Option<(usize, usize)> = None;
    for s in &doc.split().sentences {
        let span = (s.start, s.end);
        if privacy {
            privacy_sentence(doc, span, out);
            if let Some(p) = prev {
                carried_request(doc, p, span, out);
            }
        }
        if abuse {
            abuse_sentence(doc, span, out);
        }
        prev = Some(span);
    }
}

/// A request that points back at the previous sentence's object: "You will
/// receive a code by SMS. Please forward it to me." / "…验证码。收到后请发给
/// 我。" The current sentence has a live request and an anaphor ("it", "ihn",
/// "收到后"…) but names no protected object itself; the previous sentence
/// names one outside a negation or a scam warning.
fn carried_request(
    doc: &Doc,
    (ps, _): (usize, usize),
    (start, end): (usize, usize),
    out: &mut Vec<Finding>,
) {
    if !doc.any(Cat::Anaphor) || doc.has(Cat::Frame, start, end) {
        return;
    }
    let anaphor = doc
        .hits_in(Cat::Anaphor, start, end)
        .any(|a| !doc.negated(a.start));
    let request = doc
        .hits_in(Cat::Request, start, end)
        .any(|r| !doc.negated(r.start));
    if !anaphor || !request || doc.has(Cat::Frame, ps, start) {
        return;
    }
    for (cat, rule, msg) in OBJECTS {
        let earlier = objects(doc, cat, ps, start)
            .into_iter()
            .any(|o| !doc.negated(o));
        let reported = out.iter().any(|f| f.rule == rule && f.start == ps);
        if earlier && !reported && objects(doc, cat, start, end).is_empty() {
            out.push(finding(
                rule,
                Severity::Block,
                (ps, end),
                msg,
                doc.suggestion(rule),
            ));
        }
    }
}

/// The protected objects of a rule: (category, rule, message).
const OBJECTS: [(Cat, &str, &str); 3] = [
    (Cat::Secret, ids::PRIV_NO_SECRETS, SECRETS_MSG),
    (Cat::IdDoc, ids::PRIV_NO_ID_PHOTO, ID_MSG),
    (Cat::Card, ids::PRIV_NO_CARD_NUMBER, CARD_MSG),
];

/// The starts of the objects of `cat` in `[start, end)`; for a card, an
/// expiry date counts too when the same span names a card.
fn objects(doc: &Doc, cat: Cat, start: usize, end: usize) -> Vec<usize> {
    let mut v: Vec<usize> = doc.hits_in(cat, start, end).map(|h| h.start).collect();
    if cat == Cat::Card && doc.has(Cat::CardWord, start, end) {
        v.extend(doc.hits_in(Cat::Expiry, start, end).map(|h| h.start));
    }
    v
}

fn privacy_sentence(doc: &Doc, (start, end): (usize, usize), out: &mut Vec<Finding>) {
    kefu_core::enforces!(ids::PRIV_NO_SECRETS, test = "kefu-guard::tests::must_block");
    kefu_core::enforces!(
        ids::PRIV_NO_ID_PHOTO,
        test = "kefu-guard::tests::must_block"
    );
    kefu_core::enforces!(
        ids::PRIV_NO_CARD_NUMBER,
        test = "kefu-guard::tests::platform_policies_block"
    );
    if doc.has(Cat::Frame, start, end) {
        return;
    }
    let live_request = doc
        .hits_in(Cat::Request, start, end)
        .any(|r| !doc.negated(r.start));
    if !live_request {
        return;
    }
    // An object is live when the request in its own clause is live; with no
    // request in its clause, when its clause carries no negation ("请发订单号，
    // 不要发密码" keeps the password out of the request).
    let object_live = |pos: usize| {
        let (cs, ce) = doc.clause_of(pos);
        let mut reqs = doc.hits_in(Cat::Request, cs, ce).peekable();
        if reqs.peek().is_some() {
            reqs.any(|r| !doc.negated(r.start))
        } else {
            !doc.negated(pos)
        }
    };
    for (cat, rule, msg) in OBJECTS {
        if objects(doc, cat, start, end).into_iter().any(object_live) {
            out.push(finding(
                rule,
                Severity::Block,
                (start, end),
                msg,
                doc.suggestion(rule),
            ));
        }
    }
}

fn abuse_sentence(doc: &Doc, (start, end): (usize, usize), out: &mut Vec<Finding>) {
    const RULE: &str = ids::SCRIPT_NO_EMOTION;
    kefu_core::enforces!(
        ids::SCRIPT_NO_EMOTION,
        test = "kefu-guard::corpus::corpus_quality"
    );
    let insult = doc.has(Cat::Insult, start, end);
    // A disparaging word ("垃圾", "stupid") is abuse when the sentence is
    // aimed at the buyer; about a courier or ourselves it is only a warning.
    let word = doc.has(Cat::InsultWord, start, end);
    let aimed = doc.has(Cat::SecondPerson, start, end) || doc.has(Cat::Ni, start, end);
    if insult || (word && aimed) {
        out.push(finding(
            RULE,
            Severity::Block,
            (start, end),
            ABUSE_MSG,
            doc.suggestion(RULE),
        ));
    } else if word || doc.has(Cat::Emotion, start, end) {
        out.push(finding(
            RULE,
            Severity::Warn,
            (start, end),
            EMOTION_MSG,
            doc.suggestion(RULE),
        ));
    }
}
