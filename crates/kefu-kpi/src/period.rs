//! Periods a supervisor asks about — a day, a week, a month or any range — as half-open UTC
//! intervals cut at the shop's own midnight (Taobao's day is Beijing's, not UTC's).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// `[from, to)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The start of `date` in `tz`: its first instant (a day that starts inside a DST gap starts
/// when the clock jumps).
fn midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(local) = tz.from_local_datetime(&t).earliest() {
            return local.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

impl Period {
    /// A range; `from` must be before `to`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Period, String> {
        if from >= to {
            return Err(format!(
                "the period must start before it ends ({} is not before {})",
                from.to_rfc3339(),
                to.to_rfc3339()
            ));
        }
        Ok(Period { from, to })
    }

    /// The shop's calendar day `date`.
    pub fn day(date: NaiveDate, tz: Tz) -> Period {
        Period {
            from: midnight(date, tz),
            to: midnight(date + Duration::days(1), tz),
        }
    }

    /// The week (Monday to Sunday, in `tz`) that holds `date`.
    pub fn week(date: NaiveDate, tz: Tz) -> Period {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        Period {
            from: midnight(monday, tz),
            to: midnight(monday + Duration::days(7), tz),
        }
    }

    /// The calendar month (in `tz`) that holds `date`.
    pub fn month(date: NaiveDate, tz: Tz) -> Period {
        let first = date.with_day(1).unwrap_or(date);
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .unwrap_or(first);
        Period {
            from: midnight(first, tz),
            to: midnight(next, tz),
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// The period of the same length just before this one (for "compared with last week").
    pub fn previous(&self) -> Period {
        let len = self.to - self.from;
        Period {
            from: self.from - len,
            to: self.from,
        }
    }
}

/// The periods a report offers by name; see [`Period::named`].
pub const NAMED: [&str; 8] = [
    "today",
    "yesterday",
    "last_7_days",
    "this_week",
    "last_week",
    "last_30_days",
    "this_month",
    "last_month",
];

impl Period {
    /// The period `name` (one of [`NAMED`]) seen from `today` in `tz`: "last week" is the
    /// Monday-to-Sunday week before this one, "last 7 days" ends with today.
    pub fn named(name: &str, today: NaiveDate, tz: Tz) -> Option<Period> {
        let days_back = |n: i64| Period {
            from: midnight(today - Duration::days(n - 1), tz),
            to: midnight(today + Duration::days(1), tz),
        };
        Some(match name {
            "today" => Period::day(today, tz),
            "yesterday" => Period::day(today - Duration::days(1), tz),
            "last_7_days" => days_back(7),
            "this_week" => Period::week(today, tz),
            "last_week" => Period::week(today - Duration::days(7), tz),
            "last_30_days" => days_back(30),
            "this_month" => Period::month(today, tz),
            "last_month" => Period::month(today.with_day(1)? - Duration::days(1), tz),
            _ => return None,
        })
    }

    /// The shop days `[from, to]`, both included.
    pub fn days(from: NaiveDate, to: NaiveDate, tz: Tz) -> Option<Period> {
        (from <= to).then(|| Period {
            from: midnight(from, tz),
            to: midnight(to + Duration::days(1), tz),
        })
    }
}

/// The shop's calendar day of `t` (the key of a report grouped by day).
pub fn local_day(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_shanghai_day_starts_at_16_utc() {
        let p = Period::day(date(2026, 11, 11), chrono_tz::Asia::Shanghai);
        assert_eq!(p.from.to_rfc3339(), "2026-11-10T16:00:00+00:00");
        assert_eq!(p.to - p.from, Duration::hours(24));
        assert!(p.contains(p.from) && !p.contains(p.to));
    }

    #[test]
    fn weeks_and_months_follow_the_shops_calendar() {
        let ny = chrono_tz::America::New_York;
        // 2026-11-01 is a Sunday and the day New York leaves summer time: 25 hours.
        let week = Period::week(date(2026, 11, 4), ny);
        assert_eq!(week.from.to_rfc3339(), "2026-11-02T05:00:00+00:00");
        assert_eq!(week.to - week.from, Duration::days(7));
        let day = Period::day(date(2026, 11, 1), ny);
        assert_eq!(day.to - day.from, Duration::hours(25));
        let dec = Period::month(date(2026, 12, 15), ny);
        assert_eq!(dec.to.to_rfc3339(), "2027-01-01T05:00:00+00:00");
        assert_eq!(dec.previous().to, dec.from);
        assert!(Period::new(dec.to, dec.from).is_err());
    }

    #[test]
    fn named_periods_follow_the_shops_calendar() {
        let sh = chrono_tz::Asia::Shanghai;
        let today = date(2026, 12, 7); // a Monday
        let last = Period::named("last_week", today, sh).unwrap();
        assert_eq!(last, Period::week(date(2026, 11, 30), sh));
        assert_eq!(last.from.to_rfc3339(), "2026-11-29T16:00:00+00:00");
        let seven = Period::named("last_7_days", today, sh).unwrap();
        assert_eq!(seven.to - seven.from, Duration::days(7));
        assert_eq!(seven.to, Period::day(today, sh).to);
        let month = Period::named("last_month", today, sh).unwrap();
        assert_eq!(month, Period::month(date(2026, 11, 1), sh));
        for name in NAMED {
            assert!(Period::named(name, today, sh).is_some(), "{name}");
        }
        assert!(Period::named("forever", today, sh).is_none());
        assert_eq!(
            Period::days(date(2026, 12, 1), date(2026, 12, 1), sh),
            Some(Period::day(date(2026, 12, 1), sh))
        );
        assert!(Period::days(date(2026, 12, 2), date(2026, 12, 1), sh).is_none());
    }

    #[test]
    fn a_utc_instant_falls_on_the_shops_day() {
        let t = DateTime::parse_from_rfc3339("2026-11-10T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_day(t, chrono_tz::Asia::Shanghai), date(2026, 11, 11));
        assert_eq!(local_day(t, chrono_tz::UTC), date(2026, 11, 10));
    }
}
