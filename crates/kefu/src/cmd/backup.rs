//! `kefu backup`: a consistent copy of the SQLite database, taken while the desk serves it
//! (`kefu_store::backup`); prints what it copied as JSON. Restore by serving the copy:
//! `kefu serve --db sqlite://COPY`.

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    db: String,
    /// The new file to write; an existing one is never overwritten.
    #[arg(long)]
    to: std::path::PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let to = args
        .to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("--to must be a UTF-8 path"))?;
    let report = kefu_store::backup::backup(&args.db, to)?;
    super::print_json(&report)
}
