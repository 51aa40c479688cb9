//! After-sales amounts (RULES.md: TB-SHIP-PROMISE, TB-FAKE-3X, TB-QUALITY-PROMISE,
//! LOST-RESHIP-OR-REFUND, TRANSIT-DAMAGE-COMP) and the rounding notes.

use std::collections::BTreeMap;

use kefu_rules::{CompensationKind, PackSet, RuleError, ShopOverrides, compensation, pack::Pack};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn pack(id: &str) -> Pack {
    PackSet::embedded().unwrap().get(id).unwrap().clone()
}

fn late(paid: &str) -> kefu_rules::Compensation {
    compensation(
        &pack("taobao"),
        CompensationKind::LateShipment,
        d(paid),
        "CNY",
    )
    .unwrap()
}

#[test]
fn tb_ship_promise_rounds_half_up_first() {
    // 5 % of ¥20.10 = 1.005 → ¥1.01.
    let c = late("20.10");
    assert_eq!(c.amount.to_string(), "1.01");
    assert_eq!(c.rule, "TB-SHIP-PROMISE");
    assert!(
        c.basis.contains("1.005, rounded half-up to 1.01"),
        "{}",
        c.basis
    );
}

#[test]
fn tb_ship_promise_floor_one_yuan() {
    // 5 % of ¥10.00 = 0.50 → floor ¥1.00.
    let c = late("10.00");
    assert_eq!(c.amount.to_string(), "1.00");
    assert!(
        c.basis.contains("raised to the minimum 1.00"),
        "{}",
        c.basis
    );
    assert_eq!(late("0").amount.to_string(), "1.00");
}

#[test]
fn tb_ship_promise_cap_thirty_yuan() {
    // 5 % of ¥700 = 35 → cap ¥30.00.
    let c = late("700");
    assert_eq!(c.amount.to_string(), "30.00");
    assert!(
        c.basis.starts_with("5% of 700.00 = 35.00, capped at 30.00"),
        "{}",
        c.basis
    );
    assert_eq!(c.refund, None);
    assert_eq!(c.total.to_string(), "30.00");
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["rule"], "TB-SHIP-PROMISE");
    assert_eq!(json["kind"], "late-shipment");
    assert_eq!(json["amount"], "30.00");
    assert_eq!(json["currency"], "CNY");
    assert!(json.get("refund").is_none());
}

#[test]
fn tb_ship_promise_in_range() {
    assert_eq!(late("100").amount.to_string(), "5.00");
    assert_eq!(late("600").amount.to_string(), "30.00");
    assert_eq!(late("600.20").amount.to_string(), "30.00");
    assert_eq!(late("33.33").amount.to_string(), "1.67");
}

#[test]
fn tb_ship_promise_bounds_are_cny_only() {
    let e = compensation(
        &pack("taobao"),
        CompensationKind::LateShipment,
        d("100"),
        "USD",
    )
    .unwrap_err();
    assert!(matches!(e, RuleError::CurrencyMismatch { .. }), "{e}");
}

#[test]
fn tb_fake_3x_refund_plus_twice_paid() {
    let c = compensation(
        &pack("taobao"),
        CompensationKind::FakeGoods,
        d("199.90"),
        "CNY",
    )
    .unwrap();
    assert_eq!(c.rule, "TB-FAKE-3X");
    assert_eq!(c.refund.unwrap().to_string(), "199.90");
    assert_eq!(c.amount.to_string(), "399.80");
    assert_eq!(c.total.to_string(), "599.70");
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["kind"], "fake-goods");
    assert_eq!(json["refund"], "199.90");
    assert_eq!(json["amount"], "399.80");
    assert!(c.basis.contains("logistics costs"), "{}", c.basis);
}

#[test]
fn tb_fake_3x_in_jpy_has_no_minor_digits() {
    let c = compensation(
        &pack("tmall"),
        CompensationKind::FakeGoods,
        d("1500"),
        "JPY",
    )
    .unwrap();
    assert_eq!(c.amount.to_string(), "3000");
    assert_eq!(c.total.to_string(), "4500");
    let e = compensation(
        &pack("tmall"),
        CompensationKind::FakeGoods,
        d("1500.5"),
        "JPY",
    );
    assert!(matches!(e, Err(RuleError::TooPrecise { .. })), "{e:?}");
}

#[test]
fn tb_quality_promise_needs_the_agreed_amount() {
    let p = pack("taobao");
    let e = compensation(&p, CompensationKind::QualityPromise, d("80"), "CNY").unwrap_err();
    assert!(
        e.to_string()
            .contains("agreed_compensation.quality-promise"),
        "{e}"
    );
    let o = ShopOverrides {
        agreed_compensation: Some(BTreeMap::from([(
            CompensationKind::QualityPromise,
            d("50"),
        )])),
        ..Default::default()
    };
    let p = p.with_overrides(&o).unwrap();
    let c = compensation(&p, CompensationKind::QualityPromise, d("80"), "CNY").unwrap();
    assert_eq!(c.rule, "TB-QUALITY-PROMISE");
    assert_eq!(c.refund.unwrap().to_string(), "80.00");
    assert_eq!(c.amount.to_string(), "50.00");
    assert_eq!(c.total.to_string(), "130.00");
}

#[test]
fn lost_reship_or_refund_and_transit_damage_refund_only() {
    let c = compensation(
        &pack("ebay"),
        CompensationKind::LostPackage,
        d("42.5"),
        "usd",
    )
    .unwrap();
    assert_eq!(c.rule, "LOST-RESHIP-OR-REFUND");
    assert_eq!(c.currency, "USD");
    assert_eq!(c.amount.to_string(), "0.00");
    assert_eq!(c.refund.unwrap().to_string(), "42.50");
    let c = compensation(
        &pack("taobao"),
        CompensationKind::TransitDamage,
        d("9.9"),
        "CNY",
    )
    .unwrap();
    assert_eq!(c.rule, "TRANSIT-DAMAGE-COMP");
    assert_eq!(c.total.to_string(), "9.90");
}

#[test]
fn kind_not_in_pack_is_an_error() {
    let e = compensation(
        &pack("ebay"),
        CompensationKind::LateShipment,
        d("10"),
        "USD",
    )
    .unwrap_err();
    assert!(matches!(e, RuleError::NotOffered { .. }));
    assert!(e.to_string().contains("lost-package"), "{e}");
}

#[test]
fn promise_not_offered_by_shop_is_an_error() {
    let o: ShopOverrides = toml::from_str("promises = [\"fake-3x\"]").unwrap();
    let p = pack("taobao").with_overrides(&o).unwrap();
    assert!(compensation(&p, CompensationKind::FakeGoods, d("10"), "CNY").is_ok());
    let e = compensation(&p, CompensationKind::LateShipment, d("10"), "CNY").unwrap_err();
    assert!(matches!(e, RuleError::NotOffered { .. }), "{e}");
    // Rules without a promise (TRANSIT-DAMAGE-COMP) stay.
    assert!(compensation(&p, CompensationKind::TransitDamage, d("10"), "CNY").is_ok());
}

#[test]
fn bad_inputs_have_clear_errors() {
    let p = pack("taobao");
    let e = compensation(&p, CompensationKind::LateShipment, d("-1"), "CNY").unwrap_err();
    assert!(e.to_string().contains("must not be negative"), "{e}");
    let e = compensation(&p, CompensationKind::LateShipment, d("1"), "RMB").unwrap_err();
    assert!(e.to_string().contains("unknown currency `RMB`"), "{e}");
    let e = compensation(&p, CompensationKind::LateShipment, d("1.001"), "CNY").unwrap_err();
    assert!(matches!(e, RuleError::TooPrecise { .. }), "{e}");
}

#[test]
fn kinds_parse_from_kebab_strings() {
    for kind in CompensationKind::ALL {
        assert_eq!(kind.as_str().parse::<CompensationKind>().unwrap(), kind);
    }
    assert_eq!(
        "Late-Shipment".parse::<CompensationKind>().unwrap(),
        CompensationKind::LateShipment
    );
    let e = "late_shipment"
        .parse::<CompensationKind>()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("late-shipment, fake-goods, quality-promise"),
        "{e}"
    );
}

#[test]
fn tb_quality_shipping_refund_and_round_trip_shipping_on_merchant() {
    let c = compensation(
        &pack("taobao"),
        CompensationKind::QualityReturn,
        d("59"),
        "CNY",
    )
    .unwrap();
    assert_eq!(c.rule, "TB-QUALITY-SHIPPING");
    assert_eq!(c.refund.unwrap().to_string(), "59.00");
    assert_eq!(c.amount.to_string(), "0.00");
    assert!(c.basis.contains("round-trip shipping"), "{}", c.basis);
}
