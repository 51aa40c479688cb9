//! The guard's rule IDs against the rule catalogue of `kefu-rules`, so
//! `kefu rules list` reports as enforced by the guard exactly what it checks.

use kefu_guard::{Guard, LintContext, RULES};

/// `kefu-rules` does not depend on the guard, so its list is read from the
/// source of the sibling crate (a path inside this workspace).
const CATALOG: &str = include_str!("../../kefu-rules/src/catalog.rs");

fn catalog_guard_rules() -> Vec<&'static str> {
    let start = CATALOG
        .find("pub const GUARD_RULES")
        .expect("GUARD_RULES in catalog.rs");
    let body = &CATALOG[start..];
    let body = &body[body.find("&[").expect("list") + 2..body.find("];").expect("end")];
    body.split('"').skip(1).step_by(2).collect()
}

#[test]
fn catalog_lists_the_guards_rules() {
    let mut ours: Vec<&str> = RULES.to_vec();
    let mut theirs = catalog_guard_rules();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(
        ours, theirs,
        "kefu-rules' GUARD_RULES is out of step with kefu_guard::RULES"
    );
    for id in [
        "PRIV-NO-CARD-NUMBER",
        "PLATFORM-NO-OFFSITE",
        "REVIEW-NO-INCENTIVE",
    ] {
        assert!(theirs.contains(&id), "{id}");
    }
}

/// Every rule a finding of the corpus carries is in `RULES`.
#[test]
fn findings_carry_listed_rules() {
    let g = Guard::new();
    for line in include_str!("../corpus/replies.jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        let ctx = LintContext {
            lang: v["lang"].as_str().map(str::to_string),
            first_response: true,
            min_options: Some(3),
            ..LintContext::default()
        };
        for f in g.lint(text, &ctx).findings {
            assert!(RULES.contains(&f.rule.as_str()), "{} from {text}", f.rule);
        }
    }
}
