//! The architecture comparison of a scenario with an `architecture:`
//! section: a table of Lambda's and Kappa's figures per seed, and a chart
//! of the served view's error against processing time for both on the same
//! ingest, with the deployment, the switch-over and the batch runs marked.

use super::page::markdown_table;
use super::svg::{Anchor, Svg};
use crate::arch::{self, ArchReport};
use crate::scenario::Scenario;
use std::fmt::Write as _;

/// The page section and the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchPage {
    /// Markdown, appended to the scenario's page.
    pub markdown: String,
    /// The served-error chart (SVG document).
    pub chart: String,
}

fn secs(ms: i64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The section for `scenario` from each seed's architecture figures (the
/// per-seed stage computed them; nothing is simulated here), the chart at
/// `chart_seed`; `None` without an architecture section.
pub fn section(
    scenario: &Scenario,
    per_seed: &[(u64, &ArchReport)],
    chart_seed: u64,
) -> Option<ArchPage> {
    scenario.architecture.as_ref()?;
    if per_seed.is_empty() {
        return None;
    }
    let mut rows_k = Vec::new();
    let mut rows_l = Vec::new();
    let mut rows_t = Vec::new();
    let mut chart = None;
    for &(seed, r) in per_seed {
        if let Some(k) = &r.kappa {
            rows_k.push(vec![
                seed.to_string(),
                k.catch_up_ms().map_or_else(|| "never".to_string(), secs),
                secs(k.stale_ms),
                secs(k.wrong_after_deploy_ms),
                secs(k.wrong_ms),
                format!(
                    "{} (v1 {} + v2 {})",
                    k.records_v1 + k.records_v2,
                    k.records_v1,
                    k.records_v2
                ),
                format!(
                    "{} / {} / {}",
                    k.state_peak_v1, k.state_peak_v2, k.state_peak_during_replay
                ),
                format!(
                    "{} ({} windows)",
                    k.retention_lost, k.windows_hit_by_retention
                ),
                format!("{} of {}", k.wrong_at_end, k.windows),
            ]);
        }
        if let Some(l) = &r.lambda {
            rows_l.push(vec![
                seed.to_string(),
                l.batches.len().to_string(),
                l.batches
                    .iter()
                    .map(|b| b.records.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                format!(
                    "{} (speed {} + batch {})",
                    l.records_speed + l.batch_records(),
                    l.records_speed,
                    l.batch_records()
                ),
                l.batches.last().map_or(0, |b| b.late_corrected).to_string(),
                secs(l.wrong_ms),
                format!("{} / {}", l.state_peak_speed, l.batch_view_max),
                format!("{} of {}", l.wrong_at_end, l.windows),
                if l.divergences.is_empty() {
                    "none".to_string()
                } else {
                    format!("{}: {} windows", l.divergences.join(", "), l.disagreements)
                },
            ]);
        }
        for t in &r.trap {
            rows_t.push(vec![
                seed.to_string(),
                t.strategy.clone(),
                format!("{} / {}", t.panes.0, t.panes.1),
                format!("{} / {}", t.dead_letters.0, t.dead_letters.1),
                format!("{} of {}", t.finals_differ, t.windows),
                t.panes_differ.to_string(),
            ]);
        }
        if seed == chart_seed {
            chart = Some(draw(scenario, r));
        }
    }
    let mut md = String::from("## Lambda and Kappa\n\n");
    md.push_str(
        "The served view at each processing time: Kappa serves v1 until v2 has caught up with \
the log, then v2; Lambda serves the last completed batch for the windows it covers and the \
speed layer for the rest. A window counts as due from its end (event time read as processing \
time), so every window's watermark delay shows as a short wrong spell. Times are processing \
time; records are what the engines and batches read (the cost).\n\n",
    );
    if !rows_k.is_empty() {
        md.push_str("### Kappa\n\n");
        md.push_str(&markdown_table(
            &[
                "seed",
                "catch-up",
                "v1 served after deploy",
                "wrong after deploy",
                "wrong in all",
                "records",
                "peak windows v1 / v2 / both during replay",
                "lost to retention",
                "wrong at end",
            ],
            rows_k,
        ));
        md.push_str("\n\n");
    }
    if !rows_t.is_empty() {
        md.push_str("### The replay trap: each strategy live / replayed unchanged\n\n");
        md.push_str(&markdown_table(
            &[
                "seed",
                "strategy",
                "panes",
                "dead letters",
                "final values differ",
                "pane sequences differ",
            ],
            rows_t,
        ));
        md.push_str("\n\n");
    }
    if !rows_l.is_empty() {
        md.push_str("### Lambda\n\n");
        md.push_str(&markdown_table(
            &[
                "seed",
                "batches",
                "records per batch",
                "records",
                "late records in last batch",
                "wrong in all",
                "peak windows speed / batch view",
                "wrong at end",
                "two codebases disagree",
            ],
            rows_l,
        ));
        md.push_str("\n\n");
    }
    let _ = write!(
        md,
        "![Served error against processing time]({}-architecture.svg)\n\n*Seed {chart_seed}: \
due windows served wrong (or not at all) against processing time.*\n",
        scenario.name
    );
    Some(ArchPage {
        markdown: md,
        chart: chart.unwrap_or_else(|| Svg::new(10.0, 10.0).finish("no data")),
    })
}

const W: f64 = 760.0;
const H: f64 = 370.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 80.0;
const KAPPA: &str = "stroke:#1f77b4;stroke-width:2;fill:none";
const LAMBDA: &str = "stroke:#ff7f0e;stroke-width:2;fill:none";

fn draw(scenario: &Scenario, r: &ArchReport) -> String {
    let mut svg = Svg::new(W, H);
    let horizon = r.horizon.max(1) as f64;
    let y_max = r
        .kappa
        .iter()
        .flat_map(|k| &k.points)
        .chain(r.lambda.iter().flat_map(|l| &l.points))
        .map(|p| p.wrong)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |t: i64| LEFT + (t as f64 / horizon) * (W - LEFT - RIGHT);
    let y = |v: u64| H - BOTTOM - (v as f64 / y_max) * (H - TOP - BOTTOM);
    let axis = "stroke:#333;stroke-width:1";
    svg.line((LEFT, H - BOTTOM), (W - RIGHT, H - BOTTOM), axis);
    svg.line((LEFT, TOP), (LEFT, H - BOTTOM), axis);
    // Round times (the shared axis's steps), about every 110 px.
    let time_axis = super::scale::Axis::linear(0.0, horizon, LEFT, W - RIGHT);
    for t in time_axis.ticks(110.0) {
        svg.text(
            (x(t as i64), H - BOTTOM + 16.0),
            11.0,
            Anchor::Middle,
            "",
            &super::scale::human_ms(t),
        );
    }
    for i in 0..=4 {
        let v = (y_max * f64::from(i) / 4.0).round() as u64;
        svg.text(
            (LEFT - 6.0, y(v) + 4.0),
            11.0,
            Anchor::End,
            "",
            &v.to_string(),
        );
    }
    svg.text(
        ((LEFT + W - RIGHT) / 2.0, H - BOTTOM + 36.0),
        12.0,
        Anchor::Middle,
        "",
        "processing time",
    );
    svg.text_vertical(
        (16.0, (TOP + H - BOTTOM) / 2.0),
        12.0,
        "windows served wrong",
    );
    let step = |points: &[arch::served::Point]| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                out.push((x(p.at), y(points[i - 1].wrong)));
            }
            out.push((x(p.at), y(p.wrong)));
        }
        out
    };
    let mut legend = Vec::new();
    if let Some(l) = &r.lambda {
        for (i, b) in l.batches.iter().enumerate() {
            let style = "stroke:#ff7f0e;stroke-width:1;stroke-dasharray:2,3";
            svg.line((x(b.completed), TOP), (x(b.completed), H - BOTTOM), style);
            svg.text(
                (x(b.completed), TOP - 4.0),
                10.0,
                Anchor::Middle,
                "fill:#ff7f0e",
                &format!("batch {}", i + 1),
            );
        }
        svg.polyline(&step(&l.points), LAMBDA);
        legend.push((format!("Lambda (speed: {})", l.speed), LAMBDA));
    }
    if let Some(k) = &r.kappa {
        let dash = "stroke:#555;stroke-width:1;stroke-dasharray:5,3";
        svg.line((x(k.deploy_at), TOP), (x(k.deploy_at), H - BOTTOM), dash);
        svg.text(
            (x(k.deploy_at), TOP - 16.0),
            10.0,
            Anchor::Middle,
            "fill:#555",
            &format!("deploy {}", k.v2),
        );
        if let Some(s) = k.switch_at {
            let style = "stroke:#2ca02c;stroke-width:1.5";
            svg.line((x(s), TOP), (x(s), H - BOTTOM), style);
            svg.text(
                (x(s) + 3.0, TOP + 10.0),
                10.0,
                Anchor::Start,
                "fill:#2ca02c",
                "switch to v2",
            );
        }
        svg.polyline(&step(&k.points), KAPPA);
        legend.push((format!("Kappa ({} → {})", k.v1, k.v2), KAPPA));
    }
    // The key sits under the plot, in a row, so it hides no line.
    let ly = H - 14.0;
    for (i, (label, style)) in legend.iter().enumerate() {
        let lx = LEFT + 340.0 * i as f64;
        svg.line((lx, ly - 4.0), (lx + 24.0, ly - 4.0), style);
        svg.text((lx + 30.0, ly), 12.0, Anchor::Start, "", label);
    }
    svg.finish(&format!(
        "{}: served error against processing time",
        scenario.name
    ))
}
