//! Collective complaints (COLLECTIVE-3LEVEL): many buyers complaining about one cause at once
//! are one incident with three levels, an owner per level and a close clock. The desk groups
//! the complaints (`kefu_cluster`) and counts the buyers; the rulebook says what that count
//! means for the shop's pack.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::events::clocks_started;
use crate::deadline::{ClockStart, Trigger};
use crate::pack::{Pack, tables};
use kefu_core::ClockOpen;

/// Who follows an incident at its level: a supervisor at levels 1 and 2, a regional manager
/// at level 3 ("the top level is followed by a regional manager"; kefu's admins, whose scope
/// is every shop of the tenant, play that part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentOwner {
    Supervisor,
    RegionalManager,
}

/// What an incident is, as the rulebook decides it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPlan {
    pub rule: String,
    pub level: u8,
    pub owner: IncidentOwner,
    /// The close clock (72 hours from the opening in the packs), when the pack has one.
    pub close: Option<ClockOpen>,
}

/// The window in which buyers are counted.
pub fn incident_window(pack: &Pack) -> Duration {
    Duration::hours(i64::from(pack.incidents.window_hours))
}

/// The level `buyers` different buyers within the window reach, if any.
pub fn incident_level(pack: &Pack, buyers: usize) -> Option<u8> {
    kefu_core::enforces!(
        crate::ids::COLLECTIVE_3LEVEL,
        test = "kefu-rules::plan::tests::complaints_from_enough_buyers_are_an_incident"
    );
    let reached = pack
        .incidents
        .buyers
        .iter()
        .filter(|&&n| buyers >= n as usize)
        .count();
    (reached > 0).then_some(reached as u8)
}

/// Who owns an incident at `level`.
pub fn incident_owner(level: u8) -> IncidentOwner {
    if level >= 3 {
        IncidentOwner::RegionalManager
    } else {
        IncidentOwner::Supervisor
    }
}

/// The incident that `buyers` buyers complaining within the window open at `at`, if they are
/// enough; `level` given by a supervisor opening one by hand instead.
pub fn incident_opened(
    pack: &Pack,
    at: DateTime<Utc>,
    buyers: usize,
    level: Option<u8>,
) -> Option<IncidentPlan> {
    kefu_core::enforces!(
        pack_table = tables::clocks_on(ClockStart::CollectiveComplaint),
        test = "kefu-rules::plan::tests::complaints_from_enough_buyers_are_an_incident"
    );
    let level = level.or_else(|| incident_level(pack, buyers))?.clamp(1, 3);
    let close = clocks_started(pack, Trigger::CollectiveComplaint, at, None)
        .open
        .into_iter()
        .next();
    Some(IncidentPlan {
        rule: pack.incidents.rule.clone(),
        level,
        owner: incident_owner(level),
        close,
    })
}
