//! `kefu simulate` (issue 13): a day at the desk simulated event by event against a number of
//! agents (`kefu_staff::sim`), beside Erlang C's closed form for the same inputs and the
//! fewest agents that answer 80 % of buyers within the target. Prints JSON as its last line;
//! `--svg FILE` draws the day (arrivals per hour and the share answered in time).

use anyhow::Context;
use kefu_server::ui::chart::{DailyChart, Line, daily};
use kefu_staff::{Scenario, agents_needed, service_level, simulate};

/// The service level `agents_needed` aims at.
const WANTED: f64 = 0.8;

#[derive(clap::Args)]
pub struct Args {
    /// Buyers arriving per hour (a Poisson process).
    #[arg(long)]
    arrivals_per_hour: f64,
    /// Mean handling time in minutes (exponentially distributed).
    #[arg(long)]
    handle_minutes: f64,
    /// Agents answering, first come first served.
    #[arg(long)]
    agents: u32,
    /// An arrival is answered in time when it waits at most this long.
    #[arg(long)]
    target_seconds: f64,
    /// Hours to simulate.
    #[arg(long, default_value_t = 24)]
    hours: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also draw the day as an SVG chart into this file.
    #[arg(long)]
    svg: Option<std::path::PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.arrivals_per_hour >= 0.0 && a.arrivals_per_hour.is_finite(),
        "--arrivals-per-hour must be a number of 0 or more"
    );
    anyhow::ensure!(
        a.handle_minutes > 0.0 && a.handle_minutes.is_finite(),
        "--handle-minutes must be more than 0"
    );
    anyhow::ensure!(a.agents > 0, "--agents must be at least 1");
    anyhow::ensure!(
        a.target_seconds >= 0.0 && a.target_seconds.is_finite(),
        "--target-seconds must be 0 or more"
    );
    anyhow::ensure!(
        (1..=24 * 366).contains(&a.hours),
        "--hours must be 1 to 8784"
    );
    let scenario = Scenario {
        arrivals_per_hour: vec![a.arrivals_per_hour; a.hours],
        handle_minutes: a.handle_minutes,
        agents: a.agents,
        target_seconds: a.target_seconds,
        seed: a.seed,
    };
    let started = std::time::Instant::now();
    let out = simulate(&scenario);
    let took = started.elapsed().as_secs_f64();
    if let Some(path) = &a.svg {
        let svg = daily(&DailyChart {
            title: "The simulated day",
            labels: out.hours.iter().map(|h| format!("{:02}", h.hour)).collect(),
            volume: out.hours.iter().map(|h| h.arrivals).collect(),
            volume_name: "arrivals",
            lines: vec![Line {
                name: "answered within the target",
                class: "frt",
                values: out.hours.iter().map(|h| h.service_level).collect(),
            }],
            target: Some((WANTED, "80 %")),
        })
        .into_string();
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    super::print_json(&serde_json::json!({
        "arrivals": out.arrivals,
        "service_level": out.service_level,
        "mean_wait_seconds": out.mean_wait_seconds,
        "erlang_c_service_level": service_level(a.agents, a.arrivals_per_hour, a.handle_minutes, a.target_seconds),
        "agents_needed": agents_needed(a.arrivals_per_hour, a.handle_minutes, a.target_seconds, WANTED),
        "hours": out.hours,
        "simulated_seconds": (took * 1000.0).round() / 1000.0,
    }))
}
