//! Where the shipped scenarios and reports live, and the report's limits
//! (the `tidemark report` subcommand is `commands/report.rs`).

use anyhow::Context;
use std::path::{Path, PathBuf};

/// Where the main job looks for scenarios and writes reports, relative to
/// the working directory (the repository root under `cargo run`).
pub const SCENARIO_DIR: &str = "scenarios";
/// See [`SCENARIO_DIR`].
pub const REPORT_DIR: &str = "reports";

/// The shipped scenarios: `scenarios/*.yaml`, sorted by name (regression
/// scenarios in subdirectories are for tests, not reports).
pub fn shipped_scenarios(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "no {} directory here: run from the repository root, or name scenario files: tidemark report SCENARIO…",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && p.is_file())
        .collect();
    paths.sort();
    anyhow::ensure!(
        !paths.is_empty(),
        "no *.yaml scenarios in {}",
        dir.display()
    );
    Ok(paths)
}

/// Where `tidemark report SCENARIO…` writes without `--out`: never the
/// shipped `reports/`, whose index lists exactly the shipped scenarios
/// (a user's report written there would drop them from the index and fail
/// the staleness test).
pub const USER_REPORT_DIR: &str = "tidemark-reports";

/// The most seeds one report aggregates: its figures are medians over
/// seeds kept in memory, unlike `sweep`, which streams.
pub const REPORT_SEEDS_MAX: u64 = 10_000;
