//! A day of real arrivals replayed against a roster (issue 13, `kefu simulate --day`): each
//! buyer message that waits for an answer arrives at its own time with the clocks it started
//! (the rule and how long it may wait, from the store), agents come and go with the roster's
//! slots, and the desk answers first come, first served.
//!
//! The roster changes only at slot boundaries and an agent who goes off shift finishes the
//! answer in hand (nobody drops a half-written reply), so the number answering at once is
//! `min(busy, on shift)` with no pre-emption. An answer goes out when its handling ends: a
//! clock is met when `wait + handling ≤ allowed`, because the buyer sees the reply, not the
//! moment an agent opened the thread. Messages still waiting when the roster ends are
//! unanswered and miss every clock they started.
//!
//! With a constant roster and the arrivals `simulate` draws ([`poisson_arrivals`]) this gives
//! exactly `simulate`'s day (a unit test holds it to that), so the two engines cannot drift.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::Serialize;

use crate::sim::{Rng, Scenario};

const HOUR: f64 = 3600.0;
/// Progress is reported after this many answers (and at the end).
const PROGRESS_EVERY: usize = 1 << 16;

/// One buyer message that waits for the desk's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// Seconds from the start of the simulated day.
    pub at: f64,
    /// How long an agent takes to answer it, in seconds.
    pub handle_seconds: f64,
    /// The clocks it started: the rule (an index into [`Day::rules`]) and the seconds it may
    /// wait for the answer (the clock's due time minus the arrival).
    pub clocks: Vec<(usize, f64)>,
}

/// Agents on shift per slot of `slot_seconds` from the start of the day; nobody after the
/// last slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    pub slot_seconds: f64,
    pub agents: Vec<u32>,
}

impl Roster {
    /// `agents` agents for `hours` hours.
    pub fn constant(agents: u32, hours: usize) -> Roster {
        Roster {
            slot_seconds: HOUR,
            agents: vec![agents; hours],
        }
    }

    fn on_shift(&self, slot: usize) -> usize {
        self.agents.get(slot).copied().unwrap_or(0) as usize
    }

    /// The most agents on shift at any slot that starts in hour `h`.
    fn most_in_hour(&self, h: usize) -> u32 {
        let (from, to) = (h as f64 * HOUR, (h + 1) as f64 * HOUR);
        (0..self.agents.len())
            .filter(|&s| {
                let start = s as f64 * self.slot_seconds;
                start + self.slot_seconds > from && start < to
            })
            .map(|s| self.agents[s])
            .max()
            .unwrap_or(0)
    }
}

/// What to replay.
#[derive(Debug, Clone, Copy)]
pub struct Day<'a> {
    pub arrivals: &'a [Arrival],
    pub roster: &'a Roster,
    /// The rules the arrivals' clocks name, by index.
    pub rules: &'a [String],
    /// The hours reported (arrivals later than the last count in it).
    pub hours: usize,
    /// A wait that counts as answered in time for `service_level` (Erlang's measure), if any.
    pub target_seconds: Option<f64>,
}

/// How the day went for one rule's clocks (in an hour, by arrival, or over the day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleShare {
    pub rule: String,
    pub clocks: u64,
    pub met: u64,
    pub share_met: Option<f64>,
}

/// One hour of the replayed day: arrivals, waits and clocks by the hour the message came in,
/// the queue (messages waiting for an agent) by the clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayHour {
    pub hour: usize,
    /// The most agents on shift in the hour.
    pub agents: u32,
    pub arrivals: u64,
    pub unanswered: u64,
    pub service_level: Option<f64>,
    pub mean_wait_seconds: Option<f64>,
    pub max_wait_seconds: f64,
    /// Time-weighted mean of the messages waiting for an agent.
    pub mean_queue: f64,
    pub max_queue: u64,
    pub rules: Vec<RuleShare>,
}

/// The replayed day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub arrivals: u64,
    pub unanswered: u64,
    pub service_level: Option<f64>,
    pub mean_wait_seconds: Option<f64>,
    pub max_wait_seconds: f64,
    pub max_queue: u64,
    pub rules: Vec<RuleShare>,
    pub hours: Vec<ReplayHour>,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Non-negative seconds as an ordered key (the bits of a non-negative f64 sort as it does).
fn key(seconds: f64) -> u64 {
    seconds.max(0.0).to_bits()
}

/// A number the event loop can order: NaN and infinities become 0.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

#[derive(Default)]
struct HourTally {
    arrivals: u64,
    unanswered: u64,
    within: u64,
    waited: f64,
    answered: u64,
    max_wait: f64,
    queue_area: f64,
    max_queue: u64,
    /// Per rule: clocks, met.
    rules: Vec<(u64, u64)>,
}

struct Tally<'a> {
    day: &'a Day<'a>,
    hours: Vec<HourTally>,
}

impl<'a> Tally<'a> {
    fn new(day: &'a Day<'a>) -> Tally<'a> {
        let hours = (0..day.hours.max(1))
            .map(|_| HourTally {
                rules: vec![(0, 0); day.rules.len()],
                ..HourTally::default()
            })
            .collect();
        Tally { day, hours }
    }

    fn hour_of(&mut self, at: f64) -> &mut HourTally {
        let last = self.hours.len() - 1;
        &mut self.hours[((at / HOUR) as usize).min(last)]
    }

    /// `a`, arrived at `at`, was taken by an agent after waiting `wait` seconds (`None`:
    /// never).
    fn settled(&mut self, at: f64, a: &Arrival, wait: Option<f64>) {
        let target = self.day.target_seconds;
        let h = self.hour_of(at);
        h.arrivals += 1;
        match wait {
            Some(w) => {
                h.answered += 1;
                h.waited += w;
                h.max_wait = h.max_wait.max(w);
                h.within += u64::from(target.is_some_and(|t| w <= t));
            }
            None => h.unanswered += 1,
        }
        let answered_after = wait.map(|w| w + finite(a.handle_seconds));
        for &(rule, allowed) in &a.clocks {
            if let Some(r) = h.rules.get_mut(rule) {
                r.0 += 1;
                r.1 += u64::from(answered_after.is_some_and(|s| s <= allowed));
            }
        }
    }

    /// `waiting` messages waited from `from` to `to`.
    fn queued(&mut self, from: f64, to: f64, waiting: usize) {
        if waiting == 0 || to <= from {
            return;
        }
        let mut t = from;
        while t < to {
            let h = (t / HOUR) as usize;
            if h >= self.hours.len() {
                return;
            }
            let edge = ((h + 1) as f64 * HOUR).min(to);
            self.hours[h].queue_area += (edge - t) * waiting as f64;
            t = edge;
        }
    }

    fn peak(&mut self, at: f64, waiting: usize) {
        if ((at / HOUR) as usize) < self.hours.len() {
            let h = self.hour_of(at);
            h.max_queue = h.max_queue.max(waiting as u64);
        }
    }

    fn finish(self) -> Replay {
        let rules = self.day.rules;
        let shares = |counts: &[(u64, u64)]| -> Vec<RuleShare> {
            rules
                .iter()
                .zip(counts)
                .map(|(rule, &(clocks, met))| RuleShare {
                    rule: rule.clone(),
                    clocks,
                    met,
                    share_met: ratio(met, clocks),
                })
                .collect()
        };
        let target = self.day.target_seconds.is_some();
        let mut totals = vec![(0, 0); rules.len()];
        let (mut arrivals, mut unanswered, mut within, mut answered) = (0, 0, 0, 0);
        let (mut waited, mut max_wait, mut max_queue) = (0.0, 0.0f64, 0);
        let mut hours = Vec::with_capacity(self.hours.len());
        for (i, h) in self.hours.into_iter().enumerate() {
            for (t, r) in totals.iter_mut().zip(&h.rules) {
                (t.0, t.1) = (t.0 + r.0, t.1 + r.1);
            }
            arrivals += h.arrivals;
            unanswered += h.unanswered;
            within += h.within;
            answered += h.answered;
            waited += h.waited;
            max_wait = max_wait.max(h.max_wait);
            max_queue = max_queue.max(h.max_queue);
            hours.push(ReplayHour {
                hour: i,
                agents: self.day.roster.most_in_hour(i),
                arrivals: h.arrivals,
                unanswered: h.unanswered,
                service_level: ratio(h.within, h.arrivals).filter(|_| target),
                mean_wait_seconds: (h.answered > 0).then(|| h.waited / h.answered as f64),
                max_wait_seconds: h.max_wait,
                mean_queue: h.queue_area / HOUR,
                max_queue: h.max_queue,
                rules: shares(&h.rules),
            });
        }
        Replay {
            arrivals,
            unanswered,
            service_level: ratio(within, arrivals).filter(|_| target),
            mean_wait_seconds: (answered > 0).then(|| waited / answered as f64),
            max_wait_seconds: max_wait,
            max_queue,
            rules: shares(&totals),
            hours,
        }
    }
}

/// Replays the day, event by event; `progress(answered, arrivals)` is called now and then.
pub fn replay(day: &Day<'_>, progress: &mut dyn FnMut(usize, usize)) -> Replay {
    let mut order: Vec<(f64, usize)> = day
        .arrivals
        .iter()
        .enumerate()
        .map(|(i, a)| (finite(a.at), i))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let slot_seconds = if day.roster.slot_seconds > 0.0 {
        day.roster.slot_seconds
    } else {
        HOUR
    };
    let end = day.roster.agents.len() as f64 * slot_seconds;
    let mut tally = Tally::new(day);
    let mut busy: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let mut queue: VecDeque<(f64, usize)> = VecDeque::new();
    let (mut next, mut slot, mut t, mut taken) = (0, 0usize, 0.0f64, 0usize);
    loop {
        let arrival = order.get(next).map(|a| a.0);
        let done = busy.peek().map(|Reverse(k)| f64::from_bits(*k));
        // The roster matters only to messages waiting for someone to come on shift.
        let boundary = (!queue.is_empty())
            .then(|| (slot + 1) as f64 * slot_seconds)
            .filter(|&b| b < end);
        let Some(now) = [arrival, done, boundary]
            .into_iter()
            .flatten()
            .reduce(f64::min)
        else {
            break;
        };
        tally.queued(t, now, queue.len());
        t = now;
        while (slot + 1) as f64 * slot_seconds <= t {
            slot += 1;
        }
        // An agent who finishes at `t` can take a message that arrives at `t`.
        while busy
            .peek()
            .is_some_and(|Reverse(k)| f64::from_bits(*k) <= t)
        {
            busy.pop();
        }
        while let Some(&a) = order.get(next).filter(|a| a.0 <= t) {
            queue.push_back(a);
            next += 1;
        }
        while busy.len() < day.roster.on_shift(slot)
            && let Some((at, i)) = queue.pop_front()
        {
            let a = &day.arrivals[i];
            busy.push(Reverse(key(t + finite(a.handle_seconds))));
            tally.settled(at, a, Some(t - at));
            taken += 1;
            if taken.is_multiple_of(PROGRESS_EVERY) {
                progress(taken, order.len());
            }
        }
        tally.peak(t, queue.len());
    }
    for (at, i) in queue {
        tally.settled(at, &day.arrivals[i], None);
    }
    progress(order.len(), order.len());
    tally.finish()
}

/// How long answers take.
#[derive(Debug, Clone, PartialEq)]
pub enum Handling {
    /// Exponentially distributed with this mean.
    Exponential { mean_seconds: f64 },
    /// Drawn from these observed times (with replacement).
    Observed(Vec<f64>),
}

impl Handling {
    fn draw(&self, rng: &mut Rng) -> f64 {
        match self {
            Handling::Exponential { mean_seconds } => rng.exponential(finite(*mean_seconds)),
            Handling::Observed(times) if times.is_empty() => 0.0,
            Handling::Observed(times) => finite(times[(rng.next() % times.len() as u64) as usize]),
        }
    }

    /// The mean handling time in seconds.
    pub fn mean_seconds(&self) -> f64 {
        match self {
            Handling::Exponential { mean_seconds } => *mean_seconds,
            Handling::Observed(t) if t.is_empty() => 0.0,
            Handling::Observed(t) => t.iter().sum::<f64>() / t.len() as f64,
        }
    }
}

/// Gives every arrival a handling time drawn from `handling` (seeded).
pub fn with_handling(arrivals: &mut [Arrival], handling: &Handling, seed: u64) {
    let mut rng = Rng(seed);
    for a in arrivals {
        a.handle_seconds = handling.draw(&mut rng);
    }
}

/// The day's arrivals `scale` times over (a Black Friday: 3): each is replayed ⌊scale⌋ times,
/// and once more with the chance of the fraction left; the first replay keeps its time, the
/// others move by up to `jitter_seconds` either way (kept within `[0, day_seconds)`) so that
/// copies do not land on the same instant. Each copy keeps its clocks' allowed waits. Seeded.
pub fn scaled(
    arrivals: &[Arrival],
    scale: f64,
    jitter_seconds: f64,
    day_seconds: f64,
    seed: u64,
) -> Vec<Arrival> {
    let scale = finite(scale);
    let mut rng = Rng(seed);
    let whole = scale.floor() as u64;
    let fraction = scale - scale.floor();
    let mut out = Vec::with_capacity((arrivals.len() as f64 * scale.ceil()) as usize);
    for a in arrivals {
        let copies = whole + u64::from(fraction > 0.0 && rng.unit() <= fraction);
        for c in 0..copies {
            let mut copy = a.clone();
            if c > 0 {
                let shift = (rng.unit() * 2.0 - 1.0) * jitter_seconds;
                copy.at = (a.at + shift).clamp(0.0, (day_seconds - 1.0).max(0.0));
            }
            out.push(copy);
        }
    }
    out.sort_by(|a, b| a.at.total_cmp(&b.at));
    out
}

/// The arrivals and handling times [`crate::simulate`] draws for `s`, in the same order from
/// the same generator (no clocks): replaying them on `s.agents` agents gives `simulate`'s day.
pub fn poisson_arrivals(s: &Scenario) -> Vec<Arrival> {
    let mut rng = Rng(s.seed);
    let handle = s.handle_minutes.max(0.0) * 60.0;
    let mut out = Vec::new();
    let mut t: f64 = 0.0;
    for (h, &rate) in s.arrivals_per_hour.iter().enumerate() {
        let end = (h + 1) as f64 * HOUR;
        t = t.max(h as f64 * HOUR);
        if rate > 0.0 {
            loop {
                t += rng.exponential(HOUR / rate);
                if t >= end {
                    t = end;
                    break;
                }
                out.push(Arrival {
                    at: t,
                    handle_seconds: rng.exponential(handle),
                    clocks: Vec::new(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
