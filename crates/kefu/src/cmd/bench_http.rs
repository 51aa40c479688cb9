//! `kefu bench http`: `POST /api/v1/inbound` through HTTP on 127.0.0.1 from concurrent
//! keep-alive clients, with the server as `kefu serve` runs it, and what keeping the KPI
//! rollups costs those writes (issue 12).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kefu_core::SystemClock;
use kefu_server::AppState;
use tokio::io::BufReader;
use tokio::net::TcpStream;

use super::bench::{bench_db, bench_shop, percentile, round_trip};

/// `kefu bench http`: the run as `kefu serve` works (search indexer, KPI rollups refreshed
/// every second as the scheduler does), then — on a second new database — the same run with
/// the rollups' triggers dropped and no refresh, to print what keeping the rollups costs.
pub async fn http(
    requests: usize,
    clients: usize,
    db: Option<String>,
    db_without_rollups: Option<String>,
) -> anyhow::Result<()> {
    let second = match (&db, db_without_rollups) {
        (_, Some(url)) => Some(bench_db(Some(url), "http-bare")?.0),
        (None, None) => Some(bench_db(None, "http-bare")?.0),
        (Some(_), None) => None,
    };
    let (url, _) = bench_db(db, "http")?;
    let mut figures = http_run(requests, clients, &url, true).await?;
    if let Some(bare) = second {
        kefu_store::drop_kpi_triggers(&bare).await?;
        let without = http_run(requests, clients, &bare, false).await?;
        let (with, base) = (
            figures["messages_per_second"].as_f64().unwrap_or(0.0),
            without["messages_per_second"].as_f64().unwrap_or(0.0),
        );
        figures["messages_per_second_without_rollups"] = without["messages_per_second"].clone();
        figures["p99_ms_without_rollups"] = without["p99_ms"].clone();
        figures["rollup_cost_percent"] =
            serde_json::json!(((1.0 - with / base.max(1.0)) * 1000.0).round() / 10.0);
    }
    super::print_json(&figures)
}

/// One run of `requests` inbound messages from `clients` connections; with `rollups`, a
/// refresher follows the writes and the rollups are checked current at the end.
async fn http_run(
    requests: usize,
    clients: usize,
    url: &str,
    rollups: bool,
) -> anyhow::Result<serde_json::Value> {
    let store = kefu_store::open(url).await?;
    let key = super::random_token()?;
    let mut state = AppState::new(store.clone(), Arc::new(SystemClock), &key)?;
    // As `kefu serve` runs: the search indexer follows every message.
    let index_dir = std::env::temp_dir().join(format!(
        "kefu-bench-http-index{}-{}",
        if rollups { "" } else { "-bare" },
        std::process::id()
    ));
    let search = kefu_server::search::Search::open(&index_dir)?;
    state.search = Some(search.clone());
    kefu_server::search::spawn(search, store.clone());
    let shop_id = bench_shop(store.as_ref()).await?;
    let listener = kefu_server::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kefu_server::serve(listener, state, async {
        let _ = stop_rx.await;
    }));
    let refresher = rollups.then(|| {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let budget = Duration::from_millis(500);
                if let Err(e) =
                    kefu_server::desk::reports::refresh_rollups(store.as_ref(), budget).await
                {
                    tracing::warn!(error = %e, "rollup refresh failed");
                }
            }
        })
    });
    let counter = Arc::new(AtomicUsize::new(0));
    let buyers = (requests / 4).max(1);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let counter = counter.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(addr).await?);
            conn.get_ref().set_nodelay(true)?;
            let mut latencies = Vec::new();
            loop {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let body = format!(
                    r#"{{"shop_id":{shop_id},"channel":"api","customer":{{"handle":"buyer-{}"}},"body":"Hello, where is my parcel? Order {}","external_id":"http-{i}"}}"#,
                    i % buyers,
                    100_000 + i % buyers
                );
                let request = format!(
                    "POST /api/v1/inbound HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let sent = Instant::now();
                let status = round_trip(&mut conn, request.as_bytes()).await?;
                latencies.push(sent.elapsed().as_micros() as u64);
                anyhow::ensure!(status == 201, "request {i} answered {status}");
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    for t in tasks {
        latencies.extend(t.await??);
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(r) = refresher {
        r.abort();
    }
    let _ = stop_tx.send(());
    server.await??;
    latencies.sort_unstable();
    let stats = store.stats().await?;
    anyhow::ensure!(
        stats.messages as usize == requests,
        "expected {requests} stored messages, found {}",
        stats.messages
    );
    if rollups {
        store.refresh_all_kpis().await?;
        anyhow::ensure!(store.kpi_pending().await? == 0, "rollups left behind");
    }
    Ok(serde_json::json!({
        "bench": "http",
        "backend": store.backend(),
        "requests": requests,
        "clients": clients,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "messages_per_second": (requests as f64 / seconds).round(),
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "max_ms": percentile(&latencies, 1.0),
    }))
}
