//! Trigger-strategy comparison reports: per scenario a Markdown page with
//! tables, the Streaming Systems diagram and a latency/accuracy chart (SVG)
//! and an interactive HTML page, plus an index across scenarios and a
//! terminal summary.
//!
//! Two steps, kept apart so the writing is testable on hand-made values:
//! [`collect`] gathers each seed's [`crate::stage::Stage`] (rayon over
//! seeds) into [`ScenarioReport`]s; [`render`] turns those into files, a
//! pure function of its input that never simulates or measures. Nothing here reads the wall clock or the git commit, so
//! the same scenarios and seeds give the same bytes (the staleness test in
//! `sim/tests/reports.rs` relies on that).

mod architecture;
mod collect;
mod diagram;
mod format;
mod html;
mod index;
mod lesson;
mod notice;
mod page;
mod scale;
mod settings;
pub mod shipped;
mod svg;
mod tradeoff;

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
    /// Deduplication by event id, "on" or "off".
    pub dedup: String,
    /// Idle timeout of its input channels.
    pub idle_timeout: String,
    /// Its sink's delivery guarantee.
    pub sink: String,
}

/// A check that failed on one seed of the report's range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// What failed, one line.
    pub failure: String,
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
    /// The drawn seed's picture data (None: nothing to draw).
    pub scene: Option<crate::scene::Scene>,
    /// Every expected check that failed, over the seeds.
    pub failures: Vec<SeedFailure>,
    /// The `tidemark report` arguments that regenerate this page (scenario
    /// file, seeds, `--out` when not the default), as the user wrote them.
    pub regenerate: String,
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
        files.insert(format!("{}.svg", r.name), diagram::draw_report(r));
        files.insert(format!("{}-tradeoff.svg", r.name), page::tradeoff_chart(r));
        files.insert(format!("{}.html", r.name), html::page(r));
    }
    files.insert("README.md".to_string(), index::readme(reports));
    files
}

/// Writes `files` into `dir` (created if missing). Files already there
/// that this run did not produce are left alone. Every file name must be a
/// plain name (the scenario-name rule, so no `/`, `..` or control
/// characters): nothing is written outside `dir`, checked before anything
/// is written.
pub fn write(dir: &Path, files: &Files) -> anyhow::Result<()> {
    for name in files.keys() {
        crate::scenario::names::check_file_name(name).map_err(anyhow::Error::msg)?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
