//! Streaming clustering of buyers' complaints by their cause (COLLECTIVE-3LEVEL: "many buyers
//! complaining about one thing at once" — the same courier's stalled parcels, one SKU's flat
//! batteries — is an incident, not fifty tickets).
//!
//! A complaint becomes a sparse vector ([`features`]): the concepts of a five-language lexicon
//! (`data/concepts.txt`: "快递三天没动了" and "物流一直不更新" both name a shipment and a
//! stall, though they share no word; traditional characters read as simplified), its
//! segmented words at a low weight (near-duplicate wording), and the order's courier, SKU and
//! region when known. The lexicon names aspects as well as causes, and its rules combine them:
//! a bare "two" with a payment is a double charge, "ordered one thing … sent another" a wrong
//! item, "not delivered" no delivery. Each arriving complaint joins the cluster whose centroid
//! is nearest by cosine similarity, when that is at least the threshold and it names a strong
//! concept most of the cluster's members name (or nearly all their words), and otherwise
//! starts its own. Only the clusters that share a strong concept or an uncommon word with it
//! are compared (an inverted index), so adding one costs microseconds among 100,000 open
//! complaints (`kefu bench incidents`).
//!
//! Pure and deterministic: the same complaints in the same order give the same clusters, so a
//! node rebuilds them from the store after a restart. What becomes an incident, at which
//! level, is the rulebook's decision (`kefu_rules::incidents`), not this crate's.

pub mod bench;
mod eval;
mod features;
mod hanzi;
mod lexicon;

use std::collections::HashMap;

pub use eval::{PairScore, pairwise};
pub use features::{Facts, Feature, Features, features, region_of_postcode};
pub use lexicon::fold;

/// The names of the concepts a complaint's features name (what `KEFU_CLUSTER_DEBUG` shows).
pub fn concept_names(f: &Features) -> Vec<&'static str> {
    let lex = lexicon::lexicon();
    f.concepts
        .iter()
        .map(|&c| lex.concepts[c].name.as_str())
        .collect()
}

/// The similarity at which a complaint joins a cluster (measured on the labelled corpus).
pub const DEFAULT_THRESHOLD: f32 = 0.4;

/// A concept this heavy says what a complaint is about ("stalled", "charged twice"); a
/// complaint joins a cluster only by one that most of the cluster's members name, or when
/// their words are nearly the same ([`NEAR_DUPLICATE`]): a rude courier and a late parcel
/// share only "courier", and a box one member mentioned does not draw every box in.
pub const STRONG_CONCEPT: f32 = 1.5;
/// The similarity at which wording alone is enough.
pub const NEAR_DUPLICATE: f32 = 0.8;

/// A word held by more clusters than this is too common to look for candidates by.
const COMMON_WORD_CLUSTERS: usize = 64;

/// One complaint to cluster.
#[derive(Debug, Clone, Copy)]
pub struct Complaint<'a> {
    /// What the complaint is filed under (the desk: its conversation); a key already
    /// clustered is not added twice.
    pub key: i64,
    /// Who complained (incidents count buyers, not messages).
    pub buyer: i64,
    /// When, in seconds since the epoch.
    pub at: i64,
    pub text: &'a str,
    pub facts: Facts<'a>,
}

/// A complaint in a cluster.
#[derive(Debug, Clone)]
pub struct Member {
    pub key: i64,
    pub buyer: i64,
    pub at: i64,
    weights: Vec<(Feature, f32)>,
    facts: [Option<String>; 3],
}

/// A group of complaints about one cause.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: u32,
    members: Vec<Member>,
    /// The sum of the members' vectors, and its squared norm.
    centroid: HashMap<Feature, f32>,
    norm2: f32,
    /// How much of each concept the members named.
    concepts: HashMap<usize, f32>,
    /// The first member's words, to show what the cluster is about.
    sample: String,
}

/// What a cluster is about, as an incident shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// The concepts most of its members name, strongest first (`SHIPMENT`, `STALLED`).
    pub concepts: Vec<String>,
    /// The courier, SKU and region most of its members share, when one does.
    pub courier: Option<String>,
    pub sku: Option<String>,
    pub region: Option<String>,
    /// The first complaint's text, shortened.
    pub sample: String,
}

/// Where a complaint went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub cluster: u32,
    /// False when the key was clustered before (nothing changed).
    pub added: bool,
}

impl Cluster {
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// How many different buyers complained at or after `since`.
    pub fn buyers_since(&self, since: i64) -> usize {
        let mut buyers: Vec<i64> = self
            .members
            .iter()
            .filter(|m| m.at >= since)
            .map(|m| m.buyer)
            .collect();
        buyers.sort_unstable();
        buyers.dedup();
        buyers.len()
    }

    pub fn cause(&self) -> Cause {
        let lex = lexicon::lexicon();
        let n = self.members.len() as f32;
        let mut concepts: Vec<(usize, f32)> = self
            .concepts
            .iter()
            .map(|(&c, &mass)| (c, mass / lex.concepts[c].weight))
            .filter(|&(_, share)| share >= n / 2.0)
            .collect();
        concepts.sort_by(|a, b| {
            let (wa, wb) = (
                lex.concepts[a.0].weight * a.1,
                lex.concepts[b.0].weight * b.1,
            );
            wb.total_cmp(&wa).then(a.0.cmp(&b.0))
        });
        let most = |i: usize| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for m in &self.members {
                if let Some(v) = &m.facts[i] {
                    *counts.entry(v.as_str()).or_default() += 1;
                }
            }
            let (value, count) = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
            (count * 2 > self.members.len()).then(|| value.to_string())
        };
        Cause {
            concepts: concepts
                .into_iter()
                .map(|(c, _)| lex.concepts[c].name.clone())
                .collect(),
            courier: most(0),
            sku: most(1),
            region: most(2),
            sample: self.sample.clone(),
        }
    }

    /// Whether most members name `concept`: what a newcomer may join by. A concept that one
    /// early member brought in ("the box", "the photo") does not draw others' complaints in,
    /// whatever order they arrive in.
    fn is_about(&self, concept: usize, lex: &lexicon::Lexicon) -> bool {
        let named =
            self.concepts.get(&concept).copied().unwrap_or(0.0) / lex.concepts[concept].weight;
        named * 2.0 > self.members.len() as f32 + 1e-3
    }

    fn similarity(&self, item: &[(Feature, f32)], item_norm: f32) -> f32 {
        if self.norm2 <= 0.0 || item_norm <= 0.0 {
            return 0.0;
        }
        let dot: f32 = item
            .iter()
            .map(|(f, w)| w * self.centroid.get(f).copied().unwrap_or(0.0))
            .sum();
        dot / (item_norm * self.norm2.sqrt())
    }
}

/// The open complaints of one shop, clustered as they arrive.
#[derive(Debug, Clone)]
pub struct Clusters {
    threshold: f32,
    /// Indexed by cluster id; `None` once every member is forgotten.
    slots: Vec<Option<Box<Cluster>>>,
    /// Feature → the clusters whose centroid has it.
    postings: HashMap<Feature, Vec<u32>>,
    of_key: HashMap<i64, u32>,
    /// Per slot, the last `add` that looked at it (candidates are compared once).
    seen: Vec<u64>,
    adds: u64,
}

impl Default for Clusters {
    fn default() -> Self {
        Clusters::new(DEFAULT_THRESHOLD)
    }
}

impl Clusters {
    pub fn new(threshold: f32) -> Clusters {
        Clusters {
            threshold,
            slots: Vec::new(),
            postings: HashMap::new(),
            of_key: HashMap::new(),
            seen: Vec::new(),
            adds: 0,
        }
    }

    /// Adds a complaint to the nearest cluster, or to a new one.
    pub fn add(&mut self, c: Complaint<'_>) -> Joined {
        if let Some(&cluster) = self.of_key.get(&c.key) {
            return Joined {
                cluster,
                added: false,
            };
        }
        self.adds += 1;
        let f = features(c.text, c.facts);
        let norm = f.weights.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        let lex = lexicon::lexicon();
        let strong: Vec<usize> = f
            .concepts
            .iter()
            .copied()
            .filter(|&c| lex.concepts[c].weight >= STRONG_CONCEPT)
            .collect();
        let mut best: Option<(f32, u32)> = None;
        // Candidates: the clusters that share a strong concept with it (what joining asks
        // for), or one of its less common words or weak concepts (a near duplicate): "parcel"
        // is in thousands of clusters and is no lead. A shared courier or SKU alone does not
        // make a candidate (it only adds to the similarity).
        let candidates = f.weights.iter().filter_map(|(feature, w)| {
            let list = self.postings.get(feature)?;
            let concept = *feature < lex.concepts.len() as Feature;
            let strong_concept = concept && *w >= STRONG_CONCEPT;
            let word = !concept && *w <= features::WORD_WEIGHT;
            (strong_concept || ((concept || word) && list.len() <= COMMON_WORD_CLUSTERS))
                .then_some(list)
        });
        for list in candidates {
            for &id in list {
                if self.seen[id as usize] == self.adds {
                    continue;
                }
                self.seen[id as usize] = self.adds;
                let Some(cluster) = &self.slots[id as usize] else {
                    continue;
                };
                let s = cluster.similarity(&f.weights, norm);
                let shares_cause = strong.iter().any(|&c| cluster.is_about(c, lex));
                if s >= self.threshold
                    && (shares_cause || s >= NEAR_DUPLICATE)
                    && best.is_none_or(|(b, bid)| s > b || (s == b && id < bid))
                {
                    best = Some((s, id));
                }
            }
        }
        let id = match best {
            Some((_, id)) => id,
            None => self.open(c.text),
        };
        self.join(id, c, f);
        self.of_key.insert(c.key, id);
        Joined {
            cluster: id,
            added: true,
        }
    }

    fn open(&mut self, text: &str) -> u32 {
        let id = self.slots.len() as u32;
        let sample: String = text.chars().take(120).collect();
        self.slots.push(Some(Box::new(Cluster {
            id,
            members: Vec::new(),
            centroid: HashMap::new(),
            norm2: 0.0,
            concepts: HashMap::new(),
            sample,
        })));
        self.seen.push(0);
        id
    }

    fn join(&mut self, id: u32, c: Complaint<'_>, f: Features) {
        let cluster = self.slots[id as usize].as_mut().expect("an open cluster");
        for &(feature, w) in &f.weights {
            let old = cluster.centroid.get(&feature).copied().unwrap_or(0.0);
            if old == 0.0 {
                self.postings.entry(feature).or_default().push(id);
            }
            cluster.norm2 += (old + w) * (old + w) - old * old;
            cluster.centroid.insert(feature, old + w);
        }
        let lex = lexicon::lexicon();
        for &concept in &f.concepts {
            *cluster.concepts.entry(concept).or_default() += lex.concepts[concept].weight;
        }
        let fact = |v: Option<&str>| v.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        cluster.members.push(Member {
            key: c.key,
            buyer: c.buyer,
            at: c.at,
            weights: f.weights,
            facts: [
                fact(c.facts.courier),
                fact(c.facts.sku),
                fact(c.facts.region),
            ],
        });
    }

    pub fn get(&self, id: u32) -> Option<&Cluster> {
        self.slots.get(id as usize)?.as_deref()
    }

    /// The cluster a key was added to.
    pub fn of(&self, key: i64) -> Option<&Cluster> {
        self.get(*self.of_key.get(&key)?)
    }

    /// How many clusters hold complaints.
    pub fn cluster_count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// How many complaints are held.
    pub fn len(&self) -> usize {
        self.of_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.of_key.is_empty()
    }

    /// Forgets the complaints that arrived before `before` (the desk keeps a window of open
    /// complaints), and the clusters left empty.
    pub fn forget_before(&mut self, before: i64) {
        for slot in &mut self.slots {
            let Some(cluster) = slot else { continue };
            if cluster.members.iter().all(|m| m.at >= before) {
                continue;
            }
            let (gone, kept): (Vec<Member>, Vec<Member>) =
                cluster.members.drain(..).partition(|m| m.at < before);
            cluster.members = kept;
            let lex = lexicon::lexicon();
            for m in gone {
                self.of_key.remove(&m.key);
                for &(feature, _) in &m.weights {
                    let Some(concept) =
                        (feature < lex.concepts.len() as Feature).then_some(feature as usize)
                    else {
                        continue;
                    };
                    if let Some(mass) = cluster.concepts.get_mut(&concept) {
                        *mass -= lex.concepts[concept].weight;
                        if *mass <= 1e-4 {
                            cluster.concepts.remove(&concept);
                        }
                    }
                }
                for (feature, w) in m.weights {
                    let old = cluster.centroid.get(&feature).copied().unwrap_or(0.0);
                    let new = old - w;
                    cluster.norm2 += new * new - old * old;
                    if new <= 1e-4 {
                        cluster.centroid.remove(&feature);
                        if let Some(list) = self.postings.get_mut(&feature) {
                            list.retain(|&i| i != cluster.id);
                        }
                    } else {
                        cluster.centroid.insert(feature, new);
                    }
                }
            }
            if cluster.members.is_empty() {
                *slot = None;
            }
        }
        self.postings.retain(|_, list| !list.is_empty());
    }
}

#[cfg(test)]
mod tests;
