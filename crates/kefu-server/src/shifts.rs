//! Shift schedules: an agent with weekly shifts is made available when a shift begins and
//! away when it ends; going away hands their open conversations to whoever is available
//! (the store's `set_availability`). Checked every `--shift-check-every` seconds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kefu_rules::{Calendar, WeeklyWindow};
use serde::{Deserialize, Serialize};

use crate::AppState;

/// An agent's weekly shifts, as stored and as the API takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shifts {
    /// IANA time zone the windows are in.
    pub timezone: String,
    /// `{"days": "mon-fri", "from": "09:00", "to": "18:00"}`, as shop working hours.
    pub windows: Vec<kefu_rules::WindowSpec>,
}

impl Shifts {
    /// The shifts as a calendar, or what is wrong with them.
    pub fn calendar(&self) -> Result<Calendar, String> {
        let tz: Tz = self
            .timezone
            .parse()
            .map_err(|_| format!("unknown time zone {:?}", self.timezone))?;
        if self.windows.is_empty() {
            return Err("shifts need at least one window".into());
        }
        let mut windows = Vec::new();
        for w in &self.windows {
            let from = kefu_rules::parse::wall_time(&w.from)?;
            let to = kefu_rules::parse::wall_time(&w.to)?;
            for day in kefu_rules::parse::days(&w.days)? {
                windows.push(WeeklyWindow::new(day, from, to).map_err(|e| e.to_string())?);
            }
        }
        Ok(Calendar::new("shifts", tz, &windows))
    }

    /// Whether `at` falls in a shift.
    pub fn on_shift(&self, at: DateTime<Utc>) -> Result<bool, String> {
        Ok(self.calendar()?.is_open(at))
    }
}

/// Brings every scheduled agent's availability in line with their shifts; returns how many
/// changed.
pub async fn apply(state: &AppState) -> kefu_store::Result<usize> {
    let now = state.clock.now();
    let mut changed = 0;
    for (agent_id, available, text) in state.store.agents_with_shifts().await? {
        let Ok(shifts) = serde_json::from_str::<Shifts>(&text) else {
            continue;
        };
        let Ok(should) = shifts.on_shift(now) else {
            continue;
        };
        if should != available {
            let moved = state.store.set_availability(agent_id, should, now).await?;
            tracing::info!(
                agent = agent_id,
                on_shift = should,
                handed_on = moved.len(),
                "shift change"
            );
            changed += 1;
        }
    }
    Ok(changed)
}

pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = apply(&state).await {
                tracing::warn!(error = %e, "shift check failed; retrying at the next tick");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn shifts_follow_their_time_zone_and_days() {
        let s: Shifts = serde_json::from_value(serde_json::json!({
            "timezone": "Asia/Shanghai",
            "windows": [{"days": "mon-fri", "from": "09:00", "to": "18:00"}]
        }))
        .unwrap();
        // Wednesday 2026-11-11 10:00 in Shanghai is 02:00 UTC.
        assert!(s.on_shift(at("2026-11-11T02:00:00Z")).unwrap());
        assert!(
            !s.on_shift(at("2026-11-11T11:00:00Z")).unwrap(),
            "19:00 local"
        );
        assert!(!s.on_shift(at("2026-11-14T02:00:00Z")).unwrap(), "Saturday");
        let bad = Shifts {
            timezone: "Mars/Base".into(),
            ..s.clone()
        };
        assert!(bad.on_shift(at("2026-11-11T02:00:00Z")).is_err());
        let empty = Shifts {
            windows: vec![],
            ..s
        };
        assert!(empty.calendar().is_err());
    }
}
