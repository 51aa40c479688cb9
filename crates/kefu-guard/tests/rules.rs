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

/// OPTIONS-3 from the pack: the rulebook's `reply_checks` gives the guard the eBay pack's
/// minimum for a reply to a complaint, and the guard warns on a reply with fewer solutions;
/// a question, or a pack that asks for none, gets no such warning.
#[test]
fn options_3_comes_from_the_pack_for_a_complaint() {
    let packs = kefu_rules::PackSet::embedded().unwrap();
    let guard = Guard::new();
    let reply = "We are sorry the mug arrived broken. We will send you a full refund today.";
    let options_3 = |pack: &str, buyer: &'static str| {
        let facts = kefu_rules::ReplyFacts {
            buyer_messages: vec![buyer],
            complaint: false,
        };
        let checks = kefu_rules::reply_checks(packs.get(pack).unwrap(), &facts);
        let ctx =
            LintContext::for_conversation(Some("en"), true).with_min_options(checks.min_options);
        guard
            .lint(reply, &ctx)
            .findings
            .iter()
            .any(|f| f.rule == kefu_rules::ids::OPTIONS_3)
    };
    assert!(options_3("ebay", "My mug arrived broken!"));
    assert!(!options_3("ebay", "Do you ship to Germany?"));
    assert!(!options_3("taobao", "My mug arrived broken!"));
    let three = "Sorry it arrived broken: we can refund you, reship a new one, or exchange it.";
    let ctx = LintContext::for_conversation(Some("en"), true).with_min_options(Some(3));
    assert!(
        guard
            .lint(three, &ctx)
            .findings
            .iter()
            .all(|f| f.rule != "OPTIONS-3")
    );
}
