//! Throughput report (run in release: `cargo test -p kefu-guard --release
//! -- --ignored --nocapture`). The bar is 500,000 replies per second on one
//! core for both `lint` and `redact`.

use kefu_guard::bench::{bench_lint, bench_redact};

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn throughput() {
    for (name, f) in [
        ("lint", bench_lint as fn(u64) -> (u64, std::time::Duration)),
        ("redact", bench_redact),
    ] {
        // KEFU_BENCH=lint or =redact runs only that one (for profiling).
        if std::env::var("KEFU_BENCH").is_ok_and(|only| only != name) {
            continue;
        }
        f(20); // warm up caches and lazy statics
        let iters = std::env::var("KEFU_BENCH_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(400);
        let (n, d) = f(iters);
        let rate = n as f64 / d.as_secs_f64();
        println!(
            "{name:<7} {n} replies in {:.3} s: {rate:>10.0} replies/s, {:.2} µs per reply",
            d.as_secs_f64(),
            1e6 / rate
        );
    }
}
