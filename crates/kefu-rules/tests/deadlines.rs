//! Deadlines of the embedded packs, one test per clock rule (IDs from RULES.md).

use chrono::{DateTime, Duration, FixedOffset, Utc};
use kefu_rules::{
    Channel, ClockKind, Deadline, DeadlineInput, ItemPrice, PackSet, Severity, ShopOverrides,
    Trigger, deadlines,
};
use rust_decimal::Decimal;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn fixed(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn run(pack: &str, input: &DeadlineInput) -> Vec<Deadline> {
    let set = PackSet::embedded().unwrap();
    deadlines(set.get(pack).unwrap(), input)
}

fn first(received: &str) -> DeadlineInput {
    DeadlineInput::first_message(at(received))
}

fn with_total(received: &str, amount: &str, currency: &str) -> DeadlineInput {
    DeadlineInput {
        order_total: Some((amount.parse::<Decimal>().unwrap(), currency.into())),
        ..first(received)
    }
}

fn find<'a>(list: &'a [Deadline], rule: &str) -> &'a Deadline {
    list.iter()
        .find(|d| d.rule == rule)
        .unwrap_or_else(|| panic!("{rule} missing in {list:#?}"))
}

#[test]
fn tb_frt_5m_at_2258_is_due_0903_next_day() {
    let list = run("taobao", &first("2026-11-11T22:58:00+08:00"));
    assert_eq!(list.len(), 1, "{list:#?}");
    let d = find(&list, "TB-FRT-5M");
    assert_eq!(d.due, fixed("2026-11-12T09:03:00+08:00"));
    assert_eq!(d.due.to_rfc3339(), "2026-11-12T09:03:00+08:00");
    assert_eq!(d.severity, Severity::Platform);
    assert_eq!(d.clock, ClockKind::FirstResponse);
    assert!(d.binding);
    let e = &d.explanation;
    for part in [
        "received 2026-11-11 22:58",
        "ran 2 min until closing at 23:00",
        "resumed 2026-11-12 09:00",
        "due 2026-11-12 09:03",
        "TB-FRT-5M, calendar taobao-hours",
    ] {
        assert!(e.contains(part), "{part:?} not in {e:?}");
    }
}

#[test]
fn tb_frt_5m_inside_and_before_hours() {
    let list = run("taobao", &first("2026-11-11T10:00:00+08:00"));
    assert_eq!(
        find(&list, "TB-FRT-5M").due,
        fixed("2026-11-11T10:05:00+08:00")
    );
    // 03:00 is outside TB-HOURS: the clock starts at 09:00.
    let list = run("taobao", &first("2026-11-11T03:00:00+08:00"));
    let d = find(&list, "TB-FRT-5M");
    assert_eq!(d.due, fixed("2026-11-11T09:05:00+08:00"));
    assert!(
        d.explanation.contains("clock starts at 09:00"),
        "{}",
        d.explanation
    );
}

#[test]
fn tb_frt_5m_only_for_first_message() {
    let input = DeadlineInput {
        trigger: Trigger::BuyerMessage { first: false },
        ..first("2026-11-11T10:00:00+08:00")
    };
    assert!(run("taobao", &input).is_empty());
}

#[test]
fn tb_frt_5m_tmall_same_as_taobao() {
    let list = run("tmall", &first("2026-11-11T22:58:00+08:00"));
    assert_eq!(
        find(&list, "TB-FRT-5M").due,
        fixed("2026-11-12T09:03:00+08:00")
    );
}

#[test]
fn deadline_json_shape() {
    let list = run("taobao", &first("2026-11-11T22:58:00+08:00"));
    let json = serde_json::to_value(&list[0]).unwrap();
    assert_eq!(json["rule"], "TB-FRT-5M");
    assert_eq!(json["clock"], "first_response");
    assert_eq!(json["due"], "2026-11-12T09:03:00+08:00");
    assert_eq!(json["severity"], "platform");
    assert_eq!(json["binding"], true);
    assert!(json["explanation"].as_str().unwrap().contains("09:03"));
    // A UTC shop gets a numeric offset too, not `Z`.
    let list = run("generic", &first("2026-11-13T10:00:00Z"));
    let json = serde_json::to_value(&list[0]).unwrap();
    assert_eq!(json["due"], "2026-11-13T10:00:30+00:00");
}

#[test]
fn ebay_frt_24h_is_calendar_time_at_any_hour() {
    for h in 0..24 {
        let received = at("2026-06-10T00:00:00Z") + Duration::minutes(h * 60 + 17);
        let list = deadlines(
            PackSet::embedded().unwrap().get("ebay").unwrap(),
            &DeadlineInput::first_message(received),
        );
        assert_eq!(list.len(), 1, "no high-value clock without an order total");
        let d = find(&list, "EBAY-FRT-24H");
        assert_eq!(d.due, received + Duration::hours(24));
        assert_eq!(d.severity, Severity::Platform);
        assert!(d.binding);
    }
}

#[test]
fn ebay_frt_24h_across_dst_keeps_real_hours_and_shows_new_offset() {
    // Los Angeles springs forward on 2026-03-08.
    let list = run("ebay", &first("2026-03-07T12:00:00-08:00"));
    let d = find(&list, "EBAY-FRT-24H");
    assert_eq!(d.due.to_rfc3339(), "2026-03-08T13:00:00-07:00");
}

#[test]
fn ebay_highvalue_12h_alongside_24h() {
    let list = run(
        "ebay",
        &with_total("2026-11-11T10:00:00-08:00", "600", "USD"),
    );
    assert_eq!(list.len(), 2, "{list:#?}");
    let hv = find(&list, "EBAY-HIGHVALUE-12H");
    let frt = find(&list, "EBAY-FRT-24H");
    assert_eq!(hv.due, fixed("2026-11-11T22:00:00-08:00"));
    assert_eq!(frt.due, fixed("2026-11-12T10:00:00-08:00"));
    assert_eq!(hv.clock, ClockKind::HighValueResponse);
    // Both owe a reply: the earlier one binds.
    assert!(hv.binding && !frt.binding);
    assert!(
        hv.explanation.contains("600 USD above 500 USD"),
        "{}",
        hv.explanation
    );
    assert!(frt.explanation.contains("not binding: EBAY-HIGHVALUE-12H"));
}

#[test]
fn ebay_highvalue_12h_not_at_500_or_in_other_currency() {
    // "超过500美元": above, so exactly 500 does not count.
    assert_eq!(
        run("ebay", &with_total("2026-11-11T10:00:00Z", "500.00", "USD")).len(),
        1
    );
    // A currency for which the pack states no limit is not converted without a rate.
    assert_eq!(
        run("ebay", &with_total("2026-11-11T10:00:00Z", "90000", "JPY")).len(),
        1
    );
    // Lower-case currency codes are accepted.
    assert_eq!(
        run("ebay", &with_total("2026-11-11T10:00:00Z", "600", "usd")).len(),
        2
    );
}

fn items(list: &[(&str, &str)]) -> Vec<ItemPrice> {
    list.iter()
        .map(|(title, price)| ItemPrice {
            title: (*title).into(),
            unit_price: price.parse().unwrap(),
        })
        .collect()
}

fn high_value(pack: &kefu_rules::Pack, input: &DeadlineInput) -> Option<Deadline> {
    deadlines(pack, input)
        .into_iter()
        .find(|d| d.rule == "EBAY-HIGHVALUE-12H")
}

#[test]
fn ebay_highvalue_12h_compares_each_items_unit_price() {
    let ebay = PackSet::embedded().unwrap().get("ebay").unwrap().clone();
    let t = "2026-11-11T10:00:00-08:00";
    // Two US$450 lenses make a US$900 order, but no unit price is above US$500 (单价).
    let two = with_total(t, "900.00", "USD")
        .with_items(items(&[("Lens A", "450.00"), ("Lens B", "450.00")]));
    assert!(high_value(&ebay, &two).is_none());
    // One US$600 camera among cheaper items: the explanation names it.
    let one = with_total(t, "650.00", "USD")
        .with_items(items(&[("Strap", "50.00"), ("Leica M6 body", "600.00")]));
    let hv = high_value(&ebay, &one).expect("EBAY-HIGHVALUE-12H");
    assert_eq!(hv.due, fixed("2026-11-11T22:00:00-08:00"));
    for part in [
        "unit price of item \"Leica M6 body\" (the highest of 2 items) 600.00 USD above 500 USD",
        "the pack's limit",
    ] {
        assert!(
            hv.explanation.contains(part),
            "{part:?} not in {}",
            hv.explanation
        );
    }
    // No item prices: the total is taken as one item's price, and the explanation says so.
    let hv = high_value(&ebay, &with_total(t, "600", "USD")).unwrap();
    assert!(
        hv.explanation
            .contains("no item prices known, so the total is taken as one item's unit price"),
        "{}",
        hv.explanation
    );
}

#[test]
fn ebay_highvalue_12h_uses_the_limit_of_the_orders_currency() {
    let ebay = PackSet::embedded().unwrap().get("ebay").unwrap().clone();
    let t = "2026-11-11T10:00:00Z";
    // (currency, price just above the pack's limit, price at the limit)
    for (cur, above, at_limit) in [
        ("GBP", "400.01", "400"),
        ("EUR", "460.01", "460"),
        ("AUD", "750.01", "750"),
        ("CAD", "680.01", "680"),
    ] {
        let input = with_total(t, above, cur).with_items(items(&[("Camera", above)]));
        let hv = high_value(&ebay, &input).unwrap_or_else(|| panic!("{cur}: no high-value clock"));
        let want = format!(
            "unit price of item \"Camera\" {above} {cur} above {at_limit} {cur} (the pack's limit for {cur}, standing for 500 USD)"
        );
        assert!(
            hv.explanation.contains(&want),
            "{want:?} not in {}",
            hv.explanation
        );
        let input = with_total(t, at_limit, cur).with_items(items(&[("Camera", at_limit)]));
        assert!(high_value(&ebay, &input).is_none(), "{cur} at the limit");
    }
}

#[test]
fn ebay_highvalue_12h_shop_limits_from_settings() {
    let ebay = PackSet::embedded().unwrap().get("ebay").unwrap().clone();
    let t = "2026-11-11T10:00:00Z";
    let o: ShopOverrides = serde_json::from_value(
        serde_json::json!({"high_value_thresholds": {"gbp": "350", "USD": "450", "CHF": "440"}}),
    )
    .unwrap();
    let shop = ebay.with_overrides(&o).unwrap();
    let gbp = with_total(t, "360", "GBP").with_items(items(&[("Watch", "360")]));
    assert!(
        high_value(&ebay, &gbp).is_none(),
        "under the pack's GBP 400"
    );
    let hv = high_value(&shop, &gbp).expect("above the shop's GBP 350");
    assert!(
        hv.explanation
            .contains("360 GBP above 350 GBP (the shop's limit for GBP"),
        "{}",
        hv.explanation
    );
    let usd = with_total(t, "480", "USD");
    let hv = high_value(&shop, &usd).expect("above the shop's stricter USD 450");
    assert!(
        hv.explanation
            .contains("480 USD above 450 USD (the shop's limit"),
        "{}",
        hv.explanation
    );
    assert!(high_value(&shop, &with_total(t, "450", "CHF")).is_some());
    // Refused: looser than the rule in its own currency, unknown currency, not positive, a
    // pack without a high-value clock.
    for (pack, settings, reason) in [
        (
            "ebay",
            serde_json::json!({"USD": "600"}),
            "stricter than the rule",
        ),
        ("ebay", serde_json::json!({"XYZ": "1"}), "unknown currency"),
        ("ebay", serde_json::json!({"GBP": "0"}), "positive"),
        (
            "taobao",
            serde_json::json!({"CNY": "3000"}),
            "no high-value clock",
        ),
    ] {
        let o: ShopOverrides =
            serde_json::from_value(serde_json::json!({"high_value_thresholds": settings})).unwrap();
        let p = PackSet::embedded().unwrap().get(pack).unwrap().clone();
        let e = p.with_overrides(&o).unwrap_err().to_string();
        assert!(e.contains(reason), "{settings}: {e}");
    }
}

#[test]
fn ebay_highvalue_12h_on_later_messages_too() {
    let input = DeadlineInput {
        trigger: Trigger::BuyerMessage { first: false },
        ..with_total("2026-11-11T10:00:00Z", "999", "USD")
    };
    let list = run("ebay", &input);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].rule, "EBAY-HIGHVALUE-12H");
}

#[test]
fn ebay_escalate_2h_followup_48h_collective_72h() {
    let t = at("2026-11-11T10:00:00Z");
    let cases = [
        (
            Trigger::ComplexIssue,
            "EBAY-ESCALATE-2H",
            ClockKind::Escalation,
            2,
        ),
        (
            Trigger::ResolutionOffered,
            "EBAY-FOLLOWUP-48H",
            ClockKind::Followup,
            48,
        ),
        (
            Trigger::CollectiveComplaint,
            "COLLECTIVE-3LEVEL",
            ClockKind::Incident,
            72,
        ),
    ];
    for (trigger, rule, kind, hours) in cases {
        let input = DeadlineInput {
            trigger,
            ..DeadlineInput::first_message(t)
        };
        let list = run("ebay", &input);
        assert_eq!(list.len(), 1, "{rule}");
        assert_eq!(list[0].rule, rule);
        assert_eq!(list[0].clock, kind);
        assert_eq!(list[0].due, t + Duration::hours(hours));
    }
}

#[test]
fn ae_peak_1h_before_peak_runs_from_0800_and_binds() {
    let list = run("aliexpress", &first("2026-11-11T07:30:00+08:00"));
    assert_eq!(list.len(), 2);
    let peak = find(&list, "AE-PEAK-1H");
    let cap = find(&list, "AE-FRT-24H");
    assert_eq!(peak.due, fixed("2026-11-11T09:00:00+08:00"));
    assert_eq!(cap.due, fixed("2026-11-12T07:30:00+08:00"));
    assert!(peak.binding && !cap.binding);
    assert!(
        peak.explanation.contains("clock starts at 08:00"),
        "{}",
        peak.explanation
    );
}

#[test]
fn ae_peak_1h_at_2330_pauses_at_midnight_ae_frt_24h_cap() {
    let list = run("aliexpress", &first("2026-11-11T23:30:00+08:00"));
    let peak = find(&list, "AE-PEAK-1H");
    let cap = find(&list, "AE-FRT-24H");
    assert_eq!(peak.due, fixed("2026-11-12T08:30:00+08:00"));
    assert_eq!(cap.due, fixed("2026-11-12T23:30:00+08:00"));
    assert!(peak.binding && !cap.binding);
    assert!(
        peak.explanation
            .contains("ran 30 min until closing at 2026-11-12 00:00"),
        "{}",
        peak.explanation
    );
}

#[test]
fn ae_frt_24h_and_peak_1h_on_later_messages() {
    let input = DeadlineInput {
        trigger: Trigger::BuyerMessage { first: false },
        ..first("2026-11-11T12:00:00+08:00")
    };
    let list = run("aliexpress", &input);
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|d| d.clock == ClockKind::NextResponse));
    assert_eq!(
        find(&list, "AE-PEAK-1H").due,
        fixed("2026-11-11T13:00:00+08:00")
    );
}

#[test]
fn tb_aftersales_24_48h_default_and_override() {
    let set = PackSet::embedded().unwrap();
    let taobao = set.get("taobao").unwrap();
    let input = DeadlineInput {
        trigger: Trigger::AfterSalesRequest,
        ..first("2026-11-11T22:00:00+08:00")
    };
    let list = deadlines(taobao, &input);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].rule, "TB-AFTERSALES-24-48H");
    assert_eq!(list[0].due, fixed("2026-11-12T22:00:00+08:00"));
    let o = ShopOverrides {
        aftersales_promise_hours: Some(48),
        ..Default::default()
    };
    let list = deadlines(&taobao.with_overrides(&o).unwrap(), &input);
    assert_eq!(list[0].due, fixed("2026-11-13T22:00:00+08:00"));
    for bad in [36, 0, 480] {
        let o = ShopOverrides {
            aftersales_promise_hours: Some(bad),
            ..Default::default()
        };
        let e = taobao.with_overrides(&o).unwrap_err().to_string();
        assert!(e.contains("24 or 48"), "{e}");
    }
}

#[test]
fn kpi_frt_3h_from_overrides_is_a_separate_target() {
    let set = PackSet::embedded().unwrap();
    let o: ShopOverrides = toml::from_str("first_response_target = \"3h\"").unwrap();
    let ebay = set.get("ebay").unwrap().with_overrides(&o).unwrap();
    // Shop hours 06:00–22:00 Los Angeles: 21:00 has 1 h that night, 2 h from 06:00.
    let list = deadlines(&ebay, &first("2026-11-11T21:00:00-08:00"));
    let kpi = find(&list, "KPI-FRT-3H");
    assert_eq!(kpi.due, fixed("2026-11-12T08:00:00-08:00"));
    assert_eq!(kpi.severity, Severity::Target);
    // Different severities are not compared: both bind within their own severity.
    assert!(kpi.binding && find(&list, "EBAY-FRT-24H").binding);
    // Calendar time when asked.
    let o: ShopOverrides = toml::from_str(
        "first_response_target = \"3h\"\nfirst_response_target_calendar = \"always\"",
    )
    .unwrap();
    let ebay = set.get("ebay").unwrap().with_overrides(&o).unwrap();
    let list = deadlines(&ebay, &first("2026-11-11T21:00:00-08:00"));
    assert_eq!(
        find(&list, "KPI-FRT-3H").due,
        fixed("2026-11-12T00:00:00-08:00")
    );
}

#[test]
fn gen_targets_on_generic_pack() {
    // 2026-11-13 is a Friday; generic shop hours are Mon–Fri 09–12, 13–18 UTC.
    let list = run("generic", &first("2026-11-13T11:59:50Z"));
    let frt = find(&list, "GEN-FIRST-30S");
    assert_eq!(frt.due, fixed("2026-11-13T13:00:20+00:00"));
    assert_eq!(frt.severity, Severity::Target);
    let simple = find(&list, "GEN-SIMPLE-5M");
    assert_eq!(simple.due, fixed("2026-11-13T13:04:50+00:00"));
    assert_eq!(simple.clock, ClockKind::Resolution);
    // Friday 17:58 + 5 min of working time → Monday 09:03.
    let list = run("generic", &first("2026-11-13T17:58:00Z"));
    assert_eq!(
        find(&list, "GEN-SIMPLE-5M").due,
        fixed("2026-11-16T09:03:00+00:00")
    );
    let input = DeadlineInput {
        trigger: Trigger::ComplexIssue,
        ..first("2026-11-13T17:58:00Z")
    };
    let list = run("generic", &input);
    assert_eq!(
        find(&list, "GEN-COMPLEX-24H").due,
        fixed("2026-11-14T17:58:00+00:00")
    );
}

#[test]
fn pinduoduo_has_only_general_targets() {
    // A message through the marketplace, Pinduoduo's live buyer chat.
    let list = run("pinduoduo", &first("2026-11-11T22:58:00+08:00"));
    let rules: Vec<&str> = list.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(rules, ["GEN-FIRST-30S", "GEN-SIMPLE-5M"]);
    assert_eq!(list[1].due, fixed("2026-11-12T09:03:00+08:00"));
    assert_eq!(list[0].due, fixed("2026-11-11T22:58:30+08:00"));
}

fn rules_on(pack: &str, channel: Option<Channel>) -> Vec<String> {
    let mut input = first("2026-11-13T10:00:00+08:00");
    input.channel = channel;
    run(pack, &input).into_iter().map(|d| d.rule).collect()
}

#[test]
fn gen_first_30s_opens_on_live_chat_only() {
    use Channel::*;
    // (pack, channel, whether GEN-FIRST-30S opens)
    #[rustfmt::skip]
    let table = [
        ("generic", Some(WebChat), true), ("generic", None, true), ("generic", Some(Email), false),
        ("generic", Some(Phone), false), ("generic", Some(Marketplace), false), ("generic", Some(Api), false),
        ("taobao", Some(WebChat), true), ("taobao", Some(Marketplace), false), ("taobao", None, false),
        ("taobao", Some(Email), false), ("tmall", Some(WebChat), true), ("tmall", Some(Email), false),
        ("pinduoduo", Some(Marketplace), true), ("pinduoduo", Some(WebChat), true),
        ("pinduoduo", Some(Email), false), ("ebay", Some(WebChat), false), ("aliexpress", Some(WebChat), false),
    ];
    for (pack, channel, opens) in table {
        let rules = rules_on(pack, channel);
        assert_eq!(
            rules.iter().any(|r| r == "GEN-FIRST-30S"),
            opens,
            "{pack} {channel:?}: {rules:?}"
        );
    }
    // Other first-response clocks do not depend on the channel.
    assert!(rules_on("taobao", Some(Email)).contains(&"TB-FRT-5M".to_string()));
    assert!(rules_on("generic", Some(Email)).contains(&"GEN-SIMPLE-5M".to_string()));
    // The explanation says on which channel it opened, or that the channel was assumed.
    let mut input = first("2026-11-13T10:00:00+08:00");
    input.channel = Some(WebChat);
    let list = run("taobao", &input);
    let e = &find(&list, "GEN-FIRST-30S").explanation;
    assert!(
        e.starts_with("on web_chat; this clock opens on web_chat only; received"),
        "{e}"
    );
    assert_eq!(
        find(&list, "GEN-FIRST-30S").due,
        fixed("2026-11-13T10:00:30+08:00")
    );
    let list = run("generic", &first("2026-11-13T10:00:00Z"));
    let e = &find(&list, "GEN-FIRST-30S").explanation;
    assert!(
        e.starts_with("channel not given, taken as web_chat (the pack's default)"),
        "{e}"
    );
}

#[test]
fn shop_timezone_override_moves_platform_hours() {
    // A Taobao shop run from Berlin: TB-HOURS are read in shop local time.
    let set = PackSet::embedded().unwrap();
    let o = ShopOverrides {
        timezone: Some("Europe/Berlin".into()),
        ..Default::default()
    };
    let pack = set.get("taobao").unwrap().with_overrides(&o).unwrap();
    let list = deadlines(&pack, &first("2026-11-11T22:58:00+01:00"));
    assert_eq!(list[0].due.to_rfc3339(), "2026-11-12T09:03:00+01:00");
}
