//! Runs the search benchmark without the CLI:
//! `cargo run --release -p kefu-search --example bench_search -- [DOCS] [QUERIES]`
//! (defaults 1 000 000 and 500, as `kefu bench search` uses). Prints one JSON line.

fn main() {
    let mut args = std::env::args().skip(1);
    let docs = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let queries = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    println!("{}", kefu_search::bench::bench_search(docs, queries));
}
