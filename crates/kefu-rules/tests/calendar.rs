//! Calendar arithmetic: pausing outside windows, split shifts, holidays, 24:00, DST.

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::{America::Los_Angeles, Asia::Shanghai, Tz};
use kefu_rules::{Calendar, WeeklyWindow};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

const ALL: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// `((from_h, from_m), (to_h, to_m))`.
type Span = ((u32, u32), (u32, u32));

fn daily(tz: Tz, spans: &[Span]) -> Calendar {
    let mut windows = Vec::new();
    for day in ALL {
        for &(from, to) in spans {
            windows.push(WeeklyWindow::hm(day, from, to).unwrap());
        }
    }
    Calendar::new("test", tz, &windows)
}

fn weekdays(tz: Tz, spans: &[Span]) -> Calendar {
    let mut windows = Vec::new();
    for day in &ALL[..5] {
        for &(from, to) in spans {
            windows.push(WeeklyWindow::hm(*day, from, to).unwrap());
        }
    }
    Calendar::new("office", tz, &windows)
}

#[test]
fn tb_hours_clock_pauses_overnight() {
    // TB-HOURS / TB-FRT-5M, RULES.md notes: 22:58 + 5 min → 09:03.
    let cal = daily(Shanghai, &[((9, 0), (23, 0))]);
    let due = cal.add_business(at("2026-11-11T22:58:00+08:00"), Duration::minutes(5));
    assert_eq!(due, Some(at("2026-11-12T09:03:00+08:00")));
    // Exactly filling the evening ends at closing time, not the next morning.
    let due = cal.add_business(at("2026-11-11T22:58:00+08:00"), Duration::minutes(2));
    assert_eq!(due, Some(at("2026-11-11T23:00:00+08:00")));
    let run = cal
        .run(at("2026-11-11T22:58:00+08:00"), Duration::minutes(5))
        .unwrap();
    assert_eq!(run.segment_count, 2);
    assert_eq!(run.segments[0].to, at("2026-11-11T23:00:00+08:00"));
    assert_eq!(run.segments[1].from, at("2026-11-12T09:00:00+08:00"));
}

#[test]
fn split_shift_with_lunch_break() {
    let cal = weekdays(Shanghai, &[((9, 0), (12, 0)), ((13, 0), (18, 0))]);
    // 2026-11-11 is a Wednesday.
    let due = cal.add_business(at("2026-11-11T11:50:00+08:00"), Duration::minutes(30));
    assert_eq!(due, Some(at("2026-11-11T13:20:00+08:00")));
    // Received during lunch: starts at 13:00.
    let due = cal.add_business(at("2026-11-11T12:30:00+08:00"), Duration::minutes(10));
    assert_eq!(due, Some(at("2026-11-11T13:10:00+08:00")));
    // Friday 17:50 + 30 min → Monday 09:20 (weekend skipped).
    let due = cal.add_business(at("2026-11-13T17:50:00+08:00"), Duration::minutes(30));
    assert_eq!(due, Some(at("2026-11-16T09:20:00+08:00")));
    // A full working day is 8 hours.
    let due = cal.add_business(at("2026-11-11T09:00:00+08:00"), Duration::hours(8));
    assert_eq!(due, Some(at("2026-11-11T18:00:00+08:00")));
    assert!(cal.is_open(at("2026-11-11T09:00:00+08:00")));
    assert!(!cal.is_open(at("2026-11-11T12:00:00+08:00")));
    assert!(!cal.is_open(at("2026-11-14T10:00:00+08:00")));
}

#[test]
fn overlapping_windows_are_merged() {
    let cal = Calendar::new(
        "merged",
        Shanghai,
        &[
            WeeklyWindow::hm(Weekday::Mon, (9, 0), (12, 0)).unwrap(),
            WeeklyWindow::hm(Weekday::Mon, (11, 0), (14, 0)).unwrap(),
        ],
    );
    assert_eq!(cal.windows().len(), 1);
    assert_eq!(cal.windows()[0].to_string(), "Mon 09:00–14:00");
}

#[test]
fn holidays_and_closures_are_skipped() {
    // 2026-10-01 (National Day) as a holiday, 2026-10-02 as a one-off closure.
    let cal = daily(Shanghai, &[((9, 0), (23, 0))])
        .with_holidays([NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()])
        .with_closures([NaiveDate::from_ymd_opt(2026, 10, 2).unwrap()]);
    let due = cal.add_business(at("2026-09-30T22:58:00+08:00"), Duration::minutes(5));
    assert_eq!(due, Some(at("2026-10-03T09:03:00+08:00")));
    assert!(!cal.is_open(at("2026-10-01T12:00:00+08:00")));
}

#[test]
fn window_ending_at_2400() {
    let cal = daily(Shanghai, &[((8, 0), (24, 0))]);
    assert_eq!(cal.windows()[0].to_string(), "Mon 08:00–24:00");
    let due = cal.add_business(at("2026-11-11T23:30:00+08:00"), Duration::hours(1));
    assert_eq!(due, Some(at("2026-11-12T08:30:00+08:00")));
    let due = cal.add_business(at("2026-11-11T23:30:00+08:00"), Duration::minutes(30));
    assert_eq!(due, Some(at("2026-11-12T00:00:00+08:00")));
    assert!(cal.is_open(at("2026-11-11T23:59:59+08:00")));
    assert!(!cal.is_open(at("2026-11-12T00:00:00+08:00")));
}

#[test]
fn invalid_windows_are_refused() {
    assert!(WeeklyWindow::hm(Weekday::Mon, (10, 0), (9, 0)).is_err());
    assert!(WeeklyWindow::hm(Weekday::Mon, (10, 0), (10, 0)).is_err());
    assert!(WeeklyWindow::hm(Weekday::Mon, (10, 0), (24, 1)).is_err());
    assert!(WeeklyWindow::hm(Weekday::Mon, (24, 0), (24, 0)).is_err());
}

#[test]
fn no_windows_gives_none_instead_of_looping() {
    let cal = Calendar::new("empty", Shanghai, &[]);
    assert!(cal.is_empty());
    assert_eq!(
        cal.add_business(at("2026-11-11T10:00:00Z"), Duration::minutes(5)),
        None
    );
    // Zero duration is due at once, whatever the calendar.
    let t = at("2026-11-11T10:00:00Z");
    assert_eq!(cal.add_business(t, Duration::zero()), Some(t));
}

#[test]
fn long_durations_terminate_quickly() {
    let cal = weekdays(Shanghai, &[((9, 0), (12, 0)), ((13, 0), (18, 0))])
        .with_holidays((1..=28).map(|d| NaiveDate::from_ymd_opt(2027, 2, d).unwrap()));
    // 2000 working hours = 250 working days ≈ a year; walked window by window.
    let due = cal
        .add_business(at("2026-11-11T09:00:00+08:00"), Duration::hours(2000))
        .unwrap();
    assert!(due > at("2027-11-01T00:00:00Z") && due < at("2028-01-01T00:00:00Z"));
}

#[test]
fn dst_spring_forward_los_angeles_2026_03_08() {
    let cal = daily(Los_Angeles, &[((9, 0), (17, 0))]);
    // Saturday 16:00 PST + 2 h: 1 h on Saturday, then Sunday 09:00 PDT + 1 h.
    let due = cal.add_business(at("2026-03-07T16:00:00-08:00"), Duration::hours(2));
    assert_eq!(due, Some(at("2026-03-08T10:00:00-07:00")));
    assert_eq!(due, Some(at("2026-03-08T17:00:00Z")));
}

#[test]
fn dst_window_edge_inside_the_gap_opens_after_the_gap() {
    // 02:30 does not exist on 2026-03-08 in Los Angeles (02:00 → 03:00).
    let cal = daily(Los_Angeles, &[((2, 30), (4, 0))]);
    let due = cal.add_business(at("2026-03-08T00:00:00-08:00"), Duration::minutes(30));
    assert_eq!(due, Some(at("2026-03-08T03:30:00-07:00")));
    // A window wholly inside the gap has no real time that day.
    let cal = daily(Los_Angeles, &[((2, 10), (2, 50))]);
    let due = cal.add_business(at("2026-03-08T00:00:00-08:00"), Duration::minutes(10));
    assert_eq!(due, Some(at("2026-03-09T02:20:00-07:00")));
}

#[test]
fn dst_fall_back_doubled_hour_counts_twice() {
    // On 2026-11-01 01:00–02:00 happens twice in Los Angeles: the window lasts 2 real hours.
    let cal = daily(Los_Angeles, &[((1, 0), (2, 0))]);
    let start = at("2026-11-01T01:00:00-07:00");
    assert_eq!(
        cal.add_business(start, Duration::minutes(90)),
        Some(at("2026-11-01T01:30:00-08:00"))
    );
    assert_eq!(
        cal.add_business(start, Duration::hours(2)),
        Some(at("2026-11-01T02:00:00-08:00"))
    );
    // The next day's window is an ordinary hour.
    assert_eq!(
        cal.add_business(start, Duration::hours(3)),
        Some(at("2026-11-02T02:00:00-08:00"))
    );
}

#[test]
fn always_calendar_is_exact_across_both_dst_changes() {
    let cal = Calendar::always("always", Los_Angeles);
    for start in ["2026-03-07T12:34:56-08:00", "2026-10-31T23:59:00-07:00"] {
        let t = at(start);
        for hours in [1, 24, 48, 72, 24 * 10] {
            let d = Duration::hours(hours);
            assert_eq!(cal.add_business(t, d), Some(t + d), "{start} + {hours}h");
        }
    }
}

#[test]
fn timezone_change_moves_the_windows() {
    let cal = daily(Shanghai, &[((9, 0), (23, 0))]).with_timezone(Los_Angeles);
    let due = cal.add_business(at("2026-11-11T22:58:00-08:00"), Duration::minutes(5));
    assert_eq!(due, Some(at("2026-11-12T09:03:00-08:00")));
}
