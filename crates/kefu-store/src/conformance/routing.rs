//! Conformance: who gets a conversation.

use super::*;

pub async fn conversations_are_routed_to_available_agents(store: &Arc<dyn Store>) {
    let s = shop(store, "AliExpress", Platform::Aliexpress).await;
    let agent = |email: &str, langs: &[&str]| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: langs.iter().map(|l| l.to_string()).collect(),
        password_hash: None,
    };
    let lucia = store
        .create_agent(agent("lucia@x", &["es", "de"]))
        .await
        .unwrap()
        .id;
    let sam = store
        .create_agent(agent("sam@x", &["en"]))
        .await
        .unwrap()
        .id;
    let at = t("2026-11-11T10:00:00Z");
    let mut german = inbound(s, "klaus", "Wo ist mein Paket?", "2026-11-11T10:00:00Z");
    german.language = Some("de".into());
    let de = store.ingest(german).await.unwrap().conversation_id;
    let en1 = store
        .ingest(inbound(s, "amy", "Where is it?", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    let en2 = store
        .ingest(inbound(s, "bob", "Any news?", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(de, at).await.unwrap(),
        Some(lucia),
        "the agent who speaks German"
    );
    assert_eq!(
        store.assign(en1, at).await.unwrap(),
        Some(sam),
        "the agent who speaks English"
    );
    assert_eq!(
        store.assign(en2, at).await.unwrap(),
        Some(sam),
        "language before load"
    );
    let d = store.conversation(de).await.unwrap().unwrap();
    assert_eq!(d.conversation.assignee_id, Some(lucia));
    assert!(d.events.iter().any(|e| e.kind == "assigned"));

    // Sam goes off shift: his open conversations move to Lucía, the only one left.
    let moved = store.set_availability(sam, false, at).await.unwrap();
    assert_eq!(moved, vec![en1, en2]);
    assert_eq!(
        store
            .conversation(en1)
            .await
            .unwrap()
            .unwrap()
            .conversation
            .assignee_id,
        Some(lucia)
    );
    // Nobody available: it waits unassigned.
    store.set_availability(lucia, false, at).await.unwrap();
    assert_eq!(
        store
            .conversation(de)
            .await
            .unwrap()
            .unwrap()
            .conversation
            .assignee_id,
        None
    );
    assert_eq!(store.assign(de, at).await.unwrap(), None);
    assert!(
        store
            .set_availability(sam, true, at)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.assign(de, at).await.unwrap(),
        Some(sam),
        "whoever is back takes it"
    );
    assert!(matches!(
        store.set_availability(999_999, true, at).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An agent limited to other shops is not given this shop's conversations.
    let other = shop(store, "Other AliExpress", Platform::Aliexpress).await;
    let nina = store
        .create_agent(agent("nina@x", &["en", "es", "de"]))
        .await
        .unwrap()
        .id;
    store.set_agent_shops(nina, vec![other]).await.unwrap();
    assert_eq!(store.agent_shops(nina).await.unwrap(), vec![other]);
    store.set_availability(lucia, false, at).await.unwrap();
    store.set_availability(sam, false, at).await.unwrap();
    let late = store
        .ingest(inbound(s, "carl", "Hello?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(late, at).await.unwrap(),
        None,
        "nina works for the other shop only"
    );
    let theirs = store
        .ingest(inbound(other, "dora", "Hello?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(store.assign(theirs, at).await.unwrap(), Some(nina));
    store.set_agent_shops(nina, vec![]).await.unwrap();
    assert!(store.agent_shops(nina).await.unwrap().is_empty());
    assert!(store.set_agent_shops(nina, vec![999_999]).await.is_err());
}

/// A round-robin shop gives the next conversation to whoever waited longest, whatever their
/// load; nobody is given more than their limit of open conversations; a least-load shop breaks
/// a tie on load by who waited longest.
pub async fn routing_modes_and_room(store: &Arc<dyn Store>) {
    let rr = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "Round robin".into(),
            platform: Platform::Taobao,
            timezone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
            pack: "taobao".into(),
            settings: serde_json::json!({"routing": "round_robin"}),
        })
        .await
        .unwrap()
        .id;
    let agent = |email: &str| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: vec!["zh".into()],
        password_hash: None,
    };
    let ada = store.create_agent(agent("ada@rr")).await.unwrap().id;
    let bo = store.create_agent(agent("bo@rr")).await.unwrap().id;
    let conversation = |n: usize| {
        let buyer = format!("buyer{n}");
        async move {
            store
                .ingest(inbound(rr, &buyer, "在吗?", "2026-11-11T10:00:00Z"))
                .await
                .unwrap()
                .conversation_id
        }
    };
    // A supervisor gave Ada two by hand: she carries load but was never routed to.
    let at = t("2026-11-11T10:00:00Z");
    for n in 0..2 {
        let id = conversation(n).await;
        store.assign_to(id, Some(ada), "sup", at).await.unwrap();
    }
    let c = conversation(2).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:01:00Z")).await.unwrap(),
        Some(ada),
        "round robin: neither was routed to yet, the lower id first, whatever the load"
    );
    let c = conversation(3).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:02:00Z")).await.unwrap(),
        Some(bo),
        "round robin: Bo waited longest"
    );
    let c = conversation(4).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:03:00Z")).await.unwrap(),
        Some(ada)
    );
    // Ada is full (an agent takes 25 open conversations at most): Bo takes the next ones,
    // although Ada waited longer.
    for n in 5..27 {
        let id = conversation(n).await;
        store.assign_to(id, Some(ada), "sup", at).await.unwrap();
    }
    let c = conversation(27).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:04:00Z")).await.unwrap(),
        Some(bo)
    );
    let c = conversation(28).await;
    assert_eq!(
        store.assign(c, t("2026-11-11T10:05:00Z")).await.unwrap(),
        Some(bo),
        "Ada has no room"
    );
    // Least load (another shop, same agents): the less loaded one.
    let ll = shop(store, "Least load", Platform::Taobao).await;
    let c = store
        .ingest(inbound(ll, "x", "在吗?", "2026-11-11T11:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(
        store.assign(c, t("2026-11-11T11:00:00Z")).await.unwrap(),
        Some(bo)
    );
}

pub async fn high_value_orders_go_to_their_team(store: &Arc<dyn Store>) {
    let s = shop(store, "eBay HV", Platform::Ebay).await;
    let agent = |email: &str| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: vec!["en".into()],
        password_hash: None,
    };
    let ann = store.create_agent(agent("ann@hv")).await.unwrap().id;
    let ben = store.create_agent(agent("ben@hv")).await.unwrap().id;
    store
        .create_team(crate::NewTeam {
            tenant_id: DEFAULT_TENANT,
            name: "High value".into(),
            high_value: true,
            routing: "round_robin".into(),
            members: vec![ben],
        })
        .await
        .unwrap();
    let teams = store.teams(DEFAULT_TENANT).await.unwrap();
    let hv_team = teams.iter().find(|t| t.name == "High value").unwrap();
    assert_eq!(
        (hv_team.high_value, hv_team.routing.as_str()),
        (true, "round_robin")
    );
    assert_eq!(hv_team.members, vec![ben]);
    assert!(store.teams(77).await.unwrap().is_empty());
    let at = t("2026-11-11T10:00:00Z");
    let high = |buyer: &str| {
        let mut m = inbound(s, buyer, "About my $899 camera", "2026-11-11T10:00:00Z");
        m.first_contact_obligations = vec![obligation(
            "EBAY-HIGHVALUE-12H",
            "high_value_response",
            "2026-11-11T22:00:00Z",
            Severity::Platform,
        )];
        m.high_value = true;
        m
    };
    // Ben already has one conversation; a high-value one still goes to him, the team's.
    let plain = store
        .ingest(inbound(s, "p1", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    store.set_availability(ann, false, at).await.unwrap();
    assert_eq!(store.assign(plain, at).await.unwrap(), Some(ben));
    store.set_availability(ann, true, at).await.unwrap();
    let hv = store.ingest(high("h1")).await.unwrap().conversation_id;
    assert_eq!(
        store.assign(hv, at).await.unwrap(),
        Some(ben),
        "the high-value team"
    );
    // An ordinary conversation goes by load: Ann has none.
    let other = store
        .ingest(inbound(s, "p2", "hi", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    assert_eq!(store.assign(other, at).await.unwrap(), Some(ann));
    // The rulebook's routing need decides, not a clock's name: the same clock without it
    // goes by load (Ann has one, Ben two).
    let mut clock_only = high("h0");
    clock_only.high_value = false;
    let c0 = store.ingest(clock_only).await.unwrap().conversation_id;
    assert_eq!(store.assign(c0, at).await.unwrap(), Some(ann));
    // With the team away, a high-value conversation still reaches someone.
    store.set_availability(ben, false, at).await.unwrap();
    let hv2 = store.ingest(high("h2")).await.unwrap().conversation_id;
    assert_eq!(store.assign(hv2, at).await.unwrap(), Some(ann));
}

/// COMPLAINT-FLOW's routing: a complaint goes to a member of the team for its cause who has
/// room, and stays where it is when none has; a team of another tenant is not found.
pub async fn complaints_go_to_the_team_for_their_cause(store: &Arc<dyn Store>) {
    let s = shop(store, "Taobao complaints", Platform::Taobao).await;
    let agent = |email: &str| NewAgent {
        tenant_id: DEFAULT_TENANT,
        email: email.into(),
        name: email.into(),
        role: Role::Agent,
        languages: vec!["zh".into()],
        password_hash: None,
    };
    let amy = store.create_agent(agent("amy@cf")).await.unwrap().id;
    let bo = store.create_agent(agent("bo@cf")).await.unwrap().id;
    let team = store
        .create_team(crate::NewTeam {
            tenant_id: DEFAULT_TENANT,
            name: "logistics".into(),
            high_value: false,
            routing: "least_load".into(),
            members: vec![bo],
        })
        .await
        .unwrap();
    let at = t("2026-11-11T10:00:00Z");
    let c = store
        .ingest(inbound(s, "cf1", "快递三天没动了", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    store.assign_to(c, Some(amy), "agent:1", at).await.unwrap();
    assert_eq!(
        store.assign_to_team(c, team, at, "desk").await.unwrap(),
        Some(bo),
        "the team's member takes it"
    );
    let detail = store.conversation(c).await.unwrap().unwrap();
    assert_eq!(detail.conversation.assignee_id, Some(bo));
    let assigned = detail
        .events
        .iter()
        .rfind(|e| e.kind == "assigned")
        .unwrap();
    assert_eq!(assigned.data["team_id"], team, "{:?}", assigned.data);
    // Already with the team: nothing changes, nothing logged.
    let events = detail.events.len();
    assert_eq!(
        store.assign_to_team(c, team, at, "desk").await.unwrap(),
        Some(bo)
    );
    assert_eq!(
        store.conversation(c).await.unwrap().unwrap().events.len(),
        events
    );
    // Nobody of the team has room: it stays with Amy.
    let d = store
        .ingest(inbound(s, "cf2", "物流不更新", "2026-11-11T10:00:00Z"))
        .await
        .unwrap()
        .conversation_id;
    store.assign_to(d, Some(amy), "agent:1", at).await.unwrap();
    store.set_availability(bo, false, at).await.unwrap();
    assert_eq!(
        store.assign_to_team(d, team, at, "desk").await.unwrap(),
        Some(amy)
    );
    assert!(matches!(
        store.assign_to_team(d, team + 1000, at, "desk").await,
        Err(crate::StoreError::NotFound(_))
    ));
}
