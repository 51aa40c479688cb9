//! The complaint flow (COMPLAINT-FLOW, issue 13) against the real binary, on SQLite and
//! PostgreSQL: a buyer's complaint is recorded with its cause, goes to the team for that cause
//! with a report-back clock of 24 hours; the agent corrects the cause; the resolution summary
//! meets the clock (once); a buyer who rates it 2 stars, or asks for a manager, is escalated to
//! a supervisor; a question is no complaint.

mod common;

use common::{Server, shop};
use serde_json::{Value, json};

fn agent(server: &Server, email: &str, role: &str) -> i64 {
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": email, "role": role, "languages": ["zh"]})),
    );
    assert_eq!(status, 201, "{a}");
    a["id"].as_i64().unwrap()
}

fn write(server: &Server, shop: i64, buyer: &str, body: &str) -> i64 {
    let msg = json!({
        "shop_id": shop, "channel": "marketplace",
        "customer": {"handle": buyer, "language": "zh"}, "body": body
    });
    let (status, created) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{created}");
    created["conversation_id"].as_i64().unwrap()
}

fn conversation(server: &Server, id: i64) -> Value {
    let (status, c) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(status, 200, "{c}");
    c
}

fn report_back(c: &Value) -> Vec<Value> {
    c["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"] == "COMPLAINT-FLOW")
        .cloned()
        .collect()
}

#[test]
fn a_complaint_is_recorded_routed_reported_back_and_summarised() {
    for server in [Server::sqlite(), Server::postgres("complaints")] {
        the_flow(&server);
    }
}

fn the_flow(server: &Server) {
    let taobao = shop(server, "taobao");
    agent(server, "amy@shop.example", "agent");
    let bo = agent(server, "bo@shop.example", "agent");
    agent(server, "lead@shop.example", "supervisor");
    let (status, team) = server.call(
        "POST",
        "/api/v1/teams",
        Some(&json!({"name": "logistics", "members": [bo]})),
    );
    assert_eq!(status, 201, "{team}");

    // Recorded with its cause, routed to the logistics team, a report-back clock of 24 h.
    let id = write(
        server,
        taobao,
        "buyer-1",
        "快递三天没动了，物流一直不更新，怎么回事",
    );
    let c = conversation(server, id);
    assert_eq!(c["complaint_flow"]["cause"], "logistics", "{c}");
    assert_eq!(c["complaint_flow"]["team"], "logistics");
    assert_eq!(c["assignee_id"], bo, "the logistics team's member");
    let clocks = report_back(&c);
    assert_eq!(clocks.len(), 1, "{clocks:?}");
    assert_eq!(clocks[0]["clock"], "report_back");
    assert_eq!(clocks[0]["state"], "open");
    let opened =
        chrono::DateTime::parse_from_rfc3339(clocks[0]["opened_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(clocks[0]["due"].as_str().unwrap()).unwrap();
    assert_eq!(due - opened, chrono::Duration::hours(24));
    // The buyer writes again about it: still one record, one clock.
    write(server, taobao, "buyer-1", "还是没动，太慢了");
    assert_eq!(report_back(&conversation(server, id)).len(), 1);

    // The agent corrects the cause: quality has no team here, so it stays with Bo.
    let path = format!("/api/v1/conversations/{id}/complaint");
    let (status, marked) = server.call(
        "POST",
        &path,
        Some(&json!({"complaint": true, "cause": "quality"})),
    );
    assert_eq!(status, 200, "{marked}");
    assert_eq!(marked["flow"]["cause"], "quality", "{marked}");
    assert_eq!(marked["assignee_id"], bo);
    let (status, bad) = server.call(
        "POST",
        &path,
        Some(&json!({"complaint": true, "cause": "weather"})),
    );
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("weather")
    );

    // The resolution summary meets the clock, once.
    let resolution = format!("/api/v1/conversations/{id}/complaint/resolution");
    let (status, empty) = server.call("POST", &resolution, Some(&json!({"summary": "  "})));
    assert_eq!(status, 422, "{empty}");
    let summary = "杯子补发了新的，已告知买家单号";
    let (status, done) = server.call("POST", &resolution, Some(&json!({"summary": summary})));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["flow"]["summary"], summary);
    let c = conversation(server, id);
    assert_eq!(report_back(&c)[0]["state"], "met", "{c}");
    assert_eq!(c["complaint_flow"]["summary"], summary);
    let (status, again) = server.call("POST", &resolution, Some(&json!({"summary": summary})));
    assert_eq!(status, 409, "{again}");

    // Still unhappy: two stars go to a supervisor.
    let (status, rated) = server.call(
        "POST",
        &format!("/api/v1/conversations/{id}/rating"),
        Some(&json!({"score": 2})),
    );
    assert!(status == 200 || status == 201, "{status} {rated}");
    let c = conversation(server, id);
    assert_eq!(c["status"], "escalated", "{c}");
    let why = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["kind"] == "status_changed")
        .unwrap();
    assert!(
        why["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("COMPLAINT-FLOW"),
        "{why}"
    );

    // A buyer asking for a manager goes to a supervisor at once; a question is no complaint.
    let angry = write(server, taobao, "buyer-2", "我不跟你说了，叫你们领导来");
    assert_eq!(conversation(server, angry)["status"], "escalated");
    let asking = write(server, taobao, "buyer-3", "请问什么时候发货呀");
    let c = conversation(server, asking);
    assert!(c["complaint_flow"].is_null(), "{c}");
    assert!(report_back(&c).is_empty());
    assert_ne!(c["status"], "escalated");

    // An unknown conversation is not found, whoever asks.
    let (status, _) = server.call(
        "POST",
        "/api/v1/conversations/999999/complaint/resolution",
        Some(&json!({"summary": summary})),
    );
    assert_eq!(status, 404);
}
