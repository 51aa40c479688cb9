//! Erlang C. With `agents` agents, buyers arriving at `arrivals_per_hour` and each taking
//! `handle_minutes` on average, the offered load is `a = arrivals_per_hour × handle_minutes /
//! 60` Erlangs. The chance an arrival waits is Erlang C, computed through the Erlang B
//! recursion (stable for hundreds of agents); the service level within `target_seconds` is
//! `1 − C · e^{−(c − a) · target / handle}`. With no more agents than the load, the queue
//! grows without end: everyone waits and the service level is 0.

/// The chance that an arrival has to wait, for `agents` agents and a load of `erlangs`.
pub fn erlang_c(agents: u32, erlangs: f64) -> f64 {
    let c = f64::from(agents);
    if agents == 0 || erlangs >= c {
        return 1.0;
    }
    if erlangs <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for k in 1..=agents {
        b = erlangs * b / (f64::from(k) + erlangs * b);
    }
    c * b / (c - erlangs * (1.0 - b))
}

/// The share of arrivals answered within `target_seconds`.
pub fn service_level(
    agents: u32,
    arrivals_per_hour: f64,
    handle_minutes: f64,
    target_seconds: f64,
) -> f64 {
    let erlangs = arrivals_per_hour * handle_minutes / 60.0;
    let c = f64::from(agents);
    if agents == 0 || erlangs >= c {
        return 0.0;
    }
    if handle_minutes <= 0.0 {
        return 1.0;
    }
    let wait = erlang_c(agents, erlangs);
    (1.0 - wait * (-(c - erlangs) * target_seconds / (handle_minutes * 60.0)).exp()).clamp(0.0, 1.0)
}

/// The fewest agents whose service level within `target_seconds` reaches `wanted` (0..1).
pub fn agents_needed(
    arrivals_per_hour: f64,
    handle_minutes: f64,
    target_seconds: f64,
    wanted: f64,
) -> u32 {
    let erlangs = arrivals_per_hour * handle_minutes / 60.0;
    let mut agents = erlangs.floor() as u32 + 1;
    while service_level(agents, arrivals_per_hour, handle_minutes, target_seconds) < wanted {
        agents += 1;
        if agents > 100_000 {
            break;
        }
    }
    agents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        // 2 Erlangs on 3 agents: C = 4/9 (the classic worked example).
        assert!((erlang_c(3, 2.0) - 4.0 / 9.0).abs() < 1e-12);
        // One agent: C is the utilisation.
        assert!((erlang_c(1, 0.6) - 0.6).abs() < 1e-12);
        assert_eq!(erlang_c(2, 2.0), 1.0);
        assert_eq!(erlang_c(4, 0.0), 0.0);
    }

    #[test]
    fn service_level_and_the_agents_it_takes() {
        // 100 arrivals an hour of 3 minutes each: 5 Erlangs.
        let sl = |c| service_level(c, 100.0, 3.0, 20.0);
        assert_eq!(sl(5), 0.0);
        assert!(sl(6) < sl(7) && sl(7) < sl(8));
        let n = agents_needed(100.0, 3.0, 20.0, 0.8);
        assert!(sl(n) >= 0.8 && sl(n - 1) < 0.8, "{n}");
        // Hundreds of agents stay finite (the recursion, not factorials).
        let big = service_level(400, 7_000.0, 3.0, 20.0);
        assert!(big.is_finite() && big > 0.0);
    }
}
