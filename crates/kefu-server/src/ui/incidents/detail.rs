//! `/incidents/{id}`: one incident — its level, cause and close clock, the buyers it links
//! (each conversation with its language and status), the reply to all of them, the
//! supervisor's actions, and the timeline of everything that happened to it.

use axum::extract::{Path, State};
use kefu_store::incidents::{IncidentEventRow, incident_event, incident_state};

use super::*;
use crate::desk::incidents::RepliedAll;
use crate::ui::desk::buyer_name;

/// What the page shows besides the incident: the outcome of the last form, and what was
/// typed into a form that was refused (nothing typed is lost).
#[derive(Debug, Default)]
pub struct Outcome {
    pub error: Option<String>,
    pub replied: Option<RepliedAll>,
    pub reply_body: String,
    pub close_cause: String,
    pub close_improvement: String,
}

/// One linked conversation as the page lists it.
struct Linked {
    id: i64,
    buyer: String,
    language: Option<String>,
    status: Option<kefu_core::ConversationStatus>,
}

/// `GET /incidents/{id}`.
pub async fn incident_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
) -> Response {
    incident_view(
        &state,
        &viewer,
        zone,
        id,
        Outcome::default(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn incident_view(
    state: &AppState,
    viewer: &Viewer,
    zone: chrono_tz::Tz,
    id: i64,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    let (incident, timeline) =
        match crate::desk::incidents::load(state, &caller_of(viewer), id).await {
            Ok(x) => x,
            Err(DeskError::Forbidden(_)) => return forbidden(lang, viewer),
            Err(DeskError::NotFound(_)) => return crate::ui::not_found(viewer),
            Err(e) => return unavailable(lang, viewer, e),
        };
    let names = match Names::load(state, viewer).await {
        Ok(n) => n,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let mut linked = Vec::with_capacity(incident.incident.conversation_ids.len());
    for &c in &incident.incident.conversation_ids {
        let detail = match state.store.conversation(c).await {
            Ok(d) => d,
            Err(e) => return unavailable(lang, viewer, e),
        };
        linked.push(match detail {
            Some(d) => Linked {
                id: c,
                buyer: buyer_name(
                    lang,
                    d.customer.name.as_deref(),
                    &d.customer.handle,
                    Some(d.customer.id),
                ),
                language: d.conversation.language.or(d.customer.language),
                status: Some(d.conversation.status),
            },
            None => Linked {
                id: c,
                buyer: "—".into(),
                language: None,
                status: None,
            },
        });
    }
    let mut templates: Vec<String> = match state.store.faqs(incident.incident.shop_id).await {
        Ok(f) => f.into_iter().map(|f| f.key).collect(),
        Err(e) => return unavailable(lang, viewer, e),
    };
    templates.sort();
    templates.dedup();
    let now = state.clock.now();
    let row = &incident.incident;
    let open = row.state == incident_state::OPEN;
    let title = format!("{} #{}", lang.t("incident_word"), row.id);
    let body = html! {
        div.incident data-incident=(row.id) data-state=(row.state) {
            p { a href="/incidents" { "← " (lang.t("incidents")) } }
            h1 { (title) " " (level_badge(lang, row.level)) }
            p.facts {
                span translate="no" { (names.shop(row.shop_id)) } " · "
                span #incident-state { (state_label(lang, &row.state)) } " · "
                (lang.t("owner")) " " span #incident-owner translate="no" { (names.agent(row.owner_id)) } " · "
                (lang.t("opened")) " " (when(lang, row.opened_at, zone, now)) " · "
                (lang.t("close_clock")) " " span #incident-clock { (clock_cell(lang, &incident, &names, zone, now)) }
            }
            p.cause { (lang.t("cause")) ": " (cause_line(lang, &row.cause)) }
            @if let Some(r) = &row.resolution {
                div #incident-resolution {
                    p { strong { (lang.t("found_cause")) ": " } (r["cause"].as_str().unwrap_or("")) }
                    p { strong { (lang.t("improvement")) ": " } (r["improvement"].as_str().unwrap_or("")) }
                }
            }
            @if let Some(into) = row.merged_into {
                p { (lang.t("merged_into")) " " a href=(format!("/incidents/{into}")) { "#" (into) } }
            }
            @if let Some(e) = &outcome.error { p.error role="alert" #incident-error { (e) } }
            @if let Some(r) = &outcome.replied { (replied(lang, r)) }
            @if open { (reply_form(lang, viewer, row.id, &templates, &outcome)) }
            (buyers(lang, viewer, row.id, open, &linked))
            @if open { (actions(lang, viewer, row.id, row.level, &outcome)) }
            h2 { (lang.t("timeline")) }
            ol #incident-timeline { @for e in &timeline { (timeline_entry(lang, e, &names, zone, now)) } }
        }
    };
    (status, layout(lang, &title, Some(viewer), body)).into_response()
}

fn replied(lang: Lang, r: &RepliedAll) -> Markup {
    html! {
        div #reply-outcome role="status" {
            p.ok { (lang.t("replied_to")) " " span #sent-count { (r.sent.len()) } " " (lang.t("buyers_word")) }
            @if !r.held.is_empty() {
                p.warn { (lang.t("held_for")) " " (r.held.len()) ":" }
                ul #held { @for h in &r.held {
                    li { a href=(format!("/conversations/{}", h["conversation_id"])) { "#" (h["conversation_id"]) } " " (h["error"].as_str().unwrap_or("")) }
                } }
            }
        }
    }
}

fn reply_form(lang: Lang, viewer: &Viewer, id: i64, templates: &[String], o: &Outcome) -> Markup {
    html! {
        h2 { (lang.t("reply_to_all")) }
        form #reply-all method="post" action=(format!("/incidents/{id}/reply")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            p.hint { (lang.t("reply_to_all_hint")) }
            @if !templates.is_empty() {
                label { (lang.t("template")) " "
                    select name="template" {
                        option value="" { "—" }
                        @for t in templates { option value=(t) translate="no" { (t) } }
                    } }
            }
            textarea #incident-reply name="body" rows="4" aria-label=(lang.t("reply_to_all")) { (o.reply_body) }
            label { input type="checkbox" name="confirm" value="1"; " " (lang.t("send_despite_warnings")) }
            button type="submit" { (lang.t("send_to_all")) }
        }
    }
}

fn buyers(lang: Lang, viewer: &Viewer, id: i64, open: bool, linked: &[Linked]) -> Markup {
    html! {
        h2 { (lang.t("affected_buyers")) " (" span #buyer-count { (linked.len()) } ")" }
        form method="post" action=(format!("/incidents/{id}/actions")) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="action" value="split";
            table #incident-conversations {
                thead { tr {
                    @if open { th scope="col" { span.sr { (lang.t("split")) } } }
                    th scope="col" { (lang.t("conversation")) } th scope="col" { (lang.t("buyer")) }
                    th scope="col" { (lang.t("language")) } th scope="col" { (lang.t("status")) }
                } }
                tbody { @for c in linked {
                    tr data-conversation=(c.id) {
                        @if open { td { input type="checkbox" name="conversation" value=(c.id) aria-label=(format!("#{}", c.id)); } }
                        td { a href=(format!("/conversations/{}", c.id)) { "#" (c.id) } }
                        td translate="no" { (c.buyer) }
                        td { (lang.language_name(c.language.as_deref().unwrap_or(""))) }
                        td { @if let Some(s) = c.status { (lang.status(s)) } @else { "—" } }
                    }
                } }
            }
            @if open && linked.len() > 1 { button type="submit" { (lang.t("split_selected")) } }
        }
    }
}

fn actions(lang: Lang, viewer: &Viewer, id: i64, level: u8, o: &Outcome) -> Markup {
    let to = format!("/incidents/{id}/actions");
    html! {
        h2 { (lang.t("incident_actions")) }
        div.actions {
            form #relevel method="post" action=(to) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="action" value="level";
                label { (lang.t("level")) " " select name="level" { @for l in 1..=3u8 { option value=(l) selected[l == level] { (l) } } } }
                label { (lang.t("reason")) " " input name="reason"; }
                button type="submit" { (lang.t("change_level")) }
            }
            form #merge method="post" action=(to) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="action" value="merge";
                label { (lang.t("merge_from")) " " input name="from" inputmode="numeric" size="6" required; }
                button type="submit" { (lang.t("merge")) }
            }
            form #close method="post" action=(to) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="action" value="close";
                label { (lang.t("found_cause")) textarea name="cause" rows="2" required { (o.close_cause) } }
                label { (lang.t("improvement")) textarea name="improvement" rows="2" required { (o.close_improvement) } }
                button type="submit" { (lang.t("close_incident")) }
            }
        }
    }
}

fn timeline_entry(
    lang: Lang,
    e: &IncidentEventRow,
    names: &Names,
    zone: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let what = match e.kind.as_str() {
        incident_event::OPENED => lang.t("tl_opened"),
        incident_event::JOINED => lang.t("tl_joined"),
        incident_event::LEVEL_CHANGED => lang.t("tl_level"),
        incident_event::REPLIED => lang.t("tl_replied"),
        incident_event::MERGED => lang.t("tl_merged"),
        incident_event::SPLIT => lang.t("tl_split"),
        incident_event::CLOSED => lang.t("tl_closed"),
        _ => lang.t("tl_other"),
    };
    let count = e.data["conversation_ids"]
        .as_array()
        .map(|a| a.len() as u64)
        .or(e.data["conversations"].as_u64());
    let level = e.data["level"].as_u64().or(e.data["to"].as_u64());
    html! {
        li data-kind=(e.kind) {
            (when(lang, e.at, zone, now)) " · " strong { (what) }
            @if let Some(l) = level { " " (lang.t("level")) " " (l) }
            @if let Some(other) = e.data["from"].as_i64().filter(|_| e.kind == incident_event::MERGED) { " #" (other) }
            @if let Some(other) = e.data["into"].as_i64() { " → " a href=(format!("/incidents/{other}")) { "#" (other) } }
            @if let Some(n) = count { " · " (n) " " (lang.t("buyers_word")) }
            @if let Some(r) = e.data["reason"].as_str().filter(|r| !r.is_empty()) { " · " (r) }
            " · " small translate="no" { (names.actor(lang, &e.actor)) }
        }
    }
}
