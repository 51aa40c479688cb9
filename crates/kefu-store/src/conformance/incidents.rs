//! Conformance: incidents (COLLECTIVE-3LEVEL) — opened with their conversations, joined,
//! re-levelled, split, merged and closed, each with its timeline; complaints read back.

use super::*;
use crate::incidents::{IncidentChange, NewIncident, incident_event, incident_state};

pub async fn incidents_keep_their_conversations_and_timeline(store: &Arc<dyn Store>) {
    let s = shop(store, "Incidents", Platform::Taobao).await;
    let other_shop = shop(store, "Elsewhere", Platform::Taobao).await;
    // The first complaint's order has a delivery postcode: it is read back with it.
    store
        .upsert_order(crate::NewOrder {
            shop_id: s,
            external_id: "INC-1".into(),
            total: Money::parse("39.00", "CNY").unwrap(),
            paid_at: t("2026-11-18T10:00:00Z"),
            promised_ship_by: None,
            shipped_at: None,
            carrier: Some("中通快递".into()),
            tracking_number: None,
            delivered_at: None,
            closed_at: None,
            promises: vec![],
            items: vec![],
            buyer: crate::OrderBuyer {
                postcode: Some("310012".into()),
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let mut convs = Vec::new();
    for (i, buyer) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let mut m = inbound(
            s,
            buyer,
            "快递三天没动了",
            &format!("2026-11-20T08:0{i}:00Z"),
        );
        m.complaint = true;
        if i == 1 {
            m.order_external_id = Some("INC-1".into());
        }
        convs.push(store.ingest(m).await.unwrap().conversation_id);
    }
    let quiet = store
        .ingest(inbound(s, "f", "有现货吗", "2026-11-20T08:09:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let elsewhere = store
        .ingest(inbound(other_shop, "g", "物流不动", "2026-11-20T08:09:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let complaints = store
        .complaints_since(t("2026-11-20T08:01:00Z"))
        .await
        .unwrap();
    let ids: Vec<i64> = complaints.iter().map(|c| c.conversation_id).collect();
    assert_eq!(
        ids,
        convs[1..].to_vec(),
        "complaints from the time on, oldest first"
    );
    assert_eq!(complaints[0].text, "快递三天没动了");
    assert_eq!(
        (
            complaints[0].carrier.as_deref(),
            complaints[0].postcode.as_deref()
        ),
        (Some("中通快递"), Some("310012"))
    );
    assert_eq!(complaints[1].postcode, None);

    let id = store
        .open_incident(NewIncident {
            tenant_id: DEFAULT_TENANT,
            shop_id: s,
            level: 1,
            rule: "COLLECTIVE-3LEVEL".into(),
            cause: serde_json::json!({"concepts": ["SHIPMENT", "STALLED"]}),
            opened_at: t("2026-11-20T09:00:00Z"),
            due: Some(t("2026-11-23T09:00:00Z")),
            owner_id: None,
            conversation_ids: convs[..3].to_vec(),
            actor: "desk".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.open_incident_of(vec![convs[1], quiet]).await.unwrap(),
        Some(id)
    );
    assert_eq!(store.open_incident_of(vec![quiet]).await.unwrap(), None);
    let at = t("2026-11-20T10:00:00Z");
    let joined = store
        .change_incident(id, IncidentChange::Join(convs[2..].to_vec()), "desk", at)
        .await
        .unwrap();
    assert_eq!(joined.joined, convs[3..].to_vec(), "only the new ones join");
    let wrong_shop = store
        .change_incident(id, IncidentChange::Join(vec![elsewhere]), "desk", at)
        .await;
    assert!(
        matches!(wrong_shop, Err(StoreError::Invalid(_))),
        "{wrong_shop:?}"
    );
    store
        .change_incident(
            id,
            IncidentChange::Level {
                level: 3,
                owner_id: None,
                reason: "raised".into(),
            },
            "agent:1",
            at,
        )
        .await
        .unwrap();
    let split = store
        .change_incident(id, IncidentChange::Split(vec![convs[4]]), "agent:1", at)
        .await
        .unwrap()
        .split_into
        .unwrap();
    let all = store
        .incidents(
            DEFAULT_TENANT,
            Some(vec![s]),
            Some(incident_state::OPEN.into()),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let (first, events) = store.incident(id).await.unwrap().unwrap();
    assert_eq!((first.level, first.conversation_ids.len()), (3, 4));
    assert_eq!(first.due, Some(t("2026-11-23T09:00:00Z")));
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            incident_event::OPENED,
            incident_event::JOINED,
            incident_event::LEVEL_CHANGED,
            incident_event::SPLIT
        ]
    );
    store
        .change_incident(id, IncidentChange::Merge { from: split }, "agent:1", at)
        .await
        .unwrap();
    let (merged, _) = store.incident(split).await.unwrap().unwrap();
    assert_eq!(
        (merged.state.as_str(), merged.merged_into),
        (incident_state::MERGED, Some(id))
    );
    let resolution =
        serde_json::json!({"cause": "courier depot closed", "improvement": "second courier"});
    store
        .change_incident(id, IncidentChange::Close(resolution.clone()), "agent:1", at)
        .await
        .unwrap();
    let (closed, _) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.resolution),
        (incident_state::CLOSED, Some(resolution))
    );
    assert_eq!(closed.conversation_ids.len(), 5);
    let again = store
        .change_incident(id, IncidentChange::Join(vec![quiet]), "desk", at)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert!(matches!(
        store
            .change_incident(9999, IncidentChange::Join(vec![]), "desk", at)
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Each conversation's thread says it joined.
    let d = store.conversation(convs[0]).await.unwrap().unwrap();
    assert!(
        d.events
            .iter()
            .any(|e| e.kind == event_kind::INCIDENT_JOINED)
    );
    assert!(
        store
            .incidents(DEFAULT_TENANT + 1, None, None)
            .await
            .unwrap()
            .is_empty()
    );
}
