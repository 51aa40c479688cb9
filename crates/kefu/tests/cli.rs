//! The CLI contracts of DESIGN.md, run on the real binary.

mod common;

use common::kefu;
use serde_json::{Value, json};

fn json_of(args: &[&str]) -> Value {
    let out = kefu().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kefu {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "kefu {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn error_of(args: &[&str]) -> String {
    let out = kefu().args(args).output().unwrap();
    assert!(!out.status.success(), "kefu {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn rules_deadlines_follow_the_contract() {
    let v = json_of(&[
        "rules",
        "deadlines",
        "--pack",
        "taobao",
        "--received",
        "2026-11-11T22:58:00+08:00",
    ]);
    assert_eq!(v["pack"], "taobao");
    let d = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "TB-FRT-5M")
        .unwrap();
    assert_eq!(d["due"], "2026-11-12T09:03:00+08:00");
    assert_eq!(
        (d["clock"].as_str(), d["severity"].as_str()),
        (Some("first_response"), Some("platform"))
    );
    let v = json_of(&[
        "rules",
        "deadlines",
        "--pack",
        "ebay",
        "--received",
        "2026-11-11T10:00:00-08:00",
        "--order-total",
        "600",
        "--currency",
        "USD",
    ]);
    let rules: Vec<_> = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        rules.contains(&"EBAY-FRT-24H".to_string())
            && rules.contains(&"EBAY-HIGHVALUE-12H".to_string()),
        "{rules:?}"
    );
}

fn rules_of(v: &Value) -> Vec<String> {
    v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

/// EBAY-HIGHVALUE-12H in the order's currency, by unit price when given (else the total as
/// one item's price); GEN-FIRST-30S by channel.
#[test]
fn rules_deadlines_by_currency_unit_price_and_channel() {
    let base = [
        "rules",
        "deadlines",
        "--pack",
        "ebay",
        "--received",
        "2026-11-11T10:00:00+00:00",
    ];
    let with = |extra: &[&str]| json_of(&[&base[..], extra].concat());
    // A total alone, in GBP: above the pack's GBP 400.
    let v = with(&["--order-total", "450", "--currency", "GBP"]);
    let hv = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "EBAY-HIGHVALUE-12H")
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert_eq!(hv["due"], "2026-11-11T14:00:00-08:00");
    let e = hv["explanation"].as_str().unwrap();
    assert!(e.contains("order total 450 GBP above 400 GBP"), "{e}");
    // Two items of 300 EUR: the total is above the limit, no unit price is.
    let v = with(&[
        "--order-total",
        "600",
        "--currency",
        "EUR",
        "--unit-price",
        "300",
        "--unit-price",
        "300",
    ]);
    assert_eq!(rules_of(&v), ["EBAY-FRT-24H"]);
    // A shop's own limit through --overrides.
    let v = with(&[
        "--order-total",
        "300",
        "--currency",
        "EUR",
        "--overrides",
        r#"{"high_value_thresholds": {"EUR": "250"}}"#,
    ]);
    assert!(rules_of(&v).contains(&"EBAY-HIGHVALUE-12H".to_string()));
    let chat = |pack: &str, channel: &str| {
        rules_of(&json_of(&[
            "rules",
            "deadlines",
            "--pack",
            pack,
            "--received",
            "2026-11-13T10:00:00+00:00",
            "--channel",
            channel,
        ]))
    };
    assert!(!chat("generic", "email").contains(&"GEN-FIRST-30S".to_string()));
    assert!(chat("generic", "web_chat").contains(&"GEN-FIRST-30S".to_string()));
    assert!(chat("taobao", "web_chat").contains(&"GEN-FIRST-30S".to_string()));
    assert!(
        error_of(&[
            "rules",
            "deadlines",
            "--pack",
            "generic",
            "--received",
            "2026-11-13T10:00:00+00:00",
            "--channel",
            "fax"
        ])
        .contains("web_chat")
    );
}

#[test]
fn rules_compensation_follows_the_contract() {
    let v = json_of(&[
        "rules",
        "compensation",
        "--pack",
        "taobao",
        "--kind",
        "late-shipment",
        "--paid",
        "700",
        "--currency",
        "CNY",
    ]);
    assert_eq!(
        (
            v["rule"].as_str(),
            v["amount"].as_str(),
            v["currency"].as_str()
        ),
        (Some("TB-SHIP-PROMISE"), Some("30.00"), Some("CNY"))
    );
    let v = json_of(&[
        "rules",
        "compensation",
        "--pack",
        "taobao",
        "--kind",
        "late-shipment",
        "--paid",
        "20.10",
        "--currency",
        "CNY",
    ]);
    assert_eq!(v["amount"], "1.01");
    let v = json_of(&[
        "rules",
        "compensation",
        "--pack",
        "taobao",
        "--kind",
        "fake-goods",
        "--paid",
        "100",
        "--currency",
        "CNY",
    ]);
    assert_eq!(v["rule"], "TB-FAKE-3X");
    assert!(
        error_of(&[
            "rules",
            "compensation",
            "--pack",
            "taobao",
            "--kind",
            "free-lunch",
            "--paid",
            "1",
            "--currency",
            "CNY"
        ])
        .contains("late-shipment")
    );
    assert!(
        error_of(&[
            "rules",
            "deadlines",
            "--pack",
            "amazon",
            "--received",
            "2026-11-11T10:00:00Z"
        ])
        .contains("known packs")
    );
    assert!(
        error_of(&[
            "rules",
            "deadlines",
            "--pack",
            "ebay",
            "--received",
            "tomorrow"
        ])
        .contains("RFC 3339")
    );
}

#[test]
fn lint_and_redact_follow_the_contract() {
    let v = json_of(&["lint", "--lang", "zh", "请拍一张身份证照片发给我"]);
    assert_eq!(v["verdict"], "block");
    assert_eq!(v["findings"][0]["rule"], "PRIV-NO-ID-PHOTO");
    let v = json_of(&["lint", "--lang", "zh", "请勿向任何人透露您的银行卡密码"]);
    assert_ne!(v["verdict"], "block");
    let v = json_of(&["redact", "card 4111 1111 1111 1111 please"]);
    assert_eq!(v["found"][0]["kind"], "bank_card");
    assert!(!v["text"].as_str().unwrap().contains("4111 1111 1111 1111"));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["admin", "--help"],
        vec!["rules", "--help"],
        vec!["lint", "--help"],
        vec!["redact", "--help"],
        vec!["bench", "--help"],
        vec!["bench", "ingest", "--help"],
    ] {
        let out = kefu().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn bad_database_urls_and_taken_ports_are_clear_errors() {
    let err = error_of(&[
        "serve",
        "--db",
        "mysql://x",
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        common::KEY,
    ]);
    assert!(err.contains("unsupported database URL"), "{err}");
    let err = error_of(&[
        "serve",
        "--db",
        "sqlite:///no/such/dir/kefu.db",
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        common::KEY,
    ]);
    assert!(err.contains("does not exist"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = error_of(&["serve", "--listen", &addr, "--master-key", common::KEY]);
    assert!(err.contains("already in use"), "{err}");
    let err = error_of(&[
        "serve",
        "--listen",
        "localhost-ish",
        "--master-key",
        common::KEY,
    ]);
    assert!(err.contains("not an address"), "{err}");
}

#[test]
fn demo_fills_a_database_and_serve_demo_prints_logins() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let v = json_of(&["demo", "--db", &db, "--conversations", "60"]);
    assert_eq!(
        (v["shops"].as_i64(), v["conversations"].as_i64()),
        (Some(3), Some(60))
    );
    assert!(v["messages"].as_i64().unwrap() >= 60);

    let dir2 = tempfile::tempdir().unwrap();
    let db2 = format!("sqlite://{}", dir2.path().join("serve.db").display());
    let addr = format!("127.0.0.1:{}", common::free_port());
    let mut child = kefu()
        .args(["serve", "--demo", "--db", &db2, "--listen", &addr])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("kefu is serving");
        seen.push(line);
        if done {
            break;
        }
    }
    let token_line = lines.next().unwrap().unwrap();
    let text = seen.join("\n");
    assert!(text.contains("300 conversations"), "{text}");
    assert!(text.contains("demo login: li.na@demo.kefu"), "{text}");
    assert!(text.contains("demo roster: Jo Early"), "{text}");
    let key = token_line.rsplit(' ').next().unwrap();
    assert!(
        token_line.starts_with("admin token") && key.len() == 48,
        "{token_line}"
    );
    // The eBay shop's roster is fourteen hours without a hand-over: the coverage page says so.
    let (_, shops) = common::try_request(&addr, "GET", "/api/v1/shops", Some(key), None).unwrap();
    let ebay = shops["shops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["platform"] == "ebay")
        .unwrap()["id"]
        .clone();
    let path = format!("/api/v1/staffing/coverage?shop_id={ebay}&days=2");
    let (status, cover) = common::try_request(&addr, "GET", &path, Some(key), None).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(status, 200, "{cover}");
    assert_eq!(
        (cover["hours_rule"].as_str(), cover["agents"].as_u64()),
        (Some("STAFF-16H"), Some(2)),
        "{cover}"
    );
    let day = &cover["days"][1];
    assert_eq!(day["hours_met"], false, "{day}");
    assert_eq!(day["hours_covered"], 14.0, "{day}");
    assert!(
        !day["short_handovers"].as_array().unwrap().is_empty(),
        "{day}"
    );
}

#[test]
fn rules_list_shows_every_clock_and_after_sales_rule_enforced() {
    let v = json_of(&["rules", "list"]);
    let rules = v["rules"].as_array().unwrap();
    // The workspace's copy of the catalogue (kept equal to ../shared/RULES.md by
    // kefu-rules' rule_list test); a missing copy fails here.
    let catalogue =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/RULES.md"))
            .expect("docs/RULES.md, the rule catalogue");
    // Every sla and after-sales rule of the catalogue.
    let wanted: Vec<String> = catalogue
        .lines()
        .filter(|l| l.starts_with("| ") && (l.contains("| sla") || l.contains("| after-sales")))
        .filter_map(|l| l.split('|').nth(1).map(|id| id.trim().to_string()))
        .collect();
    assert!(wanted.len() >= 5);
    for id in &wanted {
        let rule = rules
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} missing from `kefu rules list`"));
        assert_eq!(rule["enforced"], true, "{id} is not enforced: {rule}");
    }
    let taobao = json_of(&["rules", "list", "--pack", "taobao"]);
    assert!(
        taobao["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "TB-FRT-5M")
    );
    assert!(
        !taobao["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "EBAY-FRT-24H")
    );
}

#[test]
fn serve_loads_a_sites_own_packs_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).unwrap();
    let broken = "name = \"Broken\"\nplatform = \"own\"\nsources = [\"003\"]\ntimezone = \"Europe/Berlin\"\ncurrency = \"EUR\"\nshop_calendar = \"office\"\n\n[calendars.office]\nwindows = [{ days = \"mon-fri\", from = \"09:00\", to = \"17:00\" }]\n\n[[clocks]]\nrule = \"NOT-A-RULE\"\nkind = \"first_response\"\non = \"first_message\"\nduration = \"4h\"\ncalendar = \"office\"\nseverity = \"target\"\n";
    std::fs::write(packs.join("broken.toml"), broken).unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let packs_arg = packs.display().to_string();
    let err = error_of(&[
        "serve",
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--master-key",
        common::KEY,
        "--packs",
        &packs_arg,
    ]);
    assert!(
        err.contains("broken.toml") && err.contains("NOT-A-RULE") && err.contains(":12:"),
        "{err}"
    );

    // Fixed, it loads, and a shop can use it.
    std::fs::write(
        packs.join("broken.toml"),
        broken.replace("NOT-A-RULE", "GEN-COMPLEX-24H"),
    )
    .unwrap();
    let server = common::Server::start(&db, &["--packs", &packs_arg]);
    let (status, shop) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&serde_json::json!({"name": "Berlin store", "platform": "own", "pack": "broken"})),
    );
    assert_eq!(status, 201, "{shop}");
}

#[test]
fn bench_faq_reports_accuracy_and_answer_latency() {
    let v = json_of(&["bench", "faq", "--queries", "200", "--messages", "30"]);
    assert_eq!(v["bench"], "faq");
    // The issue's bar for the labelled set is 85 % top-1.
    assert!(
        v["labelled"]["top1_accuracy"].as_f64().unwrap() >= 0.85,
        "{v}"
    );
    assert!(v["labelled"]["questions"].as_u64().unwrap() >= 200, "{v}");
    assert!(
        v["heldout"]["top1_accuracy"].as_f64().unwrap() >= 0.8,
        "{v}"
    );
    assert_eq!(v["answer_end_to_end"]["messages"], 30);
    assert_eq!(
        v["answer_end_to_end"]["bot_replies"], 30,
        "every night question gets an answer"
    );
    assert!(v["matcher"]["p99_us"].as_f64().unwrap() > 0.0);
}

/// A rule of `kefu rules list`, by id.
fn listed(v: &Value, id: &str) -> Value {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from `kefu rules list`"))
        .clone()
}

/// What enforces a rule comes from the registry the code builds, gathered from every crate
/// linked into the binary: the rulebook's plan, the guard's checks, the server's markers.
#[test]
fn rules_list_names_the_code_that_enforces_each_rule() {
    let v = json_of(&["rules", "list"]);
    let hv = listed(&v, "HIGHVALUE-CHANNEL");
    assert_eq!(hv["enforced"], true, "{hv}");
    let files: Vec<&str> = hv["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"crates/kefu-rules/src/plan/mod.rs"), "{hv}");
    assert!(hv["coverage"][0]["line"].as_u64().unwrap() > 0);
    assert_eq!(
        hv["coverage"][0]["test"],
        "kefu-store::conformance::routing::high_value_orders_go_to_their_team"
    );
    // The places of other crates are there too.
    for (id, crate_dir) in [
        ("PRIV-NO-SECRETS", "kefu-guard"),
        ("LANG-LOCAL", "kefu-server"),
        ("REC-CUSTOMER-INFO", "kefu-rules"),
        ("PEAK-PREP", "kefu-server"),
        ("MULTICHANNEL", "kefu-server"),
        ("REC-FULL-TRANSCRIPT", "kefu-server"),
        ("TB-OFFHOURS-BOT", "kefu-server"),
    ] {
        let r = listed(&v, id);
        assert_eq!(r["enforced"], true, "{r}");
        let prefix = format!("crates/{crate_dir}/src/");
        assert!(
            r["coverage"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["file"].as_str().unwrap().starts_with(&prefix)),
            "{id} is not covered in {prefix}: {r}"
        );
    }
    // OPTIONS-3 is enforced only through the packs that ask for a number of options: each
    // place runs only when a pack cites it, and the packs named are the ones that do.
    let opt = listed(&v, "OPTIONS-3");
    let packs_citing: Vec<String> = v_packs()
        .into_iter()
        .filter(|p| {
            let listed = json_of(&["rules", "list", "--pack", p]);
            listed["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == "OPTIONS-3")
        })
        .collect();
    let by: Vec<String> = opt["enforced_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .filter(|p| !p.starts_with("kefu-"))
        .collect();
    assert_eq!(by, packs_citing, "{opt}");
    assert_eq!(
        packs_citing,
        ["ebay"],
        "the eBay pack asks for three options"
    );
    assert_eq!(opt["enforced"], !packs_citing.is_empty(), "{opt}");
    for c in opt["coverage"].as_array().unwrap() {
        assert!(
            c["when_cited"] == true || c["pack_table"].is_string(),
            "{c}"
        );
    }
    // An incident's close clock runs in every pack, and the rulebook and the desk both
    // place it: the plan that levels an incident, the desk that groups the complaints.
    let collective = listed(&v, "COLLECTIVE-3LEVEL");
    assert_eq!(collective["enforced"], true, "{collective}");
    let files: Vec<&str> = collective["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"crates/kefu-rules/src/plan/incident.rs"),
        "{collective}"
    );
    assert!(
        files.contains(&"crates/kefu-server/src/desk/incidents.rs"),
        "{collective}"
    );
    // A rule nothing enforces claims no place and no pack.
    let unenforced: Vec<&serde_json::Value> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["enforced"] == false)
        .collect();
    assert!(!unenforced.is_empty());
    for r in unenforced {
        assert_eq!(r["coverage"], serde_json::json!([]), "{r}");
        assert_eq!(r["enforced_by"], serde_json::json!([]), "{r}");
    }
}

fn v_packs() -> Vec<String> {
    json_of(&["rules", "packs"])["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every test a registered place names exists: `crate::module::function`, the module being a
/// file under the crate's `src/` or `tests/` (or an inline module of one).
#[test]
fn every_test_the_coverage_names_exists() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let v = json_of(&["rules", "list"]);
    let mut named = 0;
    for r in v["rules"].as_array().unwrap() {
        for c in r["coverage"].as_array().unwrap() {
            let test = c["test"].as_str().unwrap();
            let parts: Vec<&str> = test.split("::").collect();
            assert!(parts.len() >= 3, "{test}: crate::module::function");
            let (krate, mods, name) =
                (parts[0], &parts[1..parts.len() - 1], parts[parts.len() - 1]);
            // The files the module path may name (`src/a/b.rs`, `tests/a.rs`, …), deepest
            // first; a module path left over names an inline module of that file.
            let holds = |k: usize, text: &str| {
                mods[k..].iter().all(|m| text.contains(&format!("mod {m}")))
                    && text.contains(&format!("fn {name}("))
            };
            let found = (1..=mods.len()).rev().any(|k| {
                let path = mods[..k].join("/");
                [
                    "src/{}.rs",
                    "src/{}/mod.rs",
                    "tests/{}.rs",
                    "tests/{}/main.rs",
                ]
                .iter()
                .map(|f| format!("{root}/crates/{krate}/{}", f.replace("{}", &path)))
                .filter_map(|f| std::fs::read_to_string(f).ok())
                .any(|text| holds(k, &text))
            });
            assert!(found, "{test}: no `fn {name}` in that module");
            let file = format!("{root}/{}", c["file"].as_str().unwrap());
            assert!(std::path::Path::new(&file).exists(), "{file}");
            named += 1;
        }
    }
    assert!(named >= 30, "only {named} places registered");
}

/// `kefu lint --pack` applies the pack's checks: a reply to a complaint with one solution is
/// an OPTIONS-3 warning under the eBay pack (three asked), fine without it, under a pack that
/// asks for none, or when the buyer only asked a question.
#[test]
fn lint_applies_the_packs_checks() {
    let reply = "We are sorry the mug arrived broken. We will send you a full refund today.";
    let rules = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let broken = ["--buyer", "Hi, my mug arrived broken!"];
    let with = |extra: &[&str]| {
        let mut args = vec!["lint", "--lang", "en"];
        args.extend_from_slice(extra);
        args.push(reply);
        json_of(&args)
    };
    let v = with(&[&["--pack", "ebay"][..], &broken[..]].concat());
    assert_eq!(v["verdict"], "warn", "{v}");
    assert_eq!(rules(&v), ["OPTIONS-3"]);
    let f = &v["findings"][0];
    assert_eq!(
        (f["severity"].as_str(), f["start"].as_u64()),
        (Some("warn"), Some(0))
    );
    assert!(f["message"].as_str().unwrap().contains("at least 3"), "{f}");
    assert!(f["suggestion"].is_string(), "{f}");
    assert_eq!(with(&["--pack", "ebay", "--complaint"])["verdict"], "warn");
    assert_eq!(
        with(&[]),
        serde_json::json!({"verdict": "ok", "findings": []})
    );
    assert_eq!(
        with(&[&["--pack", "taobao"][..], &broken[..]].concat())["verdict"],
        "ok"
    );
    let question = ["--pack", "ebay", "--buyer", "Do you ship to Germany?"];
    assert_eq!(with(&question)["verdict"], "ok");
    let three = "Sorry it arrived broken: we can refund you, reship a new one, or exchange it.";
    let v = json_of(&[
        "lint",
        "--lang",
        "en",
        "--pack",
        "ebay",
        "--complaint",
        three,
    ]);
    assert_eq!(v["verdict"], "ok", "{v}");
    assert!(error_of(&["lint", "--pack", "nope", reply]).contains("unknown --pack \"nope\""));
    assert!(error_of(&["lint", "--complaint", reply]).contains("--pack"));
    // The conversation's category: a complaint asks for the options too, and a lost parcel
    // answered with "we will investigate" alone is LOST-NO-STALL.
    assert_eq!(
        with(&["--pack", "ebay", "--category", "complaint"])["verdict"],
        "warn"
    );
    let stall = "We will investigate with the courier and get back to you.";
    let lost = json_of(&["lint", "--lang", "en", "--category", "lost_package", stall]);
    assert_eq!(rules(&lost), ["LOST-NO-STALL"], "{lost}");
    assert_eq!(json_of(&["lint", "--lang", "en", stall])["verdict"], "ok");
    assert!(error_of(&["lint", "--category", "nope", stall]).contains("unknown category"));
}

/// `kefu lint --shop-phrases FILE` takes the shop's own phrases from its settings, as the
/// server's shop guard does: a forbidden phrase and a missing required one are warnings.
#[test]
fn lint_applies_the_shops_phrases() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.json");
    let settings = r#"{"timezone": "Europe/Berlin", "forbidden_phrases": {"en": ["free shipping"]}, "required_phrases": {"*": ["Kind regards"]}}"#;
    std::fs::write(&file, settings).unwrap();
    let path = file.display().to_string();
    let lint = |text: &str| json_of(&["lint", "--lang", "en", "--shop-phrases", &path, text]);
    let v = lint("Your order ships today with free shipping.");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["SHOP-REQUIRED", "SHOP-FORBIDDEN"], "{v}");
    assert_eq!(
        (&v["findings"][1]["start"], &v["findings"][1]["end"]),
        (&json!(28), &json!(41))
    );
    assert_eq!(
        lint("Your order ships today. Kind regards")["verdict"],
        "ok"
    );
    // Without the file the same reply is fine.
    let v = json_of(&[
        "lint",
        "--lang",
        "en",
        "Your order ships today with free shipping.",
    ]);
    assert_eq!(v["verdict"], "ok", "{v}");
    std::fs::write(&file, r#"{"forbidden": ["x"]}"#).unwrap();
    let e = error_of(&["lint", "--shop-phrases", &path, "hello"]);
    assert!(
        e.contains("is not a shop's settings JSON") && e.contains("forbidden"),
        "{e}"
    );
    let missing = dir.path().join("none.json").display().to_string();
    assert!(error_of(&["lint", "--shop-phrases", &missing, "hello"]).contains("cannot read"));
}

/// A benchmark leaves nothing in the temporary directory: its scratch database is removed
/// when it ends (they are hundreds of megabytes each and used to pile up).
#[test]
fn a_benchmark_removes_its_scratch_database() {
    let child = common::kefu()
        .args(["bench", "ingest", "--messages", "300"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let left: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("kefu-bench-") && n.ends_with(&format!("-{pid}")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
