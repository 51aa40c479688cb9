//! `[complaints]`: the complaint flow (COMPLAINT-FLOW: record → route to the responsible team →
//! report back on time → summarise; a buyer still unhappy goes to management). `teams` names,
//! per cause, the team that answers for it (a team of the tenant by that name); a shop moves
//! them with `complaint_teams` in its overrides. `unhappy_rating`: a rating at or below it is
//! a buyer still unhappy. The report-back clock is the pack's `[[clocks]]` on
//! `complaint_recorded`.
//!
//! A pack without the table gets the desk's defaults: each cause to the team of its own name
//! (`logistics`, `quality`, `billing`, `service`), unhappy at 2 stars or fewer (the issue's
//! "a rating of 1–2").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::PackError;
use super::raw::{Ctx, S};
use crate::ids;

/// What a complaint is about, as the flow routes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCause {
    /// The parcel: late, stuck, lost, damaged on the way, delivered elsewhere.
    Logistics,
    /// The goods: broken, faulty, wrong, fake, not as described.
    Quality,
    /// The money: charged twice, refund missing, wrong price, invoice.
    Billing,
    /// The service itself: a rude or slow agent, promises not kept.
    Service,
    /// Anything else.
    Other,
}

impl ComplaintCause {
    pub const ALL: [ComplaintCause; 5] = [
        ComplaintCause::Logistics,
        ComplaintCause::Quality,
        ComplaintCause::Billing,
        ComplaintCause::Service,
        ComplaintCause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintCause::Logistics => "logistics",
            ComplaintCause::Quality => "quality",
            ComplaintCause::Billing => "billing",
            ComplaintCause::Service => "service",
            ComplaintCause::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<ComplaintCause> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A pack's complaint flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintFlow {
    pub rule: String,
    /// The team that answers for each cause, by name; a cause without one stays with
    /// whoever has the conversation.
    pub teams: BTreeMap<ComplaintCause, String>,
    /// A rating at or below this (1 to 5) is a buyer still unhappy.
    pub unhappy_rating: u8,
}

impl Default for ComplaintFlow {
    fn default() -> Self {
        let teams = [
            ComplaintCause::Logistics,
            ComplaintCause::Quality,
            ComplaintCause::Billing,
            ComplaintCause::Service,
        ]
        .into_iter()
        .map(|c| (c, c.as_str().to_string()))
        .collect();
        ComplaintFlow {
            rule: ids::COMPLAINT_FLOW.to_string(),
            teams,
            unhappy_rating: 2,
        }
    }
}

impl ComplaintFlow {
    /// Replaces the teams of the causes `teams` names (`{"logistics": "物流组"}`); an empty
    /// name takes the cause's team away.
    pub fn set_teams(&mut self, teams: &BTreeMap<String, String>) -> Result<(), String> {
        for (cause, team) in teams {
            let cause = ComplaintCause::parse(cause).ok_or_else(|| {
                format!("unknown complaint cause {cause:?}: logistics, quality, billing, service or other")
            })?;
            let team = team.trim();
            if team.chars().count() > 100 {
                return Err("a team name is at most 100 characters".into());
            }
            if team.is_empty() {
                self.teams.remove(&cause);
            } else {
                self.teams.insert(cause, team.to_string());
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComplaints {
    rule: S,
    teams: Option<Spanned<BTreeMap<String, String>>>,
    unhappy_rating: Option<Spanned<u8>>,
}

pub(super) fn complaints(
    cx: &Ctx<'_>,
    raw: Option<&RawComplaints>,
) -> Result<ComplaintFlow, PackError> {
    let Some(raw) = raw else {
        return Ok(ComplaintFlow::default());
    };
    let rule = cx.rule(&raw.rule, "process")?;
    let at = |span: std::ops::Range<usize>, e: String| {
        PackError::at(cx.file, cx.text, Some(span.start), e)
    };
    let mut flow = ComplaintFlow {
        rule,
        ..ComplaintFlow::default()
    };
    if let Some(teams) = &raw.teams {
        flow.teams.clear();
        flow.set_teams(teams.get_ref())
            .map_err(|e| at(teams.span(), e))?;
    }
    if let Some(r) = &raw.unhappy_rating {
        if !(1..=4).contains(r.get_ref()) {
            return Err(at(r.span(), "unhappy_rating is 1 to 4".into()));
        }
        flow.unhappy_rating = *r.get_ref();
    }
    Ok(flow)
}
