//! Business-hours calendars and the clock arithmetic on them.
//!
//! A [`Calendar`] is a set of weekly working windows (several per day allowed, e.g. split
//! shifts around a lunch break; a window may end at 24:00) in an IANA time zone, minus whole
//! days that are holidays or one-off closures. [`Calendar::add_business`] runs a clock only
//! inside the windows and pauses it outside them, as business-hours SLAs do (RULES.md, "Notes
//! on interpretation": a Taobao message at 22:58 with a 5-minute clock is due at 09:03).
//!
//! Daylight saving comes from the tz database (chrono-tz). Window edges are wall-clock times,
//! so on a transition day a local time can be missing or doubled; we never panic on that:
//! - a time inside a spring-forward gap (02:30 in Los Angeles on 2026-03-08) means the first
//!   instant after the gap (03:00 PDT), because that is when the wall clock first passes it;
//! - a doubled time (01:30 on 2026-11-01) means its first occurrence (PDT), so a window
//!   01:00–02:00 that night lasts two real hours, as the wall clock shows it twice.
//!
//! The walk goes window by window, day by day (never minute by minute), and is bounded: a
//! calendar without any window gives `None` instead of looping.
//! This module does NOT know about rules, packs or deadlines, and does no I/O; "now" is
//! always a parameter.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// Seconds in a day; a window may end exactly here ("24:00").
pub const DAY_SECONDS: u32 = 86_400;

/// One weekly working window: on `weekday`, from `start` to `end`, in seconds after local
/// midnight (`end` may be [`DAY_SECONDS`], i.e. 24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    pub weekday: Weekday,
    pub start: u32,
    pub end: u32,
}

/// Why a window could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("window start {0} is not before its end {1}")]
    EmptyWindow(String, String),
    #[error("window time {0} is beyond 24:00")]
    OutOfDay(String),
}

impl WeeklyWindow {
    /// A window from `start` to `end` seconds after local midnight; `end` up to 24:00.
    pub fn new(weekday: Weekday, start: u32, end: u32) -> Result<Self, CalendarError> {
        if start >= DAY_SECONDS || end > DAY_SECONDS {
            return Err(CalendarError::OutOfDay(format_seconds(start.max(end))));
        }
        if start >= end {
            return Err(CalendarError::EmptyWindow(
                format_seconds(start),
                format_seconds(end),
            ));
        }
        Ok(WeeklyWindow {
            weekday,
            start,
            end,
        })
    }

    /// Convenience: `WeeklyWindow::hm(Weekday::Mon, (9, 0), (23, 0))`.
    pub fn hm(weekday: Weekday, from: (u32, u32), to: (u32, u32)) -> Result<Self, CalendarError> {
        Self::new(
            weekday,
            from.0 * 3600 + from.1 * 60,
            to.0 * 3600 + to.1 * 60,
        )
    }
}

impl fmt::Display for WeeklyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}–{}",
            self.weekday,
            format_seconds(self.start),
            format_seconds(self.end)
        )
    }
}

/// `HH:MM` (or `HH:MM:SS` when seconds are set); 86400 prints as `24:00`.
pub fn format_seconds(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Weekly working windows in a time zone, minus holidays and closures.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    name: String,
    tz: Tz,
    /// Per weekday (Monday = 0), sorted, merged `(start, end)` seconds.
    days: [Vec<(u32, u32)>; 7],
    holidays: BTreeSet<NaiveDate>,
    closures: BTreeSet<NaiveDate>,
    /// Working seconds in a week (holidays aside), computed once: bounds the walk.
    weekly: i64,
}

/// One stretch during which a clock ran: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The result of running a clock: when it is due and when it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub due: DateTime<Utc>,
    /// The first few stretches the clock ran (at most [`Run::KEPT_SEGMENTS`]), for
    /// explanations; `segment_count` says how many there were in all.
    pub segments: Vec<Segment>,
    pub segment_count: usize,
}

impl Run {
    /// How many segments a run keeps: enough to explain "ran, paused, resumed, due".
    pub const KEPT_SEGMENTS: usize = 3;
}

impl Calendar {
    /// A calendar from weekly windows; overlapping or touching windows are merged.
    pub fn new(name: impl Into<String>, tz: Tz, windows: &[WeeklyWindow]) -> Self {
        let mut days: [Vec<(u32, u32)>; 7] = Default::default();
        for w in windows {
            days[w.weekday.num_days_from_monday() as usize].push((w.start, w.end));
        }
        for day in &mut days {
            day.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(day.len());
            for &(s, e) in day.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            *day = merged;
        }
        let weekly = days.iter().flatten().map(|&(s, e)| i64::from(e - s)).sum();
        Calendar {
            name: name.into(),
            tz,
            days,
            weekly,
            holidays: BTreeSet::new(),
            closures: BTreeSet::new(),
        }
    }

    /// Open around the clock, every day (00:00–24:00 local, which is continuous in real
    /// time across DST changes too).
    pub fn always(name: impl Into<String>, tz: Tz) -> Self {
        let all: Vec<WeeklyWindow> = (0..7)
            .map(|d| WeeklyWindow {
                weekday: weekday_from_index(d),
                start: 0,
                end: DAY_SECONDS,
            })
            .collect();
        Calendar::new(name, tz, &all)
    }

    /// Add holidays (recurring only as listed: a date is one date, not every year).
    pub fn with_holidays(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.holidays.extend(dates);
        self
    }

    /// Add one-off closures (whole local days without any window).
    pub fn with_closures(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.closures.extend(dates);
        self
    }

    /// The same windows and days, read in another time zone.
    pub fn with_timezone(&self, tz: Tz) -> Self {
        Calendar { tz, ..self.clone() }
    }

    /// The same time zone, holidays and closures with other windows.
    pub fn with_windows(&self, windows: &[WeeklyWindow]) -> Self {
        Calendar {
            holidays: self.holidays.clone(),
            closures: self.closures.clone(),
            ..Calendar::new(self.name.clone(), self.tz, windows)
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    pub fn closures(&self) -> &BTreeSet<NaiveDate> {
        &self.closures
    }

    /// The (merged) weekly windows, Monday first.
    pub fn windows(&self) -> Vec<WeeklyWindow> {
        let mut out = Vec::new();
        for (i, day) in self.days.iter().enumerate() {
            for &(start, end) in day {
                out.push(WeeklyWindow {
                    weekday: weekday_from_index(i),
                    start,
                    end,
                });
            }
        }
        out
    }

    /// Whether the calendar has no window at all (a clock on it could never run).
    pub fn is_empty(&self) -> bool {
        self.weekly == 0
    }

    /// Whether `date` (local) is a holiday or a closure.
    pub fn is_day_off(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date) || self.closures.contains(&date)
    }

    /// Whether a clock on this calendar runs at instant `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz).date_naive();
        [local.pred_opt(), Some(local)]
            .into_iter()
            .flatten()
            .any(|day| self.day_windows(day).any(|(s, e)| s <= t && t < e))
    }

    /// `start` plus `dur` of business time: the clock runs only inside windows.
    /// `None` if the calendar has no windows (or the result is out of chrono's range).
    /// A zero or negative duration is due at `start`.
    pub fn add_business(&self, start: DateTime<Utc>, dur: Duration) -> Option<DateTime<Utc>> {
        self.run(start, dur).map(|r| r.due)
    }

    /// Like [`Calendar::add_business`], also telling when the clock ran (for explanations).
    pub fn run(&self, start: DateTime<Utc>, dur: Duration) -> Option<Run> {
        let mut segments = Vec::new();
        let (due, segment_count) = self.walk(start, dur, |seg| {
            if segments.len() < Run::KEPT_SEGMENTS {
                segments.push(seg);
            }
        })?;
        Some(Run {
            due,
            segments,
            segment_count,
        })
    }

    /// The clock walk without allocating: calls `on_segment` for every stretch the clock
    /// ran, in order, and returns the due instant and the number of stretches.
    pub(crate) fn walk(
        &self,
        start: DateTime<Utc>,
        dur: Duration,
        mut on_segment: impl FnMut(Segment),
    ) -> Option<(DateTime<Utc>, usize)> {
        if dur <= Duration::zero() {
            return Some((start, 0));
        }
        if self.weekly == 0 {
            return None;
        }
        // Bound the walk: every 7 consecutive days hold each window once, each day off removes
        // at most one day, and DST can shorten a day by at most a few hours; doubling the
        // weeks needed is ample slack. Reaching the bound means a bug, reported as None.
        let weeks_needed = dur.num_seconds() / self.weekly + 1;
        let off_days = (self.holidays.len() + self.closures.len()) as i64;
        let max_days = off_days + 14 * weeks_needed + 16;

        let mut remaining = dur;
        let mut cursor = start;
        let mut segment_count = 0;
        // Start on the local day of `start`. A window of the previous day ends at the latest at
        // that day's 24:00, which resolves to the first instant of `start`'s local date (a
        // doubled midnight → its first occurrence, a gap → the first instant after it), so
        // it never reaches past `start` and needs no look.
        let mut day = start.with_timezone(&self.tz).date_naive();
        for _ in 0..max_days {
            let windows: &[(u32, u32)] = if self.is_day_off(day) {
                &[]
            } else {
                &self.days[day.weekday().num_days_from_monday() as usize]
            };
            for &(s, e) in windows {
                // The end first: a window already over costs one time-zone lookup, not two.
                let Some(we) = local_instant(self.tz, day, e) else {
                    continue;
                };
                if we <= cursor {
                    continue;
                }
                let Some(ws) = local_instant(self.tz, day, s) else {
                    continue;
                };
                // A window swallowed by a DST gap has no real time (ws == we): skipped here.
                let from = ws.max(cursor);
                if from >= we {
                    continue;
                }
                let available = we - from;
                segment_count += 1;
                if remaining <= available {
                    let due = from + remaining;
                    on_segment(Segment { from, to: due });
                    return Some((due, segment_count));
                }
                on_segment(Segment { from, to: we });
                remaining -= available;
                cursor = we;
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// The real-time stretches of the windows of local `day` (empty on a day off).
    fn day_windows(&self, day: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
        let windows: &[(u32, u32)] = if self.is_day_off(day) {
            &[]
        } else {
            &self.days[day.weekday().num_days_from_monday() as usize]
        };
        windows.iter().filter_map(move |&(s, e)| {
            let from = local_instant(self.tz, day, s)?;
            let to = local_instant(self.tz, day, e)?;
            // A window swallowed by a DST gap has no real time; skip it.
            (from < to).then_some((from, to))
        })
    }
}

fn weekday_from_index(i: usize) -> Weekday {
    const DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    DAYS[i % 7]
}

/// The instant at which local wall time `secs` after midnight of `day` happens in `tz`
/// (24:00 = next day's 00:00). Gap → first instant after the gap; doubled → first occurrence.
pub fn local_instant(tz: Tz, day: NaiveDate, secs: u32) -> Option<DateTime<Utc>> {
    let (day, secs) = if secs >= DAY_SECONDS {
        (day.succ_opt()?, secs - DAY_SECONDS)
    } else {
        (day, secs)
    };
    let naive = day.and_hms_opt(secs / 3600, secs % 3600 / 60, secs % 60)?;
    resolve_local(tz, naive)
}

/// Local → UTC without panicking on DST transitions (see the module docs for the choice).
pub fn resolve_local(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(t) = tz.from_local_datetime(&naive).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    // Inside a gap: walk forward a minute at a time from the whole minute until the wall
    // clock exists again. Real gaps start on whole minutes and last at most a few hours.
    let base = naive.with_second(0)?.with_nanosecond(0)?;
    (1..=24 * 60).find_map(|m| {
        tz.from_local_datetime(&(base + Duration::minutes(m)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}
