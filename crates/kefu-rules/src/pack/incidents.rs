//! `[incidents]`: when complaints about one cause become an incident, and at which level
//! (COLLECTIVE-3LEVEL). `levels` are the numbers of different buyers within `window_hours`
//! at which levels 1, 2 and 3 start; a shop moves them with `incident_levels` in its
//! overrides. The close clock is the pack's `[[clocks]]` on `collective_complaint`.
//!
//! A pack without the table gets the defaults the issue gives (5, 20 and 50 buyers within
//! 24 hours): the seeds name the three levels but not their sizes.

use serde::Deserialize;
use toml::Spanned;

use super::PackError;
use super::raw::{Ctx, S};
use crate::ids;

/// A pack's incident levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentLevels {
    pub rule: String,
    /// Buyers within the window at which levels 1, 2 and 3 start, rising.
    pub buyers: [u32; 3],
    pub window_hours: u32,
}

impl Default for IncidentLevels {
    fn default() -> Self {
        IncidentLevels {
            rule: ids::COLLECTIVE_3LEVEL.to_string(),
            buyers: [5, 20, 50],
            window_hours: 24,
        }
    }
}

impl IncidentLevels {
    /// Checks levels given by a pack or a shop: at least two buyers, strictly rising.
    pub fn check(buyers: [u32; 3]) -> Result<[u32; 3], String> {
        if buyers[0] < 2 || buyers[0] >= buyers[1] || buyers[1] >= buyers[2] {
            return Err(format!(
                "incident levels are three rising numbers of buyers, the first at least 2 (got {buyers:?})"
            ));
        }
        Ok(buyers)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncidents {
    rule: S,
    levels: Spanned<[u32; 3]>,
    window_hours: Spanned<u32>,
}

pub(super) fn incidents(
    cx: &Ctx<'_>,
    raw: Option<&RawIncidents>,
) -> Result<IncidentLevels, PackError> {
    let Some(raw) = raw else {
        return Ok(IncidentLevels::default());
    };
    let rule = cx.rule(&raw.rule, "process")?;
    let at = |span: std::ops::Range<usize>, e: String| {
        PackError::at(cx.file, cx.text, Some(span.start), e)
    };
    let buyers =
        IncidentLevels::check(*raw.levels.get_ref()).map_err(|e| at(raw.levels.span(), e))?;
    let window_hours = *raw.window_hours.get_ref();
    if !(1..=168).contains(&window_hours) {
        return Err(at(
            raw.window_hours.span(),
            "window_hours is 1 to 168".into(),
        ));
    }
    Ok(IncidentLevels {
        rule,
        buyers,
        window_hours,
    })
}
