//! Will the roster hold (issue 13)? `GET /api/v1/staffing/coverage` against the real binary:
//! an EU shop whose two agents cover 14 hours with no overlap shows STAFF-16H unmet, its gaps
//! and the hand-over that overlaps too little (STAFF-SHIFTS-OVERLAP-2H); a roster that holds
//! shows none; a shop that promises 24 hours is held to STAFF-24H.

mod common;

use common::Server;
use serde_json::{Value, json};

fn agent(server: &Server, email: &str, shifts: Value) -> i64 {
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["en", "de"]})),
    );
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (status, s) = server.call(
        "POST",
        &format!("/api/v1/agents/{id}/shifts"),
        Some(&shifts),
    );
    assert!(status == 200 || status == 204, "{status} {s}");
    id
}

fn berlin(from: &str, to: &str) -> Value {
    json!({"timezone": "Europe/Berlin", "windows": [{"days": "daily", "from": from, "to": to}]})
}

fn coverage(server: &Server, shop: i64) -> Value {
    let (status, c) = server.call(
        "GET",
        &format!("/api/v1/staffing/coverage?shop_id={shop}&days=7"),
        None,
    );
    assert_eq!(status, 200, "{c}");
    c
}

#[test]
fn an_eu_shops_roster_shows_its_gap_and_its_short_handover() {
    let server = Server::sqlite();
    let (status, shop) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({"name": "Bergmann EU", "platform": "ebay", "timezone": "Europe/Berlin"})),
    );
    assert_eq!(status, 201, "{shop}");
    let eu = shop["id"].as_i64().unwrap();
    // 08–16 and 16–22 in Berlin: 14 hours, the late shift starting as the early one leaves.
    agent(&server, "early@desk.example", berlin("08:00", "16:00"));
    agent(&server, "late@desk.example", berlin("16:00", "22:00"));
    let c = coverage(&server, eu);
    assert_eq!(c["hours_rule"], "STAFF-16H", "{c}");
    assert_eq!(c["handover_rule"], "STAFF-SHIFTS-OVERLAP-2H");
    assert_eq!(c["agents"], 2);
    let days = c["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let day = &days[1];
    assert_eq!(day["hours_covered"], 14.0, "{day}");
    assert_eq!(day["hours_met"], false);
    assert_eq!(
        day["gaps"],
        json!([{"from_slot": 0, "to_slot": 32}, {"from_slot": 88, "to_slot": 96}])
    );
    assert_eq!(day["short_handovers"].as_array().unwrap().len(), 1, "{day}");
    assert_eq!(day["agents_by_hour"][12], 1);

    // Two more hours at each end of the day and a two-hour overlap: the roster holds.
    agent(&server, "morning@desk.example", berlin("06:00", "14:30"));
    agent(&server, "evening@desk.example", berlin("12:30", "23:00"));
    // The shop's buyers write German and Spanish: each language of the market is checked on
    // its own, and nobody on the roster speaks Spanish.
    for (n, (language, body)) in [
        ("de", "Wo ist mein Paket?"),
        ("es", "¿Dónde está mi pedido?"),
    ]
    .iter()
    .cycle()
    .take(6)
    .enumerate()
    {
        let msg = json!({"shop_id": eu, "channel": "marketplace", "body": body,
            "customer": {"handle": format!("eu-{n}"), "language": language}});
        let (status, m) = server.call("POST", "/api/v1/inbound", Some(&msg));
        assert_eq!(status, 201, "{m}");
    }
    let c = coverage(&server, eu);
    let mut languages: Vec<String> = serde_json::from_value(c["languages"].clone()).unwrap();
    languages.sort();
    assert_eq!(languages, vec!["de", "es"], "{c}");
    let by_language = |day: &Value, l: &str| {
        day["languages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["language"] == l)
            .unwrap()
            .clone()
    };
    let german = by_language(&c["days"][1], "de");
    assert_eq!(
        (
            german["hours_covered"].as_f64(),
            german["hours_met"].as_bool()
        ),
        (Some(17.0), Some(true)),
        "{german}"
    );
    let spanish = by_language(&c["days"][1], "es");
    assert_eq!(
        (
            spanish["hours_covered"].as_f64(),
            spanish["hours_met"].as_bool()
        ),
        (Some(0.0), Some(false)),
        "{spanish}"
    );
    let day = &c["days"][1];
    assert_eq!(day["hours_met"], true, "{day}");
    assert_eq!(day["hours_covered"], 17.0, "{day}");

    // A shop that promises 24-hour service is held to the whole day.
    let (_, always) = server.call(
        "POST",
        "/api/v1/shops",
        Some(
            &json!({"name": "Always open", "platform": "ebay", "timezone": "Europe/Berlin",
                      "settings": {"promises_24h": true}}),
        ),
    );
    let c = coverage(&server, always["id"].as_i64().unwrap());
    assert_eq!(c["hours_rule"], "STAFF-24H");
    assert_eq!(c["days"][1]["hours_met"], false);

    for (q, want) in [
        (
            format!("/api/v1/staffing/coverage?shop_id={eu}&days=0"),
            422,
        ),
        ("/api/v1/staffing/coverage?shop_id=999".to_string(), 404),
        ("/api/v1/staffing/coverage".to_string(), 422),
    ] {
        let (status, body) = server.call("GET", &q, None);
        assert_eq!(status, want, "{q}: {body}");
    }
}
