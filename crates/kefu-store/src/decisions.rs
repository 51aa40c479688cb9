//! What a buyer's message and a reply do to a conversation, decided once for both backends:
//! each backend reads the facts and writes the outcome with its own SQL, in its own
//! transaction, and asks these functions what the outcome is. (The status rules themselves
//! are `kefu_core::ConversationStatus`'s; the clocks are the rulebook's plan.)

use kefu_core::{Channel, ConversationStatus};
use serde_json::{Value, json};

use crate::{ClockOpen, Inbound, NewReply};

/// Whether the buyer's next message continues their latest conversation. A closed one is
/// final: the next message starts a new one. Anything else (resolved too) continues, and
/// `after_inbound` reopens it if it was waiting or resolved.
pub(crate) fn continues(latest: ConversationStatus) -> bool {
    latest != ConversationStatus::Closed
}

/// The clocks a buyer's message starts: the first-contact ones until the desk has replied in
/// the conversation, the follow-up ones after. (A rule already running is not restarted;
/// each backend checks that against its rows.)
pub(crate) fn clocks_to_start(m: &Inbound, replied: bool) -> &[ClockOpen] {
    if replied {
        &m.follow_up_obligations
    } else {
        &m.first_contact_obligations
    }
}

/// The `message_received` event's data, before the backend adds the clocks it opened.
/// `order_found`: the message's order reference named an order of the shop.
pub(crate) fn received_data(message_id: i64, m: &Inbound, order_found: bool) -> Value {
    let mut data =
        json!({"message_id": message_id, "channel": m.channel.as_str(), "language": m.language});
    if !order_found && let Some(ext) = &m.order_external_id {
        // Kept so the link can be made when the order arrives; not an error for the sender.
        data["order_ref_unknown"] = json!(ext);
    }
    if !m.redactions.is_empty() {
        data["redacted"] = json!(m.redactions);
    }
    data
}

/// The status a reply leaves: an agent's reply moves the conversation on (`after_reply`); the
/// bot's automatic answer leaves it where it was, for the desk.
pub(crate) fn status_after_reply(
    before: ConversationStatus,
    automatic: bool,
) -> ConversationStatus {
    if automatic {
        before
    } else {
        before.after_reply()
    }
}

/// How a reply reaches the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyRoute {
    /// Through the outbox, written with the reply so none is lost.
    Outbox,
    /// Through the outbox when a connector brought the thread in (one of its messages has a
    /// `reply_to`), else shown where the buyer reads it.
    OutboxIfConnectorThread,
    /// Shown where the buyer reads it (live chat, the API); nothing to send.
    Direct,
}

/// How a reply on a conversation of `channel` (as stored) reaches the buyer: email leaves
/// through the outbox, marketplace messages when a connector brought the thread in.
pub(crate) fn reply_route(channel: &str) -> ReplyRoute {
    if channel == Channel::Email.as_str() {
        ReplyRoute::Outbox
    } else if channel == Channel::Marketplace.as_str() {
        ReplyRoute::OutboxIfConnectorThread
    } else {
        ReplyRoute::Direct
    }
}

/// The `reply_sent` event's data. `queued`: it went to the outbox, and the thread shows it as
/// queued until the outbox records how its delivery went.
pub(crate) fn reply_sent_data(message_id: i64, queued: bool, r: &NewReply) -> Value {
    let mut data = json!({"message_id": message_id});
    if queued {
        data["queued"] = json!(true);
    }
    if r.automatic {
        data["bot"] = json!(true);
    }
    if let Some(findings) = &r.guard_override {
        data["guard_override"] = findings.clone();
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_conversation_is_final() {
        for s in ConversationStatus::ALL {
            assert_eq!(continues(*s), *s != ConversationStatus::Closed, "{s:?}");
        }
    }

    #[test]
    fn the_bots_answer_leaves_the_status() {
        use ConversationStatus::*;
        assert_eq!(status_after_reply(Open, false), PendingCustomer);
        assert_eq!(status_after_reply(Open, true), Open);
        assert_eq!(status_after_reply(New, true), New);
        assert_eq!(status_after_reply(Escalated, false), Escalated);
    }

    #[test]
    fn email_goes_through_the_outbox_marketplace_when_a_connector_brought_it() {
        assert_eq!(reply_route("email"), ReplyRoute::Outbox);
        assert_eq!(
            reply_route("marketplace"),
            ReplyRoute::OutboxIfConnectorThread
        );
        for other in Channel::ALL
            .iter()
            .filter(|c| !matches!(c, Channel::Email | Channel::Marketplace))
        {
            assert_eq!(reply_route(other.as_str()), ReplyRoute::Direct, "{other:?}");
        }
    }
}
