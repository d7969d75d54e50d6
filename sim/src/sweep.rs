//! `sweep`: many seeds of one scenario in parallel, each checked like
//! `run`, with the exact `replay` command printed for every failing seed.
//!
//! Seeds are independent, so they spread over a rayon pool; results are
//! sorted by seed before printing, so the output never depends on which
//! thread finished first. The progress bar goes to stderr and only when
//! stderr is a terminal: it is the one thing here that reads the wall clock,
//! and it never reaches stdout.

use crate::run::{run_seed, SeedReport};
use crate::scenario::Scenario;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::ops::Range;
use std::path::Path;

/// `--shard K/N`: the K-th (1-based) of N interleaved slices of the seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, 1..=count.
    pub index: u64,
    /// How many slices.
    pub count: u64,
}

/// Parses `A..B` (B excluded), `A..=B` or a single seed `N`.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let num = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!("expected seeds as A..B, A..=B or N (non-negative integers), got `{text}`")
        })
    };
    let range = if let Some((a, b)) = text.split_once("..=") {
        let b = num(b)?;
        num(a)?
            ..b.checked_add(1)
                .ok_or_else(|| format!("seed range `{text}` is too large"))?
    } else if let Some((a, b)) = text.split_once("..") {
        num(a)?..num(b)?
    } else {
        let n = num(text)?;
        n..n.saturating_add(1)
    };
    if range.is_empty() {
        return Err(format!("seed range `{text}` is empty"));
    }
    Ok(range)
}

/// Parses `K/N` with `1 <= K <= N`.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let err = || format!("expected a shard as K/N with 1 <= K <= N, got `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(err)?;
    let index: u64 = k.trim().parse().map_err(|_| err())?;
    let count: u64 = n.trim().parse().map_err(|_| err())?;
    if index == 0 || index > count {
        return Err(err());
    }
    Ok(Shard { index, count })
}

/// The seeds of `range` this shard runs: positions K-1, K-1+N, K-1+2N, …
#[must_use]
pub fn shard_seeds(range: Range<u64>, shard: Option<Shard>) -> Vec<u64> {
    let Shard { index, count } = shard.unwrap_or(Shard { index: 1, count: 1 });
    range
        .skip((index - 1) as usize)
        .step_by(count as usize)
        .collect()
}

/// One seed's result: its report, or the error that stopped it.
pub type SeedResult = (u64, Result<SeedReport, String>);

/// Runs every seed on `jobs` threads (all cores when `None`), sorted by seed.
pub fn sweep(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: Option<usize>,
) -> anyhow::Result<Vec<SeedResult>> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        pool = pool.num_threads(jobs.max(1));
    }
    let pool = pool.build()?;
    let bar = progress_bar(seeds.len() as u64);
    let mut results: Vec<SeedResult> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let result = run_seed(scenario, seed)
                    .map(|(r, _)| r)
                    .map_err(|e| format!("{e:#}"));
                bar.inc(1);
                (seed, result)
            })
            .collect()
    });
    bar.finish_and_clear();
    results.sort_by_key(|(seed, _)| *seed);
    Ok(results)
}

/// [`sweep`], each seed on its swarm variant ([`crate::swarm::variant`]).
pub fn sweep_swarm(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: Option<usize>,
) -> anyhow::Result<Vec<SeedResult>> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        pool = pool.num_threads(jobs.max(1));
    }
    let pool = pool.build()?;
    let mut results: Vec<SeedResult> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let (variant, _) = crate::swarm::variant(scenario, seed);
                let result = run_seed(&variant, seed)
                    .map(|(r, _)| r)
                    .map_err(|e| format!("{e:#}"));
                (seed, result)
            })
            .collect()
    });
    results.sort_by_key(|(seed, _)| *seed);
    Ok(results)
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// The command that replays `seed`, quoted for a POSIX shell when needed.
#[must_use]
pub fn replay_command(path: &Path, seed: u64) -> String {
    let p = path.display().to_string();
    let plain = p
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c));
    let quoted = if plain {
        p
    } else {
        format!("'{}'", p.replace('\'', r"'\''"))
    };
    format!("tidemark replay {quoted} --seed {seed}")
}

/// What `sweep` prints: each failing seed with its first failure and its
/// replay command, then the count. Also returns how many seeds failed.
#[must_use]
pub fn render(path: &Path, results: &[SeedResult]) -> (String, usize) {
    let mut out = String::new();
    let mut failed = 0;
    for (seed, result) in results {
        let first = match result {
            Ok(report) if report.ok() => continue,
            Ok(report) => {
                let extra = report.failures.len() - 1;
                let more = if extra > 0 {
                    format!(" (+{extra} more)")
                } else {
                    String::new()
                };
                format!("{}{more}", report.failures[0])
            }
            Err(e) => format!("error: {e}"),
        };
        failed += 1;
        let _ = writeln!(
            out,
            "seed {seed}: {first}\n  {}",
            replay_command(path, *seed)
        );
    }
    let total = results.len();
    if failed == 0 {
        let _ = writeln!(out, "all {total} seeds passed");
    } else {
        let _ = writeln!(out, "{failed} of {total} seeds failed");
    }
    (out, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_and_shards() {
        assert_eq!(parse_seeds("0..4"), Ok(0..4));
        assert_eq!(parse_seeds("3..=5"), Ok(3..6));
        assert_eq!(parse_seeds("7"), Ok(7..8));
        assert!(parse_seeds("5..5").is_err());
        assert!(parse_seeds("a..b").is_err());
        let shard = parse_shard("2/3").ok();
        assert_eq!(shard_seeds(0..10, shard), vec![1, 4, 7]);
        assert_eq!(shard_seeds(0..3, None), vec![0, 1, 2]);
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
    }

    #[test]
    fn replay_commands_are_quoted_only_when_needed() {
        assert_eq!(
            replay_command(Path::new("scenarios/a.yaml"), 3),
            "tidemark replay scenarios/a.yaml --seed 3"
        );
        assert_eq!(
            replay_command(Path::new("my dir/a.yaml"), 3),
            "tidemark replay 'my dir/a.yaml' --seed 3"
        );
    }
}
