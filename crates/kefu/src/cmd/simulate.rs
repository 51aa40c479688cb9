//! `kefu simulate` (issue 13): a day at the desk simulated event by event.
//!
//! - The Poisson model (`--arrivals-per-hour R --handle-minutes M --agents N --target-seconds
//!   T --hours H`): a constant rate against a number of agents (`kefu_staff::sim`), beside
//!   Erlang C's closed form for the same inputs and the fewest agents that answer 80 % of
//!   buyers within the target. Prints JSON as its last line; `--svg FILE` draws the day
//!   (arrivals per hour and the share answered in time).
//! - The store's history (`--day YYYY-MM-DD`): see `simulate_day`.

use anyhow::Context;
use kefu_server::ui::chart::{DailyChart, Line, daily};
use kefu_staff::{Scenario, agents_needed, service_level, simulate};

/// The service level `agents_needed` aims at.
const WANTED: f64 = 0.8;

const AFTER_HELP: &str = "\
Two modes.

The Poisson model: --arrivals-per-hour, --handle-minutes, --agents and --target-seconds
(and --hours). The last line of standard output is JSON with service_level,
mean_wait_seconds, erlang_c_service_level, agents_needed and the hours.

The store's history: --day YYYY-MM-DD [--db URL] [--shop ID] [--scale X] [--agents N]
[--handle-minutes M] [--target-seconds T] [--svg FILE] [--plot FILE.png] [--seed S].
Arrivals are the buyer messages of that local day (each shop's time zone) that started a
clock an answer stops, at their real times, each with the clocks it started (rule and
due time); --scale replays each ⌊X⌋ times plus once more with the chance of the
fraction, moved up to 15 minutes. Agents come from the agents' weekly shifts per quarter
hour (through the next day, so a queue at midnight waits for the morning) unless
--agents N is given. Handling times are drawn from the agents' answers of the last 28
days (from the later of the buyer's message and the agent's previous reply to the reply,
up to 30 minutes), or exponential with mean --handle-minutes, or 3 minutes when history
has fewer than 10 answers. A clock is met when wait + handling ≤ its due time minus
the message. The last line is JSON: {\"day\", \"scale\", \"seed\", \"arrivals\",
\"rules\": [{\"rule\", \"clocks\", \"met\", \"share_met\", \"history\": {...}}],
\"shops\": [{\"shop_id\", \"agents\", \"handling\", \"arrivals\", \"unanswered\",
\"service_level\", \"mean_wait_seconds\", \"max_wait_seconds\", \"max_queue\", \"rules\",
\"hours\": [{\"hour\", \"local\", \"agents\", \"arrivals\", \"mean_wait_seconds\",
\"max_wait_seconds\", \"mean_queue\", \"max_queue\", \"rules\": [...]}]}]}; each rule's
\"history\" is the same count as the day really went (met: answered by the due time).
--svg and --plot draw one shop's day (give --shop when the desk has several).";

#[derive(clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct Args {
    /// Buyers arriving per hour (a Poisson process). Poisson model only.
    #[arg(long, required_unless_present = "day")]
    pub(super) arrivals_per_hour: Option<f64>,
    /// Mean handling time in minutes (exponentially distributed). With --day: instead of the
    /// times measured from history.
    #[arg(long, required_unless_present = "day")]
    pub(super) handle_minutes: Option<f64>,
    /// Agents answering, first come first served. With --day: all day, instead of the shifts.
    #[arg(long, required_unless_present = "day")]
    pub(super) agents: Option<u32>,
    /// An arrival is answered in time when it waits at most this long (optional with --day).
    #[arg(long, required_unless_present = "day")]
    pub(super) target_seconds: Option<f64>,
    /// Hours to simulate (Poisson model).
    #[arg(long, default_value_t = 24)]
    pub(super) hours: usize,
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
    /// Also draw the day as an SVG chart into this file.
    #[arg(long)]
    pub(super) svg: Option<std::path::PathBuf>,
    /// Replay this local day (YYYY-MM-DD) of the store's history.
    #[arg(long)]
    pub(super) day: Option<String>,
    /// The store (with --day).
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    pub(super) db: String,
    /// One shop's day (with --day); without it, every shop of the default tenant.
    #[arg(long)]
    pub(super) shop: Option<i64>,
    /// Replay the day's arrivals this many times over (with --day; 3 for a Black Friday).
    #[arg(long, default_value_t = 1.0)]
    pub(super) scale: f64,
    /// Also draw the day as a PNG image into this file (with --day).
    #[arg(long)]
    pub(super) plot: Option<std::path::PathBuf>,
}

impl Args {
    /// Whether this run replays the store's history rather than a Poisson model.
    pub fn replays_history(&self) -> bool {
        self.day.is_some()
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (Some(rate), Some(handle), Some(agents), Some(target)) = (
        a.arrivals_per_hour,
        a.handle_minutes,
        a.agents,
        a.target_seconds,
    ) else {
        anyhow::bail!(
            "give --arrivals-per-hour, --handle-minutes, --agents and --target-seconds, or --day"
        );
    };
    anyhow::ensure!(
        rate >= 0.0 && rate.is_finite(),
        "--arrivals-per-hour must be a number of 0 or more"
    );
    anyhow::ensure!(
        handle > 0.0 && handle.is_finite(),
        "--handle-minutes must be more than 0"
    );
    anyhow::ensure!(agents > 0, "--agents must be at least 1");
    anyhow::ensure!(
        target >= 0.0 && target.is_finite(),
        "--target-seconds must be 0 or more"
    );
    anyhow::ensure!(
        (1..=24 * 366).contains(&a.hours),
        "--hours must be 1 to 8784"
    );
    anyhow::ensure!(a.plot.is_none(), "--plot draws a replayed day: give --day");
    let scenario = Scenario {
        arrivals_per_hour: vec![rate; a.hours],
        handle_minutes: handle,
        agents,
        target_seconds: target,
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
        "erlang_c_service_level": service_level(agents, rate, handle, target),
        "agents_needed": agents_needed(rate, handle, target, WANTED),
        "hours": out.hours,
        "simulated_seconds": (took * 1000.0).round() / 1000.0,
    }))
}
