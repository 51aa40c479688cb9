//! The rule list (`rule_list`): every RULES.md ID, and which pack, guard or code enforces it.

use kefu_rules::{PackSet, rule_list};

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

#[test]
fn every_sla_and_after_sales_rule_is_enforced() {
    let list = rule_list(&PackSet::embedded().unwrap());
    let missing: Vec<&str> = list
        .iter()
        .filter(|r| r.kind.contains("sla") || r.kind.contains("after-sales"))
        .filter(|r| !r.enforced || r.enforced_by.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "not enforced by any pack or calculator: {missing:?}"
    );
}

#[test]
fn enforced_by_names_packs_guard_and_code() {
    let list = rule_list(&PackSet::embedded().unwrap());
    let by = |id: &str| {
        let r = list.iter().find(|r| r.id == id).unwrap();
        assert_eq!(r.enforced, !r.enforced_by.is_empty(), "{r:?}");
        r.enforced_by.clone()
    };
    assert_eq!(by("TB-FRT-5M"), ["taobao", "tmall"]);
    assert_eq!(by("TB-HOURS"), ["taobao", "tmall"]);
    assert_eq!(by("STAFF-16H"), ["ebay"]);
    assert_eq!(by("TB-RETURN-7D"), ["pinduoduo", "taobao", "tmall"]);
    assert_eq!(by("COLLECTIVE-3LEVEL"), ["ebay", "generic"]);
    assert_eq!(by("GEN-SANBAO"), ["generic"]);
    assert_eq!(by("PRIV-NO-SECRETS"), ["guard"]);
    assert_eq!(by("OPTIONS-3"), ["guard"]);
    assert_eq!(by("KPI-FRT-3H"), ["code"]);
    assert!(by("KPI-CSAT-4.5").is_empty());
    let r = list.iter().find(|r| r.id == "PRIV-PURPOSE").unwrap();
    assert_eq!((r.kind.as_str(), r.source.as_str()), ("guard", "001,003"));
    let v = serde_json::to_value(r).unwrap();
    assert_eq!(v["enforced"], false);
    assert_eq!(v["enforced_by"], serde_json::json!([]));
}
