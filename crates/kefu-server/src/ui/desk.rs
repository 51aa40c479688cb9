//! The agent's desk: the inbox (conversations by their nearest deadline), a conversation with
//! its thread, order, entitlements and clocks, the reply box (guarded as the agent types),
//! notes and status changes, and the live stream that keeps open tabs current.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kefu_core::{ConversationStatus, ObligationState};
use kefu_guard::{LintContext, VerdictKind};
use kefu_store::ConversationDetail;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::auth::Viewer;
use super::i18n::{Lang, Zone};
use super::{csrf_ok, expired_form, layout, not_found, unavailable};
use crate::AppState;
use crate::desk::Caller;
use crate::error::ApiError;

/// Conversations per inbox page.
const PAGE: usize = 25;

const DESK_JS: &str = include_str!("../../assets/desk.js");

pub async fn desk_js() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DESK_JS,
    )
        .into_response()
}

/// The API caller a signed-in agent acts as, so the UI takes the same paths as the API.
pub(crate) fn caller_of(v: &Viewer) -> Caller {
    caller(v)
}

fn caller(v: &Viewer) -> Caller {
    Caller {
        tenant_id: v.agent.tenant_id,
        agent_id: Some(v.agent.id),
        role: v.agent.role,
        actor: format!("agent:{}", v.agent.id),
        name: v.agent.name.clone(),
        shops: v.shops.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    pub shop: Option<i64>,
    pub platform: Option<String>,
    pub status: Option<String>,
    pub language: Option<String>,
    /// `me`, `none` or empty.
    pub assignee: Option<String>,
    /// Only clocks due within the next hour.
    pub soon: Option<String>,
    /// One part of the inbox only: `overdue`, `running` or `no_clock`.
    pub clock: Option<String>,
    /// Where the previous page ended: `<part>~<unix micros>~<id>` (`InboxCursor`).
    pub after: Option<String>,
}

struct InboxRow {
    row: kefu_store::InboxRow,
    shop_name: String,
    platform: String,
    tz: chrono_tz::Tz,
}

fn empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Query(q): Query<InboxQuery>,
) -> Response {
    let lang = viewer.lang;
    let now = state.clock.now();
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(mut s) => {
            s.retain(|s| viewer.may_see_shop(s.id));
            s
        }
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let cursor = q.after.as_deref().and_then(|a| {
        let mut it = a.split('~');
        Some(kefu_store::InboxCursor {
            part: kefu_store::InboxPart::parse(it.next()?)?,
            at: DateTime::from_timestamp_micros(it.next()?.parse().ok()?)?,
            id: it.next()?.parse::<i64>().ok()?,
        })
    });
    let status = empty(&q.status).and_then(|s| s.parse::<ConversationStatus>().ok());
    let shop_ids: Vec<i64> = match q.shop {
        Some(id) => shops.iter().filter(|s| s.id == id).map(|s| s.id).collect(),
        None => shops
            .iter()
            .filter(|s| empty(&q.platform).is_none_or(|p| p == s.platform.as_str()))
            .map(|s| s.id)
            .collect(),
    };
    let found = match state
        .store
        .inbox(kefu_store::InboxQuery {
            tenant_id: viewer.agent.tenant_id,
            shop_ids: Some(shop_ids),
            status,
            language: empty(&q.language).map(str::to_string),
            assignee: match empty(&q.assignee) {
                Some("me") => Some(Some(viewer.agent.id)),
                Some("none") => Some(None),
                _ => None,
            },
            due_before: empty(&q.soon).map(|_| now + chrono::Duration::hours(1)),
            part: empty(&q.clock).and_then(kefu_store::InboxPart::parse),
            pending_before: Some(
                now - chrono::Duration::hours(ConversationStatus::PENDING_WAIT_HOURS),
            ),
            after: cursor,
            limit: PAGE as i64,
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let rows: Vec<InboxRow> = found
        .into_iter()
        .filter_map(|r| {
            let shop = shops.iter().find(|s| s.id == r.shop_id)?;
            Some(InboxRow {
                shop_name: shop.name.clone(),
                platform: shop.platform.as_str().to_string(),
                tz: shop.timezone.parse().unwrap_or(chrono_tz::UTC),
                row: r,
            })
        })
        .collect();
    let cursor = rows.last().map(|r| r.row.cursor());
    let next = (rows.len() == PAGE)
        .then_some(cursor)
        .flatten()
        .map(|c| format!("{}~{}~{}", c.part.as_str(), c.at.timestamp_micros(), c.id));
    let next_link = next.map(|n| {
        let mut params: Vec<String> = Vec::new();
        for (k, v) in [
            ("shop", q.shop.map(|s| s.to_string())),
            ("platform", q.platform.clone()),
            ("status", q.status.clone()),
            ("language", q.language.clone()),
            ("assignee", q.assignee.clone()),
            ("soon", q.soon.clone()),
            ("clock", q.clock.clone()),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                params.push(format!("{k}={}", super::auth::urlencode(&v)));
            }
        }
        params.push(format!("after={n}"));
        format!("/inbox?{}", params.join("&"))
    });
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        h1 { (lang.t("inbox")) }
        form.filters method="get" action="/inbox" aria-label=(lang.t("filters")) {
            label { (lang.t("shop")) " "
                select name="shop" {
                    option value="" { (lang.t("all")) }
                    @for s in &shops { option value=(s.id) selected[q.shop == Some(s.id)] translate="no" { (s.name) } }
                }
            }
            label { (lang.t("platform")) " "
                select name="platform" {
                    option value="" { (lang.t("all")) }
                    @for p in ["taobao", "tmall", "ebay", "aliexpress", "pinduoduo", "own"] {
                        option value=(p) selected[sel(&q.platform, p)] { (lang.platform(p)) }
                    }
                }
            }
            label { (lang.t("status")) " "
                select name="status" {
                    option value="" { (lang.t("all")) }
                    @for s in ["new", "open", "pending_customer", "escalated"] {
                        option value=(s) selected[sel(&q.status, s)] { (s.parse().map(|s| lang.status(s)).unwrap_or(s)) }
                    }
                }
            }
            label { (lang.t("language")) " "
                select name="language" {
                    option value="" { (lang.t("all")) }
                    @for l in ["zh", "en", "de", "es", "fr"] { option value=(l) selected[sel(&q.language, l)] { (lang.language_name(l)) } }
                }
            }
            label { (lang.t("assignee")) " "
                select name="assignee" {
                    option value="" { (lang.t("all")) }
                    option value="me" selected[sel(&q.assignee, "me")] { (lang.t("me")) }
                    option value="none" selected[sel(&q.assignee, "none")] { (lang.t("unassigned")) }
                }
            }
            label { (lang.t("clock")) " "
                select name="clock" {
                    option value="" { (lang.t("all")) }
                    @for p in kefu_store::InboxPart::ALL {
                        option value=(p.as_str()) selected[sel(&q.clock, p.as_str())] { (lang.t(part_label(p))) }
                    }
                }
            }
            label.check { input type="checkbox" name="soon" value="1" checked[empty(&q.soon).is_some()]; " " (lang.t("breaching_soon")) }
            button type="submit" { (lang.t("filter")) }
        }
        (keys_hint(lang))
        @if rows.is_empty() { p.inbox-empty { (lang.t("inbox_empty")) } }
        @else {
            table.inbox id="inbox" {
                thead { tr {
                    th scope="col" { (lang.t("platform")) } th scope="col" { (lang.t("buyer")) }
                    th scope="col" { (lang.t("last_message")) } th scope="col" { (lang.t("language")) }
                    th scope="col" { (lang.t("due")) }
                } }
                tbody {
                    @for r in &rows {
                        @let c = &r.row;
                        tr.row.overdue[c.overdue()] data-href=(format!("/conversations/{}", c.conversation_id)) data-conversation=(c.conversation_id) data-part=(c.part.as_str()) tabindex="-1" {
                            td { span.platform { (lang.platform(&r.platform)) } br; small translate="no" { (r.shop_name) } }
                            td { a href=(format!("/conversations/{}", c.conversation_id)) translate="no" { (buyer_name(lang, c.customer_name.as_deref(), &c.customer_handle, None)) } br; small.status { (lang.status(c.status)) } }
                            td.last translate="no" { @if let Some(m) = &c.last_message { (clip(m, 80)) } }
                            td { (lang.language_name(c.language.as_deref().unwrap_or(""))) }
                            td {
                                @match (c.due, c.rule.as_deref()) {
                                    (Some(due), Some(rule)) => {
                                        @if c.overdue() { span.badge.overdue { (lang.t("overdue")) } " " }
                                        (countdown(lang, due, c.opened_at, rule, r.tz, zone, now))
                                    }
                                    _ => {
                                        span.noclock { (lang.t("no_clock")) }
                                        " " small { (lang.t("waiting_since")) " " (when(lang, c.opened_at, zone, now)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(link) = next_link { p { a href=(link) rel="next" { (lang.t("next_page")) " →" } } }
        script src="/assets/desk.js" defer {}
    };
    layout(lang, lang.t("inbox"), Some(&viewer), body).into_response()
}

/// The translation key naming one part of the inbox (the clock filter's options).
fn part_label(p: kefu_store::InboxPart) -> &'static str {
    match p {
        kefu_store::InboxPart::Overdue => "overdue",
        kefu_store::InboxPart::Running => "clock_running",
        kefu_store::InboxPart::NoClock => "no_clock",
    }
}

/// A deadline the page's script counts down: red when passed, amber with under a fifth of
/// its time left; the due time in the viewer's zone and, labelled, the shop's local time.
fn countdown(
    lang: Lang,
    due: DateTime<Utc>,
    opened: DateTime<Utc>,
    rule: &str,
    shop_tz: chrono_tz::Tz,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Markup {
    let left = lang.left(due, now);
    html! {
        span.countdown.breached[due < now] data-due=(due.to_rfc3339()) data-opened=(opened.to_rfc3339()) { (left) }
        " " small.rule { (rule) }
        " " small { (when(lang, due, zone, now)) " · " span.shoptime { (lang.shop_time(due, shop_tz, zone, now)) } }
    }
}

/// A moment as the desk writes it everywhere ([`Lang::when`]); the script rewrites it in the
/// browser's zone when the page was rendered before the browser told its zone.
fn when(lang: Lang, t: DateTime<Utc>, zone: chrono_tz::Tz, now: DateTime<Utc>) -> Markup {
    html! { time.when datetime=(t.to_rfc3339()) { (lang.when(t, zone, now)) } }
}

/// The keys the desk knows, with the keys themselves as keys.
fn keys_hint(lang: Lang) -> Markup {
    match lang {
        Lang::Zh => {
            html! { p.hint { "快捷键：" kbd { "j" } "/" kbd { "k" } " 上下移动，" kbd { "Enter" } " 打开；会话页 " kbd { "r" } " 回复，" kbd { "e" } " 标记解决（买家还没收到回复时会先请您确认）。" } }
        }
        Lang::En => {
            html! { p.hint { "Keys: " kbd { "j" } "/" kbd { "k" } " move, " kbd { "Enter" } " opens; in a conversation " kbd { "r" } " replies, " kbd { "e" } " resolves (asking first when the buyer has had no answer)." } }
        }
    }
}

/// What a buyer is called: the name they gave, else their handle; a web-chat visitor without
/// a name is "访客 17" / "Visitor 17" by their customer number, never the visitor token.
pub(crate) fn buyer_name(
    lang: Lang,
    name: Option<&str>,
    handle: &str,
    customer_id: Option<i64>,
) -> String {
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    match handle.strip_prefix("web:") {
        Some(token) => {
            // Without the customer's number (the inbox row), a short number from the token:
            // the same visitor keeps it.
            let n = customer_id.unwrap_or_else(|| {
                token
                    .bytes()
                    .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                    as i64
                    % 10_000
            });
            format!("{} {n}", lang.t("visitor"))
        }
        None => handle.to_string(),
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

// ---- one conversation ------------------------------------------------------------------------

/// What the page shows again after a form: the reply box after the guard held or blocked a
/// reply, the reason a form was refused, or the question before a step that needs a yes.
#[derive(Default)]
pub struct ReplyDraft {
    pub body: String,
    pub verdict: Option<String>,
    pub findings: serde_json::Value,
    pub error: Option<String>,
    /// Resolving a conversation no agent has answered asks first.
    pub confirm_resolve: bool,
    /// An after-sales offer asks first, with its amount: `(rule, action)`.
    pub confirm_case: Option<(String, String)>,
}

pub async fn conversation(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
) -> Response {
    conversation_view(
        &state,
        &viewer,
        zone,
        id,
        ReplyDraft::default(),
        StatusCode::OK,
    )
    .await
}

/// Whether a person (not the bot) has answered the buyer in this conversation.
fn answered(detail: &ConversationDetail) -> bool {
    detail
        .events
        .iter()
        .any(|e| e.kind == kefu_core::event_kind::REPLY_SENT && e.data["bot"] != true)
}

/// How a reply's delivery stands, from the outbox's events in the thread's log.
#[derive(Debug, Clone, PartialEq)]
enum Delivery {
    Queued,
    Sent,
    Delivered,
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Each reply's delivery state by message id: queued when it went to the outbox, then what
/// the outbox (or the web chat widget) recorded last; a reply not sent through the outbox is
/// sent when stored.
fn deliveries(detail: &ConversationDetail) -> std::collections::HashMap<i64, Delivery> {
    use kefu_core::event_kind;
    let mut out = std::collections::HashMap::new();
    for m in &detail.messages {
        if m.direction == kefu_core::Direction::Outbound {
            // Replies stored before the log said "queued": email always left by the outbox.
            let d = if m.channel == kefu_core::Channel::Email {
                Delivery::Queued
            } else {
                Delivery::Sent
            };
            out.insert(m.id, d);
        }
    }
    for e in &detail.events {
        let Some(mid) = e.data["message_id"].as_i64() else {
            continue;
        };
        let Some(d) = out.get_mut(&mid) else {
            continue;
        };
        match e.kind.as_str() {
            event_kind::REPLY_SENT if e.data["queued"] == true => *d = Delivery::Queued,
            event_kind::REPLY_DELIVERED => *d = Delivery::Delivered,
            // A failure after a delivery was recorded does not undo it.
            event_kind::REPLY_DELIVERY_FAILED if *d != Delivery::Delivered => {
                *d = Delivery::Failed {
                    error: e.data["error"].as_str().unwrap_or("").to_string(),
                    retry_at: e.data["retry_at"]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&Utc)),
                }
            }
            _ => {}
        }
    }
    out
}

/// Who did something in the thread's log, for people: the agent's name, 机器人, 买家, 系统.
fn actor_label(lang: Lang, actor: &str, agents: &[kefu_core::Agent]) -> String {
    if let Some(id) = actor
        .strip_prefix("agent:")
        .and_then(|n| n.parse::<i64>().ok())
    {
        return agents
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| lang.role(kefu_core::Role::Agent).to_string());
    }
    match actor {
        "bot" => lang.t("bot").to_string(),
        "buyer" | "visitor" | "customer" => lang.t("buyer").to_string(),
        "master" | "admin" => lang.role(kefu_core::Role::Admin).to_string(),
        _ => lang.t("system").to_string(),
    }
}

/// The amount an offer would pay the buyer, as the case would record it (see
/// `desk::cases::open`).
fn offer_amount(e: &kefu_rules::Entitlement, action: &str) -> Option<String> {
    let amount = match action {
        "refund" => e.total.clone().or(e.refund.clone()),
        "compensation" => e.amount.clone(),
        _ => None,
    }?;
    Some(format!("{amount} {}", e.currency.as_deref().unwrap_or("")))
}

/// A refused form's reason in the viewer's language, from the API's error: the guard's notice
/// by its code; other reasons prefixed, in the words of the check that refused.
fn refusal(lang: Lang, e: &crate::error::ApiError) -> String {
    match (e.code, e.extra.as_ref().and_then(|x| x["verdict"].as_str())) {
        ("guard", Some("block")) => lang.t("reply_blocked_notice").to_string(),
        ("guard", _) => lang.t("reply_held_notice").to_string(),
        _ if lang == Lang::En => e.message.clone(),
        _ => format!("{}{}", lang.t("action_failed"), e.message),
    }
}

#[allow(clippy::too_many_arguments)]
#[allow(clippy::too_many_lines)] // TODO(issue 11): split
async fn conversation_view(
    state: &AppState,
    viewer: &Viewer,
    zone: chrono_tz::Tz,
    id: i64,
    draft: ReplyDraft,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    let detail = match state.store.conversation(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(viewer),
        Err(e) => return unavailable(lang, viewer, e),
    };
    let Ok(rules) = state
        .shops
        .get(
            state.store.as_ref(),
            &state.packs,
            detail.conversation.shop_id,
        )
        .await
    else {
        return not_found(viewer);
    };
    // Another tenant's conversation, or a shop the agent does not work for, does not exist for
    // this viewer.
    if rules.shop.tenant_id != viewer.agent.tenant_id || !viewer.may_see_shop(rules.shop.id) {
        return not_found(viewer);
    }
    let now = state.clock.now();
    let tz = rules.pack.timezone;
    let c = &detail.conversation;
    // Only what this conversation can have: cases need an order, files come by web chat.
    let cases = if detail.order.is_some() {
        state.store.cases(id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let files = if c.channel == kefu_core::Channel::WebChat {
        state.store.attachments(id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    // The agents' names: the assignee, the log's actors and a supervisor's reassign form.
    let agents = state
        .store
        .agents(viewer.agent.tenant_id)
        .await
        .unwrap_or_default();
    let assignee = c
        .assignee_id
        .and_then(|a| agents.iter().find(|x| x.id == a))
        .map(|a| a.name.clone());
    let entitled: Vec<kefu_rules::Entitlement> = detail
        .order
        .as_ref()
        .map(|o| crate::desk::cases::entitlements(&rules.pack, o, &cases, now))
        .unwrap_or_default();
    let templates = templates_for(state, &detail, &entitled).await;
    let delivery = deliveries(&detail);
    let answered = answered(&detail);
    let buyer = buyer_name(
        lang,
        detail.customer.name.as_deref(),
        &detail.customer.handle,
        None,
    );
    let author = |m: &kefu_core::Message| -> String {
        match m.direction {
            kefu_core::Direction::Inbound => buyer.clone(),
            kefu_core::Direction::Outbound => match m.author_agent_id {
                Some(a) => actor_label(lang, &format!("agent:{a}"), &agents),
                None => lang.t("system").to_string(),
            },
            _ => lang.t("system").to_string(),
        }
    };
    let bot_replies: HashSet<i64> = detail
        .events
        .iter()
        .filter(|e| e.kind == kefu_core::event_kind::REPLY_SENT && e.data["bot"] == true)
        .filter_map(|e| e.data["message_id"].as_i64())
        .collect();
    let shown_events = [
        "obligation_breached",
        "status_changed",
        "reply_blocked",
        "reply_held",
        "bot_handover",
        "csat_rated",
        "assigned",
        "case_opened",
        "case_updated",
    ];
    let confirm_offer = draft.confirm_case.as_ref().and_then(|(rule, action)| {
        let e = entitled.iter().find(|e| &e.rule == rule && e.entitled)?;
        Some((rule.clone(), action.clone(), offer_amount(e, action)))
    });
    let mine = c.assignee_id == Some(viewer.agent.id);
    let body = html! {
        div.conv data-conversation=(c.id) {
            header.convhead {
                h1 translate="no" { (buyer) }
                p {
                    span.platform { (lang.platform(rules.shop.platform.as_str())) } " · " span translate="no" { (rules.shop.name) } " · "
                    (lang.t("status")) "：" strong #status data-status=(c.status.as_str()) { (lang.status(c.status)) }
                    " · " (lang.t("language")) "：" (lang.language_name(c.language.as_deref().unwrap_or("")))
                }
            }
            div.columns {
                section.thread aria-label=(lang.t("thread")) {
                    ol #thread {
                        @for m in &detail.messages {
                            li class=(format!("msg {}", m.direction.as_str())) data-id=(m.id) {
                                div.meta {
                                    span.author translate="no" { @if bot_replies.contains(&m.id) { (lang.t("bot")) } @else { (author(m)) } }
                                    " · " (when(lang, m.created_at, zone, now))
                                    @if let Some(d) = delivery.get(&m.id) {
                                        " · " (delivery_badge(lang, d, zone, now))
                                    }
                                }
                                div.body translate="no" lang=[m.language.as_deref()] { (m.body) }
                            }
                        }
                        @for e in detail.events.iter().filter(|e| shown_events.contains(&e.kind.as_str())) {
                            li.event data-kind=(e.kind) {
                                div.meta { (lang.event(&e.kind)) " · " span translate="no" { (actor_label(lang, &e.actor, &agents)) } " · " (when(lang, e.at, zone, now)) }
                                (event_detail(lang, e, &agents))
                            }
                        }
                    }
                    form.card.reply method="post" action=(format!("/conversations/{}/reply", c.id)) id="reply-form" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        @if !templates.is_empty() {
                            label for="template" { (lang.t("template")) }
                            select id="template" {
                                option value="" { "—" }
                                @for t in &templates {
                                    option value=(t.key) data-text=(t.text) data-lang=(t.language) translate="no" { (t.title) }
                                }
                            }
                        }
                        label for="reply" { (lang.t("reply")) }
                        textarea id="reply" name="body" rows="5" aria-describedby="guard-findings" data-lang=(c.language.as_deref().unwrap_or("")) data-typing=(format!("/conversations/{}/typing", c.id)) { (draft.body) }
                        div #guard-findings role="status" aria-live="polite" {
                            @if let Some(e) = &draft.error { p.error role="alert" { (e) } }
                            @if let Some(arr) = draft.findings.as_array() {
                                @if !arr.is_empty() {
                                    p.error { (lang.t("guard_says")) " " span.verdict data-verdict=(draft.verdict.as_deref().unwrap_or("")) { (lang.verdict(draft.verdict.as_deref().unwrap_or(""))) } }
                                    ul { @for f in arr {
                                        @let rule = f["rule"].as_str().unwrap_or("");
                                        li data-rule=(rule) { code { (rule) } " " (lang.guard_message(rule, f["message"].as_str().unwrap_or(""))) @if let Some(s) = f["suggestion"].as_str() { " → " span translate="no" { (s) } } }
                                    } }
                                }
                            }
                        }
                        @if draft.verdict.as_deref() == Some("warn") {
                            label.check { input type="checkbox" name="confirm" value="1"; " " (lang.t("confirm_warn")) }
                        }
                        button type="submit" { (lang.t("send")) }
                    }
                    form.card method="post" action=(format!("/conversations/{}/note", c.id)) {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        label for="note" { (lang.t("note")) }
                        textarea id="note" name="body" rows="2" {}
                        button type="submit" { (lang.t("add_note")) }
                    }
                }
                aside.side {
                    @if let Some((rule, action, amount)) = &confirm_offer {
                        form.card.confirm #confirm-case method="post" action=(format!("/conversations/{}/cases", c.id)) role="alertdialog" aria-labelledby="confirm-case-q" {
                            p #confirm-case-q { (lang.t("confirm_case_q")) }
                            p { strong { (lang.case_action(action)) } " · " (lang.t("amount")) "：" strong.amount { (amount.as_deref().unwrap_or(lang.t("no_amount"))) } " · " (lang.t("rule")) " " code { (rule) } }
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            input type="hidden" name="rule" value=(rule);
                            input type="hidden" name="action" value=(action);
                            input type="hidden" name="confirm" value="1";
                            button type="submit" data-confirm-offer=(format!("{rule}:{action}")) { (lang.t("confirm_case")) }
                            " " a href=(format!("/conversations/{}", c.id)) { (lang.t("cancel")) }
                        }
                    }
                    section.card {
                        h2 { (lang.t("clocks")) }
                        ul.clocks {
                            @for o in &detail.obligations {
                                li data-state=(o.state.as_str()) {
                                    @if o.state == ObligationState::Open { (countdown(lang, o.due, o.opened_at, &o.rule, tz, zone, now)) }
                                    @else { code { (o.rule) } " " (obligation_state(lang, o.state)) }
                                }
                            }
                        }
                    }
                    // A visitor's unproved order number: no order facts, no case buttons (item 3).
                    @if let (None, Some(claim)) = (&detail.order, &detail.order_claim) {
                        section.card #order-claim { h2 { (lang.t("order")) " " (claim) } p.unverified { (lang.t("order_unverified")) } }
                    }
                    @if let Some(o) = &detail.order {
                        section.card {
                            h2 { (lang.t("order")) " " span translate="no" { (o.external_id) } }
                            @if !o.items.is_empty() {
                                ul.items translate="no" { @for item in &o.items {
                                    li { (item.title) " × " (item.quantity) @if let Some(p) = &item.unit_price { " · " (p) } }
                                } }
                            }
                            p { (lang.t("total")) " " (o.total.to_string()) }
                            @if let Some(t) = &o.tracking_number { p { (lang.t("tracking")) " " span translate="no" { (o.carrier.as_deref().unwrap_or("")) " " (t) } } }
                            @if let Some(at) = o.shipped_at { p { (lang.t("shipped")) " " (when(lang, at, zone, now)) } }
                            @if !o.promises.is_empty() { p.promises { (lang.t("promises")) "：" span translate="no" { (o.promises.iter().map(|p| lang.promise(p)).collect::<Vec<_>>().join(", ")) } } }
                            @if !entitled.is_empty() {
                                h3 { (lang.t("entitlements")) }
                                ul.entitlements { @for e in &entitled {
                                    li data-rule=(e.rule) data-entitled=(e.entitled) { code { (e.rule) } " " (lang.entitlement_kind(&e.kind)) " "
                                        @if e.entitled {
                                            @if let Some(t) = &e.total { strong { (t) " " (e.currency.as_deref().unwrap_or("")) } " " }
                                            @for a in crate::desk::cases::actions_for(e) {
                                                form.inline method="post" action=(format!("/conversations/{}/cases", c.id)) {
                                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                                    input type="hidden" name="rule" value=(e.rule);
                                                    input type="hidden" name="action" value=(a);
                                                    button.small type="submit" data-offer=(format!("{}:{a}", e.rule)) { (lang.t("offer")) @if lang == Lang::En { " " } (lang.case_action(a)) }
                                                }
                                            }
                                            br; small { (lang.entitlement_reason(e, zone, now)) }
                                        }
                                        @else { small { (lang.entitlement_reason(e, zone, now)) } }
                                    }
                                } }
                            }
                        }
                    }
                    @if !files.is_empty() {
                        section.card {
                            h2 { (lang.t("files")) }
                            ul.files { @for f in &files {
                                li { a href=(format!("/files/{}", f.id)) target="_blank" rel="noopener" translate="no" { (f.filename) } " " small { ((f.size + 1023) / 1024) " KB" } }
                            } }
                        }
                    }
                    @if !cases.is_empty() {
                        section.card {
                            h2 { (lang.t("cases")) }
                            ul.cases { @for k in &cases {
                                li data-case=(k.id) data-state=(k.state) {
                                    code { (k.rule) } " " (lang.case_action(&k.action)) " "
                                    @if let Some(a) = &k.amount { strong { (a) " " (k.currency.as_deref().unwrap_or("")) } " " }
                                    span.state { (lang.case_state(&k.state)) } " · " (lang.t("due")) " " (when(lang, k.due, zone, now)) " · " span.shoptime { (lang.shop_time(k.due, tz, zone, now)) }
                                    @for to in ["accepted", "done", "rejected"] {
                                        @if matches!((k.state.as_str(), to), ("offered", "accepted") | ("offered", "rejected") | ("offered", "done") | ("accepted", "done") | ("accepted", "rejected")) {
                                            form.inline method="post" action=(format!("/conversations/{}/cases/{}", c.id, k.id)) {
                                                input type="hidden" name="csrf" value=(viewer.csrf);
                                                input type="hidden" name="state" value=(to);
                                                button.small type="submit" data-move=(to) { (lang.case_move(to)) }
                                            }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                    section.card {
                        h2 { (lang.t("assignee")) }
                        p #assignee translate="no" { (assignee.as_deref().unwrap_or(lang.t("unassigned"))) }
                        @if !mine && viewer.agent.role != kefu_core::Role::Admin {
                            form method="post" action=(format!("/conversations/{}/take", c.id)) {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button.small type="submit" #take { (lang.t("take")) }
                            }
                        }
                        @if viewer.at_least(kefu_core::Role::Supervisor) {
                            form method="post" action=(format!("/conversations/{}/assign", c.id)) {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                label.sr for="assign-to" { (lang.t("assignee")) }
                                select id="assign-to" name="agent_id" translate="no" {
                                    option value="" { (lang.t("unassigned")) }
                                    @for a in agents.iter().filter(|a| a.role != kefu_core::Role::Admin) {
                                        option value=(a.id) selected[c.assignee_id == Some(a.id)] { (a.name) }
                                    }
                                }
                                button.small type="submit" { (lang.t("reassign")) }
                            }
                        }
                    }
                    section.card {
                        h2 { (lang.t("status")) }
                        @if draft.confirm_resolve {
                            (resolve_confirm(lang, viewer, c.id, false))
                        }
                        @for s in [ConversationStatus::Resolved, ConversationStatus::Escalated, ConversationStatus::Closed] {
                            form.inline method="post" action=(format!("/conversations/{}/status", c.id)) {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                input type="hidden" name="status" value=(s.as_str());
                                @let ask = s == ConversationStatus::Resolved && !answered;
                                button type="submit" data-status=(s.as_str()) data-needs-confirm=[ask.then_some("1")] { (lang.status_action(s)) }
                            }
                        }
                        @if !answered && !draft.confirm_resolve {
                            (resolve_confirm(lang, viewer, c.id, true))
                        }
                    }
                }
            }
        }
        script { (PreEscaped(format!("window.KEFU_CSRF={};window.KEFU_STATUS={};", json!(viewer.csrf), status_labels(lang)))) }
        script src="/assets/desk.js" defer {}
    };
    (
        status,
        layout(lang, lang.t("conversation"), Some(viewer), body),
    )
        .into_response()
}

/// A reply's delivery state, on the reply itself: queued, sent, delivered, or failed with the
/// reason (and when it is tried again).
fn delivery_badge(lang: Lang, d: &Delivery, zone: chrono_tz::Tz, now: DateTime<Utc>) -> Markup {
    match d {
        Delivery::Queued => {
            html! { span.delivery data-delivery="queued" { (lang.t("delivery_queued")) } }
        }
        Delivery::Sent => {
            html! { span.delivery data-delivery="sent" { (lang.t("delivery_sent")) } }
        }
        Delivery::Delivered => {
            html! { span.delivery.ok data-delivery="delivered" { (lang.t("delivery_delivered")) } }
        }
        Delivery::Failed { error, retry_at } => html! {
            span.delivery.failed data-delivery="failed" role="alert" {
                (lang.t("delivery_failed")) "："
                span.reason translate="no" { (error) }
                @if let Some(t) = retry_at { " · " (lang.t("delivery_retry")) " " (when(lang, *t, zone, now)) }
            }
        },
    }
}

/// What an event of the log is about, in words: the rule, the new status, the assignee, the
/// case's action and state, the rating.
fn event_detail(lang: Lang, e: &kefu_core::Event, agents: &[kefu_core::Agent]) -> Markup {
    let d = &e.data;
    let rule = d["rule"].as_str();
    html! {
        @match e.kind.as_str() {
            "status_changed" => {
                @if let Some(to) = d["to"].as_str().and_then(|t| t.parse::<ConversationStatus>().ok()) {
                    div.body { "→ " (lang.status(to)) }
                }
            }
            "assigned" => {
                div.body translate="no" { "→ "
                    @match d["agent_id"].as_i64() {
                        Some(a) => { (actor_label(lang, &format!("agent:{a}"), agents)) }
                        None => { (lang.t("unassigned")) }
                    }
                }
            }
            "reply_blocked" | "reply_held" => {
                @if let Some(fs) = d["findings"].as_array() {
                    div.body { @for f in fs { code { (f["rule"].as_str().unwrap_or("")) } " " } }
                }
            }
            "case_opened" | "case_updated" => {
                div.body {
                    @if let Some(r) = rule { code { (r) } " " }
                    (lang.case_action(d["action"].as_str().unwrap_or("")))
                    @if let Some(to) = d["to"].as_str() { " → " (lang.case_state(to)) }
                }
            }
            "csat_rated" => {
                div.body { (lang.t("score")) " " (d["score"].as_i64().unwrap_or(0)) "/5" }
            }
            _ => {
                @if let Some(r) = rule { div.body { code { (r) } } }
            }
        }
    }
}

/// Every status's name in the viewer's language, for the script's live status changes (as
/// JSON; `<` cannot occur in them).
fn status_labels(lang: Lang) -> serde_json::Value {
    use ConversationStatus as S;
    let all = [
        S::New,
        S::Open,
        S::PendingCustomer,
        S::Escalated,
        S::Resolved,
        S::Closed,
    ];
    serde_json::Value::Object(
        all.iter()
            .map(|s| (s.as_str().to_string(), json!(lang.status(*s))))
            .collect(),
    )
}

fn obligation_state(lang: Lang, s: ObligationState) -> &'static str {
    match s {
        ObligationState::Open => lang.t("due"),
        ObligationState::Met => lang.t("met"),
        ObligationState::Breached => lang.t("breached"),
        _ => lang.t("closed_clock"),
    }
}

/// The question before resolving a conversation no agent has answered: a dialog the `e` key
/// and the resolve button open (`hidden`), or the page the server sends back asking.
fn resolve_confirm(lang: Lang, viewer: &Viewer, id: i64, as_dialog: bool) -> Markup {
    let form = html! {
        form method="post" action=(format!("/conversations/{id}/status")) #confirm-resolve-form {
            p #confirm-resolve-q { (lang.t("confirm_resolve_q")) }
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="status" value="resolved";
            input type="hidden" name="confirm" value="1";
            button type="submit" #confirm-resolve-yes { (lang.t("confirm_resolve")) }
            " "
            @if as_dialog {
                button.secondary type="button" #confirm-resolve-no { (lang.t("cancel")) }
            } @else {
                a href=(format!("/conversations/{id}")) { (lang.t("cancel")) }
            }
        }
    };
    if as_dialog {
        html! { dialog #confirm-resolve aria-labelledby="confirm-resolve-q" { (form) } }
    } else {
        html! { div.confirm #confirm-resolve role="alertdialog" aria-labelledby="confirm-resolve-q" { (form) } }
    }
}

/// One reply template: the shop's FAQ answer in the buyer's language, named by the question
/// it answers (never its key), with the conversation's facts filled in.
pub struct Template {
    pub key: String,
    pub language: String,
    pub title: String,
    pub text: String,
}

/// The shop's FAQ answers as reply templates, each in the buyer's language when the shop wrote
/// one (LANG-LOCAL; else English, else any), with the conversation's facts filled in: buyer,
/// order number, tracking, and the amount of the first entitlement the buyer has.
async fn templates_for(
    state: &AppState,
    detail: &ConversationDetail,
    entitled: &[kefu_rules::Entitlement],
) -> Vec<Template> {
    let Ok(entries) = state
        .faqs
        .entries(state.store.as_ref(), detail.conversation.shop_id)
        .await
    else {
        return Vec::new();
    };
    let want = detail.conversation.language.as_deref().unwrap_or("en");
    let mut keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    keys.dedup();
    let order = detail.order.as_ref();
    let amount = entitled
        .iter()
        .find(|e| e.entitled && e.amount.is_some())
        .map(|e| {
            format!(
                "{} {}",
                e.amount.as_deref().unwrap_or(""),
                e.currency.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default();
    keys.iter()
        .filter_map(|key| {
            let of_key = || entries.iter().filter(move |e| e.key == *key);
            let pick = of_key()
                .find(|e| e.language == want)
                .or_else(|| of_key().find(|e| e.language == "en"))
                .or_else(|| of_key().next())?;
            let text = pick
                .answer
                .replace(
                    "{buyer}",
                    detail
                        .customer
                        .name
                        .as_deref()
                        .unwrap_or(&detail.customer.handle),
                )
                .replace(
                    "{order}",
                    order.map(|o| o.external_id.as_str()).unwrap_or(""),
                )
                .replace(
                    "{tracking}",
                    order
                        .and_then(|o| o.tracking_number.as_deref())
                        .unwrap_or(""),
                )
                .replace(
                    "{carrier}",
                    order.and_then(|o| o.carrier.as_deref()).unwrap_or(""),
                )
                .replace("{amount}", &amount);
            let title = pick
                .questions
                .iter()
                .map(|q| q.trim())
                .find(|q| !q.is_empty())
                .map(|q| clip(q, 60))
                .unwrap_or_else(|| clip(&text, 60));
            Some(Template {
                key: key.to_string(),
                language: pick.language.clone(),
                title,
                text,
            })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    pub csrf: String,
    pub body: String,
    pub confirm: Option<String>,
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let sent = crate::desk::conversations::reply(
        &state,
        &caller(&viewer),
        id,
        &f.body,
        f.confirm.is_some(),
    )
    .await;
    match sent.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) => {
            if e.status == StatusCode::NOT_FOUND {
                return not_found(&viewer);
            }
            // Nothing is lost: the draft comes back with the guard's findings or the error.
            let extra = e.extra.clone().unwrap_or_default();
            let draft = ReplyDraft {
                body: f.body,
                verdict: extra["verdict"].as_str().map(str::to_string),
                findings: extra["findings"].clone(),
                error: Some(refusal(viewer.lang, &e)),
                ..ReplyDraft::default()
            };
            conversation_view(&state, &viewer, zone, id, draft, e.status).await
        }
    }
}

/// After a form on a conversation's page: back to the page, or the page again saying why not.
async fn back_to_conversation<T>(
    state: &AppState,
    viewer: &Viewer,
    zone: chrono_tz::Tz,
    id: i64,
    result: crate::desk::DeskResult<T>,
) -> Response {
    match result.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(viewer),
        Err(e) => {
            let draft = ReplyDraft {
                error: Some(refusal(viewer.lang, &e)),
                ..ReplyDraft::default()
            };
            conversation_view(state, viewer, zone, id, draft, e.status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseForm {
    pub csrf: String,
    pub rule: String,
    pub action: String,
    /// Set by the confirmation step; without it the page asks, showing the amount.
    pub confirm: Option<String>,
}

/// Offers an after-sales case from the conversation page. An offer commits the shop (money
/// back, goods sent again), so the first press only asks, with the amount the server computes;
/// the case opens when the agent confirms.
pub async fn open_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if f.confirm.as_deref() != Some("1") {
        let draft = ReplyDraft {
            confirm_case: Some((f.rule, f.action)),
            ..ReplyDraft::default()
        };
        return conversation_view(&state, &viewer, zone, id, draft, StatusCode::OK).await;
    }
    let req = crate::desk::cases::OpenCase {
        rule: f.rule,
        action: f.action,
    };
    let result = crate::desk::cases::open(&state, &caller(&viewer), id, &req).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct CaseMoveForm {
    pub csrf: String,
    pub state: String,
}

pub async fn move_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path((id, case_id)): Path<(i64, i64)>,
    Form(f): Form<CaseMoveForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result =
        crate::desk::cases::move_case(&state, &caller(&viewer), id, case_id, &f.state).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    pub csrf: String,
    pub agent_id: String,
}

/// A supervisor reassigns the conversation from its page.
pub async fn reassign(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let agent_id = f.agent_id.trim().parse::<i64>().ok();
    let result = crate::desk::conversations::assign(&state, &caller(&viewer), id, agent_id).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// An agent takes the conversation themself ("接手"), through the same assign use case as a
/// supervisor's reassignment: the agent must work for the conversation's shop.
pub async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let me = Some(viewer.agent.id);
    let result = crate::desk::conversations::assign(&state, &caller(&viewer), id, me).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

/// The refusal (403) of a request from the desk script that is not a form (`/ui/lint`,
/// typing) and lacks the session's CSRF token in its `X-CSRF-Token` header; `None` when it
/// has it.
fn csrf_refusal(viewer: &Viewer, headers: &HeaderMap) -> Option<Response> {
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (!csrf_ok(viewer, sent))
        .then(|| (StatusCode::FORBIDDEN, Json(json!({"error": "csrf"}))).into_response())
}

/// `POST /conversations/{id}/typing`: the agent is typing in the reply box (the desk script
/// sends it, throttled); the web chat buyer sees it. Needs the session's CSRF token
/// (`X-CSRF-Token`) like `/ui/lint`.
pub async fn typing(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = csrf_refusal(&viewer, &headers) {
        return refused;
    }
    match crate::desk::conversations::typing(&state, &caller(&viewer), id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    pub csrf: String,
    pub body: String,
}

pub async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result = crate::desk::conversations::add_note(&state, &caller(&viewer), id, &f.body).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    pub csrf: String,
    pub status: ConversationStatus,
    /// `1` once the agent confirmed resolving a conversation no agent has answered.
    pub confirm: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    // Resolving a buyer nobody answered is rarely meant (one key does it): the page asks
    // first, and only a form carrying the confirmation resolves.
    if f.status == ConversationStatus::Resolved && f.confirm.as_deref() != Some("1") {
        let unanswered = match state.store.conversation(id).await {
            Ok(Some(d)) => !answered(&d),
            Ok(None) => return not_found(&viewer),
            Err(e) => return unavailable(viewer.lang, &viewer, e),
        };
        if unanswered {
            let draft = ReplyDraft {
                confirm_resolve: true,
                ..ReplyDraft::default()
            };
            return conversation_view(&state, &viewer, zone, id, draft, StatusCode::CONFLICT).await;
        }
    }
    let result =
        crate::desk::conversations::set_status(&state, &caller(&viewer), id, f.status, None).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct LintRequest {
    pub text: String,
    pub lang: Option<String>,
    pub conversation_id: Option<i64>,
}

/// `POST /ui/lint`: the guard's verdict on a draft, for the reply box as the agent types. It
/// needs the session and its CSRF token (`X-CSRF-Token`), like every other request that is
/// not a plain page.
pub async fn lint(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(req): Json<LintRequest>,
) -> Response {
    if let Some(refused) = csrf_refusal(&viewer, &headers) {
        return refused;
    }
    let text: String = req
        .text
        .chars()
        .take(crate::desk::validate::MAX_MESSAGE_CHARS)
        .collect();
    // With a conversation, the very check sending makes (its shop's guard, its language,
    // whether this is the first answer); without one (an FAQ answer), the shared guard.
    let conversation = match req.conversation_id {
        Some(id) => match state.store.conversation(id).await {
            Ok(Some(d)) => state
                .shops
                .get(state.store.as_ref(), &state.packs, d.conversation.shop_id)
                .await
                .ok()
                .filter(|r| {
                    r.shop.tenant_id == viewer.agent.tenant_id && viewer.may_see_shop(r.shop.id)
                })
                .map(|rules| (d, rules)),
            _ => None,
        },
        None => None,
    };
    let verdict = match &conversation {
        Some((detail, rules)) => crate::desk::check_reply(&state.guard, rules, detail, &text),
        None => state.guard.lint(
            &text,
            &LintContext {
                lang: req.lang.clone(),
                ..LintContext::default()
            },
        ),
    };
    let blocked = verdict.verdict == VerdictKind::Block;
    // The findings in the viewer's language (the guard writes English), by rule ID.
    let lang = viewer.lang;
    let findings: Vec<serde_json::Value> = verdict
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["message"] = json!(lang.guard_message(&f.rule, &f.message));
            v
        })
        .collect();
    let word = serde_json::to_value(verdict.verdict).unwrap_or_default();
    Json(json!({
        "verdict": verdict.verdict,
        "verdict_label": lang.verdict(word.as_str().unwrap_or("")),
        "findings": findings,
        "blocked": blocked,
    }))
    .into_response()
}

/// `GET /live`: server-sent events for a signed-in agent: every new message and status change
/// in the agent's tenant (a supervisor's overview and every open tab stay current).
pub async fn live(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.live.subscribe();
    let shops: HashSet<i64> = state
        .store
        .shops(viewer.agent.tenant_id)
        .await
        .map(|s| {
            s.into_iter()
                .map(|s| s.id)
                .filter(|id| viewer.may_see_shop(*id))
                .collect()
        })
        .unwrap_or_default();
    let events = futures_util::stream::unfold((rx, shops), |(mut rx, shops)| async move {
        loop {
            match rx.recv().await {
                Ok(e) if shops.contains(&e.shop_id) => {
                    let kind = match &e.kind {
                        crate::live::LiveKind::Message { .. } => "message",
                        crate::live::LiveKind::Typing { .. } => "typing",
                        crate::live::LiveKind::Status { .. } => "status",
                    };
                    let data = serde_json::to_string(&*e).unwrap_or_default();
                    return Some((Ok(SseEvent::default().event(kind).data(data)), (rx, shops)));
                }
                Ok(_) => continue,
                // Fell behind: tell the page to reload what it shows.
                Err(RecvError::Lagged(_)) => {
                    return Some((
                        Ok(SseEvent::default().event("resync").data("{}")),
                        (rx, shops),
                    ));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

// ---- the supervisor's overview ---------------------------------------------------------------

/// `GET /overview`: today's figures for supervisors: open conversations by shop and platform,
/// breaches, clocks due within the hour, escalations, each agent's load, and first-response
/// time and resolution rate against the packs' targets.
#[allow(clippy::too_many_lines)] // TODO(issue 11): split
pub async fn overview(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(kefu_core::Role::Supervisor) {
        return super::forbidden(lang, &viewer);
    }
    let now = state.clock.now();
    let since = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let tenant = viewer.agent.tenant_id;
    let (o, shops, agents) = match (
        state.store.overview(tenant, since, now).await,
        state.store.shops(tenant).await,
        state.store.agents(tenant).await,
    ) {
        (Ok(o), Ok(s), Ok(a)) => (o, s, a),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unavailable(lang, &viewer, e),
    };
    let mut by_platform: std::collections::BTreeMap<String, i64> = Default::default();
    for (shop_id, n) in &o.open_by_shop {
        if let Some(s) = shops.iter().find(|s| s.id == *shop_id) {
            *by_platform
                .entry(s.platform.as_str().to_string())
                .or_default() += n;
        }
    }
    let max_shop = o
        .open_by_shop
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(1);
    let max_load = o
        .load_by_agent
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(o.unassigned)
        .max(1);
    // Every agent who takes conversations, with their load (none is a load too): the card
    // lists the desk's people, not only those who happen to hold a conversation.
    let load: Vec<(&kefu_core::Agent, i64)> = agents
        .iter()
        .filter(|a| a.role != kefu_core::Role::Admin)
        .map(|a| {
            let n = o
                .load_by_agent
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (a, n)
        })
        .collect();
    let frt_total = o.first_response_met + o.first_response_breached;
    let met_rate = (frt_total > 0).then(|| o.first_response_met as f64 / frt_total as f64);
    let resolution = (o.opened > 0).then(|| o.resolved as f64 / o.opened as f64);
    // Each shop's first-response target from its pack (platform limits and its own target).
    let mut targets = Vec::new();
    for s in &shops {
        if let Ok(rules) = state
            .shops
            .get(state.store.as_ref(), &state.packs, s.id)
            .await
        {
            for c in rules
                .pack
                .clocks
                .iter()
                .filter(|c| c.kind == kefu_rules::ClockKind::FirstResponse)
            {
                targets.push((s.name.clone(), c.rule.clone(), c.duration.num_minutes()));
            }
        }
    }
    let bar = |n: i64, max: i64| format!("width:{}%", (n * 100 / max).clamp(2, 100));
    let body = html! {
        h1 { (lang.t("overview")) }
        div.tiles {
            div.tile { span.big #breaches { (o.breaches) } span { (lang.t("breaches_today")) } }
            div.tile { span.big #due-hour { (o.due_next_hour) } span { (lang.t("due_next_hour")) } }
            div.tile { span.big #escalated { (o.escalated) } span { (lang.t("escalations")) } }
            div.tile { span.big { (o.unassigned) } span { (lang.t("unassigned")) } }
        }
        div.columns {
            section.card {
                h2 { (lang.t("open_by_shop")) }
                table.bars { tbody {
                    @for (shop_id, n) in &o.open_by_shop {
                        tr { th scope="row" translate="no" { (shops.iter().find(|s| s.id == *shop_id).map(|s| s.name.as_str()).unwrap_or("?")) }
                             td { div.bar style=(bar(*n, max_shop)) {} } td.num { (n) } }
                    }
                } }
                h2 { (lang.t("open_by_platform")) }
                ul { @for (p, n) in &by_platform { li { (lang.platform(p)) "：" strong { (n) } } } }
            }
            section.card {
                h2 { (lang.t("agent_load")) }
                table.bars #agent-load { tbody {
                    @for (a, n) in &load {
                        tr data-agent=(a.id) { th scope="row" translate="no" { (a.name) }
                             td { div.bar style=(bar(*n, max_load)) {} } td.num { (n) } }
                    }
                    tr.unassigned { th scope="row" { (lang.t("unassigned")) } td { div.bar style=(bar(o.unassigned, max_load)) {} } td.num { (o.unassigned) } }
                } }
                h2 { (lang.t("replies_today")) }
                p {
                    (lang.t("met")) " " strong { (o.first_response_met) } " · " (lang.t("breached")) " " strong { (o.first_response_breached) }
                    @if let Some(r) = met_rate { " · " strong { (format!("{:.0} %", r * 100.0)) } }
                    @if let Some(m) = o.first_response_mean_secs { " · " (lang.t("mean")) " " strong { (format!("{:.1} {}", m / 60.0, lang.t("minutes"))) } }
                }
                p { (lang.t("resolution_rate")) ": "
                    @if let Some(r) = resolution { strong { (format!("{:.0} %", r * 100.0)) } " (" (o.resolved) "/" (o.opened) ")" } @else { "—" } }
                h3 { (lang.t("targets")) }
                ul { @for (shop, rule, minutes) in &targets { li { span translate="no" { (shop) } "：" code { (rule) } " " (minutes) " " (lang.t("minutes")) } } }
            }
        }
        script src="/assets/desk.js" defer {}
    };
    layout(lang, lang.t("overview"), Some(&viewer), body).into_response()
}

/// `GET /files/{id}`: a file a buyer sent, for an agent who may see its conversation.
pub async fn file(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match crate::desk::conversations::attachment(&state, &caller(&viewer), id).await {
        Ok((info, bytes)) => crate::files::file_response(&info, bytes),
        Err(_) => not_found(&viewer),
    }
}
