//! `shrink`: minimise a failing seed to a small regression scenario.
//!
//! Greedy, like QuickCheck's shrinking on the scenario rather than on the
//! events: try one simplification at a time (fewer strategies, a shorter
//! duration, fewer or slower sources, fewer keys, fewer faults), keep it when
//! the same seed still fails the same check of the same strategy, and
//! repeat until no simplification helps or the run budget is spent. The
//! seed stays fixed, and every random decision draws from a labelled
//! stream, so a smaller scenario replays most of the same decisions.
//!
//! Every candidate goes through YAML and `scenario::parse`, so only valid
//! scenarios are tried and the file written is one `load` accepts.

use crate::run::{run_seed_with, Failure};
use crate::scenario::{self, Dur, KeysSpec, NetworkSpec, Scenario};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Runs tried at most while shrinking, so a slow scenario still finishes.
pub const RUNS_MAX: u32 = 200;

/// The outcome of shrinking.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest failing scenario found.
    pub scenario: Scenario,
    /// How it fails (same strategy and check as the original).
    pub failure: Failure,
    /// The simplifications kept, in order.
    pub steps: Vec<String>,
    /// Runs tried.
    pub runs: u32,
}

/// Shrinks `original` at `seed`. `Ok(None)` when the seed doesn't fail.
pub fn shrink(original: &Scenario, seed: u64) -> anyhow::Result<Option<Shrunk>> {
    let Some(failure) = first_failure(original, seed, true)? else {
        return Ok(None);
    };
    let determinism = failure.check == "deterministic";
    let target = failure.signature();
    let mut current = Shrunk {
        scenario: original.clone(),
        failure,
        steps: Vec::new(),
        runs: 1,
    };
    'outer: while current.runs < RUNS_MAX {
        for (step, candidate) in candidates(&current.scenario, target.0.as_deref()) {
            if current.runs >= RUNS_MAX {
                break 'outer;
            }
            let Some(candidate) = revalidate(&candidate) else {
                continue;
            };
            current.runs += 1;
            // A candidate the simulation rejects is simply not smaller.
            let Ok(Some(f)) = first_failure_matching(&candidate, seed, determinism, &target) else {
                continue;
            };
            current.scenario = candidate;
            current.failure = f;
            current.steps.push(step);
            continue 'outer;
        }
        break;
    }
    Ok(Some(current))
}

fn first_failure(s: &Scenario, seed: u64, determinism: bool) -> anyhow::Result<Option<Failure>> {
    let (report, _) = run_seed_with(s, seed, determinism)?;
    Ok(report.failures.into_iter().next())
}

fn first_failure_matching(
    s: &Scenario,
    seed: u64,
    determinism: bool,
    target: &(Option<String>, String),
) -> anyhow::Result<Option<Failure>> {
    let (report, _) = run_seed_with(s, seed, determinism)?;
    Ok(report
        .failures
        .into_iter()
        .find(|f| f.signature() == *target))
}

/// The candidate as `load` would read it back, or `None` if it's invalid.
fn revalidate(s: &Scenario) -> Option<Scenario> {
    let text = s.to_yaml().ok()?;
    scenario::parse(&text, Path::new("<shrink candidate>")).ok()
}

/// One-step simplifications of `s`, most effective first.
fn candidates(s: &Scenario, strategy: Option<&str>) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    let mut push = |what: String, f: &dyn Fn(&mut Scenario)| {
        let mut c = s.clone();
        f(&mut c);
        if c != *s {
            out.push((what, c));
        }
    };
    if let Some(name) = strategy {
        if s.strategies.len() > 1 {
            push(format!("kept only strategy {name}"), &|c| {
                c.strategies.retain(|st| st.name == name)
            });
        }
    }
    for (num, den) in [(1, 4), (1, 2), (3, 4)] {
        let ms = s.duration.ms() * num / den;
        if ms >= 1000 {
            push(format!("duration {ms}ms"), &|c| c.duration = Dur(ms));
        }
    }
    workload_candidates(s, &mut push);
    network_candidates(s, &mut push);
    out
}

type Push<'a> = dyn FnMut(String, &dyn Fn(&mut Scenario)) + 'a;

fn workload_candidates(s: &Scenario, push: &mut Push<'_>) {
    let groups = &s.workload.sources;
    for (i, g) in groups.iter().enumerate() {
        if groups.len() > 1 {
            push(format!("removed source group {}", g.name), &|c| {
                c.workload.sources.remove(i);
            });
        }
        if g.count > 1 {
            push(format!("source group {} down to 1 source", g.name), &|c| {
                c.workload.sources[i].count = 1
            });
            let half = g.count / 2;
            push(
                format!("source group {} down to {half} sources", g.name),
                &|c| c.workload.sources[i].count = half,
            );
        }
        if g.rate > 0.5 {
            let rate = g.rate / 2.0;
            push(format!("source group {} at rate {rate}", g.name), &|c| {
                c.workload.sources[i].rate = rate
            });
        }
        for j in 0..g.offline.len() {
            push(format!("removed offline period {j} of {}", g.name), &|c| {
                c.workload.sources[i].offline.remove(j);
            });
        }
        for j in 0..g.bursts.len() {
            push(format!("removed burst {j} of {}", g.name), &|c| {
                c.workload.sources[i].bursts.remove(j);
            });
        }
    }
    let keys = s.workload.keys.names().len();
    for n in [1, keys / 2] {
        if n >= 1 && n < keys {
            push(format!("{n} keys"), &|c| {
                c.workload.keys = KeysSpec::Count(n as u32)
            });
        }
    }
}

fn network_candidates(s: &Scenario, push: &mut Push<'_>) {
    let n = &s.network;
    if *n != NetworkSpec::default() {
        push("a perfect network".into(), &|c| {
            c.network = NetworkSpec::default()
        });
    }
    for i in 0..n.partitions.len() {
        push(format!("removed partition {i}"), &|c| {
            c.network.partitions.remove(i);
        });
    }
    for i in 0..n.holds.len() {
        push(format!("removed hold {i}"), &|c| {
            c.network.holds.remove(i);
        });
    }
    if !n.links.is_empty() {
        push("removed link overrides".into(), &|c| {
            c.network.links.clear()
        });
    }
    if n.loss > 0.0 {
        push("no message loss".into(), &|c| c.network.loss = 0.0);
    }
    if n.retry.is_some() {
        push("no retries".into(), &|c| c.network.retry = None);
    }
    if n.latency != Default::default() {
        push("zero latency".into(), &|c| {
            c.network.latency = Default::default()
        });
    }
}

/// Writes the shrunk scenario into `dir` as `NAME-seedN.yaml`, opening
/// with a comment that says what failed, where it came from and how to
/// replay it. Returns the path written.
pub fn write_regression(
    dir: &Path,
    original_path: &Path,
    seed: u64,
    shrunk: &Shrunk,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut s = shrunk.scenario.clone();
    // The name passed validation at load; re-checked here because it
    // becomes a file name, which must stay inside `dir`.
    let stem = format!("{}-seed{seed}", crate::scenario::names::file_stem(&s.name)?);
    let path = dir.join(format!("{stem}.yaml"));
    s.seed = seed;
    s.name = stem;
    s.description = format!(
        "Regression (shrunk): {}. Originally: {}",
        shrunk.failure,
        s.description.trim()
    );
    let yaml = s.to_yaml().context("writing the shrunk scenario as YAML")?;
    let mut header = format!(
        "# Regression scenario written by `tidemark shrink {} --seed {seed}`.\n# Failed: {}\n",
        original_path.display(),
        shrunk.failure
    );
    header.push_str(&format!(
        "# Shrunk in {} runs, keeping: {}\n",
        shrunk.runs,
        if shrunk.steps.is_empty() {
            "(nothing smaller failed the same way)".to_string()
        } else {
            shrunk.steps.join("; ")
        }
    ));
    header.push_str(&format!(
        "# Reproduce: {}\n",
        crate::sweep::replay_command(&path, seed)
    ));
    std::fs::write(&path, format!("{header}{yaml}"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
