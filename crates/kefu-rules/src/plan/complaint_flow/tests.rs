//! COMPLAINT-FLOW against the embedded packs: causes told apart in five languages, the team
//! per cause (the pack's and a shop's own), the report-back clock, and who is still unhappy.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::pack::PackSet;

fn at() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

/// Complaints labelled with their cause, as buyers write them.
const LABELLED: &[(&str, ComplaintCause)] = &[
    ("快递三天没动了，到底什么时候到", ComplaintCause::Logistics),
    ("物流一直不更新，包裹是不是丢了", ComplaintCause::Logistics),
    ("都一个星期了还没收到货", ComplaintCause::Logistics),
    (
        "My parcel never arrived and the tracking shows nothing",
        ComplaintCause::Logistics,
    ),
    (
        "The package is stuck in transit for ten days",
        ComplaintCause::Logistics,
    ),
    (
        "Das Paket ist nach zwei Wochen immer noch nicht angekommen",
        ComplaintCause::Logistics,
    ),
    (
        "Mon colis n'est jamais arrivé, le suivi est bloqué",
        ComplaintCause::Logistics,
    ),
    (
        "Mi paquete no ha llegado y el seguimiento no cambia",
        ComplaintCause::Logistics,
    ),
    ("杯子收到就是碎的，质量太差了", ComplaintCause::Quality),
    ("你们发错颜色了，我要的是蓝色", ComplaintCause::Quality),
    ("充电器用不了，插上没反应", ComplaintCause::Quality),
    ("这是假货吧，跟描述不符", ComplaintCause::Quality),
    (
        "The mug arrived broken and the handle is cracked",
        ComplaintCause::Quality,
    ),
    (
        "You sent the wrong size and it is poor quality",
        ComplaintCause::Quality,
    ),
    (
        "Der Mixer ist defekt und funktioniert nicht",
        ComplaintCause::Quality,
    ),
    (
        "L'article est cassé et ne fonctionne pas",
        ComplaintCause::Quality,
    ),
    (
        "El producto llegó roto y no funciona",
        ComplaintCause::Quality,
    ),
    ("同一个订单扣了两次钱，怎么回事", ComplaintCause::Billing),
    ("退款还没到账，已经一周了", ComplaintCause::Billing),
    (
        "You charged me twice for one order",
        ComplaintCause::Billing,
    ),
    (
        "Still no refund after two weeks, where is my refund?",
        ComplaintCause::Billing,
    ),
    (
        "Sie haben doppelt abgebucht, bitte korrigieren",
        ComplaintCause::Billing,
    ),
    (
        "J'ai été débité deux fois pour la même commande",
        ComplaintCause::Billing,
    ),
    (
        "Me cobraron dos veces el mismo pedido",
        ComplaintCause::Billing,
    ),
    ("客服态度太差了，问了三遍都不理人", ComplaintCause::Service),
    (
        "Your agent was rude and nobody answers my messages",
        ComplaintCause::Service,
    ),
    (
        "Der Kundenservice ist unfreundlich, keine Antwort seit Tagen",
        ComplaintCause::Service,
    ),
    (
        "Service client impoli, aucune réponse",
        ComplaintCause::Service,
    ),
    (
        "Atención al cliente grosera, sin respuesta",
        ComplaintCause::Service,
    ),
    ("太失望了", ComplaintCause::Other),
    ("This is unacceptable", ComplaintCause::Other),
];

#[test]
fn causes_are_told_apart_in_five_languages() {
    let wrong: Vec<String> = LABELLED
        .iter()
        .filter(|(text, cause)| complaint_cause(text) != *cause)
        .map(|(text, cause)| format!("{text}: {:?}, not {cause:?}", complaint_cause(text)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn recording_routes_by_cause_and_starts_the_report_back_clock() {
    let packs = PackSet::embedded().unwrap();
    for id in [
        "taobao",
        "tmall",
        "pinduoduo",
        "aliexpress",
        "ebay",
        "generic",
    ] {
        let pack = packs.get(id).unwrap();
        let r = complaint_recorded(pack, at(), "快递三天没动了", None);
        assert_eq!(r.rule, "COMPLAINT-FLOW", "{id}");
        assert_eq!(r.cause, ComplaintCause::Logistics, "{id}");
        assert_eq!(r.team.as_deref(), Some("logistics"), "{id}");
        let clock = r
            .open
            .first()
            .unwrap_or_else(|| panic!("{id}: no report-back clock"));
        assert_eq!(
            (clock.rule.as_str(), clock.clock, clock.due),
            (
                "COMPLAINT-FLOW",
                ClockKind::ReportBack,
                at() + Duration::hours(24)
            ),
            "{id}"
        );
        assert!(!clock.escalate_on_breach, "{id}: the desk's own target");
    }
    let taobao = packs.get("taobao").unwrap();
    // The agent's cause wins over the words.
    let r = complaint_recorded(
        taobao,
        at(),
        "快递三天没动了",
        Some(ComplaintCause::Billing),
    );
    assert_eq!(
        (r.cause, r.team.as_deref()),
        (ComplaintCause::Billing, Some("billing"))
    );
    // No team for "other": it stays where it is.
    assert_eq!(
        complaint_recorded(taobao, at(), "太失望了", None).team,
        None
    );
    // A shop names its own teams, or takes one away.
    let o = crate::ShopOverrides {
        complaint_teams: Some(BTreeMap::from([
            ("logistics".to_string(), "物流组".to_string()),
            ("quality".to_string(), String::new()),
        ])),
        ..Default::default()
    };
    let shop = taobao.with_overrides(&o).unwrap();
    assert_eq!(
        complaint_recorded(&shop, at(), "快递三天没动了", None)
            .team
            .as_deref(),
        Some("物流组")
    );
    assert_eq!(
        complaint_recorded(&shop, at(), "杯子碎了，质量太差", None).team,
        None
    );
    let bad = crate::ShopOverrides {
        complaint_teams: Some(BTreeMap::from([("weather".to_string(), "x".to_string())])),
        ..Default::default()
    };
    assert!(taobao.with_overrides(&bad).is_err());
    assert_eq!(complaint_resolved().close, vec![ClockKind::ReportBack]);
}

#[test]
fn a_low_rating_or_asking_for_a_manager_goes_to_a_supervisor() {
    let packs = PackSet::embedded().unwrap();
    let pack = packs.get("taobao").unwrap();
    assert!(still_unhappy(pack, Some(1), None).is_some());
    assert!(still_unhappy(pack, Some(2), None).is_some());
    assert!(still_unhappy(pack, Some(3), None).is_none());
    assert!(still_unhappy(pack, Some(5), None).is_none());
    for asks in [
        "叫你们领导来跟我说",
        "我要找你们经理",
        "I want to speak to a manager now",
        "Put me through to your supervisor",
        "Ich möchte Ihren Vorgesetzten sprechen",
        "Je veux parler à un responsable",
        "Quiero hablar con el encargado",
    ] {
        assert!(asks_for_manager(asks), "{asks}");
        let why = still_unhappy(pack, None, Some(asks)).unwrap();
        assert!(why.contains("COMPLAINT-FLOW"), "{why}");
    }
    for calm in [
        "请问什么时候发货",
        "Thanks, the parcel arrived",
        "Wann kommt mein Paket?",
    ] {
        assert!(!asks_for_manager(calm), "{calm}");
        assert!(still_unhappy(pack, Some(4), Some(calm)).is_none());
    }
}
