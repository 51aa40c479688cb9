//! Cross-midnight, weekend and holiday cases for every clock rule ID of the embedded packs,
//! as one table (RULES.md IDs). Calendar-time clocks ignore weekends and holidays; working
//! time clocks pause overnight, skip the generic pack's weekend and a shop's holiday.

use chrono::{DateTime, Utc};
use kefu_rules::{Channel, DeadlineInput, PackSet, ShopOverrides, Trigger, deadlines};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

const FIRST: Trigger = Trigger::BuyerMessage { first: true };

/// (case, pack, overrides JSON, trigger, channel (None: the pack's default), order total USD,
/// received, rule, due).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Trigger,
    Option<Channel>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // eBay: calendar time (2026-11-13 is a Friday, 2027-01-01 a holiday in most markets).
    ("cross-midnight+weekend", "ebay", "{}", FIRST, None, None, "2026-11-13T23:30:00-08:00", "EBAY-FRT-24H", "2026-11-14T23:30:00-08:00"),
    ("holiday", "ebay", "{}", FIRST, None, None, "2026-12-31T20:00:00-08:00", "EBAY-FRT-24H", "2027-01-01T20:00:00-08:00"),
    ("cross-midnight", "ebay", "{}", FIRST, None, Some("600"), "2026-11-13T20:00:00-08:00", "EBAY-HIGHVALUE-12H", "2026-11-14T08:00:00-08:00"),
    ("weekend", "ebay", "{}", Trigger::ComplexIssue, None, None, "2026-11-14T23:00:00-08:00", "EBAY-ESCALATE-2H", "2026-11-15T01:00:00-08:00"),
    ("holiday", "ebay", "{}", Trigger::ResolutionOffered, None, None, "2026-12-31T22:00:00-08:00", "EBAY-FOLLOWUP-48H", "2027-01-02T22:00:00-08:00"),
    ("weekend", "ebay", "{}", Trigger::CollectiveComplaint, None, None, "2026-11-13T23:00:00-08:00", "COLLECTIVE-3LEVEL", "2026-11-16T23:00:00-08:00"),
    ("cross-midnight+weekend", "taobao", "{}", Trigger::ComplaintRecorded, None, None, "2026-11-14T22:30:00+08:00", "COMPLAINT-FLOW", "2026-11-15T22:30:00+08:00"),
    // Taobao: TB-HOURS 09:00–23:00 every day; the source names no days off.
    ("cross-midnight+weekend", "taobao", "{}", FIRST, None, None, "2026-11-13T22:58:00+08:00", "TB-FRT-5M", "2026-11-14T09:03:00+08:00"),
    ("holiday (none on TB-HOURS)", "taobao", "{}", FIRST, None, None, "2026-10-01T10:00:00+08:00", "TB-FRT-5M", "2026-10-01T10:05:00+08:00"),
    ("holiday, calendar time", "taobao", "{}", Trigger::AfterSalesRequest, None, None, "2026-10-01T23:30:00+08:00", "TB-AFTERSALES-24-48H", "2026-10-02T23:30:00+08:00"),
    // KPI-FRT-3H on the shop's own hours, which do observe the shop's holidays.
    ("cross-midnight", "taobao", r#"{"first_response_target":"3h"}"#, FIRST, None, None, "2026-11-13T22:00:00+08:00", "KPI-FRT-3H", "2026-11-14T11:00:00+08:00"),
    ("holiday", "taobao", r#"{"first_response_target":"3h","extra_holidays":["2026-10-01"]}"#, FIRST, None, None, "2026-09-30T22:00:00+08:00", "KPI-FRT-3H", "2026-10-02T11:00:00+08:00"),
    // AliExpress: peak 08:00–24:00 and the 24 h cap.
    ("cross-midnight+weekend", "aliexpress", "{}", FIRST, None, None, "2026-11-14T23:30:00+08:00", "AE-PEAK-1H", "2026-11-15T08:30:00+08:00"),
    ("cross-midnight+weekend", "aliexpress", "{}", FIRST, None, None, "2026-11-14T23:30:00+08:00", "AE-FRT-24H", "2026-11-15T23:30:00+08:00"),
    // Generic: Mon–Fri 09:00–12:00 and 13:00–18:00 (UTC).
    ("weekend", "generic", "{}", FIRST, None, None, "2026-11-13T17:59:50+00:00", "GEN-FIRST-30S", "2026-11-16T09:00:20+00:00"),
    ("lunch break", "generic", "{}", FIRST, None, None, "2026-11-13T11:59:50+00:00", "GEN-FIRST-30S", "2026-11-13T13:00:20+00:00"),
    ("weekend+holiday", "generic", r#"{"extra_holidays":["2026-11-16"]}"#, FIRST, None, None, "2026-11-13T17:59:50+00:00", "GEN-FIRST-30S", "2026-11-17T09:00:20+00:00"),
    ("cross-midnight+weekend", "generic", "{}", FIRST, None, None, "2026-11-13T17:58:00+00:00", "GEN-SIMPLE-5M", "2026-11-16T09:03:00+00:00"),
    ("weekend, calendar time", "generic", "{}", Trigger::ComplexIssue, None, None, "2026-11-13T17:00:00+00:00", "GEN-COMPLEX-24H", "2026-11-14T17:00:00+00:00"),
    ("holiday, calendar time", "pinduoduo", r#"{"extra_holidays":["2026-10-01"]}"#, Trigger::ComplexIssue, None, None, "2026-09-30T22:00:00+08:00", "GEN-COMPLEX-24H", "2026-10-01T22:00:00+08:00"),
    ("holiday", "pinduoduo", r#"{"extra_holidays":["2026-10-01"]}"#, FIRST, None, None, "2026-09-30T22:58:00+08:00", "GEN-SIMPLE-5M", "2026-10-02T09:03:00+08:00"),
    // GEN-FIRST-30S on live chat only: a Taobao shop's web chat, Pinduoduo's buyer chat.
    ("cross-midnight, web chat", "taobao", "{}", FIRST, Some(Channel::WebChat), None, "2026-11-13T22:59:50+08:00", "GEN-FIRST-30S", "2026-11-14T09:00:20+08:00"),
    ("cross-midnight, web chat", "tmall", "{}", FIRST, Some(Channel::WebChat), None, "2026-11-13T22:59:50+08:00", "GEN-FIRST-30S", "2026-11-14T09:00:20+08:00"),
    ("holiday, marketplace chat", "pinduoduo", r#"{"extra_holidays":["2026-10-01"]}"#, FIRST, Some(Channel::Marketplace), None, "2026-09-30T22:59:50+08:00", "GEN-FIRST-30S", "2026-10-02T09:00:20+08:00"),
];

#[test]
fn clock_table() {
    let set = PackSet::embedded().unwrap();
    let mut seen = Vec::new();
    for &(case, pack, overrides, trigger, channel, total, received, rule, due) in ROWS {
        let o: ShopOverrides = serde_json::from_str(overrides).unwrap();
        let p = set.get(pack).unwrap().with_overrides(&o).unwrap();
        let input = DeadlineInput {
            received: at(received),
            order_total: total.map(|t| (t.parse().unwrap(), "USD".to_string())),
            items: Vec::new(),
            channel,
            trigger,
        };
        let list = deadlines(&p, &input);
        let d = list
            .iter()
            .find(|d| d.rule == rule)
            .unwrap_or_else(|| panic!("{case}: {rule} missing in {list:#?}"));
        assert_eq!(d.due.to_rfc3339(), due, "{case}: {rule} {}", d.explanation);
        seen.push(rule);
    }
    // Every clock rule ID of the embedded packs (and KPI-FRT-3H) has a row.
    for id in set.ids() {
        for c in &set.get(id).unwrap().clocks {
            assert!(seen.contains(&c.rule.as_str()), "no row for {}", c.rule);
        }
    }
}
