//! The supervisor's figures read from the store equal the oracle's: a random history driven
//! through the store's real writes, modelled alongside by the test, gives the same KPIs
//! (`kefu_kpi::kpis`) from the store's facts as from the model's.

use super::*;
use crate::KpiQuery;
use crate::rollup::report_totals;
use kefu_kpi::{ConversationFacts, Kpis, Period, Totals, grouped, kpis, period::local_day};

/// A small deterministic generator (no dependency; the same history on every backend).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What the model knows of a conversation besides its facts.
struct Modelled {
    facts: ConversationFacts,
    status: ConversationStatus,
}

/// One step of the history: a buyer writes, the desk replies, resolves or is rated.
async fn step(
    store: &Arc<dyn Store>,
    shop_id: i64,
    rng: &mut Lcg,
    now: DateTime<Utc>,
    model: &mut Vec<Modelled>,
) {
    // Buyers come and go over the days, a few at a time.
    let buyer = now.timestamp() / 86_400 % 7 * 2 + rng.below(6) as i64;
    let handle = format!("b{buyer}");
    let order = (buyer % 3 != 0).then(|| format!("O{}", buyer % 2));
    let open = model.iter().rposition(|m| {
        m.facts.customer == handle && !matches!(m.status, ConversationStatus::Closed)
    });
    match (open, rng.below(6)) {
        (Some(i), 0) if model[i].status != ConversationStatus::Resolved => {
            let closes = if rng.below(2) == 0 {
                vec![]
            } else {
                vec!["first_response"]
            };
            let id = model[i].facts.id;
            store
                .add_reply(reply(id, &now.to_rfc3339(), &closes))
                .await
                .unwrap();
            let m = &mut model[i];
            m.facts.first_reply_at.get_or_insert(now);
            if !closes.is_empty() && m.facts.first_response_due.is_some() {
                m.facts.first_response_met_at.get_or_insert(now);
            }
            m.status = m.status.after_reply();
        }
        (Some(i), 1) if model[i].status != ConversationStatus::Resolved => {
            let id = model[i].facts.id;
            store
                .set_status(StatusChange {
                    conversation_id: id,
                    status: ConversationStatus::Resolved,
                    actor: "test".into(),
                    at: now,
                    reason: None,
                    closes_clocks: vec![],
                    opens: vec![],
                })
                .await
                .unwrap();
            model[i].facts.resolved_at.push(now);
            model[i].status = ConversationStatus::Resolved;
        }
        (Some(i), 2) if model[i].facts.rating.is_none() => {
            let score = 1 + rng.below(5) as u8;
            let id = model[i].facts.id;
            store
                .log_event(
                    id,
                    now,
                    event_kind::CSAT_RATED,
                    "test",
                    serde_json::json!({"score": score}),
                )
                .await
                .unwrap();
            model[i].facts.rating = Some(score);
        }
        (Some(i), 3) if model[i].status == ConversationStatus::Resolved => {
            let id = model[i].facts.id;
            store
                .set_status(StatusChange {
                    conversation_id: id,
                    status: ConversationStatus::Closed,
                    actor: "test".into(),
                    at: now,
                    reason: None,
                    closes_clocks: vec![],
                    opens: vec![],
                })
                .await
                .unwrap();
            model[i].status = ConversationStatus::Closed;
        }
        _ => buyer_writes(store, shop_id, rng, now, &handle, order, model).await,
    }
}

async fn buyer_writes(
    store: &Arc<dyn Store>,
    shop_id: i64,
    rng: &mut Lcg,
    now: DateTime<Utc>,
    handle: &str,
    order: Option<String>,
    model: &mut Vec<Modelled>,
) {
    let complaint = rng.below(3) == 0;
    let due = now + Duration::minutes(30 + 30 * rng.below(4) as i64);
    let mut m = inbound(shop_id, handle, "where is my parcel?", &now.to_rfc3339());
    m.order_external_id = order.clone();
    m.complaint = complaint;
    m.first_contact_obligations = vec![obligation(
        "EBAY-FRT-24H",
        "first_response",
        &due.to_rfc3339(),
        Severity::Platform,
    )];
    let out = store.ingest(m).await.unwrap();
    if out.new_conversation {
        model.push(Modelled {
            facts: ConversationFacts {
                id: out.conversation_id,
                shop_id,
                customer: handle.into(),
                order,
                first_inbound: now,
                first_response_due: Some(due),
                needed_answer: true,
                complaint,
                ..ConversationFacts::default()
            },
            status: ConversationStatus::New,
        });
        return;
    }
    let c = model
        .iter_mut()
        .find(|c| c.facts.id == out.conversation_id)
        .expect("a continued conversation the model knows");
    if c.status == ConversationStatus::Resolved {
        c.facts.reopened_at.push(now);
    }
    c.facts.complaint |= complaint;
    c.status = c.status.after_inbound();
}

pub async fn kpis_equal_the_oracle(store: &Arc<dyn Store>) {
    let shop_id = shop(store, "reports", Platform::Ebay).await;
    for n in 0..2 {
        store
            .upsert_order(NewOrder {
                shop_id,
                external_id: format!("O{n}"),
                total: Money::parse("20.00", "USD").unwrap(),
                paid_at: t("2026-10-01T00:00:00Z"),
                promised_ship_by: None,
                shipped_at: None,
                carrier: None,
                tracking_number: None,
                delivered_at: None,
                closed_at: None,
                promises: vec![],
                items: vec![],
                buyer: Default::default(),
            })
            .await
            .unwrap();
    }
    let start = t("2026-11-02T00:00:00Z");
    let mut rng = Lcg(11);
    let mut model = Vec::new();
    for i in 0..1500 {
        let now = start + Duration::minutes(6 * i);
        step(store, shop_id, &mut rng, now, &mut model).await;
        // The rollups follow as the history is written, a part at a time.
        if i % 97 == 0 {
            store.refresh_kpis(40).await.unwrap();
        }
    }
    let period = Period::new(start + Duration::days(1), start + Duration::days(6)).unwrap();
    let q = KpiQuery {
        tenant_id: DEFAULT_TENANT,
        shop_ids: Some(vec![shop_id]),
        from: period.from,
        to: period.to,
    };
    let stored = store.kpi_facts(q.clone()).await.unwrap();
    let mine: Vec<ConversationFacts> = model
        .into_iter()
        .map(|m| {
            let mut f = m.facts;
            // Its one first-reply clock once a reply settled it, met or not by its due time
            // (the history runs no sweep, so no clock breaches).
            if f.first_response_met_at.is_some() {
                f.clocks = vec![("EBAY-FRT-24H".to_string(), f.first_response_met())];
            }
            f
        })
        .collect();
    for f in mine.iter().filter(|f| period.contains(f.first_inbound)) {
        let s = stored
            .iter()
            .find(|s| s.id == f.id)
            .expect("the period's conversation");
        assert_eq!(s, f, "facts of conversation {}", f.id);
    }
    let (from_store, oracle) = (kpis(&stored, &stored, &period), kpis(&mine, &mine, &period));
    assert!(
        oracle.conversations > 30 && oracle.complaints > 5 && oracle.csat.responses > 5,
        "{oracle:?}"
    );
    assert!(
        oracle.repeat_complaints > 0 && oracle.resolved > 0,
        "a history that tests little: {oracle:?}"
    );
    assert_eq!(from_store, oracle);
    // Another shop's conversations are not in this shop's figures; the tenant's are.
    let other = shop(store, "other", Platform::Taobao).await;
    store
        .ingest(inbound(
            other,
            "x",
            "hi",
            &(start + Duration::days(2)).to_rfc3339(),
        ))
        .await
        .unwrap();
    assert_eq!(
        kpis(&store.kpi_facts(q.clone()).await.unwrap(), &[], &period).conversations,
        oracle.conversations
    );
    let all = KpiQuery {
        shop_ids: None,
        ..q
    };
    assert_eq!(
        kpis(&store.kpi_facts(all).await.unwrap(), &[], &period).conversations,
        oracle.conversations + 1
    );
    rollups_equal_the_oracle(store, shop_id, &mine, period).await;
}

/// The figures the rollups give — whole shop days, partial days, grouped by day — equal the
/// oracle's, and rebuilding the rollups from the event log gives them again.
async fn rollups_equal_the_oracle(
    store: &Arc<dyn Store>,
    shop_id: i64,
    mine: &[ConversationFacts],
    week: Period,
) {
    let tz: chrono_tz::Tz = Platform::Ebay.default_timezone().parse().unwrap();
    let shops = [(shop_id, tz)];
    let periods = [
        week,
        Period::new(
            week.from + Duration::hours(7),
            week.to - Duration::hours(30),
        )
        .unwrap(),
        Period::day(local_day(week.from + Duration::days(2), tz), tz),
        Period::new(
            week.from + Duration::hours(3),
            week.from + Duration::hours(5),
        )
        .unwrap(),
    ];
    for round in ["incremental", "rebuilt"] {
        store.refresh_all_kpis().await.unwrap();
        assert_eq!(store.kpi_pending().await.unwrap(), 0);
        for p in &periods {
            let whole = report_totals(&**store, &shops, p, |_| ()).await.unwrap();
            let got = whole.get(&()).map(Totals::kpis).unwrap_or_default();
            assert_eq!(got, kpis(mine, mine, p), "{round}: period {p:?}");
            let by_day = report_totals(&**store, &shops, p, |c| c.1).await.unwrap();
            let oracle = grouped(mine, p, |c| local_day(c.first_inbound, tz));
            let got: std::collections::BTreeMap<_, Kpis> =
                by_day.iter().map(|(d, t)| (*d, t.kpis())).collect();
            assert_eq!(got, oracle, "{round}: by day, period {p:?}");
        }
        store.rebuild_kpis().await.unwrap();
        assert!(store.kpi_pending().await.unwrap() > 0);
    }
}
