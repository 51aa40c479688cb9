//! Before a sales peak (PEAK-PREP, issue 13) against the real binary, on SQLite and
//! PostgreSQL: a shop's own peak ten days ahead brings the supervisors a checklist (one thirty
//! days ahead does not yet), and each item ticks as the data shows it — 20 FAQ answers in the
//! shop's language, a logistics contingency plan in its settings, and on the peak day twice
//! the agents an ordinary day's load needs at every hour; an agent may not read it.

// The real binary runs on the system clock, so the peaks are set from the same clock.
#![allow(clippy::disallowed_methods)]

mod common;

use chrono::{Duration, Utc};
use common::Server;
use serde_json::{Value, json};

fn reminders(server: &Server, shop: i64) -> Vec<Value> {
    let (status, r) = server.call(
        "GET",
        &format!("/api/v1/staffing/peak-prep?shop_id={shop}"),
        None,
    );
    assert_eq!(status, 200, "{r}");
    r["reminders"].as_array().unwrap().clone()
}

fn item(reminder: &Value, name: &str) -> Value {
    reminder["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == name)
        .unwrap_or_else(|| panic!("no {name} in {reminder}"))
        .clone()
}

fn settings(server: &Server, shop: i64, settings: Value) {
    let (status, s) = server.call(
        "POST",
        &format!("/api/v1/shops/{shop}/settings"),
        Some(&json!({ "settings": settings })),
    );
    assert_eq!(status, 200, "{s}");
}

/// An agent of the shop on shift all day, every day.
fn on_shift_all_day(server: &Server, email: &str) {
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["en"]})),
    );
    assert_eq!(status, 201, "{a}");
    let shifts =
        json!({"timezone": "UTC", "windows": [{"days": "daily", "from": "00:00", "to": "24:00"}]});
    let (status, s) = server.call(
        "POST",
        &format!("/api/v1/agents/{}/shifts", a["id"]),
        Some(&shifts),
    );
    assert!(status == 200 || status == 204, "{status} {s}");
}

#[test]
fn two_weeks_before_a_peak_supervisors_get_the_checklist() {
    for server in [Server::sqlite(), Server::postgres("peak")] {
        the_checklist(&server);
    }
}

fn the_checklist(server: &Server) {
    let (status, created) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({"name": "Peak shop", "platform": "ebay", "timezone": "UTC"})),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let today = Utc::now().date_naive();
    let near = (today + Duration::days(10)).format("%m-%d").to_string();
    let far = (today + Duration::days(30)).format("%m-%d").to_string();
    let peaks = json!([{"name": "Summer sale", "date": near}, {"name": "Later sale", "date": far}]);
    settings(server, id, json!({ "peak_days": peaks }));

    let list = reminders(server, id);
    assert_eq!(list.len(), 1, "only the peak within two weeks: {list:?}");
    let r = &list[0];
    assert_eq!(
        (&r["name"], &r["days_left"], &r["rule"]),
        (&json!("Summer sale"), &json!(10), &json!("PEAK-PREP"))
    );
    for name in ["staffing_reserve", "faq_templates", "logistics_plan"] {
        assert_eq!(item(r, name)["done"], false, "{name}: {r}");
    }
    assert_eq!(item(r, "faq_templates")["missing"], json!(["en: 0"]));

    // The season's 20 answers, and a plan.
    let (status, loaded) = server.call("POST", &format!("/api/v1/shops/{id}/faqs/presets"), None);
    assert!(status == 200 || status == 201, "{loaded}");
    let plan = "If the courier is overloaded, ship with the second carrier and tell buyers within 48 hours.";
    settings(
        server,
        id,
        json!({ "peak_days": peaks, "logistics_plan": plan }),
    );
    let r = &reminders(server, id)[0];
    assert_eq!(item(r, "faq_templates")["done"], true, "{r}");
    assert_eq!(item(r, "logistics_plan")["done"], true, "{r}");
    assert_eq!(item(r, "logistics_plan")["detail"], plan);

    // An ordinary day's load: buyers write now. One agent on shift is not twice the need.
    for n in 0..4 {
        let msg = json!({"shop_id": id, "channel": "marketplace",
            "customer": {"handle": format!("peak-buyer-{n}")}, "body": "Where is my order?"});
        let (status, m) = server.call("POST", "/api/v1/inbound", Some(&msg));
        assert_eq!(status, 201, "{m}");
    }
    on_shift_all_day(server, &format!("one-{id}@peak.example"));
    let r = &reminders(server, id)[0];
    let staffing = item(r, "staffing_reserve");
    assert_eq!(staffing["done"], false, "{staffing}");
    let hour = format!("{}:00", Utc::now().format("%H"));
    assert!(
        staffing["missing"]
            .as_array()
            .unwrap()
            .contains(&json!(hour)),
        "{staffing}"
    );
    on_shift_all_day(server, &format!("two-{id}@peak.example"));
    let r = &reminders(server, id)[0];
    assert_eq!(item(r, "staffing_reserve")["done"], true, "{r}");

    // Supervisors', not agents'; a bad query is a clear 422.
    let token = agent_token(server);
    let (status, denied) = server.raw(
        "GET",
        &format!("/api/v1/staffing/peak-prep?shop_id={id}"),
        Some(&token),
        None,
    );
    assert_eq!(status, 403, "{denied}");
    let (status, bad) = server.call("GET", "/api/v1/staffing/peak-prep?shop_id=x", None);
    assert_eq!(status, 422, "{bad}");
}

fn agent_token(server: &Server) -> String {
    let email = format!(
        "reader-{}@peak.example",
        server.addr.replace([':', '.'], "-")
    );
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": "Reader", "role": "agent", "languages": ["en"]})),
    );
    assert_eq!(status, 201, "{a}");
    let out = common::kefu()
        .args(["admin", "create-token", "--db", &server.db, "--agent-id"])
        .arg(a["id"].to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    token["token"].as_str().unwrap().to_string()
}
