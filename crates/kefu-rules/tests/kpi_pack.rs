//! The supervisor's targets and the platforms' scorecards as packs state them (issue 12):
//! `[[kpi_targets]]`, `[scorecard]` with AE-PENALTY's ladder, and what a shop may move.

use kefu_rules::pack::{KpiFigure, ShopOverrides};
use kefu_rules::{Pack, PackSet};

fn shipped(id: &str) -> Pack {
    PackSet::embedded().unwrap().get(id).unwrap().clone()
}

const BASE: &str = r#"name = "Test"
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

fn error(extra: &str) -> String {
    PackSet::parse("bad.toml", &format!("{BASE}\n{extra}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn every_shipped_pack_sets_the_three_targets() {
    for id in [
        "taobao",
        "tmall",
        "ebay",
        "aliexpress",
        "pinduoduo",
        "generic",
    ] {
        let p = shipped(id);
        let rules: Vec<&str> = p.kpi_targets.iter().map(|t| t.rule.as_str()).collect();
        assert_eq!(
            rules,
            ["KPI-RESOLUTION-85", "KPI-CSAT-4.5", "KPI-REPEAT-5"],
            "{id}"
        );
        let repeat = &p.kpi_targets[2];
        assert_eq!(repeat.figure, KpiFigure::RepeatComplaintRate);
        assert!(!repeat.at_least && repeat.value == 0.05);
        assert!(p.cited_rules().contains("KPI-CSAT-4.5"));
    }
}

#[test]
fn the_platforms_score_their_own_clocks_and_aliexpress_punishes() {
    let tb = shipped("taobao").scorecard.unwrap();
    assert_eq!(tb.measures, ["TB-FRT-5M"]);
    assert_eq!((tb.window_days, tb.forecast_days), (30, 7));
    let ebay = shipped("ebay").scorecard.unwrap();
    assert_eq!(ebay.measures, ["EBAY-FRT-24H", "EBAY-HIGHVALUE-12H"]);
    let ae = shipped("aliexpress");
    let card = ae.scorecard.as_ref().unwrap();
    assert_eq!(card.measures, ["AE-FRT-24H", "AE-PEAK-1H"]);
    assert_eq!(card.penalty_rule.as_deref(), Some("AE-PENALTY"));
    let levels: Vec<&str> = card.penalties.iter().map(|p| p.level.as_str()).collect();
    assert_eq!(
        levels,
        [
            "warning",
            "restricted_permissions",
            "credit_deduction",
            "termination"
        ]
    );
    assert!(ae.cited_rules().contains("AE-PENALTY"));
    assert!(shipped("generic").scorecard.is_none());
}

#[test]
fn a_shop_moves_its_targets_and_its_warning() {
    let o: ShopOverrides = serde_json::from_value(serde_json::json!({
        "kpi_targets": {"KPI-RESOLUTION-85": 0.9, "KPI-CSAT-4.5": 4.8},
        "penalty_warn_margin": 0.05
    }))
    .unwrap();
    let p = shipped("aliexpress").with_overrides(&o).unwrap();
    assert_eq!(p.kpi_targets[0].value, 0.9);
    assert_eq!(p.kpi_targets[1].value, 4.8);
    assert_eq!(p.scorecard.unwrap().warn_margin, 0.05);
    for (bad, says) in [
        (
            serde_json::json!({"kpi_targets": {"KPI-FRT-3H": 0.9}}),
            "no KPI target",
        ),
        (
            serde_json::json!({"kpi_targets": {"KPI-CSAT-4.5": 9.0}}),
            "outside",
        ),
        (
            serde_json::json!({"penalty_warn_margin": 0.05}),
            "no penalty ladder",
        ),
    ] {
        let o: ShopOverrides = serde_json::from_value(bad).unwrap();
        let e = shipped("taobao")
            .with_overrides(&o)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
    }
}

#[test]
fn bad_targets_and_scorecards_are_clear_errors() {
    let target =
        |body: &str| format!("[[kpi_targets]]\nrule = \"KPI-CSAT-4.5\"\nfigure = \"csat\"\n{body}");
    assert!(error(&target("at_least = 7.0")).contains("outside"));
    assert!(error(&target("")).contains("one of `at_least` or `at_most`"));
    assert!(
        error("[[kpi_targets]]\nrule = \"TB-FRT-5M\"\nfigure = \"csat\"\nat_least = 4.0")
            .contains("not `kpi`")
    );
    assert!(
        error("[scorecard]\nmeasures = [\"TB-FRT-5M\"]\npenalty_rule = \"AE-PENALTY\"\npenalties = [{ level = \"fine\", below = 0.9 }]")
            .contains("penalty level")
    );
    assert!(
        error("[scorecard]\nmeasures = [\"TB-FRT-5M\"]\npenalty_rule = \"AE-PENALTY\"\npenalties = [{ level = \"warning\", below = 0.5 }, { level = \"termination\", below = 0.9 }]")
            .contains("mildest")
    );
    assert!(
        error("[scorecard]\nmeasures = [\"TB-FRT-5M\"]\npenalties = [{ level = \"warning\", below = 0.9 }]")
            .contains("penalty_rule")
    );
}
