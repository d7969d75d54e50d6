//! `tidemark sweep SCENARIO --seeds A..B [--jobs N] [--shard K/N]
//! [--format json] [--out FILE]`.

use super::{code, load, run_error};
use crate::input_error::InputError;
use crate::merge::SweepSummary;
use crate::output::{Format, Output};
use crate::sweep;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Seeds stream in batches: failures print as each batch finishes, and
/// memory does not grow with the range. A seed that cannot run at all (a
/// limit or horizon hit) is bad input, exit 2, not a failed seed.
pub fn run(
    path: &Path,
    seeds: &str,
    jobs: Option<usize>,
    shard: Option<&str>,
    out: Option<&Path>,
    swarm: bool,
    stdout: &mut Output,
) -> anyhow::Result<ExitCode> {
    let format = stdout.format();
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
    // Swarm: (seed, passed) of every seed, for the per-fault-kind summary.
    let mut swarm_seeds: Vec<(u64, bool)> = Vec::new();
    let mut error: Option<String> = None;
    let mut printed = Ok(());
    sweep::sweep_batches(
        &scenario,
        sweep::shard_seeds(range, shard),
        len,
        jobs,
        swarm,
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
            if swarm {
                // Each failing seed replays its own variant.
                text = text.replace(" --seed ", " --swarm --seed ");
                swarm_seeds.extend(
                    batch
                        .iter()
                        .map(|(seed, r)| (*seed, r.as_ref().is_ok_and(|r| r.ok()))),
                );
            }
            total += batch.len() as u64;
            if format == Format::Table && printed.is_ok() {
                printed = stdout.text(&text);
            }
            // A closed stdout stops the sweep (nobody reads the rest),
            // unless the result file it was asked for still needs it.
            printed.is_ok() || out.is_some()
        },
    )?;
    if let Some(e) = error {
        anyhow::bail!(e);
    }
    if let (Some(file), Some(result)) = (out, &result) {
        std::fs::write(file, result.to_json()?)
            .with_context(|| format!("writing the sweep result to {}", file.display()))?;
    }
    printed?;
    match (format, &result) {
        (Format::Json, Some(result)) => stdout.text(&result.to_json()?)?,
        _ => {
            let kinds = if swarm {
                crate::swarm::summary(&scenario, &swarm_seeds)
            } else {
                String::new()
            };
            stdout.text(&format!(
                "{}{kinds}{}",
                recovery.render(),
                sweep::render_total(failed, total)
            ))?;
        }
    }
    Ok(code(failed == 0))
}
