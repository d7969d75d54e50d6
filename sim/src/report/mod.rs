//! Trigger-strategy comparison reports: per scenario a Markdown page with
//! tables, the Streaming Systems diagram and a latency/accuracy chart, plus
//! an index across scenarios and a terminal summary.
//!
//! Two steps, kept apart so the writing is testable on hand-made values:
//! [`collect`] runs the simulations (rayon over seeds) into
//! [`ScenarioReport`]s; [`render`] turns those into files, a pure function
//! of its input. Nothing here reads the wall clock or the git commit, so
//! the same scenarios and seeds give the same bytes (the staleness test in
//! `sim/tests/reports.rs` relies on that).

mod architecture;
pub mod cli;
mod collect;
mod diagram;
mod format;
mod index;
mod lesson;
mod notice;
mod page;
mod scale;
mod svg;
mod tradeoff;
mod view;

pub use collect::{collect, collect_all};
pub use index::summary_table;

use crate::metrics::StrategySummary;
use anyhow::Context;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// The seeds `cargo run --release` and `tidemark report` use by default.
pub const DEFAULT_SEEDS: Range<u64> = 0..8;

/// How one strategy is configured, for the "what each strategy does" table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyInfo {
    /// Its name.
    pub name: String,
    /// Its trigger, Beam-style.
    pub trigger: String,
    /// Its accumulation mode.
    pub accumulation: String,
    /// Its watermark strategy.
    pub watermark: String,
    /// Its allowed lateness.
    pub allowed_lateness: String,
}

/// Everything written about one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioReport {
    /// The scenario's name (the file stem of its pages).
    pub name: String,
    /// Its description, from the YAML.
    pub description: String,
    /// Its window function and aggregation, one line.
    pub pipeline: String,
    /// The seeds aggregated.
    pub seeds: Range<u64>,
    /// Median generated events per seed.
    pub events_median: u64,
    /// The strategies, in scenario order.
    pub strategies: Vec<StrategyInfo>,
    /// Their figures over the seeds, same order.
    pub summaries: Vec<StrategySummary>,
    /// The diagram (SVG document).
    pub diagram: String,
    /// What the diagram shows (seed, key, windows), one sentence.
    pub diagram_caption: String,
    /// The Lambda/Kappa comparison, for scenarios with an architecture section.
    pub architecture: Option<architecture::ArchPage>,
}

/// The files of a report set, by path relative to the output directory.
pub type Files = BTreeMap<String, String>;

/// Renders pages, charts and the index for `reports`.
#[must_use]
pub fn render(reports: &[ScenarioReport]) -> Files {
    let mut files = Files::new();
    for r in reports {
        let mut text = page::page(r);
        if let Some(a) = &r.architecture {
            text.push_str(&a.markdown);
            files.insert(format!("{}-architecture.svg", r.name), a.chart.clone());
        }
        files.insert(format!("{}.md", r.name), text);
        files.insert(format!("{}.svg", r.name), r.diagram.clone());
        files.insert(format!("{}-tradeoff.svg", r.name), page::tradeoff_chart(r));
    }
    files.insert("README.md".to_string(), index::readme(reports));
    files
}

/// Writes `files` into `dir` (created if missing). Files already there
/// that this run did not produce are left alone.
pub fn write(dir: &Path, files: &Files) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
