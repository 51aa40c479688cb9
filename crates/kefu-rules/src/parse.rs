//! Small text formats used in packs and overrides: wall times (`09:00`, `24:00`), day sets
//! (`mon-fri`, `sat,sun`, `daily`), durations (`5m`, `2h30m`, `7d`) and dates (`2026-10-01`).
//!
//! Each parser returns `Err(reason)` with a sentence meant for a person editing a pack; the
//! caller adds the file, line and column. This module does NOT know about packs or rules.

use chrono::{Duration, NaiveDate, Weekday};

use crate::calendar::DAY_SECONDS;

/// `HH:MM` or `HH:MM:SS`, 00:00 up to and including 24:00 (seconds after midnight).
pub fn wall_time(text: &str) -> Result<u32, String> {
    let bad = || format!("bad time `{text}`: expected HH:MM between 00:00 and 24:00");
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(bad());
    }
    let mut nums = [0u32; 3];
    for (i, p) in parts.iter().enumerate() {
        nums[i] = p.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = nums;
    if m >= 60 || s >= 60 {
        return Err(bad());
    }
    let secs = h * 3600 + m * 60 + s;
    if secs > DAY_SECONDS {
        return Err(bad());
    }
    Ok(secs)
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Day set: `daily`, `mon`, `mon-fri`, `fri-mon` (wraps), `sat,sun`, combinations with commas.
pub fn days(text: &str) -> Result<Vec<Weekday>, String> {
    let bad = |item: &str| {
        format!("bad day `{item}` in `{text}`: expected mon..sun, a range like mon-fri, or daily")
    };
    let lower = text.trim().to_ascii_lowercase();
    if lower == "daily" || lower == "all" {
        return days("mon-sun");
    }
    let mut out: Vec<Weekday> = Vec::new();
    for item in lower.split(',').map(str::trim) {
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (item, item),
        };
        let (mut day, last) = (
            weekday(first).ok_or_else(|| bad(item))?,
            weekday(last).ok_or_else(|| bad(item))?,
        );
        loop {
            if !out.contains(&day) {
                out.push(day);
            }
            if day == last {
                break;
            }
            day = day.succ();
        }
    }
    Ok(out)
}

/// Duration: one or more `<integer><unit>` with units `d`, `h`, `m`, `s` (`2h30m`, `15d`).
pub fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration `{text}`: expected e.g. 5m, 24h, 2h30m, 15d, 30s");
    let mut total = Duration::zero();
    let mut digits = String::new();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let part = match c {
            'd' => Duration::try_days(n),
            'h' => Duration::try_hours(n),
            'm' => Duration::try_minutes(n),
            's' => Duration::try_seconds(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&part).ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("bad date `{text}`: expected YYYY-MM-DD"))
}

/// Short human form of a duration for explanations: `5 min`, `24 h`, `2 h 30 min`, `30 s`.
pub fn human(d: Duration) -> String {
    let mut out = String::new();
    crate::explain::push_human(&mut out, d);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(wall_time("09:00"), Ok(9 * 3600));
        assert_eq!(wall_time("24:00"), Ok(DAY_SECONDS));
        assert_eq!(wall_time("12:30:15"), Ok(12 * 3600 + 30 * 60 + 15));
        for bad in ["9:00", "24:01", "25:00", "12:60", "noon", "12"] {
            assert!(wall_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn day_sets() {
        assert_eq!(
            days("mon-wed").unwrap(),
            vec![Weekday::Mon, Weekday::Tue, Weekday::Wed]
        );
        assert_eq!(days("sat,sun").unwrap(), vec![Weekday::Sat, Weekday::Sun]);
        assert_eq!(days("fri-mon").unwrap().len(), 4);
        assert_eq!(days("daily").unwrap().len(), 7);
        assert!(days("funday").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("5m"), Ok(Duration::minutes(5)));
        assert_eq!(duration("2h30m"), Ok(Duration::minutes(150)));
        assert_eq!(duration("15d"), Ok(Duration::days(15)));
        for bad in ["", "5", "m", "5x", "1.5h"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!(human(Duration::minutes(150)), "2 h 30 min");
        assert_eq!(human(Duration::seconds(30)), "30 s");
    }
}
