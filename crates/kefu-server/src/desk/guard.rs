//! The desk layer: use cases the edges (JSON API, pages) share, so that each is decided in
//! one place. (Issue 11 moves the rest of the use cases here.)

use kefu_guard::{LintContext, Verdict};
use kefu_store::ConversationDetail;

use crate::shop_rules::ShopRules;

/// The guard's context for a reply in `detail`: the conversation's language and whether this
/// would be the desk's first answer (EBAY-SUBSTANTIVE weighs an acknowledgement then).
pub fn reply_context(detail: &ConversationDetail) -> LintContext {
    let answered_before = detail
        .messages
        .iter()
        .any(|m| m.direction == kefu_core::Direction::Outbound);
    LintContext::for_conversation(detail.conversation.language.as_deref(), answered_before)
}

/// The guard's verdict on a reply to `detail` in its shop: the one check both the reply box
/// (as the agent types) and sending make, so the box never says "ok" to what sending holds.
pub fn check_reply(
    shared: &kefu_guard::Guard,
    rules: &ShopRules,
    detail: &ConversationDetail,
    body: &str,
) -> Verdict {
    // OPTIONS-3 and the other checks the shop's pack asks of this reply (kefu-rules decides).
    let buyer = detail
        .messages
        .iter()
        .filter(|m| m.direction == kefu_core::Direction::Inbound);
    let facts = kefu_rules::ReplyFacts {
        buyer_messages: buyer.map(|m| m.body.as_str()).collect(),
        complaint: false,
    };
    let ctx = reply_context(detail)
        .with_min_options(kefu_rules::reply_checks(&rules.pack, &facts).min_options);
    rules.guard(shared).lint(body, &ctx)
}
