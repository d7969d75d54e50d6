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
    let (report, sim) = run::run_seed(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
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
    let (report, _) = run::run_seed(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
    emit(&summary::replay_text(&report, &path.display().to_string()))?;
    Ok(code(report.ok()))
}

/// `tidemark sweep`. Seeds stream in batches: failures print as each
/// batch finishes, and memory does not grow with the range. A seed that
/// cannot run at all (a limit or horizon hit) is bad input, exit 2, not a
/// failed seed.
pub fn sweep(
    path: &Path,
    seeds: &str,
    jobs: Option<usize>,
    shard: Option<&str>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let range = sweep::parse_seeds(seeds).map_err(anyhow::Error::msg)?;
    let shard = shard
        .map(sweep::parse_shard)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if let Some(j) = jobs {
        sweep::check_jobs(j).map_err(anyhow::Error::msg)?;
    }
    let scenario = load(path)?;
    let len = shard.map_or(Some(range.end - range.start), |s| {
        Some((range.end - range.start).div_ceil(s.count))
    });
    // The machine-readable result keeps only failures, so it stays small
    // however many seeds stream past; it fingerprints the scenario's bytes,
    // so `merge` can tell shards of an edited scenario apart.
    let mut result = if format == Format::Json || out.is_some() {
        let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
        Some(SweepSummary::new(
            path,
            &scenario.name,
            &bytes,
            range.clone(),
            shard,
        ))
    } else {
        None
    };
    let (mut failed, mut total) = (0u64, 0u64);
    let mut recovery = sweep::RecoveryTotals::default();
    let mut error: Option<String> = None;
    let mut printed = Ok(());
    sweep::sweep_batches(
        &scenario,
        sweep::shard_seeds(range, shard),
        len,
        jobs,
        |batch| {
            if let Some((seed, e)) = sweep::first_error(batch) {
                error = Some(run_error(path, &format!("seed {seed}: {e}")));
                return false;
            }
            if let Some(result) = result.as_mut() {
                for (seed, r) in batch {
                    result.add(*seed, r);
                }
            }
            recovery.add(batch);
            let mut text = String::new();
            failed += sweep::render_failures(path, batch, &mut text);
            total += batch.len() as u64;
            if format == Format::Table {
                printed = emit(&text);
            }
            printed.is_ok()
        },
    )?;
    printed?;
    if let Some(e) = error {
        anyhow::bail!(e);
    }
    if let (Some(file), Some(result)) = (out, &result) {
        std::fs::write(file, result.to_json()?)
            .with_context(|| format!("writing the sweep result to {}", file.display()))?;
    }
    match (format, &result) {
        (Format::Json, Some(result)) => emit(&result.to_json()?)?,
        _ => emit(&format!(
            "{}{}",
            recovery.render(),
            sweep::render_total(failed, total)
        ))?,
    }
    Ok(code(failed == 0))
}

/// A run that could not complete, with the scenario file it came from.
fn run_error(path: &Path, message: &str) -> String {
    format!("{}: {message}", path.display())
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
    let shrunk = shrink::shrink(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
    let Some(shrunk) = shrunk else {
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
