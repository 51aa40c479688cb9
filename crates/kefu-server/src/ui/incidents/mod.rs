//! The supervisor's incidents (COLLECTIVE-3LEVEL): `/incidents` lists them (open first, with
//! level, cause, buyers and the 72-hour close clock) and opens one by hand; `/incidents/{id}`
//! shows one with its buyers and timeline, answers them all at once through the guard, and
//! re-levels, merges, splits and closes it. Every form calls the same use case as the API
//! (`crate::desk::incidents`), so the same checks apply; a refusal comes back on the page with
//! what was typed.

mod detail;
mod forms;

pub use detail::*;
pub use forms::*;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_core::Role;
use kefu_store::incidents::incident_state;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::desk::{caller_of, clip, countdown, when};
use super::{forbidden, layout, unavailable};
use crate::AppState;
use crate::desk::DeskError;
use crate::desk::incidents::IncidentView;
use crate::ui::auth::Viewer;
use crate::ui::i18n::{Lang, Zone};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub shop: Option<i64>,
    /// `open` (the default), `closed`, `merged` or `all`.
    pub state: Option<String>,
}

/// What the pages know of the tenant: shop names and zones, agents' names.
pub(super) struct Names {
    shops: HashMap<i64, (String, chrono_tz::Tz)>,
    agents: Vec<kefu_core::Agent>,
}

impl Names {
    pub(super) async fn load(state: &AppState, viewer: &Viewer) -> kefu_store::Result<Names> {
        let shops = state.store.shops(viewer.agent.tenant_id).await?;
        let agents = state.store.agents(viewer.agent.tenant_id).await?;
        Ok(Names {
            shops: shops
                .into_iter()
                .filter(|s| viewer.may_see_shop(s.id))
                .map(|s| {
                    let tz = s.timezone.parse().unwrap_or(chrono_tz::UTC);
                    (s.id, (s.name, tz))
                })
                .collect(),
            agents,
        })
    }

    pub(super) fn shop(&self, id: i64) -> &str {
        self.shops.get(&id).map_or("—", |(n, _)| n.as_str())
    }

    pub(super) fn shop_tz(&self, id: i64) -> chrono_tz::Tz {
        self.shops.get(&id).map_or(chrono_tz::UTC, |(_, tz)| *tz)
    }

    pub(super) fn agent(&self, id: Option<i64>) -> &str {
        id.and_then(|id| self.agents.iter().find(|a| a.id == id))
            .map_or("—", |a| a.name.as_str())
    }

    /// Who did something, for people: the agent's name, or what the desk calls the rest.
    pub(super) fn actor(&self, lang: Lang, actor: &str) -> String {
        crate::ui::desk::actor_label(lang, actor, &self.agents)
    }

    /// The shops the viewer may see, by name.
    pub(super) fn shop_options(&self) -> Vec<(i64, &str)> {
        let mut v: Vec<_> = self
            .shops
            .iter()
            .map(|(id, (n, _))| (*id, n.as_str()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// What an incident is about, in a line: the courier or SKU it shares, its concepts, and a
/// buyer's words.
pub(super) fn cause_line(lang: Lang, cause: &Value) -> Markup {
    let concepts: Vec<&str> = cause["concepts"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    html! {
        @if let Some(c) = cause["courier"].as_str() { span.tag { (lang.t("courier")) " " span translate="no" { (c) } } " " }
        @if let Some(s) = cause["sku"].as_str() { span.tag { "SKU " span translate="no" { (s) } } " " }
        @for c in &concepts { span.tag.concept { (c.to_lowercase()) } " " }
        @if let Some(b) = cause["by_hand"].as_str().filter(|b| !b.is_empty()) { (b) " " }
        @if let Some(s) = cause["sample"].as_str() { q.sample { (clip(s, 80)) } }
    }
}

pub(super) fn level_badge(lang: Lang, level: u8) -> Markup {
    html! { span class=(format!("level level-{level}")) { (lang.t("level")) " " (level) } }
}

pub(super) fn state_label(lang: Lang, s: &str) -> &'static str {
    match s {
        incident_state::OPEN => lang.t("incident_open"),
        incident_state::CLOSED => lang.t("incident_closed"),
        _ => lang.t("incident_merged"),
    }
}

/// The close clock of an open incident (counting down), or when it was closed.
pub(super) fn clock_cell(
    lang: Lang,
    i: &IncidentView,
    names: &Names,
    zone: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let row = &i.incident;
    html! {
        @if row.state == incident_state::OPEN {
            @if let Some(due) = row.due {
                (countdown(lang, due, row.opened_at, &row.rule, names.shop_tz(row.shop_id), zone, now))
            } @else { "—" }
        } @else if let Some(at) = row.closed_at {
            (state_label(lang, &row.state)) " " (when(lang, at, zone, now))
        }
    }
}

/// `GET /incidents`.
pub async fn incidents_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Query(q): Query<ListQuery>,
) -> Response {
    list_view(&state, &viewer, zone, q, None, StatusCode::OK).await
}

/// The list, with a refusal of the open-by-hand form when there was one.
pub(super) async fn list_view(
    state: &AppState,
    viewer: &Viewer,
    zone: chrono_tz::Tz,
    q: ListQuery,
    refused: Option<(String, OpenDraft)>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(lang, viewer);
    }
    let filter = q.state.clone().unwrap_or_else(|| "open".into());
    let wanted = (filter != "all").then(|| filter.clone());
    let list = match crate::desk::incidents::list(state, &caller_of(viewer), q.shop, wanted).await {
        Ok(l) => l,
        Err(DeskError::Forbidden(_)) => return forbidden(lang, viewer),
        Err(DeskError::Invalid(m)) => return refused_page(lang, viewer, &m),
        Err(e) => return unavailable(lang, viewer, e),
    };
    let names = match Names::load(state, viewer).await {
        Ok(n) => n,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let now = state.clock.now();
    let body = html! {
        h1 { (lang.t("incidents")) }
        form.filters method="get" action="/incidents" {
            label { (lang.t("shop")) " "
                select name="shop" {
                    option value="" { (lang.t("all_shops")) }
                    @for (id, name) in names.shop_options() { option value=(id) selected[q.shop == Some(id)] translate="no" { (name) } }
                } }
            label { (lang.t("state")) " "
                select name="state" {
                    @for s in ["open", "closed", "merged", "all"] {
                        option value=(s) selected[filter == s] { (if s == "all" { lang.t("all") } else { state_label(lang, s) }) }
                    }
                } }
            button type="submit" { (lang.t("show")) }
        }
        @if list.is_empty() {
            p.hint #incidents-empty { (lang.t("no_incidents")) }
        } @else {
            table #incidents {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { (lang.t("level_col")) } th scope="col" { (lang.t("shop")) }
                    th scope="col" { (lang.t("cause")) } th.num scope="col" { (lang.t("buyers")) }
                    th scope="col" { (lang.t("opened")) } th scope="col" { (lang.t("close_clock")) } th scope="col" { (lang.t("owner")) }
                } }
                tbody { @for i in &list {
                    tr.overdue[i.overdue] data-incident=(i.incident.id) {
                        td { a href=(format!("/incidents/{}", i.incident.id)) { "#" (i.incident.id) } }
                        td { (level_badge(lang, i.incident.level)) }
                        td translate="no" { (names.shop(i.incident.shop_id)) }
                        td { (cause_line(lang, &i.incident.cause)) }
                        td.num { (i.incident.conversation_ids.len()) }
                        td { (when(lang, i.incident.opened_at, zone, now)) }
                        td { (clock_cell(lang, i, &names, zone, now)) }
                        td translate="no" { (names.agent(i.incident.owner_id)) }
                    }
                } }
            }
        }
        (open_form(lang, viewer, &names, refused))
    };
    (
        status,
        layout(lang, lang.t("incidents"), Some(viewer), body),
    )
        .into_response()
}

/// A request the page cannot answer (an unknown state in the filter): 400 saying why.
pub(super) fn refused_page(lang: Lang, viewer: &Viewer, message: &str) -> Response {
    let body = html! { p.error role="alert" { (message) } };
    (
        StatusCode::BAD_REQUEST,
        layout(lang, lang.t("incidents"), Some(viewer), body),
    )
        .into_response()
}

/// What a refused open-by-hand form had in it.
#[derive(Debug, Default)]
pub(super) struct OpenDraft {
    pub(super) shop: Option<i64>,
    pub(super) conversations: String,
    pub(super) level: u8,
    pub(super) cause: String,
}

fn open_form(
    lang: Lang,
    viewer: &Viewer,
    names: &Names,
    refused: Option<(String, OpenDraft)>,
) -> Markup {
    let (error, draft) = match refused {
        Some((e, d)) => (Some(e), d),
        None => (
            None,
            OpenDraft {
                level: 1,
                ..OpenDraft::default()
            },
        ),
    };
    html! {
        details.open-incident open[error.is_some()] {
            summary { (lang.t("open_incident")) }
            form method="post" action="/incidents" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                @if let Some(e) = &error { p.error role="alert" { (e) } }
                label { (lang.t("shop")) " "
                    select name="shop" { @for (id, name) in names.shop_options() { option value=(id) selected[draft.shop == Some(id)] translate="no" { (name) } } } }
                label { (lang.t("conversation_numbers")) " " input name="conversations" value=(draft.conversations) placeholder="12, 15, 31" required; }
                label { (lang.t("level")) " "
                    select name="level" { @for l in 1..=3u8 { option value=(l) selected[draft.level == l] { (l) } } } }
                label { (lang.t("cause")) " " input name="cause" value=(draft.cause); }
                button type="submit" { (lang.t("open_incident")) }
            }
        }
    }
}
