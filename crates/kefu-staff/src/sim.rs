//! A day at the desk, simulated event by event: buyers arrive as a Poisson process (at each
//! hour's own rate), each takes an exponentially distributed time to handle, and `agents`
//! agents answer them first come, first served. Each arrival goes to the agent free
//! soonest — with identical agents that is exactly FCFS — so a day of n arrivals costs
//! n·log(agents). The generator is SplitMix64, seeded by the caller: the same scenario and
//! seed give the same day.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::Serialize;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Arrivals per hour, one rate per simulated hour.
    pub arrivals_per_hour: Vec<f64>,
    pub handle_minutes: f64,
    pub agents: u32,
    pub target_seconds: f64,
    pub seed: u64,
}

/// One hour of the simulated day (by arrival time).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hour {
    pub hour: usize,
    pub arrivals: u64,
    /// Answered within the target time.
    pub within_target: u64,
    pub service_level: Option<f64>,
    pub mean_wait_seconds: Option<f64>,
    pub max_wait_seconds: f64,
}

/// The simulated day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub arrivals: u64,
    pub service_level: Option<f64>,
    pub mean_wait_seconds: Option<f64>,
    pub hours: Vec<Hour>,
}

/// SplitMix64: small, fast, and good enough for queueing.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    pub(crate) fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Exponential with the given mean.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }
}

/// Non-negative seconds as an ordered key (the bits of a non-negative f64 sort as it does).
fn key(seconds: f64) -> u64 {
    seconds.max(0.0).to_bits()
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Simulates the scenario.
pub fn simulate(s: &Scenario) -> Outcome {
    let mut rng = Rng(s.seed);
    let handle = s.handle_minutes.max(0.0) * 60.0;
    let mut free: BinaryHeap<Reverse<u64>> =
        (0..s.agents.max(1)).map(|_| Reverse(key(0.0))).collect();
    let mut hours: Vec<Hour> = Vec::with_capacity(s.arrivals_per_hour.len());
    let mut wait_sums = Vec::with_capacity(s.arrivals_per_hour.len());
    let mut t: f64 = 0.0;
    for (h, &rate) in s.arrivals_per_hour.iter().enumerate() {
        let mut hour = Hour {
            hour: h,
            ..Hour::default()
        };
        let mut waited = 0.0;
        let end = (h + 1) as f64 * 3600.0;
        t = t.max(h as f64 * 3600.0);
        if rate > 0.0 {
            loop {
                t += rng.exponential(3600.0 / rate);
                if t >= end {
                    // Memoryless: the next hour starts its own arrivals at its start.
                    t = end;
                    break;
                }
                let Reverse(next_free) = free.pop().unwrap_or(Reverse(0));
                let start = f64::from_bits(next_free).max(t);
                let wait = start - t;
                free.push(Reverse(key(start + rng.exponential(handle))));
                hour.arrivals += 1;
                hour.within_target += u64::from(wait <= s.target_seconds);
                hour.max_wait_seconds = hour.max_wait_seconds.max(wait);
                waited += wait;
            }
        }
        wait_sums.push(waited);
        hour.service_level = ratio(hour.within_target, hour.arrivals);
        hour.mean_wait_seconds = (hour.arrivals > 0).then(|| waited / hour.arrivals as f64);
        hours.push(hour);
    }
    let arrivals: u64 = hours.iter().map(|h| h.arrivals).sum();
    let within: u64 = hours.iter().map(|h| h.within_target).sum();
    let waited: f64 = wait_sums.iter().sum();
    Outcome {
        arrivals,
        service_level: ratio(within, arrivals),
        mean_wait_seconds: (arrivals > 0).then(|| waited / arrivals as f64),
        hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang::service_level;

    fn steady(rate: f64, handle: f64, agents: u32, hours: usize, seed: u64) -> Scenario {
        Scenario {
            arrivals_per_hour: vec![rate; hours],
            handle_minutes: handle,
            agents,
            target_seconds: 20.0,
            seed,
        }
    }

    /// Over long runs the simulated M/M/c queue gives Erlang C's service level (within 0.02).
    #[test]
    fn long_runs_agree_with_erlang_c() {
        for (rate, handle, agents) in [(100.0, 3.0, 7), (60.0, 5.0, 6), (300.0, 2.0, 12)] {
            let out = simulate(&steady(rate, handle, agents, 2_000, 7));
            let closed = service_level(agents, rate, handle, 20.0);
            let sim = out.service_level.unwrap();
            assert!(
                (sim - closed).abs() < 0.02,
                "{rate}/h, {handle} min, {agents}: {sim} vs {closed}"
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_day_and_quiet_hours_stay_quiet() {
        let mut s = steady(50.0, 4.0, 4, 6, 1);
        s.arrivals_per_hour[2] = 0.0;
        let a = simulate(&s);
        assert_eq!(a, simulate(&s));
        assert_eq!(a.hours.len(), 6);
        assert_eq!(a.hours[2].arrivals, 0);
        assert_eq!(a.hours[2].service_level, None);
        assert_ne!(a, simulate(&Scenario { seed: 2, ..s }));
    }

    #[test]
    fn too_few_agents_make_the_wait_grow() {
        let out = simulate(&steady(100.0, 3.0, 4, 12, 3));
        let first = out.hours[0].mean_wait_seconds.unwrap();
        let last = out.hours[11].mean_wait_seconds.unwrap();
        assert!(last > first * 5.0, "{first} → {last}");
        assert!(out.service_level.unwrap() < 0.3);
    }
}
