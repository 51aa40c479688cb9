//! Warn rules: EBAY-SUBSTANTIVE, LOST-NO-STALL, SCRIPT-EMPATHY,
//! SCRIPT-NO-ARGUE, SCRIPT-NO-BLAME, SCRIPT-QING-NIN, AE-CLEAR, OPTIONS-3.
//!
//! These are advice for the agent, never a reason to hold a reply back, so
//! they lean towards recall. "Substance" is judged by what is left once the
//! greetings, thanks and holding phrases are taken out, and by remedy words
//! (refund, reship, tracking…); they do not judge whether an answer is
//! *correct*, and they cannot tell that a reply answers a different question.

use kefu_rules::ids;

use crate::guard::{Category, Doc, Finding, Severity, finding};
use crate::phrases::{Cat, Lang};
use crate::text::content_units;

pub(crate) fn check(doc: &Doc, out: &mut Vec<Finding>) {
    substantive(doc, out);
    no_stall(doc, out);
    empathy(doc, out);
    // SCRIPT-NO-ARGUE and SCRIPT-NO-BLAME: one sentence-by-sentence check each.
    kefu_core::enforces!(
        ids::SCRIPT_NO_ARGUE,
        test = "kefu-guard::corpus::corpus_quality"
    );
    per_sentence(doc, Cat::Argue, ids::SCRIPT_NO_ARGUE, out);
    kefu_core::enforces!(
        ids::SCRIPT_NO_BLAME,
        test = "kefu-guard::corpus::corpus_quality"
    );
    per_sentence(doc, Cat::Blame, ids::SCRIPT_NO_BLAME, out);
    if doc.lang == Lang::Zh {
        qing_nin(doc, out);
    }
    clear(doc, out);
    options(doc, out);
}

/// The whole reply, without surrounding whitespace.
fn whole(doc: &Doc) -> (usize, usize) {
    let t = doc.text;
    let s = t.len() - t.trim_start().len();
    (s, s + t.trim().len())
}

/// Content left after removing the spans of the given categories; a Chinese
/// reply counts characters, others count words.
fn residual(doc: &Doc, cats: &[Cat]) -> (usize, usize) {
    let covered: Vec<(usize, usize)> = doc
        .hits
        .iter()
        .filter(|h| cats.contains(&h.cat))
        .map(|h| (h.start, h.end))
        .collect();
    let units = content_units(doc.text, &covered);
    let threshold = if doc.lang == Lang::Zh { 6 } else { 5 };
    (units, threshold)
}

/// The rule of a first response without substance ([`crate::Verdict::lacks_substance`]).
pub(crate) const SUBSTANTIVE_RULE: &str = ids::EBAY_SUBSTANTIVE;

fn substantive(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = SUBSTANTIVE_RULE;
    kefu_core::enforces!(
        ids::EBAY_SUBSTANTIVE,
        test = "kefu-guard::tests::verdict_says_whether_the_reply_lacks_substance"
    );
    if !doc.ctx.first_response || doc.has(Cat::Substance, 0, doc.text.len()) {
        return;
    }
    let (units, threshold) = residual(
        doc,
        &[Cat::Ack, Cat::Filler, Cat::Address, Cat::SecondPerson],
    );
    if units < threshold {
        let msg = "A first response must carry a substantive answer or solution; an acknowledgement alone does not count (EBAY-SUBSTANTIVE).";
        out.push(finding(
            RULE,
            Severity::Warn,
            whole(doc),
            msg,
            doc.suggestion(RULE),
        ));
    }
}

fn no_stall(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = ids::LOST_NO_STALL;
    kefu_core::enforces!(
        ids::LOST_NO_STALL,
        test = "kefu-guard::corpus::corpus_quality"
    );
    if !matches!(
        doc.ctx.category,
        Some(Category::LostPackage | Category::LatePackage)
    ) {
        return;
    }
    if !doc.any(Cat::Stall) {
        return;
    }
    let n = doc.text.len();
    let remedy = doc
        .hits_in(Cat::Remedy, 0, n)
        .any(|h| !doc.negated(h.start));
    if remedy {
        return;
    }
    if let Some(stall) = doc.hits_in(Cat::Stall, 0, n).next() {
        let span = sentence_span(doc, stall.start);
        let msg = "A lost or late package answered with \"we will investigate\" alone: offer a reship or a refund right away (LOST-NO-STALL).";
        out.push(finding(
            RULE,
            Severity::Warn,
            span,
            msg,
            doc.suggestion(RULE),
        ));
    }
}

fn empathy(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = ids::SCRIPT_EMPATHY;
    kefu_core::enforces!(
        ids::SCRIPT_EMPATHY,
        test = "kefu-guard::corpus::corpus_quality"
    );
    let n = doc.text.len();
    if !doc.any(Cat::Policy) || doc.any(Cat::Empathy) {
        return;
    }
    let mut done = Vec::new();
    for h in doc.hits_in(Cat::Policy, 0, n) {
        let span = sentence_span(doc, h.start);
        if done.contains(&span) {
            continue;
        }
        done.push(span);
        // Chinese joins without a space; the other languages need one.
        let sep = if doc.lang == Lang::Zh { "" } else { " " };
        let rewrite = doc
            .suggestion(RULE)
            .map(|p| format!("{p}{sep}{}", doc.original(span)));
        let msg = "Cites policy without empathy; acknowledge the buyer's inconvenience first (SCRIPT-EMPATHY).";
        out.push(finding(RULE, Severity::Warn, span, msg, rewrite));
    }
}

fn per_sentence(doc: &Doc, cat: Cat, rule: &str, out: &mut Vec<Finding>) {
    if !doc.any(cat) {
        return;
    }
    for s in &doc.split().sentences {
        let Some(h) = doc.hits_in(cat, s.start, s.end).next() else {
            continue;
        };
        let msg = match (cat, h.tag) {
            (Cat::Argue, Some("interrogate")) => {
                "Interrogates the buyer (\"why didn't you…\"); ask, don't question (SCRIPT-NO-ARGUE)."
            }
            (Cat::Argue, Some("command")) => {
                "Commands the buyer; use a request or a suggestion instead (SCRIPT-NO-ARGUE)."
            }
            (Cat::Argue, Some("brag")) => {
                "Brags about the shop or product; describe it factually (SCRIPT-NO-ARGUE)."
            }
            (Cat::Argue, _) => "Argues with or contradicts the buyer bluntly (SCRIPT-NO-ARGUE).",
            _ => "Blames the buyer or pushes responsibility away (SCRIPT-NO-BLAME).",
        };
        out.push(finding(
            rule,
            Severity::Warn,
            (s.start, s.end),
            msg,
            doc.suggestion(rule),
        ));
    }
}

/// "两要": lead with 请, address the buyer as 您 (亲 is fine too).
fn qing_nin(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = ids::SCRIPT_QING_NIN;
    kefu_core::enforces!(
        ids::SCRIPT_QING_NIN,
        test = "kefu-guard::corpus::corpus_quality"
    );
    if !doc.any(Cat::Ni) && !doc.any(Cat::Imperative) {
        return;
    }
    for s in &doc.split().sentences {
        let ni: Vec<(usize, usize)> = doc
            .hits_in(Cat::Ni, s.start, s.end)
            .map(|h| (h.start, h.end))
            .collect();
        let mut insert_qing = Vec::new();
        // "请您千万不要，…，把验证码告诉任何人": a polite clause ending in a
        // negation governs the clauses after it.
        let mut polite_negation = false;
        for &(cs, ce) in doc.split().clauses_of(s) {
            if doc.has(Cat::Polite, cs, ce) {
                polite_negation |= doc.dangling_negation(cs, ce);
                continue;
            }
            if polite_negation {
                continue;
            }
            let head = clause_head(doc, cs, ce);
            if doc
                .hits_in(Cat::Imperative, head, ce)
                .any(|h| h.start == head)
            {
                // "你把…" reads "请您把…": 请 goes before a pronoun that
                // directly precedes the command.
                let pronoun = doc
                    .hits_in(Cat::Address, cs, head)
                    .find(|h| h.end == head && matches!(&doc.text[h.start..h.end], "你" | "您"));
                insert_qing.push(pronoun.map_or(head, |h| h.start));
            }
        }
        if ni.is_empty() && insert_qing.is_empty() {
            continue;
        }
        // Rewrite: 你 → 您, and 请 in front of each bare command, in the
        // caller's own text (positions mapped back from the folded one).
        let ni: Vec<(usize, usize)> = ni.iter().map(|&sp| doc.orig_span(sp)).collect();
        let insert_qing: Vec<usize> = insert_qing.iter().map(|&p| doc.orig_pos(p)).collect();
        let (os, oe) = doc.orig_span((s.start, s.end));
        let mut rewrite = String::new();
        let mut i = os;
        let text = doc.orig;
        while i < oe {
            if insert_qing.contains(&i) {
                rewrite.push('请');
            }
            if let Some(&(_, e)) = ni.iter().find(|&&(a, _)| a == i) {
                rewrite.push('您');
                i = e;
                continue;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            rewrite.push(c);
            i += c.len_utf8();
        }
        let msg = match (ni.is_empty(), insert_qing.is_empty()) {
            (false, true) => "Addresses the buyer as 你; use 您 (SCRIPT-QING-NIN).",
            (true, false) => "Makes a request without 请 (SCRIPT-QING-NIN).",
            _ => "Addresses the buyer as 你 and makes a request without 请 (SCRIPT-QING-NIN).",
        };
        out.push(finding(
            RULE,
            Severity::Warn,
            (s.start, s.end),
            msg,
            Some(doc.in_script(rewrite)),
        ));
    }
}

/// Where the clause's content starts, after whitespace, punctuation and
/// leading address words (亲, 您好, 那么…).
fn clause_head(doc: &Doc, cs: usize, ce: usize) -> usize {
    let mut pos = cs;
    loop {
        let rest = &doc.text[pos..ce];
        let skip = rest.len()
            - rest
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        pos += skip;
        let addr = doc
            .hits_in(Cat::Address, pos, ce)
            .filter(|h| h.start == pos)
            .map(|h| h.end)
            .max();
        match addr {
            Some(e) if e > pos => pos = e,
            _ if skip > 0 => {}
            _ => return pos,
        }
    }
}

fn clear(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = ids::AE_CLEAR;
    kefu_core::enforces!(ids::AE_CLEAR, test = "kefu-guard::corpus::corpus_quality");
    let n = doc.text.len();
    let Some(first) = doc.hits_in(Cat::Vague, 0, n).next() else {
        return;
    };
    let strong = doc
        .hits_in(Cat::Vague, 0, n)
        .any(|h| h.tag == Some("strong"));
    let (units, threshold) = residual(
        doc,
        &[
            Cat::Vague,
            Cat::Filler,
            Cat::Ack,
            Cat::Address,
            Cat::SecondPerson,
            Cat::Polite,
        ],
    );
    if strong || units < threshold {
        let span = if strong {
            sentence_span(doc, first.start)
        } else {
            whole(doc)
        };
        let msg = "A vague or evasive answer (\"maybe\", \"不清楚\"); give the buyer a clear, specific answer (AE-CLEAR).";
        out.push(finding(
            RULE,
            Severity::Warn,
            span,
            msg,
            doc.suggestion(RULE),
        ));
    }
}

fn options(doc: &Doc, out: &mut Vec<Finding>) {
    const RULE: &str = ids::OPTIONS_3;
    // Only where the shop's pack asks for a number of options (`min_options`, from
    // `kefu_rules::reply_checks`): without it the check does nothing.
    kefu_core::enforces!(
        ids::OPTIONS_3,
        when_cited,
        test = "kefu-guard::rules::options_3_comes_from_the_pack_for_a_complaint"
    );
    let Some(min) = doc.ctx.min_options.filter(|&m| m > 0) else {
        return;
    };
    if doc.ctx.category == Some(Category::Other) {
        return;
    }
    let mut kinds: Vec<&str> = Vec::new();
    for h in doc.hits_in(Cat::Option, 0, doc.text.len()) {
        if let Some(t) = h.tag
            && !doc.negated(h.start)
            && !kinds.contains(&t)
        {
            kinds.push(t);
        }
    }
    if kinds.len() < min as usize {
        let msg = format!(
            "Offers {} distinct solution(s); the shop's policy asks for at least {min} (OPTIONS-3).",
            kinds.len()
        );
        out.push(finding(
            RULE,
            Severity::Warn,
            whole(doc),
            &msg,
            doc.suggestion(RULE),
        ));
    }
}

fn sentence_span(doc: &Doc, pos: usize) -> (usize, usize) {
    doc.split()
        .sentences
        .iter()
        .find(|s| pos >= s.start && pos < s.end)
        .map(|s| (s.start, s.end))
        .unwrap_or_else(|| whole(doc))
}
