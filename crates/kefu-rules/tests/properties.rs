//! Property-style checks over many instants (plain loops with a fixed pseudo-random walk):
//! a due time is never before the event, a 24/7 clock is exactly `received + d`, business
//! time adds up, and later events are never due earlier.

use chrono::{DateTime, Duration, Utc, Weekday};
use kefu_rules::{Calendar, DeadlineInput, PackSet, Trigger, WeeklyWindow, deadlines};

/// A small deterministic generator (64-bit LCG) so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An instant in 2025–2028 (covers several DST changes in every zone).
    fn instant(&mut self) -> DateTime<Utc> {
        let base = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        base + Duration::seconds(self.below(4 * 365 * 86_400) as i64)
    }
}

const TRIGGERS: [Trigger; 7] = [
    Trigger::BuyerMessage { first: true },
    Trigger::BuyerMessage { first: false },
    Trigger::ComplexIssue,
    Trigger::ResolutionOffered,
    Trigger::AfterSalesRequest,
    Trigger::CollectiveComplaint,
    Trigger::ComplaintRecorded,
];

#[test]
fn due_is_never_before_received_and_one_binding_per_group() {
    let set = PackSet::embedded().unwrap();
    let mut rng = Lcg(7);
    for _ in 0..400 {
        let received = rng.instant();
        // Every channel, so that channel-bound clocks (GEN-FIRST-30S) are in the groups too.
        let all = kefu_rules::Channel::ALL;
        let channel = all[rng.below(all.len() as u64) as usize];
        for id in set.ids() {
            for trigger in TRIGGERS {
                let input = DeadlineInput {
                    received,
                    order_total: Some(("750".parse().unwrap(), "USD".into())),
                    items: Vec::new(),
                    channel: Some(channel),
                    trigger,
                };
                let list = deadlines(set.get(id).unwrap(), &input);
                for (i, d) in list.iter().enumerate() {
                    assert!(d.due >= received, "{id} {d:?}");
                    // The binding one of a group is its first earliest member.
                    let same = |o: &&kefu_rules::Deadline| {
                        o.clock.act() == d.clock.act() && o.severity == d.severity
                    };
                    let min = list.iter().filter(same).map(|o| o.due).min().unwrap();
                    let first_min = list.iter().position(|o| same(&o) && o.due == min);
                    assert_eq!(d.binding, first_min == Some(i), "{id} {list:#?}");
                }
            }
        }
    }
}

#[test]
fn always_calendar_adds_exactly_d() {
    let mut rng = Lcg(11);
    let zones = [
        chrono_tz::America::Los_Angeles,
        chrono_tz::Europe::Berlin,
        chrono_tz::Asia::Shanghai,
        chrono_tz::Australia::Lord_Howe, // 30-minute DST shift
        chrono_tz::UTC,
    ];
    for tz in zones {
        let cal = Calendar::always("always", tz);
        for _ in 0..2_000 {
            let t = rng.instant();
            let d = Duration::seconds(rng.below(30 * 86_400) as i64 + 1);
            assert_eq!(cal.add_business(t, d), Some(t + d), "{tz} {t} {d}");
        }
    }
}

fn shifts(tz: chrono_tz::Tz) -> Calendar {
    let mut windows = Vec::new();
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        windows.push(WeeklyWindow::hm(day, (1, 30), (2, 45)).unwrap()); // DST-prone hours
        windows.push(WeeklyWindow::hm(day, (9, 0), (12, 0)).unwrap());
        windows.push(WeeklyWindow::hm(day, (13, 0), (18, 0)).unwrap());
    }
    windows.push(WeeklyWindow::hm(Weekday::Sat, (20, 0), (24, 0)).unwrap());
    Calendar::new("shifts", tz, &windows)
}

#[test]
fn business_time_is_additive_and_monotonic() {
    let mut rng = Lcg(23);
    for tz in [chrono_tz::America::Los_Angeles, chrono_tz::Europe::Berlin] {
        let cal = shifts(tz);
        for _ in 0..2_000 {
            let t = rng.instant();
            let a = Duration::seconds(rng.below(20 * 3600) as i64 + 1);
            let b = Duration::seconds(rng.below(20 * 3600) as i64 + 1);
            let direct = cal.add_business(t, a + b).unwrap();
            let mid = cal.add_business(t, a).unwrap();
            assert!(mid > t);
            assert_eq!(
                cal.add_business(mid, b).unwrap(),
                direct,
                "{tz} {t} {a} {b}"
            );
            let later = t + Duration::seconds(rng.below(86_400) as i64);
            assert!(cal.add_business(later, a).unwrap() >= mid);
            // The clock ends inside (or at the end of) a window.
            let just_before = direct - Duration::seconds(1);
            assert!(cal.is_open(just_before), "{tz} {direct}");
        }
    }
}

/// Zones with and without DST, including a 30-minute shift and the southern hemisphere.
const ZONES: [chrono_tz::Tz; 8] = [
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Europe::London,
    chrono_tz::Asia::Shanghai,
    chrono_tz::Australia::Sydney,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::UTC,
];

const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A random calendar: on each open weekday one to three windows (split shifts, some ending
/// at 24:00, some in the DST-prone small hours), a random zone and random holidays.
fn random_calendar(rng: &mut Lcg) -> Calendar {
    let tz = ZONES[rng.below(ZONES.len() as u64) as usize];
    let mut windows = Vec::new();
    for day in DAYS {
        if rng.below(4) == 0 {
            continue; // a day off every week
        }
        let mut t = rng.below(10 * 4) as u32 * 900; // start before 10:00, on a quarter hour
        for _ in 0..=rng.below(3) {
            let len = (rng.below(6 * 4) as u32 + 1) * 900;
            let end = (t + len).min(86_400);
            if t < end {
                windows.push(WeeklyWindow::new(day, t, end).unwrap());
            }
            t = end + rng.below(3 * 4) as u32 * 900 + 900; // a break between shifts
            if t >= 86_400 {
                break;
            }
        }
    }
    if windows.is_empty() {
        windows.push(WeeklyWindow::hm(Weekday::Wed, (9, 0), (17, 0)).unwrap());
    }
    let base = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let holidays: Vec<_> = (0..rng.below(40))
        .map(|_| base + chrono::Days::new(rng.below(4 * 365)))
        .collect();
    Calendar::new("random", tz, &windows).with_holidays(holidays)
}

#[test]
fn random_calendars_due_after_received_and_additive() {
    let mut rng = Lcg(31);
    for _ in 0..300 {
        let cal = random_calendar(&mut rng);
        for _ in 0..20 {
            let t = rng.instant();
            let a = Duration::seconds(rng.below(30 * 3600) as i64 + 1);
            let b = Duration::seconds(rng.below(30 * 3600) as i64 + 1);
            let direct = cal.add_business(t, a + b).expect("calendar has windows");
            let mid = cal.add_business(t, a).unwrap();
            assert!(mid > t, "{cal:?} {t} {a}");
            assert!(direct > mid, "{cal:?} {t} {a} {b}");
            assert_eq!(
                cal.add_business(mid, b),
                Some(direct),
                "{cal:?} {t} {a} {b}"
            );
            // The clock only runs in open time: it ends inside a window.
            assert!(
                cal.is_open(direct - Duration::seconds(1)),
                "{cal:?} {direct}"
            );
            assert!(
                !cal.is_day_off(direct.with_timezone(&cal.timezone()).date_naive()) || {
                    // A window ending at 24:00 ends at the next day's 00:00.
                    let local = direct.with_timezone(&cal.timezone());
                    local.time() == chrono::NaiveTime::MIN
                }
            );
        }
    }
}

#[test]
fn random_zones_always_calendar_is_exact() {
    let mut rng = Lcg(37);
    for _ in 0..5_000 {
        let tz = ZONES[rng.below(ZONES.len() as u64) as usize];
        let cal = Calendar::always("always", tz);
        let t = rng.instant();
        let d = Duration::seconds(rng.below(60 * 86_400) as i64 + 1);
        assert_eq!(cal.add_business(t, d), Some(t + d), "{tz} {t} {d}");
    }
}

/// A 09:00–17:00 day holds 8 working hours on DST change days too: neither lost nor doubled.
#[test]
fn dst_days_keep_eight_working_hours() {
    let days = [
        (chrono_tz::America::Los_Angeles, "2026-03-08"),
        (chrono_tz::America::Los_Angeles, "2026-11-01"),
        (chrono_tz::Europe::Berlin, "2026-03-29"),
        (chrono_tz::Europe::Berlin, "2026-10-25"),
        (chrono_tz::Australia::Sydney, "2026-04-05"),
        (chrono_tz::Australia::Sydney, "2026-10-04"),
        (chrono_tz::Australia::Lord_Howe, "2026-04-05"),
    ];
    for (tz, date) in days {
        let windows: Vec<WeeklyWindow> = DAYS
            .iter()
            .map(|&d| WeeklyWindow::hm(d, (9, 0), (17, 0)).unwrap())
            .collect();
        let cal = Calendar::new("office", tz, &windows);
        let day: chrono::NaiveDate = date.parse().unwrap();
        let local = |h: u32, m: u32, s: u32| {
            use chrono::TimeZone;
            tz.from_local_datetime(&day.and_hms_opt(h, m, s).unwrap())
                .single()
                .unwrap()
                .with_timezone(&Utc)
        };
        let nine = local(9, 0, 0);
        assert_eq!(
            cal.add_business(nine, Duration::hours(8)),
            Some(local(17, 0, 0)),
            "{tz} {date}"
        );
        // One second more runs into the next morning: the day held exactly 8 hours.
        let next = cal
            .add_business(nine, Duration::hours(8) + Duration::seconds(1))
            .unwrap();
        let next_local = next.with_timezone(&tz);
        assert_eq!(
            next_local.date_naive(),
            day.succ_opt().unwrap(),
            "{tz} {date}"
        );
        assert_eq!(next_local.format("%H:%M:%S").to_string(), "09:00:01");
        // From the previous day's closing, the change day's 8 hours come whole.
        let prev_close = {
            use chrono::TimeZone;
            let prev = day.pred_opt().unwrap().and_hms_opt(17, 0, 0).unwrap();
            tz.from_local_datetime(&prev)
                .single()
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            cal.add_business(prev_close, Duration::hours(8)),
            Some(local(17, 0, 0))
        );
    }
}
