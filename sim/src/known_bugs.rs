//! `tidemark known-bugs`: the known-bug table. Each variant of
//! [`tidemark_engine::known_bugs::KnownBug`] is made active in turn and
//! every shipped scenario is swept over the same seeds. A variant is caught
//! on a seed when the seed fails an invariant or an expectation that the
//! real engine keeps on that seed (snapshots never count: a user testing a
//! new engine has none). The table names, per variant, the scenario that
//! caught it on the most seeds, the check that caught it there most often,
//! and optionally the size of the shrunk regression.
//!
//! Built only with the `known-bugs` feature (tests and debug builds).

use crate::run::run_seed_with;
use crate::scenario::{self, Scenario};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use tidemark_engine::known_bugs::{self, KnownBug};

/// The failures of one seed, as (strategy, check) signatures.
type Signatures = BTreeSet<(Option<String>, String)>;

/// How one variant was caught by its best scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catch {
    /// The scenario that caught it on the most seeds.
    pub scenario: String,
    /// The check (invariant or threshold) that caught it most often there.
    pub check: String,
    /// Seeds caught, of `seeds`.
    pub caught: usize,
    /// Seeds swept.
    pub seeds: usize,
    /// The first caught seed.
    pub first_seed: u64,
    /// Events in the shrunk regression's workload, when shrinking ran.
    pub shrunk_events: Option<usize>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The variant.
    pub bug: KnownBug,
    /// Its best catch, if any scenario caught it at all.
    pub best: Option<Catch>,
}

/// Every scenario file directly under `dir`, by name.
pub fn shipped(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    out.sort();
    Ok(out)
}

fn failures(s: &Scenario, seeds: &[u64]) -> Vec<Signatures> {
    seeds
        .par_iter()
        .map(|&seed| {
            // A mutant may panic (an index out of range, say): that is a
            // catch too, by the run itself.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_seed_with(s, seed, false)
            }));
            match run {
                Ok(Ok((r, _))) => r.failures.iter().map(|f| f.signature()).collect(),
                Ok(Err(_)) => BTreeSet::from([(None, "run_error".to_string())]),
                Err(_) => BTreeSet::from([(None, "panic".to_string())]),
            }
        })
        .collect()
}

/// Sweeps `scenarios` over `seeds` for every variant in `bugs`, after a
/// baseline sweep of the real engine. Leaves no variant active.
pub fn table(scenarios: &[Scenario], seeds: &[u64], bugs: &[KnownBug], shrink: bool) -> Vec<Row> {
    // Panics are counted, not printed.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    known_bugs::set(None);
    let baseline: Vec<Vec<Signatures>> = scenarios.iter().map(|s| failures(s, seeds)).collect();
    let mut rows = Vec::new();
    for &bug in bugs {
        known_bugs::set(Some(bug));
        let mut best: Option<Catch> = None;
        for (s, base) in scenarios.iter().zip(&baseline) {
            let runs = failures(s, seeds);
            let mut checks: BTreeMap<String, usize> = BTreeMap::new();
            let mut caught = Vec::new();
            for ((seed, got), base) in seeds.iter().zip(&runs).zip(base) {
                let new: Vec<_> = got.difference(base).collect();
                if new.is_empty() {
                    continue;
                }
                caught.push(*seed);
                let names: BTreeSet<&String> = new.iter().map(|(_, c)| c).collect();
                for c in names {
                    *checks.entry(c.clone()).or_default() += 1;
                }
            }
            let Some(&first_seed) = caught.first() else {
                continue;
            };
            if best.as_ref().is_some_and(|b| b.caught >= caught.len()) {
                continue;
            }
            // Most seeds first, then the name, so the table is stable.
            let check = checks
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(c, _)| c.clone())
                .unwrap_or_default();
            best = Some(Catch {
                scenario: s.name.clone(),
                check,
                caught: caught.len(),
                seeds: seeds.len(),
                first_seed,
                shrunk_events: None,
            });
        }
        if let (true, Some(b)) = (shrink, best.as_mut()) {
            b.shrunk_events = scenarios
                .iter()
                .find(|s| s.name == b.scenario)
                .and_then(|s| crate::shrink::shrink(s, b.first_seed).ok().flatten())
                .map(|sh| sh.events(b.first_seed));
        }
        rows.push(Row { bug, best });
    }
    known_bugs::set(None);
    std::panic::set_hook(hook);
    rows
}

/// The table, in Markdown, as the README keeps it.
#[must_use]
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| variant | caught | scenario | check | seeds | shrunk events |\n\
         |---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = match &r.best {
            None => writeln!(out, "| `{}` | no | – | – | 0 | – |", r.bug.name()),
            Some(c) => writeln!(
                out,
                "| `{}` | {} | {} | {} | {}/{} | {} |",
                r.bug.name(),
                if c.caught * 4 >= c.seeds * 3 {
                    "yes"
                } else {
                    "weakly"
                },
                c.scenario,
                c.check,
                c.caught,
                c.seeds,
                c.shrunk_events.map_or("–".to_string(), |n| n.to_string()),
            ),
        };
    }
    out
}

/// `tidemark known-bugs`: loads the scenarios (default: `scenarios/*.yaml`),
/// prints the table; exit 1 unless every variant is caught on at least 3/4
/// of the seeds.
pub fn cli(
    paths: &[PathBuf],
    seeds: std::ops::Range<u64>,
    only: &[String],
    shrink: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let paths = if paths.is_empty() {
        shipped(std::path::Path::new("scenarios"))?
    } else {
        paths.to_vec()
    };
    let scenarios = paths
        .iter()
        .map(|p| scenario::load(p).map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bugs: Vec<KnownBug> = if only.is_empty() {
        KnownBug::ALL.to_vec()
    } else {
        only.iter()
            .map(|n| {
                KnownBug::from_name(n).ok_or_else(|| anyhow::anyhow!("no known-bug variant `{n}`"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let seeds: Vec<u64> = seeds.collect();
    let rows = table(&scenarios, &seeds, &bugs, shrink);
    print!("{}", render(&rows));
    let all = rows
        .iter()
        .all(|r| r.best.as_ref().is_some_and(|c| c.caught * 4 >= c.seeds * 3));
    Ok(if all {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}
