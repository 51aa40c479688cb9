//! `[peak_prep]`: the sales peaks of a market and what the desk asks before each (PEAK-PREP,
//! seed 000: "黑色星期五、圣诞季这些关键节点,至少要提前两周做好三件事: 双倍客服人力储备,
//! 预设20条常见QA模板,与物流商确定应急方案"). `remind_days` before a peak the supervisors
//! get the checklist; `faq_templates` is the number of FAQ answers each of `languages` needs.
//!
//! A peak's `date` is `MM-DD` (双11: `11-11`), or a weekday of a month, `MM-<day><n>` with an
//! optional shift in days (Black Friday, the day after the fourth Thursday of November:
//! `11-thu4+1`). A shop replaces the list with `peak_days`, the languages with
//! `peak_languages`.

use chrono::{Duration, NaiveDate, Weekday};
use serde::Deserialize;

use super::PackError;
use super::raw::{Ctx, S};
use crate::ids;

/// A peak as a pack or shop writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeakDay {
    pub name: String,
    pub date: String,
}

impl PeakDay {
    /// The peak's day in `year`, or why its date does not read.
    pub fn in_year(&self, year: i32) -> Result<NaiveDate, String> {
        peak_date(&self.date, year)
    }
}

/// A pack's peaks and what it asks before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeakPrep {
    pub rule: String,
    pub peaks: Vec<PeakDay>,
    pub remind_days: u32,
    pub faq_templates: u32,
    pub languages: Vec<String>,
}

impl Default for PeakPrep {
    fn default() -> Self {
        let peak = |name: &str, date: &str| PeakDay {
            name: name.into(),
            date: date.into(),
        };
        PeakPrep {
            rule: ids::PEAK_PREP.to_string(),
            peaks: vec![
                peak("Black Friday", "11-thu4+1"),
                peak("Christmas", "12-25"),
            ],
            remind_days: 14,
            faq_templates: 20,
            languages: vec!["en".into()],
        }
    }
}

impl PeakPrep {
    /// Checks peaks given by a pack or a shop: each date reads (in any year).
    pub fn check(peaks: &[PeakDay]) -> Result<(), String> {
        for p in peaks {
            if p.name.trim().is_empty() {
                return Err("a peak needs a name".into());
            }
            p.in_year(2027)
                .map_err(|e| format!("peak {:?}: {e}", p.name))?;
        }
        Ok(())
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// `MM-DD`, or `MM-<day><n>[+d|-d]` (the n-th such weekday of the month, shifted d days), in
/// `year`.
pub fn peak_date(spec: &str, year: i32) -> Result<NaiveDate, String> {
    let bad = || format!("date {spec:?} is MM-DD or MM-<mon..sun><1-5>[+days]");
    let (month, rest) = spec.trim().split_once('-').ok_or_else(bad)?;
    let month: u32 = month.parse().map_err(|_| bad())?;
    if let Ok(day) = rest.parse::<u32>() {
        return NaiveDate::from_ymd_opt(year, month, day).ok_or_else(bad);
    }
    let (nth, shift) = match rest.find(['+', '-']) {
        Some(i) => {
            let sign = if rest[i..].starts_with('-') { -1 } else { 1 };
            let days: i64 = rest[i + 1..].parse().map_err(|_| bad())?;
            (&rest[..i], sign * days)
        }
        None => (rest, 0),
    };
    if nth.len() != 4 || !(-7..=7).contains(&shift) {
        return Err(bad());
    }
    let day = weekday(&nth[..3]).ok_or_else(bad)?;
    let n: u8 = nth[3..].parse().map_err(|_| bad())?;
    let date = NaiveDate::from_weekday_of_month_opt(year, month, day, n).ok_or_else(bad)?;
    Ok(date + Duration::days(shift))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPeakPrep {
    rule: S,
    peaks: toml::Spanned<Vec<PeakDay>>,
    remind_days: toml::Spanned<u32>,
    faq_templates: toml::Spanned<u32>,
    languages: toml::Spanned<Vec<String>>,
}

pub(super) fn peak_prep(cx: &Ctx<'_>, raw: Option<&RawPeakPrep>) -> Result<PeakPrep, PackError> {
    let Some(raw) = raw else {
        return Ok(PeakPrep::default());
    };
    let rule = cx.rule(&raw.rule, "staffing")?;
    let at = |span: std::ops::Range<usize>, e: String| {
        PackError::at(cx.file, cx.text, Some(span.start), e)
    };
    PeakPrep::check(raw.peaks.get_ref()).map_err(|e| at(raw.peaks.span(), e))?;
    if !(1..=60).contains(raw.remind_days.get_ref()) {
        return Err(at(raw.remind_days.span(), "remind_days is 1 to 60".into()));
    }
    if !(1..=200).contains(raw.faq_templates.get_ref()) {
        return Err(at(
            raw.faq_templates.span(),
            "faq_templates is 1 to 200".into(),
        ));
    }
    Ok(PeakPrep {
        rule,
        peaks: raw.peaks.get_ref().clone(),
        remind_days: *raw.remind_days.get_ref(),
        faq_templates: *raw.faq_templates.get_ref(),
        languages: raw.languages.get_ref().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_dates_read_as_the_markets_keep_them() {
        let d = |s: &str, y| peak_date(s, y).unwrap().to_string();
        assert_eq!(d("11-11", 2026), "2026-11-11");
        // Black Friday: the day after the fourth Thursday of November.
        assert_eq!(d("11-thu4+1", 2026), "2026-11-27");
        assert_eq!(d("11-thu4+1", 2024), "2024-11-29");
        assert_eq!(d("12-25", 2026), "2026-12-25");
        for bad in [
            "11",
            "13-01",
            "02-30",
            "11-thu6",
            "11-xyz4",
            "11-thu4+9",
            "11-thu4+x",
        ] {
            assert!(peak_date(bad, 2026).is_err(), "{bad}");
        }
    }
}
