//! What `kefu bench incidents` measures: the clustering's pairwise precision and recall on
//! the labelled corpus (`corpus/`), and what adding one complaint costs among many open ones.

use std::time::Instant;

use crate::{Clusters, Complaint, Facts, PairScore, pairwise};

/// The labelled sets: `dev.jsonl`, against which the lexicon was first written, and
/// `idiom.jsonl`, indirect and colloquial wording (symptoms, slang, no cause words) to tune
/// against as well; `holdout.jsonl`, written apart in other words; `fresh.jsonl`, written
/// before the lexicon was broadened, in the shuffled order complaints really arrive in; and
/// `blind.jsonl`, written later still and never looked at line by line (`KEFU_CLUSTER_DEBUG`
/// leaves it out), so that one measure stays honest.
pub const CORPUS: [(&str, &str); 5] = [
    ("dev", include_str!("../corpus/dev.jsonl")),
    ("idiom", include_str!("../corpus/idiom.jsonl")),
    ("holdout", include_str!("../corpus/holdout.jsonl")),
    ("fresh", include_str!("../corpus/fresh.jsonl")),
    ("blind", include_str!("../corpus/blind.jsonl")),
];

/// One labelled complaint.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub text: String,
    pub cause: String,
}

/// Reads a corpus file: one JSON object per line with `text` and `cause`.
pub fn read_corpus(jsonl: &str) -> Vec<Labelled> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a corpus line is JSON");
            let field = |name: &str| v[name].as_str().expect("text and cause").to_string();
            Labelled {
                text: field("text"),
                cause: field("cause"),
            }
        })
        .collect()
}

/// Clusters a labelled set in its order and scores it.
pub fn score(set: &[Labelled], threshold: f32) -> (PairScore, Vec<u32>) {
    let mut clusters = Clusters::new(threshold);
    let ids: Vec<u32> = set
        .iter()
        .enumerate()
        .map(|(i, l)| {
            clusters
                .add(Complaint {
                    key: i as i64,
                    buyer: i as i64,
                    at: i as i64,
                    text: &l.text,
                    facts: Facts::default(),
                })
                .cluster
        })
        .collect();
    let labels: Vec<&str> = set.iter().map(|l| l.cause.as_str()).collect();
    (pairwise(&labels, &ids), ids)
}

/// The cost of adding a complaint among `open` open ones: `open` complaints drawn from the
/// corpus (each with its own order number, one of 20 couriers and 500 SKUs, so that no two are
/// the same text), then `adds` more timed one by one. Returns the microseconds per add, sorted, and how many clusters there were.
pub fn add_cost(open: usize, adds: usize) -> (Vec<f64>, usize) {
    let texts: Vec<Labelled> = CORPUS.iter().flat_map(|(_, c)| read_corpus(c)).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut clusters = Clusters::default();
    let complaint = |i: usize, clusters: &mut Clusters, r: u64| {
        let base = &texts[(r % texts.len() as u64) as usize].text;
        let text = format!("{base} 订单 {}", 100_000_000 + i);
        let courier = format!("courier-{}", (r >> 20) % 20);
        let sku = format!("sku-{}", (r >> 30) % 500);
        clusters.add(Complaint {
            key: i as i64,
            buyer: i as i64,
            at: i as i64,
            text: &text,
            facts: Facts {
                courier: Some(&courier),
                sku: Some(&sku),
                region: None,
            },
        });
    };
    for i in 0..open {
        let r = next();
        complaint(i, &mut clusters, r);
    }
    let mut took = Vec::with_capacity(adds);
    for i in open..open + adds {
        let r = next();
        let start = Instant::now();
        complaint(i, &mut clusters, r);
        took.push(start.elapsed().as_secs_f64() * 1e6);
    }
    took.sort_by(f64::total_cmp);
    (took, clusters.cluster_count())
}
