//! Pieces of the conversation page: delivery badges, event lines, labels, the resolve
//! confirmation, the reply templates.

use super::*;

/// A reply's delivery state, on the reply itself: queued, sent, delivered, or failed with the
/// reason (and when it is tried again).
pub(super) fn delivery_badge(
    lang: Lang,
    d: &Delivery,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Markup {
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
pub(super) fn event_detail(
    lang: Lang,
    e: &kefu_core::Event,
    agents: &[kefu_core::Agent],
) -> Markup {
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
            "flagged" => {
                div.body { @if let Some(r) = rule { code { (r) } " " } span translate="no" { (d["reason"].as_str().unwrap_or("")) } }
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
pub(super) fn status_labels(lang: Lang) -> serde_json::Value {
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

pub(super) fn obligation_state(lang: Lang, s: ObligationState) -> &'static str {
    match s {
        ObligationState::Open => lang.t("due"),
        ObligationState::Met => lang.t("met"),
        ObligationState::Breached => lang.t("breached"),
        _ => lang.t("closed_clock"),
    }
}

/// The question before resolving a conversation no agent has answered: a dialog the `e` key
/// and the resolve button open (`hidden`), or the page the server sends back asking.
pub(super) fn resolve_confirm(lang: Lang, viewer: &Viewer, id: i64, as_dialog: bool) -> Markup {
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
pub(super) async fn templates_for(
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
