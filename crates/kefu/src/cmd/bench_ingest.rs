//! `kefu bench ingest`: buyers' messages ingested through the store from concurrent writers,
//! against a baseline of the same rows inserted in large transactions.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use kefu_core::{Channel, SystemClock};
use kefu_server::AppState;
use kefu_server::shop_rules::{effective_pack, plan_obligations};
use kefu_store::{Inbound, Store};

use super::bench::{bench_db, bench_shop};

pub async fn ingest(n: usize, db: Option<String>, concurrency: usize) -> anyhow::Result<()> {
    let (url, path) = bench_db(db, "ingest")?;
    let store = kefu_store::open(&url).await?;
    let state = AppState::new(
        store.clone(),
        Arc::new(SystemClock),
        &super::random_token()?,
    )?;
    let shop_id = bench_shop(store.as_ref()).await?;
    let pack = effective_pack(
        &state.packs,
        "ebay",
        "America/Los_Angeles",
        &serde_json::json!({"first_response_target": "3h"}),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let workload = ingest_workload(n, shop_id, &pack)?;
    let rows = baseline_rows(&workload);
    eprintln!("ingesting through the store with {concurrency} concurrent writers");
    let seconds = ingest_concurrently(&store, workload, concurrency).await?;
    let stats = store.stats().await?;
    anyhow::ensure!(
        stats.messages as usize == n,
        "expected {n} messages stored, found {}",
        stats.messages
    );
    let rate = n as f64 / seconds;
    let (baseline, ratio) = match &path {
        Some(p) => {
            let base_rate = baseline_rate(p, &rows)?;
            (
                Some(base_rate.round()),
                Some((rate / base_rate * 1000.0).round() / 1000.0),
            )
        }
        None => (None, None),
    };
    super::print_json(&serde_json::json!({
        "bench": "ingest",
        "backend": store.backend(),
        "messages": n,
        "concurrency": concurrency,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "messages_per_second": rate.round(),
        "baseline_rows_per_second": baseline,
        "ratio": ratio,
    }))
}

/// `n` buyers' messages to the bench shop, four per buyer on average (as a conversation
/// goes), each with the clocks the pack opens for it.
fn ingest_workload(
    n: usize,
    shop_id: i64,
    pack: &kefu_rules::Pack,
) -> anyhow::Result<Vec<Inbound>> {
    let buyers = (n / 4).max(1);
    let base: DateTime<Utc> = "2026-11-11T08:00:00Z".parse()?;
    eprintln!("preparing {n} messages from {buyers} buyers");
    Ok((0..n)
        .map(|i| {
            let at = base + chrono::Duration::milliseconds(i as i64 * 10);
            let (first, follow_up) = plan_obligations(pack, at, None, Channel::Api);
            Inbound {
                shop_id,
                channel: Channel::Api,
                customer_handle: format!("buyer-{}", i % buyers),
                customer_name: None,
                customer_language: None,
                order_external_id: None,
                body: format!("Hello, where is my parcel? Order {}", 100_000 + i % buyers),
                language: Some("en".into()),
                received_at: at,
                external_id: Some(format!("bench-{i}")),
                first_contact_obligations: first,
                follow_up_obligations: follow_up,
                high_value: false,
                complaint: false,
                flags: Vec::new(),
                redactions: vec![],
                reply_to: None,
            }
        })
        .collect())
}

/// One row of the baseline: customer, body, external id, time (µs), clocks opened.
type BaselineRow = (String, String, String, i64, usize);

/// What the baseline inserts: the same messages, and the clocks each one opens (only a
/// buyer's first message opens them; the bench never replies, so they keep running).
fn baseline_rows(workload: &[Inbound]) -> Vec<BaselineRow> {
    let mut seen = std::collections::HashSet::new();
    workload
        .iter()
        .map(|m| {
            let first = seen.insert(m.customer_handle.clone());
            let clocks = if first {
                m.first_contact_obligations.len()
            } else {
                0
            };
            let external_id = m.external_id.clone().unwrap_or_default();
            (
                m.customer_handle.clone(),
                m.body.clone(),
                external_id,
                m.received_at.timestamp_micros(),
                clocks,
            )
        })
        .collect()
}

/// Ingests `workload` through the store from `concurrency` writers; returns the seconds taken.
async fn ingest_concurrently(
    store: &Arc<dyn Store>,
    workload: Vec<Inbound>,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let workload = Arc::new(std::sync::Mutex::new(workload.into_iter()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let store = store.clone();
        let workload = workload.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let next = workload.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some(m) = next else { break };
                store.ingest(m).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// Rows per second of the baseline: the same rows inserted beside the SQLite file `path` in
/// 1000-message transactions (the file is removed afterwards).
fn baseline_rate(path: &str, rows: &[BaselineRow]) -> anyhow::Result<f64> {
    let base_path = format!("{path}.baseline");
    let _ = std::fs::remove_file(&base_path);
    eprintln!("baseline: the same rows in 1000-message transactions");
    let rows: Vec<kefu_store::sqlite::bench::Row> = rows
        .iter()
        .map(|(c, b, e, t, o)| kefu_store::sqlite::bench::Row {
            customer: c,
            body: b,
            external_id: e,
            at_micros: *t,
            obligations: *o,
        })
        .collect();
    let took = tokio::task::block_in_place(|| {
        kefu_store::sqlite::bench::batched_insert(&base_path, &rows, super::bench::BENCH_CLOCK)
    })?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{base_path}{suffix}"));
    }
    Ok(rows.len() as f64 / took.as_secs_f64())
}
