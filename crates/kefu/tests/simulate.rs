//! `kefu simulate` against the real binary (issue 13's contract): the simulated service level
//! agrees with Erlang C's over a long run, `agents_needed` is the fewest that reach 80 %, the
//! day is drawn as SVG, and bad input is a clear error. With `--day`, a store's day of known
//! history is replayed against its agents' shifts, per hour and per rule, scaled, and drawn.

mod common;
#[path = "replay/day.rs"]
mod replay_day;

use common::kefu;
use serde_json::Value;

fn simulate(args: &[&str]) -> Value {
    let out = kefu().arg("simulate").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn a_long_run_agrees_with_erlang_c_and_says_how_many_agents_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("day.svg");
    let v = simulate(&[
        "--arrivals-per-hour",
        "100",
        "--handle-minutes",
        "3",
        "--agents",
        "7",
        "--target-seconds",
        "20",
        "--hours",
        "1500",
        "--seed",
        "5",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let (sim, closed) = (
        v["service_level"].as_f64().unwrap(),
        v["erlang_c_service_level"].as_f64().unwrap(),
    );
    assert!((sim - closed).abs() < 0.02, "{sim} vs {closed}");
    assert!(v["mean_wait_seconds"].as_f64().unwrap() > 0.0);
    // 5 Erlangs at 20 s: 7 agents answer ~74 % in time, 8 reach 80 %.
    assert_eq!(v["agents_needed"], 8, "{v}");
    assert_eq!(v["hours"].as_array().unwrap().len(), 1500);
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.starts_with("<figure") && drawn.contains("<svg"),
        "{drawn}"
    );
    // The same seed gives the same day.
    let again = simulate(&[
        "--arrivals-per-hour",
        "100",
        "--handle-minutes",
        "3",
        "--agents",
        "7",
        "--target-seconds",
        "20",
        "--hours",
        "1500",
        "--seed",
        "5",
    ]);
    assert_eq!(again["service_level"], v["service_level"]);
}

#[test]
fn bad_input_is_a_clear_error() {
    for (args, says) in [
        (vec!["--agents", "0"], "--agents"),
        (vec!["--agents", "3", "--hours", "0"], "--hours"),
    ] {
        let mut all = vec![
            "simulate",
            "--arrivals-per-hour",
            "10",
            "--handle-minutes",
            "3",
            "--target-seconds",
            "20",
        ];
        all.extend(args);
        let out = kefu().args(&all).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}
