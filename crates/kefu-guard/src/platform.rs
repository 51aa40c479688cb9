//! Block rules of the platforms' own policies: PLATFORM-NO-OFFSITE and
//! REVIEW-NO-INCENTIVE.
//!
//! PLATFORM-NO-OFFSITE blocks a sentence that
//! - names an off-platform deal or payment in one phrase (站外交易, 私下交易,
//!   转账到支付宝, "pay outside eBay", "PayPal friends and family"), or
//! - invites the buyer to get in touch ("add me", 加我, "contact me") on a
//!   messenger (WhatsApp, 微信, Telegram, LINE…) in the same clause, or
//! - invites them to a phone or e-mail *for the sale* (a deal word in the
//!   sentence: "cheaper", "a better price", "pay me", 便宜, 直接下单…): a
//!   phone number for help with a parcel, or an e-mail about a payment
//!   problem, is customer service, not a deal.
//!
//! Naming a messenger without an invitation ("our WeChat official account
//! posts tracking updates") and paying through the platform ("pay by PayPal
//! at eBay checkout") pass.
//!
//! REVIEW-NO-INCENTIVE blocks a sentence that offers a bribe in one phrase
//! (好评返现, "5 stars for a refund"), or names a good or changed review
//! ("positive feedback", 五星, "change your feedback") and something the
//! buyer gets ("get a gift", 返现, 红包) in the same clause, or in the same
//! sentence with a condition ("if", 后, "wenn"). A refund counts as the
//! bribe only in the same clause, or with a condition when the review is
//! to be changed: "we have refunded you, and a 5-star review would mean a
//! lot" thanks, it does not buy.
//!
//! As for the privacy rules, a negation in the hit's clause or a
//! scam-warning frame in the sentence excuses it ("我们不会让您站外交易",
//! "if anyone asks you to pay outside eBay, it is a scam").

use kefu_rules::ids;

use crate::guard::{Doc, Finding, Severity, finding};
use crate::phrases::{Cat, Hit};

const OFFSITE_MSG: &str = "Moves the buyer off the platform: a messenger, or a phone or e-mail for the sale, or a payment outside it. Keep the conversation and the payment on the platform (PLATFORM-NO-OFFSITE).";
const REVIEW_MSG: &str = "Offers money, a refund or a gift for a good review or for changing one. Platforms punish review incentives; ask for honest feedback only (REVIEW-NO-INCENTIVE).";

pub(crate) fn check(doc: &Doc, out: &mut Vec<Finding>) {
    kefu_core::enforces!(
        ids::PLATFORM_NO_OFFSITE,
        test = "kefu-guard::tests::platform_policies_block"
    );
    kefu_core::enforces!(
        ids::REVIEW_NO_INCENTIVE,
        test = "kefu-guard::tests::platform_policies_block"
    );
    let offsite = doc.any(Cat::Offsite)
        || (doc.any(Cat::Contact) && (doc.any(Cat::Channel) || doc.any(Cat::ContactLite)));
    let review = doc.any(Cat::ReviewBribe) || (doc.any(Cat::Review) && doc.any(Cat::Incentive));
    if !offsite && !review {
        return;
    }
    for s in &doc.split().sentences {
        let span = (s.start, s.end);
        if doc.has(Cat::Frame, s.start, s.end) {
            continue;
        }
        for (on, test, rule, msg) in [
            (
                offsite,
                offsite_sentence as fn(&Doc, (usize, usize)) -> bool,
                ids::PLATFORM_NO_OFFSITE,
                OFFSITE_MSG,
            ),
            (
                review,
                review_sentence,
                ids::REVIEW_NO_INCENTIVE,
                REVIEW_MSG,
            ),
        ] {
            if on && test(doc, span) {
                out.push(finding(
                    rule,
                    Severity::Block,
                    span,
                    msg,
                    doc.suggestion(rule),
                ));
            }
        }
    }
}

/// Hits of `cat` in the span that no negation scopes.
fn live<'d, 'a>(
    doc: &'d Doc<'a>,
    cat: Cat,
    (s, e): (usize, usize),
) -> impl Iterator<Item = &'d Hit<'a>> + 'd {
    doc.hits_in(cat, s, e)
        .filter(move |h| !doc.negated(h.start))
}

fn offsite_sentence(doc: &Doc, span: (usize, usize)) -> bool {
    if live(doc, Cat::Offsite, span).next().is_some() {
        return true;
    }
    // The invitation and the channel share a clause ("add me on WhatsApp");
    // "contact us via eBay messages, not WhatsApp" names the messenger in
    // another one.
    let with = |cat: Cat| {
        live(doc, Cat::Contact, span).any(|c| {
            let clause = doc.clause_of(c.start);
            live(doc, cat, clause).next().is_some()
        })
    };
    with(Cat::Channel) || (with(Cat::ContactLite) && live(doc, Cat::Deal, span).next().is_some())
}

fn review_sentence(doc: &Doc, span: (usize, usize)) -> bool {
    if live(doc, Cat::ReviewBribe, span).next().is_some() {
        return true;
    }
    // A review the clause thanks for ("thanks for the 5-star review and
    // enjoy your gift") is not being bought.
    let thanked = |r: &Hit| {
        let (cs, _) = doc.clause_of(r.start);
        doc.hits_in(Cat::Thanks, cs, r.start).next().is_some()
    };
    let reviews: Vec<&Hit> = live(doc, Cat::Review, span)
        .filter(|r| !thanked(r))
        .collect();
    if reviews.is_empty() {
        return false;
    }
    let cond = doc.has(Cat::Cond, span.0, span.1);
    live(doc, Cat::Incentive, span).any(|inc| {
        let strong = inc.tag == Some("strong");
        let refund = inc.tag == Some("refund");
        reviews.iter().any(|r| {
            let same_clause = doc.clause_of(r.start) == doc.clause_of(inc.start);
            let change = r.tag == Some("change");
            (strong && !refund) || same_clause || (cond && (!refund || change))
        })
    })
}
