//! Quality gate over the labelled reply corpus (`corpus/replies.jsonl`).
//!
//! Prints per-rule precision and recall, and fails when block precision is
//! below 100 %, block recall below 95 %, or warn-rule recall below 85 %.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]

use kefu_guard::{Category, Guard, LintContext, VerdictKind};
use serde_json::Value;
use std::collections::BTreeMap;

const CORPUS: &str = include_str!("../corpus/replies.jsonl");

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[test]
fn corpus_quality() {
    let guard = Guard::new();
    let mut per_rule: BTreeMap<String, Counts> = BTreeMap::new();
    let mut block = Counts::default();
    let mut warn_labels = (0usize, 0usize); // (found, total) over expected warn-rule labels
    let mut n = 0;
    let mut misses = Vec::new();
    for (line_no, line) in CORPUS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let e: Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("line {}: {err}", line_no + 1));
        n += 1;
        let text = e["text"].as_str().expect("text");
        let ctx = LintContext {
            lang: e["lang"].as_str().map(str::to_string),
            first_response: e["first_response"].as_bool().unwrap_or(false),
            category: e["category"].as_str().and_then(Category::parse),
            min_options: e["min_options"].as_u64().map(|m| m as u8),
        };
        let expect = e["expect"].as_str().expect("expect");
        let want: Vec<String> = e["rules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let v = guard.lint(text, &ctx);
        let got: Vec<String> = v.findings.iter().map(|f| f.rule.clone()).collect();

        match (expect == "block", v.verdict == VerdictKind::Block) {
            (true, true) => block.tp += 1,
            (false, true) => block.fp += 1,
            (true, false) => block.fn_ += 1,
            _ => {}
        }
        for r in want
            .iter()
            .chain(got.iter())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let c = per_rule.entry(r.clone()).or_default();
            match (want.contains(r), got.contains(r)) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                _ => {}
            }
        }
        for r in &want {
            // A label is a warn label unless the expectation is a block by that rule.
            let is_block_label = expect == "block" && is_block_rule(r);
            if !is_block_label {
                warn_labels.1 += 1;
                if got.contains(r) {
                    warn_labels.0 += 1;
                }
            }
        }
        let verdict_ok = format!("{:?}", v.verdict).to_lowercase() == expect;
        if !verdict_ok
            || want.iter().any(|r| !got.contains(r))
            || got.iter().any(|r| !want.contains(r))
        {
            misses.push(format!(
                "  line {:>3}: expect {expect} {want:?}, got {:?} {got:?}: {text}",
                line_no + 1,
                v.verdict
            ));
        }
    }

    // Timing, for orientation only (debug builds are much slower than release).
    let started = std::time::Instant::now();
    for line in CORPUS.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).expect("json");
        let _ = guard.lint(e["text"].as_str().unwrap_or(""), &LintContext::default());
    }
    let per_call = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("\nkefu-guard corpus: {n} replies, {per_call:.1} µs per lint (incl. JSON parse)\n");
    println!(
        "{:<18} {:>4} {:>4} {:>4} {:>10} {:>8}",
        "rule", "tp", "fp", "fn", "precision", "recall"
    );
    for (rule, c) in &per_rule {
        println!(
            "{:<18} {:>4} {:>4} {:>4} {:>9.1}% {:>7.1}%",
            rule,
            c.tp,
            c.fp,
            c.fn_,
            pct(c.tp, c.tp + c.fp),
            pct(c.tp, c.tp + c.fn_)
        );
    }
    let (bp, br) = (
        pct(block.tp, block.tp + block.fp),
        pct(block.tp, block.tp + block.fn_),
    );
    let wr = pct(warn_labels.0, warn_labels.1);
    println!(
        "\nblock verdict: precision {bp:.1}%  recall {br:.1}%  ({} tp, {} fp, {} fn)",
        block.tp, block.fp, block.fn_
    );
    println!(
        "warn-rule labels: recall {wr:.1}% ({}/{})",
        warn_labels.0, warn_labels.1
    );
    if !misses.is_empty() {
        println!("\nmismatches ({}):", misses.len());
        for m in &misses {
            println!("{m}");
        }
    }
    assert!(n >= 300, "corpus has only {n} replies");
    assert!(bp >= 100.0, "block precision {bp:.1}% < 100%");
    assert!(br >= 95.0, "block recall {br:.1}% < 95%");
    assert!(wr >= 85.0, "warn recall {wr:.1}% < 85%");
}

fn is_block_rule(r: &str) -> bool {
    matches!(
        r,
        "PRIV-NO-SECRETS"
            | "PRIV-NO-ID-PHOTO"
            | "PRIV-NO-CARD-NUMBER"
            | "PLATFORM-NO-OFFSITE"
            | "REVIEW-NO-INCENTIVE"
            | "SCRIPT-NO-EMOTION"
    )
}
