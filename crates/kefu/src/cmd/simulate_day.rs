//! `kefu simulate --day` (issue 13): a day of the store's history replayed against the
//! roster — each shop's arrivals at their real times with the clocks they started, scaled
//! for a peak, handling times from the agents' answers, agents from their shifts
//! (`kefu_server::desk::simulation` reads it, `kefu_staff::replay` runs it). Prints JSON as
//! its last line (the shape is in `simulate`'s help); `--svg` and `--plot` draw the day.

use std::io::{IsTerminal, Write};

use anyhow::{Context, anyhow};
use chrono::{Datelike, Duration, NaiveDate};
use kefu_server::desk::simulation::{ROSTER_DAYS, ShopDay, shop_day};
use kefu_server::ui::chart::{DailyChart, Line, daily};
use kefu_staff::replay::{RuleShare, scaled, with_handling};
use kefu_staff::{Day, Handling, Replay, Roster, replay};
use serde_json::{Value, json};

use super::simulate::Args;

/// Copies of a scaled arrival move by up to this much either way.
const JITTER_SECONDS: f64 = 900.0;
/// Fewer measured answers than this, and the handling time is the default's.
const MIN_ANSWERS: usize = 10;
const DEFAULT_HANDLE_MINUTES: f64 = 3.0;
/// A different stream of the seed for the handling times than for the scaling.
const HANDLING_STREAM: u64 = 0x5eed_4a4e_d1e5_0001;
/// Replays this large show their progress on a terminal.
const LONG_RUN: usize = 100_000;
/// The largest scale: a day a thousand times over is already far past any desk.
const MAX_SCALE: f64 = 1000.0;

/// The chart's colours for the rules' lines, by class (`sim-0` …) and the agents' line.
const CHART_STYLE: &str = "\
.chart{margin:0;font-family:sans-serif}.chart svg{width:100%;height:auto}\
.chart .grid{stroke:#e3e3ea;stroke-width:1}.chart .axis{font-size:10px;fill:#666}\
.chart .volume{fill:#d9ddf7}.chart .rate{fill:none;stroke-width:2}\
.chart .target{stroke:#b3261e;stroke-dasharray:5 4}\
.sim-0{stroke:#3949ab;color:#3949ab}.sim-1{stroke:#1e7d3a;color:#1e7d3a}\
.sim-2{stroke:#b3261e;color:#b3261e}.sim-3{stroke:#8e24aa;color:#8e24aa}\
.sim-agents{stroke:#f29900;stroke-dasharray:2 3;color:#f29900}\
.sim-went{stroke:#3949ab;stroke-opacity:.45;stroke-dasharray:6 3;color:#9fa8da}\
.chart figcaption{font-size:.85rem}.key{margin-right:1em}.key::before{content:'\\25A0 '}\
.key.volume{color:#9fa8da}";
const CLASSES: [&str; 4] = ["sim-0", "sim-1", "sim-2", "sim-3"];
/// The same colours as RGB, for the PNG.
pub const COLOURS: [[u8; 3]; 4] = [[57, 73, 171], [30, 125, 58], [179, 38, 30], [142, 36, 170]];
pub const AGENTS_COLOUR: [u8; 3] = [242, 153, 0];
/// The first rule's share as the day really went: its colour, paler.
pub const WENT_COLOUR: [u8; 3] = [159, 168, 218];

/// The run's choices, checked.
struct Options {
    date: NaiveDate,
    scale: f64,
    agents: Option<u32>,
    handle_minutes: Option<f64>,
    target_seconds: Option<f64>,
    seed: u64,
}

fn options(a: &Args) -> anyhow::Result<Options> {
    let day = a.day.as_deref().unwrap_or_default();
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        // Far from chrono's limits, so that the day's arithmetic cannot overflow.
        .filter(|d| (1970..=9999).contains(&d.year()))
        .ok_or_else(|| anyhow!("--day must be a date as YYYY-MM-DD (1970 to 9999), not {day:?}"))?;
    anyhow::ensure!(
        a.scale.is_finite() && (0.0..=MAX_SCALE).contains(&a.scale),
        "--scale must be 0 to {MAX_SCALE}"
    );
    anyhow::ensure!(a.agents != Some(0), "--agents must be at least 1");
    anyhow::ensure!(
        a.handle_minutes.is_none_or(|m| m > 0.0 && m.is_finite()),
        "--handle-minutes must be more than 0"
    );
    anyhow::ensure!(
        a.target_seconds.is_none_or(|t| t >= 0.0 && t.is_finite()),
        "--target-seconds must be 0 or more"
    );
    anyhow::ensure!(
        a.arrivals_per_hour.is_none(),
        "--arrivals-per-hour is the Poisson model's; --day replays the store's arrivals"
    );
    Ok(Options {
        date,
        scale: a.scale,
        agents: a.agents,
        handle_minutes: a.handle_minutes,
        target_seconds: a.target_seconds,
        seed: a.seed,
    })
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let o = options(&a)?;
    let store = kefu_store::open(&a.db)
        .await
        .with_context(|| format!("cannot open {}", a.db))?;
    let mut shops = store.shops(kefu_store::DEFAULT_TENANT).await?;
    if let Some(id) = a.shop {
        shops.retain(|s| s.id == id);
        anyhow::ensure!(!shops.is_empty(), "--shop {id}: no such shop");
    }
    anyhow::ensure!(!shops.is_empty(), "the store at {} has no shops", a.db);
    anyhow::ensure!(
        shops.len() == 1 || (a.svg.is_none() && a.plot.is_none()),
        "--svg and --plot draw one shop's day: give --shop (the desk has {} shops)",
        shops.len()
    );
    let started = std::time::Instant::now();
    let mut runs = Vec::new();
    for shop in &shops {
        let day = shop_day(store.as_ref(), shop, o.date)
            .await
            .map_err(|e| anyhow!("shop {}: {e}", shop.id))?;
        runs.push(replay_shop(&day, &o)?);
    }
    let took = started.elapsed().as_secs_f64();
    if let [one] = runs.as_slice() {
        draw(one, &a)?;
    }
    let rules = totals(&runs);
    super::print_json(&json!({
        "day": o.date.to_string(),
        "scale": o.scale,
        "seed": o.seed,
        "arrivals": runs.iter().map(|r| r.replay.arrivals).sum::<u64>(),
        "rules": rules,
        "shops": runs.iter().map(|r| r.json.clone()).collect::<Vec<_>>(),
        "simulated_seconds": (took * 1000.0).round() / 1000.0,
    }))
}

/// One shop's replayed day.
pub struct ShopRun {
    pub title: String,
    pub labels: Vec<String>,
    pub rules: Vec<String>,
    pub history: Vec<RuleShare>,
    /// The first rule's share met per hour as the day really went (the chart's dashed line).
    pub went: Vec<Option<f64>>,
    pub replay: Replay,
    pub json: Value,
}

/// The handling times to draw from, and where they came from.
fn handling(day: &ShopDay, o: &Options) -> (Handling, &'static str) {
    match o.handle_minutes {
        Some(m) => (
            Handling::Exponential {
                mean_seconds: m * 60.0,
            },
            "flag",
        ),
        None if day.answer_times.len() >= MIN_ANSWERS => {
            (Handling::Observed(day.answer_times.clone()), "history")
        }
        None => (
            Handling::Exponential {
                mean_seconds: DEFAULT_HANDLE_MINUTES * 60.0,
            },
            "default",
        ),
    }
}

fn replay_shop(day: &ShopDay, o: &Options) -> anyhow::Result<ShopRun> {
    let shop = &day.shop;
    let (roster, agents_from) = match (o.agents, &day.roster) {
        (Some(n), _) => (Roster::constant(n, ROSTER_DAYS * 24), "flag"),
        (None, Some(r)) => (r.clone(), "shifts"),
        (None, None) => anyhow::bail!(
            "shop {} ({}): no agent who works it has shifts; give --agents N",
            shop.id,
            shop.name
        ),
    };
    let (handling, handling_from) = handling(day, o);
    let mut arrivals = scaled(&day.arrivals, o.scale, JITTER_SECONDS, day.seconds, o.seed);
    with_handling(&mut arrivals, &handling, o.seed ^ HANDLING_STREAM);
    let hours = ((day.seconds / 3600.0).ceil() as usize).max(1);
    // The slots of the day itself (the roster runs on into the next).
    let day_slots = (day.seconds / roster.slot_seconds.max(1.0)).ceil() as usize;
    let mut bar = Progress::new(arrivals.len());
    let out = replay(
        &Day {
            arrivals: &arrivals,
            roster: &roster,
            rules: &day.rules,
            hours,
            target_seconds: o.target_seconds,
        },
        &mut |done, total| bar.show(done, total),
    );
    let tz: chrono_tz::Tz = shop.timezone.parse().unwrap_or(chrono_tz::UTC);
    let labels: Vec<String> = (0..hours)
        .map(|h| {
            (day.start + Duration::hours(h as i64))
                .with_timezone(&tz)
                .format("%H:%M")
                .to_string()
        })
        .collect();
    let mut json = serde_json::to_value(&out)?;
    let as_went =
        |h: &RuleShare| json!({"clocks": h.clocks, "met": h.met, "share_met": h.share_met});
    let hours_json = json["hours"].as_array_mut().into_iter().flatten();
    for ((hour, label), went) in hours_json.zip(&labels).zip(&day.history_hours) {
        hour["local"] = json!(label);
        for (rule, h) in hour["rules"].as_array_mut().into_iter().flatten().zip(went) {
            rule["history"] = as_went(h);
        }
    }
    for (rule, h) in json["rules"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .zip(&day.history)
    {
        rule["history"] = as_went(h);
    }
    let mut head = json!({
        "shop_id": shop.id,
        "name": shop.name,
        "timezone": shop.timezone,
        "start": day.start.with_timezone(&tz).to_rfc3339(),
        "history_arrivals": day.arrivals.len(),
        "agents": {"source": agents_from, "rostered": day.rostered_agents, "most_on_shift": roster.agents.iter().take(day_slots).max()},
        "handling": {"source": handling_from, "answers": day.answer_times.len(),
                     "mean_minutes": (handling.mean_seconds() / 6.0).round() / 10.0},
    });
    if let (Some(m), Value::Object(rest)) = (head.as_object_mut(), json) {
        m.extend(rest);
    }
    Ok(ShopRun {
        title: format!("{} on {} ×{}", shop.name, day.date, o.scale),
        labels,
        rules: day.rules.clone(),
        history: day.history.clone(),
        went: day
            .history_hours
            .iter()
            .map(|h| h.first().and_then(|r| r.share_met))
            .collect(),
        replay: out,
        json: head,
    })
}

/// The rules over every shop: clocks and met, simulated and as the day went.
fn totals(runs: &[ShopRun]) -> Vec<Value> {
    let mut by_rule: std::collections::BTreeMap<&str, [u64; 4]> = Default::default();
    for r in runs {
        for (sim, real) in r.replay.rules.iter().zip(&r.history) {
            let t = by_rule.entry(sim.rule.as_str()).or_default();
            t[0] += sim.clocks;
            t[1] += sim.met;
            t[2] += real.clocks;
            t[3] += real.met;
        }
    }
    let share = |met: u64, all: u64| (all > 0).then(|| met as f64 / all as f64);
    by_rule
        .into_iter()
        .map(|(rule, [clocks, met, real_clocks, real_met])| {
            json!({"rule": rule, "clocks": clocks, "met": met, "share_met": share(met, clocks),
                   "history": {"clocks": real_clocks, "met": real_met,
                               "share_met": share(real_met, real_clocks)}})
        })
        .collect()
}

/// Agents on shift per hour as a share of the day's most (a line beside the rates).
fn agents_line(run: &ShopRun) -> Vec<Option<f64>> {
    let most = run
        .replay
        .hours
        .iter()
        .map(|h| h.agents)
        .max()
        .unwrap_or(0)
        .max(1);
    run.replay
        .hours
        .iter()
        .map(|h| Some(f64::from(h.agents) / f64::from(most)))
        .collect()
}

/// Writes the SVG chart and the PNG image the run asked for.
fn draw(run: &ShopRun, a: &Args) -> anyhow::Result<()> {
    let shares = |i: usize| -> Vec<Option<f64>> {
        run.replay
            .hours
            .iter()
            .map(|h| h.rules.get(i).and_then(|r| r.share_met))
            .collect()
    };
    // The chart shows the first four rules' lines (a shop's packs rarely have more).
    let shown = run.rules.len().min(CLASSES.len());
    if let Some(path) = &a.svg {
        let names: Vec<String> = run.rules[..shown]
            .iter()
            .map(|r| format!("{r} met"))
            .collect();
        let mut lines: Vec<Line<'_>> = (0..shown)
            .map(|i| Line {
                name: &names[i],
                class: CLASSES[i],
                values: shares(i),
            })
            .collect();
        let went = run
            .rules
            .first()
            .map(|r| format!("{r} met as the day went"));
        if let Some(name) = &went {
            lines.push(Line {
                name,
                class: "sim-went",
                values: run.went.clone(),
            });
        }
        lines.push(Line {
            name: "agents on shift (of the day's most)",
            class: "sim-agents",
            values: agents_line(run),
        });
        let chart = daily(&DailyChart {
            title: &run.title,
            labels: run.labels.clone(),
            volume: run.replay.hours.iter().map(|h| h.arrivals).collect(),
            volume_name: "arrivals",
            lines,
            target: None,
        });
        let text = format!("<style>{CHART_STYLE}</style>{}", chart.into_string());
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &a.plot {
        let mut lines: Vec<(Vec<Option<f64>>, [u8; 3])> =
            (0..shown).map(|i| (shares(i), COLOURS[i])).collect();
        if !run.rules.is_empty() {
            lines.push((run.went.clone(), WENT_COLOUR));
        }
        lines.push((agents_line(run), AGENTS_COLOUR));
        let volume: Vec<u64> = run.replay.hours.iter().map(|h| h.arrivals).collect();
        let png = super::plot::png(&volume, &lines)?;
        std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// A one-line progress bar on standard error, for long replays on a terminal only.
struct Progress {
    enabled: bool,
    shown: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            enabled: total >= LONG_RUN && std::io::stderr().is_terminal(),
            shown: usize::MAX,
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        let percent = done * 100 / total.max(1);
        if !self.enabled || percent == self.shown {
            return;
        }
        self.shown = percent;
        let filled = percent * 30 / 100;
        eprint!(
            "\r[{}{}] {percent:3}% {done}/{total} arrivals",
            "#".repeat(filled),
            " ".repeat(30 - filled)
        );
        if done >= total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}
