//! One scenario's page: description, what to notice, the diagram, the
//! tables and the trade-off chart, each with a paragraph on how to read it.

use super::format::{ms, number, pct, pct_opt, share};
use super::lesson;
use super::notice::notice;
use super::tradeoff::{self, Point};
use super::ScenarioReport;
use std::fmt::Write;
use tabled::builder::Builder;
use tabled::settings::Style;

/// A Markdown table with `header` and `rows`; `|` in cells is escaped.
#[must_use]
pub fn markdown_table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut b = Builder::default();
    b.push_record(header.iter().map(|h| (*h).to_string()));
    for row in rows {
        b.push_record(row.into_iter().map(|c| c.replace('|', "\\|")));
    }
    let mut t = b.build();
    t.with(Style::markdown());
    t.to_string()
}

/// The seed range as the CLI spells it.
#[must_use]
pub fn seeds_text(r: &ScenarioReport) -> String {
    format!("{}..{}", r.seeds.start, r.seeds.end)
}

/// The scenario's Markdown page.
#[must_use]
pub fn page(r: &ScenarioReport) -> String {
    let mut out = String::new();
    let n = r.seeds.end.saturating_sub(r.seeds.start);
    let _ = writeln!(out, "# {}\n\n{}\n", r.name, r.description.trim());
    let _ = writeln!(
        out,
        "*Pipeline: {}. Seeds {} ({}, a median of {} events each). Figures are \"median (worst seed)\". \
Regenerate with `tidemark report scenarios/{}.yaml --seeds {}`.*\n",
        r.pipeline,
        seeds_text(r),
        super::notice::plural(n as f64, "seed"),
        r.events_median,
        r.name,
        seeds_text(r)
    );
    out.push_str("## What to notice\n\n");
    for line in notice(&r.summaries) {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\n## The strategies\n\n");
    out.push_str(&strategies_table(r));
    let _ = write!(out, "\n\n{}\n\n", lesson::TRIGGERS);
    let _ = write!(
        out,
        "## The picture\n\n{}\n\n![Event time against processing time, one panel per strategy]({}.svg)\n\n*{}*\n\n{}\n\n",
        lesson::WATERMARK,
        r.name,
        r.diagram_caption,
        lesson::READ_DIAGRAM
    );
    if r.summaries
        .iter()
        .any(|s| s.crashes.worst > 0.0 || s.lag_max.worst > 0.0 || s.retention_lost.worst > 0.0)
    {
        out.push_str("## Crashes, lag and recovery\n\n");
        out.push_str(&recovery_table(r));
        out.push_str(
            "\n\nLatencies below are measured to when a pane became visible downstream: \
             an exactly-once sink shows a pane when the checkpoint that covers it completes.\n\n",
        );
    }
    out.push_str("## Latency and cost\n\n");
    out.push_str(&latency_table(r));
    let _ = write!(out, "\n\n{}\n\n", lesson::READ_LATENCY);
    out.push_str("## Correctness\n\n");
    out.push_str(&correctness_table(r));
    let _ = write!(
        out,
        "\n\n{}\n\n{}\n\n",
        lesson::LATE_DATA,
        lesson::READ_CORRECTNESS
    );
    let _ = write!(
        out,
        "## Accuracy against latency\n\n![Accuracy against latency, one point per strategy]({}-tradeoff.svg)\n\n{}\n",
        r.name,
        lesson::READ_TRADEOFF
    );
    out
}

fn strategies_table(r: &ScenarioReport) -> String {
    let rows = r
        .strategies
        .iter()
        .map(|s| {
            vec![
                format!("`{}`", s.name),
                format!("`{}`", s.trigger),
                s.accumulation.clone(),
                s.watermark.clone(),
                s.allowed_lateness.clone(),
            ]
        })
        .collect();
    markdown_table(
        &[
            "strategy",
            "trigger",
            "accumulation",
            "watermark",
            "allowed lateness",
        ],
        rows,
    )
}

fn latency_table(r: &ScenarioReport) -> String {
    let rows = r
        .summaries
        .iter()
        .map(|s| {
            vec![
                format!("`{}`", s.name),
                number(s.panes_per_window, 2),
                ms(s.first_latency_ms),
                ms(s.final_latency_ms),
                pct_opt(s.speculative_error),
            ]
        })
        .collect();
    markdown_table(
        &[
            "strategy",
            "panes per window",
            "first result after window end",
            "result that stays, after window end",
            "early error",
        ],
        rows,
    )
}

fn recovery_table(r: &ScenarioReport) -> String {
    let rows = r
        .summaries
        .iter()
        .zip(&r.strategies)
        .map(|(s, info)| {
            vec![
                format!("`{}`", s.name),
                info.sink.to_string(),
                number(s.crashes, 0),
                number(s.lag_max, 0),
                number(s.downstream_duplicates, 0),
                number(s.retention_lost, 0),
            ]
        })
        .collect();
    markdown_table(
        &[
            "strategy",
            "sink",
            "crashes",
            "most entries behind the log",
            "duplicate panes downstream",
            "events lost to retention",
        ],
        rows,
    )
}

fn correctness_table(r: &ScenarioReport) -> String {
    let rows = r
        .summaries
        .iter()
        .map(|s| {
            vec![
                format!("`{}`", s.name),
                pct(s.accuracy),
                number(s.abs_error, 0),
                number(s.dead_letters, 0),
                number(s.duplicates_counted, 0),
                pct(s.lost_fraction),
                share(s.stability),
                share(s.stability_first),
            ]
        })
        .collect();
    markdown_table(
        &[
            "strategy",
            "final accuracy",
            "absolute error",
            "dead letters",
            "duplicates counted",
            "events lost",
            "same final",
            "same first pane",
        ],
        rows,
    )
}

/// The accuracy-against-latency chart.
#[must_use]
pub fn tradeoff_chart(r: &ScenarioReport) -> String {
    let points: Vec<Point> = r
        .summaries
        .iter()
        .map(|s| Point {
            name: s.name.clone(),
            first: s
                .first_latency_ms
                .map(|l| (l.median, s.first_accuracy.median)),
            last: s.final_latency_ms.map(|l| (l.median, s.accuracy.median)),
        })
        .collect();
    let title = format!(
        "{}: how long you wait against how often it is right",
        r.name
    );
    let caption = format!(
        "Medians over seeds {}; the first pane (hollow) and the result that stays (filled).",
        seeds_text(r)
    );
    tradeoff::draw(&title, &caption, &points)
}
