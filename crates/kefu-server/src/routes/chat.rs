//! The web chat channel (MULTICHANNEL): the public API behind the widget a shop embeds with one
//! `<script>` tag, under `/chat/v1`.
//!
//! A visitor has no account. The server hands it a *visitor token*: a random id with an HMAC
//! under the master key, so it cannot be forged or guessed and needs no table. The buyer is
//! the customer `web:<id>` of the shop; their messages take the same ingest path as every
//! channel (redaction, language, clocks, routing, the off-hours bot).
//!
//! Nothing is lost or doubled: each message carries a client id the widget makes before
//! sending, so a retry after a dropped connection is recognised as the same message; the
//! stream replays from the database what a reconnecting widget has not seen (by message id).
//! Public endpoints are rate-limited per visitor and per IP address; so are new tokens and new
//! conversations per IP address (a script minting tokens would flood the inbox).
//!
//! An order number a visitor gives is linked to their conversation only when they prove the
//! order theirs (see [`crate::order_proof`]); until then it is kept as an unverified claim and
//! neither the bot nor the agent's page reads that order's facts for them (PRIV-PURPOSE).

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use hmac::{Hmac, Mac};
use kefu_core::{Channel, ConversationStatus, Direction, event_kind};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::desk::ingest::{CustomerRef, InboundRequest, ingest};
use crate::desk::validate::non_empty;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::live::{LiveEvent, LiveKind, Party};
use crate::order_proof::{self, ProofKind};
use crate::shop_rules::ShopRules;

/// Longest chat message, in characters: a chat line, not a letter (mail allows more).
pub const MAX_CHAT_CHARS: usize = 2_000;
/// Longest CSAT comment, in characters.
const MAX_COMMENT_CHARS: usize = 1_000;

/// The widget, embedded in the binary: no third-party asset, nothing fetched at run time.
const WIDGET_JS: &str = include_str!("../../assets/widget.js");

/// The caller's IP address, when the server was started with connection info (`kefu serve`
/// is; an in-process test router may not be).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

fn limit(limiter: &crate::ratelimit::RateLimiter, key: &str, now: DateTime<Utc>) -> ApiResult<()> {
    limiter
        .check(key, now)
        .map_err(|wait| ApiError::too_many("too many chat requests", wait))
}

/// Per-IP limit for every public request; behind a proxy all visitors share its address, so
/// the per-IP allowance is generous and the per-visitor one is the tight one.
fn limit_ip(state: &AppState, ip: &ClientIp) -> ApiResult<()> {
    match ip.0 {
        Some(ip) => limit(&state.limits.per_ip, &ip.to_string(), state.clock.now()),
        None => Ok(()),
    }
}

/// Refuses a message that would start a conversation when its address has started too many
/// lately (issue 10, item 4a). A visitor already chatting continues unhindered.
fn limit_new_conversation(state: &AppState, ip: &ClientIp, visitor: &Visitor) -> ApiResult<()> {
    let Some(ip) = ip.0 else { return Ok(()) };
    if state.limits.chatting.contains(&visitor.id) {
        return Ok(());
    }
    state
        .limits
        .conversations_per_ip
        .peek(&ip.to_string(), state.clock.now())
        .map_err(|wait| ApiError::too_many("too many new chats from this address", wait))
}

/// Counts a stored message against the conversation limit when it started a conversation.
fn count_conversation(
    state: &AppState,
    ip: &ClientIp,
    visitor: &Visitor,
    outcome: &kefu_store::IngestOutcome,
) {
    state.limits.chatting.insert(&visitor.id);
    if let (true, Some(ip)) = (outcome.new_conversation, ip.0) {
        // Already allowed by the peek before storing; a concurrent burst may overshoot by a
        // few, which the next peek then refuses.
        let _ = state
            .limits
            .conversations_per_ip
            .check(&ip.to_string(), state.clock.now());
    }
}

type HmacSha256 = Hmac<Sha256>;

fn signature(master_key: &str, shop_id: i64, visitor: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(master_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("kefu web chat visitor|{shop_id}|{visitor}").as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new visitor token for `shop_id`: `<shop>.<random id>.<mac>`.
fn new_token(master_key: &str, shop_id: i64) -> ApiResult<String> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a visitor id");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not start a chat; try again",
        )
    })?;
    let visitor = hex(&id);
    let mac = signature(master_key, shop_id, &visitor);
    Ok(format!("{shop_id}.{visitor}.{mac}"))
}

/// A verified visitor: the shop they chat with and their id.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub shop_id: i64,
    pub id: String,
}

impl Visitor {
    /// The customer handle of this visitor in their shop.
    pub fn handle(&self) -> String {
        format!("web:{}", self.id)
    }
}

fn verify(master_key: &str, token: &str) -> ApiResult<Visitor> {
    let bad = || ApiError::unauthorized("the chat token is not valid; start a new chat session");
    let mut parts = token.trim().splitn(3, '.');
    let (Some(shop), Some(visitor), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let shop_id: i64 = shop.parse().map_err(|_| bad())?;
    if visitor.len() != 32 || !visitor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let expected = signature(master_key, shop_id, visitor);
    // Constant-time comparison: the MAC is the only secret here.
    let same = expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(bad());
    }
    Ok(Visitor {
        shop_id,
        id: visitor.to_string(),
    })
}

/// The conversation `id`, if it is this visitor's (anything else is "does not exist").
async fn visitor_conversation(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
) -> ApiResult<kefu_store::ConversationDetail> {
    let missing = || ApiError::not_found(format!("conversation {id} does not exist"));
    let detail = state.store.conversation(id).await?.ok_or_else(missing)?;
    if detail.conversation.shop_id != visitor.shop_id || detail.customer.handle != visitor.handle()
    {
        return Err(missing());
    }
    Ok(detail)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub shop_id: i64,
    /// A token from an earlier session, kept by the widget: the same visitor continues.
    pub token: Option<String>,
    /// The browser's language (`navigator.language`), for the off-hours notice.
    pub language: Option<String>,
}

/// Starts (or resumes) a visitor's chat with a shop: the token, and whether the shop is open
/// now, with its notice when it is not.
pub async fn session(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<SessionRequest>,
) -> ApiResult<Json<Value>> {
    limit_ip(&state, &ip)?;
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, req.shop_id)
        .await?;
    let token = match req.token.as_deref().map(|t| verify(&state.master_key, t)) {
        Some(Ok(v)) if v.shop_id == req.shop_id => req.token.clone().unwrap_or_default(),
        _ => {
            // Resuming is free; a new visitor is a new buyer to the desk (item 4a).
            if let Some(ip) = ip.0 {
                state
                    .limits
                    .tokens_per_ip
                    .check(&ip.to_string(), state.clock.now())
                    .map_err(|wait| {
                        ApiError::too_many("too many new chat sessions from this address", wait)
                    })?;
            }
            new_token(&state.master_key, req.shop_id)?
        }
    };
    let lang = req
        .language
        .as_deref()
        .and_then(|l| l.split(['-', '_']).next())
        .map(str::to_ascii_lowercase)
        .filter(|l| l.len() == 2);
    let now = state.clock.now();
    let (open, next_open) = opening(&rules, now);
    let notice = (!open).then(|| off_hours_notice(&rules, lang.as_deref(), next_open, now));
    Ok(Json(json!({
        "token": token,
        "shop": {"id": rules.shop.id, "name": rules.shop.name},
        "open": open,
        "next_open": next_open.map(|t| t.with_timezone(&rules.pack.timezone).to_rfc3339()),
        "notice": notice,
        "max_chars": MAX_CHAT_CHARS,
        // What the widget asks for beside an order number.
        "order_proof": ProofKind::from_setting(rules.overrides.order_proof.as_deref()).as_str(),
    })))
}

/// Whether the shop's working hours include `now`, and when they next begin if not.
fn opening(rules: &ShopRules, now: DateTime<Utc>) -> (bool, Option<DateTime<Utc>>) {
    let Some(calendar) = rules.pack.calendar_ref(&rules.pack.shop_calendar) else {
        return (true, None);
    };
    if calendar.is_open(now) {
        return (true, None);
    }
    // One business second from now lands just after the next opening.
    let next = calendar
        .add_business(now, chrono::Duration::seconds(1))
        .map(|t| t - chrono::Duration::seconds(1));
    (false, next)
}

/// The shop's own off-hours text in the visitor's language, else a plain one of ours.
fn off_hours_notice(
    rules: &ShopRules,
    lang: Option<&str>,
    next_open: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let tz = rules.pack.timezone;
    let due = next_open
        .map(|t| {
            let local = t.with_timezone(&tz);
            if local.date_naive() == now.with_timezone(&tz).date_naive() {
                local.format("%H:%M").to_string()
            } else {
                local.format("%m-%d %H:%M").to_string()
            }
        })
        .unwrap_or_default();
    let own = rules.overrides.offhours_reply.as_ref().and_then(|t| {
        lang.and_then(|l| t.get(l))
            .or_else(|| t.get("en"))
            .or_else(|| t.values().next())
    });
    let text = match (own, lang) {
        (Some(text), _) => text.clone(),
        (None, Some("zh")) => {
            "您好，现在是非工作时间。请留下您的问题，客服会在{due}上班后第一时间回复您。".into()
        }
        (None, Some("de")) => {
            "Hallo! Wir sind gerade außerhalb unserer Arbeitszeit. Schreiben Sie uns Ihre Frage, wir antworten ab {due}.".into()
        }
        (None, Some("es")) => {
            "¡Hola! Ahora estamos fuera de nuestro horario. Déjenos su pregunta y le responderemos a partir de las {due}.".into()
        }
        (None, _) => {
            "Hello! We are outside our working hours right now. Leave your question and an agent will answer from {due}.".into()
        }
    };
    text.replace("{due}", &due)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub token: String,
    /// Made by the widget before the first attempt to send; a retry repeats it.
    pub client_id: String,
    pub body: String,
    pub name: Option<String>,
    /// An order number the buyer gave. It is linked to the conversation only with a proof
    /// below; otherwise it is kept as an unverified claim.
    pub order: Option<String>,
    /// What the shop asks for as proof (its `order_proof` setting, named in the session):
    /// the buyer's email, their phone's last four digits or their postcode.
    pub order_proof: Option<String>,
    /// A signed link from the shop's order page (`EXPIRES.MAC`), proving the order instead.
    pub order_link: Option<String>,
}

/// How the visitor proved `order` theirs (`email`, `phone_tail`, `postcode`,
/// `signed_link`), or `None`. A wrong proof and an order that does not exist give the same
/// `None` after the same work, so the answer does not tell whether the order exists; every
/// attempt counts against the visitor's and the address's allowance.
async fn order_proved(
    state: &AppState,
    visitor: &Visitor,
    ip: &ClientIp,
    order: &str,
    proof: Option<&str>,
    link: Option<&str>,
) -> ApiResult<Option<&'static str>> {
    if proof.is_none() && link.is_none() {
        return Ok(None);
    }
    let now = state.clock.now();
    let too_many = |wait| ApiError::too_many("too many order checks", wait);
    state
        .limits
        .proofs_per_visitor
        .check(&visitor.id, now)
        .map_err(too_many)?;
    if let Some(ip) = ip.0 {
        state
            .limits
            .proofs_per_ip
            .check(&ip.to_string(), now)
            .map_err(too_many)?;
    }
    if let Some(link) = link
        && order_proof::link_proves(&state.master_key, visitor.shop_id, order, link, now)
    {
        return Ok(Some("signed_link"));
    }
    if let Some(proof) = proof {
        let rules = state
            .shops
            .get(state.store.as_ref(), &state.packs, visitor.shop_id)
            .await?;
        let kind = ProofKind::from_setting(rules.overrides.order_proof.as_deref());
        let buyer = state
            .store
            .order_buyer(visitor.shop_id, order)
            .await?
            .unwrap_or_default();
        if order_proof::proves(kind, proof, kind.stored(&buyer)) {
            return Ok(Some(kind.as_str()));
        }
    }
    Ok(None)
}

/// A buyer's chat message: `201` once durable, `200` for a retry of one already stored.
#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub async fn post_message(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<ChatMessage>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let body = req.body.trim();
    if body.chars().count() > MAX_CHAT_CHARS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a chat message may have at most {MAX_CHAT_CHARS} characters; split it or send it by email"
            ),
        ));
    }
    non_empty("body", body, MAX_CHAT_CHARS)?;
    let client_id = req.client_id.trim();
    if client_id.is_empty()
        || client_id.len() > 64
        || !client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::invalid(
            "client_id must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    limit(&state.limits.per_visitor, &visitor.id, state.clock.now())?;
    let order = req
        .order
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty());
    if let Some(o) = &order {
        non_empty("order", o, 100)?;
    }
    let proof = req.order_proof.as_deref().filter(|p| !p.trim().is_empty());
    let link = req.order_link.as_deref().filter(|l| !l.trim().is_empty());
    if order.is_none() && (proof.is_some() || link.is_some()) {
        return Err(ApiError::invalid(
            "order_proof and order_link prove an order: send the order number too",
        ));
    }
    if proof.is_some_and(|p| p.chars().count() > 200) || link.is_some_and(|l| l.len() > 200) {
        return Err(ApiError::invalid(
            "order_proof and order_link have at most 200 characters",
        ));
    }
    limit_new_conversation(&state, &ip, &visitor)?;
    let proved = match &order {
        Some(o) => order_proved(&state, &visitor, &ip, o, proof, link).await?,
        None => None,
    };
    let outcome = ingest(
        &state,
        InboundRequest {
            shop_id: visitor.shop_id,
            channel: Channel::WebChat,
            customer: CustomerRef {
                handle: visitor.handle(),
                name: req.name.map(|n| n.chars().take(100).collect()),
                language: None,
            },
            // Only a proved order is linked: the bot answers from the linked order alone.
            order_external_id: order.clone().filter(|_| proved.is_some()),
            body: body.to_string(),
            received_at: None,
            external_id: Some(format!("webchat:{}:{client_id}", visitor.id)),
            reply_to: None,
        },
    )
    .await?;
    count_conversation(&state, &ip, &visitor, &outcome);
    // A retry of a stored message: its order was handled the first time.
    if let Some(o) = order.as_ref().filter(|_| !outcome.duplicate) {
        let now = state.clock.now();
        match proved {
            Some(how) => {
                state
                    .store
                    .log_event(
                        outcome.conversation_id,
                        now,
                        event_kind::ORDER_VERIFIED,
                        "visitor",
                        json!({"order": o, "by": how}),
                    )
                    .await?
            }
            None => {
                state
                    .store
                    .claim_order(outcome.conversation_id, o, now)
                    .await?
            }
        }
    }
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "conversation_id": outcome.conversation_id,
            "message_id": outcome.message_id,
            "duplicate": outcome.duplicate,
            // The same answer for a wrong proof and an order that does not exist.
            "order": order.map(|o| json!({"number": o, "verified": proved.is_some()})),
        })),
    ))
}

/// `GET /api/v1/shops/{id}/order-link-secret` (admins): the shop's secret for signing order
/// links on its own order pages, and how to use it (see [`crate::order_proof`]).
pub async fn order_link_secret(
    State(state): State<AppState>,
    caller: crate::desk::Caller,
    Path(shop_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(kefu_core::Role::Admin)?;
    state.tenant_shop(&caller, shop_id).await?;
    Ok(Json(json!({
        "shop_id": shop_id,
        "secret": order_proof::link_secret(&state.master_key, shop_id),
        "signs": "{shop_id}|{order external id}|{expires, Unix seconds}",
        "algorithm": "HMAC-SHA256, the secret's text as key; data-order-link=\"{expires}.{hex MAC}\"",
        "max_days": order_proof::MAX_LINK_DAYS,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorAction {
    pub token: String,
    pub conversation_id: i64,
    /// `ack`: the reply the widget has shown.
    pub message_id: Option<i64>,
    /// `csat`: 1 (very unhappy) to 5 (very happy).
    pub score: Option<i64>,
    pub comment: Option<String>,
}

/// The buyer is typing: shown to the agents who have the conversation open.
pub async fn typing(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<StatusCode> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    state.live.publish(LiveEvent {
        shop_id: visitor.shop_id,
        conversation_id: detail.conversation.id,
        customer_handle: visitor.handle().into(),
        kind: LiveKind::Typing { from: Party::Buyer },
    });
    Ok(StatusCode::NO_CONTENT)
}

/// The widget has shown a reply: its delivery is recorded in the thread, once.
pub async fn ack(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<StatusCode> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let message_id = req
        .message_id
        .ok_or_else(|| ApiError::invalid("message_id is required"))?;
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    if !detail
        .messages
        .iter()
        .any(|m| m.id == message_id && m.direction == Direction::Outbound)
    {
        return Err(ApiError::not_found(format!(
            "reply {message_id} is not in conversation {}",
            req.conversation_id
        )));
    }
    let already = detail
        .events
        .iter()
        .any(|e| e.kind == event_kind::REPLY_DELIVERED && e.data["message_id"] == message_id);
    if !already {
        state
            .store
            .log_event(
                req.conversation_id,
                state.clock.now(),
                event_kind::REPLY_DELIVERED,
                "visitor",
                json!({"message_id": message_id, "channel": "web_chat"}),
            )
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The buyer's satisfaction rating at the end of a chat; one per conversation.
pub async fn csat(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let score = req
        .score
        .ok_or_else(|| ApiError::invalid("score is required: 1 to 5"))?;
    if !(1..=5).contains(&score) {
        return Err(ApiError::invalid(format!(
            "score {score} is out of range: 1 to 5"
        )));
    }
    let comment = match req.comment.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => {
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(ApiError::invalid(format!(
                    "comment is longer than {MAX_COMMENT_CHARS} characters"
                )));
            }
            Some(kefu_guard::redact(c).text)
        }
        _ => None,
    };
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    if detail
        .events
        .iter()
        .any(|e| e.kind == event_kind::CSAT_RATED)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this conversation has already been rated",
        ));
    }
    state
        .store
        .log_event(
            req.conversation_id,
            state.clock.now(),
            event_kind::CSAT_RATED,
            "visitor",
            json!({"score": score, "comment": comment}),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"score": score}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub token: String,
    /// The visitor's conversation, once the widget knows it (from its first message).
    pub conversation: Option<i64>,
    /// The last message id the widget has shown (after a page reload); `Last-Event-ID`
    /// takes its place when the browser reconnects by itself.
    pub after: Option<i64>,
}

/// Where a stream is: what it still has to send from the store and what it has sent.
struct Cursor {
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    visitor: Visitor,
    handle: Arc<str>,
    conversation: Option<i64>,
    last_id: i64,
    pending: VecDeque<SseEvent>,
}

/// The visitor's live stream (server-sent events): `message` (with the message id as the
/// event id), `typing` and `status`. On connect it first replays stored messages after
/// `Last-Event-ID` (or `after`).
pub async fn stream(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &q.token)?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = last_event_id.or(q.after).unwrap_or(0);
    // Subscribe before reading the store, so nothing published in between is missed; what
    // arrives twice is dropped by id.
    let rx = state.live.subscribe();
    let mut cursor = Cursor {
        handle: visitor.handle().into(),
        rx,
        visitor,
        conversation: q.conversation,
        last_id: after,
        pending: VecDeque::new(),
        state,
    };
    if let Some(id) = q.conversation {
        visitor_conversation(&cursor.state, &cursor.visitor, id).await?;
        cursor.replay().await?;
    }
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        let next = c.next().await?;
        Some((Ok(next), c))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(StdDuration::from_secs(15))))
}

impl Cursor {
    /// Queues the stored messages of the conversation after `last_id`.
    async fn replay(&mut self) -> ApiResult<()> {
        let Some(id) = self.conversation else {
            return Ok(());
        };
        let detail = visitor_conversation(&self.state, &self.visitor, id).await?;
        let bot: HashSet<i64> = detail
            .events
            .iter()
            .filter(|e| e.kind == event_kind::REPLY_SENT && e.data["bot"] == true)
            .filter_map(|e| e.data["message_id"].as_i64())
            .collect();
        for m in &detail.messages {
            if m.id <= self.last_id
                || !matches!(m.direction, Direction::Inbound | Direction::Outbound)
            {
                continue;
            }
            let event = message_event(
                id,
                m.id,
                m.direction,
                &m.body,
                m.created_at,
                bot.contains(&m.id),
            );
            self.last_id = m.id;
            self.pending.push_back(event);
        }
        Ok(())
    }

    /// The next event for this visitor; `None` ends the stream (the server is stopping).
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            match self.rx.recv().await {
                Ok(e) => {
                    if e.shop_id != self.visitor.shop_id || e.customer_handle != self.handle {
                        continue;
                    }
                    self.conversation = Some(e.conversation_id);
                    match &e.kind {
                        LiveKind::Message {
                            id,
                            direction,
                            body,
                            at,
                            bot,
                        } => {
                            if *id <= self.last_id {
                                continue;
                            }
                            self.last_id = *id;
                            return Some(message_event(
                                e.conversation_id,
                                *id,
                                *direction,
                                body,
                                *at,
                                *bot,
                            ));
                        }
                        LiveKind::Typing { from: Party::Agent } => {
                            return Some(
                                SseEvent::default().event("typing").data(
                                    json!({"conversation_id": e.conversation_id}).to_string(),
                                ),
                            );
                        }
                        LiveKind::Typing { from: Party::Buyer } => continue,
                        LiveKind::Status { status } => {
                            return Some(SseEvent::default().event("status").data(
                                json!({"conversation_id": e.conversation_id, "status": status, "rate": matches!(status, ConversationStatus::Resolved | ConversationStatus::Closed)})
                                    .to_string(),
                            ));
                        }
                    }
                }
                // Fell behind: read what was missed from the store instead.
                Err(RecvError::Lagged(_)) => {
                    if let Err(e) = self.replay().await {
                        tracing::warn!(error = %e.message, "chat stream could not catch up");
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn message_event(
    conversation_id: i64,
    id: i64,
    direction: Direction,
    body: &str,
    at: DateTime<Utc>,
    bot: bool,
) -> SseEvent {
    SseEvent::default()
        .event("message")
        .id(id.to_string())
        .data(
            json!({
                "conversation_id": conversation_id,
                "id": id,
                "from": if direction == Direction::Inbound { "buyer" } else { "shop" },
                "body": body,
                "at": at.to_rfc3339(),
                "bot": bot,
            })
            .to_string(),
        )
}

/// `GET /widget.js`: the embeddable widget.
pub async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct DemoQuery {
    /// Makes the page an order page: the widget's tag names this order…
    pub order: Option<String>,
    /// …with this signed link, as a shop's own order page would.
    pub order_link: Option<String>,
}

/// `GET /chat/demo/{shop_id}[?order=…&order_link=…]`: a bare store page with the widget on
/// it, to try the chat (and an order page's signed link).
pub async fn demo_page(
    State(state): State<AppState>,
    Path(shop_id): Path<i64>,
    Query(q): Query<DemoQuery>,
) -> ApiResult<Html<String>> {
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await?;
    let name = html_escape(&rules.shop.name);
    let mut order_attrs = String::new();
    for (attr, value) in [("data-order", &q.order), ("data-order-link", &q.order_link)] {
        if let Some(v) = value {
            order_attrs.push_str(&format!(" {attr}=\"{}\"", html_escape(v)));
        }
    }
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{name}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>{name}</h1><p>A store page with the kefu chat widget.</p>\
         <script src=\"/widget.js\" data-shop=\"{shop_id}\"{order_attrs} async></script></body></html>"
    )))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_cannot_be_forged() {
        let key = "a-master-key-of-sixteen";
        let token = new_token(key, 7).unwrap();
        let v = verify(key, &token).unwrap();
        assert_eq!(v.shop_id, 7);
        assert_eq!(v.handle(), format!("web:{}", v.id));
        // Another shop, another key, a changed visitor id: all refused.
        let moved = token.replacen("7.", "8.", 1);
        assert!(verify(key, &moved).is_err());
        assert!(verify("another-master-key-16", &token).is_err());
        let mut chars: Vec<char> = token.chars().collect();
        let i = token.find('.').unwrap() + 1;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        assert!(verify(key, &chars.into_iter().collect::<String>()).is_err());
        for junk in ["", "...", "7", "7.abc.def", "x.y.z"] {
            assert!(verify(key, junk).is_err(), "{junk:?}");
        }
    }
}

/// Largest file a buyer may send through the chat.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// What a buyer may send: photos of the item or parcel, and PDFs (receipts, labels).
const ATTACHMENT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentQuery {
    pub token: String,
    pub client_id: String,
    pub name: String,
}

/// `POST /chat/v1/attachments?token=…&client_id=…&name=…` with the file as the body and its
/// type as `Content-Type`: a message announcing the file is stored through the common ingest
/// path, the file beside it. Too large: 413; a type we do not take: 415; empty: 422.
#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub async fn upload(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<AttachmentQuery>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &q.token)?;
    limit(&state.limits.per_visitor, &visitor.id, state.clock.now())?;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a file may have at most {} MB",
                MAX_ATTACHMENT_BYTES / 1024 / 1024
            ),
        )
    };
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request(format!("could not read the file: {e}"))
        }
    })?;
    if body.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    if body.is_empty() {
        return Err(ApiError::invalid("the file is empty"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !ATTACHMENT_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            format!(
                "files of type {content_type:?} are not taken; send a photo (JPEG, PNG, GIF, WebP) or a PDF"
            ),
        ));
    }
    let name: String = q
        .name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(120)
        .collect();
    let name = if name.trim().is_empty() {
        "file".to_string()
    } else {
        name.trim().to_string()
    };
    if q.client_id.is_empty()
        || q.client_id.len() > 64
        || !q
            .client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::invalid(
            "client_id must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    let size_kb = body.len().div_ceil(1024);
    limit_new_conversation(&state, &ip, &visitor)?;
    let outcome = ingest(
        &state,
        InboundRequest {
            shop_id: visitor.shop_id,
            channel: Channel::WebChat,
            customer: CustomerRef {
                handle: visitor.handle(),
                name: None,
                language: None,
            },
            order_external_id: None,
            body: format!("📎 {name} ({size_kb} KB)"),
            received_at: None,
            external_id: Some(format!("webchat:{}:{}", visitor.id, q.client_id)),
            reply_to: None,
        },
    )
    .await?;
    count_conversation(&state, &ip, &visitor, &outcome);
    if outcome.duplicate {
        return Ok((
            StatusCode::OK,
            Json(
                json!({"conversation_id": outcome.conversation_id, "message_id": outcome.message_id, "duplicate": true}),
            ),
        ));
    }
    let id = state
        .store
        .add_attachment(
            outcome.message_id,
            &name,
            &content_type,
            body.to_vec(),
            state.clock.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"conversation_id": outcome.conversation_id, "message_id": outcome.message_id, "attachment_id": id, "duplicate": false}),
        ),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    pub token: String,
}

/// `GET /chat/v1/attachments/{id}?token=…`: a visitor's own file.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    let visitor = verify(&state.master_key, &q.token)?;
    let missing = || ApiError::not_found(format!("file {id} does not exist"));
    let (info, bytes) = state.store.attachment(id).await?.ok_or_else(missing)?;
    visitor_conversation(&state, &visitor, info.conversation_id)
        .await
        .map_err(|_| missing())?;
    Ok(crate::files::file_response(&info, bytes))
}
