//! `kefu reindex`: rebuilds the full-text index from the database (the source of truth), with
//! a progress bar.

use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    db: String,
    /// The index directory (default: beside a SQLite file, `kefu-index` for PostgreSQL).
    #[arg(long, env = "KEFU_INDEX")]
    index: Option<std::path::PathBuf>,
}

/// Where the index lives unless told: `PATH.index` beside a SQLite file, else `kefu-index`.
pub fn default_index_dir(db: &str) -> std::path::PathBuf {
    match db.strip_prefix("sqlite://") {
        Some(path) => std::path::PathBuf::from(format!("{path}.index")),
        None => std::path::PathBuf::from("kefu-index"),
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = kefu_store::open(&args.db).await?;
    let dir = args.index.unwrap_or_else(|| default_index_dir(&args.db));
    let search = kefu_server::search::Search::open(&dir)?;
    let total = store.stats().await?.messages.max(1) as usize;
    let started = std::time::Instant::now();
    let mut done = 0usize;
    let mut shown = usize::MAX;
    let last = search
        .rebuild(store.as_ref(), |n| {
            done += n;
            let percent = (done * 100 / total).min(100);
            if percent != shown {
                shown = percent;
                let filled = percent * 30 / 100;
                eprint!(
                    "\r[{}{}] {percent:3}% {done}/{total} messages",
                    "#".repeat(filled),
                    " ".repeat(30 - filled)
                );
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
    eprintln!();
    super::print_json(&serde_json::json!({
        "indexed": done, "through_message": last, "index": dir.display().to_string(),
        "seconds": started.elapsed().as_secs_f64(),
    }))
}
