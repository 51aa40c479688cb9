pub mod admin;
pub mod backup;
pub mod bench;
pub mod bench_bot;
pub mod bench_http;
pub mod bench_ingest;
pub mod bench_kpi;
pub mod bench_ui;
pub mod demo;
pub mod demo_people;
pub mod kpi;
pub mod lint;
pub mod plot;
pub mod reindex;
pub mod rules;
pub mod serve;
pub mod simulate;
pub mod simulate_day;

/// Where the desk keeps its data unless told otherwise.
pub const DEFAULT_DB: &str = "sqlite://kefu.db";

/// A random token (hex of 24 bytes from the operating system's generator).
pub fn random_token() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Prints one JSON value on standard output (the CLI contracts).
pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}
