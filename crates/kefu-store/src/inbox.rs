//! The inbox's statements, one text for both backends (only placeholders and casts differ).
//!
//! The inbox is three keyset-ordered parts read one after another until a page is full, each
//! walking its own index so a page costs about as many probes as lines it skips:
//!
//! 1. **overdue**: a breached clock nobody has answered since (`answered_at IS NULL`, the
//!    partial index `obligations_overdue`), the conversation's earliest one, most overdue first;
//! 2. **running**: the conversation's nearest open clock (`obligations_open_due`), soonest
//!    first, for conversations that are not already overdue;
//! 3. **no clock**: conversations that need the desk (new, open, escalated, or waiting for the
//!    buyer since before `pending_before`) with neither (`conversations_waiting`), longest
//!    waiting first.
//!
//! Parameters, the same numbers on both backends: 1 tenant, 2 language, 3 due before, 4 the
//! cursor's time, 5 the cursor's id, 6 limit, 7 pending before.

use crate::{InboxPart, InboxQuery};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Placeholder `n` of SQL type `ty` (PostgreSQL needs the type where a parameter is only
    /// compared with NULL).
    fn p(self, n: u8, ty: &str) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}::{ty}"),
        }
    }

    fn null(self, ty: &str) -> String {
        match self {
            Dialect::Sqlite => "NULL".into(),
            Dialect::Postgres => format!("NULL::{ty}"),
        }
    }
}

/// The statement for one part of the inbox. `keyset`: the page continues after the cursor
/// (parameters 4 and 5) within this part.
pub(crate) fn part_sql(q: &InboxQuery, part: InboxPart, keyset: bool, d: Dialect) -> String {
    let ts = "timestamptz";
    let filters = filters(q, d);
    let last_message = "(SELECT m.body FROM messages m WHERE m.conversation_id = c.id
               AND m.direction IN ('inbound', 'outbound') ORDER BY m.id DESC LIMIT 1)";
    let unanswered = |alias: &str, conv: &str| {
        format!(
            "SELECT 1 FROM obligations {alias} WHERE {alias}.conversation_id = {conv}
               AND {alias}.state = 'breached' AND {alias}.answered_at IS NULL"
        )
    };
    let (tenant, limit) = (d.p(1, "bigint"), d.p(6, "bigint"));
    let (after_at, after_id) = (d.p(4, ts), d.p(5, "bigint"));
    let due_before = d.p(3, ts);
    match part {
        InboxPart::Overdue | InboxPart::Running => {
            let (state_cond, first_cond, exclude) = if part == InboxPart::Overdue {
                (
                    "o.state = 'breached' AND o.answered_at IS NULL",
                    "o2.state = 'breached' AND o2.answered_at IS NULL",
                    String::new(),
                )
            } else {
                (
                    "o.state = 'open'",
                    "o2.state = 'open'",
                    format!("AND NOT EXISTS ({})", unanswered("o3", "o.conversation_id")),
                )
            };
            let keyset = if keyset {
                format!(
                    "AND (o.due_at > {after_at} OR (o.due_at = {after_at} AND o.id > {after_id}))"
                )
            } else {
                String::new()
            };
            format!(
                "SELECT o.id, o.conversation_id, c.shop_id, o.rule, o.due_at, o.opened_at, c.status,
                        c.language, c.assignee_id, cu.handle, cu.name, {last_message}
                 FROM obligations o
                 JOIN conversations c ON c.id = o.conversation_id
                 JOIN shops s ON s.id = c.shop_id
                 JOIN customers cu ON cu.id = c.customer_id
                 WHERE {state_cond} AND s.tenant_id = {tenant} {filters}
                   AND ({due_before} IS NULL OR o.due_at < {due_before})
                   {keyset}
                   AND o.id = (SELECT o2.id FROM obligations o2 WHERE o2.conversation_id = o.conversation_id
                                 AND {first_cond} ORDER BY o2.due_at, o2.id LIMIT 1)
                   {exclude}
                 ORDER BY o.due_at, o.id LIMIT {limit}"
            )
        }
        InboxPart::NoClock => {
            let keyset = if keyset {
                format!(
                    "AND (c.updated_at > {after_at} OR (c.updated_at = {after_at} AND c.id > {after_id}))"
                )
            } else {
                String::new()
            };
            let pending_before = d.p(7, ts);
            let waiting = &*crate::status_sets::WAITING;
            format!(
                "SELECT {}, c.id, c.shop_id, {}, {}, c.updated_at, c.status,
                        c.language, c.assignee_id, cu.handle, cu.name, {last_message}
                 FROM conversations c
                 JOIN shops s ON s.id = c.shop_id
                 JOIN customers cu ON cu.id = c.customer_id
                 WHERE c.status IN {waiting} AND s.tenant_id = {tenant} {filters}
                   AND (c.status <> 'pending_customer'
                        OR ({pending_before} IS NOT NULL AND c.updated_at < {pending_before}))
                   {keyset}
                   AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.conversation_id = c.id AND o.state = 'open')
                   AND NOT EXISTS ({})
                 ORDER BY c.updated_at, c.id LIMIT {limit}",
                d.null("bigint"),
                d.null("text"),
                d.null(ts),
                unanswered("o4", "c.id"),
            )
        }
    }
}

/// The filters every part shares. Shop ids, the assignee and the status are inlined: they are
/// integers and the enum's own words, and inlined they let the planner use the status index.
fn filters(q: &InboxQuery, d: Dialect) -> String {
    let mut out = String::new();
    if let Some(ids) = &q.shop_ids {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        let list = if list.is_empty() {
            "NULL".to_string()
        } else {
            list.join(",")
        };
        out.push_str(&format!(" AND c.shop_id IN ({list})"));
    }
    match q.assignee {
        None => {}
        Some(None) => out.push_str(" AND c.assignee_id IS NULL"),
        Some(Some(id)) => out.push_str(&format!(" AND c.assignee_id = {id}")),
    }
    if let Some(s) = q.status {
        out.push_str(&format!(" AND c.status = '{}'", s.as_str()));
    }
    let language = d.p(2, "text");
    out.push_str(&format!(
        " AND ({language} IS NULL OR c.language = {language})"
    ));
    out
}

/// The parts a query reads, in order: from the cursor's part on, or only the one asked for.
/// Lines without a clock have no due time, so "due before" leaves them out.
pub(crate) fn parts(q: &InboxQuery) -> Vec<InboxPart> {
    InboxPart::ALL
        .into_iter()
        .filter(|p| q.part.is_none_or(|only| only == *p))
        .filter(|p| q.after.is_none_or(|c| c.part <= *p))
        .filter(|p| !(q.due_before.is_some() && *p == InboxPart::NoClock))
        .collect()
}
