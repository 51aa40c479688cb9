//! `kefu`: the customer-service desk in one binary. One file per subcommand under `cmd/`.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "The customer-service desk for marketplace sellers (eBay, Taobao, Tmall, AliExpress, Pinduoduo)."
)]
struct Cli {
    /// Log format on standard error.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the desk: the HTTP API on --listen, storing in --db.
    Serve(cmd::serve::Args),
    /// Generate the demo data set (shops, orders, conversations) into a database.
    Demo(cmd::demo::Args),
    /// Manage agents and API tokens.
    #[command(subcommand)]
    Admin(cmd::admin::Command),
    /// Ask the rulebook: deadlines and after-sales amounts, as JSON.
    #[command(subcommand)]
    Rules(cmd::rules::Command),
    /// Check a reply against the reply guard; prints the verdict as JSON.
    Lint(cmd::lint::LintArgs),
    /// Mask buyers' secrets (card numbers, ID numbers, passwords, codes) in a text; prints JSON.
    Redact(cmd::lint::RedactArgs),
    /// The supervisor's KPIs of a shop for a period, against their targets; prints JSON.
    Kpi(cmd::kpi::Args),
    /// Simulate a day of buyers against a number of agents, beside Erlang C, or replay a day
    /// of the store's history (`--day`) against the shifts; prints JSON.
    Simulate(cmd::simulate::Args),
    /// Rebuild the full-text search index from the database, with a progress bar.
    Reindex(cmd::reindex::Args),
    /// Copy the SQLite database while the desk serves it (a consistent snapshot, checked).
    Backup(cmd::backup::Args),
    /// Measure: ingest, http. Prints one JSON object as the last line.
    #[command(subcommand)]
    Bench(cmd::bench::Command),
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KEFU_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs an async command on a fresh multi-threaded runtime (the pure commands need none).
fn block_on(f: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(f)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Rules(c) => cmd::rules::run(c),
        Command::Lint(a) => cmd::lint::lint(a),
        Command::Redact(a) => cmd::lint::redact(a),
        Command::Serve(a) => block_on(cmd::serve::run(a)),
        Command::Demo(a) => block_on(cmd::demo::run(a)),
        Command::Admin(c) => block_on(cmd::admin::run(c)),
        Command::Bench(c) => block_on(cmd::bench::run(c)),
        Command::Reindex(a) => block_on(cmd::reindex::run(a)),
        Command::Backup(a) => cmd::backup::run(a),
        Command::Kpi(a) => block_on(cmd::kpi::run(a)),
        Command::Simulate(a) if a.replays_history() => block_on(cmd::simulate_day::run(a)),
        Command::Simulate(a) => cmd::simulate::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
