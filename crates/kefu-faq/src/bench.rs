//! Latency of [`FaqIndex::best`] over realistic questions, for `cargo test -- --nocapture`
//! and for anyone sizing the bot.

use std::fmt;
use std::hint::black_box;
use std::time::Instant;

use crate::{FaqIndex, presets};

/// The labelled evaluation questions double as the benchmark's workload: they are what
/// buyers send, in the mix of languages and lengths the bot sees.
const QUESTIONS: &str = include_str!("../tests/labelled.tsv");

/// Timings of one [`bench_match`] run. Latencies are per question, in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    pub queries: usize,
    /// Distinct questions cycled through.
    pub distinct: usize,
    /// Building the preset index, in milliseconds (after the segmenter is loaded).
    pub build_ms: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Questions per second on one thread.
    pub per_second: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kefu-faq bench: {} queries ({} distinct) against the presets index: \
             p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {:.1} µs, {:.0} queries/s on one \
             thread; index build {:.2} ms",
            self.queries,
            self.distinct,
            self.p50_us,
            self.p99_us,
            self.max_us,
            self.mean_us,
            self.per_second,
            self.build_ms
        )
    }
}

/// The labelled questions with their language tags.
fn workload() -> Vec<(String, String)> {
    QUESTIONS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.splitn(3, '\t');
            let language = cols.next()?;
            let _expected = cols.next()?;
            let question = cols.next()?;
            Some((language.to_string(), question.to_string()))
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `queries` questions (the labelled set, cycled) through [`FaqIndex::best`] on the
/// presets index and reports the latency distribution, after one untimed warm-up pass.
pub fn bench_match(queries: usize) -> BenchReport {
    // Load the segmenter first so that neither the build nor the first query pays for it.
    let _ = FaqIndex::build(Vec::new());
    let started = Instant::now();
    let index = FaqIndex::build(presets());
    let build_ms = started.elapsed().as_secs_f64() * 1e3;

    let questions = workload();
    if questions.is_empty() {
        return BenchReport {
            queries: 0,
            distinct: 0,
            build_ms,
            p50_us: 0.0,
            p99_us: 0.0,
            max_us: 0.0,
            mean_us: 0.0,
            per_second: 0.0,
        };
    }
    // One untimed pass: the first cut of each text touches cold parts of jieba's
    // dictionary; the report is about the steady state a running desk sees.
    for (language, question) in &questions {
        black_box(index.best(question, Some(language)));
    }
    let mut micros = Vec::with_capacity(queries);
    let total = Instant::now();
    for i in 0..queries {
        let (language, question) = &questions[i % questions.len()];
        let t = Instant::now();
        black_box(index.best(black_box(question), Some(language)));
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let total_s = total.elapsed().as_secs_f64();
    micros.sort_by(f64::total_cmp);
    let mean_us = if micros.is_empty() {
        0.0
    } else {
        micros.iter().sum::<f64>() / micros.len() as f64
    };
    BenchReport {
        queries,
        distinct: questions.len().min(queries),
        build_ms,
        p50_us: percentile(&micros, 50.0),
        p99_us: percentile(&micros, 99.0),
        max_us: micros.last().copied().unwrap_or(0.0),
        mean_us,
        per_second: if total_s > 0.0 {
            queries as f64 / total_s
        } else {
            0.0
        },
    }
}
