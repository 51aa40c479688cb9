//! The platforms' scorecards on the pages (issue 12): a table per shop on the Reports page,
//! and an alert for supervisors — on the overview and the Reports page — when a share is
//! under a step of the platform's penalty ladder or about to cross one (AE-PENALTY).

use kefu_kpi::scorecard::MeasureScore;
use maud::{Markup, html};

use super::i18n::Lang;
use crate::desk::scorecards::ShopScorecard;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{:.1} %", x * 100.0))
}

fn level(lang: Lang, level: &str) -> &'static str {
    match level {
        "warning" => lang.t("penalty_warning"),
        "restricted_permissions" => lang.t("penalty_restricted_permissions"),
        "credit_deduction" => lang.t("penalty_credit_deduction"),
        "termination" => lang.t("penalty_termination"),
        _ => lang.t("penalty_other"),
    }
}

fn standing(lang: Lang, m: &MeasureScore) -> Markup {
    html! {
        @if let Some(s) = &m.under {
            span.rag-red { (lang.t("under_step")) " " (level(lang, &s.level)) " (< " (pct(Some(s.below))) ")" }
        }
        @if let Some(s) = &m.approaching {
            @if m.under.is_some() { " · " }
            span.rag-amber { (lang.t("approaching_step")) " " (level(lang, &s.level)) " (< " (pct(Some(s.below))) ")" }
        }
        @if m.under.is_none() && m.approaching.is_none() { span.hint { "—" } }
    }
}

/// The scorecards as tables, one per shop.
pub fn scorecard_tables(lang: Lang, cards: &[ShopScorecard]) -> Markup {
    html! {
        @for c in cards {
            section.card.wide.scorecard data-shop=(c.shop_id) {
                h2 { (lang.t("platform_scorecard")) " · " span translate="no" { (c.shop) } }
                p.hint { (lang.t("rolling_days")) " " (c.window_days) " · "
                    (lang.t("forecast_in")) " " (c.forecast_days) " " (lang.t("days")) }
                table {
                    thead { tr { th { (lang.t("rule")) } th { (lang.t("clocks")) } th { (lang.t("met")) } th { (lang.t("share")) }
                                 th { (lang.t("forecast")) } th { (lang.t("penalty_ladder")) } } }
                    tbody { @for m in &c.measures {
                        tr data-rule=(m.rule) { th scope="row" { code { (m.rule) } } td.num { (m.share.count) } td.num { (m.share.met) }
                             td.num { (pct(m.share.rate)) } td.num { (pct(m.forecast)) } td { (standing(lang, m)) } }
                    } }
                }
            }
        }
    }
}

/// An alert per shop whose platform is about to punish it, or already does.
pub fn alerts(lang: Lang, cards: &[ShopScorecard]) -> Markup {
    html! {
        @for c in cards {
            @for m in c.alerts() {
                p.error.scorecard-alert role="alert" data-shop=(c.shop_id) data-rule=(m.rule) {
                    strong translate="no" { (c.shop) } " · " code { (m.rule) } " " (pct(m.share.rate)) " · "
                    (standing(lang, m))
                    @if let Some(rule) = &c.penalty_rule { " · " code { (rule) } }
                }
            }
        }
    }
}
