//! Block rules: PRIV-NO-SECRETS, PRIV-NO-ID-PHOTO and the abuse half of
//! SCRIPT-NO-EMOTION.
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

use crate::guard::{Doc, Finding, Severity, finding};
use crate::phrases::Cat;

const SECRETS_MSG: &str = "Asks the buyer for a password, PIN, payment or SMS verification code, or account login. Never ask a buyer for these (PRIV-NO-SECRETS).";
const ID_MSG: &str = "Asks the buyer for an identity document (ID card, passport, driving licence) or its number or photo. Ask for the order number or a photo of the item instead (PRIV-NO-ID-PHOTO).";
const ABUSE_MSG: &str = "Insults or abuses the buyer (SCRIPT-NO-EMOTION).";
const EMOTION_MSG: &str = "Expresses the agent's own irritation or uses disparaging words; keep replies neutral and polite (SCRIPT-NO-EMOTION).";

pub(crate) fn check(doc: &Doc, out: &mut Vec<Finding>) {
    let privacy = doc.any(Cat::Request) && (doc.any(Cat::Secret) || doc.any(Cat::IdDoc));
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
    for (cat, rule, msg) in [
        (Cat::Secret, "PRIV-NO-SECRETS", SECRETS_MSG),
        (Cat::IdDoc, "PRIV-NO-ID-PHOTO", ID_MSG),
    ] {
        let earlier = doc.hits_in(cat, ps, start).any(|o| !doc.negated(o.start));
        let reported = out.iter().any(|f| f.rule == rule && f.start == ps);
        if earlier && !reported && !doc.has(cat, start, end) {
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

fn privacy_sentence(doc: &Doc, (start, end): (usize, usize), out: &mut Vec<Finding>) {
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
    for (cat, rule, msg) in [
        (Cat::Secret, "PRIV-NO-SECRETS", SECRETS_MSG),
        (Cat::IdDoc, "PRIV-NO-ID-PHOTO", ID_MSG),
    ] {
        if doc.hits_in(cat, start, end).any(|o| object_live(o.start)) {
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
    const RULE: &str = "SCRIPT-NO-EMOTION";
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
