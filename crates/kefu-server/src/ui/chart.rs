//! Charts drawn on the server as SVG (no script, no library, nothing fetched): a report's
//! figures by day as bars for volume and lines for rates, with the target as a dashed line.

use maud::{Markup, html};

/// One line of a chart: a rate (0..=1) per point, `None` where there is nothing to rate.
pub struct Line<'a> {
    pub name: &'a str,
    pub class: &'a str,
    pub values: Vec<Option<f64>>,
}

/// What a chart shows: a label per point, the volume per point (bars), rate lines, and a
/// target rate.
pub struct DailyChart<'a> {
    pub title: &'a str,
    pub labels: Vec<String>,
    pub volume: Vec<u64>,
    pub volume_name: &'a str,
    pub lines: Vec<Line<'a>>,
    pub target: Option<(f64, &'a str)>,
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

fn y_of(rate: f64) -> f64 {
    TOP + (1.0 - rate.clamp(0.0, 1.0)) * (H - TOP - BOTTOM)
}

/// The chart as an inline `<svg>` with a text alternative (a table of the same numbers
/// follows it on the page).
pub fn daily(c: &DailyChart<'_>) -> Markup {
    let n = c.labels.len().max(1);
    let step = (W - LEFT) / n as f64;
    let x_of = |i: usize| LEFT + step * (i as f64 + 0.5);
    let max = c.volume.iter().copied().max().unwrap_or(0).max(1) as f64;
    let label_every = n.div_ceil(10);
    let points = |values: &[Option<f64>]| -> String {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(c.title) xmlns="http://www.w3.org/2000/svg" {
                title { (c.title) }
                @for pct in [0.0, 0.5, 1.0] {
                    line.grid x1=(LEFT) x2=(W) y1=(y_of(pct)) y2=(y_of(pct)) {}
                    text.axis x=(LEFT - 4.0) y=(y_of(pct) + 4.0) text-anchor="end" { (format!("{:.0}%", pct * 100.0)) }
                }
                @for (i, v) in c.volume.iter().enumerate() {
                    @let h = *v as f64 / max * (H - TOP - BOTTOM) * 0.6;
                    rect.volume x=(format!("{:.1}", x_of(i) - step * 0.35)) y=(format!("{:.1}", H - BOTTOM - h))
                        width=(format!("{:.1}", step * 0.7)) height=(format!("{:.1}", h)) {
                        title { (c.labels[i]) ": " (v) " " (c.volume_name) }
                    }
                }
                @if let Some((t, name)) = c.target {
                    line.target x1=(LEFT) x2=(W) y1=(y_of(t)) y2=(y_of(t)) { title { (name) } }
                }
                @for l in &c.lines {
                    polyline class=(format!("rate {}", l.class)) points=(points(&l.values)) { title { (l.name) } }
                }
                @for (i, label) in c.labels.iter().enumerate() {
                    @if i % label_every == 0 {
                        text.axis x=(format!("{:.1}", x_of(i))) y=(H - 6.0) text-anchor="middle" { (label) }
                    }
                }
            }
            figcaption {
                span.key.volume { (c.volume_name) }
                @for l in &c.lines { " " span class=(format!("key {}", l.class)) { (l.name) } }
                @if let Some((_, name)) = c.target { " " span.key.target { (name) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_bars_lines_and_the_target() {
        let svg = daily(&DailyChart {
            title: "By day",
            labels: vec!["11-02".into(), "11-03".into(), "11-04".into()],
            volume: vec![4, 0, 8],
            volume_name: "conversations",
            lines: vec![Line {
                name: "resolution",
                class: "resolved-rate",
                values: vec![Some(1.0), None, Some(0.5)],
            }],
            target: Some((0.85, "KPI-RESOLUTION-85")),
        })
        .into_string();
        assert_eq!(svg.matches("<rect").count(), 3);
        // The day with nothing to rate has no point on the line.
        assert!(svg.contains(r#"points="136.7,10.0 539.3,103.0""#), "{svg}");
        assert!(svg.contains("KPI-RESOLUTION-85"));
    }
}
