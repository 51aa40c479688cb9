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
pub(super) fn actor_label(lang: Lang, actor: &str, agents: &[kefu_core::Agent]) -> String {
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
struct Page<'a> {
    viewer: &'a Viewer,
    lang: Lang,
    zone: chrono_tz::Tz,
    /// The shop's own time zone (clocks run on it).
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    detail: &'a ConversationDetail,
    rules: &'a crate::shop_rules::ShopRules,
    cases: Vec<kefu_store::AftersalesCase>,
    files: Vec<kefu_store::AttachmentInfo>,
    agents: Vec<kefu_core::Agent>,
    assignee: Option<String>,
    entitled: Vec<kefu_rules::Entitlement>,
    templates: Vec<Template>,
    delivery: std::collections::HashMap<i64, Delivery>,
    answered: bool,
    buyer: String,
    bot_replies: HashSet<i64>,
    /// An after-sales offer waiting for the agent's yes: rule, action, amount.
    confirm_offer: Option<(String, String, Option<String>)>,
    mine: bool,
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
    fn author(&self, m: &kefu_core::Message) -> String {
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
        script src="/assets/desk.js" defer {}
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

/// The question before an after-sales offer, with its amount.
fn confirm_case(p: &Page<'_>) -> Markup {
    html! {
        @if let Some((rule, action, amount)) = &p.confirm_offer {
        form.card.confirm #confirm-case method="post" action=(format!("/conversations/{}/cases", p.detail.conversation.id)) role="alertdialog" aria-labelledby="confirm-case-q" {
            p #confirm-case-q { (p.lang.t("confirm_case_q")) }
            p { strong { (p.lang.case_action(action)) } " · " (p.lang.t("amount")) "：" strong.amount { (amount.as_deref().unwrap_or(p.lang.t("no_amount"))) } " · " (p.lang.t("rule")) " " code { (rule) } }
            input type="hidden" name="csrf" value=(p.viewer.csrf);
            input type="hidden" name="rule" value=(rule);
            input type="hidden" name="action" value=(action);
            input type="hidden" name="confirm" value="1";
            button type="submit" data-confirm-offer=(format!("{rule}:{action}")) { (p.lang.t("confirm_case")) }
            " " a href=(format!("/conversations/{}", p.detail.conversation.id)) { (p.lang.t("cancel")) }
        }
    }
    }
}

/// The conversation's clocks: open ones counting down.
fn clocks(p: &Page<'_>) -> Markup {
    html! {
        section.card {
        h2 { (p.lang.t("clocks")) }
        ul.clocks {
            @for o in &p.detail.obligations {
                li data-state=(o.state.as_str()) {
                    @if o.state == ObligationState::Open { (countdown(p.lang, o.due, o.opened_at, &o.rule, p.tz, p.zone, p.now)) }
                    @else { code { (o.rule) } " " (obligation_state(p.lang, o.state)) }
                }
            }
        }
    }
    }
}

/// The order (or an unproved claim of one) with its entitlements and offers.
fn order_card(p: &Page<'_>) -> Markup {
    html! {
        // A visitor's unproved order number: no order facts, no case buttons (item 3).
    @if let (None, Some(claim)) = (&p.detail.order, &p.detail.order_claim) {
        section.card #order-claim { h2 { (p.lang.t("order")) " " (claim) } p.unverified { (p.lang.t("order_unverified")) } }
    }
    @if let Some(o) = &p.detail.order {
        section.card {
            h2 { (p.lang.t("order")) " " span translate="no" { (o.external_id) } }
            @if !o.items.is_empty() {
                ul.items translate="no" { @for item in &o.items {
                    li { (item.title) " × " (item.quantity) @if let Some(p) = &item.unit_price { " · " (p) } }
                } }
            }
            p { (p.lang.t("total")) " " (o.total.to_string()) }
            @if let Some(t) = &o.tracking_number { p { (p.lang.t("tracking")) " " span translate="no" { (o.carrier.as_deref().unwrap_or("")) " " (t) } } }
            @if let Some(at) = o.shipped_at { p { (p.lang.t("shipped")) " " (when(p.lang, at, p.zone, p.now)) } }
            @if !o.promises.is_empty() { p.promises { (p.lang.t("promises")) "：" span translate="no" { (o.promises.iter().map(|pr| p.lang.promise(pr)).collect::<Vec<_>>().join(", ")) } } }
            @if !p.entitled.is_empty() {
                h3 { (p.lang.t("entitlements")) }
                ul.entitlements { @for e in &p.entitled {
                    li data-rule=(e.rule) data-entitled=(e.entitled) { code { (e.rule) } " " (p.lang.entitlement_kind(&e.kind)) " "
                        @if e.entitled {
                            @if let Some(t) = &e.total { strong { (t) " " (e.currency.as_deref().unwrap_or("")) } " " }
                            @for a in crate::desk::cases::actions_for(e) {
                                form.inline method="post" action=(format!("/conversations/{}/cases", p.detail.conversation.id)) {
                                    input type="hidden" name="csrf" value=(p.viewer.csrf);
                                    input type="hidden" name="rule" value=(e.rule);
                                    input type="hidden" name="action" value=(a);
                                    button.small type="submit" data-offer=(format!("{}:{a}", e.rule)) { (p.lang.t("offer")) @if p.lang == Lang::En { " " } (p.lang.case_action(a)) }
                                }
                            }
                            br; small { (p.lang.entitlement_reason(e, p.zone, p.now)) }
                        }
                        @else { small { (p.lang.entitlement_reason(e, p.zone, p.now)) } }
                    }
                } }
            }
        }
    }
    }
}

/// Files the buyer sent.
fn files_card(p: &Page<'_>) -> Markup {
    html! {
        @if !p.files.is_empty() {
        section.card {
            h2 { (p.lang.t("files")) }
            ul.files { @for f in &p.files {
                li { a href=(format!("/files/{}", f.id)) target="_blank" rel="noopener" translate="no" { (f.filename) } " " small { ((f.size + 1023) / 1024) " KB" } }
            } }
        }
    }
    }
}

/// After-sales cases and the moves each may make.
fn cases_card(p: &Page<'_>) -> Markup {
    html! {
        @if !p.cases.is_empty() {
        section.card {
            h2 { (p.lang.t("cases")) }
            ul.cases { @for k in &p.cases {
                li data-case=(k.id) data-state=(k.state) {
                    code { (k.rule) } " " (p.lang.case_action(&k.action)) " "
                    @if let Some(a) = &k.amount { strong { (a) " " (k.currency.as_deref().unwrap_or("")) } " " }
                    span.state { (p.lang.case_state(&k.state)) } " · " (p.lang.t("due")) " " (when(p.lang, k.due, p.zone, p.now)) " · " span.shoptime { (p.lang.shop_time(k.due, p.tz, p.zone, p.now)) }
                    @for to in ["accepted", "done", "rejected"] {
                        @if matches!((k.state.as_str(), to), ("offered", "accepted") | ("offered", "rejected") | ("offered", "done") | ("accepted", "done") | ("accepted", "rejected")) {
                            form.inline method="post" action=(format!("/conversations/{}/cases/{}", p.detail.conversation.id, k.id)) {
                                input type="hidden" name="csrf" value=(p.viewer.csrf);
                                input type="hidden" name="state" value=(to);
                                button.small type="submit" data-move=(to) { (p.lang.case_move(to)) }
                            }
                        }
                    }
                }
            } }
        }
    }
    }
}

/// Who has the conversation; take it, or (supervisors) give it to someone.
fn assignee_card(p: &Page<'_>) -> Markup {
    html! {
        section.card {
        h2 { (p.lang.t("assignee")) }
        p #assignee translate="no" { (p.assignee.as_deref().unwrap_or(p.lang.t("unassigned"))) }
        @if !p.mine && p.viewer.agent.role != kefu_core::Role::Admin {
            form method="post" action=(format!("/conversations/{}/take", p.detail.conversation.id)) {
                input type="hidden" name="csrf" value=(p.viewer.csrf);
                button.small type="submit" #take { (p.lang.t("take")) }
            }
        }
        @if p.viewer.at_least(kefu_core::Role::Supervisor) {
            form method="post" action=(format!("/conversations/{}/assign", p.detail.conversation.id)) {
                input type="hidden" name="csrf" value=(p.viewer.csrf);
                label.sr for="assign-to" { (p.lang.t("assignee")) }
                select id="assign-to" name="agent_id" translate="no" {
                    option value="" { (p.lang.t("unassigned")) }
                    @for a in p.agents.iter().filter(|a| a.role != kefu_core::Role::Admin) {
                        option value=(a.id) selected[p.detail.conversation.assignee_id == Some(a.id)] { (a.name) }
                    }
                }
                button.small type="submit" { (p.lang.t("reassign")) }
            }
        }
    }
    }
}

/// Resolve, escalate or close, asking first before resolving an unanswered buyer.
fn status_card(p: &Page<'_>, draft: &ReplyDraft) -> Markup {
    html! {
        section.card {
        h2 { (p.lang.t("status")) }
        @if draft.confirm_resolve {
            (resolve_confirm(p.lang, p.viewer, p.detail.conversation.id, false))
        }
        @for s in [ConversationStatus::Resolved, ConversationStatus::Escalated, ConversationStatus::Closed] {
            form.inline method="post" action=(format!("/conversations/{}/status", p.detail.conversation.id)) {
                input type="hidden" name="csrf" value=(p.viewer.csrf);
                input type="hidden" name="status" value=(s.as_str());
                @let ask = s == ConversationStatus::Resolved && !p.answered;
                button type="submit" data-status=(s.as_str()) data-needs-confirm=[ask.then_some("1")] { (p.lang.status_action(s)) }
            }
        }
        @if !p.answered && !draft.confirm_resolve {
            (resolve_confirm(p.lang, p.viewer, p.detail.conversation.id, true))
        }
    }
    }
}
