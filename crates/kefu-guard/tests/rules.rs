//! The guard's rule IDs against the coverage registry and the catalogue of `kefu-rules`, so
//! `kefu rules list` reports as enforced by the guard exactly what it checks.

use kefu_guard::{Guard, LintContext, RULES};

/// The rules the guard's checks register (`kefu_core::enforces!` at each check).
fn registered() -> Vec<&'static str> {
    use kefu_core::coverage::{Enforces, enforcements};
    let mut ids: Vec<&str> = enforcements()
        .iter()
        .filter(|e| e.module.starts_with("kefu_guard::"))
        .map(|e| match e.enforces {
            Enforces::Rule(r) | Enforces::RuleWhenCited(r) => r,
            Enforces::PackTable(t) => panic!("the guard applies no pack table ({t})"),
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[test]
fn the_guards_checks_register_exactly_its_rules() {
    let mut ours: Vec<&str> = RULES.to_vec();
    ours.sort_unstable();
    assert_eq!(
        registered(),
        ours,
        "kefu_guard::RULES is out of step with the rules its checks register"
    );
    for id in RULES {
        assert!(kefu_rules::catalog::is_known(id), "{id} is not in RULES.md");
    }
    for id in [
        kefu_rules::ids::PRIV_NO_CARD_NUMBER,
        kefu_rules::ids::PLATFORM_NO_OFFSITE,
        kefu_rules::ids::REVIEW_NO_INCENTIVE,
    ] {
        assert!(RULES.contains(&id), "{id}");
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
