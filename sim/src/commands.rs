//! The simulation subcommands (`run`, `sweep`, `merge`, `replay`, `shrink`): load
//! the scenario, call [`crate::run`] and friends, print, pick the exit code.
//! 0: every expected invariant and threshold held; 1: a check failed;
//! 2: bad input (the `InputError` line) or a run that could not complete.

use crate::cli::Format;
use crate::input_error::InputError;
use crate::merge::SweepSummary;
use crate::scenario::{self, Scenario};
use crate::{jsonl, merge, run, shrink, summary, sweep};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn load(path: &Path) -> anyhow::Result<Scenario> {
    // The InputError's Display is the whole one-line `file:line:col: message`.
    Ok(scenario::load(path)?)
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `tidemark run`.
pub fn run(
    path: &Path,
    seed: Option<u64>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let seed = seed.unwrap_or(scenario.seed);
    let (report, sim) = run::run_seed(&scenario, seed)?;
    if let Some(dir) = out {
        jsonl::write_outputs(dir, &sim)
            .with_context(|| format!("writing outputs to {}", dir.display()))?;
    }
    match format {
        Format::Table => emit(&summary::report_table(&report))?,
        Format::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary::report_json(&report))?
        ))?,
    }
    Ok(code(report.ok()))
}

/// `tidemark replay`.
pub fn replay(path: &Path, seed: u64) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let (report, _) = run::run_seed(&scenario, seed)?;
    emit(&summary::replay_text(&report, &path.display().to_string()))?;
    Ok(code(report.ok()))
}

/// `tidemark sweep`.
pub fn sweep(
    path: &Path,
    seeds: &str,
    jobs: Option<usize>,
    shard: Option<&str>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let range = sweep::parse_seeds(seeds).map_err(anyhow::Error::msg)?;
    let shard = shard
        .map(sweep::parse_shard)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // The machine-readable result fingerprints the scenario's bytes (read
    // before the seeds run), so `merge` can tell shards of an edited
    // scenario apart.
    let mut result = (format == Format::Json || out.is_some())
        .then(|| -> anyhow::Result<SweepSummary> {
            let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
            Ok(SweepSummary::new(
                path,
                &scenario.name,
                &bytes,
                range.clone(),
                shard,
            ))
        })
        .transpose()?;
    let seeds = sweep::shard_seeds(range, shard);
    let results = sweep::sweep(&scenario, &seeds, jobs)?;
    if let Some(summary) = &mut result {
        for (seed, r) in &results {
            summary.add(*seed, r);
        }
    }
    if let (Some(file), Some(result)) = (out, &result) {
        std::fs::write(file, result.to_json()?)
            .with_context(|| format!("writing the sweep result to {}", file.display()))?;
    }
    let (text, failed) = sweep::render(path, &results);
    match (format, &result) {
        (Format::Json, Some(result)) => emit(&result.to_json()?)?,
        _ => emit(&text)?,
    }
    Ok(code(failed == 0))
}

/// `tidemark merge`.
pub fn merge(files: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let texts = files
        .iter()
        .map(|p| std::fs::read_to_string(p).map_err(|e| InputError::io(p, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<(&Path, &str)> = files
        .iter()
        .map(PathBuf::as_path)
        .zip(texts.iter().map(String::as_str))
        .collect();
    let merged = merge::merge(&pairs)?;
    match format {
        Format::Table => emit(&merged.text())?,
        Format::Json => emit(&merged.to_json()?)?,
    }
    Ok(code(merged.failed == 0))
}

/// `tidemark shrink`.
pub fn shrink(path: &Path, seed: u64, out: &Path) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let Some(shrunk) = shrink::shrink(&scenario, seed)? else {
        println!("seed {seed} passes every expected check: nothing to shrink");
        return Ok(ExitCode::SUCCESS);
    };
    let written = shrink::write_regression(out, path, seed, &shrunk)?;
    println!("failure: {}", shrunk.failure);
    println!("shrunk in {} runs:", shrunk.runs);
    for step in &shrunk.steps {
        println!("  - {step}");
    }
    println!("wrote {}", written.display());
    println!("reproduce: {}", sweep::replay_command(&written, seed));
    Ok(ExitCode::SUCCESS)
}
