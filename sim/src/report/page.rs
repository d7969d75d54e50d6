//! One scenario's page: description, what to notice, the strategies and
//! the settings they differ in, the diagram, the tables, the odd figures
//! explained, the trade-off chart and which strategy to choose when.

use super::format::{ms, number, pct, pct_opt, share};
use super::lesson;
use super::notice::notice;
use super::scale::human_ms;
use super::settings;
use super::tradeoff::{self, Point};
use super::ScenarioReport;
use crate::metrics::StrategySummary;
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
Terms are explained in the [glossary](README.md#glossary). Regenerate with `tidemark report {}`; \
step through the run in [{}.html]({}.html).*\n",
        r.pipeline,
        seeds_text(r),
        super::notice::plural(n as f64, "seed"),
        r.events_median,
        r.regenerate,
        r.name,
        r.name
    );
    if !r.failures.is_empty() {
        out.push_str("## Expectations that failed\n\n");
        for f in &r.failures {
            let _ = writeln!(out, "- seed {}: {}", f.seed, f.failure);
        }
        out.push('\n');
    }
    out.push_str("## What to notice\n\n");
    for line in notice(&r.summaries) {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\n## The strategies\n\n");
    out.push_str(&strategies_table(r));
    let _ = write!(out, "\n\n{}\n\n", settings::paragraph(&r.strategies));
    let caption = r
        .scene
        .as_ref()
        .map_or_else(String::new, super::diagram::caption);
    let _ = write!(
        out,
        "## The picture\n\n[![Event time against processing time, one panel per strategy]({}.svg)]({}.svg)\n\n*{}* Click the picture for the full-size view.\n\n{}\n\n",
        r.name,
        r.name,
        caption,
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
    let _ = write!(out, "\n\n{}\n\n", lesson::READ_CORRECTNESS);
    let odd = odd_figures(r);
    if !odd.is_empty() {
        out.push_str("## Figures that look odd\n\n");
        for line in odd {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "## Accuracy and cost against latency\n\n![Accuracy and panes per window against latency, one point per strategy]({}-tradeoff.svg)\n\n{}\n\n",
        r.name,
        lesson::READ_TRADEOFF
    );
    out.push_str("## Which to choose\n\n");
    for line in choose(r) {
        let _ = writeln!(out, "- {line}");
    }
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
                s.dedup.clone(),
                s.idle_timeout.clone(),
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
            "dedup",
            "idle timeout",
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
                number(s.outputs_per_window, 2),
                ms(s.first_latency_ms),
                ms(s.known_final_latency_ms),
                ms(s.hindsight_latency_ms),
                pct_opt(s.speculative_error),
            ]
        })
        .collect();
    markdown_table(
        &[
            "strategy",
            "panes per window",
            "outputs per window",
            "first result",
            "known final",
            "last change (hindsight)",
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
                pct(s.first_accuracy),
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
            "first-pane accuracy",
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

/// One sentence per figure on the page that would puzzle a careful reader.
fn odd_figures(r: &ScenarioReport) -> Vec<String> {
    let mut out = Vec::new();
    let negative: Vec<String> = r
        .summaries
        .iter()
        .filter(|s| {
            [
                s.first_latency_ms,
                s.known_final_latency_ms,
                s.hindsight_latency_ms,
            ]
            .iter()
            .flatten()
            .any(|a| a.median < 0.0)
        })
        .map(|s| format!("`{}`", s.name))
        .collect();
    if !negative.is_empty() {
        out.push(format!(
            "Negative latency ({}): the pane fired before the window's end in event time. Early panes do that by design; \
an on-time pane, or a window's expiry (*known final*), does it when the watermark passes the window's end before the processing-time \
clock does (a source clock running fast drags a max-seen watermark ahead); a trigger that has finished marks its pane last \
whenever it fires. It is not a result from the future: it is an answer given, or declared final, before all the data could \
have arrived.",
            negative.join(", ")
        ));
    }
    let few: Vec<String> = r
        .summaries
        .iter()
        .filter(|s| s.panes_per_window.median < 0.995)
        .map(|s| format!("`{}` ({})", s.name, number(s.panes_per_window, 2)))
        .collect();
    if !few.is_empty() {
        out.push(format!(
            "Fewer than one pane per window ({}): some windows of the truth never got a pane of their own. Their elements were \
dead-lettered or lost, or (sessions) they were emitted as parts that a later element merged, so the truth counts one window where \
the strategy emitted for none or for a different span.",
            few.join(", ")
        ));
    }
    let stable_wrong: Vec<String> = r
        .summaries
        .iter()
        .filter(|s| s.stability >= 0.995 && s.accuracy.median < 0.995)
        .map(|s| format!("`{}`", s.name))
        .collect();
    if !stable_wrong.is_empty() {
        out.push(format!(
            "\"Same final\" at 100% next to accuracy under 100% ({}): the wrong answers are wrong the same way whatever the network \
does. Stability says a result is reproducible, not that it is right: a deterministic mistake (a consumer that keeps merged-away \
sessions, a watermark that always drops the same stragglers) repeats exactly.",
            stable_wrong.join(", ")
        ));
    }
    out
}

/// "Choose X when…": the most accurate, the first to answer and the
/// cheapest strategy, each with the figures that earn it the line.
fn choose(r: &ScenarioReport) -> Vec<String> {
    let s = &r.summaries;
    let mut out = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    // The first strategy (scenario order) with the highest `f`.
    let best = |f: &dyn Fn(&StrategySummary) -> f64| {
        s.iter()
            .fold(None, |acc: Option<&StrategySummary>, x| match acc {
                Some(a) if f(a) >= f(x) => Some(a),
                _ => Some(x),
            })
    };
    let Some(top) = best(&|x| x.accuracy.median + x.accuracy.worst / 1000.0) else {
        return out;
    };
    {
        let a = top;
        named.push(&a.name);
        out.push(format!(
            "Choose `{}` when every final value must be right: {} of windows end right (worst seed {}), and its consumer knows a window is final {}.",
            a.name,
            share(a.accuracy.median),
            share(a.accuracy.worst),
            latency_words(a.known_final_latency_ms.map(|l| l.median)),
        ));
    }
    if let Some(f) = best(&|x| -x.first_latency_ms.map_or(f64::MAX, |l| l.median)) {
        if !named.contains(&f.name.as_str()) {
            named.push(&f.name);
            out.push(format!(
                "Choose `{}` when an answer soon is worth more than a right one: its first pane comes {} (right in {} of windows at that point).",
                f.name,
                latency_words(f.first_latency_ms.map(|l| l.median)),
                share(f.first_accuracy.median),
            ));
        }
    }
    if let Some(c) = best(&|x| -x.outputs_per_window.median) {
        if !named.contains(&c.name.as_str()) {
            named.push(&c.name);
            out.push(format!(
                "Choose `{}` when what downstream pays per result matters most: {} outputs per window, against {} for `{}`.",
                c.name,
                super::format::fixed(c.outputs_per_window.median, 2),
                super::format::fixed(top.outputs_per_window.median, 2),
                top.name,
            ));
        }
    }
    for x in s.iter().filter(|x| !named.contains(&x.name.as_str())) {
        out.push(format!(
            "`{}` is not the best here on accuracy, speed or cost; it is in the comparison to show what its setting changes.",
            x.name
        ));
    }
    out
}

/// "2.1s after the window's end", "3s before the window's end", "never".
fn latency_words(ms: Option<f64>) -> String {
    match ms {
        None => "never".to_string(),
        Some(v) if v < 0.0 => format!("{} before the window's end", human_ms(-v)),
        Some(v) => format!("{} after the window's end", human_ms(v)),
    }
}

/// The trade-off chart.
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
            last: s
                .known_final_latency_ms
                .map(|l| (l.median, s.accuracy.median)),
            outputs_per_window: s.outputs_per_window.median,
        })
        .collect();
    let title = format!("{}: what waiting buys, and what it costs", r.name);
    let caption = format!(
        "Medians over seeds {}. Hollow: the first pane. Filled: when the consumer knows the value is final.",
        seeds_text(r)
    );
    tradeoff::draw(&title, &caption, &points)
}
