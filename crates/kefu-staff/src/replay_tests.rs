use super::*;
use crate::sim::simulate;

fn arrival(at: f64, handle: f64, clocks: &[(usize, f64)]) -> Arrival {
    Arrival {
        at,
        handle_seconds: handle,
        clocks: clocks.to_vec(),
    }
}

fn day<'a>(arrivals: &'a [Arrival], roster: &'a Roster, rules: &'a [String]) -> Day<'a> {
    Day {
        arrivals,
        roster,
        rules,
        hours: 24,
        target_seconds: Some(20.0),
    }
}

fn quiet(_: usize, _: usize) {}

/// A constant roster replays `simulate`'s own arrivals into `simulate`'s day, hour by hour.
#[test]
fn a_constant_roster_gives_simulates_day() {
    for (rates, handle, agents, seed) in [
        (vec![100.0; 30], 3.0, 7, 7),
        (vec![60.0, 0.0, 120.0, 30.0, 90.0], 5.0, 6, 2),
        (vec![100.0; 12], 3.0, 4, 3),
    ] {
        let s = Scenario {
            arrivals_per_hour: rates,
            handle_minutes: handle,
            agents,
            target_seconds: 20.0,
            seed,
        };
        let expected = simulate(&s);
        let arrivals = poisson_arrivals(&s);
        // Long enough for the last queue to drain: simulate's agents never leave.
        let roster = Roster::constant(agents, s.arrivals_per_hour.len() + 1000);
        let got = replay(
            &Day {
                hours: s.arrivals_per_hour.len(),
                ..day(&arrivals, &roster, &[])
            },
            &mut quiet,
        );
        assert_eq!(got.arrivals, expected.arrivals);
        assert_eq!(got.unanswered, 0);
        assert_eq!(got.service_level, expected.service_level);
        for (g, e) in got.hours.iter().zip(&expected.hours) {
            assert_eq!(g.arrivals, e.arrivals, "hour {}", e.hour);
            assert_eq!(g.service_level, e.service_level, "hour {}", e.hour);
            assert_eq!(g.max_wait_seconds, e.max_wait_seconds, "hour {}", e.hour);
            let (gw, ew) = (g.mean_wait_seconds, e.mean_wait_seconds);
            assert!(
                gw.zip(ew).is_none_or(|(a, b)| (a - b).abs() < 1e-6)
                    && gw.is_some() == ew.is_some(),
                "hour {}: {gw:?} vs {ew:?}",
                e.hour
            );
        }
    }
}

/// An hour nobody is on shift: its messages queue until the next agent comes, and miss a
/// five-minute clock; the hour after, the desk catches up.
#[test]
fn a_gap_in_the_roster_queues_and_misses_the_clocks() {
    let rules = vec!["FIVE-MINUTES".to_string()];
    // One message every 6 minutes from 01:00 to 04:00, 2 minutes each, 5 minutes allowed.
    let arrivals: Vec<Arrival> = (0..30)
        .map(|i| arrival(3600.0 + i as f64 * 360.0, 120.0, &[(0, 300.0)]))
        .collect();
    let mut roster = Roster::constant(1, 24);
    roster.agents[2] = 0;
    let out = replay(&day(&arrivals, &roster, &rules), &mut quiet);
    assert_eq!(out.arrivals, 30);
    assert_eq!(out.unanswered, 0);
    let [h1, h2, h3] = [&out.hours[1], &out.hours[2], &out.hours[3]];
    assert_eq!(h2.agents, 0);
    assert_eq!((h1.rules[0].clocks, h1.rules[0].met), (10, 10), "{h1:?}");
    assert_eq!(h2.rules[0].met, 0, "{h2:?}");
    assert_eq!(h2.max_queue, 10, "all of hour 2 waits for 03:00");
    // Ten messages waiting from their arrival to 03:00: 5.4 on average over the hour.
    assert!((h2.mean_queue - 5.5).abs() < 0.2, "{}", h2.mean_queue);
    assert_eq!(h1.max_queue, 0);
    assert!(h2.mean_wait_seconds.unwrap() > 1500.0);
    // Ten queued plus ten new, 2 minutes each: the backlog is cleared within hour 3.
    assert!(
        h3.rules[0].met < 10 && out.hours[4].max_queue == 0,
        "{h3:?}"
    );
    assert_eq!(out.rules[0].clocks, 30);
    assert_eq!(out.rules[0].met, h1.rules[0].met + h3.rules[0].met);
}

/// An agent leaving finishes the answer in hand; what is still waiting when the roster ends
/// is unanswered and misses its clocks; a clock is met by the answer, not the pick-up.
#[test]
fn the_end_of_the_roster_and_the_time_an_answer_takes() {
    let rules = vec!["A".to_string(), "B".to_string()];
    let arrivals = [
        // Taken at once, answered 10 minutes later: within B's hour, past A's 5 minutes.
        arrival(3500.0, 600.0, &[(0, 300.0), (1, 3600.0)]),
        // The only agent is busy and then gone: never answered.
        arrival(3550.0, 60.0, &[(1, 3600.0)]),
    ];
    let roster = Roster::constant(1, 1);
    let out = replay(&day(&arrivals, &roster, &rules), &mut quiet);
    assert_eq!((out.arrivals, out.unanswered), (2, 1));
    assert_eq!((out.rules[0].clocks, out.rules[0].met), (1, 0));
    assert_eq!((out.rules[1].clocks, out.rules[1].met), (2, 1));
    assert_eq!(out.hours[0].mean_wait_seconds, Some(0.0));
    assert_eq!(out.hours[0].max_queue, 1);
    // The roster's slots can be quarter hours: nobody until 00:45, then two agents.
    let roster = Roster {
        slot_seconds: 900.0,
        agents: vec![0, 0, 0, 2],
    };
    let early = [arrival(0.0, 60.0, &[]), arrival(10.0, 60.0, &[])];
    let out = replay(&day(&early, &roster, &rules), &mut quiet);
    assert_eq!(out.hours[0].max_wait_seconds, 2700.0);
    assert_eq!(out.hours[0].agents, 2);
    assert_eq!(out.unanswered, 0);
}

#[test]
fn bad_numbers_do_not_hang_the_loop() {
    let arrivals = [
        arrival(f64::NAN, f64::INFINITY, &[(0, 10.0), (9, 1.0)]),
        arrival(-5.0, -1.0, &[]),
        arrival(1e12, 1.0, &[]),
    ];
    let roster = Roster {
        slot_seconds: 0.0,
        agents: vec![1; 4],
    };
    let rules = vec!["A".to_string()];
    let out = replay(&day(&arrivals, &roster, &rules), &mut quiet);
    assert_eq!(out.arrivals, 3);
    assert_eq!(out.unanswered, 1, "the one far past the roster");
}

#[test]
fn scaling_replays_each_arrival_and_keeps_its_clocks() {
    let arrivals: Vec<Arrival> = (0..1000)
        .map(|i| arrival(i as f64 * 80.0, 0.0, &[(0, 300.0)]))
        .collect();
    assert_eq!(scaled(&arrivals, 1.0, 900.0, 86_400.0, 1), arrivals);
    let three = scaled(&arrivals, 3.0, 900.0, 86_400.0, 1);
    assert_eq!(three.len(), 3000);
    assert!(three.iter().all(|a| (0.0..86_400.0).contains(&a.at)));
    assert!(three.iter().all(|a| a.clocks == [(0, 300.0)]));
    assert!(three.windows(2).all(|w| w[0].at <= w[1].at));
    let half = scaled(&arrivals, 2.5, 900.0, 86_400.0, 4);
    assert!((2400..2600).contains(&half.len()), "{}", half.len());
    assert_eq!(half, scaled(&arrivals, 2.5, 900.0, 86_400.0, 4));
    assert_ne!(half, scaled(&arrivals, 2.5, 900.0, 86_400.0, 5));
    assert!(scaled(&arrivals, 0.0, 900.0, 86_400.0, 1).is_empty());
}

#[test]
fn handling_times_are_drawn_from_the_history_or_a_mean() {
    let mut arrivals: Vec<Arrival> = (0..2000).map(|i| arrival(i as f64, 0.0, &[])).collect();
    let seen = Handling::Observed(vec![60.0, 120.0, 600.0]);
    with_handling(&mut arrivals, &seen, 3);
    assert!(
        arrivals
            .iter()
            .all(|a| [60.0, 120.0, 600.0].contains(&a.handle_seconds))
    );
    let mean = arrivals.iter().map(|a| a.handle_seconds).sum::<f64>() / 2000.0;
    assert!((mean - seen.mean_seconds()).abs() < 25.0, "{mean}");
    let model = Handling::Exponential {
        mean_seconds: 180.0,
    };
    with_handling(&mut arrivals, &model, 3);
    let mean = arrivals.iter().map(|a| a.handle_seconds).sum::<f64>() / 2000.0;
    assert!((mean - 180.0).abs() < 15.0, "{mean}");
    assert_eq!(Handling::Observed(vec![]).mean_seconds(), 0.0);
}
