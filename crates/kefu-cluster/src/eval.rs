//! Pairwise precision and recall of a clustering against labels: of the pairs put together,
//! how many share a cause; of the pairs that share a cause, how many were put together.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    pub precision: f64,
    pub recall: f64,
}

/// Scores `clusters[i]` against `labels[i]`.
pub fn pairwise(labels: &[&str], clusters: &[u32]) -> PairScore {
    assert_eq!(labels.len(), clusters.len(), "one cluster per label");
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut both: HashMap<(&str, u32), u64> = HashMap::new();
    let mut by_label: HashMap<&str, u64> = HashMap::new();
    let mut by_cluster: HashMap<u32, u64> = HashMap::new();
    for (&l, &c) in labels.iter().zip(clusters) {
        *both.entry((l, c)).or_default() += 1;
        *by_label.entry(l).or_default() += 1;
        *by_cluster.entry(c).or_default() += 1;
    }
    let together: u64 = both.values().map(|&n| pairs(n)).sum();
    let predicted: u64 = by_cluster.values().map(|&n| pairs(n)).sum();
    let actual: u64 = by_label.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    PairScore {
        precision: ratio(together, predicted),
        recall: ratio(together, actual),
    }
}
