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
use super::i18n::Lang;
use super::{csrf_ok, expired_form, layout, not_found, unavailable};
use crate::AppState;
use crate::extract::{Caller, JsonBody};

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

pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
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
                    @for s in &shops { option value=(s.id) selected[q.shop == Some(s.id)] { (s.name) } }
                }
            }
            label { (lang.t("platform")) " "
                select name="platform" {
                    option value="" { (lang.t("all")) }
                    @for p in ["taobao", "tmall", "ebay", "aliexpress", "pinduoduo", "own"] {
                        option value=(p) selected[sel(&q.platform, p)] { (p) }
                    }
                }
            }
            label { (lang.t("status")) " "
                select name="status" {
                    option value="" { (lang.t("all")) }
                    @for s in ["new", "open", "pending_customer", "escalated"] {
                        option value=(s) selected[sel(&q.status, s)] { (s) }
                    }
                }
            }
            label { (lang.t("language")) " "
                select name="language" {
                    option value="" { (lang.t("all")) }
                    @for l in ["zh", "en", "de", "es", "fr"] { option value=(l) selected[sel(&q.language, l)] { (l) } }
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
        p.hint { (lang.t("keys_inbox")) }
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
                            td { span.platform { (r.platform) } br; small { (r.shop_name) } }
                            td { a href=(format!("/conversations/{}", c.conversation_id)) { (c.customer_name.as_deref().unwrap_or(&c.customer_handle)) } br; small.status { (c.status.as_str()) } }
                            td.last { @if let Some(m) = &c.last_message { (clip(m, 80)) } }
                            td { (c.language.as_deref().unwrap_or("—")) }
                            td {
                                @match (c.due, c.rule.as_deref()) {
                                    (Some(due), Some(rule)) => {
                                        @if c.overdue() { span.badge.overdue { (lang.t("overdue")) } " " }
                                        (countdown(lang, due, c.opened_at, rule, r.tz))
                                    }
                                    _ => {
                                        span.noclock { (lang.t("no_clock")) }
                                        " " small { (lang.t("waiting_since")) " " time.when datetime=(c.opened_at.to_rfc3339()) { (c.opened_at.format("%m-%d %H:%M UTC")) } }
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
/// its time left; the rule ID and the shop's local time on hover.
fn countdown(
    lang: Lang,
    due: DateTime<Utc>,
    opened: DateTime<Utc>,
    rule: &str,
    tz: chrono_tz::Tz,
) -> Markup {
    let local = due.with_timezone(&tz).format("%m-%d %H:%M %Z").to_string();
    html! {
        span.countdown data-due=(due.to_rfc3339()) data-opened=(opened.to_rfc3339())
            title=(format!("{rule} · {} {local}", lang.t("shop_time"))) {
            (due.format("%H:%M UTC"))
        }
        " " small.rule { (rule) }
        // The due time in the viewer's own zone (the script rewrites it), the shop's beside it.
        " " small { time.when datetime=(due.to_rfc3339()) { (due.format("%m-%d %H:%M UTC")) } " · " (lang.t("shop_time")) " " (local) }
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

/// What the reply box shows again after the guard held or blocked a reply.
#[derive(Default)]
pub struct ReplyDraft {
    pub body: String,
    pub verdict: Option<String>,
    pub findings: serde_json::Value,
    pub error: Option<String>,
}

pub async fn conversation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Response {
    conversation_view(&state, &viewer, id, ReplyDraft::default(), StatusCode::OK).await
}

async fn conversation_view(
    state: &AppState,
    viewer: &Viewer,
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
    // Only what this conversation can have: cases need an order, files come by web chat, and
    // the agents' names are needed for an assignee or a supervisor's reassign form.
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
    let agents = if c.assignee_id.is_some() || viewer.at_least(kefu_core::Role::Supervisor) {
        state
            .store
            .agents(viewer.agent.tenant_id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let assignee = c
        .assignee_id
        .and_then(|a| agents.iter().find(|x| x.id == a))
        .map(|a| a.name.clone());
    let entitled = detail.order.as_ref().map(|o| {
        let mut facts = crate::routes::orders::order_facts(o);
        facts.reshipped_for_damage = crate::routes::cases::reshipped_for_damage(&cases);
        kefu_rules::entitlements(&rules.pack, &facts, now)
    });
    let offers: Vec<(String, Vec<&'static str>)> = entitled
        .iter()
        .flatten()
        .filter(|e| e.entitled)
        .map(|e| (e.rule.clone(), crate::routes::cases::actions_for(e)))
        .collect();
    let entitlements = entitled
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .unwrap_or_default();
    let templates = templates_for(state, &detail, &entitlements).await;
    let body = html! {
        div.conv data-conversation=(c.id) {
            header.convhead {
                h1 { (detail.customer.name.as_deref().unwrap_or(&detail.customer.handle)) }
                p {
                    span.platform { (rules.shop.platform.as_str()) } " · " (rules.shop.name) " · "
                    (lang.t("status")) ": " strong #status { (c.status.as_str()) }
                    " · " (lang.t("language")) ": " (c.language.as_deref().unwrap_or("—"))
                }
            }
            div.columns {
                section.thread aria-label=(lang.t("thread")) {
                    ol #thread {
                        @for m in &detail.messages {
                            li class=(format!("msg {}", m.direction.as_str())) data-id=(m.id) {
                                div.meta { (m.direction.as_str()) " · " time.when datetime=(m.created_at.to_rfc3339()) title=(m.created_at.with_timezone(&tz).format("%m-%d %H:%M %Z").to_string()) { (m.created_at.format("%m-%d %H:%M UTC")) } }
                                div.body { (m.body) }
                            }
                        }
                        @for e in detail.events.iter().filter(|e| matches!(e.kind.as_str(), "obligation_breached" | "status_changed" | "reply_blocked" | "reply_held" | "bot_handover" | "reply_delivered" | "reply_delivery_failed" | "csat_rated" | "assigned" | "case_opened" | "case_updated")) {
                            li.event data-kind=(e.kind) {
                                div.meta { (e.kind) " · " (e.actor) " · " (e.at.with_timezone(&tz).format("%m-%d %H:%M")) }
                                @if let Some(rule) = e.data.get("rule").and_then(|r| r.as_str()) { div.body { code { (rule) } } }
                                @if let Some(g) = e.data.get("guard_override") { div.body { (g.to_string()) } }
                            }
                        }
                    }
                    form.card.reply method="post" action=(format!("/conversations/{}/reply", c.id)) id="reply-form" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        @if !templates.is_empty() {
                            label for="template" { (lang.t("template")) }
                            select id="template" {
                                option value="" { "—" }
                                @for (key, tlang, text) in &templates {
                                    option value=(key) data-text=(text) data-lang=(tlang) { (key) " (" (tlang) ")" }
                                }
                            }
                        }
                        label for="reply" { (lang.t("reply")) }
                        textarea id="reply" name="body" rows="5" aria-describedby="guard-findings" data-lang=(c.language.as_deref().unwrap_or("")) { (draft.body) }
                        div #guard-findings role="status" aria-live="polite" {
                            @if let Some(e) = &draft.error { p.error role="alert" { (e) } }
                            @if let Some(arr) = draft.findings.as_array() {
                                @if !arr.is_empty() {
                                    p.error { (lang.t("guard_says")) " (" (draft.verdict.as_deref().unwrap_or("")) ")" }
                                    ul { @for f in arr {
                                        li { code { (f["rule"].as_str().unwrap_or("")) } " " (f["message"].as_str().unwrap_or("")) @if let Some(s) = f["suggestion"].as_str() { " → " (s) } }
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
                    section.card {
                        h2 { (lang.t("clocks")) }
                        ul.clocks {
                            @for o in &detail.obligations {
                                li data-state=(o.state.as_str()) {
                                    @if o.state == ObligationState::Open { (countdown(lang, o.due, o.opened_at, &o.rule, tz)) }
                                    @else { code { (o.rule) } " " (o.state.as_str()) }
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
                            h2 { (lang.t("order")) " " (o.external_id) }
                            @if !o.items.is_empty() {
                                ul.items { @for item in &o.items {
                                    li { (item.title) " × " (item.quantity) @if let Some(p) = &item.unit_price { " · " (p) } }
                                } }
                            }
                            p { (o.total.to_string()) }
                            @if let Some(t) = &o.tracking_number { p { (o.carrier.as_deref().unwrap_or("")) " " (t) } }
                            @if let Some(at) = o.shipped_at { p { (lang.t("shipped")) " " time.when datetime=(at.to_rfc3339()) { (at.format("%m-%d %H:%M UTC")) } } }
                            @if !o.promises.is_empty() { p.promises { (lang.t("promises")) ": " (o.promises.join(", ")) } }
                            @if let Some(arr) = entitlements.as_array() {
                                h3 { (lang.t("entitlements")) }
                                ul.entitlements { @for e in arr {
                                    @let rule = e["rule"].as_str().unwrap_or("");
                                    li data-rule=(rule) { code { (rule) } " "
                                        @if e["entitled"] == true {
                                            (e["kind"].as_str().unwrap_or("")) " "
                                            @if let Some(t) = e["total"].as_str() { strong { (t) " " (e["currency"].as_str().unwrap_or("")) } }
                                            @for (r, actions) in offers.iter().filter(|(r, _)| r == rule) {
                                                @for a in actions {
                                                    form.inline method="post" action=(format!("/conversations/{}/cases", c.id)) {
                                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                                        input type="hidden" name="rule" value=(r);
                                                        input type="hidden" name="action" value=(a);
                                                        button.small type="submit" data-offer=(format!("{r}:{a}")) { (lang.t("offer")) " " (a) }
                                                    }
                                                }
                                            }
                                        }
                                        @else { small { (e["reason"].as_str().unwrap_or("")) } }
                                    }
                                } }
                            }
                        }
                    }
                    @if !files.is_empty() {
                        section.card {
                            h2 { (lang.t("files")) }
                            ul.files { @for f in &files {
                                li { a href=(format!("/files/{}", f.id)) target="_blank" rel="noopener" { (f.filename) } " " small { (f.content_type) ", " ((f.size + 1023) / 1024) " KB" } }
                            } }
                        }
                    }
                    @if !cases.is_empty() {
                        section.card {
                            h2 { (lang.t("cases")) }
                            ul.cases { @for k in &cases {
                                li data-case=(k.id) data-state=(k.state) {
                                    code { (k.rule) } " " (k.action) " "
                                    @if let Some(a) = &k.amount { strong { (a) " " (k.currency.as_deref().unwrap_or("")) } " " }
                                    span.state { (k.state) } " · " (lang.t("due")) " " (k.due.with_timezone(&tz).format("%m-%d %H:%M"))
                                    @for to in ["accepted", "done", "rejected"] {
                                        @if matches!((k.state.as_str(), to), ("offered", "accepted") | ("offered", "rejected") | ("offered", "done") | ("accepted", "done") | ("accepted", "rejected")) {
                                            form.inline method="post" action=(format!("/conversations/{}/cases/{}", c.id, k.id)) {
                                                input type="hidden" name="csrf" value=(viewer.csrf);
                                                input type="hidden" name="state" value=(to);
                                                button.small type="submit" data-move=(to) { (to) }
                                            }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                    section.card {
                        h2 { (lang.t("assignee")) }
                        p #assignee { (assignee.as_deref().unwrap_or(lang.t("unassigned"))) }
                        @if viewer.at_least(kefu_core::Role::Supervisor) {
                            form method="post" action=(format!("/conversations/{}/assign", c.id)) {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                label.sr for="assign-to" { (lang.t("assignee")) }
                                select id="assign-to" name="agent_id" {
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
                        @for s in ["resolved", "escalated", "closed"] {
                            form.inline method="post" action=(format!("/conversations/{}/status", c.id)) {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                input type="hidden" name="status" value=(s);
                                button type="submit" data-status=(s) { (s) }
                            }
                        }
                    }
                }
            }
        }
        script { (PreEscaped(format!("window.KEFU_CSRF={};", json!(viewer.csrf)))) }
        script src="/assets/desk.js" defer {}
    };
    (
        status,
        layout(lang, lang.t("conversation"), Some(viewer), body),
    )
        .into_response()
}

/// The shop's FAQ answers as reply templates, each in the buyer's language when the shop wrote
/// one (LANG-LOCAL; else English, else any), with the conversation's facts filled in: buyer,
/// order number, tracking, and the amount of the first entitlement the buyer has.
async fn templates_for(
    state: &AppState,
    detail: &ConversationDetail,
    entitlements: &serde_json::Value,
) -> Vec<(String, String, String)> {
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
    let amount = entitlements
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|e| e["entitled"] == true && e["amount"].is_string())
        })
        .map(|e| {
            format!(
                "{} {}",
                e["amount"].as_str().unwrap_or(""),
                e["currency"].as_str().unwrap_or("")
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
            Some((key.to_string(), pick.language.clone(), text))
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
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let request = crate::routes::conversations::ReplyRequest {
        body: f.body.clone(),
        confirm: f.confirm.is_some(),
    };
    match crate::routes::conversations::reply(
        State(state.clone()),
        caller(&viewer),
        Path(id),
        JsonBody(request),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) => {
            // Nothing is lost: the draft comes back with the guard's findings or the error.
            let extra = e.extra.clone().unwrap_or_default();
            let draft = ReplyDraft {
                body: f.body,
                verdict: extra["verdict"].as_str().map(str::to_string),
                findings: extra["findings"].clone(),
                error: Some(e.message.clone()),
            };
            let status = if e.status == StatusCode::NOT_FOUND {
                return not_found(&viewer);
            } else {
                e.status
            };
            conversation_view(&state, &viewer, id, draft, status).await
        }
    }
}

/// After a form on a conversation's page: back to the page, or the page again saying why not.
async fn back_to_conversation<T>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    result: crate::error::ApiResult<T>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(viewer),
        Err(e) => {
            let draft = ReplyDraft {
                error: Some(e.message),
                ..ReplyDraft::default()
            };
            conversation_view(state, viewer, id, draft, e.status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseForm {
    pub csrf: String,
    pub rule: String,
    pub action: String,
}

/// Offers an after-sales case from the conversation page.
pub async fn open_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let req = crate::routes::cases::OpenCase {
        rule: f.rule,
        action: f.action,
    };
    let result = crate::routes::cases::open(&state, &caller(&viewer), id, &req).await;
    back_to_conversation(&state, &viewer, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct CaseMoveForm {
    pub csrf: String,
    pub state: String,
}

pub async fn move_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, case_id)): Path<(i64, i64)>,
    Form(f): Form<CaseMoveForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result =
        crate::routes::cases::move_case(&state, &caller(&viewer), id, case_id, &f.state).await;
    back_to_conversation(&state, &viewer, id, result).await
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
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let agent_id = f.agent_id.trim().parse::<i64>().ok();
    let req = crate::routes::conversations::AssignRequest { agent_id };
    let result = crate::routes::conversations::assign(
        State(state.clone()),
        caller(&viewer),
        Path(id),
        JsonBody(req),
    )
    .await;
    back_to_conversation(&state, &viewer, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    pub csrf: String,
    pub body: String,
}

pub async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let request = crate::routes::conversations::NoteRequest {
        body: f.body.clone(),
    };
    let result = crate::routes::conversations::add_note(
        State(state.clone()),
        caller(&viewer),
        Path(id),
        JsonBody(request),
    )
    .await;
    back_to_conversation(&state, &viewer, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    pub csrf: String,
    pub status: ConversationStatus,
}

pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let request = crate::routes::conversations::StatusRequest {
        status: f.status,
        reason: None,
    };
    let result = crate::routes::conversations::set_status(
        State(state.clone()),
        caller(&viewer),
        Path(id),
        JsonBody(request),
    )
    .await;
    back_to_conversation(&state, &viewer, id, result).await
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
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !csrf_ok(&viewer, sent) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": "csrf"}))).into_response();
    }
    let text: String = req
        .text
        .chars()
        .take(crate::ingest::MAX_MESSAGE_CHARS)
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
    Json(json!({"verdict": verdict.verdict, "findings": verdict.findings, "blocked": blocked}))
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
                        tr { th scope="row" { (shops.iter().find(|s| s.id == *shop_id).map(|s| s.name.as_str()).unwrap_or("?")) }
                             td { div.bar style=(bar(*n, max_shop)) {} } td.num { (n) } }
                    }
                } }
                h2 { (lang.t("open_by_platform")) }
                ul { @for (p, n) in &by_platform { li { (p) ": " strong { (n) } } } }
            }
            section.card {
                h2 { (lang.t("agent_load")) }
                table.bars { tbody {
                    @for (agent_id, n) in &o.load_by_agent {
                        tr { th scope="row" { (agents.iter().find(|a| a.id == *agent_id).map(|a| a.name.as_str()).unwrap_or("?")) }
                             td { div.bar style=(bar(*n, max_load)) {} } td.num { (n) } }
                    }
                } }
                h2 { (lang.t("first_response")) }
                p {
                    (lang.t("met")) " " strong { (o.first_response_met) } " · " (lang.t("breached")) " " strong { (o.first_response_breached) }
                    @if let Some(r) = met_rate { " · " strong { (format!("{:.0} %", r * 100.0)) } }
                    @if let Some(m) = o.first_response_mean_secs { " · " (lang.t("mean")) " " strong { (format!("{:.1} min", m / 60.0)) } }
                }
                p { (lang.t("resolution_rate")) ": "
                    @if let Some(r) = resolution { strong { (format!("{:.0} %", r * 100.0)) } " (" (o.resolved) "/" (o.opened) ")" } @else { "—" } }
                h3 { (lang.t("targets")) }
                ul { @for (shop, rule, minutes) in &targets { li { (shop) ": " code { (rule) } " " (minutes) " min" } } }
            }
        }
        script src="/assets/desk.js" defer {}
    };
    layout(lang, lang.t("overview"), Some(&viewer), body).into_response()
}

/// `GET /files/{id}`: a file a buyer sent, for an agent who may see its conversation.
pub async fn file(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match crate::routes::conversations::attachment(State(state), caller(&viewer), Path(id)).await {
        Ok(r) => r,
        Err(_) => not_found(&viewer),
    }
}
