//! `kefu simulate --day` on a store seeded with a known day: a Taobao shop (Asia/Shanghai) on
//! Wednesday 2026-11-11, twenty buyers from 10:00 one every two minutes and five from 20:00
//! one every five, two agents on shift 09:00–18:00 and 09:00–12:00, who answered each
//! morning buyer three minutes after the message (so every measured answer took 3 minutes)
//! and nobody in the evening. Every message starts TB-FRT-5M (five minutes in working
//! hours, 09:00–23:00).

use std::process::Output;

use chrono::{DateTime, Duration, Utc};
use kefu_core::ClockKind;
use kefu_store::NewReply;
use serde_json::{Value, json};

use super::common::{Server, kefu, shop};

/// 10:00 in Shanghai.
const MORNING: &str = "2026-11-11T02:00:00Z";
/// 20:00 in Shanghai.
const EVENING: &str = "2026-11-11T12:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn agent_on_shift(server: &Server, email: &str, from: &str, to: &str) -> i64 {
    let (status, a) = server.call(
        "POST",
        "/api/v1/agents",
        Some(&json!({"email": email, "name": email, "role": "agent", "languages": ["zh"]})),
    );
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let shifts = json!({"timezone": "Asia/Shanghai",
                        "windows": [{"days": "daily", "from": from, "to": to}]});
    let (status, s) = server.call(
        "POST",
        &format!("/api/v1/agents/{id}/shifts"),
        Some(&shifts),
    );
    assert!(status == 200 || status == 204, "{status} {s}");
    id
}

fn buyer(server: &Server, shop: i64, n: usize, when: DateTime<Utc>) -> i64 {
    let msg = json!({
        "shop_id": shop, "channel": "marketplace",
        "customer": {"handle": format!("buyer-{n}"), "language": "zh"},
        "body": "亲，请问我的订单什么时候发货？", "received_at": when.to_rfc3339()
    });
    let (status, created) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{created}");
    created["conversation_id"].as_i64().unwrap()
}

/// Seeds the known day through the API, then writes the agents' past answers into the store
/// (the API answers at the present), and stops the server. Returns the shop.
fn seed(server: &mut Server) -> i64 {
    let taobao = shop(server, "taobao");
    let agents = [
        agent_on_shift(server, "wang@shop.example", "09:00", "18:00"),
        agent_on_shift(server, "li@shop.example", "09:00", "12:00"),
    ];
    let morning: Vec<(i64, DateTime<Utc>)> = (0..20)
        .map(|i| {
            let when = at(MORNING) + Duration::minutes(2 * i as i64);
            (buyer(server, taobao, i, when), when)
        })
        .collect();
    for i in 0..5 {
        buyer(
            server,
            taobao,
            100 + i,
            at(EVENING) + Duration::minutes(5 * i as i64),
        );
    }
    server.kill();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = kefu_store::open(&server.db).await.unwrap();
        for (i, (conversation_id, when)) in morning.into_iter().enumerate() {
            store
                .add_reply(NewReply {
                    conversation_id,
                    agent_id: Some(agents[i % 2]),
                    actor: "test".into(),
                    body: "亲，今天下午就发货，请您放心。".into(),
                    at: when + Duration::minutes(3),
                    closes_clocks: vec![ClockKind::FirstResponse, ClockKind::NextResponse],
                    guard_override: None,
                    automatic: false,
                })
                .await
                .unwrap();
        }
    });
    taobao
}

fn simulate(db: &str, args: &[&str]) -> Output {
    kefu()
        .args(["simulate", "--db", db])
        .args(args)
        .args(if args.contains(&"--day") {
            &[][..]
        } else {
            &["--day", "2026-11-11"][..]
        })
        .output()
        .unwrap()
}

fn json_of(out: Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

fn rule<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

#[test]
fn a_known_day_replayed_against_the_shifts() {
    let mut servers = [Server::sqlite(), Server::postgres("simulate")];
    for server in &mut servers {
        let taobao = seed(server);
        a_day_against_its_roster(&server.db, taobao);
    }
}

fn a_day_against_its_roster(db: &str, taobao: i64) {
    let shop = taobao.to_string();
    let dir = tempfile::tempdir().unwrap();
    let (svg, png) = (dir.path().join("day.svg"), dir.path().join("day.png"));
    let v = json_of(simulate(
        db,
        &[
            "--shop",
            &shop,
            "--svg",
            svg.to_str().unwrap(),
            "--plot",
            png.to_str().unwrap(),
        ],
    ));
    assert_eq!(v["arrivals"], 25, "{v}");
    let day = &v["shops"][0];
    assert_eq!(day["agents"]["source"], "shifts", "{day}");
    assert_eq!(day["agents"]["rostered"], 2);
    assert_eq!(day["handling"]["source"], "history");
    assert_eq!(day["handling"]["answers"], 20);
    assert_eq!(day["handling"]["mean_minutes"], 3.0);
    // Two agents for one buyer every two minutes, three minutes each: nobody waits, and an
    // answer within five minutes meets every clock of the morning.
    let ten = &day["hours"][10];
    assert_eq!(
        (&ten["local"], &ten["agents"], &ten["arrivals"]),
        (&json!("10:00"), &json!(2), &json!(20))
    );
    assert_eq!(ten["rules"][0]["share_met"], 1.0, "{ten}");
    assert_eq!(ten["max_queue"], 0);
    assert_eq!(
        ten["rules"][0]["history"]["met"], 20,
        "as the day went: {ten}"
    );
    assert_eq!(ten["service_level"], Value::Null, "no --target-seconds");
    // Nobody on shift at 20:00: the five queue until the morning and miss their clocks.
    let eight = &day["hours"][20];
    assert_eq!(eight["agents"], 0, "{eight}");
    assert_eq!(eight["rules"][0]["clocks"], 5);
    assert_eq!(eight["rules"][0]["met"], 0);
    assert_eq!(eight["max_queue"], 5);
    assert_eq!(eight["rules"][0]["history"]["clocks"], 5);
    assert!(
        eight["mean_wait_seconds"].as_f64().unwrap() > 12.0 * 3600.0,
        "{eight}"
    );
    assert_eq!(
        day["unanswered"], 0,
        "answered when the morning shift comes"
    );
    // Per rule over the day, beside how the day really went (the same twenty met in time).
    let frt = rule(&v, "TB-FRT-5M");
    assert_eq!(
        (&frt["clocks"], &frt["met"]),
        (&json!(25), &json!(20)),
        "{frt}"
    );
    assert_eq!(frt["history"]["met"], 20);
    assert_eq!(frt["history"]["clocks"], 25);
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.contains("<svg") && drawn.contains("TB-FRT-5M met"),
        "{drawn}"
    );
    assert!(drawn.contains("TB-FRT-5M met as the day went"), "{drawn}");
    assert!(
        std::fs::read(&png)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );

    // Agents all day: the evening is answered too.
    let v = json_of(simulate(
        db,
        &["--shop", &shop, "--agents", "2", "--target-seconds", "60"],
    ));
    assert_eq!(v["shops"][0]["agents"]["source"], "flag");
    assert_eq!(rule(&v, "TB-FRT-5M")["met"], 25, "{v}");
    assert_eq!(v["shops"][0]["service_level"], 1.0, "nobody waits a minute");

    // A Black Friday: three times the buyers on the same roster queue in the morning.
    let args = ["--shop", &shop, "--scale", "3", "--seed", "4"];
    let v = json_of(simulate(db, &args));
    assert_eq!(v["arrivals"], 75, "{v}");
    let ten = &v["shops"][0]["hours"][10];
    assert!(ten["max_queue"].as_u64().unwrap() > 5, "{ten}");
    assert!(
        ten["rules"][0]["share_met"].as_f64().unwrap() < 0.5,
        "{ten}"
    );
    assert_eq!(
        json_of(simulate(db, &args))["shops"],
        v["shops"],
        "the same seed, the same day"
    );

    // Bad input is a clear error and a non-zero exit.
    for (args, says) in [
        (vec!["--day", "2026-11-31"], "--day"),
        (vec!["--day", "+262143-12-31"], "--day"),
        (vec!["--shop", "999"], "no such shop"),
        (vec!["--scale", "5000"], "--scale"),
        (vec!["--agents", "0"], "--agents"),
        (vec!["--arrivals-per-hour", "10"], "Poisson"),
    ] {
        let out = simulate(db, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
