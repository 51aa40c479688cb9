//! `GET /admin/coverage?shop=ID`: will the roster hold? The coming week of one shop as a grid
//! of hours (agents on shift; the empty hours marked), with the market's rules met or not
//! per day (STAFF-16H, STAFF-24H, STAFF-SHIFTS-OVERLAP-2H), from `desk::staffing`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{caller_of, forbidden, layout, unavailable};
use crate::AppState;
use crate::desk::DeskError;
use crate::ui::auth::Viewer;

#[derive(Debug, Deserialize)]
pub struct CoverageQuery {
    pub shop: Option<i64>,
}

fn hhmm(slot: usize) -> String {
    format!("{:02}:{:02}", slot / 4, slot % 4 * 15)
}

pub async fn coverage_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<CoverageQuery>,
) -> Response {
    let lang = viewer.lang;
    let caller = caller_of(&viewer);
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(mut s) => {
            s.retain(|s| viewer.may_see_shop(s.id));
            s
        }
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let Some(shop_id) = q.shop.or_else(|| shops.first().map(|s| s.id)) else {
        return layout(
            lang,
            lang.t("coverage"),
            Some(&viewer),
            html! { p { (lang.t("no_shops")) } },
        )
        .into_response();
    };
    let cover = match crate::desk::staffing::shop_coverage(&state, &caller, shop_id, 7).await {
        Ok(c) => c,
        Err(DeskError::Forbidden(_)) => return forbidden(lang, &viewer),
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let body = html! {
        h1 { (lang.t("coverage")) }
        form.filters method="get" action="/admin/coverage" {
            label { (lang.t("shop")) " "
                select name="shop" { @for s in &shops { option value=(s.id) selected[s.id == shop_id] translate="no" { (s.name) } } } }
            button type="submit" { (lang.t("show")) }
        }
        p.hint { (cover.timezone) " · " (cover.agents) " " (lang.t("agents_on_roster")) " · "
            @if let Some(rule) = cover.hours_rule { code { (rule) } " " (cover.hours_a_day) " h · " }
            code { (cover.handover_rule) } " " (cover.handover_hours) " h"
            @if !cover.languages.is_empty() {
                " · " (lang.t("market_languages")) " "
                @for (i, l) in cover.languages.iter().enumerate() { @if i > 0 { ", " } (lang.language_name(l)) }
            } }
        table #coverage-grid {
            thead { tr { th { (lang.t("day")) } @for h in 0..24 { th.num { (format!("{h:02}")) } } th { (lang.t("hours")) } th { (lang.t("checks")) } } }
            tbody { @for d in &cover.days {
                tr data-date=(d.date.to_string()) {
                    th scope="row" { (d.date.format("%a %m-%d").to_string()) }
                    @for n in &d.coverage.agents_by_hour {
                        td class=(if *n == 0 { "num gap" } else { "num" }) { (n) }
                    }
                    td.num { (d.coverage.hours_covered) }
                    td {
                        @if d.coverage.hours_met { span.rag-green { "✓" } } @else { span.rag-red { (lang.t("too_few_hours")) } }
                        @for h in &d.coverage.short_handovers {
                            " " span.rag-amber { (lang.t("short_handover")) " " (hhmm(h.later_begins)) "–" (hhmm(h.earlier_ends)) }
                        }
                        // Each language of the market, by the agents who speak it.
                        @for l in &d.languages {
                            @let class = match (cover.hours_rule, l.hours_met) {
                                // A market that asks no hours: the hours are shown, not judged.
                                (None, _) => "lang-cover",
                                (Some(_), true) => "lang-cover rag-green",
                                (Some(_), false) => "lang-cover rag-red",
                            };
                            " " span class=(class) data-language=(l.language) {
                                (lang.language_name(&l.language)) " " (l.hours_covered) " h"
                            }
                        }
                    }
                }
            } }
        }
    };
    layout(lang, lang.t("coverage"), Some(&viewer), body).into_response()
}
