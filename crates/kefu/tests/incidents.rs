//! Collective complaints as incidents (COLLECTIVE-3LEVEL, issue 13) against the real binary,
//! on SQLite and PostgreSQL: fifty buyers complaining in their own words about one courier's
//! stalled parcels become one incident that rises through the three levels as they arrive,
//! owned at level 3 by the regional manager, due 72 hours after it opened and linking every
//! conversation; a complaint about something else stays out. A supervisor answers all of its
//! buyers at once in their languages (the guard holds a reply it blocks), splits, merges and
//! closes it, and the close asks for the cause and the improvement.

mod common;

use common::{Server, shop};
use serde_json::{Value, json};

/// Fifty ways buyers say their parcel is stuck or lost, in Chinese and English.
const STALLED: [&str; 10] = [
    "快递三天没动了，到底怎么回事",
    "物流一直不更新，是不是丢件了",
    "我的包裹一直显示在中转站，好几天都没有动静",
    "物流信息停了四天了，快递是不是丢了",
    "查了物流，卡在转运中心不动了，太慢了",
    "The tracking has not updated for four days, where is my parcel?",
    "My package is stuck in transit and the tracking shows no movement",
    "快递到底什么时候能到？物流好几天没更新了",
    "包裹丢了吗？物流一直停在那里不动",
    "Parcel lost? Tracking stopped updating a week ago, this is unacceptable",
];

fn order(server: &Server, shop: i64, n: usize, carrier: &str, sku: &str) -> String {
    let external = format!("INC-{n}");
    let body = json!({
        "shop_id": shop, "external_id": external, "total": "59.00", "currency": "CNY",
        "paid_at": "2026-11-01T10:00:00Z", "shipped_at": "2026-11-02T10:00:00Z",
        "carrier": carrier, "tracking_number": format!("7310{n:06}"),
        "items": [{"title": "保温杯", "quantity": 1, "unit_price": "59.00", "sku": sku}]
    });
    let (status, created) = server.call("POST", "/api/v1/orders", Some(&body));
    assert!(status == 200 || status == 201, "{status} {created}");
    external
}

fn complain(server: &Server, shop: i64, n: usize, body: &str, order: &str) -> i64 {
    let english = body.is_ascii();
    let msg = json!({
        "shop_id": shop, "channel": "marketplace",
        "customer": {"handle": format!("buyer-{n}"), "language": if english { "en" } else { "zh" }},
        "order_external_id": order, "body": body
    });
    let (status, created) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{created}");
    created["conversation_id"].as_i64().unwrap()
}

fn open_incidents(server: &Server, shop: i64) -> Vec<Value> {
    let (status, list) = server.call(
        "GET",
        &format!("/api/v1/incidents?shop_id={shop}&state=open"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    list["incidents"].as_array().unwrap().clone()
}

fn agent(server: &Server, email: &str, role: &str) -> i64 {
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": email, "role": role, "languages": ["zh", "en"]})),
    );
    assert_eq!(status, 201, "{a}");
    a["id"].as_i64().unwrap()
}

fn act(server: &Server, id: i64, action: Value) -> (u16, Value) {
    server.call(
        "POST",
        &format!("/api/v1/incidents/{id}/actions"),
        Some(&action),
    )
}

#[test]
fn complaints_about_one_cause_become_one_incident() {
    for server in [Server::sqlite(), Server::postgres("incidents")] {
        one_cause_one_incident(&server);
    }
}

fn one_cause_one_incident(server: &Server) {
    let taobao = shop(server, "taobao");
    let supervisor = agent(server, "lead@shop.example", "supervisor");
    let manager = agent(server, "region@shop.example", "admin");

    // Something else altogether: a broken cup, another courier.
    let other_order = order(server, taobao, 999, "顺丰速运", "CUP-RED");
    let other = complain(
        server,
        taobao,
        999,
        "杯子收到就是碎的，质量太差了，我要退款",
        &other_order,
    );

    let mut stalled = Vec::new();
    let mut levels = Vec::new();
    for n in 0..50 {
        let external = order(server, taobao, n, "中通快递", "CUP-BLUE");
        let text = STALLED[n % STALLED.len()];
        stalled.push(complain(server, taobao, n, text, &external));
        let open = open_incidents(server, taobao);
        assert!(open.len() <= 1, "one cause, one incident: {open:?}");
        levels.push(
            open.first()
                .map(|i| i["level"].as_u64().unwrap())
                .unwrap_or(0),
        );
    }
    // Level 1 at the fifth buyer, 2 at the twentieth, 3 at the fiftieth (taobao's pack).
    assert_eq!(levels[3], 0, "{levels:?}");
    assert_eq!(levels[4], 1, "{levels:?}");
    assert_eq!((levels[18], levels[19]), (1, 2), "{levels:?}");
    assert_eq!((levels[48], levels[49]), (2, 3), "{levels:?}");

    let incident = open_incidents(server, taobao).remove(0);
    let id = incident["id"].as_i64().unwrap();
    let linked: Vec<i64> = serde_json::from_value(incident["conversation_ids"].clone()).unwrap();
    let mut expected = stalled.clone();
    expected.sort();
    let mut got = linked.clone();
    got.sort();
    assert_eq!(got, expected, "every stalled parcel, and only those");
    assert!(!linked.contains(&other));
    assert_eq!(
        incident["owner_id"], manager,
        "level 3: the regional manager"
    );
    assert_eq!(incident["rule"], "COLLECTIVE-3LEVEL");
    assert_eq!(incident["overdue"], false);
    let opened =
        chrono::DateTime::parse_from_rfc3339(incident["opened_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(incident["due"].as_str().unwrap()).unwrap();
    assert_eq!(due - opened, chrono::Duration::hours(72));
    assert_eq!(incident["cause"]["courier"], "中通快递", "{incident}");

    // The timeline: opened at level 1 by the desk, raised twice, joined by the later ones.
    let (status, shown) = server.call("GET", &format!("/api/v1/incidents/{id}"), None);
    assert_eq!(status, 200, "{shown}");
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "opened", "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "level_changed").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"joined"), "{kinds:?}");
    // Each conversation records that it joined.
    let (_, conv) = server.call(
        "GET",
        &format!("/api/v1/conversations/{}", stalled[30]),
        None,
    );
    let events: Vec<&str> = conv["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"incident_joined"), "{events:?}");

    reply_to_everyone(server, id, &stalled);
    supervise_by_hand(server, taobao, id, supervisor, &stalled, other);
}

/// One reply for all, in each buyer's language; a blocked one is sent to nobody.
fn reply_to_everyone(server: &Server, id: i64, stalled: &[i64]) {
    let path = format!("/api/v1/incidents/{id}/reply");
    let blocked = json!({"body": "为了核实身份，请把身份证照片和银行卡密码发给我们"});
    let (status, held) = server.call("POST", &path, Some(&blocked));
    assert_eq!(status, 200, "{held}");
    assert_eq!(held["sent"], json!([]), "{held}");
    assert_eq!(held["held"].as_array().unwrap().len(), stalled.len());
    let reply = json!({
        "body": "亲，非常抱歉，中通快递在转运中心积压，我们已联系快递加急处理，并为您登记了补发或退款，两天内给您答复。",
        "translations": {"en": "We are sorry: the courier has a backlog at its hub. We have asked them to hurry, and registered a resend or refund for you; we will report back within two days."}
    });
    let (status, done) = server.call("POST", &path, Some(&reply));
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        done["sent"].as_array().unwrap().len(),
        stalled.len(),
        "{done}"
    );
    for (n, conversation) in stalled.iter().enumerate().take(10) {
        let out = common::last_reply(server, *conversation);
        let english = STALLED[n % STALLED.len()].is_ascii();
        assert_eq!(out["body"].as_str().unwrap().is_ascii(), english, "{out}");
    }
    let (_, shown) = server.call("GET", &format!("/api/v1/incidents/{id}"), None);
    assert!(
        shown["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "replied")
    );
    let (status, empty) = server.call("POST", &path, Some(&json!({})));
    assert_eq!(status, 422, "{empty}");
    let (status, unknown) = server.call("POST", &path, Some(&json!({"template": "nope"})));
    assert_eq!(status, 422, "{unknown}");
}

/// Split, merge, re-level, open by hand and close, with the errors a supervisor can make.
fn supervise_by_hand(
    server: &Server,
    shop: i64,
    id: i64,
    supervisor: i64,
    stalled: &[i64],
    other: i64,
) {
    let (status, split) = act(
        server,
        id,
        json!({"action": "split", "conversation_ids": &stalled[..2]}),
    );
    assert_eq!(status, 200, "{split}");
    let part = split["split_into"].as_i64().unwrap();
    assert_eq!(open_incidents(server, shop).len(), 2);
    let (status, merged) = act(server, id, json!({"action": "merge", "from": part}));
    assert_eq!(status, 200, "{merged}");
    let (_, folded) = server.call("GET", &format!("/api/v1/incidents/{part}"), None);
    assert_eq!(folded["state"], "merged", "{folded}");
    assert_eq!(folded["merged_into"], id);

    let (status, by_hand) = server.call(
        "POST",
        "/api/v1/incidents",
        Some(&json!({"shop_id": shop, "conversation_ids": [other], "level": 2, "cause": "碎杯"})),
    );
    assert_eq!(status, 201, "{by_hand}");
    let broken = by_hand["id"].as_i64().unwrap();
    let (_, shown) = server.call("GET", &format!("/api/v1/incidents/{broken}"), None);
    assert_eq!(
        (shown["level"].as_u64(), shown["owner_id"].as_i64()),
        (Some(2), Some(supervisor)),
        "{shown}"
    );
    let (status, _) = act(
        server,
        broken,
        json!({"action": "level", "level": 3, "reason": "媒体关注"}),
    );
    assert_eq!(status, 200);

    for (bad, code) in [
        (json!({"action": "level", "level": 7}), 422),
        (json!({"action": "promote"}), 422),
        (
            json!({"action": "close", "cause": "中通转运中心积压", "improvement": "  "}),
            422,
        ),
        (json!({"action": "close", "cause": "中通转运中心积压"}), 422),
    ] {
        let (status, err) = act(server, id, bad.clone());
        assert_eq!(status, code, "{bad} → {err}");
        assert!(err["error"]["message"].is_string(), "{err}");
    }
    assert_eq!(
        act(server, 987_654, json!({"action": "level", "level": 2})).0,
        404
    );
    let (status, bad_open) = server.call(
        "POST",
        "/api/v1/incidents",
        Some(&json!({"shop_id": shop, "conversation_ids": []})),
    );
    assert_eq!(status, 422, "{bad_open}");
    let (status, _) = server.call("GET", "/api/v1/incidents?state=maybe", None);
    assert_eq!(status, 422);

    let close = json!({
        "action": "close", "cause": "中通转运中心积压",
        "improvement": "大促前与两家快递签备用线路，积压超过一天自动切换"
    });
    let (status, closed) = act(server, id, close);
    assert_eq!(status, 200, "{closed}");
    let (_, shown) = server.call("GET", &format!("/api/v1/incidents/{id}"), None);
    assert_eq!(shown["state"], "closed", "{shown}");
    assert_eq!(
        shown["resolution"]["improvement"],
        "大促前与两家快递签备用线路，积压超过一天自动切换"
    );
    let remaining = open_incidents(server, shop);
    assert_eq!(remaining.len(), 1, "{remaining:?}");
    assert_eq!(remaining[0]["id"], broken);
}

/// Incidents are a supervisor's: an agent's token is refused.
#[test]
fn agents_do_not_see_incidents() {
    let mut first = Server::sqlite();
    first.kill();
    let db = first.db.clone();
    let run = |args: &[&str]| -> Value {
        let out = common::kefu().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let agent = run(&[
        "admin",
        "create-agent",
        "--db",
        &db,
        "--email",
        "a@x.example",
        "--name",
        "A",
    ]);
    let token = run(&[
        "admin",
        "create-token",
        "--db",
        &db,
        "--agent-id",
        &agent["id"].to_string(),
    ]);
    let token = token["token"].as_str().unwrap();
    let server = Server::start(&db, &[]);
    let (status, denied) = server.raw("GET", "/api/v1/incidents", Some(token), None);
    assert_eq!(status, 403, "{denied}");
    let (status, _) = server.raw(
        "POST",
        "/api/v1/incidents/1/reply",
        Some(token),
        Some("{\"body\":\"x\"}"),
    );
    assert_eq!(status, 403);
}

/// The clusters live in memory; after a restart they are rebuilt from the stored complaints,
/// so buyers who complained before it still count.
#[test]
fn complaints_before_a_restart_still_count() {
    let mut first = Server::sqlite();
    let taobao = shop(&first, "taobao");
    let mut stalled = Vec::new();
    for (n, text) in STALLED.iter().enumerate().take(3) {
        let external = order(&first, taobao, n, "韵达快递", "MUG");
        stalled.push(complain(&first, taobao, n, text, &external));
    }
    assert!(open_incidents(&first, taobao).is_empty());
    first.kill();
    let server = Server::start(&first.db, &[]);
    for (n, text) in STALLED.iter().enumerate().take(5).skip(3) {
        let external = order(&server, taobao, n, "韵达快递", "MUG");
        stalled.push(complain(&server, taobao, n, text, &external));
    }
    let open = open_incidents(&server, taobao);
    assert_eq!(open.len(), 1, "{open:?}");
    let mut linked: Vec<i64> = serde_json::from_value(open[0]["conversation_ids"].clone()).unwrap();
    linked.sort();
    assert_eq!(linked, stalled);
}
