//! The index across scenarios (`reports/README.md`) and the same summary
//! as a terminal table.

use super::format::{ms, number, pct, share};
use super::lesson;
use super::page::{markdown_table, seeds_text};
use super::ScenarioReport;
use std::fmt::Write;
use tabled::builder::Builder;
use tabled::settings::Style;

const HEADER: [&str; 8] = [
    "scenario",
    "strategy",
    "panes / window",
    "first result",
    "known final",
    "final accuracy",
    "dead letters",
    "same final",
];

/// The order a reader should meet the scenarios in, each with what it
/// teaches. Scenarios not listed follow, in the order given.
const TEACHING: [(&str, &str); 9] = [
    (
        "in_order_baseline",
        "the control: in-order data, every strategy right; learn to read the picture here",
    ),
    (
        "heuristic_vs_perfect",
        "what a guessed watermark costs against the perfect one only a simulator has",
    ),
    (
        "heavy_reordering",
        "allowed lateness turns late elements into late panes instead of dead letters",
    ),
    (
        "skewed_clock",
        "one fast clock drags a max-seen watermark ahead and makes everyone else late",
    ),
    (
        "idle_partition",
        "a silent input holds the watermark back until an idle timeout lets it go",
    ),
    (
        "phones_offline",
        "an hour-late backlog: what allowed lateness must cover, and what it costs",
    ),
    (
        "retries_duplicates",
        "retries after lost acks count twice unless the pipeline deduplicates",
    ),
    (
        "processing_time_trigger",
        "processing-time triggers answer on the clock, and their answer depends on the network",
    ),
    (
        "sessions_late_merge",
        "a straggler merges two sessions: only a retracting consumer stops counting the old ones",
    ),
];

/// A scenario's value per row, for spotting the worst.
type Column = fn(&crate::metrics::StrategySummary) -> (f64, bool);

/// Per column (after scenario and strategy): the figure and whether higher
/// is worse.
const COLUMNS: [Column; 6] = [
    |s| (s.panes_per_window.median, true),
    |s| (s.first_latency_ms.map_or(f64::NAN, |a| a.median), true),
    |s| {
        (
            s.known_final_latency_ms.map_or(f64::NAN, |a| a.median),
            true,
        )
    },
    |s| (s.accuracy.median, false),
    |s| (s.dead_letters.median, true),
    |s| (s.stability, false),
];

fn rows(reports: &[&ScenarioReport], link: bool, highlight: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for r in reports {
        // Per column, the worst value among this scenario's strategies,
        // when they differ.
        let worst: Vec<Option<f64>> = COLUMNS
            .iter()
            .map(|col| {
                let vals: Vec<(f64, bool)> = r
                    .summaries
                    .iter()
                    .map(col)
                    .filter(|(v, _)| v.is_finite())
                    .collect();
                let higher = vals.first()?.1;
                let lo = vals.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
                let hi = vals.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
                (hi - lo > 1e-9).then_some(if higher { hi } else { lo })
            })
            .collect();
        for (i, s) in r.summaries.iter().enumerate() {
            let scenario = match (i, link) {
                (0, true) => format!("[{}]({}.md)", r.name, r.name),
                (0, false) => r.name.clone(),
                _ => String::new(),
            };
            let cells = [
                number(s.panes_per_window, 2),
                ms(s.first_latency_ms),
                ms(s.known_final_latency_ms),
                pct(s.accuracy),
                number(s.dead_letters, 0),
                share(s.stability),
            ];
            let mut row = vec![scenario, s.name.clone()];
            for ((cell, col), w) in cells.into_iter().zip(COLUMNS).zip(&worst) {
                let is_worst = w.is_some_and(|w| (col(s).0 - w).abs() < 1e-9);
                row.push(if highlight && is_worst {
                    format!("**{cell}**")
                } else {
                    cell
                });
            }
            out.push(row);
        }
    }
    out
}

/// The reports in teaching order.
fn in_order(reports: &[ScenarioReport]) -> Vec<&ScenarioReport> {
    let mut out: Vec<&ScenarioReport> = TEACHING
        .iter()
        .filter_map(|(name, _)| reports.iter().find(|r| r.name == *name))
        .collect();
    for r in reports {
        if !out.iter().any(|o| o.name == r.name) {
            out.push(r);
        }
    }
    out
}

fn teaches(r: &ScenarioReport) -> String {
    TEACHING
        .iter()
        .find(|(name, _)| *name == r.name)
        .map_or_else(
            || {
                r.description
                    .split(". ")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_end_matches('.')
                    .replace('\n', " ")
            },
            |(_, t)| (*t).to_string(),
        )
}

/// `reports/README.md`: a path through the scenarios, one picture, the
/// summary, and the glossary every page links to.
#[must_use]
pub fn readme(reports: &[ScenarioReport]) -> String {
    let ordered = in_order(reports);
    let mut out = String::new();
    out.push_str("# Tidemark reports: choosing a trigger\n\n");
    out.push_str(
        "Each scenario runs one workload through a simulated network and compares trigger strategies on exactly \
the same delivered data. Every figure is measured: each window's result, as the strategy's downstream consumer holds it, \
is compared with a batch computation over all the events (the truth). Read them in this order; each page ends with which \
strategy to choose when, and each has an interactive page (`<scenario>.html`, open it in a browser) that replays the run.\n\n",
    );
    if let Some(r) = reports.first() {
        let _ = writeln!(
            out,
            "Generated by `cargo run --release` (or `tidemark report --seeds {}`) over seeds {}. \
The files are deterministic: `cargo test` regenerates them and fails if these are stale.\n",
            seeds_text(r),
            seeds_text(r)
        );
    }
    out.push_str("## The path\n\n");
    for (i, r) in ordered.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. [{}]({}.md) ([interactive]({}.html)): {}.",
            i + 1,
            r.name,
            r.name,
            r.name,
            teaches(r)
        );
    }
    if let Some(first) = ordered.first() {
        let _ = write!(
            out,
            "\n## One picture\n\nThe first scenario, where nothing goes wrong: across is event time, up is processing time; \
dots are elements, the blue staircase is the watermark, coloured bars are panes. Every page draws its scenario this way.\n\n\
[![{} diagram]({}.svg)]({}.md)\n\n",
            first.name, first.name, first.name
        );
    }
    out.push_str("## All scenarios\n\n");
    out.push_str(&markdown_table(&HEADER, rows(&ordered, true, true)));
    out.push_str(
        "\n\nFigures are \"median (worst seed)\". **Bold**: the worst figure of its scenario in that column, where \
the strategies differ. *Known final* is when the consumer can know the value will not change again (the pane marked last, \
or the window's expiry).\n\n",
    );
    out.push_str("## Glossary\n\n");
    for p in lesson::GLOSSARY {
        let _ = writeln!(out, "{p}\n");
    }
    out
}

/// The summary printed when `cargo run --release` finishes.
#[must_use]
pub fn summary_table(reports: &[ScenarioReport]) -> String {
    let mut b = Builder::default();
    b.push_record(HEADER.iter().map(|h| (*h).to_string()));
    for row in rows(&in_order(reports), false, false) {
        b.push_record(row);
    }
    let mut t = b.build();
    t.with(Style::rounded());
    t.to_string()
}
