//! What the reply guard must check on a reply, from the shop's pack and the conversation:
//! the one function both the desk (as an agent types and on send) and `kefu lint --pack`
//! call, so the two cannot disagree.
//!
//! Today that is OPTIONS-3: a pack with `[complaint_options]` asks a reply to a complaint to
//! offer at least `min_options` distinct solutions (refund, reship, exchange, …); the guard
//! counts them (`kefu_guard::LintContext::with_min_options`). A conversation is a complaint
//! when one of the buyer's messages reports a problem ([`super::complaint`]) or the caller
//! knows it is one.

use super::complaint::is_complaint;
use crate::pack::{Pack, tables};

/// What the rulebook needs to know about the conversation a reply answers.
#[derive(Debug, Clone, Default)]
pub struct ReplyFacts<'a> {
    /// The buyer's messages in the conversation (any order).
    pub buyer_messages: Vec<&'a str>,
    /// The caller knows the conversation is a complaint (a category set by an agent, a
    /// command-line flag), whatever the messages say.
    pub complaint: bool,
}

/// The checks a reply goes through, beyond those the guard runs on every reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyChecks {
    /// OPTIONS-3: how many distinct solutions the reply must offer; `None` when the pack
    /// asks for none or the conversation is not a complaint.
    pub min_options: Option<u8>,
    /// Whether the conversation is a complaint.
    pub complaint: bool,
}

/// The checks a reply in a conversation with `facts` goes through under `pack`.
pub fn reply_checks(pack: &Pack, facts: &ReplyFacts<'_>) -> ReplyChecks {
    kefu_core::enforces!(
        pack_table = tables::COMPLAINT_OPTIONS,
        test = "kefu-rules::plan::tests::complaints_get_the_packs_minimum_of_options"
    );
    let complaint = facts.complaint || facts.buyer_messages.iter().any(|m| is_complaint(m));
    ReplyChecks {
        min_options: pack
            .complaint_options
            .as_ref()
            .filter(|_| complaint)
            .map(|o| o.min_options),
        complaint,
    }
}
