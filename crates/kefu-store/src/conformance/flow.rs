//! Conformance: steps of a conversation's flow that move its clocks (COMPLAINT-FLOW).

use super::*;

/// A flow step moves clocks with its own event: a complaint recorded opens the report-back
/// clock (once), its resolution meets it (COMPLAINT-FLOW).
pub async fn flow_steps_move_clocks_with_their_event(store: &Arc<dyn Store>) {
    let s = shop(store, "Flow", Platform::Taobao).await;
    let c = store
        .ingest(inbound(s, "fs1", "杯子碎了", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let step = |kind: &str, at: &str, closes: &[&str], opens: Vec<ClockOpen>| crate::FlowStep {
        conversation_id: c,
        at: t(at),
        actor: "desk".into(),
        kind: kind.into(),
        data: serde_json::json!({"cause": "quality"}),
        closes: closes.iter().map(|c| c.parse().unwrap()).collect(),
        opens,
    };
    let report_back = || {
        vec![obligation(
            "COMPLAINT-FLOW",
            "report_back",
            "2026-11-12T10:00:00Z",
            Severity::Target,
        )]
    };
    for _ in 0..2 {
        store
            .record_step(step(
                "complaint_recorded",
                "2026-11-11T10:00:00Z",
                &[],
                report_back(),
            ))
            .await
            .unwrap();
    }
    let open = |d: &crate::ConversationDetail| {
        d.obligations
            .iter()
            .filter(|o| o.rule == "COMPLAINT-FLOW" && o.state == ObligationState::Open)
            .count()
    };
    let d = store.conversation(c).await.unwrap().unwrap();
    assert_eq!(open(&d), 1, "a running clock is not started twice");
    let recorded = d
        .events
        .iter()
        .find(|e| e.kind == "complaint_recorded")
        .unwrap();
    assert_eq!(recorded.data["cause"], "quality");
    assert_eq!(
        recorded.data["obligations_opened"][0]["rule"],
        "COMPLAINT-FLOW"
    );
    store
        .record_step(step(
            "complaint_resolved",
            "2026-11-11T15:00:00Z",
            &["report_back"],
            vec![],
        ))
        .await
        .unwrap();
    let d = store.conversation(c).await.unwrap().unwrap();
    assert_eq!(open(&d), 0);
    let met = d
        .obligations
        .iter()
        .find(|o| o.rule == "COMPLAINT-FLOW")
        .unwrap();
    assert_eq!(met.state, ObligationState::Met);
    assert!(
        store
            .record_step(crate::FlowStep {
                conversation_id: 999_999,
                ..step("complaint_resolved", "2026-11-11T15:00:00Z", &[], vec![])
            })
            .await
            .is_err()
    );
}
