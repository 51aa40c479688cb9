//! The labelled corpus (`corpus/*.jsonl`, written apart from the lexicon: twelve causes and
//! singletons in five languages) clustered in file order and scored pairwise. The bar
//! COLLECTIVE-3LEVEL's issue sets (precision ≥ 0.9, recall ≥ 0.8) holds on `dev.jsonl`;
//! `holdout.jsonl`, in words the lexicon never saw, and `fresh.jsonl`, written later and in
//! arrival order, must not fall below what they measure now.
//! `KEFU_CLUSTER_DEBUG=1` prints, per cause, where its complaints went and the concepts each
//! stray one names.

use std::collections::BTreeMap;

use kefu_cluster::bench::{CORPUS, Labelled, read_corpus, score};
use kefu_cluster::{DEFAULT_THRESHOLD, PairScore};

fn scored(name: &str) -> PairScore {
    let (_, jsonl) = CORPUS.iter().find(|(n, _)| *n == name).unwrap();
    let set = read_corpus(jsonl);
    let (s, ids) = score(&set, DEFAULT_THRESHOLD);
    eprintln!(
        "{name}: precision {:.3}, recall {:.3}",
        s.precision, s.recall
    );
    // The blind set is scored only: were its strays shown, the lexicon would be tuned to them.
    if std::env::var("KEFU_CLUSTER_DEBUG").is_ok() && name != "blind" {
        debug(&set, &ids);
    }
    s
}

fn debug(set: &[Labelled], ids: &[u32]) {
    let mut by_cluster: BTreeMap<u32, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut by_label: BTreeMap<&str, BTreeMap<u32, Vec<usize>>> = BTreeMap::new();
    for (i, (l, &c)) in set.iter().zip(ids).enumerate() {
        *by_cluster
            .entry(c)
            .or_default()
            .entry(&l.cause)
            .or_default() += 1;
        by_label
            .entry(&l.cause)
            .or_default()
            .entry(c)
            .or_default()
            .push(i);
    }
    for (c, labels) in by_cluster.iter().filter(|(_, l)| l.len() > 1) {
        eprintln!("cluster {c} mixes {labels:?}");
    }
    for (label, clusters) in by_label.iter().filter(|(l, _)| !l.starts_with("other")) {
        let main = *clusters.iter().max_by_key(|(_, v)| v.len()).unwrap().0;
        for (c, members) in clusters.iter().filter(|(c, _)| **c != main) {
            for &i in members {
                let f = kefu_cluster::features(&set[i].text, Default::default());
                let concepts = kefu_cluster::concept_names(&f);
                eprintln!("{label} [{c}] {concepts:?} {}", set[i].text);
            }
        }
    }
}

#[test]
fn the_labelled_complaints_cluster_by_cause() {
    let dev = scored("dev");
    assert!(dev.precision >= 0.9 && dev.recall >= 0.8, "dev: {dev:?}");
    // What it measured when written (precision 0.64, recall 0.42): a regression shows here.
    let holdout = scored("holdout");
    assert!(
        holdout.precision >= 0.6 && holdout.recall >= 0.4,
        "holdout: {holdout:?}"
    );
    // Written later, never tuned against; what it measured when added (0.913, 0.737).
    let fresh = scored("fresh");
    assert!(
        fresh.precision >= 0.9 && fresh.recall >= 0.7,
        "fresh: {fresh:?}"
    );
    let blind = scored("blind");
    assert!(blind.precision >= 0.0, "blind: {blind:?}");
}

#[test]
fn adding_a_complaint_among_many_is_cheap() {
    // Small here (the bench measures 100,000): it checks the path, not the machine.
    let (took, clusters) = kefu_cluster::bench::add_cost(5_000, 200);
    assert!(clusters > 12, "{clusters}");
    assert_eq!(took.len(), 200);
}

/// What `kefu bench incidents` measures, without building the CLI:
/// `cargo test -p kefu-cluster --release --test corpus -- --ignored --nocapture`.
#[test]
#[ignore = "slow unless --release: 100,000 open complaints"]
fn adding_a_complaint_among_100_000_costs_under_a_millisecond() {
    let (took, clusters) = kefu_cluster::bench::add_cost(100_000, 2_000);
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    let mean = took.iter().sum::<f64>() / took.len() as f64;
    eprintln!(
        "add among 100,000 open ({clusters} clusters): mean {mean:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
        at(0.5),
        at(0.99)
    );
    assert!(at(0.99) < 1_000.0, "p99 {} µs", at(0.99));
}
