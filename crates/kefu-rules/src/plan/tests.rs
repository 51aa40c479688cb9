//! The plan functions against the embedded packs, citing the rules they carry out.

use chrono::{DateTime, Duration, Utc};
use kefu_core::{Channel, ClockKind, ConversationStatus, Money, Order, OrderItem, Severity};

use super::*;
use crate::deadline::Trigger;
use crate::pack::PackSet;

fn at() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

fn packs() -> PackSet {
    PackSet::embedded().unwrap()
}

fn order(currency: &str, items: &[(&str, Option<&str>)]) -> Order {
    Order {
        id: 1,
        shop_id: 1,
        external_id: "UK-1".into(),
        total: Money::parse("470.00", currency).unwrap(),
        paid_at: "2026-11-19T10:00:00Z".parse().unwrap(),
        promised_ship_by: None,
        shipped_at: None,
        carrier: None,
        tracking_number: None,
        delivered_at: None,
        closed_at: None,
        promises: Vec::new(),
        items: items
            .iter()
            .map(|(title, price)| OrderItem {
                title: (*title).into(),
                quantity: 1,
                unit_price: price.map(String::from),
                sku: None,
            })
            .collect(),
    }
}

fn message<'a>(order: Option<&'a Order>, channel: Channel) -> BuyerMessage<'a> {
    BuyerMessage {
        received: at(),
        order,
        channel,
        body: "Where is my parcel?",
    }
}

fn rules(plan: &Plan) -> Vec<&str> {
    plan.open.iter().map(|o| o.rule.as_str()).collect()
}

#[test]
fn order_value_gives_unit_prices_or_only_the_total() {
    let (total, items) = order_value(&order(
        "GBP",
        &[("Leica M6", Some("450.00")), ("Strap", Some("20"))],
    ));
    assert_eq!(total, Some(("470.00".parse().unwrap(), "GBP".to_string())));
    let prices: Vec<String> = items.iter().map(|i| i.unit_price.to_string()).collect();
    assert_eq!(prices, ["450.00", "20"]);
    // One unpriced item could be the dear one: then the total stands for it.
    let (_, items) = order_value(&order("GBP", &[("Leica M6", None), ("Strap", Some("20"))]));
    assert!(items.is_empty());
}

/// EBAY-HIGHVALUE-12H on a GBP item above the pack's GBP limit opens the high-value clock and
/// routes to the high-value team (HIGHVALUE-CHANNEL); two cheaper items do neither.
#[test]
fn buyer_message_opens_high_value_clock_and_routes_high_value() {
    let packs = packs();
    let ebay = packs.get("ebay").unwrap();
    let camera = order(
        "GBP",
        &[("Leica M6", Some("450.00")), ("Strap", Some("20"))],
    );
    let plan = buyer_message(ebay, &message(Some(&camera), Channel::Marketplace), true);
    assert_eq!(rules(&plan), ["EBAY-FRT-24H", "EBAY-HIGHVALUE-12H"]);
    assert!(plan.route.high_value);
    assert!(plan.close.is_empty() && plan.flags.is_empty());
    let hv = &plan.open[1];
    assert_eq!(hv.clock, ClockKind::HighValueResponse);
    assert_eq!(hv.due, at() + Duration::hours(12));
    // A platform limit escalates when missed.
    assert!(plan.open.iter().all(|o| o.escalate_on_breach));

    let cheap = order("GBP", &[("Lens", Some("235.00")), ("Lens", Some("235.00"))]);
    let plan = buyer_message(ebay, &message(Some(&cheap), Channel::Marketplace), true);
    assert_eq!(rules(&plan), ["EBAY-FRT-24H"]);
    assert!(!plan.route.high_value);
    // A follow-up message starts no eBay clock but the high-value one, which still routes.
    let later = buyer_message(ebay, &message(Some(&camera), Channel::Marketplace), false);
    assert_eq!(rules(&later), ["EBAY-HIGHVALUE-12H"]);
    assert!(later.route.high_value);
}

/// GEN-FIRST-30S only on live chat of a Taobao shop; TB-FRT-5M on any channel. A target of the
/// shop's own does not escalate when missed.
#[test]
fn buyer_message_channel_decides_live_chat_clock() {
    let packs = packs();
    let taobao = packs.get("taobao").unwrap();
    let chat = buyer_message(taobao, &message(None, Channel::WebChat), true);
    assert!(
        rules(&chat).contains(&"GEN-FIRST-30S"),
        "{:?}",
        rules(&chat)
    );
    let mail = buyer_message(taobao, &message(None, Channel::Email), true);
    assert_eq!(rules(&mail), ["TB-FRT-5M"]);
    for o in chat.open.iter().chain(&mail.open) {
        assert_eq!(
            o.escalate_on_breach,
            o.severity == Severity::Platform,
            "{o:?}"
        );
    }
}

/// EBAY-SUBSTANTIVE: an acknowledgement meets later-message, follow-up and callback clocks
/// but not the first-response or high-value ones.
#[test]
fn reply_closes_first_response_only_when_substantive() {
    let ack = reply(false);
    assert_eq!(
        ack.close,
        [
            ClockKind::NextResponse,
            ClockKind::Followup,
            ClockKind::Callback
        ]
    );
    let answer = reply(true);
    for clock in [ClockKind::FirstResponse, ClockKind::HighValueResponse] {
        assert!(answer.close.contains(&clock) && !ack.close.contains(&clock));
    }
    assert!(answer.open.is_empty() && !answer.route.high_value);
}

/// The bot's answer and a note move no clock (the platform measures the human answer).
#[test]
fn bot_reply_and_note_move_no_clock() {
    assert_eq!(bot_reply(), Plan::default());
    assert_eq!(note(), Plan::default());
    assert_eq!(case_moved(), Plan::default());
}

/// EBAY-ESCALATE-2H is met by escalating; resolving meets resolution and after-sales clocks
/// and starts EBAY-FOLLOWUP-48H.
#[test]
fn status_change_closes_and_opens_clocks() {
    let packs = packs();
    let ebay = packs.get("ebay").unwrap();
    let esc = status_changed(ebay, ConversationStatus::Escalated, at());
    assert_eq!(esc.close, [ClockKind::Escalation]);
    assert!(esc.open.is_empty());
    let res = status_changed(ebay, ConversationStatus::Resolved, at());
    assert_eq!(res.close, [ClockKind::Resolution, ClockKind::Aftersales]);
    assert_eq!(rules(&res), ["EBAY-FOLLOWUP-48H"]);
    assert_eq!(res.open[0].due, at() + Duration::hours(48));
    assert_eq!(
        status_changed(ebay, ConversationStatus::Open, at()),
        Plan::default()
    );
}

/// EBAY-ESCALATE-2H on marking complex; TB-AFTERSALES-24-48H on an after-sales request and on
/// opening a case.
#[test]
fn triggers_start_their_clocks() {
    let packs = packs();
    let complex = clocks_started(
        packs.get("ebay").unwrap(),
        Trigger::ComplexIssue,
        at(),
        None,
    );
    assert_eq!(rules(&complex), ["EBAY-ESCALATE-2H"]);
    assert_eq!(complex.open[0].due, at() + Duration::hours(2));
    let taobao = packs.get("taobao").unwrap();
    let o = order("CNY", &[("茶杯", Some("470.00"))]);
    let request = clocks_started(taobao, Trigger::AfterSalesRequest, at(), Some(&o));
    assert_eq!(rules(&request), ["TB-AFTERSALES-24-48H"]);
    assert_eq!(request.open[0].clock, ClockKind::Aftersales);
    assert_eq!(case_opened(taobao, at(), &o), request);
}

/// REC-CUSTOMER-INFO: a promised call back is a Callback clock of the shop's own, due then.
#[test]
fn call_logged_opens_callback_clock() {
    assert_eq!(call_logged(None), Plan::default());
    let due = at() + Duration::hours(3);
    let plan = call_logged(Some(due));
    assert_eq!(plan.open.len(), 1);
    let c = &plan.open[0];
    assert_eq!(
        (c.rule.as_str(), c.clock, c.severity, c.due),
        (
            "REC-CUSTOMER-INFO",
            ClockKind::Callback,
            Severity::Target,
            due
        )
    );
    assert!(!c.escalate_on_breach);
    assert!(c.explanation.contains("REC-CUSTOMER-INFO"));
}

/// GEN-PHONE-3RINGS: answered within about 15 seconds (three rings) is met.
#[test]
fn a_call_is_answered_within_three_rings() {
    assert_eq!(call_answered(0), ("GEN-PHONE-3RINGS", true));
    assert_eq!(call_answered(15), ("GEN-PHONE-3RINGS", true));
    assert_eq!(call_answered(16), ("GEN-PHONE-3RINGS", false));
}

/// A breach escalates exactly when its obligation says so.
#[test]
fn breach_escalates_per_obligation() {
    let b = clock_breached("EBAY-FRT-24H", true);
    assert!(b.escalate);
    assert_eq!(b.reason, "EBAY-FRT-24H breached");
    assert!(!clock_breached("TB-FRT-5M", false).escalate);
}

/// PDD-NO-ABUSE: on a Pinduoduo shop an abusive buyer message is flagged for a supervisor,
/// a merely angry one is not, and a pack that does not list the check flags nothing.
#[test]
fn pinduoduo_flags_an_abusive_buyer_for_a_supervisor() {
    let packs = packs();
    let msg = |body| BuyerMessage {
        received: at(),
        order: None,
        channel: Channel::Marketplace,
        body,
    };
    let pdd = packs.get("pinduoduo").unwrap();
    assert!(pdd.cited_rules().contains("PDD-NO-ABUSE"));
    let plan = buyer_message(pdd, &msg("你们这群傻逼，还不发货"), true);
    assert_eq!(plan.flags.len(), 1, "{plan:?}");
    assert_eq!(plan.flags[0].rule, "PDD-NO-ABUSE");
    assert!(
        plan.flags[0].reason.contains("傻逼"),
        "{}",
        plan.flags[0].reason
    );
    // The clocks are those of any message: a flag changes no clock.
    assert_eq!(plan.open, buyer_message(pdd, &msg("还不发货"), true).open);
    assert!(
        buyer_message(pdd, &msg("你们太差劲了，我要投诉"), true)
            .flags
            .is_empty()
    );
    let taobao = packs.get("taobao").unwrap();
    assert!(
        buyer_message(taobao, &msg("你们这群傻逼"), true)
            .flags
            .is_empty()
    );
}

/// OPTIONS-3: the eBay pack asks a reply to a complaint for three solutions; a conversation
/// that is not a complaint, or a pack that does not ask, gets no minimum.
#[test]
fn complaints_get_the_packs_minimum_of_options() {
    let packs = packs();
    let ebay = packs.get("ebay").unwrap();
    assert!(ebay.cited_rules().contains("OPTIONS-3"));
    let facts = |msgs: Vec<&'static str>| ReplyFacts {
        buyer_messages: msgs,
        complaint: false,
    };
    let broken = reply_checks(
        ebay,
        &facts(vec!["Hello", "The mug arrived broken, what now?"]),
    );
    assert_eq!(broken.min_options, Some(3));
    assert!(broken.complaint);
    let question = reply_checks(ebay, &facts(vec!["Do you ship to Germany?"]));
    assert_eq!(question, ReplyChecks::default());
    let told = ReplyFacts {
        buyer_messages: vec!["Do you ship to Germany?"],
        complaint: true,
    };
    assert_eq!(reply_checks(ebay, &told).min_options, Some(3));
    let taobao = packs.get("taobao").unwrap();
    let tb = reply_checks(taobao, &facts(vec!["收到的杯子碎了"]));
    assert_eq!((tb.min_options, tb.complaint), (None, true));
}

/// KPI-REPEAT-5 counts complaints: the buyer-message plan says whether the message is one,
/// on every pack, and a complaint changes no clock.
#[test]
fn the_buyer_message_plan_says_whether_it_is_a_complaint() {
    let packs = packs();
    let msg = |body| BuyerMessage {
        received: at(),
        order: None,
        channel: Channel::Marketplace,
        body,
    };
    for id in ["taobao", "ebay", "pinduoduo"] {
        let pack = packs.get(id).unwrap();
        let complaint = buyer_message(pack, &msg("质量太差了，我要投诉"), true);
        assert!(complaint.complaint, "{id}");
        let question = buyer_message(pack, &msg("亲，什么时候发货？"), true);
        assert!(!question.complaint, "{id}");
        assert_eq!(complaint.open.len(), question.open.len(), "{id}");
    }
}

#[test]
fn complaints_from_enough_buyers_are_an_incident() {
    let packs = packs();
    let taobao = packs.get("taobao").unwrap();
    assert_eq!(incident_level(taobao, 4), None);
    assert_eq!(incident_level(taobao, 5), Some(1));
    assert_eq!(incident_level(taobao, 20), Some(2));
    assert_eq!(incident_level(taobao, 50), Some(3));
    assert_eq!(incident_window(taobao), Duration::hours(24));
    let plan = incident_opened(taobao, at(), 50, None).unwrap();
    assert_eq!(
        (plan.level, plan.owner),
        (3, IncidentOwner::RegionalManager)
    );
    assert_eq!(plan.rule, "COLLECTIVE-3LEVEL");
    // The close clock: 72 hours from the opening, whatever the hour.
    let close = plan.close.unwrap();
    assert_eq!(
        (close.rule.as_str(), close.due),
        ("COLLECTIVE-3LEVEL", at() + Duration::hours(72))
    );
    assert!(incident_opened(taobao, at(), 3, None).is_none());
    // Opened by hand: the supervisor's level, whatever the count.
    let by_hand = incident_opened(taobao, at(), 1, Some(2)).unwrap();
    assert_eq!(
        (by_hand.level, by_hand.owner),
        (2, IncidentOwner::Supervisor)
    );
    // A shop moves the levels; nonsense is refused.
    let o = crate::ShopOverrides {
        incident_levels: Some([3, 10, 30]),
        ..Default::default()
    };
    assert_eq!(
        incident_level(&taobao.with_overrides(&o).unwrap(), 10),
        Some(2)
    );
    let bad = crate::ShopOverrides {
        incident_levels: Some([10, 5, 30]),
        ..Default::default()
    };
    assert!(taobao.with_overrides(&bad).is_err());
}
