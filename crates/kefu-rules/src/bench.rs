//! A throughput measurement of [`deadlines`] for `kefu bench deadlines`.
//!
//! The bar (issue): at least 1,000,000 deadline computations per second on one core for a
//! business-hours pack (Taobao: TB-FRT-5M on 09:00–23:00, so many instants pause overnight).
//! The instants are spread over four years and every hour of the day, so the measurement
//! covers clocks that finish the same evening and clocks that resume the next morning.
//!
//! This is the one place in the crate that reads a clock: the monotonic [`Instant`], only to
//! time the loop. It never reads the wall clock.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::deadline::{DeadlineInput, deadlines};
use crate::pack::PackSet;

/// Run [`deadlines`] `iterations` times on the embedded Taobao pack (first buyer messages at
/// varied instants, a quarter with an order total) and return how many deadlines were
/// computed and how long the loop took. Pack loading is not timed.
pub fn bench_deadlines(iterations: u64) -> (u64, Duration) {
    let packs = PackSet::embedded().expect("embedded packs are valid");
    let pack = packs.get("taobao").expect("the taobao pack is embedded");
    // 2025-01-01T00:00:00Z; step by a prime number of seconds so instants fall at every
    // minute of the day and wrap around a four-year span.
    let base = DateTime::<Utc>::from_timestamp(1_735_689_600, 0).expect("valid instant");
    const SPAN: u64 = 4 * 365 * 86_400;
    const STEP: u64 = 7_919;
    let mut input = DeadlineInput::first_message(base);
    let mut offset = 0u64;
    let mut count = 0u64;
    let started = Instant::now();
    for i in 0..iterations {
        offset = (offset + STEP) % SPAN;
        input.received = base + chrono::Duration::seconds(offset as i64);
        input.order_total =
            (i % 4 == 0).then(|| (rust_decimal::Decimal::new(12_345, 2), "CNY".into()));
        let list = deadlines(pack, black_box(&input));
        count += list.len() as u64;
        black_box(list);
    }
    (count, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_one_deadline_per_first_message() {
        let (count, _) = bench_deadlines(100);
        assert_eq!(count, 100);
    }

    /// `cargo test -p kefu-rules --release -- --ignored bench` prints the rate.
    #[test]
    #[ignore]
    fn bench_deadlines_rate() {
        let n = 2_000_000;
        let (count, elapsed) = bench_deadlines(n);
        let rate = count as f64 / elapsed.as_secs_f64();
        println!("deadlines: {count} in {elapsed:?} = {rate:.0}/s");
    }
}
