//! Entitlements of an order (`entitlements`), as tables: each row names its rule ID from
//! RULES.md, the order facts, and what the buyer is entitled to at `now`.

use chrono::{DateTime, Utc};
use kefu_rules::{Entitlement, OrderFacts, Pack, PackSet, ShopOverrides, entitlements};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Taobao as a shop offering every promise, with its own periods and agreed amount.
fn taobao() -> Pack {
    let o: ShopOverrides = serde_json::from_value(serde_json::json!({
        "promise_days": {"TB-RETURN-PROMISE": 15, "TB-DAMAGE-RESHIP": 7},
        "agreed_compensation": {"quality-promise": "50"}
    }))
    .unwrap();
    PackSet::embedded()
        .unwrap()
        .get("taobao")
        .unwrap()
        .with_overrides(&o)
        .unwrap()
}

fn pack(id: &str) -> Pack {
    PackSet::embedded().unwrap().get(id).unwrap().clone()
}

const ALL_PROMISES: [&str; 7] = [
    "ship-time",
    "fake-3x",
    "quality",
    "return",
    "damage-reship",
    "courier",
    "arrival",
];

/// ¥120.00 paid 2026-11-01 10:00 Shanghai, promised to ship by 11-02 18:00, all promises.
fn order() -> OrderFacts {
    let mut o = OrderFacts::new(
        "120.00".parse().unwrap(),
        "CNY",
        at("2026-11-01T10:00:00+08:00"),
    );
    o.promised_ship_by = Some(at("2026-11-02T18:00:00+08:00"));
    o.promises = ALL_PROMISES.map(String::from).to_vec();
    o
}

fn shipped(mut o: OrderFacts, s: &str) -> OrderFacts {
    o.shipped_at = Some(at(s));
    o
}

fn delivered(mut o: OrderFacts, d: &str) -> OrderFacts {
    o.shipped_at = o.shipped_at.or(Some(at("2026-11-02T12:00:00+08:00")));
    o.delivered_at = Some(at(d));
    o
}

fn closed(mut o: OrderFacts, c: &str) -> OrderFacts {
    o.closed_at = Some(at(c));
    o
}

fn find<'a>(list: &'a [Entitlement], kind: &str) -> &'a Entitlement {
    list.iter()
        .find(|e| e.kind == kind)
        .unwrap_or_else(|| panic!("{kind} missing in {list:#?}"))
}

/// One row: (rule, kind, order, now, entitled, reason fragment, amount, refund, total,
/// shipping, window_until).
type Row<'a> = (
    &'a str,
    &'a str,
    OrderFacts,
    &'a str,
    bool,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn check(pack: &Pack, rows: Vec<Row>) {
    for (rule, kind, o, now, entitled, reason, amount, refund, total, shipping, until) in rows {
        let list = entitlements(pack, &o, at(now));
        let e = find(&list, kind);
        let ctx = format!("{rule} {kind} at {now}: {e:#?}");
        assert_eq!(e.rule, rule, "{ctx}");
        assert_eq!(e.entitled, entitled, "{ctx}");
        assert!(e.reason.contains(reason), "{reason:?} not in {ctx}");
        assert!(e.reason.ends_with(&format!("({rule})")), "{ctx}");
        assert_eq!(e.amount.as_deref(), amount, "{ctx}");
        assert_eq!(e.refund.as_deref(), refund, "{ctx}");
        assert_eq!(e.total.as_deref(), total, "{ctx}");
        assert_eq!(e.shipping_borne_by.as_deref(), shipping, "{ctx}");
        let got = e.window_until.map(|t| t.to_rfc3339());
        assert_eq!(got.as_deref(), until, "{ctx}");
        if e.amount.is_some() {
            assert!(e.currency.is_some(), "{ctx}");
        }
    }
}

#[test]
fn tb_ship_promise_late_shipment() {
    let not_on_order = OrderFacts {
        promises: vec!["fake-3x".into()],
        ..order()
    };
    let no_ship_by = OrderFacts {
        promised_ship_by: None,
        ..order()
    };
    let r = "TB-SHIP-PROMISE";
    let k = "late-shipment";
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // Shipped a day late: 5 % of 120.00 = 6.00.
        (r, k, shipped(order(), "2026-11-03T18:00:00+08:00"), "2026-11-04T10:00:00+08:00", true, "after the promised 2026-11-02 18:00", Some("6.00"), None, Some("6.00"), None, None),
        // Not shipped and past the promise: entitled now.
        (r, k, order(), "2026-11-02T18:00:01+08:00", true, "not shipped", Some("6.00"), None, Some("6.00"), None, None),
        // Not shipped, not late yet.
        (r, k, order(), "2026-11-02T17:00:00+08:00", false, "not late yet", None, None, None, None, None),
        // Shipped in time (exactly at the promise).
        (r, k, shipped(order(), "2026-11-02T18:00:00+08:00"), "2026-11-05T10:00:00+08:00", false, "within the promised time", None, None, None, None, None),
        // Promise not offered on this order.
        (r, k, not_on_order, "2026-11-05T10:00:00+08:00", false, "promise ship-time not offered on this order", None, None, None, None, None),
        (r, k, no_ship_by, "2026-11-05T10:00:00+08:00", false, "no promised ship-by time", None, None, None, None, None),
    ];
    check(&taobao(), rows);
}

#[test]
fn promise_not_offered_by_the_shop() {
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"promises": ["fake-3x"]})).unwrap();
    let shop = pack("taobao").with_overrides(&o).unwrap();
    let late = shipped(order(), "2026-11-03T18:00:00+08:00");
    let list = entitlements(&shop, &late, at("2026-11-04T10:00:00+08:00"));
    for (kind, rule, promise) in [
        ("late-shipment", "TB-SHIP-PROMISE", "ship-time"),
        ("quality-promise", "TB-QUALITY-PROMISE", "quality"),
        ("courier-promise", "TB-COURIER-PROMISE", "courier"),
        ("damage-reship", "TB-DAMAGE-RESHIP", "damage-reship"),
    ] {
        let e = find(&list, kind);
        assert_eq!(e.rule, rule);
        assert!(!e.entitled);
        let want = format!("promise {promise} not offered by the shop ({rule})");
        assert_eq!(e.reason, want);
    }
    // Rules without a promise stay.
    assert!(find(&list, "return-7d").rule == "TB-RETURN-7D");
}

#[test]
fn tb_return_7d_and_ebay_return_14d_windows() {
    let got = delivered(order(), "2026-11-05T10:00:00+08:00");
    let mut ebay_order = OrderFacts::new(
        "80.00".parse().unwrap(),
        "USD",
        at("2026-03-01T10:00:00-08:00"),
    );
    ebay_order = delivered(ebay_order, "2026-03-05T10:00:00-08:00");
    let (r7, k7) = ("TB-RETURN-7D", "return-7d");
    let (r14, k14) = ("EBAY-RETURN-14D", "ebay-return-14d");
    #[rustfmt::skip]
    let taobao_rows: Vec<Row> = vec![
        // Received 11-05: open through 24:00 of 11-12 (next-day counting).
        (r7, k7, got.clone(), "2026-11-12T23:59:00+08:00", true, "open until 2026-11-13 00:00", Some("0.00"), Some("120.00"), Some("120.00"), Some("buyer"), Some("2026-11-13T00:00:00+08:00")),
        (r7, k7, got.clone(), "2026-11-13T00:00:00+08:00", false, "window passed", None, None, None, Some("buyer"), Some("2026-11-13T00:00:00+08:00")),
        (r7, k7, order(), "2026-11-03T10:00:00+08:00", false, "not yet: the window runs from receipt", None, None, None, None, None),
        // TB-RETURN-PROMISE: the shop's 15 days, postage as agreed.
        ("TB-RETURN-PROMISE", "return-promise", got, "2026-11-20T12:00:00+08:00", true, "open until 2026-11-21 00:00", Some("0.00"), Some("120.00"), Some("120.00"), Some("agreed"), Some("2026-11-21T00:00:00+08:00")),
    ];
    check(&taobao(), taobao_rows);
    #[rustfmt::skip]
    let ebay_rows: Vec<Row> = vec![
        // Across the DST change of 2026-03-08: ends 24:00 PDT of 03-19.
        (r14, k14, ebay_order.clone(), "2026-03-19T23:00:00-07:00", true, "open until 2026-03-20 00:00", Some("0.00"), Some("80.00"), Some("80.00"), Some("agreed"), Some("2026-03-20T00:00:00-07:00")),
        (r14, k14, ebay_order, "2026-03-20T00:00:00-07:00", false, "window passed", None, None, None, Some("agreed"), Some("2026-03-20T00:00:00-07:00")),
    ];
    check(&pack("ebay"), ebay_rows);
}

#[test]
fn tb_damage_reship_once_then_refund() {
    let got = delivered(order(), "2026-11-05T10:00:00+08:00");
    let again = OrderFacts {
        reshipped_for_damage: true,
        ..got.clone()
    };
    let (r, k) = ("TB-DAMAGE-RESHIP", "damage-reship");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        (r, k, got.clone(), "2026-11-08T10:00:00+08:00", true, "one reshipment of the damaged part", None, None, None, Some("seller"), Some("2026-11-13T00:00:00+08:00")),
        (r, k, got, "2026-11-13T00:00:00+08:00", false, "window passed", None, None, None, Some("seller"), Some("2026-11-13T00:00:00+08:00")),
        (r, k, again.clone(), "2026-11-08T10:00:00+08:00", false, "already reshipped once", None, None, None, None, None),
        (r, "damage-refund", again, "2026-11-20T10:00:00+08:00", true, "return and refund", Some("0.00"), Some("120.00"), Some("120.00"), Some("seller"), None),
    ];
    check(&taobao(), rows);
    // Without the shop's period no window is guessed.
    let plain = pack("taobao");
    let list = entitlements(
        &plain,
        &delivered(order(), "2026-11-05T10:00:00+08:00"),
        at("2026-11-06T10:00:00+08:00"),
    );
    let e = find(&list, "damage-reship");
    assert!(!e.entitled);
    assert!(
        e.reason.contains("has not set its promised period"),
        "{e:?}"
    );
}

#[test]
fn tb_fake_3x_only_if_upheld() {
    let (r, k) = ("TB-FAKE-3X", "fake-goods");
    let no_promise = OrderFacts {
        promises: vec![],
        ..order()
    };
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        (r, k, delivered(order(), "2026-11-05T10:00:00+08:00"), "2026-11-06T10:00:00+08:00", false, "entitled if the claim is upheld", Some("240.00"), Some("120.00"), Some("360.00"), Some("seller"), None),
        (r, k, no_promise, "2026-11-06T10:00:00+08:00", false, "promise fake-3x not offered on this order", None, None, None, None, None),
    ];
    check(&taobao(), rows);
}

#[test]
fn courier_and_arrival_promise_15_days_from_close() {
    let got = delivered(order(), "2026-11-05T10:00:00+08:00");
    let done = closed(got.clone(), "2026-11-06T10:00:00+08:00");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("TB-COURIER-PROMISE", "courier-promise", got.clone(), "2026-11-06T09:00:00+08:00", true, "open until 15 days after the order closes", None, None, None, None, None),
        ("TB-COURIER-PROMISE", "courier-promise", done.clone(), "2026-11-21T23:00:00+08:00", true, "courier the buyer chose", None, None, None, None, Some("2026-11-22T00:00:00+08:00")),
        ("TB-COURIER-PROMISE", "courier-promise", done.clone(), "2026-11-22T00:00:00+08:00", false, "window passed", None, None, None, None, Some("2026-11-22T00:00:00+08:00")),
        ("TB-ARRIVAL-PROMISE", "arrival-promise", done.clone(), "2026-11-10T00:00:00+08:00", true, "not delivered by the promised time", None, None, None, None, Some("2026-11-22T00:00:00+08:00")),
        ("TB-ARRIVAL-PROMISE", "arrival-promise", done, "2026-12-01T00:00:00+08:00", false, "window passed", None, None, None, None, Some("2026-11-22T00:00:00+08:00")),
    ];
    check(&taobao(), rows);
}

#[test]
fn quality_and_transit_damage() {
    let on_way = shipped(order(), "2026-11-02T12:00:00+08:00");
    let got = delivered(order(), "2026-11-05T10:00:00+08:00");
    let now = "2026-11-06T10:00:00+08:00";
    #[rustfmt::skip]
    let taobao_rows: Vec<Row> = vec![
        ("TB-QUALITY-SHIPPING", "quality-return-shipping", got.clone(), now, true, "merchant bears the round-trip shipping", Some("0.00"), Some("120.00"), Some("120.00"), Some("seller"), None),
        ("TB-QUALITY-SHIPPING", "quality-return-shipping", on_way, now, false, "not delivered yet", None, None, None, None, None),
        ("TB-QUALITY-PROMISE", "quality-promise", got.clone(), now, true, "agreed compensation", Some("50.00"), Some("120.00"), Some("170.00"), None, None),
        ("TB-QUALITY-PROMISE", "quality-promise", closed(got.clone(), "2026-11-06T09:00:00+08:00"), now, false, "window passed", None, None, None, None, None),
        ("TRANSIT-DAMAGE-COMP", "transit-damage", got, now, true, "exchange or refund", Some("0.00"), Some("120.00"), Some("120.00"), Some("seller"), None),
    ];
    check(&taobao(), taobao_rows);
}

/// A US$120 eBay order paid 2026-11-09 and shipped 2026-11-10 09:00 Los Angeles time.
fn ebay_shipped() -> OrderFacts {
    let mut o = OrderFacts::new(
        "120.00".parse().unwrap(),
        "USD",
        at("2026-11-09T10:00:00-08:00"),
    );
    o.shipped_at = Some(at("2026-11-10T09:00:00-08:00"));
    o
}

#[test]
fn lost_reship_or_refund_waits_until_the_parcel_is_late() {
    let r = "LOST-RESHIP-OR-REFUND";
    let k = "lost-reship-or-refund";
    let not_yet = "not yet: the parcel is not late until 2026-11-20 09:00 -08:00";
    #[rustfmt::skip]
    let ebay_rows: Vec<Row> = vec![
        // 22 hours after shipping the parcel is on its way: no refund to offer.
        (r, k, ebay_shipped(), "2026-11-11T07:00:00-08:00", false, not_yet, None, None, None, None, None),
        (r, k, ebay_shipped(), "2026-11-20T08:59:59-08:00", false, not_yet, None, None, None, None, None),
        // 10 days (the pack's late_after_days) without delivery: late or lost.
        (r, k, ebay_shipped(), "2026-11-20T09:00:00-08:00", true, "the parcel is late or lost, reship or refund at once", Some("0.00"), Some("120.00"), Some("120.00"), Some("seller"), None),
        (r, k, delivered(ebay_shipped(), "2026-11-12T10:00:00-08:00"), "2026-11-25T10:00:00-08:00", false, "delivered 2026-11-12 10:00 -08:00", None, None, None, None, None),
        (r, k, OrderFacts { shipped_at: None, ..ebay_shipped() }, "2026-11-25T10:00:00-08:00", false, "not shipped yet", None, None, None, None, None),
    ];
    check(&pack("ebay"), ebay_rows);
    // The reason as a code with its values, for pages in other languages.
    let list = entitlements(
        &pack("ebay"),
        &ebay_shipped(),
        at("2026-11-11T07:00:00-08:00"),
    );
    let e = find(&list, k);
    assert_eq!(e.reason_code, "parcel_not_late_yet");
    assert_eq!(e.reason_params["late_at"], "2026-11-20T09:00:00-08:00");
    assert_eq!(e.reason_params["shipped_at"], "2026-11-10T09:00:00-08:00");
    assert_eq!(e.reason_params["late_after_days"], "10");
    let list = entitlements(
        &pack("ebay"),
        &ebay_shipped(),
        at("2026-11-21T07:00:00-08:00"),
    );
    assert_eq!(find(&list, k).reason_code, "parcel_late");
    // A shop shipping across borders waits longer (its settings).
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"lost_package_after_days": 20})).unwrap();
    let shop = pack("ebay").with_overrides(&o).unwrap();
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        (r, k, ebay_shipped(), "2026-11-21T07:00:00-08:00", false, "not late until 2026-11-30 09:00 -08:00 (20 days after shipping", None, None, None, None, None),
        (r, k, ebay_shipped(), "2026-11-30T09:00:00-08:00", true, "not delivered 20 days later", Some("0.00"), Some("120.00"), Some("120.00"), Some("seller"), None),
    ];
    check(&shop, rows);
    // The generic pack has the same rule and number.
    let list = entitlements(
        &pack("generic"),
        &ebay_shipped(),
        at("2026-11-11T07:00:00-08:00"),
    );
    assert!(!find(&list, k).entitled);
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"lost_package_after_days": 0})).unwrap();
    let e = pack("ebay").with_overrides(&o).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"lost_package_after_days": 7})).unwrap();
    let e = pack("taobao").with_overrides(&o).unwrap_err().to_string();
    assert!(e.contains("no lost-package rule"), "{e}");
}

/// Reasons are read by people (and shown on the conversation page): plain text, never
/// markup such as backticks, and each has a code.
#[test]
fn reasons_are_plain_text_with_a_code() {
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"promises": ["fake-3x"]})).unwrap();
    let shops = [
        taobao(),
        pack("taobao").with_overrides(&o).unwrap(),
        pack("tmall"),
        pack("ebay"),
        pack("generic"),
        pack("pinduoduo"),
        pack("aliexpress"),
    ];
    let mut orders = vec![
        order(),
        OrderFacts {
            promises: vec![],
            ..order()
        },
        shipped(order(), "2026-11-03T18:00:00+08:00"),
        delivered(order(), "2026-11-05T10:00:00+08:00"),
        closed(
            delivered(order(), "2026-11-05T10:00:00+08:00"),
            "2026-11-06T10:00:00+08:00",
        ),
        OrderFacts {
            reshipped_for_damage: true,
            ..delivered(order(), "2026-11-05T10:00:00+08:00")
        },
        ebay_shipped(),
    ];
    // An unknown currency and a currency the bounds are not in: "amount not computed".
    orders.push(OrderFacts {
        currency: "RMB".into(),
        ..shipped(order(), "2026-11-03T18:00:00+08:00")
    });
    orders.push(OrderFacts {
        currency: "USD".into(),
        ..shipped(order(), "2026-11-03T18:00:00+08:00")
    });
    let mut codes = std::collections::BTreeSet::new();
    for p in &shops {
        for o in &orders {
            for now in [
                "2026-11-02T10:00:00+08:00",
                "2026-11-06T10:00:00+08:00",
                "2026-12-30T10:00:00+08:00",
            ] {
                for e in entitlements(p, o, at(now)) {
                    assert!(!e.reason.contains('`'), "{}: {e:#?}", p.id);
                    assert!(!e.reason_code.is_empty(), "{e:#?}");
                    assert!(
                        e.reason_code
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_'),
                        "{e:#?}"
                    );
                    codes.insert(e.reason_code.clone());
                }
            }
        }
    }
    // The inputs above reach most of the codes the README lists.
    assert!(codes.len() >= 15, "{codes:?}");
    let v = serde_json::to_value(find(
        &entitlements(
            &pack("taobao").with_overrides(&o).unwrap(),
            &order(),
            at("2026-11-06T10:00:00+08:00"),
        ),
        "late-shipment",
    ))
    .unwrap();
    assert_eq!(v["reason_code"], "promise_not_offered_by_shop");
    assert_eq!(v["reason_params"]["promise"], "ship-time");
    assert_eq!(
        v["reason"],
        "promise ship-time not offered by the shop (TB-SHIP-PROMISE)"
    );
}

#[test]
fn late_shipment_in_another_currency_is_not_converted() {
    let o = OrderFacts {
        currency: "USD".into(),
        ..shipped(order(), "2026-11-03T18:00:00+08:00")
    };
    let list = entitlements(&taobao(), &o, at("2026-11-04T10:00:00+08:00"));
    let e = find(&list, "late-shipment");
    assert!(e.entitled);
    assert_eq!(e.amount, None);
    assert!(e.reason.contains("amount not computed"), "{e:?}");
}

#[test]
fn json_shape() {
    let got = delivered(order(), "2026-11-05T10:00:00+08:00");
    let list = entitlements(&taobao(), &got, at("2026-11-06T10:00:00+08:00"));
    let v = serde_json::to_value(find(&list, "return-7d")).unwrap();
    assert_eq!(v["rule"], "TB-RETURN-7D");
    assert_eq!(v["entitled"], true);
    assert_eq!(v["refund"], "120.00");
    assert_eq!(v["currency"], "CNY");
    assert_eq!(v["shipping_borne_by"], "buyer");
    assert_eq!(v["window_until"], "2026-11-13T00:00:00+08:00");
    let v = serde_json::to_value(find(&list, "late-shipment")).unwrap();
    assert!(v["window_until"].is_null());
    // Every entry of the pack names a kind once (damage-refund only after a reshipment).
    let mut kinds: Vec<&str> = list.iter().map(|e| e.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), list.len());
}

#[test]
fn gen_sanbao_uses_the_shops_warranty_period() {
    let got = OrderFacts {
        currency: "USD".into(),
        ..delivered(order(), "2026-11-05T10:00:00+00:00")
    };
    let now = at("2026-11-20T10:00:00+00:00");
    let e = entitlements(&pack("generic"), &got, now)
        .into_iter()
        .find(|e| e.kind == "warranty-sanbao")
        .unwrap();
    assert!(!e.entitled);
    assert!(
        e.reason.contains("has not set its promised period"),
        "{e:?}"
    );
    let o: ShopOverrides =
        serde_json::from_value(serde_json::json!({"promise_days": {"GEN-SANBAO": 365}})).unwrap();
    let shop = pack("generic").with_overrides(&o).unwrap();
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("GEN-SANBAO", "warranty-sanbao", got, "2026-11-20T10:00:00+00:00", true, "repair, replacement or return", None, None, None, Some("seller"), Some("2027-11-06T00:00:00+00:00")),
    ];
    check(&shop, rows);
}
