//! `kefu bench ui`: the agent desk's pages rendered by the server with `--conversations` open
//! conversations in the database and `--agents` signed-in agents asking at once: p50/p99 of
//! the inbox's first page and of a conversation page, and the inbox's page weight with every
//! asset it loads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use kefu_core::{Channel, Role, SystemClock};
use kefu_rules::Pack;
use kefu_server::AppState;
use kefu_server::shop_rules::{effective_pack, plan_obligations};
use kefu_store::{DEFAULT_TENANT, Inbound, NewAgent, NewSession, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One GET on a kept-alive connection; returns the status and the body's length.
async fn get(
    conn: &mut BufReader<TcpStream>,
    addr: &str,
    path: &str,
    cookie: &str,
) -> anyhow::Result<(u16, usize)> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept-Language: zh-CN\r\n\r\n"
    );
    conn.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("bad status line {line:?}"))?;
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
    Ok((status, length))
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

pub async fn ui(conversations: usize, agents: usize, requests: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("kefu-bench-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("kefu.db").display());
    let store = kefu_store::open(&url).await?;
    let key = super::random_token()?;
    let state = AppState::new(store.clone(), Arc::new(SystemClock), &key)?;
    let shop = store
        .create_shop(kefu_store::NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "bench shop".into(),
            platform: kefu_core::Platform::Ebay,
            timezone: "America/Los_Angeles".into(),
            currency: "USD".into(),
            pack: "ebay".into(),
            settings: serde_json::json!({}),
        })
        .await?;
    let pack = effective_pack(
        &state.packs,
        "ebay",
        "America/Los_Angeles",
        &serde_json::json!({}),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = state.clock.now();
    seed(&store, shop.id, &pack, conversations, now).await?;
    let cookies = sign_in(&store, agents, now).await?;

    let listener = kefu_server::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kefu_server::serve(listener, state, async {
        let _ = stop_rx.await;
    }));

    // Page weight: the inbox and every asset it loads.
    let mut conn = BufReader::new(TcpStream::connect(&addr).await?);
    let (status, inbox_bytes) = get(&mut conn, &addr, "/inbox", &cookies[0]).await?;
    anyhow::ensure!(status == 200, "the inbox answered {status}");
    let (_, css) = get(&mut conn, &addr, "/assets/app.css", "").await?;
    let (_, js) = get(&mut conn, &addr, "/assets/desk.js", "").await?;

    let started = Instant::now();
    let (mut inbox, mut page) = browse(&addr, cookies, requests, conversations).await?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    server.await??;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    inbox.sort_unstable();
    page.sort_unstable();
    super::print_json(&serde_json::json!({
        "bench": "ui",
        "conversations": conversations,
        "agents": agents,
        "requests": requests,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "inbox_p50_ms": pct(&inbox, 0.50),
        "inbox_p99_ms": pct(&inbox, 0.99),
        "conversation_p50_ms": pct(&page, 0.50),
        "conversation_p99_ms": pct(&page, 0.99),
        "inbox_page_bytes": inbox_bytes,
        "inbox_weight_with_assets_bytes": inbox_bytes + css + js,
    }))
}

/// The database: one open conversation (with its clock) per buyer, spread over the day
/// before `now` so the clocks fall due across the next one.
async fn seed(
    store: &Arc<dyn Store>,
    shop_id: i64,
    pack: &Pack,
    conversations: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    eprintln!("seeding {conversations} open conversations");
    let seeded = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..512 {
        let (store, next, pack) = (store.clone(), next.clone(), pack.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= conversations {
                    break;
                }
                let at = now - chrono::Duration::seconds((i % 86_400) as i64);
                let (first, follow_up) = plan_obligations(&pack, at, None, Channel::Marketplace);
                store
                    .ingest(Inbound {
                        shop_id,
                        channel: Channel::Marketplace,
                        customer_handle: format!("buyer-{i}"),
                        customer_name: Some(format!("Buyer {i}")),
                        customer_language: None,
                        order_external_id: None,
                        body: format!(
                            "Hello, has my order {} shipped yet? I need it by Friday.",
                            100_000 + i
                        ),
                        language: Some("en".into()),
                        received_at: at,
                        external_id: None,
                        first_contact_obligations: first,
                        follow_up_obligations: follow_up,
                        high_value: false,
                        complaint: false,
                        flags: Vec::new(),
                        redactions: vec![],
                        reply_to: None,
                    })
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    eprintln!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());
    Ok(())
}

/// Signed-in agents: a session each, as the sign-in page would make it; their cookies.
async fn sign_in(
    store: &Arc<dyn Store>,
    agents: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let mut cookies = Vec::new();
    for a in 0..agents {
        let agent = store
            .create_agent(NewAgent {
                tenant_id: DEFAULT_TENANT,
                email: format!("agent{a}@bench.kefu"),
                name: format!("Agent {a}"),
                role: Role::Agent,
                languages: vec!["en".into()],
                password_hash: None,
            })
            .await?;
        let token = super::random_token()?;
        store
            .create_session(NewSession {
                token_hash: kefu_server::extract::hash_token(&token),
                agent_id: agent.id,
                csrf: super::random_token()?,
                created_at: now,
                expires_at: now + chrono::Duration::hours(12),
            })
            .await?;
        cookies.push(format!("kefu_session={token}"));
    }
    Ok(cookies)
}

/// Each agent asks for pages on its own connection until `requests` were made in all: every
/// other request is the inbox, the others open a conversation. The inbox's and the
/// conversation pages' times (µs).
async fn browse(
    addr: &str,
    cookies: Vec<String>,
    requests: usize,
    conversations: usize,
) -> anyhow::Result<(Vec<u64>, Vec<u64>)> {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for cookie in cookies {
        let (counter, addr) = (counter.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(&addr).await?);
            let (mut inbox, mut page) = (Vec::new(), Vec::new());
            loop {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let path = if i % 2 == 0 {
                    "/inbox".to_string()
                } else {
                    format!("/conversations/{}", 1 + (i * 7919) % conversations)
                };
                let sent = Instant::now();
                let (status, _) = get(&mut conn, &addr, &path, &cookie).await?;
                anyhow::ensure!(status == 200, "{path} answered {status}");
                let took = sent.elapsed().as_micros() as u64;
                if i % 2 == 0 {
                    inbox.push(took)
                } else {
                    page.push(took)
                }
            }
            anyhow::Ok((inbox, page))
        }));
    }
    let (mut inbox, mut page) = (Vec::new(), Vec::new());
    for t in tasks {
        let (a, b) = t.await??;
        inbox.extend(a);
        page.extend(b);
    }
    Ok((inbox, page))
}
