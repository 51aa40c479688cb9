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

const TRIGGERS: [Trigger; 6] = [
    Trigger::BuyerMessage { first: true },
    Trigger::BuyerMessage { first: false },
    Trigger::ComplexIssue,
    Trigger::ResolutionOffered,
    Trigger::AfterSalesRequest,
    Trigger::CollectiveComplaint,
];

#[test]
fn due_is_never_before_received_and_one_binding_per_group() {
    let set = PackSet::embedded().unwrap();
    let mut rng = Lcg(7);
    for _ in 0..400 {
        let received = rng.instant();
        for id in set.ids() {
            for trigger in TRIGGERS {
                let input = DeadlineInput {
                    received,
                    order_total: Some(("750".parse().unwrap(), "USD".into())),
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
