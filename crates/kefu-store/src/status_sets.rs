//! The sets of conversation statuses the SQL filters on, derived once from
//! `kefu_core::ConversationStatus` (its `is_active` and `escalates_on_breach`), so that the
//! domain, not each statement, says which conversations are open. Both backends' statements
//! take these as `IN` lists.

use std::sync::LazyLock;

use kefu_core::ConversationStatus;

/// `('a', 'b', …)`: the statuses, in the order given, as an SQL list.
fn sql_list(statuses: impl IntoIterator<Item = ConversationStatus>) -> String {
    let quoted: Vec<String> = statuses
        .into_iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", quoted.join(", "))
}

fn where_status(keep: fn(ConversationStatus) -> bool) -> String {
    sql_list(ConversationStatus::ALL.iter().copied().filter(|s| keep(*s)))
}

/// Conversations that still need the desk (`is_active`): an agent's load, the open counts,
/// the ones to hand on when an agent leaves.
pub(crate) static OPEN: LazyLock<String> = LazyLock::new(|| where_status(|s| s.is_active()));

/// Conversations that are done with (not `is_active`): resolved or closed.
pub(crate) static FINISHED: LazyLock<String> = LazyLock::new(|| where_status(|s| !s.is_active()));

/// Conversations a missed escalating clock escalates (`escalates_on_breach`): open ones that
/// are not escalated already, so an escalation is recorded once.
pub(crate) static ESCALATES_ON_BREACH: LazyLock<String> =
    LazyLock::new(|| where_status(ConversationStatus::escalates_on_breach));

/// The order in which the partial index `conversations_waiting` (migration 0013, both
/// backends) lists the open statuses. SQLite uses a partial index only when the query repeats
/// its `WHERE` term as written, so the inbox's waiting part says `IN` in this order; the set is
/// `OPEN`'s (a test checks both).
const INDEX_ORDER: [ConversationStatus; 4] = [
    ConversationStatus::New,
    ConversationStatus::Open,
    ConversationStatus::Escalated,
    ConversationStatus::PendingCustomer,
];

/// The open statuses as the inbox's waiting part filters on them: `OPEN` in the partial
/// index's order.
pub(crate) static WAITING: LazyLock<String> = LazyLock::new(|| sql_list(INDEX_ORDER));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_is_every_status_that_needs_the_desk() {
        assert_eq!(*OPEN, "('new', 'open', 'pending_customer', 'escalated')");
        assert_eq!(*FINISHED, "('resolved', 'closed')");
        assert_eq!(*ESCALATES_ON_BREACH, "('new', 'open', 'pending_customer')");
    }

    #[test]
    fn waiting_is_open_in_the_order_of_the_partial_index() {
        let mut waiting = INDEX_ORDER.to_vec();
        waiting.sort_by_key(|s| s.as_str());
        let mut open: Vec<_> = ConversationStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_active())
            .collect();
        open.sort_by_key(|s| s.as_str());
        assert_eq!(waiting, open);
        let index = format!("WHERE status IN {}", *WAITING);
        for migration in [
            include_str!("../migrations/sqlite/0013_inbox_work.sql"),
            include_str!("../migrations/postgres/0013_inbox_work.sql"),
        ] {
            assert!(migration.contains(&index), "{index} not in {migration}");
        }
    }
}
