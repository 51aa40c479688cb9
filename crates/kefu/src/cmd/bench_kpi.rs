//! `kefu bench kpi` (issue 12): the supervisor's 30-day report over a large history, on
//! SQLite (default) or PostgreSQL (`--db postgres://…`). The history is written as raw rows (the store's ingest would take a quarter of an
//! hour for ten million messages); the migration's triggers mark every conversation, so the
//! first refresh builds the rollups from those rows exactly as `kefu kpi --rebuild` does.
//! Then the report — the desk's own `kpi_report`, as the API and the pages call it — runs
//! over 30-day windows that end at different hours (so every run reads partial days at both
//! edges), for one shop and for all shops.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use kefu_kpi::{Period, Targets, kpis};
use kefu_server::desk::reports::{KpiRequest, kpi_report};
use kefu_store::bench_history::KpiHistory;
use kefu_store::sqlite::bench::seed_kpi_history;
use kefu_store::{DEFAULT_TENANT, KpiQuery};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[idx] * 100.0).round() / 100.0
}

pub async fn kpi(mut history: KpiHistory, runs: usize, db: Option<String>) -> anyhow::Result<()> {
    let (url, path) = super::bench::bench_db(db, "kpi")?;
    // The history ends on an hour that is no shop's midnight.
    let end: DateTime<Utc> = "2026-11-30T07:00:00Z".parse()?;
    history.end_micros = end.timestamp_micros();
    let started = Instant::now();
    let seeded = match path {
        Some(path) => {
            tokio::task::spawn_blocking(move || {
                seed_kpi_history(&path, &history, super::bench::BENCH_CLOCK).map(|_| history)
            })
            .await??
        }
        None => {
            kefu_store::postgres::bench::seed_kpi_history(
                &url,
                &history,
                super::bench::BENCH_CLOCK,
            )
            .await?;
            history
        }
    };
    let seed_seconds = started.elapsed().as_secs_f64();
    let store = kefu_store::open(&url).await?;
    let started = Instant::now();
    let refreshed = store.refresh_all_kpis().await?;
    let refresh_seconds = started.elapsed().as_secs_f64();
    let shops = store.shops(DEFAULT_TENANT).await?;
    let one = &shops[..1];
    let (mut one_ms, mut all_ms) = (Vec::new(), Vec::new());
    let mut conversations_in_window = 0;
    for r in 0..runs {
        let to = end - Duration::hours(r as i64);
        let req = KpiRequest {
            from: to - Duration::days(30),
            to,
            group_by: None,
        };
        let t = Instant::now();
        kpi_report(store.as_ref(), one, &Targets::default(), &req).await?;
        one_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let all = kpi_report(store.as_ref(), &shops, &Targets::default(), &req).await?;
        all_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        conversations_in_window = all["conversations"].as_u64().unwrap_or(0);
    }
    // The figures are the oracle's: one shop's last day, recomputed by brute force.
    let day = Period::new(end - Duration::days(1), end).map_err(anyhow::Error::msg)?;
    let facts = store
        .kpi_facts(KpiQuery {
            tenant_id: DEFAULT_TENANT,
            shop_ids: Some(vec![one[0].id]),
            from: day.from,
            to: day.to,
        })
        .await?;
    let oracle = serde_json::to_value(kpis(&facts, &facts, &day))?;
    let req = KpiRequest {
        from: day.from,
        to: day.to,
        group_by: None,
    };
    let report = kpi_report(store.as_ref(), one, &Targets::default(), &req).await?;
    for figure in ["conversations", "first_response", "resolution_rate", "csat"] {
        anyhow::ensure!(
            report[figure] == oracle[figure],
            "{figure}: the rollups say {} but the rows say {}",
            report[figure],
            oracle[figure]
        );
    }
    let stats = store.stats().await?;
    one_ms.sort_by(f64::total_cmp);
    all_ms.sort_by(f64::total_cmp);
    super::print_json(&serde_json::json!({
        "bench": "kpi",
        "backend": store.backend(),
        "conversations": stats.conversations,
        "messages": stats.messages,
        "shops": shops.len(),
        "days": seeded.days,
        "conversations_in_30_days": conversations_in_window,
        "seed_seconds": (seed_seconds * 10.0).round() / 10.0,
        "rollup_build_seconds": (refresh_seconds * 10.0).round() / 10.0,
        "rollup_build_conversations_per_second": (refreshed as f64 / refresh_seconds).round(),
        "runs": runs,
        "one_shop_p50_ms": percentile(&one_ms, 0.5),
        "one_shop_p99_ms": percentile(&one_ms, 0.99),
        "all_shops_p50_ms": percentile(&all_ms, 0.5),
        "all_shops_p99_ms": percentile(&all_ms, 0.99),
        "oracle_checked": true,
    }))
}
