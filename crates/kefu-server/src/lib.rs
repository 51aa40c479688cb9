//! kefu's HTTP server: the REST API of DESIGN.md under `/api/v1`, `/healthz` and Prometheus
//! `/metrics`.
//!
//! **Architecture invariant:** handlers are thin. Rules and the guard are pure functions from
//! `kefu-rules` and `kefu-guard`; storage is behind `kefu_store::Store`; time comes from the
//! `Clock` in [`AppState`], never from the system directly.

pub mod bot;
pub mod connectors;
pub mod desk;
pub mod error;
pub mod extract;
pub mod faq_cache;
pub mod files;
pub mod imap;

pub mod live;
pub mod mail_ingest;
pub mod mail_url;
pub mod metrics;
pub mod order_proof;
pub mod outbox;
pub mod ratelimit;
pub mod rating_link;
pub mod routes;
pub mod scheduler;
pub mod search;
pub mod shifts;
pub mod shop_rules;
pub mod smtp;
pub mod smtp_client;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use kefu_core::Clock;
use kefu_guard::Guard;
use kefu_rules::PackSet;
use kefu_store::Store;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::shop_rules::ShopRulesCache;

/// Everything a handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub master_key: Arc<str>,
    pub packs: Arc<PackSet>,
    pub guard: Arc<Guard>,
    pub metrics: Arc<Metrics>,
    pub shops: Arc<ShopRulesCache>,
    /// The full-text index, when the server keeps one (`kefu serve` does).
    pub search: Option<Arc<search::Search>>,
    /// Live updates for open streams (chat widgets, agents' tabs).
    pub live: Arc<live::Hub>,
    /// Rate limits of the public (chat) endpoints.
    pub limits: Arc<Limits>,
    /// Each shop's FAQ as the bot's matcher index.
    pub faqs: Arc<bot::FaqCache>,
    /// Each shop's complaints clustered by cause, for incidents (COLLECTIVE-3LEVEL).
    pub incidents: Arc<desk::incidents::Clustering>,
    /// The PEAK-PREP checklists lately ticked, by shop, for the overview (PEAK-PREP).
    pub peaks: Arc<desk::peak::RecentChecklists>,
}

/// Rate limits of the public endpoints.
pub struct Limits {
    /// Each visitor's chat messages: a person types, a script floods.
    pub per_visitor: ratelimit::RateLimiter,
    /// Every public request from one IP address (many visitors may share one).
    pub per_ip: ratelimit::RateLimiter,
    /// New visitor tokens from one IP address: each is a new buyer to the desk, so a script
    /// minting them floods the inbox (issue 10, item 4a).
    pub tokens_per_ip: ratelimit::RateLimiter,
    /// New conversations started from one IP address, whatever tokens it holds.
    pub conversations_per_ip: ratelimit::RateLimiter,
    /// Visitors known to have a conversation already (their messages continue it, so the
    /// conversation limit does not apply to them).
    pub chatting: ratelimit::SeenSet,
    /// Order proofs (a contact detail or a signed link) per visitor and per IP: order
    /// numbers are sequential, so guessing the proof must be slow (item 3).
    pub proofs_per_visitor: ratelimit::RateLimiter,
    pub proofs_per_ip: ratelimit::RateLimiter,
    /// Failed sign-ins per (account, IP address), with exponential backoff (item 4b).
    pub sign_in: ui::auth::SignInGuard,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_visitor: ratelimit::RateLimiter::new(20, 10),
            per_ip: ratelimit::RateLimiter::new(600, 120),
            tokens_per_ip: ratelimit::RateLimiter::new(10, 20),
            conversations_per_ip: ratelimit::RateLimiter::new(10, 20),
            chatting: ratelimit::SeenSet::default(),
            proofs_per_visitor: ratelimit::RateLimiter::new(1, 5),
            proofs_per_ip: ratelimit::RateLimiter::new(5, 10),
            sign_in: ui::auth::SignInGuard::default(),
        }
    }
}

impl AppState {
    /// Loads the embedded policy packs (refusing to start on a broken one) and builds the guard.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: &str,
    ) -> anyhow::Result<AppState> {
        let packs =
            PackSet::embedded().map_err(|e| anyhow::anyhow!("policy pack rejected: {e}"))?;
        AppState::with_packs(store, clock, master_key, packs)
    }

    /// As [`AppState::new`], with the given packs (the embedded ones plus a site's own).
    pub fn with_packs(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: &str,
        packs: PackSet,
    ) -> anyhow::Result<AppState> {
        if master_key.len() < 16 {
            anyhow::bail!("the master key must be at least 16 characters long");
        }
        // Build the guard's automata now, not on the first reply an agent sends.
        let guard = Guard::new();
        guard.warm_up();
        Ok(AppState {
            store,
            clock,
            master_key: master_key.into(),
            packs: Arc::new(packs),
            guard: Arc::new(guard),
            metrics: Arc::new(Metrics::default()),
            shops: Arc::new(ShopRulesCache::default()),
            search: None,
            live: Arc::new(live::Hub::default()),
            limits: Arc::new(Limits::default()),
            faqs: Arc::new(bot::FaqCache::default()),
            incidents: Arc::new(desk::incidents::Clustering::default()),
            peaks: Arc::new(desk::peak::RecentChecklists::default()),
        })
    }
}

/// The embedded packs plus every `*.toml` in `dir` (a pack there replaces an embedded one of
/// the same id). Any pack that does not parse stops everything, with its file, line and reason:
/// the desk does not run without the rules it was given.
pub fn load_packs(dir: Option<&std::path::Path>) -> anyhow::Result<PackSet> {
    let mut packs =
        PackSet::embedded().map_err(|e| anyhow::anyhow!("policy pack rejected: {e}"))?;
    let Some(dir) = dir else { return Ok(packs) };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read --packs {}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let pack = PackSet::parse(&file.display().to_string(), &text)
            .map_err(|e| anyhow::anyhow!("policy pack rejected: {e}"))?;
        tracing::info!(pack = %pack.id, file = %file.display(), "loaded policy pack");
        packs.insert(pack);
    }
    Ok(packs)
}

impl AppState {
    /// A shop of the caller's tenant with its rules; another tenant's shop does not exist for
    /// the caller (404, the same answer as a shop that does not exist at all).
    pub async fn tenant_shop(
        &self,
        caller: &desk::Caller,
        shop_id: i64,
    ) -> desk::DeskResult<Arc<shop_rules::ShopRules>> {
        let rules = self
            .shops
            .get(self.store.as_ref(), &self.packs, shop_id)
            .await?;
        if rules.shop.tenant_id != caller.tenant_id || !caller.may_see_shop(shop_id) {
            return Err(desk::DeskError::not_found(format!(
                "shop {shop_id} does not exist"
            )));
        }
        Ok(rules)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(ui::routes())
        .nest(
            "/api/v1",
            routes::api().layer(middleware::map_response(json_rejections)),
        )
        .nest(
            "/chat/v1",
            routes::chat_api().layer(middleware::map_response(json_rejections)),
        )
        .route("/widget.js", get(routes::chat::widget_js))
        .route("/chat/demo/{shop_id}", get(routes::chat::demo_page))
        .route("/healthz", get(routes::meta::healthz))
        .route("/metrics", get(routes::meta::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// axum's own rejections (a path segment that is not a number, a query string that does not
/// parse, a body of the wrong type) answer in plain text. On the API and the chat endpoints
/// every answer is JSON, so they are rewritten here, in one place for every route, into
/// `{"error": {"code", "message"}}` with the same 4xx (issue 10, item 4d).
async fn json_rejections(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        _ => "bad_request",
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_string()
    } else {
        text
    };
    axum::response::IntoResponse::into_response(ApiError::new(status, code, message))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/v1/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

/// Counts and times every request by its route template, and logs failures.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let took = start.elapsed();
    let status = response.status();
    state
        .metrics
        .observe_request(method.as_str(), &route, status.as_u16(), took);
    if status.is_server_error() {
        tracing::warn!(%method, route, status = status.as_u16(), ms = took.as_secs_f64() * 1e3, "request failed");
    } else {
        tracing::debug!(%method, route, status = status.as_u16(), ms = took.as_secs_f64() * 1e3, "request");
    }
    response
}

/// Binds the address with a clear message when it is taken or not allowed.
pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        anyhow::anyhow!("--listen {addr:?} is not an address such as 127.0.0.1:8080")
    })?;
    tokio::net::TcpListener::bind(parsed).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!("address {addr} is already in use: stop the other server or pass --listen with another port"),
        _ => anyhow::anyhow!("cannot listen on {addr}: {e}"),
    })
}

/// Serves until the future `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // With connection info: the chat endpoints rate-limit per IP address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
