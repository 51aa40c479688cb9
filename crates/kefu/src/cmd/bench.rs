//! `kefu bench`: the numbers the issues set as bars, measured on this machine. Each prints
//! one JSON object as the last line of standard output, every figure named with its unit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use kefu_core::Platform;
use kefu_server::AppState;
use kefu_store::{DEFAULT_TENANT, NewShop, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The clock the benchmarks' seeded obligations run under: eBay's first-response limit.
pub const BENCH_CLOCK: kefu_store::sqlite::bench::BenchClock<'static> =
    ("EBAY-FRT-24H", kefu_core::ClockKind::FirstResponse);

#[derive(Subcommand)]
pub enum Command {
    /// The store path: message + event + conversation state (+ rule clocks) per message,
    /// group-committed, from concurrent writers; compared with plain batched inserts.
    Ingest {
        #[arg(long, default_value_t = 200_000)]
        messages: usize,
        /// A database that does not exist yet (default: a temporary SQLite file).
        #[arg(long)]
        db: Option<String>,
        /// Concurrent writers (requests in flight); group commit batches what they send.
        #[arg(long, default_value_t = 1024)]
        concurrency: usize,
    },
    /// POST /api/v1/inbound through HTTP on 127.0.0.1 from concurrent keep-alive clients.
    Http {
        #[arg(long, default_value_t = 100_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// A database that does not exist yet (default: a temporary SQLite file).
        #[arg(long)]
        db: Option<String>,
        /// A second new database for the run without the KPI rollups' triggers and refresh
        /// (default: a temporary SQLite file when `--db` is not given; none otherwise).
        #[arg(long)]
        db_without_rollups: Option<String>,
    },
    /// The scheduler's sweep over a million open obligations (SQLite): an idle sweep and one
    /// that marks a batch of breaches.
    Sweep {
        #[arg(long, default_value_t = 1_000_000)]
        obligations: usize,
        /// Obligations that fall due between two sweeps.
        #[arg(long, default_value_t = 1000)]
        due_per_sweep: usize,
        #[arg(long, default_value_t = 20)]
        sweeps: usize,
    },
    /// The reply guard and redaction over the guard's corpus (replies ≤ 300 characters), on one
    /// core: replies per second.
    Lint {
        #[arg(long, default_value_t = 400)]
        passes: u64,
    },
    /// Full-text search over an index of `--messages` generated messages: p50/p99 per query.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
    /// The bot: FAQ top-1 accuracy on the labelled and held-out questions, matcher latency,
    /// and the end-to-end time from a buyer's message to the bot's stored answer (SQLite).
    Faq {
        #[arg(long, default_value_t = 20_000)]
        queries: usize,
        #[arg(long, default_value_t = 1_000)]
        messages: usize,
    },
    /// The agent desk's pages (SQLite): inbox first page and conversation page p50/p99 with
    /// `--agents` signed-in agents at once over `--conversations` open conversations, and the
    /// inbox's weight with its assets.
    Ui {
        #[arg(long, default_value_t = 1_000_000)]
        conversations: usize,
        #[arg(long, default_value_t = 20)]
        agents: usize,
        #[arg(long, default_value_t = 4_000)]
        requests: usize,
    },
    /// Language of short buyer messages with their context (issue 10 item 6): accuracy per
    /// language on the labelled and held-out sets, and the cost of one decision on one core.
    Lang {
        /// Decisions to time (over the labelled and held-out messages in turn).
        #[arg(long, default_value_t = 200_000)]
        calls: usize,
    },
    /// Deadline computations per second on one core (the taobao pack, business hours).
    Deadlines {
        #[arg(long, default_value_t = 2_000_000)]
        iterations: u64,
    },
    /// The supervisor's 30-day KPI report (SQLite) over a generated history of
    /// `--conversations` conversations of `--messages-per-conversation` messages: the rollups'
    /// build time from the rows, and p50/p99 of the report for one shop and for all shops.
    Kpi {
        #[arg(long, default_value_t = 1_000_000)]
        conversations: usize,
        #[arg(long, default_value_t = 10)]
        messages_per_conversation: usize,
        #[arg(long, default_value_t = 20)]
        shops: usize,
        #[arg(long, default_value_t = 40)]
        agents: usize,
        /// The history's span: conversations start evenly over this many days.
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// An empty database to write the history into (default: a temporary SQLite file;
        /// `postgres://…` measures PostgreSQL).
        #[arg(long)]
        db: Option<String>,
    },
    /// Complaint clustering (COLLECTIVE-3LEVEL): pairwise precision and recall on the labelled
    /// corpus, and the cost of adding one complaint among `--open` open ones.
    Incidents {
        #[arg(long, default_value_t = 100_000)]
        open: usize,
        #[arg(long, default_value_t = 2_000)]
        adds: usize,
    },
    /// Time from starting `kefu serve` to its first healthy answer: on an empty database and
    /// on one holding `--conversations` open conversations (or on `--db` if given).
    Startup {
        #[arg(long)]
        db: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        conversations: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    let result = run_one(cmd).await;
    remove_scratch();
    result
}

/// Removes the scratch databases and indexes this process's benchmarks made in the temporary
/// directory (`kefu-bench-NAME-PID`): a benchmark run leaves nothing behind, however it ended
/// (each run writes hundreds of megabytes; left behind, they fill the disk).
fn remove_scratch() {
    let suffix = format!("-{}", std::process::id());
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("kefu-bench-") && name.ends_with(&suffix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

async fn run_one(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Ingest {
            messages,
            db,
            concurrency,
        } => super::bench_ingest::ingest(messages, db, concurrency.max(1)).await,
        Command::Http {
            requests,
            clients,
            db,
            db_without_rollups,
        } => super::bench_http::http(requests.max(1), clients.max(1), db, db_without_rollups).await,
        Command::Startup {
            db,
            conversations,
            runs,
        } => startup(db, conversations.max(1), runs.max(1)).await,
        Command::Lint { passes } => {
            let (lint_n, lint_t) =
                tokio::task::block_in_place(|| kefu_guard::bench::bench_lint(passes.max(1)));
            let (red_n, red_t) =
                tokio::task::block_in_place(|| kefu_guard::bench::bench_redact(passes.max(1)));
            super::print_json(&serde_json::json!({
                "bench": "lint", "replies": lint_n,
                "replies_per_second": (lint_n as f64 / lint_t.as_secs_f64()).round(),
                "redactions_per_second": (red_n as f64 / red_t.as_secs_f64()).round(),
                "lint_us_per_reply": lint_t.as_secs_f64() * 1e6 / lint_n as f64,
                "redact_us_per_reply": red_t.as_secs_f64() * 1e6 / red_n as f64,
            }))
        }
        Command::Search { messages, queries } => {
            let report = tokio::task::block_in_place(|| {
                kefu_search::bench::bench_search(messages.max(1), queries.max(1))
            });
            let mut report = report;
            report["bench"] = serde_json::json!("search");
            super::print_json(&report)
        }
        Command::Ui {
            conversations,
            agents,
            requests,
        } => super::bench_ui::ui(conversations.max(1), agents.max(1), requests.max(2)).await,
        Command::Faq { queries, messages } => {
            super::bench_bot::faq(queries.max(1), messages.max(1)).await
        }
        Command::Kpi {
            conversations,
            messages_per_conversation,
            shops,
            agents,
            days,
            runs,
            db,
        } => {
            let history = kefu_store::bench_history::KpiHistory {
                shops: shops.max(1),
                agents: agents.max(1),
                conversations: conversations.max(1),
                messages_per_conversation: messages_per_conversation.max(1),
                days: days.max(31),
                end_micros: 0,
            };
            super::bench_kpi::kpi(history, runs.max(2), db).await
        }
        Command::Incidents { open, adds } => {
            tokio::task::block_in_place(|| incidents(open, adds.max(1)))
        }
        Command::Lang { calls } => tokio::task::block_in_place(|| lang(calls.max(1))),
        Command::Deadlines { iterations } => {
            // On this thread only: the figure is per core.
            let (n, took) =
                tokio::task::block_in_place(|| kefu_rules::bench_deadlines(iterations.max(1)));
            super::print_json(&serde_json::json!({
                "bench": "deadlines", "pack": "taobao", "computations": n,
                "seconds": took.as_secs_f64(), "deadlines_per_second": (n as f64 / took.as_secs_f64()).round(),
            }))
        }
        Command::Sweep {
            obligations,
            due_per_sweep,
            sweeps,
        } => sweep(obligations.max(1), due_per_sweep.max(1), sweeps.max(1)).await,
    }
}

const LANG_LABELLED: &str = include_str!("../../../kefu-core/tests/lang_labelled.tsv");
const LANG_HELDOUT: &str = include_str!("../../../kefu-core/tests/lang_heldout.tsv");

/// `kefu bench lang`: the language decision on the labelled short messages (tuned on) and the
/// held-out ones (never tuned on); the top-level `accuracy`, `per_language` and `cases` are
/// the labelled set's, as in the test that keeps them at 95 % or more.
fn lang(calls: usize) -> anyhow::Result<()> {
    use kefu_core::lang::labelled::{Score, parse, score};
    let labelled = parse(LANG_LABELLED).map_err(anyhow::Error::msg)?;
    let heldout = parse(LANG_HELDOUT).map_err(anyhow::Error::msg)?;
    let report = |s: &Score| {
        let per_language: serde_json::Map<String, serde_json::Value> = s
            .per_language
            .iter()
            .map(|(lang, &(n, right))| {
                let acc = right as f64 / n.max(1) as f64;
                (
                    lang.clone(),
                    serde_json::json!({"cases": n, "right": right, "accuracy": round3(acc)}),
                )
            })
            .collect();
        serde_json::json!({
            "accuracy": round3(s.accuracy()), "cases": s.cases, "right": s.right,
            "per_language": per_language,
            "wrong": s.misses.iter().map(|(line, want, got, text)| {
                serde_json::json!({"line": line, "expected": want, "decided": got, "text": text})
            }).collect::<Vec<_>>(),
        })
    };
    let (tuned, held) = (score(&labelled), score(&heldout));
    for (name, s) in [("labelled", &tuned), ("heldout", &held)] {
        println!(
            "{name}: {}/{} right ({:.1} %)",
            s.right,
            s.cases,
            s.accuracy() * 100.0
        );
        for (line, want, got, text) in &s.misses {
            println!("  line {line}: want {want}, decided {got:?}: {text}");
        }
    }
    // Warm the lexicon and the detector so the timing is of decisions, not of first use.
    let all: Vec<_> = labelled.iter().chain(&heldout).collect();
    for case in &all {
        std::hint::black_box(case.decide());
    }
    let started = Instant::now();
    for i in 0..calls {
        std::hint::black_box(all[i % all.len()].decide());
    }
    let took = started.elapsed();
    let mut out = report(&tuned);
    out["bench"] = serde_json::json!("lang");
    out["heldout"] = report(&held);
    out["calls"] = serde_json::json!(calls);
    out["ns_per_call"] = serde_json::json!((took.as_nanos() as f64 / calls as f64).round());
    out["calls_per_second"] = serde_json::json!((calls as f64 / took.as_secs_f64()).round());
    super::print_json(&out)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A database URL for a benchmark: the one given (which must be new, so a benchmark never
/// writes into real data) or a file in a fresh temporary directory.
pub(super) fn bench_db(db: Option<String>, name: &str) -> anyhow::Result<(String, Option<String>)> {
    match db {
        Some(url) => {
            if let Some(path) = url.strip_prefix("sqlite://")
                && std::path::Path::new(path).exists()
            {
                anyhow::bail!("{path} exists; benchmarks write only into a new database file");
            }
            let path = url.strip_prefix("sqlite://").map(str::to_string);
            Ok((url, path))
        }
        None => {
            let dir =
                std::env::temp_dir().join(format!("kefu-bench-{}-{}", name, std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("kefu.db").display().to_string();
            Ok((format!("sqlite://{path}"), Some(path)))
        }
    }
}

pub(super) async fn bench_shop(store: &dyn Store) -> anyhow::Result<i64> {
    Ok(store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "bench".into(),
            platform: Platform::Ebay,
            timezone: "America/Los_Angeles".into(),
            currency: "USD".into(),
            pack: "ebay".into(),
            settings: serde_json::json!({"first_response_target": "3h"}),
        })
        .await?
        .id)
}

pub(super) fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}

/// Sends one HTTP/1.1 request on a kept-alive connection and returns the status code.
pub(super) async fn round_trip(
    conn: &mut BufReader<TcpStream>,
    request: &[u8],
) -> anyhow::Result<u16> {
    conn.get_mut().write_all(request).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("bad status line")?;
    let mut length = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await?;
    Ok(status)
}

async fn startup(db: Option<String>, conversations: usize, runs: usize) -> anyhow::Result<()> {
    if let Some(db) = db {
        let (median, max) = startup_times(&db, runs).await?;
        return super::print_json(
            &serde_json::json!({"bench": "startup", "db": db, "runs": runs, "median_ms": median, "max_ms": max}),
        );
    }
    let (empty_url, _) = bench_db(None, "startup-empty")?;
    let (full_url, full_path) = bench_db(None, "startup-full")?;
    let full_path = full_path.context("startup bench runs on SQLite")?;
    eprintln!("seeding {conversations} open conversations");
    tokio::task::block_in_place(|| {
        kefu_store::sqlite::bench::seed_open_obligations(
            &full_path,
            conversations,
            0,
            1,
            BENCH_CLOCK,
        )
    })?;
    let (empty_median, empty_max) = startup_times(&empty_url, runs).await?;
    let (full_median, full_max) = startup_times(&full_url, runs).await?;
    super::print_json(&serde_json::json!({
        "bench": "startup", "runs": runs, "conversations": conversations,
        "empty_median_ms": empty_median, "empty_max_ms": empty_max,
        "full_median_ms": full_median, "full_max_ms": full_max,
    }))
}

/// Starts `kefu serve` `runs` times and returns the median and worst time to a healthy answer.
async fn startup_times(db: &str, runs: usize) -> anyhow::Result<(f64, f64)> {
    let exe = std::env::current_exe()?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let addr = format!("127.0.0.1:{port}");
        let start = Instant::now();
        let mut child = tokio::process::Command::new(&exe)
            .args([
                "serve",
                "--db",
                db,
                "--listen",
                &addr,
                "--master-key",
                "bench-startup-master-key",
            ])
            .env("KEFU_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let ready = loop {
            if start.elapsed() > Duration::from_secs(30) {
                break None;
            }
            if let Ok(stream) = TcpStream::connect(&addr).await {
                let mut conn = BufReader::new(stream);
                let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
                if let Ok(200) = round_trip(&mut conn, req.as_bytes()).await {
                    break Some(start.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        child.kill().await.ok();
        times.push(
            ready
                .context("kefu serve did not become healthy within 30 s")?
                .as_secs_f64()
                * 1000.0,
        );
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let round = |v: f64| (v * 10.0).round() / 10.0;
    Ok((round(times[times.len() / 2]), round(times[times.len() - 1])))
}

async fn sweep(n: usize, due_per_sweep: usize, sweeps: usize) -> anyhow::Result<()> {
    let (url, path) = bench_db(None, "sweep")?;
    let path = path.context("sweep bench runs on SQLite")?;
    let first_due: DateTime<Utc> = "2026-11-11T08:00:00Z".parse()?;
    // One obligation falls due every `spacing` ms; a sweep every second sees `due_per_sweep`.
    let spacing_ms = (1000 / due_per_sweep as i64).max(1);
    eprintln!("seeding {n} open conversations with one open obligation each");
    let seeded = Instant::now();
    tokio::task::block_in_place(|| {
        kefu_store::sqlite::bench::seed_open_obligations(
            &path,
            n,
            first_due.timestamp_micros(),
            spacing_ms,
            BENCH_CLOCK,
        )
    })?;
    eprintln!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());
    let store = kefu_store::open(&url).await?;
    let clock = Arc::new(kefu_core::ManualClock::new(
        first_due - chrono::Duration::seconds(1),
    ));
    let state = AppState::new(store.clone(), clock.clone(), &super::random_token()?)?;
    // Idle: nothing due yet.
    let mut idle = Vec::new();
    for _ in 0..sweeps {
        let t = Instant::now();
        let marked = kefu_server::desk::sweep::sweep(&state).await?;
        idle.push(t.elapsed().as_micros() as u64);
        anyhow::ensure!(marked.is_empty(), "nothing should be due yet");
    }
    // Busy: each sweep one simulated second later, with `due_per_sweep` newly due.
    let mut busy = Vec::new();
    let mut marked_total = 0;
    for s in 0..sweeps {
        clock.set(first_due + chrono::Duration::milliseconds(s as i64 * 1000 + 999));
        let t = Instant::now();
        marked_total += kefu_server::desk::sweep::sweep(&state).await?.len();
        busy.push(t.elapsed().as_micros() as u64);
    }
    idle.sort_unstable();
    busy.sort_unstable();
    let stats = store.stats().await?;
    super::print_json(&serde_json::json!({
        "bench": "sweep",
        "open_obligations": n,
        "open_conversations": stats.open_conversations,
        "sweeps": sweeps,
        "idle_sweep_p50_ms": percentile(&idle, 0.5),
        "idle_sweep_max_ms": percentile(&idle, 1.0),
        "breaches_per_sweep": marked_total / sweeps,
        "busy_sweep_p50_ms": percentile(&busy, 0.5),
        "busy_sweep_max_ms": percentile(&busy, 1.0),
    }))
}

/// `kefu bench incidents`: the clustering against its bar (pairwise precision ≥ 0.9 and recall
/// ≥ 0.8 on the labelled set; under 1 ms per added complaint at 100,000 open ones).
fn incidents(open: usize, adds: usize) -> anyhow::Result<()> {
    use kefu_cluster::bench::{CORPUS, add_cost, read_corpus, score};
    let mut sets = serde_json::Map::new();
    for (name, jsonl) in CORPUS {
        let set = read_corpus(jsonl);
        let (s, _) = score(&set, kefu_cluster::DEFAULT_THRESHOLD);
        sets.insert(
            name.to_string(),
            serde_json::json!({"complaints": set.len(), "precision": round3(s.precision), "recall": round3(s.recall)}),
        );
    }
    let (took, clusters) = add_cost(open, adds);
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    let mean = took.iter().sum::<f64>() / took.len() as f64;
    super::print_json(&serde_json::json!({
        "bench": "incidents", "threshold": round3(f64::from(kefu_cluster::DEFAULT_THRESHOLD)), "corpus": sets,
        "open_complaints": open, "clusters": clusters, "adds": adds,
        "add_microseconds": {"mean": round3(mean), "p50": round3(at(0.5)), "p99": round3(at(0.99))},
    }))
}
