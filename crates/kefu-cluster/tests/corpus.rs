//! The labelled corpus (`corpus/*.jsonl`: twelve causes and singletons in five languages)
//! clustered in file order and scored pairwise. The bar COLLECTIVE-3LEVEL's issue sets
//! (precision ≥ 0.9, recall ≥ 0.8) holds on `dev.jsonl`; every set must stay at what it
//! measures now (floors a little under it), so a regression fails here.
//! `KEFU_CLUSTER_DEBUG=1` prints, per cause, how its complaints split and, but for the blind
//! set, where the strays went and the concepts each names.

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
    if std::env::var("KEFU_CLUSTER_DEBUG").is_ok() {
        // The blind set shows no text: were its strays shown, the lexicon would be tuned to
        // them, and no measure would be left honest.
        debug(&set, &ids, name != "blind");
    }
    s
}

fn debug(set: &[Labelled], ids: &[u32], strays: bool) {
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
    for (label, clusters) in by_label.iter().filter(|(l, _)| !l.starts_with("other")) {
        let mut sizes: Vec<usize> = clusters.values().map(Vec::len).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        eprintln!("{label}: split {sizes:?}");
    }
    if !strays {
        return;
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
    // Floors a little under what each set measures with this lexicon (dev 0.961/0.974, idiom
    // 0.931/0.925, holdout 0.910/0.740, fresh 0.934/0.962, blind 0.921/0.925); before it,
    // idiom measured 0.822/0.580, holdout 0.637/0.422, fresh 0.913/0.737, blind 0.918/0.883.
    for (name, precision, recall) in [
        ("dev", 0.95, 0.97),
        ("idiom", 0.92, 0.92),
        ("holdout", 0.9, 0.73),
        ("fresh", 0.93, 0.96),
        ("blind", 0.92, 0.92),
    ] {
        let s = scored(name);
        assert!(
            s.precision >= precision && s.recall >= recall,
            "{name}: {s:?}"
        );
    }
}

#[test]
fn the_same_complaints_in_the_same_order_give_the_same_clusters() {
    let set = read_corpus(CORPUS[1].1);
    assert_eq!(
        score(&set, DEFAULT_THRESHOLD).1,
        score(&set, DEFAULT_THRESHOLD).1
    );
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
/// The same sets in five other arrival orders (seeded shuffles): a streaming clusterer must not
/// owe its figures to complaints arriving grouped by cause, as `dev` and `holdout` are. Floors
/// a little under the mean each measures now; before this work the means were dev 0.865/0.792,
/// idiom 0.796/0.414, holdout 0.633/0.426, fresh 0.873/0.709, blind 0.917/0.864.
#[test]
fn arrival_order_does_not_make_the_clusters() {
    for (name, precision, recall) in [
        ("dev", 0.91, 0.92),
        ("idiom", 0.93, 0.9),
        ("holdout", 0.88, 0.72),
        ("fresh", 0.91, 0.94),
        ("blind", 0.9, 0.91),
    ] {
        let (_, jsonl) = CORPUS.iter().find(|(n, _)| *n == name).unwrap();
        let base = read_corpus(jsonl);
        let (mut mean, mut worst) = ((0.0, 0.0), (1.0f64, 1.0f64));
        for seed in 1..=5u64 {
            let mut set = base.clone();
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for i in (1..set.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                set.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let (s, _) = score(&set, DEFAULT_THRESHOLD);
            mean = (mean.0 + s.precision / 5.0, mean.1 + s.recall / 5.0);
            worst = (worst.0.min(s.precision), worst.1.min(s.recall));
        }
        eprintln!(
            "{name} shuffled: mean precision {:.3}, recall {:.3}; worst {:.3}, {:.3}",
            mean.0, mean.1, worst.0, worst.1
        );
        assert!(mean.0 >= precision && mean.1 >= recall, "{name}: {mean:?}");
    }
}
