//! The conversation page's side column: the offer to confirm, the clocks, the order with its
//! entitlements, files, after-sales cases, the assignee and the status buttons.

use super::*;

/// The question before an after-sales offer, with its amount.
pub(super) fn confirm_case(p: &Page<'_>) -> Markup {
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
pub(super) fn clocks(p: &Page<'_>) -> Markup {
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
pub(super) fn order_card(p: &Page<'_>) -> Markup {
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
pub(super) fn files_card(p: &Page<'_>) -> Markup {
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
pub(super) fn cases_card(p: &Page<'_>) -> Markup {
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
pub(super) fn assignee_card(p: &Page<'_>) -> Markup {
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
pub(super) fn status_card(p: &Page<'_>, draft: &ReplyDraft) -> Markup {
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
        // The agent's complaint mark, beside the classifier's (KPI-REPEAT-5 counts it).
        @let complaint = p.detail.conversation.complaint;
        form.inline #complaint-mark method="post" action=(format!("/conversations/{}/complaint", p.detail.conversation.id)) {
            input type="hidden" name="csrf" value=(p.viewer.csrf);
            input type="hidden" name="complaint" value=(if complaint { "false" } else { "true" });
            span.hint { (p.lang.t(if complaint { "is_complaint" } else { "not_complaint" })) " " }
            button.small type="submit" { (p.lang.t(if complaint { "unmark_complaint" } else { "mark_complaint" })) }
        }
        (complaint_flow(p))
    }
    }
}

/// The complaint flow (COMPLAINT-FLOW): the recorded cause and its team, a change of cause,
/// and the resolution summary that reports back to the buyer.
fn complaint_flow(p: &Page<'_>) -> Markup {
    let flow = crate::desk::complaints::ComplaintState::of(p.detail);
    let id = p.detail.conversation.id;
    let lang = p.lang;
    html! {
        @if flow.recorded() {
            div #complaint-flow data-cause=(flow.cause.as_deref().unwrap_or("")) {
                p { (lang.t("complaint_cause")) ": " strong { (lang.t(cause_key(flow.cause.as_deref()))) }
                    @if let Some(team) = &flow.team { " · " (lang.t("team")) " " span translate="no" { (team) } } }
                @if let Some(summary) = &flow.summary {
                    p #complaint-summary { (lang.t("resolution_summary")) ": " (summary) }
                } @else {
                    form.inline method="post" action=(format!("/conversations/{id}/complaint")) {
                        input type="hidden" name="csrf" value=(p.viewer.csrf);
                        input type="hidden" name="complaint" value="true";
                        select name="cause" aria-label=(lang.t("complaint_cause")) {
                            @for c in kefu_rules::pack::ComplaintCause::ALL {
                                option value=(c.as_str()) selected[flow.cause.as_deref() == Some(c.as_str())] { (lang.t(cause_key(Some(c.as_str())))) }
                            }
                        }
                        button.small type="submit" { (lang.t("change_cause")) }
                    }
                    form #complaint-resolution method="post" action=(format!("/conversations/{id}/complaint/resolution")) {
                        input type="hidden" name="csrf" value=(p.viewer.csrf);
                        label { (lang.t("resolution_summary")) textarea name="summary" rows="2" required {} }
                        button.small type="submit" { (lang.t("record_resolution")) }
                    }
                }
            }
        }
    }
}

/// The text key of a complaint cause's name.
fn cause_key(cause: Option<&str>) -> &'static str {
    match cause {
        Some("logistics") => "cause_logistics",
        Some("quality") => "cause_quality",
        Some("billing") => "cause_billing",
        Some("service") => "cause_service",
        _ => "cause_other",
    }
}
