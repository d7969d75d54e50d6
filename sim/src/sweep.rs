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
/// An iterator, never a list: `0..18446744073709551615` must not allocate.
pub fn shard_seeds(range: Range<u64>, shard: Option<Shard>) -> impl Iterator<Item = u64> {
    let Shard { index, count } = shard.unwrap_or(Shard { index: 1, count: 1 });
    // K-1 < N, and a step larger than usize can hold leaves one seed.
    let skip = usize::try_from(index - 1).unwrap_or(usize::MAX);
    let step = usize::try_from(count).unwrap_or(usize::MAX);
    range.skip(skip).step_by(step)
}

/// One seed's result: its report, or the error that stopped it.
pub type SeedResult = (u64, Result<SeedReport, String>);

/// The most threads `--jobs` may ask for.
pub const JOBS_MAX: usize = 1024;

/// Seeds run per batch: enough to keep every thread busy, few enough that
/// a batch's reports fit in memory whatever the seed range.
const BATCH: usize = 4096;

/// Checks `--jobs`: between 1 and [`JOBS_MAX`].
pub fn check_jobs(jobs: usize) -> Result<usize, String> {
    if jobs == 0 || jobs > JOBS_MAX {
        return Err(format!(
            "--jobs must be between 1 and {JOBS_MAX}, got {jobs} (default: one per core)"
        ));
    }
    Ok(jobs)
}

/// Runs `seeds` on `jobs` threads (all cores when `None`) in batches, and
/// hands each batch's results to `each`, sorted by seed, so output never
/// depends on which thread finished first. Memory stays bounded by one
/// batch whatever the range. `each` returns false to stop early.
pub fn sweep_batches(
    scenario: &Scenario,
    seeds: impl Iterator<Item = u64>,
    len: Option<u64>,
    jobs: Option<usize>,
    swarm: bool,
    mut each: impl FnMut(&[SeedResult]) -> bool,
) -> anyhow::Result<()> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        pool = pool.num_threads(check_jobs(jobs).map_err(anyhow::Error::msg)?);
    }
    let pool = pool
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the sweep's threads (lower --jobs): {e}"))?;
    let bar = progress_bar(len.unwrap_or(0));
    let mut seeds = seeds.peekable();
    while seeds.peek().is_some() {
        let batch: Vec<u64> = seeds.by_ref().take(BATCH).collect();
        let mut results: Vec<SeedResult> = pool.install(|| {
            batch
                .par_iter()
                .map(|&seed| {
                    // Swarm: the seed runs its own variant of the scenario
                    // (a random subset of the fault kinds).
                    let variant = swarm.then(|| crate::swarm::variant(scenario, seed).0);
                    let result = run_seed(variant.as_ref().unwrap_or(scenario), seed)
                        .map(|(r, _)| r)
                        .map_err(|e| format!("{e:#}"));
                    bar.inc(1);
                    (seed, result)
                })
                .collect()
        });
        results.sort_by_key(|(seed, _)| *seed);
        if !each(&results) {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// Runs every seed and returns every result, sorted by seed (for tests
/// and short ranges; the CLI streams with [`sweep_batches`]).
pub fn sweep(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: Option<usize>,
) -> anyhow::Result<Vec<SeedResult>> {
    let mut all = Vec::new();
    sweep_batches(
        scenario,
        seeds.iter().copied(),
        Some(seeds.len() as u64),
        jobs,
        false,
        |batch| {
            all.extend_from_slice(batch);
            true
        },
    )?;
    Ok(all)
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
    let quoted = shell_quote(&path.display().to_string());
    format!("tidemark replay {quoted} --seed {seed}")
}

/// `p` as one POSIX shell word: as is when plain, else single-quoted.
#[must_use]
pub fn shell_quote(p: &str) -> String {
    let plain = !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c));
    if plain {
        p.to_string()
    } else {
        format!("'{}'", p.replace('\'', r"'\''"))
    }
}

/// What `sweep` prints for one batch: each failing seed with its first
/// failure and its replay command. Returns how many failed. Seeds that
/// could not run at all are not failures; see [`first_error`].
pub fn render_failures(path: &Path, results: &[SeedResult], out: &mut String) -> u64 {
    let mut failed = 0;
    for (seed, result) in results {
        let Ok(report) = result else { continue };
        if report.ok() {
            continue;
        }
        let extra = report.failures.len() - 1;
        let more = if extra > 0 {
            format!(" (+{extra} more)")
        } else {
            String::new()
        };
        failed += 1;
        let _ = writeln!(
            out,
            "seed {seed}: {}{more}\n  {}",
            report.failures[0],
            replay_command(path, *seed)
        );
    }
    failed
}

/// The first seed of `results` that could not run, with its error: a
/// problem with the input or a limit, not a failed check (exit 2).
#[must_use]
pub fn first_error(results: &[SeedResult]) -> Option<(u64, &str)> {
    results
        .iter()
        .find_map(|(seed, r)| r.as_ref().err().map(|e| (*seed, e.as_str())))
}

/// The closing line: how many seeds passed or failed.
#[must_use]
pub fn render_total(failed: u64, total: u64) -> String {
    if failed == 0 {
        format!("all {total} seeds passed\n")
    } else {
        format!("{failed} of {total} seeds failed\n")
    }
}

/// Everything `sweep` prints for `results` at once, and the failure count.
#[must_use]
pub fn render(path: &Path, results: &[SeedResult]) -> (String, u64) {
    let mut out = String::new();
    let failed = render_failures(path, results, &mut out);
    let mut totals = RecoveryTotals::default();
    totals.add(results);
    out.push_str(&totals.render());
    out.push_str(&render_total(failed, results.len() as u64));
    (out, failed)
}

/// Per strategy, what recovery cost over the seeds seen so far: crashes,
/// restarts, the largest lag, duplicate panes downstream and events lost
/// to retention. Accumulated batch by batch, so a streamed sweep can print
/// it at the end without keeping the results.
#[derive(Debug, Clone, Default)]
pub struct RecoveryTotals {
    // (crashes, restarts, lag max, duplicates, retention lost, seeds)
    per: Vec<(String, [u64; 6])>,
}

impl RecoveryTotals {
    /// Adds the strategies of every seed in `results` that ran.
    pub fn add(&mut self, results: &[SeedResult]) {
        for (_, result) in results {
            let Ok(report) = result else { continue };
            for st in &report.strategies {
                let r = &st.recovery;
                let i = match self.per.iter().position(|(n, _)| *n == st.name) {
                    Some(i) => i,
                    None => {
                        self.per.push((st.name.clone(), [0; 6]));
                        self.per.len() - 1
                    }
                };
                let t = &mut self.per[i].1;
                t[0] += r.crashes;
                t[1] += r.restarts;
                t[2] = t[2].max(r.lag_max);
                t[3] += r.downstream_duplicates;
                t[4] += r.retention_lost;
                t[5] += 1;
            }
        }
    }

    /// A line per strategy that had anything to recover from.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, t) in self
            .per
            .iter()
            .filter(|(_, t)| t[..5].iter().any(|&x| x > 0))
        {
            let _ = writeln!(
                out,
                "{name}: over {} seeds {} crash(es), {} restart(s), lag max {} entries, \
                 {} duplicate pane(s) downstream, {} event(s) lost to retention",
                t[5], t[0], t[1], t[2], t[3], t[4]
            );
        }
        out
    }
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
        assert_eq!(shard_seeds(0..10, shard).collect::<Vec<_>>(), vec![1, 4, 7]);
        assert_eq!(shard_seeds(0..3, None).collect::<Vec<_>>(), vec![0, 1, 2]);
        // The whole u64 range is an iterator, not a list.
        let mut all = shard_seeds(0..u64::MAX, parse_shard("3/4").ok());
        assert_eq!(all.next(), Some(2));
        assert_eq!(all.next(), Some(6));
        assert!(check_jobs(100_000).is_err());
        assert!(check_jobs(0).is_err());
        assert_eq!(check_jobs(4), Ok(4));
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
