//! `tidemark run SCENARIO [--seed N] [--format json] [--out DIR]`.

use super::{code, load, run_error};
use crate::output::{Format, Output};
use crate::{jsonl, run, summary};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// One seed: the summary per strategy; exit 1 if a check failed.
pub fn run(
    path: &Path,
    seed: Option<u64>,
    out: Option<&Path>,
    stdout: &mut Output,
) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let seed = seed.unwrap_or(scenario.seed);
    let (report, sim) = run::run_seed(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
    if let Some(dir) = out {
        jsonl::write_outputs(dir, &sim)
            .with_context(|| format!("writing outputs to {}", dir.display()))?;
    }
    match stdout.format() {
        Format::Table => stdout.text(&summary::report_table(&report))?,
        Format::Json => stdout.json_pretty(&summary::report_json(&report))?,
    }
    Ok(code(report.ok()))
}
