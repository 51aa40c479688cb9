//! Loading and validating packs, shop overrides, entitlement windows.

use chrono::{DateTime, Utc};
use kefu_rules::{PackSet, ShopOverrides, catalog};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

const MINIMAL: &str = r#"name = "Test"
platform = "test"
sources = ["001"]
timezone = "Asia/Shanghai"
currency = "CNY"
shop_calendar = "hours"

[calendars.hours]
windows = [{ days = "daily", from = "09:00", to = "23:00" }]

[[clocks]]
rule = "TB-FRT-5M"
kind = "first_response"
on = "first_message"
duration = "5m"
calendar = "hours"
severity = "platform"
"#;

/// MINIMAL with one replacement; panics if the needle is missing.
fn variant(needle: &str, replacement: &str) -> String {
    assert!(MINIMAL.contains(needle), "{needle}");
    MINIMAL.replacen(needle, replacement, 1)
}

fn error(text: &str) -> String {
    PackSet::parse("bad.toml", text).unwrap_err().to_string()
}

#[test]
fn embedded_packs_load() {
    let set = PackSet::embedded().unwrap();
    assert_eq!(
        set.ids(),
        [
            "aliexpress",
            "ebay",
            "generic",
            "pinduoduo",
            "taobao",
            "tmall"
        ]
    );
    for id in set.ids() {
        let p = set.get(id).unwrap();
        assert!(!p.sources.is_empty(), "{id}");
        assert!(!p.clocks.is_empty(), "{id}");
        for c in &p.clocks {
            assert!(catalog::is_known(&c.rule), "{id}: {}", c.rule);
        }
        assert!(p.calendars.contains_key(&p.shop_calendar), "{id}");
    }
    assert!(set.get("amazon").is_none());
    assert_eq!(
        set.get("taobao").unwrap().timezone,
        chrono_tz::Asia::Shanghai
    );
    assert_eq!(
        set.get("aliexpress").unwrap().timezone,
        chrono_tz::Asia::Shanghai
    );
    assert_eq!(
        set.get("pinduoduo").unwrap().timezone,
        chrono_tz::Asia::Shanghai
    );
    assert_eq!(
        set.get("tmall").unwrap().timezone,
        chrono_tz::Asia::Shanghai
    );
    assert_eq!(
        set.get("ebay").unwrap().timezone,
        chrono_tz::America::Los_Angeles
    );
}

#[test]
fn minimal_pack_parses_with_id_from_file_name() {
    let p = PackSet::parse("dir/my-shop.toml", MINIMAL).unwrap();
    assert_eq!(p.id, "my-shop");
    let mut set = PackSet::default();
    set.insert(p);
    assert_eq!(set.ids(), ["my-shop"]);
}

#[test]
fn unknown_calendar_is_rejected_with_its_line() {
    let e = error(&variant(
        "\ncalendar = \"hours\"",
        "\ncalendar = \"nights\"",
    ));
    assert!(
        e.starts_with("bad.toml:16:12: unknown calendar `nights`"),
        "{e}"
    );
    assert!(e.contains("known: always, hours"), "{e}");
}

#[test]
fn unknown_rule_is_rejected_with_its_line() {
    let e = error(&variant("rule = \"TB-FRT-5M\"", "rule = \"TB-FRT-1M\""));
    assert!(
        e.starts_with("bad.toml:12:8: unknown rule ID `TB-FRT-1M`"),
        "{e}"
    );
    // A known rule of the wrong kind (a guard is not a clock).
    let e = error(&variant(
        "rule = \"TB-FRT-5M\"",
        "rule = \"PRIV-NO-SECRETS\"",
    ));
    assert!(
        e.contains("bad.toml:12:8: rule `PRIV-NO-SECRETS` is of kind `guard`"),
        "{e}"
    );
}

#[test]
fn bad_time_zone_is_rejected_with_its_line() {
    let e = error(&variant("Asia/Shanghai", "Asia/Peking"));
    assert!(
        e.starts_with("bad.toml:4:12: unknown time zone `Asia/Peking`"),
        "{e}"
    );
}

#[test]
fn bad_time_and_days_are_rejected_with_their_line() {
    let e = error(&variant("\"23:00\"", "\"25:00\""));
    assert!(e.starts_with("bad.toml:9:"), "{e}");
    assert!(e.contains("bad time `25:00`"), "{e}");
    let e = error(&variant("\"daily\"", "\"weekdays\""));
    assert!(e.starts_with("bad.toml:9:"), "{e}");
    assert!(e.contains("bad day"), "{e}");
    let e = error(&variant("to = \"23:00\"", "to = \"08:00\""));
    assert!(e.contains("not before its end"), "{e}");
    let e = error(&variant("\"5m\"", "\"5 minutes\""));
    assert!(e.starts_with("bad.toml:15:12: bad duration"), "{e}");
}

#[test]
fn syntax_and_schema_errors_have_a_line() {
    let e = error(&variant("currency = \"CNY\"", "currency = CNY"));
    assert!(e.starts_with("bad.toml:5:"), "{e}");
    let e = error(&variant("severity = \"platform\"", "severity = \"urgent\""));
    assert!(e.starts_with("bad.toml:17:"), "{e}");
    assert!(e.contains("urgent"), "{e}");
    // A misspelt key is refused instead of silently ignored.
    let e = error(&variant("duration = \"5m\"", "duraton = \"5m\""));
    assert!(e.starts_with("bad.toml:15:"), "{e}");
    assert!(e.contains("duraton"), "{e}");
    let e = error(&variant(
        "windows = [{ days = \"daily\", from = \"09:00\", to = \"23:00\" }]",
        "windows = []",
    ));
    assert!(e.starts_with("bad.toml:9:"), "{e}");
    assert!(e.contains("no windows"), "{e}");
}

#[test]
fn overrides_replace_working_hours_and_add_holidays() {
    let set = PackSet::embedded().unwrap();
    let o: ShopOverrides = toml::from_str(
        r#"
        timezone = "Europe/Berlin"
        working_hours = [
          { days = "mon-fri", from = "08:00", to = "12:00" },
          { days = "mon-fri", from = "13:00", to = "17:00" },
        ]
        extra_holidays = ["2026-12-24"]
        "#,
    )
    .unwrap();
    let p = set.get("ebay").unwrap().with_overrides(&o).unwrap();
    assert_eq!(p.timezone, chrono_tz::Europe::Berlin);
    let shop = &p.calendars["shop-hours"];
    assert_eq!(shop.windows().len(), 10);
    assert_eq!(shop.timezone(), chrono_tz::Europe::Berlin);
    assert!(shop.holidays().contains(&"2026-12-24".parse().unwrap()));
    // Overrides round-trip through serde.
    let back: ShopOverrides = toml::from_str(&toml::to_string(&o).unwrap()).unwrap();
    assert_eq!(back, o);
}

#[test]
fn bad_overrides_are_refused() {
    let p = PackSet::embedded().unwrap().get("taobao").unwrap().clone();
    for (text, reason) in [
        ("timezone = \"Mars/Base\"", "unknown time zone"),
        (
            "working_hours = [{ days = \"mon\", from = \"9\", to = \"17:00\" }]",
            "bad time",
        ),
        ("working_hours = []", "no windows"),
        ("promises = [\"free-gift\"]", "unknown promise `free-gift`"),
        ("first_response_target = \"soon\"", "bad duration"),
        (
            "first_response_target = \"3h\"\nfirst_response_target_calendar = \"x\"",
            "unknown calendar",
        ),
    ] {
        let o: ShopOverrides = toml::from_str(text).unwrap();
        let e = p.with_overrides(&o).unwrap_err().to_string();
        assert!(e.starts_with("shop overrides: "), "{e}");
        assert!(e.contains(reason), "{text}: {e}");
    }
    assert!(toml::from_str::<ShopOverrides>("no_such_field = 1").is_err());
    assert_eq!(p.with_overrides(&ShopOverrides::default()).unwrap(), p);
}

#[test]
fn tb_return_7d_counts_from_the_day_after_receipt() {
    let p = PackSet::embedded().unwrap().get("taobao").unwrap().clone();
    let received = at("2026-11-12T15:00:00+08:00");
    let s = p
        .entitlement_window("TB-RETURN-7D", received, at("2026-11-19T23:59:00+08:00"))
        .unwrap();
    assert!(s.open);
    assert_eq!(s.until.to_rfc3339(), "2026-11-20T00:00:00+08:00");
    assert!(s.explanation.contains("TB-RETURN-7D"), "{}", s.explanation);
    let s = p
        .entitlement_window("TB-RETURN-7D", received, at("2026-11-20T00:00:00+08:00"))
        .unwrap();
    assert!(!s.open);
    assert!(s.explanation.contains("closed since"), "{}", s.explanation);
    // Before receipt there is nothing to return yet.
    let s = p
        .entitlement_window("TB-RETURN-7D", received, at("2026-11-12T14:00:00+08:00"))
        .unwrap();
    assert!(!s.open);
}

#[test]
fn tb_courier_and_arrival_promise_15_days_from_order_close() {
    let p = PackSet::embedded().unwrap().get("taobao").unwrap().clone();
    let closed = at("2026-11-01T10:00:00+08:00");
    for rule in ["TB-COURIER-PROMISE", "TB-ARRIVAL-PROMISE"] {
        let s = p
            .entitlement_window(rule, closed, at("2026-11-16T12:00:00+08:00"))
            .unwrap();
        assert!(s.open, "{rule}");
        assert_eq!(s.until.to_rfc3339(), "2026-11-17T00:00:00+08:00");
        let s = p
            .entitlement_window(rule, closed, at("2026-11-17T00:00:01+08:00"))
            .unwrap();
        assert!(!s.open, "{rule}");
    }
    // A shop that does not offer 指定快递 has no such window.
    let o: ShopOverrides = toml::from_str("promises = [\"arrival\"]").unwrap();
    let p = p.with_overrides(&o).unwrap();
    assert!(
        p.entitlement_window("TB-COURIER-PROMISE", closed, closed)
            .is_none()
    );
    assert!(
        p.entitlement_window("TB-ARRIVAL-PROMISE", closed, closed)
            .is_some()
    );
    assert!(
        p.entitlement_window("TB-RETURN-7D", closed, closed)
            .is_some()
    );
}

#[test]
fn ebay_return_14d_window_across_dst() {
    let p = PackSet::embedded().unwrap().get("ebay").unwrap().clone();
    // Delivered Friday 2026-10-23 in Los Angeles; the window crosses the 2026-11-01 change.
    let s = p
        .entitlement_window(
            "EBAY-RETURN-14D",
            at("2026-10-23T18:00:00-07:00"),
            at("2026-11-06T23:00:00-08:00"),
        )
        .unwrap();
    assert!(s.open);
    assert_eq!(s.until.to_rfc3339(), "2026-11-07T00:00:00-08:00");
    assert!(
        p.entitlement_window(
            "TB-RETURN-7D",
            at("2026-10-23T18:00:00Z"),
            at("2026-10-23T18:00:00Z")
        )
        .is_none()
    );
}

#[test]
fn tb_return_promise_and_tb_damage_reship_use_the_shops_period() {
    let p = PackSet::embedded().unwrap().get("taobao").unwrap().clone();
    let signed = at("2026-11-12T15:00:00+08:00");
    let now = at("2026-11-25T12:00:00+08:00");
    // No period promised yet: no window rather than a guessed one.
    assert!(
        p.entitlement_window("TB-RETURN-PROMISE", signed, now)
            .is_none()
    );
    let o: ShopOverrides =
        toml::from_str("promise_days = { \"TB-RETURN-PROMISE\" = 15, \"TB-DAMAGE-RESHIP\" = 7 }")
            .unwrap();
    let p = p.with_overrides(&o).unwrap();
    let s = p
        .entitlement_window("TB-RETURN-PROMISE", signed, now)
        .unwrap();
    assert!(s.open);
    assert_eq!(s.until.to_rfc3339(), "2026-11-28T00:00:00+08:00");
    let s = p
        .entitlement_window("TB-DAMAGE-RESHIP", signed, now)
        .unwrap();
    assert!(!s.open);
    assert_eq!(s.until.to_rfc3339(), "2026-11-20T00:00:00+08:00");
    let o: ShopOverrides = toml::from_str("promise_days = { \"TB-RETURN-7D\" = 0 }").unwrap();
    assert!(p.with_overrides(&o).is_err());
    let o: ShopOverrides = toml::from_str("promise_days = { \"EBAY-RETURN-14D\" = 30 }").unwrap();
    assert!(p.with_overrides(&o).is_err());
}

/// A pack's conditions (EBAY-HIGHVALUE-12H), channel lists (GEN-FIRST-30S) and definition of
/// a late parcel (LOST-RESHIP-OR-REFUND) are checked when it loads, with the line.
#[test]
fn conditions_channels_and_late_parcels_are_validated() {
    let clock = "severity = \"platform\"\n";
    for (addition, line, reason) in [
        ("channels = [\"fax\"]\n", 18, "unknown channel"),
        ("channels = []\n", 18, "never open"),
        (
            "condition = { currency = \"USD\" }\n",
            12,
            "exactly one of `unit_price_above`, `order_total_above`",
        ),
        (
            "condition = { unit_price_above = \"1\", order_total_above = \"1\", currency = \"USD\" }\n",
            12,
            "exactly one of",
        ),
        (
            "condition = { unit_price_above = \"500\", currency = \"USD\", thresholds = { XXX = \"1\" } }\n",
            18,
            "unknown currency `XXX` in thresholds",
        ),
        (
            "condition = { unit_price_above = \"-5\", currency = \"USD\" }\n",
            18,
            "bad amount",
        ),
    ] {
        let text = variant(clock, &format!("{clock}{addition}"));
        let e = error(&text);
        // Errors about the rule point at the rule line; others at the value.
        let at_rule = e.starts_with("bad.toml:12:");
        let at_value = e.starts_with(&format!("bad.toml:{line}:"));
        assert!(at_rule || at_value, "{addition}: {e}");
        assert!(e.contains(reason), "{addition}: {e}");
    }
    let ok = variant(
        clock,
        &format!("{clock}channels = [\"web_chat\", \"marketplace\"]\n"),
    );
    let p = PackSet::parse("ok.toml", &ok).unwrap();
    assert_eq!(
        p.clocks[0].channels,
        [
            kefu_rules::Channel::WebChat,
            kefu_rules::Channel::Marketplace
        ]
    );
    assert_eq!(p.default_channel, kefu_rules::Channel::Marketplace);
    let lost = |extra: &str| {
        format!(
            "{MINIMAL}\n[[compensations]]\nrule = \"LOST-RESHIP-OR-REFUND\"\nkind = \"{}\"\nrefund = true\n{extra}",
            if extra.contains("transit") {
                "transit-damage"
            } else {
                "lost-package"
            }
        )
    };
    let e = error(&lost(""));
    assert!(e.contains("needs `late_after_days`"), "{e}");
    assert!(error(&lost("late_after_days = 0\n")).contains("at least 1"));
    let e = error(&lost("late_after_days = 3\n# transit\n"));
    assert!(e.contains("only applies to `lost-package`"), "{e}");
    let p = PackSet::parse("ok.toml", &lost("late_after_days = 3\n")).unwrap();
    assert_eq!(p.compensations[0].late_after_days, Some(3));
}

/// `[complaint_options]` (OPTIONS-3): the rule must be OPTIONS-3 and the number one the guard
/// can count; a good one is cited by the pack.
#[test]
fn complaint_options_are_validated() {
    for (section, reason) in [
        (
            "[complaint_options]\nrule = \"OPTIONS-3\"\nmin_options = 0\n",
            "`min_options` must be 1 to 7, not 0",
        ),
        (
            "[complaint_options]\nrule = \"OPTIONS-3\"\nmin_options = 12\n",
            "must be 1 to 7",
        ),
        (
            "[complaint_options]\nrule = \"AE-CLEAR\"\nmin_options = 3\n",
            "enforces OPTIONS-3, not `AE-CLEAR`",
        ),
        (
            "[complaint_options]\nrule = \"TB-FRT-5M\"\nmin_options = 3\n",
            "not `guard`",
        ),
        (
            "[complaint_options]\nrule = \"OPTIONS-3\"\nmin = 3\n",
            "unknown field `min`",
        ),
    ] {
        let e = error(&format!("{MINIMAL}\n{section}"));
        assert!(e.contains(reason), "{section}: {e}");
        assert!(e.starts_with("bad.toml:"), "{e}");
    }
    let ok = format!("{MINIMAL}\n[complaint_options]\nrule = \"OPTIONS-3\"\nmin_options = 2\n");
    let p = PackSet::parse("ok.toml", &ok).unwrap();
    assert_eq!(p.complaint_options.as_ref().unwrap().min_options, 2);
    assert!(p.cited_rules().contains("OPTIONS-3"));
}

/// A shop's own phrases from its settings, as the reply guard takes them.
#[test]
fn shop_phrases_are_language_phrase_pairs() {
    let o: ShopOverrides = serde_json::from_value(serde_json::json!({
        "forbidden_phrases": {"zh": ["包邮", "最便宜"], "en": ["free shipping"]},
        "required_phrases": {"*": ["Kind regards"]},
    }))
    .unwrap();
    let (forbidden, required) = o.shop_phrases();
    let pair = |l: &str, p: &str| (l.to_string(), p.to_string());
    assert_eq!(
        forbidden,
        [
            pair("en", "free shipping"),
            pair("zh", "包邮"),
            pair("zh", "最便宜")
        ]
    );
    assert_eq!(required, [pair("*", "Kind regards")]);
    assert_eq!(ShopOverrides::default().shop_phrases(), (vec![], vec![]));
}
