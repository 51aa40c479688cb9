//! `kefu kpi`: the supervisor's KPI report of one shop (or all) for a period, as JSON — the
//! same report as `GET /api/v1/reports/kpis` (both come from `kefu_server::desk::reports`).

use anyhow::{Context, anyhow};
use kefu_server::desk::reports::{KpiRequest, kpi_report};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    db: String,
    /// The shop's id; without it, every shop of the default tenant.
    #[arg(long)]
    shop: Option<i64>,
    /// Start of the period, RFC 3339 (inclusive).
    #[arg(long, required_unless_present = "rebuild")]
    from: Option<String>,
    /// End of the period, RFC 3339 (exclusive).
    #[arg(long, required_unless_present = "rebuild")]
    to: Option<String>,
    /// Recompute the rollups the reports read from the conversations' rows and events
    /// (then print the report, when a period is given).
    #[arg(long)]
    rebuild: bool,
    /// Split by agent, shop, platform, day (the shop's calendar day) or team.
    #[arg(long)]
    group_by: Option<String>,
    /// Print, instead of the report, the conversations behind one figure as CSV, every one
    /// (`first_response_missed`, `unresolved`, `low_rated`, `repeat_complaints`, …).
    #[arg(long, value_name = "FIGURE")]
    conversations: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = kefu_store::open(&args.db)
        .await
        .with_context(|| format!("cannot open {}", args.db))?;
    if args.rebuild {
        let started = std::time::Instant::now();
        store.rebuild_kpis().await?;
        let n = store.refresh_all_kpis().await?;
        eprintln!(
            "rebuilt the KPI rollups of {n} conversations in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        // A command reads once: count everything written so far first.
        store.refresh_all_kpis().await?;
    }
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        return Ok(());
    };
    let time = |field: &str, v: &str| {
        kefu_server::desk::validate::parse_time(field, v).map_err(|e| anyhow!("--{field}: {e}"))
    };
    let req = KpiRequest {
        from: time("from", from)?,
        to: time("to", to)?,
        group_by: args
            .group_by
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| anyhow!("--group-by: {e}"))?,
    };
    let tenant = kefu_store::DEFAULT_TENANT;
    let mut shops = store.shops(tenant).await?;
    if let Some(id) = args.shop {
        shops.retain(|s| s.id == id);
        if shops.is_empty() {
            anyhow::bail!("--shop {id}: no such shop");
        }
    }
    if let Some(figure) = &args.conversations {
        return print_conversations(store, shops, &req, figure).await;
    }
    let packs = kefu_rules::PackSet::embedded()?;
    let targets = kefu_server::desk::reports::report_targets(&packs, &shops);
    let report = kpi_report(store.as_ref(), &shops, &targets, &req)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    super::print_json(&report)
}

/// The drill-down's CSV on standard output, streamed as the API streams it.
async fn print_conversations(
    store: std::sync::Arc<dyn kefu_store::Store>,
    shops: Vec<kefu_core::Shop>,
    req: &KpiRequest,
    figure: &str,
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use std::io::Write;
    let drill = kefu_server::desk::drill::DrillRequest {
        from: req.from,
        to: req.to,
        figure: figure
            .parse()
            .map_err(|e: String| anyhow!("--conversations: {e}"))?,
        agent: None,
    };
    let mut stream = Box::pin(
        kefu_server::desk::drill::drill_csv(store, shops, drill).map_err(|e| anyhow!("{e}"))?,
    );
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk?)?;
    }
    Ok(())
}
