//! The platforms' scorecards of a shop (issue 12), computed their way from the pack's
//! `[scorecard]`: each counted rule's share of first-reply clocks met in time over the
//! platform's rolling window (to now, in the shop's calendar), the forecast, and the penalty
//! ladder's standing (AE-PENALTY). The API, the Reports page and the overview's alerts
//! come here; the arithmetic is `kefu_kpi::scorecard`'s.

use chrono::Duration;
use kefu_core::Shop;
use kefu_kpi::period::local_day;
use kefu_kpi::scorecard::{MeasureScore, ScorecardInput, Step, scorecard};
use kefu_kpi::{Period, Totals};
use serde::Serialize;

use super::DeskResult;
use super::reports::{GroupBy, kpi_totals, refresh_rollups};
use crate::AppState;
use crate::shop_rules::effective_pack;

// The packs' `[scorecard]` sets what the platform counts and its penalty ladder.
kefu_core::enforces!(
    pack_table = kefu_rules::pack::tables::SCORECARD,
    test = "kefu::reports::a_platform_scores_the_shop_its_way_and_warns_before_a_penalty"
);

/// One shop's scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct ShopScorecard {
    pub shop_id: i64,
    pub shop: String,
    pub platform: String,
    pub from: String,
    pub to: String,
    pub window_days: u32,
    pub forecast_days: u32,
    pub penalty_rule: Option<String>,
    pub warn_margin: f64,
    pub measures: Vec<MeasureScore>,
}

impl ShopScorecard {
    /// Whether a supervisor should be told: a measure under a step or about to cross one.
    pub fn alerts(&self) -> impl Iterator<Item = &MeasureScore> {
        self.measures
            .iter()
            .filter(|m| m.under.is_some() || m.approaching.is_some())
    }
}

/// The scorecard of `shop` now, or `None` when its platform keeps none (its pack has no
/// `[scorecard]`).
pub async fn shop_scorecard(state: &AppState, shop: &Shop) -> DeskResult<Option<ShopScorecard>> {
    let pack = effective_pack(&state.packs, &shop.pack, &shop.timezone, &shop.settings)?;
    let Some(card) = pack.scorecard.as_ref() else {
        return Ok(None);
    };
    let tz = pack.timezone;
    let now = state.clock.now();
    let today = local_day(now, tz);
    let first = today - Duration::days(i64::from(card.window_days) - 1);
    let window = Period {
        from: Period::day(first, tz).from,
        to: now.max(Period::day(first, tz).from + Duration::seconds(1)),
    };
    let store = state.store.as_ref();
    refresh_rollups(store, std::time::Duration::from_secs(2)).await?;
    let days = kpi_totals(
        store,
        std::slice::from_ref(shop),
        &window,
        Some(GroupBy::Day),
    )
    .await?;
    let leaves_before = (first + Duration::days(i64::from(card.forecast_days))).to_string();
    let (mut whole, mut leaving) = (Totals::default(), Totals::default());
    for (day, t) in &days {
        whole.merge(t);
        if *day < leaves_before {
            leaving.merge(t);
        }
    }
    let today_totals = days.get(&today.to_string()).cloned().unwrap_or_default();
    let day = Period::day(today, tz);
    let day_gone = (now - day.from).num_seconds() as f64 / (day.to - day.from).num_seconds() as f64;
    let ladder: Vec<Step> = card
        .penalties
        .iter()
        .map(|p| Step {
            level: p.level.clone(),
            below: p.below,
        })
        .collect();
    let measures = scorecard(&ScorecardInput {
        rules: &card.measures,
        window: &whole,
        window_days: card.window_days,
        leaving: &leaving,
        today: &today_totals,
        day_gone,
        forecast_days: card.forecast_days,
        ladder: &ladder,
        warn_margin: card.warn_margin,
    });
    Ok(Some(ShopScorecard {
        shop_id: shop.id,
        shop: shop.name.clone(),
        platform: shop.platform.as_str().to_string(),
        from: window.from.to_rfc3339(),
        to: window.to.to_rfc3339(),
        window_days: card.window_days,
        forecast_days: card.forecast_days,
        penalty_rule: card.penalty_rule.clone(),
        warn_margin: card.warn_margin,
        measures,
    }))
}

/// The scorecards of `shops` that have one.
pub async fn scorecards(state: &AppState, shops: &[Shop]) -> DeskResult<Vec<ShopScorecard>> {
    let mut out = Vec::new();
    for s in shops {
        if let Some(card) = shop_scorecard(state, s).await? {
            out.push(card);
        }
    }
    Ok(out)
}
