//! The supervisor's reports (issue 12): for a shop (or all) and a period in the shop's own
//! calendar, each KPI against its target with the previous period beside it, a chart by day,
//! the agents ranked, breaches by rule, and every figure a link to the conversations behind
//! it; every table downloads as CSV. The figures come from `desk::reports` and
//! `desk::drill`, as the API's do.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use kefu_core::Shop;
use kefu_kpi::period::NAMED;
use kefu_kpi::{Figure, Kpis, Period, Rag, Target, Targets, Totals, rag};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::Viewer;
use super::chart::{DailyChart, Line, daily};
use super::i18n::Lang;
use super::scorecards::{alerts, scorecard_tables};
use super::{layout, unavailable};
use crate::AppState;
use crate::desk::DeskError;
use crate::desk::drill::{DrillRequest, drill_csv, drill_down, kpi_csv, report_shops};
use crate::desk::reports::{GroupBy, kpi_totals, period_of, refresh_rollups, report_targets};
use crate::desk::scorecards::scorecards;

/// Conversations a drill-down page lists (the CSV has them all).
const DRILL_PAGE: usize = 500;

/// What the report form asks: a shop (none: all), a named period or custom dates, a grouping.
#[derive(Debug, Default, Deserialize)]
pub struct ReportParams {
    pub shop: Option<String>,
    pub period: Option<String>,
    /// Custom period: the shop's first and last day, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    pub group: Option<String>,
    /// Drill-down: the figure, and optionally one agent (0: unassigned).
    pub figure: Option<String>,
    pub agent: Option<i64>,
}

/// The report's question, resolved: shops, period, its label and the query string that
/// names it again (for links).
struct Asked {
    shops: Vec<Shop>,
    shop_id: Option<i64>,
    period: Period,
    period_name: String,
    tz: chrono_tz::Tz,
    query: String,
}

fn bad(e: impl std::fmt::Display) -> DeskError {
    DeskError::Invalid(e.to_string())
}

async fn asked(state: &AppState, viewer: &Viewer, p: &ReportParams) -> Result<Asked, DeskError> {
    let caller = crate::ui::desk::caller_of(viewer);
    let shop_id = match p.shop.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| bad("shop must be a shop id"))?,
        ),
        None => None,
    };
    let shops = report_shops(state, &caller, shop_id).await?;
    let tz: chrono_tz::Tz = shops
        .first()
        .and_then(|s| s.timezone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let name = p.period.clone().unwrap_or_else(|| "last_7_days".into());
    let period = if name == "custom" {
        let day = |v: &Option<String>, field: &str| {
            v.as_deref()
                .unwrap_or("")
                .parse::<chrono::NaiveDate>()
                .map_err(|_| bad(format!("{field} must be a date, YYYY-MM-DD")))
        };
        Period::days(day(&p.from, "from")?, day(&p.to, "to")?, tz)
            .ok_or_else(|| bad("the first day must not be after the last"))?
    } else {
        Period::named(&name, today, tz).ok_or_else(|| bad(format!("unknown period {name:?}")))?
    };
    period_of(period.from, period.to)?;
    let mut query = format!(
        "shop={}&period={name}",
        shop_id.map_or_else(|| "all".into(), |i| i.to_string())
    );
    if name == "custom" {
        query.push_str(&format!(
            "&from={}&to={}",
            p.from.as_deref().unwrap_or(""),
            p.to.as_deref().unwrap_or("")
        ));
    }
    Ok(Asked {
        shops,
        shop_id,
        period,
        period_name: name,
        tz,
        query,
    })
}

fn failed(lang: Lang, viewer: &Viewer, e: DeskError) -> Response {
    match e {
        DeskError::Forbidden(_) => super::forbidden(lang, viewer),
        DeskError::NotFound(_) => super::not_found(viewer),
        DeskError::Invalid(m) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            layout(
                lang,
                lang.t("reports"),
                Some(viewer),
                html! { p.error { (m) } },
            ),
        )
            .into_response(),
        other => unavailable(lang, viewer, other),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{:.1} %", x * 100.0))
}

fn duration(lang: Lang, secs: Option<i64>) -> String {
    let Some(s) = secs else { return "—".into() };
    let (m, sec) = (s / 60, s % 60);
    match (lang, m) {
        (_, 0) => format!("{sec} s"),
        (Lang::Zh, m) if m < 60 => format!("{m} 分 {sec} 秒"),
        (_, m) if m < 60 => format!("{m} min {sec} s"),
        (Lang::Zh, m) => format!("{} 小时 {} 分", m / 60, m % 60),
        (_, m) => format!("{} h {} min", m / 60, m % 60),
    }
}

fn rag_class(r: Option<Rag>) -> &'static str {
    match r {
        Some(Rag::Green) => "green",
        Some(Rag::Amber) => "amber",
        Some(Rag::Red) => "red",
        None => "none",
    }
}

/// The change from the previous period, in percentage points (rates) or units (CSAT).
fn delta(now: Option<f64>, before: Option<f64>, points: bool) -> Markup {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = if points { (a - b) * 100.0 } else { a - b };
            let arrow = if d > 0.0 {
                "▲"
            } else if d < 0.0 {
                "▼"
            } else {
                "＝"
            };
            html! { span.delta { (arrow) " " (format!("{:+.1}", d)) @if points { " pt" } } }
        }
        _ => html! { span.delta { "—" } },
    }
}

struct Tile<'a> {
    id: &'a str,
    label: &'static str,
    value: String,
    detail: String,
    target: Option<(Target, Option<f64>)>,
    change: Markup,
    figure: Figure,
}

fn tile(lang: Lang, a: &Asked, t: Tile<'_>) -> Markup {
    let standing = t
        .target
        .as_ref()
        .map(|(target, v)| v.map(|v| rag(v, target)));
    let class = rag_class(standing.flatten());
    html! {
        div class=(format!("tile kpi rag-{class}")) id=(t.id) {
            span { (lang.t(t.label)) }
            a.big href=(format!("/reports/conversations?{}&figure={}", a.query, t.figure.as_str())) { (t.value) }
            span.hint { (t.detail) }
            @if let Some((target, _)) = &t.target {
                span.target { (lang.t("target")) " " code { (target.rule) } " · " (lang.t(class)) }
            }
            span { (lang.t("vs_previous")) " " (t.change) }
        }
    }
}

fn tiles(lang: Lang, a: &Asked, k: &Kpis, prev: &Kpis, targets: &Targets) -> Markup {
    let fr = &k.first_response;
    // Each first-reply clock side by side: the platform's and the shop's own (KPI-FRT-3H).
    let by_rule: Vec<String> = k
        .clocks
        .iter()
        .map(|(rule, s)| format!("{rule} {} ({}/{})", pct(s.rate), s.met, s.count))
        .collect();
    html! {
        @if !by_rule.is_empty() {
            p.hint #clocks-by-rule { (lang.t("settled_clocks")) ": " (by_rule.join(" · ")) }
        }
        div.tiles {
            (tile(lang, a, Tile { id: "kpi-first-response", label: "first_response_met",
                value: pct(fr.rate),
                detail: format!("{}/{} · {} {} · p90 {}", fr.met, fr.count, lang.t("median"),
                    duration(lang, fr.median_seconds), duration(lang, fr.p90_seconds)),
                target: None, change: delta(fr.rate, prev.first_response.rate, true),
                figure: Figure::FirstResponseMissed }))
            (tile(lang, a, Tile { id: "kpi-resolution", label: "kpi_resolution_rate",
                value: pct(k.resolution_rate), detail: format!("{}/{}", k.resolved, k.needed_answer),
                target: Some((targets.resolution_rate.clone(), k.resolution_rate)),
                change: delta(k.resolution_rate, prev.resolution_rate, true), figure: Figure::Unresolved }))
            (tile(lang, a, Tile { id: "kpi-csat", label: "csat",
                value: k.csat.mean.map_or_else(|| "—".into(), |m| format!("{m:.2}")),
                detail: format!("{} {}", k.csat.responses, lang.t("ratings")),
                target: Some((targets.csat.clone(), k.csat.mean)),
                change: delta(k.csat.mean, prev.csat.mean, false), figure: Figure::LowRated }))
            (tile(lang, a, Tile { id: "kpi-repeat", label: "repeat_complaint_rate",
                value: pct(k.repeat_complaint_rate),
                detail: format!("{}/{}", k.repeat_complaints, k.complaints),
                target: Some((targets.repeat_complaint_rate.clone(), k.repeat_complaint_rate)),
                change: delta(k.repeat_complaint_rate, prev.repeat_complaint_rate, true),
                figure: Figure::RepeatComplaints }))
            (tile(lang, a, Tile { id: "kpi-conversations", label: "conversations",
                value: k.conversations.to_string(), detail: format!("{} {}", prev.conversations, lang.t("previous_period")),
                target: None, change: delta(Some(k.conversations as f64), Some(prev.conversations as f64), false),
                figure: Figure::Conversations }))
        }
    }
}

fn form(lang: Lang, a: &Asked, all: &[Shop], group: &str) -> Markup {
    html! {
        form.filters method="get" action="/reports" {
            label { (lang.t("shop")) " "
                select name="shop" {
                    option value="all" selected[a.shop_id.is_none()] { (lang.t("all_shops")) }
                    @for s in all { option value=(s.id) selected[a.shop_id == Some(s.id)] translate="no" { (s.name) } }
                } }
            label { (lang.t("period")) " "
                select name="period" {
                    @for n in NAMED { option value=(n) selected[a.period_name == n] { (lang.t(n)) } }
                    option value="custom" selected[a.period_name == "custom"] { (lang.t("custom")) }
                } }
            label { (lang.t("from_day")) " " input type="date" name="from" value=(a.period.from.with_timezone(&a.tz).date_naive()); }
            label { (lang.t("to_day")) " " input type="date" name="to" value=((a.period.to - chrono::Duration::seconds(1)).with_timezone(&a.tz).date_naive()); }
            label { (lang.t("group_by")) " "
                select name="group" {
                    @for g in ["shop", "platform", "day", "team"] { option value=(g) selected[group == g] { (lang.t(g)) } }
                } }
            button type="submit" { (lang.t("show")) }
        }
    }
}

fn group_table(
    lang: Lang,
    a: &Asked,
    groups: &BTreeMap<String, Totals>,
    names: &dyn Fn(&str) -> String,
    id: &str,
    agent_links: bool,
) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                th { (lang.t("group")) } th { (lang.t("conversations")) } th { (lang.t("first_response_met")) }
                th { (lang.t("median")) } th { (lang.t("kpi_resolution_rate")) } th { (lang.t("csat")) } th { (lang.t("repeat_complaint_rate")) }
            } }
            tbody { @for (key, t) in groups {
                @let k = t.kpis();
                tr {
                    th scope="row" translate="no" {
                        @if agent_links {
                            a href=(format!("/reports/conversations?{}&figure=conversations&agent={}", a.query, key.parse::<i64>().unwrap_or(0))) { (names(key)) }
                        } @else { (names(key)) }
                    }
                    td.num { (k.conversations) } td.num { (pct(k.first_response.rate)) }
                    td.num { (duration(lang, k.first_response.median_seconds)) } td.num { (pct(k.resolution_rate)) }
                    td.num { (k.csat.mean.map_or_else(|| "—".into(), |m| format!("{m:.2}"))) } td.num { (pct(k.repeat_complaint_rate)) }
                }
            } }
        }
    }
}

/// The chart of a report by day: conversations as bars, the two rates as lines.
fn day_chart(lang: Lang, days: &BTreeMap<String, Totals>, target: &Target) -> Markup {
    daily(&DailyChart {
        title: lang.t("by_day"),
        labels: days
            .keys()
            .map(|d| d.get(5..).unwrap_or(d).to_string())
            .collect(),
        volume: days
            .values()
            .map(|t| t.conversations.max(0) as u64)
            .collect(),
        volume_name: lang.t("conversations"),
        lines: vec![
            Line {
                name: lang.t("first_response_met"),
                class: "frt",
                values: days
                    .values()
                    .map(|t| t.kpis().first_response.rate)
                    .collect(),
            },
            Line {
                name: lang.t("kpi_resolution_rate"),
                class: "resolved-rate",
                values: days.values().map(|t| t.kpis().resolution_rate).collect(),
            },
        ],
        target: Some((target.value, target.rule.as_str())),
    })
}

/// The agents ranked, each a link to their conversations of the period.
fn ranking_card(
    lang: Lang,
    a: &Asked,
    ranking: &[(String, Totals)],
    agent_name: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
            section.card {
                h2 { (lang.t("agent_ranking")) " " a.small href=(format!("/reports/kpis.csv?{}&group=agent", a.query)) { "CSV" } }
                table #agent-ranking {
                    thead { tr { th { "#" } th { (lang.t("agent")) } th { (lang.t("conversations")) } th { (lang.t("first_response_met")) } th { (lang.t("kpi_resolution_rate")) } th { (lang.t("csat")) } } }
                    tbody { @for (i, (key, t)) in ranking.iter().enumerate() {
                        @let kk = t.kpis();
                        tr { td.num { (i + 1) }
                             th scope="row" translate="no" { a href=(format!("/reports/conversations?{}&figure=conversations&agent={}", a.query, key.parse::<i64>().unwrap_or(0))) { (agent_name(key)) } }
                             td.num { (kk.conversations) } td.num { (pct(kk.first_response.rate)) } td.num { (pct(kk.resolution_rate)) }
                             td.num { (kk.csat.mean.map_or_else(|| "—".into(), |m| format!("{m:.2}"))) } }
                    } }
                }
                @if ranking.is_empty() { p.hint { (lang.t("nothing_in_period")) } }
            }
    }
}

/// `GET /reports`: the report page.
pub async fn reports_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ReportParams>,
) -> Response {
    let lang = viewer.lang;
    let a = match asked(&state, &viewer, &p).await {
        Ok(a) => a,
        Err(e) => return failed(lang, &viewer, e),
    };
    let group = p.group.clone().unwrap_or_else(|| "day".into());
    let by: GroupBy = match group.parse() {
        Ok(g) => g,
        Err(e) => return failed(lang, &viewer, e),
    };
    let store = state.store.as_ref();
    let got = async {
        // What was written since the scheduler's last tick counts too.
        refresh_rollups(store, std::time::Duration::from_secs(2)).await?;
        let whole = kpi_totals(store, &a.shops, &a.period, None).await?;
        let prev = kpi_totals(store, &a.shops, &a.period.previous(), None).await?;
        let days = kpi_totals(store, &a.shops, &a.period, Some(GroupBy::Day)).await?;
        let agents = kpi_totals(store, &a.shops, &a.period, Some(GroupBy::Agent)).await?;
        let groups = kpi_totals(store, &a.shops, &a.period, Some(by)).await?;
        let people = store.agents(viewer.agent.tenant_id).await?;
        let cards = scorecards(&state, &a.shops).await?;
        Ok::<_, DeskError>((whole, prev, days, agents, groups, people, cards))
    }
    .await;
    let (whole, prev, days, agents, groups, people, cards) = match got {
        Ok(g) => g,
        Err(e) => return failed(lang, &viewer, e),
    };
    let all_shops = report_shops(&state, &crate::ui::desk::caller_of(&viewer), None)
        .await
        .unwrap_or_default();
    let k = whole.get("").map(Totals::kpis).unwrap_or_default();
    let before = prev.get("").map(Totals::kpis).unwrap_or_default();
    let agent_name = |key: &str| match key.parse::<i64>() {
        Ok(id) => people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("#{id}"), |p| p.name.clone()),
        Err(_) => lang.t("unassigned").to_string(),
    };
    let shop_name = |key: &str| match by {
        GroupBy::Shop => all_shops
            .iter()
            .find(|s| s.id.to_string() == key)
            .map_or_else(|| key.to_string(), |s| s.name.clone()),
        GroupBy::Platform => lang.platform(key).to_string(),
        _ => key.to_string(),
    };
    // The agents ranked: resolution rate, then CSAT, then volume.
    let mut ranking: Vec<(String, Totals)> = agents.into_iter().collect();
    ranking.sort_by(|(_, x), (_, y)| {
        let (kx, ky) = (x.kpis(), y.kpis());
        ky.resolution_rate
            .unwrap_or(0.0)
            .total_cmp(&kx.resolution_rate.unwrap_or(0.0))
            .then(
                ky.csat
                    .mean
                    .unwrap_or(0.0)
                    .total_cmp(&kx.csat.mean.unwrap_or(0.0)),
            )
            .then(ky.conversations.cmp(&kx.conversations))
    });
    let targets = report_targets(&state.packs, &a.shops);
    let chart = day_chart(lang, &days, &targets.resolution_rate);
    let local =
        |t: chrono::DateTime<Utc>| t.with_timezone(&a.tz).format("%Y-%m-%d %H:%M").to_string();
    let body = html! {
        h1 { (lang.t("reports")) }
        (alerts(lang, &cards))
        (form(lang, &a, &all_shops, &group))
        p.hint #period-shown data-from=(a.period.from.to_rfc3339()) data-to=(a.period.to.to_rfc3339()) { (local(a.period.from)) " – " (local(a.period.to)) " (" (a.tz.name()) ") · "
            (lang.t("previous_period")) " " (local(a.period.previous().from)) " – " (local(a.period.previous().to)) }
        (tiles(lang, &a, &k, &before, &targets))
        (scorecard_tables(lang, &cards))
        section.card.wide {
            h2 { (lang.t("by_day")) " " a.small href=(format!("/reports/kpis.csv?{}&group=day", a.query)) { "CSV" } }
            (chart)
        }
        div.columns {
            (ranking_card(lang, &a, &ranking, &agent_name))
            section.card {
                h2 { (lang.t("breaches_by_rule")) " " a.small href=(format!("/reports/conversations.csv?{}&figure=breached", a.query)) { "CSV" } }
                ul #breaches-by-rule { @for (rule, n) in &k.breaches { li { code { (rule) } "：" a href=(format!("/reports/conversations?{}&figure=breached", a.query)) { (n) } } } }
                @if k.breaches.is_empty() { p.hint { (lang.t("no_breaches")) } }
            }
        }
        section.card.wide {
            h2 { (lang.t("by")) " " (lang.t(match by { GroupBy::Shop => "shop", GroupBy::Platform => "platform", GroupBy::Day => "day", GroupBy::Agent => "agent", GroupBy::Team => "team" }))
                 " " a.small href=(format!("/reports/kpis.csv?{}&group={group}", a.query)) { "CSV" } }
            (group_table(lang, &a, &groups, &shop_name, "group-table", false))
        }
    };
    layout(lang, lang.t("reports"), Some(&viewer), body).into_response()
}

/// A drill-down's question: the report's, and the figure (and agent) asked about.
async fn drill_asked(
    state: &AppState,
    viewer: &Viewer,
    p: &ReportParams,
) -> Result<(Asked, DrillRequest), DeskError> {
    let a = asked(state, viewer, p).await?;
    let figure: Figure = p
        .figure
        .as_deref()
        .unwrap_or("conversations")
        .parse()
        .map_err(bad)?;
    let req = DrillRequest {
        from: a.period.from,
        to: a.period.to,
        figure,
        agent: p.agent,
    };
    Ok((a, req))
}

/// `GET /reports/conversations`: the conversations behind one figure.
pub async fn drill_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ReportParams>,
) -> Response {
    let lang = viewer.lang;
    let got = async {
        let (a, req) = drill_asked(&state, &viewer, &p).await?;
        let figure = req.figure;
        let (rows, more) = drill_down(state.store.as_ref(), &a.shops, &req, DRILL_PAGE).await?;
        let people = state.store.agents(viewer.agent.tenant_id).await?;
        Ok::<_, DeskError>((a, figure, rows, more, people))
    }
    .await;
    let (a, figure, rows, more, people) = match got {
        Ok(g) => g,
        Err(e) => return failed(lang, &viewer, e),
    };
    let now = state.clock.now();
    let agent_q = p.agent.map(|x| format!("&agent={x}")).unwrap_or_default();
    let body = html! {
        h1 { (lang.t(figure.as_str())) }
        p.hint { a href=(format!("/reports?{}", a.query)) { "← " (lang.t("reports")) } " · " (rows.len()) @if more { "+" } " " (lang.t("conversations"))
            " · " a #drill-csv href=(format!("/reports/conversations.csv?{}&figure={}{agent_q}", a.query, figure.as_str())) { (lang.t("download_csv")) } }
        @if more { p.hint { (lang.t("first_rows_csv_all")) } }
        table #drill {
            thead { tr { th { "#" } th { (lang.t("buyer")) } th { (lang.t("first_message")) } th { (lang.t("agent")) } th { (lang.t("status")) } th { (lang.t("first_reply")) } th { (lang.t("breaches")) } } }
            tbody { @for (line, c) in &rows {
                tr data-conversation=(line.id) {
                    td { a href=(format!("/conversations/{}", line.id)) { (line.id) } }
                    td translate="no" { (line.customer_name.as_deref().unwrap_or(&line.customer)) }
                    td { (lang.when(c.first_inbound, a.tz, now)) }
                    td translate="no" { (people.iter().find(|x| Some(x.id) == line.assignee_id).map_or("—", |x| x.name.as_str())) }
                    td { (line.status.parse().map_or(line.status.as_str(), |s| lang.status(s))) }
                    td { (duration(lang, c.contribution.reply_bucket)) }
                    td { @for b in &c.contribution.breaches { code { (b) } " " } }
                }
            } }
        }
        @if rows.is_empty() { p.hint { (lang.t("nothing_in_period")) } }
    };
    layout(lang, lang.t(figure.as_str()), Some(&viewer), body).into_response()
}

fn csv_response(name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /reports/kpis.csv`: a report table (`group`: day, agent, shop, platform; none: whole).
pub async fn kpis_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ReportParams>,
) -> Response {
    let lang = viewer.lang;
    let got = async {
        let a = asked(&state, &viewer, &p).await?;
        let by = p.group.as_deref().map(str::parse::<GroupBy>).transpose()?;
        kpi_csv(
            state.store.as_ref(),
            &a.shops,
            a.period.from,
            a.period.to,
            by,
        )
        .await
    }
    .await;
    match got {
        Ok(csv) => csv_response("kpis.csv", Body::from(csv)),
        Err(e) => failed(lang, &viewer, e),
    }
}

/// `GET /reports/conversations.csv`: a drill-down, every row, streamed.
pub async fn drill_csv_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ReportParams>,
) -> Response {
    let lang = viewer.lang;
    let got = async {
        let (a, req) = drill_asked(&state, &viewer, &p).await?;
        drill_csv(state.store.clone(), a.shops, req)
    }
    .await;
    match got {
        Ok(stream) => csv_response("conversations.csv", Body::from_stream(stream)),
        Err(e) => failed(lang, &viewer, e),
    }
}
