//! One conversation's page: its thread, order, entitlements and clocks, and the reply box.

use super::*;

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
pub(super) fn answered(detail: &ConversationDetail) -> bool {
    detail
        .events
        .iter()
        .any(|e| e.kind == kefu_core::event_kind::REPLY_SENT && e.data["bot"] != true)
}

/// How a reply's delivery stands, from the outbox's events in the thread's log.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Delivery {
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
pub(super) fn deliveries(detail: &ConversationDetail) -> std::collections::HashMap<i64, Delivery> {
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
pub(crate) fn actor_label(lang: Lang, actor: &str, agents: &[kefu_core::Agent]) -> String {
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
pub(super) fn offer_amount(e: &kefu_rules::Entitlement, action: &str) -> Option<String> {
    let amount = match action {
        "refund" => e.total.clone().or(e.refund.clone()),
        "compensation" => e.amount.clone(),
        _ => None,
    }?;
    Some(format!("{amount} {}", e.currency.as_deref().unwrap_or("")))
}

/// A refused form's reason in the viewer's language, from the API's error: the guard's notice
/// by its code; other reasons prefixed, in the words of the check that refused.
pub(super) fn refusal(lang: Lang, e: &crate::error::ApiError) -> String {
    match (e.code, e.extra.as_ref().and_then(|x| x["verdict"].as_str())) {
        ("guard", Some("block")) => lang.t("reply_blocked_notice").to_string(),
        ("guard", _) => lang.t("reply_held_notice").to_string(),
        _ if lang == Lang::En => e.message.clone(),
        _ => format!("{}{}", lang.t("action_failed"), e.message),
    }
}

/// Everything the conversation page shows, gathered once (the store's reads and what the
/// rulebook computes) for the functions that draw its parts.
pub(super) struct Page<'a> {
    pub(super) viewer: &'a Viewer,
    pub(super) lang: Lang,
    pub(super) zone: chrono_tz::Tz,
    /// The shop's own time zone (clocks run on it).
    pub(super) tz: chrono_tz::Tz,
    pub(super) now: DateTime<Utc>,
    pub(super) detail: &'a ConversationDetail,
    pub(super) rules: &'a crate::shop_rules::ShopRules,
    pub(super) cases: Vec<kefu_store::AftersalesCase>,
    pub(super) files: Vec<kefu_store::AttachmentInfo>,
    pub(super) agents: Vec<kefu_core::Agent>,
    pub(super) assignee: Option<String>,
    pub(super) entitled: Vec<kefu_rules::Entitlement>,
    pub(super) templates: Vec<Template>,
    pub(super) delivery: std::collections::HashMap<i64, Delivery>,
    pub(super) answered: bool,
    pub(super) buyer: String,
    pub(super) bot_replies: HashSet<i64>,
    /// An after-sales offer waiting for the agent's yes: rule, action, amount.
    pub(super) confirm_offer: Option<(String, String, Option<String>)>,
    pub(super) mine: bool,
}

/// The events the thread shows beside the messages.
const SHOWN_EVENTS: [&str; 10] = [
    "obligation_breached",
    "status_changed",
    "reply_blocked",
    "reply_held",
    "bot_handover",
    "csat_rated",
    "assigned",
    "case_opened",
    "case_updated",
    kefu_core::event_kind::FLAGGED,
];

impl Page<'_> {
    /// Who wrote a message, as the agent reads it.
    pub(super) fn author(&self, m: &kefu_core::Message) -> String {
        match m.direction {
            kefu_core::Direction::Inbound => self.buyer.clone(),
            kefu_core::Direction::Outbound => match m.author_agent_id {
                Some(a) => actor_label(self.lang, &format!("agent:{a}"), &self.agents),
                None => self.lang.t("system").to_string(),
            },
            _ => self.lang.t("system").to_string(),
        }
    }
}

/// The page of conversation `id` for `viewer`, with what `draft` brings back, answered with
/// `status`. Another tenant's conversation, or one of a shop the agent does not work for,
/// does not exist for this viewer.
pub(super) async fn conversation_view(
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
    if rules.shop.tenant_id != viewer.agent.tenant_id || !viewer.may_see_shop(rules.shop.id) {
        return not_found(viewer);
    }
    let page = gather(state, viewer, zone, &detail, &rules, &draft).await;
    let body = html! {
        div.conv data-conversation=(detail.conversation.id) {
            (head(&page))
            div.columns {
                section.thread aria-label=(lang.t("thread")) {
                    (flag_banner(&page))
                    (thread(&page))
                    (reply_form(&page, &draft))
                    (note_form(&page))
                }
                aside.side {
                    (confirm_case(&page))
                    (clocks(&page))
                    (order_card(&page))
                    (files_card(&page))
                    (cases_card(&page))
                    (assignee_card(&page))
                    (status_card(&page, &draft))
                }
            }
        }
        script { (PreEscaped(format!("window.KEFU_CSRF={};window.KEFU_STATUS={};", json!(viewer.csrf), status_labels(lang)))) }
    };
    (
        status,
        layout(lang, lang.t("conversation"), Some(viewer), body),
    )
        .into_response()
}

/// Reads what the page needs besides the conversation: only what it can have (cases need an
/// order, files come by web chat), the agents' names, the entitlements and templates.
async fn gather<'a>(
    state: &AppState,
    viewer: &'a Viewer,
    zone: chrono_tz::Tz,
    detail: &'a ConversationDetail,
    rules: &'a crate::shop_rules::ShopRules,
    draft: &ReplyDraft,
) -> Page<'a> {
    let (lang, now, c) = (viewer.lang, state.clock.now(), &detail.conversation);
    let cases = if detail.order.is_some() {
        state.store.cases(c.id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let files = if c.channel == kefu_core::Channel::WebChat {
        state.store.attachments(c.id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
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
    let templates = templates_for(state, detail, &entitled).await;
    let bot_replies: HashSet<i64> = detail
        .events
        .iter()
        .filter(|e| e.kind == kefu_core::event_kind::REPLY_SENT && e.data["bot"] == true)
        .filter_map(|e| e.data["message_id"].as_i64())
        .collect();
    let confirm_offer = draft.confirm_case.as_ref().and_then(|(rule, action)| {
        let e = entitled.iter().find(|e| &e.rule == rule && e.entitled)?;
        Some((rule.clone(), action.clone(), offer_amount(e, action)))
    });
    Page {
        viewer,
        lang,
        zone,
        tz: rules.pack.timezone,
        now,
        detail,
        rules,
        cases,
        files,
        mine: c.assignee_id == Some(viewer.agent.id),
        assignee,
        agents,
        entitled,
        templates,
        delivery: deliveries(detail),
        answered: answered(detail),
        buyer: buyer_name(
            lang,
            detail.customer.name.as_deref(),
            &detail.customer.handle,
            None,
        ),
        bot_replies,
        confirm_offer,
    }
}

/// The rulebook's flags for a supervisor (PDD-NO-ABUSE …), above the thread.
fn flag_banner(p: &Page<'_>) -> Markup {
    let flags: Vec<&kefu_core::Event> = p
        .detail
        .events
        .iter()
        .filter(|e| e.kind == kefu_core::event_kind::FLAGGED)
        .collect();
    html! {
        @if !flags.is_empty() {
            div.card.flagged #flags role="alert" {
                @for f in flags {
                    p data-rule=(f.data["rule"].as_str().unwrap_or("")) {
                        strong { (p.lang.t("flagged_for_supervisor")) } " "
                        span translate="no" { (f.data["reason"].as_str().unwrap_or("")) }
                        " (" code { (f.data["rule"].as_str().unwrap_or("")) } ")"
                    }
                }
            }
        }
    }
}

/// The buyer, the shop, the status and the language.
fn head(p: &Page<'_>) -> Markup {
    let c = &p.detail.conversation;
    html! {
        header.convhead {
        h1 translate="no" { (p.buyer) }
        p {
            span.platform { (p.lang.platform(p.rules.shop.platform.as_str())) } " · " span translate="no" { (p.rules.shop.name) } " · "
            (p.lang.t("status")) "：" strong #status data-status=(c.status.as_str()) { (p.lang.status(c.status)) }
            " · " (p.lang.t("language")) "：" (p.lang.language_name(p.detail.conversation.language.as_deref().unwrap_or("")))
        }
    }
    }
}

/// The messages and the events worth reading, in order.
fn thread(p: &Page<'_>) -> Markup {
    html! {
        ol #thread {
        @for m in &p.detail.messages {
            li class=(format!("msg {}", m.direction.as_str())) data-id=(m.id) {
                div.meta {
                    span.author translate="no" { @if p.bot_replies.contains(&m.id) { (p.lang.t("bot")) } @else { (p.author(m)) } }
                    " · " (when(p.lang, m.created_at, p.zone, p.now))
                    @if let Some(d) = p.delivery.get(&m.id) {
                        " · " (delivery_badge(p.lang, d, p.zone, p.now))
                    }
                }
                div.body translate="no" lang=[m.language.as_deref()] { (m.body) }
            }
        }
        @for e in p.detail.events.iter().filter(|e| SHOWN_EVENTS.contains(&e.kind.as_str())) {
            li.event data-kind=(e.kind) {
                div.meta { (p.lang.event(&e.kind)) " · " span translate="no" { (actor_label(p.lang, &e.actor, &p.agents)) } " · " (when(p.lang, e.at, p.zone, p.now)) }
                (event_detail(p.lang, e, &p.agents))
            }
        }
    }
    }
}

/// The reply box, with a template picker and what the guard said of the last try.
fn reply_form(p: &Page<'_>, draft: &ReplyDraft) -> Markup {
    html! {
        form.card.reply method="post" action=(format!("/conversations/{}/reply", p.detail.conversation.id)) id="reply-form" {
        input type="hidden" name="csrf" value=(p.viewer.csrf);
        @if !p.templates.is_empty() {
            label for="template" { (p.lang.t("template")) }
            select id="template" {
                option value="" { "—" }
                @for t in &p.templates {
                    option value=(t.key) data-text=(t.text) data-lang=(t.language) translate="no" { (t.title) }
                }
            }
        }
        label for="reply" { (p.lang.t("reply")) }
        textarea id="reply" name="body" rows="5" aria-describedby="guard-findings" data-lang=(p.detail.conversation.language.as_deref().unwrap_or("")) data-typing=(format!("/conversations/{}/typing", p.detail.conversation.id)) { (draft.body) }
        div #guard-findings role="status" aria-live="polite" {
            @if let Some(e) = &draft.error { p.error role="alert" { (e) } }
            @if let Some(arr) = draft.findings.as_array() {
                @if !arr.is_empty() {
                    p.error { (p.lang.t("guard_says")) " " span.verdict data-verdict=(draft.verdict.as_deref().unwrap_or("")) { (p.lang.verdict(draft.verdict.as_deref().unwrap_or(""))) } }
                    ul { @for f in arr {
                        @let rule = f["rule"].as_str().unwrap_or("");
                        li data-rule=(rule) { code { (rule) } " " (p.lang.guard_message(rule, f["message"].as_str().unwrap_or(""))) @if let Some(s) = f["suggestion"].as_str() { " → " span translate="no" { (s) } } }
                    } }
                }
            }
        }
        @if draft.verdict.as_deref() == Some("warn") {
            label.check { input type="checkbox" name="confirm" value="1"; " " (p.lang.t("confirm_warn")) }
        }
        button type="submit" { (p.lang.t("send")) }
    }
    }
}

/// An internal note for colleagues.
fn note_form(p: &Page<'_>) -> Markup {
    html! {
        form.card method="post" action=(format!("/conversations/{}/note", p.detail.conversation.id)) {
            input type="hidden" name="csrf" value=(p.viewer.csrf);
            label for="note" { (p.lang.t("note")) }
            textarea id="note" name="body" rows="2" {}
            button type="submit" { (p.lang.t("add_note")) }
        }
    }
}
