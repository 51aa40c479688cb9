//! The rule list (`rule_list`): every RULES.md ID, and which packs and code enforce it.

use kefu_rules::{PackSet, ids, rule_list};

/// The workspace's copy of the rule catalogue (`docs/RULES.md`), found from this crate's
/// manifest, never from a fixed machine path. It must be there: a missing copy fails the test.
fn catalogue_text() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let copy = format!("{root}/docs/RULES.md");
    let text = std::fs::read_to_string(&copy)
        .unwrap_or_else(|e| panic!("the rule catalogue {copy} is missing ({e})"));
    // When the project's shared folder sits beside the workspace (`../shared`, where the
    // catalogue is edited), the copy must be the same file.
    if let Ok(shared) = std::fs::read_to_string(format!("{root}/../shared/RULES.md")) {
        assert_eq!(
            text, shared,
            "docs/RULES.md is out of step with ../shared/RULES.md: copy it over"
        );
    }
    text
}

/// The IDs of the tables in RULES.md.
fn rules_md_ids() -> Vec<String> {
    catalogue_text()
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|id| *id != "ID" && !id.starts_with('-'))
        .filter(|id| {
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-.".contains(c))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn covers_every_catalog_id_in_order() {
    let list = rule_list(&PackSet::embedded().unwrap());
    let ids: Vec<&str> = list.iter().map(|r| r.id.as_str()).collect();
    let catalog: Vec<&str> = kefu_rules::catalog::RULES.iter().map(|r| r.0).collect();
    assert_eq!(ids, catalog);
    assert_eq!(
        ids,
        rules_md_ids(),
        "catalog.rs is out of step with RULES.md"
    );
}

/// Every clock and after-sales rule is enforced by this crate's code (COLLECTIVE-3LEVEL since
/// the rulebook decides incidents: `plan::incident_opened`).
#[test]
fn every_sla_and_after_sales_rule_is_enforced() {
    let list = rule_list(&PackSet::embedded().unwrap());
    let missing: Vec<&str> = list
        .iter()
        .filter(|r| r.kind.contains("sla") || r.kind.contains("after-sales"))
        .filter(|r| !r.enforced || r.enforced_by.is_empty() || r.coverage.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "not enforced by any pack or calculator: {missing:?}"
    );
}

/// In this crate's tests the registry holds this crate's places only (the guard and the
/// server are not linked): packs through the rulebook's code, and the rulebook's own rules.
#[test]
fn enforced_by_names_packs_and_the_code() {
    let list = rule_list(&PackSet::embedded().unwrap());
    let get = |id: &str| list.iter().find(|r| r.id == id).unwrap().clone();
    let by = |id: &str| {
        let r = get(id);
        assert_eq!(r.enforced, !r.enforced_by.is_empty(), "{r:?}");
        assert_eq!(r.enforced, !r.coverage.is_empty(), "{r:?}");
        r.enforced_by
    };
    assert_eq!(by(ids::TB_FRT_5M), ["taobao", "tmall", "kefu-rules"]);
    assert_eq!(by(ids::TB_HOURS), ["taobao", "tmall", "kefu-rules"]);
    assert_eq!(by(ids::STAFF_16H), ["ebay", "kefu-rules"]);
    assert_eq!(
        by(ids::TB_RETURN_7D),
        ["pinduoduo", "taobao", "tmall", "kefu-rules"]
    );
    assert_eq!(by(ids::GEN_SANBAO), ["generic", "kefu-rules"]);
    assert_eq!(by(ids::KPI_FRT_3H), ["kefu-rules"]);
    assert_eq!(by(ids::HIGHVALUE_CHANNEL), ["kefu-rules"]);
    assert_eq!(by(ids::REC_CUSTOMER_INFO), ["kefu-rules"]);
    assert_eq!(by(ids::PDD_NO_ABUSE), ["pinduoduo", "kefu-rules"]);
    // OPTIONS-3 through the pack that asks for a number of options (the guard's count is
    // not linked here).
    assert_eq!(by(ids::OPTIONS_3), ["ebay", "kefu-rules"]);
    // Every pack's close clock, through the rulebook's incident plan.
    assert_eq!(
        by(ids::COLLECTIVE_3LEVEL),
        [
            "aliexpress",
            "ebay",
            "generic",
            "pinduoduo",
            "taobao",
            "tmall",
            "kefu-rules"
        ]
    );
    assert!(by(ids::KPI_CSAT_4_5).is_empty());

    let hv = get(ids::HIGHVALUE_CHANNEL);
    assert_eq!(hv.coverage.len(), 1);
    assert_eq!(hv.coverage[0].file, "crates/kefu-rules/src/plan/mod.rs");
    assert_eq!(
        hv.coverage[0].test,
        "kefu-store::conformance::routing::high_value_orders_go_to_their_team"
    );
    let tb = get(ids::TB_FRT_5M);
    assert_eq!(tb.coverage[0].file, "crates/kefu-rules/src/plan/events.rs");
    assert_eq!(
        tb.coverage[0].pack_table.as_deref(),
        Some("clocks.first_message")
    );
    assert_eq!(tb.coverage[0].packs, ["taobao", "tmall"]);

    let r = get(ids::PRIV_PURPOSE);
    assert_eq!((r.kind.as_str(), r.source.as_str()), ("guard", "001,003"));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["enforced"], false);
    assert_eq!(v["enforced_by"], serde_json::json!([]));
    assert_eq!(v["coverage"], serde_json::json!([]));
    let v = serde_json::to_value(&hv).unwrap();
    assert_eq!(v["coverage"][0]["line"], hv.coverage[0].line);
}
