//! One behaviour, every backend: the store tests written once and run by each backend's test
//! file against a real database (a temporary SQLite file, a throwaway PostgreSQL database).
//!
//! Each function takes a fresh, empty store and panics with a message on any difference.

// A test suite, not source: each scenario reads best as one function (issue 11's 100-line
// bar is for code outside tests), and a few stamps of bookkeeping take the wall clock.
#![allow(clippy::too_many_lines, clippy::disallowed_methods)]

use crate::{
    ClockOpen, ClockStart, DEFAULT_TENANT, Inbound, NewAgent, NewOrder, NewReply, NewShop,
    ObligationFilter, StatusChange, Store, StoreError,
};
use chrono::{DateTime, Duration, Utc};
use kefu_core::{
    Channel, ConversationStatus, Money, ObligationState, Platform, Role, Severity, event_kind,
};
use std::sync::Arc;

mod cases;
mod channels;
mod clocks;
mod conversations;
mod directory;
mod flow;
mod incidents;
mod reports;
mod routing;
mod sessions;
mod waits;

pub use cases::*;
pub use channels::*;
pub use clocks::*;
pub use conversations::*;
pub use directory::*;
pub use flow::*;
pub use incidents::*;
pub use reports::*;
pub use routing::*;
pub use sessions::*;
pub use waits::*;

/// Every conformance check, by name, so backends run them all and a new one cannot be missed.
/// One conformance check: takes a fresh store, panics on any difference.
pub type Check = for<'a> fn(&'a Arc<dyn Store>) -> BoxFuture<'a>;

pub const ALL: &[(&str, Check)] = &[
    ("mail_cursors_are_kept_per_mailbox", |s| {
        Box::pin(mail_cursors_are_kept_per_mailbox(s))
    }),
    ("shops", |s| Box::pin(shops(s))),
    ("incidents_keep_their_conversations_and_timeline", |s| {
        Box::pin(incidents_keep_their_conversations_and_timeline(s))
    }),
    ("ingest_continues_the_buyers_conversation", |s| {
        Box::pin(ingest_continues_the_buyers_conversation(s))
    }),
    ("a_buyers_known_languages", |s| {
        Box::pin(a_buyers_known_languages(s))
    }),
    ("external_id_makes_retries_idempotent", |s| {
        Box::pin(external_id_makes_retries_idempotent(s))
    }),
    ("unknown_shop_is_not_found", |s| {
        Box::pin(unknown_shop_is_not_found(s))
    }),
    ("obligations_open_and_close", |s| {
        Box::pin(obligations_open_and_close(s))
    }),
    ("status_changes_and_reopening", |s| {
        Box::pin(status_changes_and_reopening(s))
    }),
    ("orders_upsert_and_link", |s| {
        Box::pin(orders_upsert_and_link(s))
    }),
    ("unproved_order_claims_stay_apart", |s| {
        Box::pin(unproved_order_claims_stay_apart(s))
    }),
    ("agents_and_tokens", |s| Box::pin(agents_and_tokens(s))),
    ("concurrent_ingest_keeps_one_conversation_per_buyer", |s| {
        Box::pin(concurrent_ingest(s))
    }),
    ("faqs_are_kept_per_shop_key_and_language", |s| {
        Box::pin(faqs_are_kept_per_shop_key_and_language(s))
    }),
    ("connectors_and_their_outbox", |s| {
        Box::pin(connectors_and_their_outbox(s))
    }),
    ("sign_in_lockout_and_sessions", |s| {
        Box::pin(sign_in_lockout_and_sessions(s))
    }),
    ("the_supervisors_overview", |s| {
        Box::pin(the_supervisors_overview(s))
    }),
    ("aftersales_cases_keep_their_state", |s| {
        Box::pin(aftersales_cases_keep_their_state(s))
    }),
    ("high_value_orders_go_to_their_team", |s| {
        Box::pin(high_value_orders_go_to_their_team(s))
    }),
    ("complaints_go_to_the_team_for_their_cause", |s| {
        Box::pin(complaints_go_to_the_team_for_their_cause(s))
    }),
    ("flow_steps_move_clocks_with_their_event", |s| {
        Box::pin(flow_steps_move_clocks_with_their_event(s))
    }),
    ("a_shops_buyers_languages", |s| {
        Box::pin(a_shops_buyers_languages(s))
    }),
    ("the_plan_is_applied_as_data", |s| {
        Box::pin(the_plan_is_applied_as_data(s))
    }),
    ("due_obligations_are_breached_once", |s| {
        Box::pin(due_obligations_are_breached_once(s))
    }),
    ("status_changes_and_triggers_move_clocks", |s| {
        Box::pin(status_changes_and_triggers_move_clocks(s))
    }),
    ("email_replies_go_through_the_outbox", |s| {
        Box::pin(email_replies_go_through_the_outbox(s))
    }),
    ("conversations_are_routed_to_available_agents", |s| {
        Box::pin(conversations_are_routed_to_available_agents(s))
    }),
    ("routing_modes_and_room", |s| {
        Box::pin(routing_modes_and_room(s))
    }),
    ("kpis_equal_the_oracle", |s| {
        Box::pin(kpis_equal_the_oracle(s))
    }),
    ("waits_and_agent_replies_for_a_days_replay", |s| {
        Box::pin(waits_and_agent_replies_for_a_days_replay(s))
    }),
];

pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn shop(store: &Arc<dyn Store>, name: &str, platform: Platform) -> i64 {
    store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: name.into(),
            platform,
            timezone: platform.default_timezone().into(),
            currency: platform.default_currency().into(),
            pack: platform.default_pack().into(),
            settings: serde_json::json!({"first_response_target_hours": 3}),
        })
        .await
        .expect("create shop")
        .id
}

fn inbound(shop_id: i64, handle: &str, body: &str, at: &str) -> Inbound {
    Inbound {
        shop_id,
        channel: Channel::Marketplace,
        customer_handle: handle.into(),
        customer_name: Some(format!("Buyer {handle}")),
        customer_language: None,
        order_external_id: None,
        body: body.into(),
        language: Some("en".into()),
        received_at: t(at),
        external_id: None,
        first_contact_obligations: vec![],
        follow_up_obligations: vec![],
        high_value: false,
        complaint: false,
        flags: vec![],
        redactions: vec![],
        reply_to: None,
    }
}

fn reply(conversation_id: i64, at: &str, closes: &[&str]) -> NewReply {
    NewReply {
        conversation_id,
        agent_id: None,
        actor: "test".into(),
        body: "We are sending a replacement today.".into(),
        at: t(at),
        closes_clocks: closes
            .iter()
            .map(|s| s.parse().expect("a clock name"))
            .collect(),
        guard_override: None,
        automatic: false,
    }
}

fn obligation(rule: &str, clock: &str, due: &str, severity: Severity) -> ClockOpen {
    ClockOpen {
        rule: rule.into(),
        clock: clock.parse().expect("a clock name"),
        severity,
        due: t(due),
        explanation: format!("{rule} test"),
        // As the rulebook plans it today: a missed platform limit escalates.
        escalate_on_breach: severity == Severity::Platform,
    }
}
